"""Which phase of a scaling curve the largest runs are in, with the numbers behind the verdict.

The field names three phases (Hestness et al. 2017, "Deep Learning Scaling is Predictable,
Empirically"): a small-data region where loss barely moves with scale, the power-law region,
and an irreducible-error region where the loss nears what data and architecture allow. From the
runs' compute frontier (the lowest loss in each compute bucket):

* ``no trend``: the frontier's compute exponent (slope of log loss against log compute) has a
  95 % interval that reaches zero: across these runs, more compute has not lowered the loss.
* ``plateau``: at the largest runs' compute the fitted irreducible loss E is at least
  ``PLATEAU_RATIO`` times the reducible loss left on the fitted frontier: scale buys little.
* ``power law``: neither; the clean regime in which extrapolating a fitted law is sound.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from .bootstrap import Estimate, estimate, interval
from .buckets import bin_buckets, detect_buckets
from .runs import Runs

PLATEAU_RATIO = 10.0
"""E / reducible loss at the largest compute above which the runs are on the plateau."""


class FrontierPoint(BaseModel):
    flops: float
    loss: float


class Regime(BaseModel):
    verdict: str
    """'power law', 'plateau', 'no trend', or 'not assessed'."""
    evidence: str
    frontier_exponent: Estimate | None = None
    irreducible_loss: float | None = None
    reducible_loss: float | None = None
    """On the fitted frontier at the largest runs' compute."""
    frontier: list[FrontierPoint] = []


def regime_buckets(runs: Runs) -> list[np.ndarray]:
    """The detected compute budgets, or bins of log-compute when the runs form no grid."""
    found = detect_buckets(runs.flops)
    if found is not None and len(found) >= 3:
        return found
    return bin_buckets(runs.flops, int(np.clip(round(len(runs) / 10), 3, 12)))


def frontier_slope(runs: Runs, buckets: list[np.ndarray], weights: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(slope of log min-loss against log compute, the frontier's compute, its losses)."""
    flops, losses = [], []
    for index in buckets:
        if weights is not None:
            index = index[weights[index] > 0]
        if len(index):
            best = index[np.argmin(runs.loss[index])]
            flops.append(runs.flops[best])
            losses.append(runs.loss[best])
    flops, losses = np.array(flops), np.array(losses)
    if len(flops) < 3:
        return np.nan, flops, losses
    return float(np.polyfit(np.log(flops), np.log(losses), 1)[0]), flops, losses


def diagnose_regime(
    runs: Runs,
    buckets: list[np.ndarray],
    slope_samples: np.ndarray | None,
    irreducible: float | None = None,
    reducible: float | None = None,
) -> Regime:
    slope, flops, losses = frontier_slope(runs, buckets)
    points = [FrontierPoint(flops=float(c), loss=float(l)) for c, l in zip(flops, losses)]
    if not np.isfinite(slope):
        return Regime(verdict="not assessed", evidence="fewer than 3 compute levels: no frontier to read", frontier=points)
    ci95 = interval(slope_samples, 95.0) if slope_samples is not None else _ols_interval(flops, losses)
    exponent = estimate(slope, slope_samples) if slope_samples is not None else Estimate(value=slope, ci95=ci95)
    span = f"[{ci95[0]:.3f}, {ci95[1]:.3f}]" if ci95 else "unknown"
    trend = (
        f"the frontier's loss scales as C^{slope:.3f} (95 % interval {span}) over "
        f"{len(points)} compute levels from {flops.min():.2e} to {flops.max():.2e} FLOPs"
    )
    common = dict(frontier_exponent=exponent, irreducible_loss=irreducible, reducible_loss=reducible, frontier=points)
    if ci95 is None or ci95[1] >= 0:
        return Regime(verdict="no trend", evidence=f"{trend}: the interval reaches zero, so more compute has not reliably lowered the loss", **common)
    if irreducible is None or reducible is None:
        return Regime(verdict="power law", evidence=f"{trend}; plateau not assessed: this method fits no irreducible loss", **common)
    ratio = irreducible / reducible if reducible > 0 else np.inf
    share = f"at {flops.max():.2e} FLOPs the irreducible loss E = {irreducible:.3f} is {ratio:.1f}x the reducible {reducible:.3f}"
    if ratio >= PLATEAU_RATIO:
        return Regime(verdict="plateau", evidence=f"{share} (at least {PLATEAU_RATIO:g}x): more scale buys little; {trend}", **common)
    return Regime(verdict="power law", evidence=f"{trend}; {share} (plateau from {PLATEAU_RATIO:g}x)", **common)


def _ols_interval(flops: np.ndarray, losses: np.ndarray) -> tuple[float, float] | None:
    """The slope's 95 % interval from least squares (t distribution), when there is no bootstrap."""
    from scipy import stats

    result = stats.linregress(np.log(flops), np.log(losses))
    dof = len(flops) - 2
    if dof < 1 or not np.isfinite(result.stderr):
        return None
    half = stats.t.ppf(0.975, dof) * result.stderr
    return float(result.slope - half), float(result.slope + half)
