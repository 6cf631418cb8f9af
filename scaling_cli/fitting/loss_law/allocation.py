"""Allocation laws fitted from per-budget optima (Hoffmann et al. 2022, Approaches 1 and 2).

* ``isoflop`` (Approach 2): within each compute budget, a parabola of loss against log N; its
  vertex is that budget's optimal size (D_opt = C / (6 N_opt)). Then N_opt = k·C^a and
  D_opt = k'·C^b across budgets, by least squares in log-log space.

  A parabola through *all* of a budget's runs assumes the profile is symmetric in log N; real
  profiles are not (long warmups and untuned schedules hurt the small, long-trained runs more),
  and the vertex, and the exponent with it, is biased (Czech et al. 2026, arXiv:2603.22339).
  The default vertex (``local``) is a parabola through the best run and its ``LOCAL_NEIGHBOURS``
  nearest sizes on each side only, where a quadratic is a good local model whatever the
  profile's shape far away; ``parabola`` is the paper's, for reproducing published fits. A
  budget whose best run is its smallest or largest size has its minimum outside the sizes tried:
  it is dropped, with a warning (Porian et al. 2024, arXiv:2406.19146, do the same).
* ``envelope`` (Approach 1): at each compute level, the run with the lowest loss. The paper
  takes the envelope of whole training curves; from final losses alone, each run is one point
  of its curve, so the envelope is the best run of each compute bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.compute import FLOPS_PER_PARAM_TOKEN
from ..runs.buckets import power_law
from ..runs.runs import Runs
from .result import Bucket


@dataclass(frozen=True)
class AllocationFit:
    optima: list[Bucket]
    k_params: float
    a: float
    k_tokens: float
    b: float
    skipped: list[str]
    """Why buckets were left out (too few sizes, a concave profile, a vertex out of range)."""


VERTICES = ("local", "parabola")
LOCAL_NEIGHBOURS = 2
"""Sizes on each side of the best run that the local parabola uses."""


def isoflop_optimum(runs: Runs, index: np.ndarray, weights: np.ndarray | None = None, vertex: str = "local") -> Bucket | str:
    """The vertex of a parabola of loss against log N over one budget's runs, or why there is none."""
    if weights is not None:
        index = index[weights[index] > 0]
    log_n = np.log(runs.params[index])
    flops = float(np.median(runs.flops[index]))  # exact when the runs share one budget
    where = f"budget {flops:.3g} FLOPs"
    sizes = np.unique(log_n)
    if len(sizes) < 3:
        return f"{where}: fewer than 3 model sizes"
    best_size = log_n[np.argmin(runs.loss[index])]
    if best_size in (sizes[0], sizes[-1]):
        edge = "smallest" if best_size == sizes[0] else "largest"
        return f"{where}: the best run is the {edge} size tried, so the minimum lies outside the sweep (dropped)"
    if vertex == "local":
        position = int(np.searchsorted(sizes, best_size))
        window = sizes[max(position - LOCAL_NEIGHBOURS, 0) : position + LOCAL_NEIGHBOURS + 1]
        keep = (log_n >= window[0]) & (log_n <= window[-1])
        index, log_n = index[keep], log_n[keep]
    w = None if weights is None else np.sqrt(weights[index])
    c2, c1, c0 = np.polyfit(log_n, runs.loss[index], 2, w=w)
    if not c2 > 0:
        return f"{where}: the loss profile is not convex (no minimum)"
    log_optimum = float(-c1 / (2 * c2))
    if not log_n.min() <= log_optimum <= log_n.max():
        return f"{where}: the minimum lies outside the model sizes tried"
    params = float(np.exp(log_optimum))
    return Bucket(
        flops=flops,
        params=params,
        tokens=flops / (FLOPS_PER_PARAM_TOKEN * params),
        loss=float(c0 + c1 * log_optimum + c2 * log_optimum**2),
        n_runs=len(index),
        parabola=(float(c0), float(c1), float(c2)),
    )


def envelope_optimum(runs: Runs, index: np.ndarray, weights: np.ndarray | None = None, vertex: str = "local") -> Bucket | str:
    """The run with the lowest loss in one compute bucket."""
    if weights is not None:
        index = index[weights[index] > 0]
    if len(index) == 0:
        return "an empty bucket"
    best = index[np.argmin(runs.loss[index])]
    return Bucket(
        flops=float(runs.flops[best]),
        params=float(runs.params[best]),
        tokens=float(runs.tokens[best]),
        loss=float(runs.loss[best]),
        n_runs=len(index),
    )


OPTIMUM = {"isoflop": isoflop_optimum, "envelope": envelope_optimum}


def fit_allocation(
    runs: Runs, buckets: list[np.ndarray], method: str, weights: np.ndarray | None = None, vertex: str = "local"
) -> AllocationFit | None:
    """Per-bucket optima and the power laws through them; None with fewer than 2 optima."""
    optima: list[Bucket] = []
    skipped: list[str] = []
    for index in buckets:
        found = OPTIMUM[method](runs, index, weights, vertex)
        if isinstance(found, Bucket):
            optima.append(found)
        else:
            skipped.append(found)
    if len({o.flops for o in optima}) < 2:
        return None
    flops = np.array([o.flops for o in optima])
    k_params, a = power_law(flops, np.array([o.params for o in optima]))
    k_tokens, b = power_law(flops, np.array([o.tokens for o in optima]))
    return AllocationFit(optima=optima, k_params=k_params, a=a, k_tokens=k_tokens, b=b, skipped=skipped)
