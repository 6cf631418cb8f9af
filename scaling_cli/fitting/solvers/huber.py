"""The Gauss-Newton weights of a Huber objective, shared by both batched solvers.

For sum_i w_i Huber_delta(r_i), the gradient is J^T (w psi(r)) with psi(r) = clip(r, -delta,
delta), and a Gauss-Newton matrix is J^T U J for some per-run curvature U. Two choices:

* the half-quadratic weight u = w min(1, delta/|r|) majorises the loss: every step descends, but
  runs outside the quadratic zone (most of them when the scatter is well above delta = 1e-3)
  keep the step short, and the fit creeps in linearly (the iteratively reweighted M-estimator);
* the loss's own curvature, w inside the zone and 0 outside: Gauss-Newton proper, which takes
  far fewer steps when its model holds and overshoots when it does not.

Each problem blends them, u = w max(inside, mix · min(1, delta/|r|)): ``mix`` starts at
``CURVATURE_MIX``, quadruples after a rejected step (up to 1, the plain majoriser) and halves
after a kept one. The solvers keep a step only if it lowers the objective, so the blend changes
how fast a fit gets there, not where it can end.
"""

from __future__ import annotations

import numpy as np

CURVATURE_MIX = 0.1
"""The least share of the majoriser in a Huber step. On the 240 Chinchilla runs the held-out
fits and the bootstrap take about a third of the steps of the plain majoriser and end at the
same or a lower objective (``bench/speed.py``; ``tests/test_fit.py`` checks both)."""


def huber_step_weights(r: np.ndarray, weights: np.ndarray, delta: float, mix: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(slope w psi(r), curvature u) of every run of every problem (rows); ``mix`` is one per row,
    or None for the plain majoriser."""
    majoriser = delta / np.maximum(np.abs(r), delta)  # min(1, delta/|r|): 1 inside the zone
    slope = weights * np.clip(r, -delta, delta)
    if mix is None:
        return slope, weights * majoriser
    return slope, weights * np.maximum(majoriser == 1.0, mix[:, None] * majoriser)


def next_mix(mix: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Each problem's share after its step: halved when kept (down to ``CURVATURE_MIX``), four
    times when rejected (up to 1)."""
    return np.where(kept, np.maximum(mix / 2.0, CURVATURE_MIX), np.minimum(mix * 4.0, 1.0))


def first_mix(count: int) -> np.ndarray:
    """Every problem's share at its first step (``CURVATURE_MIX``, read when called)."""
    return np.full(count, CURVATURE_MIX)
