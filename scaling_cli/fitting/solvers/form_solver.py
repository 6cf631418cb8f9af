"""Fitting any registered law form: a multi-start grid screen, then a batched Levenberg-Marquardt.

The form (``laws/base.py``) gives its function, its parameters' bounds and starting grid, and
which ones are searched in log space. The objective is one of:

* ``huber``: Huber (delta 1e-3) on ln(predicted) - ln(observed), summed (Hoffmann et al. 2022);
* ``lsq``: least squares on the target itself (the only choice for a signed target, a reward);
* ``log-lsq``: least squares on log10 of the target (Clark et al. 2022's objective).

As in ``solver.py`` every problem of a batch (the refined starts, or the bootstrap resamples as
run weights) takes its damped Gauss-Newton step in the same numpy operations; the Jacobian here
is a forward difference (the forms are arbitrary), one extra evaluation per parameter, all
batched. A step is kept only if it lowers that problem's objective, and a parameter on a bound
stays there while the gradient pushes it out (``damped.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import product

import numpy as np

from ...laws.base import Form
from .damped import damped_trial
from .huber import huber_step_weights

HUBER_DELTA = 1e-3
REFINE = 16
MAX_ITERATIONS = 200
WARM_ITERATIONS = 100
RELATIVE_TOLERANCE = 1e-12
SCREEN_ELEMENTS = 2_000_000
"""Starts x runs evaluated at once while screening the grid."""
MAX_GROUPS = 256
"""At most this many starts, one per combination of the linear parameters' grid values."""
SOLVE_ELEMENTS = 400_000
"""Problems x parameters x runs in one Jacobian: larger batches are solved in chunks."""


