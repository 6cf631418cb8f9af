"""Fitting L(N, D) = E + A/N^alpha + B/D^beta to final losses (Hoffmann et al. 2022, Approach 3).

Parameters are theta = (a, b, e, alpha, beta) with A = e^a, B = e^b, E = e^e, so that

    log L_hat = LSE(a - alpha log N, b - beta log D, e)           (log-sum-exp of three terms)

Two objectives:

* ``huber`` (the paper's, App. D.2): sum_i Huber_delta(log L_hat_i - log L_i), delta = 1e-3,
  summed over runs (not averaged: Besiroglu et al. 2024 show averaging stops L-BFGS early).
* ``lsq``: sum_i (L_hat_i - L_i)^2, ordinary least squares in loss space (the objective of
  Open-Athena's VPNLS and apple/ml-scalefit ``mse``).

The search starts from the paper's grid (alpha, beta in 0..2 step 0.5, e in -1..1 step 0.5,
a, b in 0..25 step 5: 4,500 starts), screened all at once (one vectorised evaluation), plus
variable-projection starts: for fixed (alpha, beta) the loss is linear in (E, A, B), which
non-negative least squares solves exactly. The most promising starts are refined together by a
batched damped Gauss-Newton descent (``solver.py``); the best is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

import numpy as np

HUBER_DELTA = 1e-3
NAMES = ("a", "b", "e", "alpha", "beta")

GRID = {  # Hoffmann et al. 2022, App. D.2
    "a": np.arange(0.0, 25.1, 5.0),
    "b": np.arange(0.0, 25.1, 5.0),
    "e": np.arange(-1.0, 1.01, 0.5),
    "alpha": np.arange(0.0, 2.01, 0.5),
    "beta": np.arange(0.0, 2.01, 0.5),
}
VARPRO_EXPONENTS = np.arange(0.05, 1.501, 0.05)
"""The (alpha, beta) grid of the variable-projection starts."""

BOUNDS = ((-20.0, 60.0), (-20.0, 60.0), (-20.0, 5.0), (0.0, 5.0), (0.0, 5.0))
"""The search space: A, B in [2e-9, 1e26], E in [2e-9, 148] nats, alpha and beta in [0, 5]."""

REFINE = 24
"""How many of the screened starts are refined."""

SCREEN_ELEMENTS = 2_500_000
"""Elements per array in one chunk of the screen (20 MB of float64); the grid's per-run terms
are kept between screens when they fit in this (up to ~550 runs)."""


@dataclass
class Objective:
    """The fit objective on a set of runs; ``weights`` (resampling counts) default to ones."""

    log_params: np.ndarray
    log_tokens: np.ndarray
    loss: np.ndarray
    kind: str = "huber"
    delta: float = HUBER_DELTA
    log_loss: np.ndarray = field(init=False)
    _grid_terms: np.ndarray | None = field(init=False, default=None, repr=False)
    _varpro_powers: tuple[np.ndarray, np.ndarray] | None = field(init=False, default=None, repr=False)
    _log_design: tuple[np.ndarray, np.ndarray] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in ("huber", "lsq"):
            raise ValueError(f"unknown loss {self.kind!r}: expected huber or lsq")
        self.log_loss = np.log(self.loss)
        if min(self.log_params.min(initial=0.0), self.log_tokens.min(initial=0.0)) >= 0.0:
            # (1, -ln N) and (1, -ln D): rows of theta (a, alpha) and (b, beta) times these are the exponents.
            self._log_design = (np.vstack([np.ones_like(self.log_params), -self.log_params]),
                                np.vstack([np.ones_like(self.log_tokens), -self.log_tokens]))

    def predict_log_many(self, thetas: np.ndarray, log_params=None, log_tokens=None) -> np.ndarray:
        """log L_hat for each row of ``thetas`` (bootstrap replicates): shape (rows, points)."""
        columns = np.atleast_2d(thetas).T[:, :, None]
        lp = self.log_params if log_params is None else np.atleast_1d(log_params)
        lt = self.log_tokens if log_tokens is None else np.atleast_1d(log_tokens)
        return self.predict_log(columns, lp, lt)

    def terms(self, thetas: np.ndarray):
        """log L_hat and the softmax shares of its three terms, for each theta (rows): (thetas, runs) each.

        The solver's inner loop. With N, D >= 1, alpha, beta >= 0 and a, b, e inside +-600 (the
        search space is far inside), every term exp(a - alpha ln N), exp(b - beta ln D), exp(e)
        is a finite float64 and exp(e) > 0, so the plain sum needs no max shift: the exponents
        are two small matrix products and the shares one reciprocal (1.6x faster than the
        shifted log-sum-exp on 152 thetas x 240 runs, which stays for anything outside)."""
        thetas = np.atleast_2d(thetas)
        if self._log_design is not None and np.all(np.abs(thetas[:, :3]) < 600.0) and np.all(thetas[:, 3:] >= 0.0):
            n_design, d_design = self._log_design
            x0, x1 = np.exp(thetas[:, [0, 3]] @ n_design), np.exp(thetas[:, [1, 4]] @ d_design)
            x2 = np.exp(thetas[:, [2]])
            total = x0 + x1 + x2
            inverse = 1.0 / total
            return np.log(total), x0 * inverse, x1 * inverse, x2 * inverse
        a, b, e, alpha, beta = (thetas[:, [i]] for i in range(5))
        t0 = a - alpha * self.log_params
        t1 = b - beta * self.log_tokens
        top = np.maximum(np.maximum(t0, t1), e)
        x0, x1, x2 = np.exp(t0 - top), np.exp(t1 - top), np.exp(e - top)
        total = x0 + x1 + x2
        return top + np.log(total), x0 / total, x1 / total, x2 / total

    def _terms(self, theta):
        return tuple(part[0] for part in self.terms(theta))

    def predict_log(self, theta, log_params=None, log_tokens=None) -> np.ndarray:
        """log L_hat at the runs (or at other log params / log tokens), for one theta."""
        a, b, e, alpha, beta = theta
        lp = self.log_params if log_params is None else log_params
        lt = self.log_tokens if log_tokens is None else log_tokens
        return np.logaddexp(np.logaddexp(a - alpha * lp, b - beta * lt), e)

    def value_and_grad(self, theta: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
        """The objective and its exact gradient in theta, for one theta (the reference that the
        batched solver's gradient is tested against, and the form scipy's optimisers take)."""
        f, s0, s1, s2 = self._terms(theta)
        if self.kind == "huber":
            r = f - self.log_loss
            clipped = np.clip(r, -self.delta, self.delta)
            value = weights @ (clipped * (r - 0.5 * clipped))  # Huber: r^2/2 inside, delta(|r| - delta/2) out
            slope = weights * clipped  # d Huber / d r
        else:
            predicted = np.exp(f)
            r = predicted - self.loss
            value = weights @ (r * r)
            slope = 2.0 * weights * r * predicted  # d r^2 / d f
        grad = np.array([
            slope @ s0,
            slope @ s1,
            slope @ s2,
            -(slope * s0) @ self.log_params,
            -(slope * s1) @ self.log_tokens,
        ])
        return float(value), grad

    def values(self, thetas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The objective at many thetas at once (rows of ``thetas``): the cheap screen.

        ``weights`` is one vector of run weights, or a (runs, k) matrix of k of them. Thetas are
        taken in chunks so that memory stays bounded (~``SCREEN_ELEMENTS`` per array) whatever
        the number of runs."""
        chunk = max(1, SCREEN_ELEMENTS // max(len(self.loss), 1))
        return np.concatenate([self._values(thetas[i:i + chunk], weights) for i in range(0, len(thetas), chunk)])

    def _values(self, thetas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return self._per_run(thetas) @ weights

    def _per_run(self, thetas: np.ndarray) -> np.ndarray:
        """Each run's term of the objective at each theta: (thetas, runs)."""
        a, b, e, alpha, beta = (thetas[:, [i]] for i in range(5))
        return self._term(np.logaddexp(np.logaddexp(a - alpha * self.log_params, b - beta * self.log_tokens), e))

    def _grid_per_run(self) -> np.ndarray:
        """:meth:`_per_run` at every grid start, from the grid's product structure: exp(a - alpha
        log N) takes 30 (a, alpha) pairs, exp(b - beta log D) 30, exp(e) 5, so one sum and one log
        per element replace two log-add-exps (about 3x faster). On the grid each term lies between
        exp(-2 log N) and exp(25), inside float64's range for any N and D under 1e150 (else the
        log-add-exp path), so the plain sum loses nothing."""
        if max(self.log_params.max(), self.log_tokens.max()) > 345.0:
            return self._per_run(grid_starts())
        g = {name: np.asarray(values) for name, values in GRID.items()}
        n = len(self.loss)
        first = np.exp(g["a"][:, None, None] - g["alpha"][None, :, None] * self.log_params)   # (a, alpha, runs)
        second = np.exp(g["b"][:, None, None] - g["beta"][None, :, None] * self.log_tokens)   # (b, beta, runs)
        total = (first[:, None, None, :, None, :] + second[None, :, None, None, :, :]
                 + np.exp(g["e"])[None, None, :, None, None, None])                          # (a, b, e, alpha, beta, runs)
        return self._term(np.log(total).reshape(-1, n))  # grid_starts' order: product(a, b, e, alpha, beta)

    def varpro_values(self, starts: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The objective at one weight vector's variable-projection starts (:func:`varpro_starts`'
        order, alpha-major): E + A·N^-alpha + B·D^-beta from the 30 powers of N and of D, one log
        per element instead of two log-add-exps. The starts' A, B, E are >= 1e-8 and finite."""
        k = len(VARPRO_EXPONENTS)
        if self._varpro_powers is None:
            self._varpro_powers = (np.exp(-VARPRO_EXPONENTS[:, None] * self.log_params), np.exp(-VARPRO_EXPONENTS[:, None] * self.log_tokens))
        na, db = self._varpro_powers
        a, b, e = (np.exp(starts[:, i]).reshape(k, k, 1) for i in range(3))
        total = a * na[:, None, :] + b * db[None, :, :] + e
        return self._term(np.log(total).reshape(k * k, -1)) @ weights

    def _term(self, f: np.ndarray) -> np.ndarray:
        if self.kind == "huber":
            r = f - self.log_loss
            clipped = np.clip(r, -self.delta, self.delta)
            return clipped * (r - 0.5 * clipped)
        r = np.exp(f) - self.loss
        return r * r

    def grid_values(self, weights: np.ndarray) -> np.ndarray:
        """The objective at every grid start, for a weight vector or a (runs, k) matrix of them.

        The per-run terms do not depend on the weights: kept after the first call (when they fit
        in ``SCREEN_ELEMENTS``), so backtests, leave-one-out fits and the main fit screen once."""
        grid = grid_starts()
        if len(grid) * len(self.loss) > SCREEN_ELEMENTS:
            return self.values(grid, weights)
        if self._grid_terms is None:
            self._grid_terms = self._grid_per_run()
        return self._grid_terms @ weights


@lru_cache(maxsize=1)
def grid_starts() -> np.ndarray:
    """The 4,500 starts of Hoffmann et al. 2022, App. D.2, as rows of theta (read-only)."""
    grid = np.array(list(product(GRID["a"], GRID["b"], GRID["e"], GRID["alpha"], GRID["beta"])))
    grid.flags.writeable = False
    return grid


def varpro_starts(objective: Objective, weights: np.ndarray) -> np.ndarray:
    """For each (alpha, beta) of a grid, the (E, A, B) that non-negative least squares gives.

    With three unknowns, NNLS is the best of the least-squares solutions on the 7 subsets of
    columns whose coefficients are all >= 0 (the NNLS optimum is one of them), solved for all
    900 exponent pairs at once from 3 x 3 normal equations. Their entries are weighted sums of
    1, N^-alpha and D^-beta: a few matrix products over the runs. ``weights`` is one vector of
    run weights (returns (900, 5)) or a matrix of them, one per row (returns (rows, 900, 5)).
    """
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
    gram = np.empty((m, k, k, 3, 3))
    gram[..., 0, 0] = s0[:, None, None]
    gram[..., 0, 1] = gram[..., 1, 0] = sa[:, :, None]
    gram[..., 0, 2] = gram[..., 2, 0] = sb[:, None, :]
    gram[..., 1, 1] = saa[:, :, None]
    gram[..., 2, 2] = sbb[:, None, :]
    gram[..., 1, 2] = gram[..., 2, 1] = sab
    moment = np.stack(np.broadcast_arrays(sy[:, None, None], say[:, :, None], sby[:, None, :]), axis=-1)
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


def coefficients(theta) -> dict[str, float]:
    a, b, e, alpha, beta = (float(x) for x in theta)
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": alpha, "beta": beta}


def screen(objective: Objective, weights: np.ndarray, refine: int = REFINE) -> np.ndarray:
    """The ``refine`` most promising starts for each row of ``weights``: shape (rows, refine, 5).

    The grid (Hoffmann et al. 2022, App. D.2) is screened for every weight vector in one pass
    (one evaluation of the 4,500 starts, then a matrix product with the weights); each weight
    vector adds its own variable-projection starts.
    """
    weights = np.atleast_2d(weights)
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


def fit_many(objective: Objective, weights: np.ndarray, refine: int = REFINE) -> list[ParametricFit]:
    """One multi-start fit per row of ``weights`` (backtests, leave-one-out fits), refined together."""
    from .solver import solve

    weights = np.atleast_2d(weights)
    starts = screen(objective, weights, refine)
    fits = np.repeat(np.arange(len(weights)), refine)
    thetas, values = solve(objective, starts.reshape(-1, 5), np.repeat(weights, refine, axis=0), fits=fits)
    results = []
    for theta_rows, value_rows in zip(thetas.reshape(len(weights), refine, 5), values.reshape(len(weights), refine)):
        order = [i for i in np.argsort(value_rows, kind="stable") if np.isfinite(value_rows[i])]
        refined = [(float(value_rows[i]), theta_rows[i]) for i in order]
        results.append(ParametricFit(
            theta=refined[0][1], objective=refined[0][0], n_starts=len(grid_starts()) + len(VARPRO_EXPONENTS) ** 2,
            refined=refined, warnings=diagnose(refined),
        ))
    return results


def refit(objective: Objective, start: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Warm-started fits, one per row of ``weights`` (one descent from ``start``): the bootstrap."""
    from .solver import WARM_ITERATIONS, solve

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
            warnings.append(
                f"the fit sits on the {edge} bound of {shown} ({name} = {x:.4g}): the runs do not pin it down"
            )
    # Starts that end in different basins with nearly the same objective make different predictions.
    close = [t for v, t in refined if v <= value * 1.01 + 1e-12]
    exponents = [t[4] / (t[3] + t[4]) for t in close if t[3] + t[4] > 0]
    if exponents and max(exponents) - min(exponents) > 0.02:
        warnings.append(
            f"starts disagree: {len(close)} refined starts end within 1 % of the best objective with allocation "
            f"exponents a from {min(exponents):.3f} to {max(exponents):.3f}"
        )
    return warnings


def optimal(theta: np.ndarray, flops: float):
    """(params, tokens, loss) of the compute-optimal model at ``flops``, for one theta or rows of them."""
    from ...laws import chinchilla_optimal

    theta = np.atleast_2d(theta)
    a, b, e, alpha, beta = theta.T
    with np.errstate(all="ignore"):
        params, tokens = chinchilla_optimal(np.exp(a), np.exp(b), alpha, beta, flops)
        loss = np.exp(e) + np.exp(a) / params**alpha + np.exp(b) / tokens**beta
    return params, tokens, loss
