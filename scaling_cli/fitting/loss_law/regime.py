"""Which phase of a scaling curve the largest runs are in, with the numbers behind the verdict.

The field names three phases (Hestness et al. 2017, "Deep Learning Scaling is Predictable,
Empirically"): a small-data region where loss barely moves with scale, the power-law region,
and an irreducible-error region where the loss nears what data and architecture allow. From the
runs' compute frontier (the lowest loss in each compute bucket):

* ``no trend`` (phase "cold start"): the frontier's compute exponent (slope of log loss against
  log compute) has a 95 % interval that reaches zero: across these runs, more compute has not
  lowered the loss.
* ``plateau``: the marginal return, the loss the next 10x of compute buys on the fitted frontier
  from the largest runs' compute, is too small to measure from these runs: the upper end of its
  95 % interval is below the run-to-run scatter (the out-of-sample noise of one run's loss).
* ``power law`` (phase "scaling"): neither; the regime in which extrapolating a fitted law is sound.

A level (E against the reducible loss) is not a marginal return: E is the least identified
constant, and a large E with a reducible loss still falling as C^-0.18 is scaling, not a plateau.
The ratio is still reported, as information.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from ...core.units import format_sci
from ...laws.base import Values
from ..bootstrap import Estimate, estimate, interval
from ..runs.buckets import bin_buckets, detect_buckets
from ..runs.runs import Runs

PHASES = {"no trend": "cold start", "power law": "scaling", "plateau": "plateau", "not assessed": "not assessed"}


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
    marginal_return_per_decade: Estimate | None = None
    """Loss the next 10x of compute buys on the fitted frontier from the largest runs' compute."""
    phase: str = "not assessed"
    """'cold start', 'scaling', 'plateau' or 'not assessed'."""


def regime_buckets(runs: Runs) -> list[np.ndarray]:
    """The detected compute budgets, or bins of log-compute when the runs form no grid."""
    found = detect_buckets(runs.flops)
    if found is not None and len(found) >= 3:
        return found
    return bin_buckets(runs.flops, int(np.clip(round(len(runs) / 10), 3, 12)))


