"""A second route to the target: the compute-envelope law L(C) = E + A C^-gamma.

Fitted on the frontier, the best run of each compute budget, it needs no model of how N and D
trade off, only of how the best loss falls with compute: the route users take for far
extrapolation. With E free, three parameters; ``floor`` pins E (a known entropy floor, or
another law's E). The fit profiles E: for each E on a grid below the lowest frontier loss,
log(L - E) is linear in log C, so (A, gamma) are least squares in closed form; the E whose
curve has the least squared error in log loss wins. Bootstrap: runs resampled within each
budget, the frontier re-read, the law refitted. Backtested as the parametric fit is (fit the
budgets up to C_k, predict the frontier above), which gives its own extrapolation error tau.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from pydantic import BaseModel

from ...laws.base import Values
from ..bootstrap import Estimate, PredictedValue, estimate, predicted

GRID = 160
"""E values on the profile grid (log-spaced gaps below the lowest frontier loss, and E = 0)."""


class EnvelopeLaw(BaseModel):
    E: Estimate
    A: Estimate
    gamma: Estimate
    floor_pinned: bool
    n_budgets: int
    extrapolation_per_decade: float
    """Its backtests' systematic error per decade (no parameter variance removed: conservative)."""
    backtest_errors: list[float] = []
    """Median relative error of each backtest's frontier predictions."""


