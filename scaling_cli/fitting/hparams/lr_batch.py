"""A learning-rate / batch-size law from a grid of runs (``scale fit --form lr-batch``, #27).

The grid: runs at several (N, D) cells, each cell trained at several peak learning rates and
batch sizes. Per cell, the optimum is the minimum of a smooth local surface, a quadratic in
(log lr, log batch) fitted to log loss over the cell's best runs (those within ``NEAR`` of its
best loss, at least ``MIN_RUNS``; diverged runs never enter), not the argmin of a coarse grid;
its interval is a residual bootstrap of that surface. Across cells, ordinary least squares in
log space gives the laws

    lr* = exp(c0) N^c1 D^c2        batch* = exp(d0) D^d1   (tokens)

(a variable the cells do not vary is left out), with t intervals on the constants, each cell's
residual, and a leave-one-cell-out check: the law refitted without each cell, the loss its
suggestion costs on that cell's surface. The sensitivity is what a factor of 2 off costs on the
surfaces. ``against`` measures a preset's suggestions the same way (and at the nearest grid point).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ...core.errors import ScaleError
from ...laws.hyperparams import HyperparameterLaw
from ..bootstrap import Estimate, PredictedValue
from .result import Against, AgainstCell, CellCheck, CellOptimum, LrBatchFit, LrBatchPrediction, PowerLawFit

NEAR = 0.01
"""Runs within 1 % of the cell's best loss shape its surface (Step Law selects within 0.25 %)."""
MIN_RUNS = 8
"""At least this many of the cell's best runs (a quadratic in two variables has 6 constants)."""
DIVERGED = 1.5
"""A run 50 % above its cell's best loss diverged: it never shapes the surface."""
BOOTSTRAP = 200
Z95 = 1.959963984540054


class _Surface:
    """log loss = q(u, v), u = log lr, v = log batch: a quadratic with its minimum."""

    def __init__(self, u: np.ndarray, v: np.ndarray, log_loss: np.ndarray) -> None:
        self.design = np.column_stack([np.ones_like(u), u, v, u * u, v * v, u * v])
        self.coef, *_ = np.linalg.lstsq(self.design, log_loss, rcond=None)
        self.residual = log_loss - self.design @ self.coef

    @staticmethod
    def minimum(coef: np.ndarray) -> tuple[float, float] | None:
        _, g, h, a, b, e = coef
        hessian = np.array([[2 * a, e], [e, 2 * b]])
        if a <= 0 or b <= 0 or np.linalg.det(hessian) <= 0:
            return None
        u, v = np.linalg.solve(hessian, -np.array([g, h]))
        return float(u), float(v)

    def value(self, u: float, v: float) -> float:
        return float(np.array([1.0, u, v, u * u, v * v, u * v]) @ self.coef)


def _cell_name(params: float, tokens: float) -> str:
    return f"cell (params {params:.3g}, tokens {tokens:.3g})"


