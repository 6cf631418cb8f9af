"""The multi-start search for the minimum of an L(N, D) objective (Hoffmann et al. 2022, Approach 3).

The objective and its parameters theta = (a, b, e, alpha, beta): ``objective.py``.

The search starts from the paper's grid (alpha, beta in 0..2 step 0.5, e in -1..1 step 0.5,
a, b in 0..25 step 5: 4,500 starts), screened all at once (one vectorised evaluation), plus
variable-projection starts: for fixed (alpha, beta) the loss is linear in (E, A, B), which
non-negative least squares solves exactly. The most promising starts are refined together by a
batched damped Gauss-Newton descent (``solver.py``); the best is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...laws.base import Values
from .objective import BOUNDS, HUBER_DELTA, NAMES, REFINE, VARPRO_EXPONENTS, Objective, grid_starts
from .solver import WARM_ITERATIONS, solve

__all__ = [
    "BOUNDS",
    "HUBER_DELTA",
    "NAMES",
    "REFINE",
    "SCREEN_RUNS",
    "SCREEN_SAMPLE",
    "VARPRO_EXPONENTS",
    "Objective",
    "ParametricFit",
    "coefficients",
    "diagnose",
    "fit_many",
    "fit_parametric",
    "grid_starts",
    "optimal",
    "refit",
    "screen",
    "screen_sample",
    "varpro_starts",
]


def varpro_starts(objective: Objective, weights: np.ndarray) -> np.ndarray:
    """For each (alpha, beta) of a grid, the (E, A, B) that non-negative least squares gives.

    With three unknowns, NNLS is the best of the least-squares solutions on the 7 subsets of
    columns whose coefficients are all >= 0 (the NNLS optimum is one of them), solved for all
    900 exponent pairs at once from 3 x 3 normal equations. Their entries are weighted sums of
    1, N^-alpha and D^-beta: a few matrix products over the runs. ``weights`` is one vector of
    run weights (returns (900, 5)) or a matrix of them, one per row (returns (rows, 900, 5)).
    """
    # fmt: off
    w = np.atleast_2d(np.asarray(weights, dtype=float))                 # (m, n)
    y = objective.loss
    na = np.exp(-VARPRO_EXPONENTS[:, None] * objective.log_params)      # (k, n): N^-alpha
    db = np.exp(-VARPRO_EXPONENTS[:, None] * objective.log_tokens)      # (k, n): D^-beta
    k, m = len(VARPRO_EXPONENTS), len(w)
    s0, sy = w.sum(axis=1), w @ y                                       # (m,)
    sa, sb = w @ na.T, w @ db.T                                         # (m, k)
    saa, sbb = w @ (na * na).T, w @ (db * db).T
    say, sby = w @ (na * y).T, w @ (db * y).T
    sab = np.einsum("mn,an,bn->mab", w, na, db, optimize=True)          # (m, k, k)
    # fmt: on
    gram: np.ndarray = np.empty((m, k, k, 3, 3))
    gram[..., 0, 0] = s0[:, None, None]
    gram[..., 0, 1] = gram[..., 1, 0] = sa[:, :, None]
    gram[..., 0, 2] = gram[..., 2, 0] = sb[:, None, :]
    gram[..., 1, 1] = saa[:, :, None]
    gram[..., 2, 2] = sbb[:, None, :]
    gram[..., 1, 2] = gram[..., 2, 1] = sab
    moment: np.ndarray = np.stack(np.broadcast_arrays(sy[:, None, None], say[:, :, None], sby[:, None, :]), axis=-1)
    gram, moment = gram.reshape(-1, 3, 3), moment.reshape(-1, 3)
    norms = np.sqrt(np.maximum(np.diagonal(gram, axis1=1, axis2=2), 1e-300))  # unit-norm columns
    gram = gram / norms[:, :, None] / norms[:, None, :]
    moment = moment / norms
    best_fit, best = np.full(len(gram), -np.inf), np.zeros((len(gram), 3))
    for subset in ((0,), (1,), (2,), (0, 1), (0, 2), (1, 2), (0, 1, 2)):
        cols = list(subset)
        with np.errstate(all="ignore"):
            coef = np.linalg.solve(gram[:, cols][:, :, cols] + 1e-14 * np.eye(len(cols)), moment[:, cols][..., None])[..., 0]
        explained = np.einsum("pk,pk->p", coef, moment[:, cols])  # y'y - residual, at the LS solution
        take = np.all(coef >= 0, axis=1) & np.isfinite(explained) & (explained > best_fit)
        full = np.zeros((len(gram), 3))
        full[:, cols] = coef
        best[take], best_fit[take] = full[take], explained[take]
    e, a, b = (best / norms).T
    alpha, beta = (x.ravel() for x in np.meshgrid(VARPRO_EXPONENTS, VARPRO_EXPONENTS, indexing="ij"))
    starts = np.column_stack([np.log(np.maximum(np.column_stack([a, b, e]), 1e-8)), np.tile(alpha, m), np.tile(beta, m)])
    starts = starts.reshape(m, k * k, 5)
    return starts[0] if np.ndim(weights) == 1 else starts


@dataclass
class ParametricFit:
    theta: np.ndarray
    objective: float
    n_starts: int
    refined: list[tuple[float, np.ndarray]]
    """(objective, theta) of every refined start, best first; a start merged into a better one
    (``solver.MERGE_DISTANCE``) keeps the point where it stopped, within 1e-3 of that one."""
    warnings: list[str]

    @property
    def coefficients(self) -> dict[str, float]:
        return coefficients(self.theta)


def coefficients(theta: Values) -> dict[str, float]:
    a, b, e, alpha, beta = (float(x) for x in theta)
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": alpha, "beta": beta}


SCREEN_RUNS = 2_000
"""Above this many runs, the screen ranks its starts on :data:`SCREEN_SAMPLE` runs and each fit
refines them on a subsample of this many (both stratified over compute, :func:`screen_sample`);
the final refinement always runs on every run. The screen only
picks which starts to refine: on 20,000 seeded runs the optimum's objective equals the full
screen's to 3e-13 (measured; ``tests/test_fit.py`` checks 2,400 runs with the threshold lowered
to 300), and every fit of the shared data (at most 1,746 rows) screens all its runs, unchanged.
Such a fit reports :data:`POLISH` refined starts, not :data:`REFINE`."""
SCREEN_SAMPLE = 500
"""The runs the screen ranks its 5,400 starts on above :data:`SCREEN_RUNS` (12 or so per compute
bin): few enough that their grid terms are computed once and kept (4,500 x 500 numbers), many
enough to rank starts that the refinement then takes to the optimum."""
SCREEN_STRATA = 40
"""Equal-width bins of log compute the subsample draws from evenly, so that a backtest fitted on
the few smallest budgets still has runs in its screen."""
SCREEN_MIN_WEIGHTED = 10
"""A weight vector left with fewer weighted runs than this in the subsample is screened on all."""
POLISH = 4
"""Above :data:`SCREEN_RUNS` runs each fit refines its screened starts on the subsample first,
and only the best few distinct points they reach on every run (:func:`fit_many`)."""
POLISH_DISTINCT = 1e-3
"""Two subsample optima closer than this in every parameter of theta count as one point."""


def screen_sample(objective: Objective, size: int | None = None) -> np.ndarray:
    """Indices of at most ``size`` runs spread over compute: up to ``size / bins`` runs from each
    of :data:`SCREEN_STRATA` equal-width bins of log compute (evenly spaced in model size inside a
    bin), the share of sparse bins passed on to the others. Deterministic: no random draw."""
    size = SCREEN_RUNS if size is None else size
    log_compute = objective.log_params + objective.log_tokens
    low, high = float(log_compute.min()), float(log_compute.max())
    bins = np.minimum(((log_compute - low) / max(high - low, 1e-12) * SCREEN_STRATA).astype(int), SCREEN_STRATA - 1)
    members = [np.flatnonzero(bins == b) for b in range(SCREEN_STRATA)]
    members = [m[np.argsort(objective.log_params[m], kind="stable")] for m in members if len(m)]
    quota, left = size // len(members), size
    chosen: list[np.ndarray] = []
    for m in sorted(members, key=len):  # the sparse bins first: what they cannot fill goes to the rest
        take = min(len(m), max(quota, left // max(len(members) - len(chosen), 1)))
        chosen.append(m[np.unique(np.linspace(0, len(m) - 1, take).round().astype(int))])
        left -= len(chosen[-1])
    return np.sort(np.concatenate(chosen))


def subsample(objective: Objective, weights: np.ndarray, size: int | None = None) -> tuple[Objective, np.ndarray] | None:
    """The objective and weights on :func:`screen_sample`'s ``size`` runs (default
    :data:`SCREEN_RUNS`), when there are more than :data:`SCREEN_RUNS` runs and every weight vector
    keeps enough of its own there; else None. The sample's objective is kept on ``objective``."""
    size = SCREEN_RUNS if size is None else size
    if len(objective.loss) <= SCREEN_RUNS:
        return None
    if size not in objective._samples:
        index = screen_sample(objective, size)
        sample = Objective(objective.log_params[index], objective.log_tokens[index], objective.loss[index], objective.kind)
        objective._samples[size] = (index, sample)
    index, sample = objective._samples[size]
    kept = np.count_nonzero(weights[:, index] > 0, axis=1)
    if not np.all((kept >= SCREEN_MIN_WEIGHTED) | (kept == np.count_nonzero(weights > 0, axis=1))):
        return None
    return sample, weights[:, index]


