"""Grouping runs by compute, and power laws fitted in log-log space.

IsoFLOP sweeps train several model sizes at each of a few budgets: the runs of one budget share
(nearly) one compute. :func:`detect_buckets` finds those groups by the gaps between the runs'
sorted log-compute; :func:`bin_buckets` bins any set of runs into equal widths of log-compute.
"""

from __future__ import annotations

import numpy as np

from ...core.errors import ScaleError

GAP_DECADES = 0.05
"""Runs whose compute differs by more than this (12 %) after sorting start a new budget."""

MAX_SPREAD_DECADES = 0.15
"""A detected budget spanning more than this is not one budget: the runs are no IsoFLOP grid."""


def detect_buckets(flops: np.ndarray) -> list[np.ndarray] | None:
    """Index arrays of runs that share a compute budget, or None when the runs form no grid.

    A grid's budgets are tight and far apart: each spans at most ``MAX_SPREAD_DECADES`` and at
    most half the smallest gap between budgets. Compute spread continuously over a range
    (runs of many sizes and lengths) fails this and is not mistaken for a grid.
    """
    log_c = np.log10(flops)
    order = np.argsort(log_c, kind="stable")
    gaps = np.diff(log_c[order])
    breaks = np.flatnonzero(gaps > GAP_DECADES) + 1
    groups = np.split(order, breaks)
    spread = max(np.ptp(log_c[group]) for group in groups)
    smallest_gap = gaps[breaks - 1].min() if len(breaks) else np.inf
    if spread > MAX_SPREAD_DECADES or spread > smallest_gap / 2:
        return None
    return groups


def bin_buckets(flops: np.ndarray, count: int) -> list[np.ndarray]:
    """``count`` equal-width bins of log-compute (empty bins dropped)."""
    log_c = np.log10(flops)
    edges = np.linspace(log_c.min(), log_c.max(), count + 1)
    which = np.clip(np.searchsorted(edges, log_c, side="right") - 1, 0, count - 1)
    return [np.flatnonzero(which == i) for i in range(count) if np.any(which == i)]


def buckets_for(flops: np.ndarray, count: int | None, method: str) -> list[np.ndarray]:
    """The buckets a method uses: ``count`` bins if given, else the detected budgets."""
    if count is not None:
        if count < 2:
            raise ScaleError(f"--buckets: expected at least 2 compute buckets, got {count}")
        return bin_buckets(flops, count)
    found = detect_buckets(flops)
    if found is None:
        raise ScaleError(
            f"{method}: the runs' compute does not fall into distinct budgets (an IsoFLOP grid): "
            "pass --buckets K to bin it into K ranges of log-compute"
        )
    return found


def power_law(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(k, exponent) of y = k * x^exponent by least squares in log-log space."""
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(intercept)), float(slope)