def _fit_cell(
    params: float, tokens: float, lr: np.ndarray, batch: np.ndarray, loss: np.ndarray, rng: np.random.Generator
) -> tuple[CellOptimum, _Surface]:
    name = _cell_name(params, tokens)
    finite = np.isfinite(loss) & (loss > 0)
    if not finite.any():
        raise ScaleError(f"{name}: every run diverged (no finite loss): nothing to fit")
    if len(np.unique(lr)) < 2 or len(np.unique(batch)) < 2:
        which = "learning rate" if len(np.unique(lr)) < 2 else "batch size"
        raise ScaleError(f"{name}: every run has one {which}: a surface needs at least 2 learning rates and 2 batch sizes")
    best = float(loss[finite].min())
    healthy = finite & (loss < DIVERGED * best)
    order = np.argsort(np.where(healthy, loss, np.inf))
    near = int(np.sum(healthy & (loss <= best * (1 + NEAR))))
    used = order[: max(MIN_RUNS, near)]
    used = used[healthy[used]]
    if len(used) < 6:
        raise ScaleError(f"{name}: {len(used)} runs that did not diverge: a surface over (lr, batch) needs at least 6")
    u, v, y = np.log(lr[used]), np.log(batch[used]), np.log(loss[used])
    surface = _Surface(u, v, y)
    warnings = []
    found = _Surface.minimum(surface.coef)
    if found is None:
        k = int(np.argmin(y))
        found = (float(u[k]), float(v[k]))
        warnings.append(f"{name}: its best runs do not form a bowl: the optimum is its best run, not a surface's minimum")
    else:
        low_u, high_u, low_v, high_v = u.min(), u.max(), v.min(), v.max()
        # The surface is trusted to about 2x (e^0.7) beyond the learning rates and batches that shaped it.
        if not (low_u - 0.7 <= found[0] <= high_u + 0.7 and low_v - 0.7 <= found[1] <= high_v + 0.7):
            warnings.append(f"{name}: the surface's minimum lies beyond the grid's learning rates or batch sizes: widen the grid there")
        found = (float(np.clip(found[0], low_u - 0.7, high_u + 0.7)), float(np.clip(found[1], low_v - 0.7, high_v + 0.7)))
    replicates = []
    fitted = surface.design @ surface.coef
    for _ in range(BOOTSTRAP):
        again = np.linalg.lstsq(surface.design, fitted + rng.choice(surface.residual, len(fitted)), rcond=None)[0]
        at = _Surface.minimum(again)
        if at is not None:  # held to the grid's reach, as the point estimate is
            replicates.append((float(np.clip(at[0], u.min() - 0.7, u.max() + 0.7)), float(np.clip(at[1], v.min() - 0.7, v.max() + 0.7))))
    draws = np.array(replicates) if len(replicates) >= 20 else None
    _, _, _, a, b, _ = surface.coef
    ln2 = math.log(2.0)
    cell = CellOptimum(
        params=params,
        tokens=tokens,
        runs=len(loss),
        used=len(used),
        lr=_estimate(found[0], None if draws is None else draws[:, 0]),
        batch_tokens=_estimate(found[1], None if draws is None else draws[:, 1]),
        best_loss=best,
        cost_lr_2x=float(math.expm1(max(a, 0.0) * ln2**2)),
        cost_batch_2x=float(math.expm1(max(b, 0.0) * ln2**2)),
        warnings=warnings,
    )
    return cell, surface


def _estimate(log_value: float, log_draws: np.ndarray | None) -> Estimate:
    if log_draws is None:
        return Estimate(value=math.exp(log_value))
    low95, low80, high80, high95 = np.exp(np.percentile(log_draws, [2.5, 10, 90, 97.5])).tolist()
    return Estimate(value=math.exp(log_value), ci80=(low80, high80), ci95=(low95, high95))


def _design(params: np.ndarray, tokens: np.ndarray, names: Sequence[str]) -> np.ndarray:
    columns = {"params": np.log(params), "tokens": np.log(tokens)}
    return np.column_stack([np.ones_like(params), *(columns[n] for n in names)])


def _ols(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, int]:
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    dof = len(y) - x.shape[1]
    residual = y - x @ coef
    s2 = float(residual @ residual / dof) if dof > 0 else float("nan")
    covariance = s2 * np.linalg.pinv(x.T @ x) if dof > 0 else np.full((x.shape[1], x.shape[1]), np.nan)
    return coef, covariance, s2, dof


