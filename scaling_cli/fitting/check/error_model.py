"""The scaling check: how wrong can the fitted law be at a larger budget, measured on the runs.

Three out-of-sample measurements, all in log loss (an error e = log predicted - log observed;
reported as the relative error predicted/observed - 1):

* **Scatter** (leave-one-budget-out): refit without each interior compute budget and predict its
  runs. The spread of those errors is the run-to-run noise a prediction must allow for, measured
  on runs the fit did not see (in-sample residuals understate it), winsorised at 3.5 robust
  standard deviations so that a few broken runs do not widen every interval.
* **Backtests** (rolling origin): fit on the budgets up to C_k, predict every run above, for each
  k that leaves at least ``MIN_BACKTEST_BUDGETS`` budgets and ``MIN_BACKTEST_RUNS`` runs to fit.
  An error at x decades beyond the fitted compute has, if the law holds, the variance its fit's
  bootstrap and the scatter imply. Whatever the backtests show beyond that is modelled as a
  systematic extrapolation error with a standard deviation ``tau`` per decade:
  tau^2 = max(0, sum(e^2 - var_param - scatter^2) / sum(x^2)).
* **Drift**: the backtests drift when their median errors all share one sign and their mean
  standardised error exceeds ``DRIFT_Z``: the law moves as compute grows.

A prediction x decades beyond the fitted compute then draws, for each bootstrap replicate,
log L(theta_b) + (a scatter residual) + tau x xi (xi standard normal); its 80/95 % intervals are
percentiles of those draws, and its three parts are reported apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...laws.base import Values
from ..bootstrap import Grouping, group_weights
from ..progress import Progress, report
from ..solvers.parametric import Objective, fit_many
from ..solvers.solver import WARM_ITERATIONS, solve

MIN_BACKTEST_BUDGETS = 3
MIN_BACKTEST_RUNS = 10
BACKTEST_BOOTSTRAP = 100
"""Resamples per backtest (capped by --bootstrap): enough for a variance (~14 % relative error),
which is all a backtest's standardized errors need; intervals use the main fit's bootstrap."""
FIT_BATCH = 16
"""Leave-one-out and backtest fits solved together: progress moves between batches (a ladder's
checkpoint file has 75 of them, most of a fit of 20,000 runs), and a batch's memory stays
16 fits x 4 starts x runs."""
DRIFT_Z = 1.0
"""Mean standardised backtest error (over backtests) above which, with one sign, the law drifts.

