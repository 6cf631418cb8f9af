"""The L(N, D) fit's objective: L = E + A/N^alpha + B/D^beta on final losses (Hoffmann et al. 2022, Approach 3).

Parameters are theta = (a, b, e, alpha, beta) with A = e^a, B = e^b, E = e^e, so that

    log L_hat = LSE(a - alpha log N, b - beta log D, e)           (log-sum-exp of three terms)

Two objectives:

* ``huber`` (the paper's, App. D.2): sum_i Huber_delta(log L_hat_i - log L_i), delta = 1e-3,
  summed over runs (not averaged: Besiroglu et al. 2024 show averaging stops L-BFGS early).
* ``lsq``: sum_i (L_hat_i - L_i)^2, ordinary least squares in loss space (the objective of
  Open-Athena's VPNLS and apple/ml-scalefit ``mse``).

The search for its minimum is ``parametric.py``; the batched descent, ``solver.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product

import numpy as np

from ...laws.base import Values

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
    _samples: dict[int, tuple[np.ndarray, Objective]] = field(init=False, default_factory=dict, repr=False)
    """Subsamples of the runs by size (``parametric.subsample``), kept with their cached terms:
    the main fit, the leave-one-out and backtest fits and the outside-regime refit share them."""

    def __post_init__(self) -> None:
        if self.kind not in ("huber", "lsq"):
            raise ValueError(f"unknown loss {self.kind!r}: expected huber or lsq")
        self.log_loss = np.log(self.loss)
        if min(self.log_params.min(initial=0.0), self.log_tokens.min(initial=0.0)) >= 0.0:
            # (1, -ln N) and (1, -ln D): rows of theta (a, alpha) and (b, beta) times these are the exponents.
            self._log_design = (
                np.vstack([np.ones_like(self.log_params), -self.log_params]),
                np.vstack([np.ones_like(self.log_tokens), -self.log_tokens]),
            )

    def predict_log_many(self, thetas: np.ndarray, log_params: Values | None = None, log_tokens: Values | None = None) -> np.ndarray:
        """log L_hat for each row of ``thetas`` (bootstrap replicates): shape (rows, points)."""
        columns = np.atleast_2d(thetas).T[:, :, None]
        lp = self.log_params if log_params is None else np.atleast_1d(log_params)
        lt = self.log_tokens if log_tokens is None else np.atleast_1d(log_tokens)
        return self.predict_log(columns, lp, lt)

    def terms(self, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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

    def _terms(self, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(part[0] for part in self.terms(theta))

    def predict_log(self, theta: Values, log_params: Values | None = None, log_tokens: Values | None = None) -> np.ndarray:
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
        grad = np.array(
            [
                slope @ s0,
                slope @ s1,
                slope @ s2,
                -(slope * s0) @ self.log_params,
                -(slope * s1) @ self.log_tokens,
            ]
        )
        return float(value), grad

    def values(self, thetas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The objective at many thetas at once (rows of ``thetas``): the cheap screen.

        ``weights`` is one vector of run weights, or a (runs, k) matrix of k of them. Thetas are
        taken in chunks so that memory stays bounded (~``SCREEN_ELEMENTS`` per array) whatever
        the number of runs."""
        chunk = max(1, SCREEN_ELEMENTS // max(len(self.loss), 1))
        return np.concatenate([self._values(thetas[i : i + chunk], weights) for i in range(0, len(thetas), chunk)])

    def _values(self, thetas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return self._per_run(thetas) @ weights

    def _per_run(self, thetas: np.ndarray) -> np.ndarray:
        """Each run's term of the objective at each theta: (thetas, runs)."""
        a, b, e, alpha, beta = (thetas[:, [i]] for i in range(5))
        return self._term(np.logaddexp(np.logaddexp(a - alpha * self.log_params, b - beta * self.log_tokens), e))

    def _grid_per_run(self, part: slice = slice(None)) -> np.ndarray:
        """:meth:`_per_run` at every grid start, from the grid's product structure: exp(a - alpha
        log N) takes 30 (a, alpha) pairs, exp(b - beta log D) 30, exp(e) 5, so one sum and one log
        per element replace two log-add-exps (about 3x faster). On the grid each term lies between
        exp(-2 log N) and exp(25), inside float64's range for any N and D under 1e150 (else the
        log-add-exp path), so the plain sum loses nothing."""
        log_params, log_tokens = self.log_params[part], self.log_tokens[part]
        g = {name: np.asarray(values) for name, values in GRID.items()}
        n = len(log_params)
        first = np.exp(g["a"][:, None, None] - g["alpha"][None, :, None] * log_params)  # (a, alpha, runs)
        second = np.exp(g["b"][:, None, None] - g["beta"][None, :, None] * log_tokens)  # (b, beta, runs)
        total = (
            first[:, None, None, :, None, :] + second[None, :, None, None, :, :] + np.exp(g["e"])[None, None, :, None, None, None]
        )  # (a, b, e, alpha, beta, runs)
        return self._term(np.log(total).reshape(-1, n), part)  # grid_starts' order: product(a, b, e, alpha, beta)

    def varpro_values(self, starts: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The objective at one weight vector's variable-projection starts (:func:`varpro_starts`'
        order, alpha-major): E + A·N^-alpha + B·D^-beta from the 30 powers of N and of D, one log
        per element instead of two log-add-exps. The starts' A, B, E are >= 1e-8 and finite."""
        k = len(VARPRO_EXPONENTS)
        if self._varpro_powers is None:
            self._varpro_powers = (
                np.exp(-VARPRO_EXPONENTS[:, None] * self.log_params),
                np.exp(-VARPRO_EXPONENTS[:, None] * self.log_tokens),
            )
        na, db = self._varpro_powers
        a, b, e = (np.exp(starts[:, i]).reshape(k, k, 1) for i in range(3))
        total = a * na[:, None, :] + b * db[None, :, :] + e
        return self._term(np.log(total).reshape(k * k, -1)) @ weights

    def _term(self, f: np.ndarray, part: slice = slice(None)) -> np.ndarray:
        if self.kind == "huber":
            r = f - self.log_loss[part]
            clipped = np.clip(r, -self.delta, self.delta)
            return clipped * (r - 0.5 * clipped)
        r = np.exp(f) - self.loss[part]
        return r * r

    def grid_values(self, weights: np.ndarray) -> np.ndarray:
        """The objective at every grid start, for a weight vector or a (runs, k) matrix of them.

        The per-run terms do not depend on the weights: kept after the first call (when they fit
        in ``SCREEN_ELEMENTS``), so backtests, leave-one-out fits and the main fit screen once.
        More runs are taken in blocks of ``SCREEN_ELEMENTS`` (memory stays bounded), each from the
        grid's product structure, their weighted sums added."""
        grid = grid_starts()
        if max(self.log_params.max(), self.log_tokens.max()) > 345.0:  # N or D over 1e150: the log-add-exp path
            return self.values(grid, weights)
        if len(grid) * len(self.loss) > SCREEN_ELEMENTS:
            block = max(1, SCREEN_ELEMENTS // 4 // len(grid))  # a quarter: the product path holds ~6 arrays of a block
            parts = (slice(start, start + block) for start in range(0, len(self.loss), block))
            return sum((self._grid_per_run(part) @ weights[part] for part in parts), np.zeros(np.shape(weights)[1:]))
        if self._grid_terms is None:
            self._grid_terms = self._grid_per_run()
        return self._grid_terms @ weights


@lru_cache(maxsize=1)
def grid_starts() -> np.ndarray:
    """The 4,500 starts of Hoffmann et al. 2022, App. D.2, as rows of theta (read-only)."""
    grid = np.array(list(product(GRID["a"], GRID["b"], GRID["e"], GRID["alpha"], GRID["beta"])))
    grid.flags.writeable = False
    return grid
