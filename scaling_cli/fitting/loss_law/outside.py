"""Runs likely outside the regime a scaling law describes, and what they do to the answer.

A law of final losses assumes every run trained to the end of a tuned schedule. Three signs that
a run did not (or that the law does not describe it):

* very few optimizer steps (``steps`` column): below ``MIN_STEPS`` the warmup and the
  schedule, not N and D, decide the loss;
* far fewer tokens per parameter than the fitted optimum at the run's compute (under
  1/``UNDERTRAINED_FACTOR`` of it) *and* a loss the law under-predicts by more than
  ``OUTLIER_SD`` times the out-of-sample scatter: such runs sit on the steep edge of the
  IsoFLOP profile, where early-training effects are largest (an IsoFLOP sweep's big models are
  legitimately short of tokens: only those the law cannot describe are flagged);
* residuals that trend with tokens per parameter across all runs: the law's shape is wrong
  somewhere along that axis (reported, not used to flag single runs).

The flagged runs are not dropped silently: the report says how much the predicted loss at the
reference budget moves without them; ``--exclude-undertrained`` drops them.
"""

from __future__ import annotations

import numpy as np

from ..runs.runs import Runs
from ..solvers.parametric import optimal

MIN_STEPS = 1000
UNDERTRAINED_FACTOR = 4.0
OUTLIER_SD = 3.0
TREND_T = 3.0
"""|t| of the residual-on-log(tokens/param) slope above which the trend is reported."""
TREND_MIN = 1e-4
"""...and the slope (log loss per decade, 0.01 %) below which it is not: on noise-free runs the
residuals are float rounding, whose slope can have any t and moves no prediction."""


def flag(runs: Runs, theta: np.ndarray, residual: np.ndarray, scatter_sd: float) -> tuple[np.ndarray, list[str]]:
    """(indices of flagged runs, one reason per flagged run) under the fitted theta; ``residual``
    is log predicted - log observed of each run."""
    params, tokens, _ = optimal(theta, runs.flops)
    optimum = tokens / params
    ratio = runs.tokens / runs.params
    reasons = {}
    short = (ratio < optimum / UNDERTRAINED_FACTOR) & (residual < -OUTLIER_SD * scatter_sd)
    for i in np.flatnonzero(short):
        reasons[int(i)] = (
            f"{ratio[i]:.2g} tokens/param, under 1/{UNDERTRAINED_FACTOR:g} of the optimum's {optimum[i]:.3g} "
            f"at its compute, and {-residual[i]:.1%} above the law"
        )
    if runs.steps is not None:
        for i in np.flatnonzero(runs.steps < MIN_STEPS):
            text = f"{runs.steps[i]:.0f} optimizer steps (under {MIN_STEPS:,})"
            reasons[int(i)] = f"{reasons[int(i)]}; {text}" if int(i) in reasons else text
    index = np.array(sorted(reasons), dtype=int)
    return index, [reasons[i] for i in index]


def residual_trend(runs: Runs, residual: np.ndarray) -> str | None:
    """A sentence when the log residuals trend with log10 tokens per parameter, else None."""
    x = np.log10(runs.tokens / runs.params)
    if len(x) < 8 or np.ptp(x) == 0:
        return None
    slope, intercept = np.polyfit(x, residual, 1)
    fitted = slope * x + intercept
    stderr = np.sqrt(np.sum((residual - fitted) ** 2) / (len(x) - 2) / np.sum((x - x.mean()) ** 2))
    if not stderr > 0 or abs(slope / stderr) < TREND_T or abs(slope) < TREND_MIN:
        return None
    direction = "over" if slope > 0 else "under"
    return (
        f"the fit's residuals trend with tokens per parameter ({slope:+.2%} per decade, t = {slope / stderr:.1f}): it "
        f"{direction}-predicts the runs trained longest relative to their size; the law's shape does not hold along that axis"
    )
