"""``scale fit --metric --via``: a benchmark score from loss, in two chained steps.

May import: ``core``, ``laws``, and ``fitting``'s ``solvers``, ``runs``, ``check`` and shared modules.
"""