def _power_law(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> tuple[PowerLawFit, np.ndarray, np.ndarray, float, int]:
    from scipy.stats import t as student

    coef, covariance, s2, dof = _ols(x, y)
    q95, q80 = (float(student.ppf(p, dof)) if dof > 0 else float("nan") for p in (0.975, 0.9))
    sd = np.sqrt(np.diag(covariance))

    def interval(i: int, transform: Callable[[float], float] = float) -> Estimate:
        if not np.isfinite(sd[i]):
            return Estimate(value=float(transform(coef[i])))
        return Estimate(
            value=float(transform(coef[i])),
            ci80=(float(transform(coef[i] - q80 * sd[i])), float(transform(coef[i] + q80 * sd[i]))),
            ci95=(float(transform(coef[i] - q95 * sd[i])), float(transform(coef[i] + q95 * sd[i]))),
        )

    fit = PowerLawFit(
        coefficient=interval(0, math.exp),  # the constant's interval, carried through exp
        exponents={name: interval(i + 1) for i, name in enumerate(names)},
        scatter=math.sqrt(s2) if np.isfinite(s2) else float("nan"),
    )
    return fit, coef, covariance, s2, dof


def fit_lr_batch(
    params: ArrayLike,
    tokens: ArrayLike,
    lr: ArrayLike,
    batch_tokens: ArrayLike,
    loss: ArrayLike,
    source: str = "runs",
    predict: Sequence[tuple[float, float]] = (),
    against: Sequence[HyperparameterLaw] = (),
    seed: int = 0,
) -> LrBatchFit:
    """The learning-rate / batch-size law of a grid of runs (see the module's docstring)."""
    n, d, rate, batch, value = (np.asarray(a, dtype=float) for a in (params, tokens, lr, batch_tokens, loss))
    for label, array in (("params", n), ("tokens", d), ("lr", rate), ("batch_tokens", batch)):
        if not np.all(np.isfinite(array) & (array > 0)):
            raise ScaleError(f"{source}: {label}: expected finite numbers > 0 in every run")
    keys = sorted(set(zip(n.tolist(), d.tolist())))
    rng = np.random.default_rng(seed)
    cells, surfaces, grid = [], [], []
    for cell_n, cell_d in keys:
        m = (n == cell_n) & (d == cell_d)
        cell, surface = _fit_cell(cell_n, cell_d, rate[m], batch[m], value[m], rng)
        cells.append(cell)
        surfaces.append(surface)
        grid.append((rate[m], batch[m], value[m]))
    if len(cells) < 3:
        raise ScaleError(f"{source}: {len(cells)} (params, tokens) cell{'s' * (len(cells) > 1)}: a law across cells needs at least 3")
    cn, cd = np.array([c.params for c in cells]), np.array([c.tokens for c in cells])
    lr_names = [name for name, values in (("params", cn), ("tokens", cd)) if len(np.unique(values)) > 1]
    batch_names = ["tokens"] if len(np.unique(cd)) > 1 else []
    log_lr = np.log([float(c.lr.value or 0.0) for c in cells])
    log_batch = np.log([float(c.batch_tokens.value or 0.0) for c in cells])
    lr_fit, lr_coef, lr_cov, lr_s2, lr_dof = _power_law(_design(cn, cd, lr_names), log_lr, lr_names)
    batch_fit, b_coef, b_cov, b_s2, b_dof = _power_law(_design(cn, cd, batch_names), log_batch, batch_names)
    x_lr, x_batch = _design(cn, cd, lr_names), _design(cn, cd, batch_names)
    for i, cell in enumerate(cells):
        cell.lr_residual = float(log_lr[i] - x_lr[i] @ lr_coef)
        cell.batch_residual = float(log_batch[i] - x_batch[i] @ b_coef)
    checks = []
    if len(cells) - x_lr.shape[1] >= 1 and len(cells) - x_batch.shape[1] >= 1:
        for i, cell in enumerate(cells):
            keep = np.arange(len(cells)) != i
            a, *_ = np.linalg.lstsq(x_lr[keep], log_lr[keep], rcond=None)
            b, *_ = np.linalg.lstsq(x_batch[keep], log_batch[keep], rcond=None)
            u, v = float(x_lr[i] @ a), float(x_batch[i] @ b)
            checks.append(
                CellCheck(
                    params=cell.params,
                    tokens=cell.tokens,
                    lr_ratio=math.exp(u - log_lr[i]),
                    batch_ratio=math.exp(v - log_batch[i]),
                    cost=_cost(surfaces[i], u, v, log_lr[i], log_batch[i]),
                    nearest_grid_cost=_nearest_cost(grid[i], u, v, cell.best_loss),
                )
            )
    predictions = []
    for p_n, p_d in predict:
        row_lr, row_batch = (
            _design(np.array([p_n]), np.array([p_d]), lr_names)[0],
            _design(np.array([p_n]), np.array([p_d]), batch_names)[0],
        )
        predictions.append(
            LrBatchPrediction(
                params=p_n,
                tokens=p_d,
                lr=_predicted(row_lr, lr_coef, lr_cov, lr_s2, lr_dof),
                batch_tokens=_predicted(row_batch, b_coef, b_cov, b_s2, b_dof),
            )
        )
    measured = [_against(law, cells, surfaces, grid) for law in against]
    warnings = [w for c in cells for w in c.warnings]
    fitted_range = {"params": (float(cn.min()), float(cn.max())), "tokens": (float(cd.min()), float(cd.max()))}
    return LrBatchFit(
        source=source,
        n_runs=len(value),
        n_cells=len(cells),
        cells=cells,
        learning_rate=lr_fit,
        batch_size_tokens=batch_fit,
        leave_one_cell_out=checks,
        median_loco_cost=float(np.median([c.cost for c in checks])) if checks else None,
        median_loco_nearest_grid_cost=float(np.median([c.nearest_grid_cost for c in checks])) if checks else None,
        median_cost_lr_2x=float(np.median([c.cost_lr_2x for c in cells])),
        median_cost_batch_2x=float(np.median([c.cost_batch_2x for c in cells])),
        predictions=predictions,
        against=measured,
        fitted_range=fitted_range,
        warnings=warnings,
        notes=[
            f"per cell: a quadratic surface of log loss over (log lr, log batch) on the runs within {NEAR:.0%} of its best (at least "
            f"{MIN_RUNS}); across cells: least squares in log space ({'lr(' + ', '.join(lr_names) + ')'}, "
            f"{'batch(' + ', '.join(batch_names) + ')' if batch_names else 'batch constant'})"
        ],
    )


def _cost(surface: _Surface, u: float, v: float, u_best: float, v_best: float) -> float:
    return float(math.expm1(max(surface.value(u, v) - surface.value(u_best, v_best), 0.0)))


def _predicted(row: np.ndarray, coef: np.ndarray, covariance: np.ndarray, s2: float, dof: int) -> PredictedValue:
    from scipy.stats import t as student

    centre = float(row @ coef)
    if dof <= 0 or not np.isfinite(s2):
        return PredictedValue(value=math.exp(centre))
    spread = math.sqrt(s2 + float(row @ covariance @ row))
    q95, q80 = float(student.ppf(0.975, dof)), float(student.ppf(0.9, dof))
    return PredictedValue(
        value=math.exp(centre),
        pi80=(math.exp(centre - q80 * spread), math.exp(centre + q80 * spread)),
        pi95=(math.exp(centre - q95 * spread), math.exp(centre + q95 * spread)),
    )


def _nearest_cost(runs: tuple[np.ndarray, np.ndarray, np.ndarray], u: float, v: float, best: float) -> float:
    """The loss of the cell's run nearest (log lr, log batch) = (u, v), over its best, less 1."""
    rate, batch, loss = runs
    finite = np.isfinite(loss)
    nearest = int(np.argmin(np.where(finite, (np.log(rate) - u) ** 2 + (np.log(batch) - v) ** 2, np.inf)))
    return float(loss[nearest] / best - 1)


def _against(
    law: HyperparameterLaw, cells: list[CellOptimum], surfaces: list[_Surface], grid: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
) -> Against:
    found = []
    for cell, surface, (rate, batch, loss) in zip(cells, surfaces, grid):
        suggested_lr, suggested_batch = law.suggest(6 * cell.params * cell.tokens, cell.params, cell.tokens)
        u, v = math.log(suggested_lr), math.log(suggested_batch)
        found.append(
            AgainstCell(
                params=cell.params,
                tokens=cell.tokens,
                lr=suggested_lr,
                batch_tokens=suggested_batch,
                surface_cost=_cost(surface, u, v, math.log(cell.lr.value or 1.0), math.log(cell.batch_tokens.value or 1.0)),
                nearest_grid_cost=_nearest_cost((rate, batch, loss), u, v, cell.best_loss),
            )
        )
    return Against(
        law=law.name,
        cells=found,
        median_surface_cost=float(np.median([c.surface_cost for c in found])),
        median_nearest_grid_cost=float(np.median([c.nearest_grid_cost for c in found])),
    )