def screen(objective: Objective, weights: np.ndarray, refine: int = REFINE) -> np.ndarray:
    """The ``refine`` most promising starts for each row of ``weights``: shape (rows, refine, 5).

    The grid (Hoffmann et al. 2022, App. D.2) is screened for every weight vector in one pass
    (one evaluation of the 4,500 starts, then a matrix product with the weights); each weight
    vector adds its own variable-projection starts. Above :data:`SCREEN_RUNS` runs the ranking
    uses a stratified subsample of :data:`SCREEN_SAMPLE` runs (of :data:`SCREEN_RUNS` where a weight
    vector keeps too few of its runs in that one), whose grid terms are computed once.
    """
    weights = np.atleast_2d(weights)
    sampled = subsample(objective, weights, SCREEN_SAMPLE) or subsample(objective, weights)
    return _screen_all(*(sampled or (objective, weights)), refine)


def _screen_all(objective: Objective, weights: np.ndarray, refine: int) -> np.ndarray:
    """:func:`screen` on the runs given."""
    grid = grid_starts()
    screened = objective.grid_values(weights.T).reshape(len(grid), len(weights))
    varpro = varpro_starts(objective, weights)
    chosen = []
    for column, w in enumerate(weights):
        values = np.concatenate([screened[:, column], objective.varpro_values(varpro[column], w)])
        values[~np.isfinite(values)] = np.inf
        chosen.append(np.vstack([grid, varpro[column]])[np.argsort(values, kind="stable")[:refine]])
    return np.array(chosen)


