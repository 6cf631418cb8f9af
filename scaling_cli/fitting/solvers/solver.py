"""Many fits of L = E + A/N^alpha + B/D^beta at once: one damped Gauss-Newton loop over a batch.

A bootstrap, a set of backtests, a leave-one-budget-out check and the refinement of the best
multi-start points are all the same problem: minimise the objective from a start theta under a
vector of run weights (resampling counts, or 0/1 for the runs a backtest may see). Solving them
one by one with L-BFGS-B costs ~70 Python-level iterations each; here every problem of the batch
takes its Levenberg-Marquardt step in the same numpy operations, so a thousand fits cost about as
much as a few dozen iterations of one.

The step is a Gauss-Newton step H = J^T U J with the exact gradient: for least squares in loss
space plain Gauss-Newton, for Huber the blend of curvatures of ``huber.py``. A step is kept only
if it lowers the objective (otherwise the damping grows), so every problem descends monotonically
to a stationary point of the same objective L-BFGS-B minimises; a parameter on a bound stays
there while the gradient pushes it out (``damped.py``). Starts of one multi-start fit that meet
are merged (``MERGE_DISTANCE``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .damped import damped_trial
from .huber import first_mix, huber_step_weights, next_mix
from .objective import BOUNDS, Objective

LOWER, UPPER = np.array(BOUNDS).T
MAX_ITERATIONS = 200
WARM_ITERATIONS = 100
"""For warm-started refits (bootstrap resamples): they start next to their optimum. At 100 steps,
of 1,000 resamples of the Chinchilla runs and of three seeded synthetic sweeps, at most 1 is
more than 1e-6 above its objective after 1,000 steps, and the 2.5/50/97.5 % points of the
predicted loss at 1e24 FLOPs are unchanged."""
RELATIVE_TOLERANCE = 1e-10
"""Stop a problem when a kept step lowers its objective by less than this fraction."""
MERGE_DISTANCE = 1e-3
"""Starts of one fit (one row of weights) whose thetas share a cell of this width in every
coordinate have reached the same valley: the better one goes on, the others stop where they are.
Most refined starts of a multi-start fit end in one basin; merging them saves 10-15 % of a
refinement of 19 fits x 8 or 24 starts (Chinchilla's runs and seeded synthetic ones) and leaves
each fit's best objective unchanged to 1e-10."""


def _terms(objective: Objective, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """log L_hat and the softmax shares of the three terms, for every theta of the batch (rows)."""
    return objective.terms(thetas)


def _values(objective: Objective, f: np.ndarray, weights: np.ndarray) -> np.ndarray:
    if objective.kind == "huber":
        r = f - objective.log_loss
        clipped = np.clip(r, -objective.delta, objective.delta)
        return np.sum(weights * clipped * (r - 0.5 * clipped), axis=1)
    r = np.exp(f) - objective.loss
    return np.sum(weights * r * r, axis=1)


def _features(objective: Objective) -> dict[str, np.ndarray]:
    """The run features the Gauss-Newton sums need: products of 1, ln N and ln D (computed once)."""
    n, d = objective.log_params, objective.log_tokens
    one = np.ones_like(n)
    return {
        "n": np.column_stack([one, -n, n * n]),
        "d": np.column_stack([one, -d, d * d]),
        "nd": np.column_stack([one, -n, -d, n * d]),
        "n1": np.column_stack([one, -n]),
        "d1": np.column_stack([one, -d]),
    }


def _step_system(
    objective: Objective, terms: Sequence[np.ndarray], weights: np.ndarray, features: dict[str, np.ndarray], mix: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, Gauss-Newton matrix) of every problem, from its cached ``terms``.

    The Jacobian of log L_hat is (s0, s1, s2, -s0 ln N, -s1 ln D): rather than form it per run,
    each entry of J^T U J is a weighted product of two shares summed against a run feature
    (1, ln N, ln D, their products), which is one matrix product per pair of shares.
    """
    f, s0, s1, s2 = terms
    if objective.kind == "huber":
        slope, u = huber_step_weights(f - objective.log_loss, weights, objective.delta, mix)
    else:
        predicted = np.exp(f)
        slope = 2.0 * weights * (predicted - objective.loss) * predicted
        u = 2.0 * weights * predicted * predicted
    g0 = (slope * s0) @ features["n1"]
    g1 = (slope * s1) @ features["d1"]
    us0, us1 = u * s0, u * s1
    h00 = (us0 * s0) @ features["n"]
    h11 = (us1 * s1) @ features["d"]
    h01 = (us0 * s1) @ features["nd"]
    h02 = (us0 * s2) @ features["n1"]
    h12 = (us1 * s2) @ features["d1"]
    gradient = np.column_stack([g0[:, 0], g1[:, 0], np.sum(slope * s2, axis=1), g0[:, 1], g1[:, 1]])
    matrix = np.empty((len(f), 5, 5))
    entries = {
        (0, 0): h00[:, 0],
        (0, 1): h01[:, 0],
        (0, 2): h02[:, 0],
        (0, 3): h00[:, 1],
        (0, 4): h01[:, 2],
        (1, 1): h11[:, 0],
        (1, 2): h12[:, 0],
        (1, 3): h01[:, 1],
        (1, 4): h11[:, 1],
        (2, 2): np.sum(u * s2 * s2, axis=1),
        (2, 3): h02[:, 1],
        (2, 4): h12[:, 1],
        (3, 3): h00[:, 2],
        (3, 4): h01[:, 3],
        (4, 4): h11[:, 2],
    }
    for (i, j), value in entries.items():
        matrix[:, i, j] = matrix[:, j, i] = value
    return gradient, matrix


SOLVE_ELEMENTS = 1_000_000
"""Problems x runs solved at once; larger batches go in chunks, so memory stays near
12 arrays x 8 MB whatever the number of runs or resamples."""


def solve(
    objective: Objective,
    starts: np.ndarray,
    weights: np.ndarray,
    max_iterations: int = MAX_ITERATIONS,
    fits: np.ndarray | None = None,
    fixed_e: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``objective`` from each row of ``starts`` under the matching row of ``weights``.

    ``weights`` is (batch, runs), or one row shared by every start. ``fits`` labels the starts of
    one multi-start fit (same weights): those that meet are merged (``MERGE_DISTANCE``), and only
    the best of each fit is then exact; without it every problem is solved to the end.
    ``fixed_e`` (one value per start): hold e = log E there, a profile over the irreducible loss
    (each problem's box has e's interval shrunk to that value; ``damped.py`` then holds it).
    Returns (thetas, values).
    """
    starts = np.array(starts, dtype=float, ndmin=2)
    weights = np.asarray(weights, dtype=float)
    lower = np.repeat(LOWER[None], len(starts), axis=0)
    upper = np.repeat(UPPER[None], len(starts), axis=0)
    if fixed_e is not None:
        lower[:, 2] = upper[:, 2] = np.broadcast_to(np.asarray(fixed_e, dtype=float), len(starts))
    chunk = max(1, SOLVE_ELEMENTS // max(len(objective.loss), 1))
    if fits is not None:
        # A fit's starts stay in one chunk, so that they can meet.
        per_fit = max(np.bincount(np.asarray(fits)).max(), 1)
        chunk = max(chunk // per_fit, 1) * per_fit
    if len(starts) <= chunk:
        return _solve(objective, starts, weights, max_iterations, fits, (lower, upper))
    parts = [
        _solve(
            objective,
            starts[i : i + chunk],
            weights if weights.ndim == 1 else weights[i : i + chunk],
            max_iterations,
            None if fits is None else np.asarray(fits)[i : i + chunk],
            (lower[i : i + chunk], upper[i : i + chunk]),
        )
        for i in range(0, len(starts), chunk)
    ]
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _merged(theta: np.ndarray, value: np.ndarray, fits: np.ndarray) -> np.ndarray:
    """The problems that share their fit and their ``MERGE_DISTANCE`` cell with a better one."""
    cells = np.floor(theta / MERGE_DISTANCE)
    order = np.lexsort((value, *cells.T[::-1], fits))  # by fit, then cell, then value (best first)
    cells, fits = cells[order], fits[order]
    same = (fits[1:] == fits[:-1]) & np.all(cells[1:] == cells[:-1], axis=1)
    merged = np.zeros(len(theta), dtype=bool)
    merged[order[1:][same]] = True
    return merged


def _solve(
    objective: Objective,
    starts: np.ndarray,
    weights: np.ndarray,
    max_iterations: int,
    fits: np.ndarray | None,
    box: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """One batch (``box``: each problem's lower and upper bounds). The loop works on compact
    arrays of the problems still descending: a finished problem is written back and dropped, so
    the cost follows the problems left, not the batch."""
    thetas = np.clip(np.array(starts, dtype=float, ndmin=2), *box)
    batch = len(thetas)
    all_weights = np.broadcast_to(np.asarray(weights, dtype=float), (batch, len(objective.loss)))
    with np.errstate(all="ignore"):
        terms = list(_terms(objective, thetas))
        values = _values(objective, terms[0], all_weights)
    features = _features(objective)
    index = np.flatnonzero(np.isfinite(values))  # the problems still descending
    theta, value, w = thetas[index], values[index], all_weights[index]
    lower, upper = box[0][index], box[1][index]
    terms = [t[index] for t in terms]
    damping = np.full(len(index), 1e-3)
    mix = first_mix(len(index))
    for _ in range(max_iterations):
        if not len(index):
            break
        with np.errstate(all="ignore"):
            gradient, matrix = _step_system(objective, terms, w, features, mix)
            trial = damped_trial(theta, gradient, matrix, damping, lower, upper)
            trial_terms = _terms(objective, trial)
            trial_values = _values(objective, trial_terms[0], w)
        better = np.isfinite(trial_values) & (trial_values < value)
        gain = np.where(better, value - trial_values, 0.0)
        moved = np.max(np.abs(trial - theta), axis=1)
        # A rejected step whose first-order decrease is already negligible: a stationary point.
        # A negative one is not: the clip into the box turned the step uphill (a bound that the
        # step crossed), and more damping shortens it until it descends again.
        promised = -np.einsum("bk,bk->b", gradient, trial - theta)
        theta[better], value[better] = trial[better], trial_values[better]
        for cached, fresh in zip(terms, trial_terms):
            cached[better] = fresh[better]
        damping = np.where(better, np.maximum(damping / 3.0, 1e-12), damping * 4.0)
        mix = next_mix(mix, better)
        small_gain = better & (gain <= RELATIVE_TOLERANCE * np.abs(value) + 1e-300)
        stalled = (~better) & ((damping > 1e12) | (moved < 1e-12) | ((promised >= 0) & (promised <= RELATIVE_TOLERANCE * np.abs(value))))
        done = small_gain | stalled
        if fits is not None:
            done |= _merged(theta, value, fits[index])
        if done.any():
            thetas[index[done]], values[index[done]] = theta[done], value[done]
            keep = ~done
            index, theta, value, w, damping, mix = index[keep], theta[keep], value[keep], w[keep], damping[keep], mix[keep]
            lower, upper = lower[keep], upper[keep]
            terms = [t[keep] for t in terms]
    thetas[index], values[index] = theta, value
    return thetas, values
