"""``scale pattern``: which scaling pattern a metric follows over compute or size.

Owns: :mod:`pattern` (the classification), :mod:`pattern_runs` (the metric and its x from a file).

May import: ``core``, ``laws``, and ``fitting``'s ``runs``, ``loss_law.regime`` and shared modules.
"""