def fit_parametric(objective: Objective, weights: np.ndarray | None = None, refine: int = REFINE) -> ParametricFit:
    """Multi-start fit: screen the grid and the variable-projection starts, refine the best."""
    return fit_many(objective, np.ones_like(objective.loss) if weights is None else weights, refine)[0]


def fit_many(objective: Objective, weights: np.ndarray, refine: int = REFINE, starts: np.ndarray | None = None) -> list[ParametricFit]:
    """One multi-start fit per row of ``weights`` (backtests, leave-one-out fits), refined together.

    ``starts`` (k, 5): refine these for every row instead of screening (the optima of a fit on
    nearly the same runs: see :func:`~scaling_cli.fitting.check.error_model.error_model`)."""
    weights = np.atleast_2d(weights)
    if starts is not None:
        refine = len(starts)
        starts = np.broadcast_to(starts, (len(weights), refine, 5))
    else:
        starts = screen(objective, weights, refine)
        sampled = subsample(objective, weights) if refine > POLISH else None
        if sampled is not None:
            starts, refine = _polish_starts(*sampled, starts), POLISH
    fits = np.repeat(np.arange(len(weights)), refine)
    thetas, values = solve(objective, starts.reshape(-1, 5), np.repeat(weights, refine, axis=0), fits=fits)
    results = []
    for theta_rows, value_rows in zip(thetas.reshape(len(weights), refine, 5), values.reshape(len(weights), refine)):
        order = [i for i in np.argsort(value_rows, kind="stable") if np.isfinite(value_rows[i])]
        refined = [(float(value_rows[i]), theta_rows[i]) for i in order]
        results.append(
            ParametricFit(
                theta=refined[0][1],
                objective=refined[0][0],
                n_starts=len(grid_starts()) + len(VARPRO_EXPONENTS) ** 2,
                refined=refined,
                warnings=diagnose(refined),
            )
        )
    return results


