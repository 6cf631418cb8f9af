"""What every fitting method reports the same way: the summary budgets and the fitted frontier."""

from __future__ import annotations

import numpy as np

from ..runs.runs import Runs

SUMMARY_BUDGETS = (1e21, 1e23, 1e25)
FRONTIER_POINTS = 25
LOSS_DISAGREEMENT = 0.20
"""Show tokens/param under both objectives when they differ by more than this."""


def frontier_budgets(runs: Runs, at: float | None) -> list[float]:
    """Log-spaced budgets from the smallest run's compute to the largest (or ``at``)."""
    high = max(float(runs.flops.max()), at or 0.0)
    return np.geomspace(float(runs.flops.min()), high, FRONTIER_POINTS).tolist()


def bootstrap_warnings(failures: int, requested: int) -> list[str]:
    if failures:
        return [f"{failures} of {requested} bootstrap refits failed and were dropped"]
    return []


def fitted_range(runs: Runs) -> dict[str, tuple[float, float]]:
    """The compute, sizes and tokens per parameter of the fitted runs (a saved law's range)."""
    ratio = runs.tokens / runs.params
    return {
        "flops": (float(runs.flops.min()), float(runs.flops.max())),
        "params": (float(runs.params.min()), float(runs.params.max())),
        "tokens_per_param": (float(ratio.min()), float(ratio.max())),
    }