def frontier_slope(runs: Runs, buckets: list[np.ndarray], weights: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(slope of log min-loss against log compute, the frontier's compute, its losses)."""
    flops_at: list[float] = []
    losses_at: list[float] = []
    for index in buckets:
        if weights is not None:
            index = index[weights[index] > 0]
        if len(index):
            best = index[np.argmin(runs.loss[index])]
            flops_at.append(runs.flops[best])
            losses_at.append(runs.loss[best])
    flops, losses = np.array(flops_at), np.array(losses_at)
    if len(flops) < 3:
        return np.nan, flops, losses
    return float(np.polyfit(np.log(flops), np.log(losses), 1)[0]), flops, losses


def frontier_slopes(runs: Runs, buckets: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """:func:`frontier_slope` for every row of ``weights`` (bootstrap resamples) at once: each
    bucket's least loss among the runs a resample draws, then the least-squares slope of log loss
    on log compute over the buckets it reaches (NaN where fewer than 3)."""
    weights = np.atleast_2d(weights)
    x = np.full((len(weights), len(buckets)), np.nan)
    y = np.full_like(x, np.nan)
    for column, index in enumerate(buckets):
        drawn = np.where(weights[:, index] > 0, runs.loss[index], np.inf)
        best = np.argmin(drawn, axis=1)
        reached = np.isfinite(drawn[np.arange(len(weights)), best])
        x[reached, column] = np.log(runs.flops[index][best[reached]])
        y[reached, column] = np.log(runs.loss[index][best[reached]])
    count = np.sum(np.isfinite(x), axis=1)
    with np.errstate(all="ignore"):
        dx = x - np.nanmean(x, axis=1, keepdims=True)
        dy = y - np.nanmean(y, axis=1, keepdims=True)
        slopes = np.nansum(dx * dy, axis=1) / np.nansum(dx * dx, axis=1)
    return np.where(count >= 3, slopes, np.nan)


def diagnose_regime(
    runs: Runs,
    buckets: list[np.ndarray],
    slope_samples: np.ndarray | None,
    irreducible: float | None = None,
    reducible: float | None = None,
    marginal: Estimate | None = None,
    resolution: float | None = None,
) -> Regime:
    """The phase of the largest runs. ``marginal`` is the loss the next decade of compute buys
    (with its interval); ``resolution`` the smallest loss change these runs can measure."""
    slope, flops, losses = frontier_slope(runs, buckets)
    points = [FrontierPoint(flops=float(c), loss=float(value)) for c, value in zip(flops, losses)]
    if not np.isfinite(slope):
        return Regime(verdict="not assessed", evidence="fewer than 3 compute levels: no frontier to read", frontier=points)
    ci95 = interval(slope_samples, 95.0) if slope_samples is not None else _ols_interval(flops, losses)
    exponent = estimate(slope, slope_samples) if slope_samples is not None else Estimate(value=slope, ci95=ci95)
    span = f"[{ci95[0]:.3f}, {ci95[1]:.3f}]" if ci95 else "unknown"
    trend = (
        f"the frontier's loss scales as C^{slope:.3f} (95 % interval {span}) over "
        f"{len(points)} compute levels from {format_sci(flops.min())} to {format_sci(flops.max())} FLOPs"
    )
    if marginal is None:
        # No loss form: the frontier's own power law says what the next decade buys.
        def gain(s: Values) -> Values:
            return losses[-1] * (1 - 10.0 ** np.asarray(s))

        marginal = estimate(float(gain(slope)), None if slope_samples is None else gain(slope_samples))
    common = dict(
        frontier_exponent=exponent,
        irreducible_loss=irreducible,
        reducible_loss=reducible,
        frontier=points,
        marginal_return_per_decade=marginal,
    )
    if ci95 is None or ci95[1] >= 0:
        return Regime(
            verdict="no trend",
            phase="cold start",
            evidence=f"{trend}: the interval reaches zero, so more compute has not reliably lowered the loss",
            **common,
        )
    top = f"{format_sci(flops.max())} FLOPs"
    bought = f"the next 10x of compute from {top} buys {marginal.value:.4f} nats" + (
        f" (95 % interval [{marginal.ci95[0]:.4f}, {marginal.ci95[1]:.4f}])" if marginal.ci95 else ""
    )
    level = ""
    if irreducible is not None and reducible is not None and reducible > 0:
        level = f"; E = {irreducible:.3f} against a reducible {reducible:.3f} (a level, not a return)"
    upper = marginal.ci95[1] if marginal.ci95 else marginal.value
    if resolution is not None and upper is not None and upper < resolution:
        return Regime(
            verdict="plateau",
            phase="plateau",
            evidence=(
                f"{bought}, less than the {resolution:.4f} nats these runs resolve (their out-of-sample "
                f"scatter): returns too small to measure from these runs; {trend}{level}"
            ),
            **common,
        )
    return Regime(verdict="power law", phase="scaling", evidence=f"{trend}; {bought}{level}", **common)


T975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)
"""97.5th percentiles of Student's t for 1-30 degrees of freedom (any statistics table)."""


def t975(dof: int) -> float:
    """Student's t 97.5th percentile: the table, then the Cornish-Fisher expansion (error < 1e-3)."""
    if dof <= len(T975):
        return T975[dof - 1]
    z = 1.959964
    return z + (z**3 + z) / (4 * dof) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * dof**2)


def _ols_interval(flops: np.ndarray, losses: np.ndarray) -> tuple[float, float] | None:
    """The slope's 95 % interval from least squares (t distribution), when there is no bootstrap."""
    x, y = np.log(flops), np.log(losses)
    dof = len(x) - 2
    if dof < 1:
        return None
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    spread = np.sum((x - x.mean()) ** 2)
    stderr = float(np.sqrt(np.sum(residual**2) / dof / spread)) if spread > 0 else np.inf
    if not np.isfinite(stderr):
        return None
    half = t975(dof) * stderr
    return float(slope - half), float(slope + half)