def _polish_starts(sample: Objective, weights: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each fit's screened starts refined on the subsample, and the :data:`POLISH` best distinct
    points they reach (by the subsample's objective): the starts refined on every run. A fit with
    fewer distinct points repeats its best (the solver merges the copies); one whose every start
    failed on the subsample polishes the screen's best starts."""
    rows, refine = starts.shape[:2]
    fits = np.repeat(np.arange(rows), refine)
    thetas, values = solve(sample, starts.reshape(-1, 5), np.repeat(weights, refine, axis=0), fits=fits)
    thetas, values = thetas.reshape(rows, refine, 5), np.where(np.isfinite(values), values, np.inf).reshape(rows, refine)
    polished = np.empty((rows, POLISH, 5))
    for row in range(rows):
        kept: list[np.ndarray] = []
        for i in np.argsort(values[row], kind="stable"):
            if not np.isfinite(values[row, i]) or not np.all(np.isfinite(thetas[row, i])):
                continue
            if len(kept) < POLISH and all(np.max(np.abs(thetas[row, i] - k)) > POLISH_DISTINCT for k in kept):
                kept.append(thetas[row, i])
        if not kept:  # no start reached a finite objective on the subsample: polish the screen's best
            kept = list(starts[row, :POLISH])
        kept += [kept[0]] * (POLISH - len(kept))
        polished[row] = kept
    return polished


def refit(objective: Objective, start: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Warm-started fits, one per row of ``weights`` (one descent from ``start``): the bootstrap."""
    weights = np.atleast_2d(weights)
    return solve(objective, np.repeat(np.atleast_2d(start), len(weights), axis=0), weights, WARM_ITERATIONS)[0]


def diagnose(refined: list[tuple[float, np.ndarray]]) -> list[str]:
    """Warnings about the optimum: on a bound of the search space, or starts that disagree."""
    warnings = []
    value, theta = refined[0]
    for name, x, (low, high) in zip(NAMES, theta, BOUNDS):
        if min(x - low, high - x) < 1e-6 * (high - low):
            shown = {"a": "A", "b": "B", "e": "E"}.get(name, name)
            edge = "lower" if x - low < high - x else "upper"
            warnings.append(f"the fit sits on the {edge} bound of {shown} ({name} = {x:.4g}): the runs do not pin it down")
    # Starts that end in different basins with nearly the same objective make different predictions.
    close = [t for v, t in refined if v <= value * 1.01 + 1e-12]
    exponents = [t[4] / (t[3] + t[4]) for t in close if t[3] + t[4] > 0]
    if exponents and max(exponents) - min(exponents) > 0.02:
        warnings.append(
            f"starts disagree: {len(close)} refined starts end within 1 % of the best objective with allocation "
            f"exponents a from {min(exponents):.3f} to {max(exponents):.3f}"
        )
    return warnings


def optimal(theta: np.ndarray, flops: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(params, tokens, loss) of the compute-optimal model at ``flops``, for one theta or rows of them."""
    from ...laws import chinchilla_optimal

    theta = np.atleast_2d(theta)
    a, b, e, alpha, beta = theta.T
    with np.errstate(all="ignore"):
        params, tokens = chinchilla_optimal(np.exp(a), np.exp(b), alpha, beta, flops)
        loss = np.exp(e) + np.exp(a) / params**alpha + np.exp(b) / tokens**beta
    return params, tokens, loss
