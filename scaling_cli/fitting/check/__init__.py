"""The scaling check: backtests, the error model of a prediction, and held-out verdicts.

Owns: :mod:`error_model` (leave-one-budget-out scatter, rolling-origin backtests, drift),
:mod:`verdicts` (the models it reports: predictions, backtests, held-out verdicts),
:mod:`predict` (predictions with intervals, the joint held-out check).

May import: ``core``, ``laws``, and ``fitting``'s ``solvers``, ``runs`` and shared modules (``bootstrap``).
"""