@dataclass
class FormObjective:
    """A form on a set of runs, searched in the transformed space theta (ln where ``log``)."""

    form: Form
    variables: dict[str, np.ndarray]
    target: np.ndarray
    kind: str
    fixed: dict[str, float] = field(default_factory=dict)
    """Constants held at a value (``--fix``): the search runs over the others only."""

    def __post_init__(self) -> None:
        if self.kind not in self.form.objectives:
            raise ValueError(f"form {self.form.name} takes the objectives {', '.join(self.form.objectives)}, not {self.kind!r}")
        self.free = tuple(p for p in self.form.parameters if p.name not in self.fixed)
        self.logs = np.array([p.log for p in self.free], dtype=bool)
        low, high = np.array([p.bounds for p in self.free], dtype=float).reshape(-1, 2).T
        with np.errstate(invalid="ignore", divide="ignore"):  # ln of the bounds of linear parameters is unused
            self.lower = np.where(self.logs, np.log(low), low)
            self.upper = np.where(self.logs, np.log(high), high)
        self.observed = self.transform(self.target)

    def transform(self, values: np.ndarray) -> np.ndarray:
        """The target in the objective's space: ln for huber, log10 for log-lsq, itself for lsq."""
        if self.kind == "huber":
            return np.log(values)
        if self.kind == "log-lsq":
            return np.log10(values)
        return values

    def back(self, values: np.ndarray) -> np.ndarray:
        """The inverse of ``transform``: values of the objective's space as the target."""
        if self.kind == "huber":
            return np.exp(values)
        if self.kind == "log-lsq":
            return 10.0**values
        return values

    def scatter(self, theta: np.ndarray) -> tuple[float, int]:
        """The residual sd at ``theta`` over the degrees of freedom n - p (the free constants), and n - p."""
        residual = self.residuals(theta[None])[0]
        dof = max(len(residual) - len(self.free), 1)
        return float(np.sqrt(np.sum(residual**2) / dof)), dof

    def widen(self, theta: np.ndarray, thetas: np.ndarray) -> np.ndarray:
        """Bootstrap replicates moved sqrt(n / (n - p)) times further from the fit: the bootstrap is
        narrow with few runs per constant (bench/forms.py measures the coverage this gives)."""
        n = len(self.target)
        return np.clip(theta + (thetas - theta) * np.sqrt(n / max(n - len(self.free), 1)), self.lower, self.upper)

    def constants(self, thetas: np.ndarray) -> dict[str, np.ndarray]:
        """Natural parameter values of each theta (rows), as (rows, 1) columns for broadcasting."""
        thetas = np.atleast_2d(thetas)
        natural = np.where(self.logs, np.exp(thetas), thetas)
        free = {p.name: natural[:, [i]] for i, p in enumerate(self.free)}
        return {p.name: free[p.name] if p.name in free else np.full((len(thetas), 1), self.fixed[p.name]) for p in self.form.parameters}

    def predicted(self, thetas: np.ndarray, variables: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """The transformed prediction of each theta (rows) at the runs, or at other ``variables``."""
        with np.errstate(all="ignore"):
            return self.transform(
                self.form.predict(self.constants(np.atleast_2d(thetas)), self.variables if variables is None else variables)
            )

    def residuals(self, thetas: np.ndarray) -> np.ndarray:
        """Transformed prediction minus transformed observation: (rows, runs)."""
        return self.predicted(thetas) - self.observed

    def rho(self, r: np.ndarray) -> np.ndarray:
        if self.kind == "huber":
            clipped = np.clip(r, -HUBER_DELTA, HUBER_DELTA)
            return clipped * (r - 0.5 * clipped)
        return r * r

    def values(self, thetas: np.ndarray, weights: np.ndarray) -> np.ndarray:
        r = self.residuals(thetas)
        with np.errstate(all="ignore"):
            total = np.sum(weights * self.rho(r), axis=1)
        return np.where(np.isfinite(total), total, np.inf)

    def grid(self) -> np.ndarray:
        """Every combination of the parameters' starting grids, in theta space."""
        axes = [np.log(p.grid) if p.log else np.asarray(p.grid, dtype=float) for p in self.free]
        return np.clip(np.array(list(product(*axes)), dtype=float), self.lower, self.upper)


def screen(objective: FormObjective, weights: np.ndarray, refine: int = REFINE, extra: np.ndarray | None = None) -> np.ndarray:
    """The starts to refine: the ``refine`` best, and the best start of every other combination
    of the linear parameters' grid values (typically the exponents), plus ``extra``
    (published starts, in theta space).

    Ranking by objective alone lets a degenerate start win (prefactors so small that the
    law is its constant floor, where the gradient vanishes): one start per exponent pair keeps
    a start near the real basin.
    """
    starts = objective.grid()
    chunk = max(1, SCREEN_ELEMENTS // max(len(objective.target), 1))
    values = np.concatenate([objective.values(starts[i : i + chunk], weights) for i in range(0, len(starts), chunk)])
    order = np.argsort(values, kind="stable")
    order = order[np.isfinite(values[order])]
    best = [int(i) for i in order[:refine]]
    chosen = list(best)
    linear = ~objective.logs
    if linear.any():
        seen = {tuple(np.round(starts[i, linear], 9)) for i in best}
        for i in order:
            key = tuple(np.round(starts[i, linear], 9))
            if key not in seen and len(chosen) < refine + MAX_GROUPS:
                seen.add(key)
                chosen.append(int(i))
    picked = starts[chosen]
    return picked if extra is None else np.vstack([picked, np.clip(np.atleast_2d(extra), objective.lower, objective.upper)])


def solve(
    objective: FormObjective, starts: np.ndarray, weights: np.ndarray, max_iterations: int = MAX_ITERATIONS
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise from each row of ``starts`` under ``weights`` ((rows, runs) or one shared row)."""
    starts = np.array(starts, dtype=float, ndmin=2)
    weights = np.asarray(weights, dtype=float)
    chunk = max(1, SOLVE_ELEMENTS // max(len(objective.target) * (len(objective.free) + 1), 1))
    parts = [
        _solve(objective, starts[i : i + chunk], weights if weights.ndim == 1 else weights[i : i + chunk], max_iterations)
        for i in range(0, len(starts), chunk)
    ]
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _jacobian(objective: FormObjective, theta: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Forward differences of the residuals: (problems, parameters, runs)."""
    count = theta.shape[1]
    step = 1e-6 * np.maximum(1.0, np.abs(theta))
    # Step inward at an upper bound, so the difference stays inside the search space.
    step = np.where(theta + step > objective.upper, -step, step)
    shifted = np.repeat(theta[:, None, :], count, axis=1) + step[:, :, None] * np.eye(count)[None]
    moved = objective.residuals(shifted.reshape(-1, count)).reshape(len(theta), count, -1)
    return (moved - r[:, None, :]) / step[:, :, None]


def _solve(objective: FormObjective, starts: np.ndarray, weights: np.ndarray, max_iterations: int) -> tuple[np.ndarray, np.ndarray]:
    """One batch. A rejected step leaves its problem where it was: its Jacobian and normal
    equations are kept, only the damping grows; the residuals of an accepted step are its trial's.
    So an iteration evaluates the form once per problem, plus once per parameter where a step moved."""
    thetas = np.clip(starts, objective.lower, objective.upper)
    batch, count = thetas.shape
    all_weights = np.array(np.broadcast_to(weights, (batch, len(objective.target))))
    values = objective.values(thetas, all_weights)
    index = np.flatnonzero(np.isfinite(values))
    theta, value, w = thetas[index], values[index], all_weights[index]
    damping = np.full(len(index), 1e-3)
    with np.errstate(all="ignore"):
        r = objective.residuals(theta)
    gradient, matrix = np.zeros((len(index), count)), np.zeros((len(index), count, count))
    stale = np.ones(len(index), dtype=bool)
    for _ in range(max_iterations):
        if not len(index):
            break
        with np.errstate(all="ignore"):
            if stale.any():
                gradient[stale], matrix[stale] = _normal_equations(objective, theta[stale], r[stale], w[stale])
            trial = damped_trial(theta, gradient, matrix, damping, objective.lower, objective.upper)
            trial_r = objective.residuals(trial)
            trial_values = np.sum(w * objective.rho(trial_r), axis=1)
        trial_values = np.where(np.isfinite(trial_values), trial_values, np.inf)
        better = trial_values < value
        gain = np.where(better, value - trial_values, 0.0)
        moved = np.max(np.abs(trial - theta), axis=1)
        theta[better], value[better], r[better] = trial[better], trial_values[better], trial_r[better]
        stale = better
        damping = np.where(better, np.maximum(damping / 3.0, 1e-12), damping * 4.0)
        done = (better & (gain <= RELATIVE_TOLERANCE * np.abs(value) + 1e-300)) | (~better & ((damping > 1e12) | (moved < 1e-13)))
        if done.any():
            thetas[index[done]], values[index[done]] = theta[done], value[done]
            keep = ~done
            index, theta, value, w, damping = index[keep], theta[keep], value[keep], w[keep], damping[keep]
            r, gradient, matrix, stale = r[keep], gradient[keep], matrix[keep], stale[keep]
    thetas[index], values[index] = theta, value
    return thetas, values


def _normal_equations(objective: FormObjective, theta: np.ndarray, r: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient and (half-quadratic) Gauss-Newton matrix at ``theta``: for Huber the IRLS
    weights u = w min(1, delta/|r|) majorise the loss (``huber.py``). The blend with the loss's
    own curvature that ``solver.py`` uses is not taken here: with a forward-difference Jacobian
    and a form's few runs (16 in a ladder's step 1) it stopped short of the optimum."""
    jac = _jacobian(objective, theta, r)
    if objective.kind == "huber":
        slope, u = huber_step_weights(r, w, HUBER_DELTA)
    else:
        slope, u = w * r, w
    gradient = np.einsum("bpn,bn->bp", jac, slope)
    matrix = np.einsum("bpn,bn,bqn->bpq", jac, u, jac)
    return np.where(np.isfinite(gradient), gradient, 0.0), np.where(np.isfinite(matrix), matrix, 0.0)


def fit_best(
    objective: FormObjective, weights: np.ndarray | None = None, refine: int = REFINE, extra: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """The multi-start fit: screen the grid, refine the chosen starts together, keep the best."""
    weights = np.ones(len(objective.target)) if weights is None else weights
    thetas, values = solve(objective, screen(objective, weights, refine, extra), weights)
    best = int(np.argmin(values))
    return thetas[best], float(values[best])
