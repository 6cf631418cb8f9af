"""Scaling laws as pictures (matplotlib, imported only when a plot is asked for).

Owns: :mod:`figures` (IsoFLOP curves, fitted laws against runs, over-training trade-offs),
:mod:`compare` (the picture of ``scale compare``).

May import: ``core``, ``laws``, ``planning``, ``fitting``. Nothing of ``cli``.
"""