def frontier(
    flops: np.ndarray, loss: np.ndarray, budgets: list[np.ndarray], weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(compute, best loss) of each budget; with ``weights`` (rows of resamples), one frontier per row."""
    rows = np.atleast_2d(np.ones(len(loss)) if weights is None else weights)
    return _frontiers(flops, loss, budgets, len(rows), lambda index: rows[:, index])


def resampled_frontiers(
    flops: np.ndarray, loss: np.ndarray, budgets: list[np.ndarray], count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`frontier` of ``count`` resamples drawn within each budget: the draws of
    ``stratified_weights``, in its order, read one budget at a time, so that memory holds count x
    one budget's runs rather than count x every run (160 MB for 1,000 resamples of 20,000 runs)."""
    return _frontiers(
        flops, loss, budgets, count, lambda index: rng.multinomial(len(index), np.full(len(index), 1.0 / len(index)), size=count)
    )


def _frontiers(
    flops: np.ndarray, loss: np.ndarray, budgets: list[np.ndarray], rows: int, drawn: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's least loss in each budget and its compute, among the runs ``drawn(index)`` gives
    a positive count (rows x the budget's runs), budget by budget."""
    best_c = np.empty((rows, len(budgets)))
    best_l = np.empty((rows, len(budgets)))
    for j, index in enumerate(budgets):
        masked = np.where(drawn(index) > 0, loss[index], np.inf)
        pick = np.argmin(masked, axis=1)
        best_c[:, j] = flops[index][pick]
        best_l[:, j] = masked[np.arange(rows), pick]
    return best_c, best_l


def _profile(log_c: np.ndarray, loss: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row and candidate E: (squared error in log loss, intercept, slope) of the best line."""
    e = candidates[:, :, None]  # (rows, grid, 1)
    with np.errstate(all="ignore"):
        y = np.log(loss[:, None, :] - e)  # (rows, grid, points)
        x = log_c[:, None, :]
        xm, ym = x.mean(axis=2, keepdims=True), y.mean(axis=2, keepdims=True)
        slope = np.sum((x - xm) * (y - ym), axis=2, keepdims=True) / np.sum((x - xm) ** 2, axis=2, keepdims=True)
        intercept = ym - slope * xm
        error = np.sum((np.log(e + np.exp(intercept + slope * x)) - np.log(loss[:, None, :])) ** 2, axis=2)
    error[~np.isfinite(error) | ~(slope[..., 0] < 0)] = np.inf
    return error, intercept[..., 0], slope[..., 0]


def fit_rows(log_c: np.ndarray, loss: np.ndarray, floor: float | None = None) -> np.ndarray:
    """(E, A, gamma) for each row of frontier points (rows: resamples or backtests).

    A coarse grid of E, then a fine one between the best point's neighbours."""
    log_c, loss = np.atleast_2d(log_c), np.atleast_2d(loss)
    rows = np.arange(len(loss))
    if floor is not None:
        candidates = np.full((len(loss), 1), float(floor))
    else:
        gaps = np.concatenate([np.geomspace(1e-4, 1.0, GRID - 1), [1.0]])
        candidates = loss.min(axis=1, keepdims=True) * (1 - gaps[None, :])
        candidates[:, -1] = 0.0
        error, _, _ = _profile(log_c, loss, candidates)
        best = np.argmin(error, axis=1)
        low = candidates[rows, np.minimum(best + 1, GRID - 1)]
        high = candidates[rows, np.maximum(best - 1, 0)]
        candidates = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, 41)[None, :]
    error, intercept, slope = _profile(log_c, loss, candidates)
    best = np.argmin(error, axis=1)
    out = np.column_stack([candidates[rows, best], np.exp(intercept[rows, best]), -slope[rows, best]])
    out[~np.isfinite(error[rows, best])] = np.nan
    return out


def envelope_loss(params: np.ndarray, flops: Values) -> np.ndarray:
    """L(C) for rows of (E, A, gamma)."""
    params = np.atleast_2d(params)
    return params[:, 0] + params[:, 1] * np.asarray(flops, dtype=float) ** -params[:, 2]


def fit_envelope_law(
    flops: np.ndarray,
    loss: np.ndarray,
    budgets: list[np.ndarray],
    bootstrap: int,
    rng: np.random.Generator,
    scatter_sd: float,
    floor: float | None = None,
) -> tuple[EnvelopeLaw, np.ndarray, np.ndarray | None] | None:
    """(EnvelopeLaw, point parameters, bootstrap parameters or None); None with under 3 budgets."""
    if len(budgets) < 3:
        return None
    best_c, best_l = frontier(flops, loss, budgets)
    point = fit_rows(np.log(best_c), best_l, floor)[0]
    if not np.all(np.isfinite(point)):
        return None
    samples = None
    if bootstrap:
        c, frontier_loss = resampled_frontiers(flops, loss, budgets, bootstrap, rng)
        samples = fit_rows(np.log(c), frontier_loss, floor)
        samples = samples[np.all(np.isfinite(samples), axis=1)]
    tau, medians = _backtests(np.log(best_c[0]), best_l[0], scatter_sd, floor)
    pick = (lambda i: None) if samples is None else (lambda i: samples[:, i])
    law = EnvelopeLaw(
        E=estimate(float(point[0]), pick(0)),
        A=estimate(float(point[1]), pick(1)),
        gamma=estimate(float(point[2]), pick(2)),
        floor_pinned=floor is not None,
        n_budgets=len(budgets),
        extrapolation_per_decade=tau,
        backtest_errors=medians,
    )
    return law, point, samples


def _backtests(log_c: np.ndarray, loss: np.ndarray, scatter_sd: float, floor: float | None) -> tuple[float, list[float]]:
    errors, decades, medians = [], [], []
    for k in range(3, len(loss)):  # fit the first k frontier points (>= 3), predict the rest
        fitted = fit_rows(log_c[:k], loss[:k], floor)[0]
        if not np.all(np.isfinite(fitted)):
            continue
        e = np.log(envelope_loss(fitted, np.exp(log_c[k:]))) - np.log(loss[k:])
        errors.extend(e.tolist())
        decades.extend(((log_c[k:] - log_c[k - 1]) / np.log(10)).tolist())
        medians.append(float(np.expm1(np.median(e))))
    if not errors:
        return 0.0, medians
    e, x = np.array(errors), np.array(decades)
    return float(np.sqrt(max(0.0, np.sum(e * e - scatter_sd**2) / np.sum(x * x)))), medians


def envelope_predictions(
    law: EnvelopeLaw,
    point: np.ndarray,
    samples: np.ndarray | None,
    targets: list[float],
    fitted_max: float,
    scatter: np.ndarray,
    rngs: Sequence[np.random.Generator],
) -> list[PredictedValue]:
    """The envelope law's loss at each target, with prediction intervals (bootstrap + scatter + its tau)."""
    out = []
    for flops, rng in zip(targets, rngs):
        value = float(envelope_loss(point, flops)[0])
        if samples is None or not len(samples):
            out.append(PredictedValue(value=value))
            continue
        decades = max(np.log10(flops / fitted_max), 0.0)
        draws = (
            np.log(envelope_loss(samples, flops))
            + rng.choice(scatter, size=len(samples))
            + law.extrapolation_per_decade * decades * rng.standard_normal(len(samples))
        )
        out.append(predicted(value, np.exp(draws)))
    return out
