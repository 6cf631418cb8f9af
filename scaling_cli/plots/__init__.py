"""Scaling laws as pictures (matplotlib, imported only when a plot is asked for).

Owns: :mod:`canvas` (matplotlib set up for files: private folder, formats, tick labels, atomic
saving), :mod:`figures` (IsoFLOP curves, fitted laws against runs, over-training trade-offs),
:mod:`compare` (the picture of ``scale compare``).

May import: ``core``, ``laws``, ``planning``, ``fitting``. Nothing of ``cli``.
"""