Under an exact law each backtest's mean standardised error has a standard deviation of at most
1 (its errors share one fit), so 1.0 with a common sign across >= 2 backtests is rare by chance:
bench/scaling_check.py measures the false-alarm rate (and the power against a planted drift)."""
OUTLIER_CLIP = 3.5
"""Scatter residuals beyond this many robust standard deviations are clipped to it."""
REFINE = 8
"""Starts refined per backtest or leave-one-out fit (the full fit refines 24)."""


@dataclass
class BacktestFit:
    """One rolling-origin backtest: fitted up to a budget, the runs above it predicted (arrays,
    one entry per predicted run: a ladder's checkpoint file predicts tens of thousands)."""

    fitted_up_to_flops: float
    n_fitted: int
    index: np.ndarray
    """The predicted runs' positions in the fitted runs."""
    extrapolation: np.ndarray
    """Their compute over the largest compute the backtest fitted."""
    log_error: np.ndarray
    param_var: np.ndarray | None
    """Variance of the backtest fit's log prediction over its bootstrap (None without one)."""

    @property
    def runs(self) -> int:
        return len(self.index)

    @property
    def median_error(self) -> float:
        return float(np.expm1(np.median(self.log_error)))

    @property
    def median_extrapolation(self) -> float:
        return float(np.median(self.extrapolation))

    @property
    def max_extrapolation(self) -> float:
        return float(self.extrapolation.max())


@dataclass
class ErrorModel:
    """What the out-of-sample measurements say about a prediction's error."""

    scatter: np.ndarray
    """Leave-one-budget-out log errors (the pool residuals are drawn from)."""
    scatter_sd: float
    scatter_source: str
    backtests: list[BacktestFit]
    tau: float
    """Systematic extrapolation error, standard deviation per decade beyond the fitted compute."""
    drift_per_decade: float | None
    """Least-squares slope of backtest log errors against decades of extrapolation."""
    drift: bool
    mean_z: float | None

    def extra_sd(self, decades: Values) -> np.ndarray:
        return self.tau * np.maximum(np.asarray(decades, dtype=float), 0.0)


def _weights_for(n: int, index: np.ndarray) -> np.ndarray:
    w = np.zeros(n)
    w[index] = 1.0
    return w


def backtest_plan(flops: np.ndarray, budgets: list[np.ndarray]) -> list[int]:
    """The k of each backtest: fit budgets 0..k, predict those above (k >= 2, enough runs)."""
    plan = []
    for k in range(MIN_BACKTEST_BUDGETS - 1, len(budgets) - 1):
        fitted = sum(len(index) for index in budgets[: k + 1])
        if fitted >= MIN_BACKTEST_RUNS:
            plan.append(k)
    return plan


def _backtest_runs(
    objective: Objective,
    flops: np.ndarray,
    budgets: list[np.ndarray],
    k: int,
    index: np.ndarray,
    theta: np.ndarray,
    thetas: np.ndarray | None,
) -> BacktestFit:
    predicted = np.concatenate(budgets[k + 1 :])
    top = float(flops[index].max())
    log_pred = objective.predict_log(theta)[predicted]
    variance = None
    if thetas is not None:
        log_n, log_d = objective.log_params[predicted], objective.log_tokens[predicted]
        draws = objective.predict_log_many(thetas, log_n, log_d)
        variance = np.var(draws[np.all(np.isfinite(draws), axis=1)], axis=0)
    return BacktestFit(
        fitted_up_to_flops=top,
        n_fitted=len(index),
        index=predicted,
        extrapolation=flops[predicted] / top,
        log_error=log_pred - objective.log_loss[predicted],
        param_var=variance,
    )


def error_model(
    objective: Objective,
    flops: np.ndarray,
    budgets: list[np.ndarray],
    groups_of: Grouping,
    resamples: int,
    rng: np.random.Generator,
    in_sample: np.ndarray,
    progress: Progress | None = None,
) -> ErrorModel:
    """Scatter (leave-one-budget-out), backtests, tau and drift for the runs of ``objective``.

    Every refit is a weighted fit of the same objective (0 for the runs it may not see): the
    leave-one-out and backtest fits are solved in batches of :data:`FIT_BATCH`, each backtest's
    bootstrap as another. ``progress(stage, done, total)`` hears after each batch.
    """
    n = len(objective.loss)
    interior = budgets[1:-1]
    plan = backtest_plan(flops, budgets)
    fitted = [np.sort(np.concatenate(budgets[: k + 1])) for k in plan]
    keep = [np.delete(np.arange(n), index) for index in interior] + fitted
    fits = []
    for start in range(0, len(keep), FIT_BATCH):
        fits += fit_many(objective, np.array([_weights_for(n, k) for k in keep[start : start + FIT_BATCH]]), REFINE)
        report(progress, "leave-one-out and backtest fits", len(fits), len(keep))
    lobo, tests = fits[: len(interior)], fits[len(interior) :]
    scatter = np.concatenate(
        [objective.predict_log(f.theta)[index] - objective.log_loss[index] for f, index in zip(lobo, interior)] or [[]]
    )
    source = "leave-one-budget-out"
    if len(scatter) < 3:
        # Too few budgets to leave one out: in-sample residuals, scaled for the 5 fitted parameters.
        scatter, source = in_sample_scatter(in_sample), "in-sample residuals (too few budgets to leave one out)"
    # Winsorised at OUTLIER_CLIP robust standard deviations (1.4826 MAD), then the RMS: as
    # efficient as the RMS on Gaussian noise, but a few broken runs (diverged, under-trained)
    # cannot widen every interval; they are flagged instead (outside.py).
    robust = float(1.4826 * np.median(np.abs(scatter - np.median(scatter)))) or float(np.sqrt(np.mean(scatter**2)))
    scatter = np.clip(scatter, -OUTLIER_CLIP * robust, OUTLIER_CLIP * robust)
    scatter_sd = float(np.sqrt(np.mean(scatter**2)))
    replicates: Sequence[np.ndarray | None] = [None] * len(plan)
    if resamples and plan:
        # One backtest's resamples at a time (drawn in the same order as all at once): memory holds
        # resamples x runs, not backtests x resamples x runs (600 MB for 37 backtests of 20,000 runs).
        replicates = []
        for index, f in zip(fitted, tests):
            weights = group_weights(groups_of(index), n, resamples, rng)
            replicates.append(solve(objective, np.repeat(f.theta[None], resamples, axis=0), weights, WARM_ITERATIONS)[0])
            report(progress, "backtest resamples", len(replicates) * resamples, len(tests) * resamples)
    backtests = [_backtest_runs(objective, flops, budgets, k, index, f.theta, r) for k, index, f, r in zip(plan, fitted, tests, replicates)]
    tau, slope, drift, mean_z = 0.0, None, False, None
    if backtests:
        x = np.log10(np.concatenate([b.extrapolation for b in backtests]))
        e = np.concatenate([b.log_error for b in backtests])
        if np.sum(x * x) > 0:
            slope = float(np.sum(e * x) / np.sum(x * x))
        variances = [b.param_var for b in backtests if b.param_var is not None]
        if len(variances) == len(backtests):
            var = np.concatenate(variances) + scatter_sd**2
            if np.sum(x * x) > 0:
                tau = float(np.sqrt(max(0.0, np.sum(e * e - var) / np.sum(x * x))))
            z_means = [np.mean(b.log_error / np.sqrt(v + scatter_sd**2)) for b, v in zip(backtests, variances)]
            mean_z = float(np.mean(z_means))
            signs = {np.sign(np.median(b.log_error)) for b in backtests}
            drift = len(backtests) >= 2 and len(signs) == 1 and abs(mean_z) > DRIFT_Z
    return ErrorModel(
        scatter=scatter,
        scatter_sd=scatter_sd,
        scatter_source=source,
        backtests=backtests,
        tau=tau,
        drift_per_decade=slope,
        drift=drift,
        mean_z=mean_z,
    )


def point_rng(seed: int, *values: float) -> np.random.Generator:
    """A generator seeded by ``seed`` and a point's own coordinates: a point's interval does not
    depend on which other points were asked for, or in what order."""
    bits = [int(np.float64(v).view(np.uint64)) for v in values]
    return np.random.default_rng([seed, 2, *bits])


def predictive_draws(
    log_predictions: np.ndarray, decades: np.ndarray, model: ErrorModel, rngs: Sequence[np.random.Generator]
) -> np.ndarray:
    """Draws of log loss: rows are bootstrap replicates' log predictions, columns the points
    (each drawn from its own generator in ``rngs``)."""
    count, points = log_predictions.shape
    extra = model.extra_sd(decades)
    columns = [
        log_predictions[:, j] + rng.choice(model.scatter, size=count) + extra[j] * rng.standard_normal(count)
        for j, rng in zip(range(points), rngs)
    ]
    return np.column_stack(columns)


def drift_warning(model: ErrorModel, decades: float | None = None, label: str | None = None) -> str | None:
    """What drifting backtests imply for a prediction ``decades`` beyond the fitted compute (or,
    without a prediction, that the error grows with the extrapolation)."""
    if not model.drift or model.drift_per_decade is None:
        return None
    furthest = max(model.backtests, key=lambda b: b.median_extrapolation)
    seen = furthest.median_error
    direction = "over" if seen > 0 else "under"
    found = (
        f"the backtests drift: the law has {direction}-predicted by ~{abs(seen):.1%} at "
        f"{furthest.median_extrapolation:.1f}x its fitted compute"
    )
    if label is None or decades is None:
        return found + ", and the error grows with the extrapolation"
    implied = float(np.expm1(model.drift_per_decade * max(decades, 0.0)))
    return (
        f"{found}; that trend implies ~{implied:+.1%} at {label} ({10 ** max(decades, 0.0):.1f}x): expect the true "
        f"loss {'lower' if seen > 0 else 'higher'} than predicted"
    )


def in_sample_scatter(residual: np.ndarray) -> np.ndarray:
    """In-sample residuals scaled for the 5 fitted parameters (when nothing can be left out)."""
    return residual * np.sqrt(len(residual) / max(len(residual) - 5, 1))
