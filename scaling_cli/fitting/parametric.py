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
non-negative least squares solves exactly. The most promising starts are refined with L-BFGS-B
and an analytic gradient; the best is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
"""How many of the screened starts L-BFGS-B refines."""

LBFGS_OPTIONS = {"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000, "maxfun": 20_000}
"""Tight tolerances: the summed Huber objective is ~1e-3 in size, below L-BFGS-B's defaults."""


@dataclass
class Objective:
    """The fit objective on a set of runs; ``weights`` (resampling counts) default to ones."""

    log_params: np.ndarray
    log_tokens: np.ndarray
    loss: np.ndarray
    kind: str = "huber"
    delta: float = HUBER_DELTA
    log_loss: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        if self.kind not in ("huber", "lsq"):
            raise ValueError(f"unknown loss {self.kind!r}: expected huber or lsq")
        self.log_loss = np.log(self.loss)

    def _terms(self, theta):
        a, b, e, alpha, beta = theta
        t0 = a - alpha * self.log_params
        t1 = b - beta * self.log_tokens
        top = np.maximum(np.maximum(t0, t1), e)
        x0, x1, x2 = np.exp(t0 - top), np.exp(t1 - top), np.exp(e - top)
        total = x0 + x1 + x2
        return top + np.log(total), x0 / total, x1 / total, x2 / total

    def predict_log(self, theta, log_params=None, log_tokens=None) -> np.ndarray:
        """log L_hat at the runs (or at other log params / log tokens)."""
        a, b, e, alpha, beta = theta
        lp = self.log_params if log_params is None else log_params
        lt = self.log_tokens if log_tokens is None else log_tokens
        return np.logaddexp(np.logaddexp(a - alpha * lp, b - beta * lt), e)

    def value_and_grad(self, theta: np.ndarray, weights: np.ndarray) -> tuple[float, np.ndarray]:
        """The objective and its exact gradient in theta."""
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
        """The objective at many thetas at once (rows of ``thetas``): the cheap screen."""
        a, b, e, alpha, beta = (thetas[:, [i]] for i in range(5))
        f = np.logaddexp(np.logaddexp(a - alpha * self.log_params, b - beta * self.log_tokens), e)
        if self.kind == "huber":
            r = f - self.log_loss
            clipped = np.clip(r, -self.delta, self.delta)
            return (clipped * (r - 0.5 * clipped)) @ weights
        r = np.exp(f) - self.loss
        return (r * r) @ weights


def grid_starts() -> np.ndarray:
    """The 4,500 starts of Hoffmann et al. 2022, App. D.2, as rows of theta."""
    return np.array(list(product(GRID["a"], GRID["b"], GRID["e"], GRID["alpha"], GRID["beta"])))


def varpro_starts(objective: Objective, weights: np.ndarray) -> np.ndarray:
    """For each (alpha, beta) of a grid, the (E, A, B) that non-negative least squares gives."""
    from scipy.optimize import nnls

    root_w = np.sqrt(weights)
    params, tokens = np.exp(objective.log_params), np.exp(objective.log_tokens)
    starts = []
    for alpha, beta in product(VARPRO_EXPONENTS, VARPRO_EXPONENTS):
        design = np.column_stack([np.ones_like(params), params**-alpha, tokens**-beta])
        (e, a, b), _ = nnls(design * root_w[:, None], objective.loss * root_w)
        starts.append(np.log(np.maximum([a, b, e], 1e-8)).tolist() + [alpha, beta])
    return np.array(starts)


@dataclass
class ParametricFit:
    theta: np.ndarray
    objective: float
    n_starts: int
    refined: list[tuple[float, np.ndarray]]
    """(objective, theta) of every refined start, best first."""
    warnings: list[str]

    @property
    def coefficients(self) -> dict[str, float]:
        return coefficients(self.theta)


def coefficients(theta) -> dict[str, float]:
    a, b, e, alpha, beta = (float(x) for x in theta)
    return {"E": float(np.exp(e)), "A": float(np.exp(a)), "B": float(np.exp(b)), "alpha": alpha, "beta": beta}


def minimise(objective: Objective, start: np.ndarray, weights: np.ndarray):
    """One L-BFGS-B descent from ``start`` within the bounds."""
    from scipy.optimize import minimize

    return minimize(
        objective.value_and_grad, np.clip(start, *np.array(BOUNDS).T), args=(weights,),
        jac=True, method="L-BFGS-B", bounds=BOUNDS, options=LBFGS_OPTIONS,
    )


def fit_parametric(objective: Objective, weights: np.ndarray | None = None, refine: int = REFINE) -> ParametricFit:
    """Multi-start fit: screen the grid and the variable-projection starts, refine the best."""
    weights = np.ones_like(objective.loss) if weights is None else weights
    starts = np.vstack([grid_starts(), varpro_starts(objective, weights)])
    screened = objective.values(starts, weights)
    screened[~np.isfinite(screened)] = np.inf
    best_starts = starts[np.argsort(screened, kind="stable")[:refine]]
    refined = []
    for start in best_starts:
        result = minimise(objective, start, weights)
        if np.isfinite(result.fun):
            refined.append((float(result.fun), np.asarray(result.x)))
    refined.sort(key=lambda pair: pair[0])
    value, theta = refined[0]
    return ParametricFit(theta=theta, objective=value, n_starts=len(starts), refined=refined, warnings=diagnose(refined))


def refit(objective: Objective, start: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """A warm-started fit (one descent from ``start``): the bootstrap's inner loop."""
    return np.asarray(minimise(objective, start, weights).x)


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
