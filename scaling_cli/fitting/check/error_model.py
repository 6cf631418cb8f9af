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
  systematic extrapolation error with a standard deviation ``tau`` per decade. A sweep cannot
  see beyond itself, so its backtests update the error real laws showed across studies
  (``cross_study.py``): tau^2 = (k_0 tau_0^2 + excess) / (k_0 + weight), with excess and weight
  the backtests' sums of e^2 - var_param - scatter^2 and of x^2 (per backtest, their means).
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
from ..solvers.parametric import SCREEN_RUNS, Objective, ParametricFit, fit_many
from ..solvers.solver import WARM_ITERATIONS, solve
from .cross_study import CrossStudy, cross_study

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
WARM_BUDGETS = 10
WARM_DISTINCT = 0.05
"""Optima closer than this (log A, log B, E, alpha, beta) are one basin: one warm start."""
"""Budgets from which leaving one out starts from the full fit's optima (with over SCREEN_RUNS runs)."""
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
    """Systematic extrapolation error, standard deviation per decade beyond the fitted compute:
    the cross-study error updated by the sweep's own backtests (``cross_study.py``)."""
    drift_per_decade: float | None
    """Least-squares slope of backtest log errors against decades of extrapolation."""
    drift: bool
    mean_z: float | None
    excess: float | None = None
    """The backtests' squared log errors beyond what the bootstrap and the scatter explain: per
    backtest the mean of e^2 - var_param - scatter^2, summed over backtests (None without
    backtests or without a bootstrap)."""
    weight: float = 0.0
    """Per backtest the mean squared decades of extrapolation, summed: the weight of that evidence."""
    own_tau: float | None = None
    """tau from the backtests alone (None without backtests or without a bootstrap)."""
    prior: CrossStudy | None = None
    """The cross-study error the backtests update."""

    @property
    def reach(self) -> float | None:
        """Decades beyond its fitted compute the furthest backtest predicted (None: no evidence of its own)."""
        if self.excess is None or not self.backtests:
            return None
        return float(np.log10(max(b.max_extrapolation for b in self.backtests)))

    def extra_sd(self, decades: Values) -> np.ndarray:
        """The systematic error's standard deviation at ``decades`` beyond the fitted compute:
        tau x, and beyond the backtests' reach r also tau_0 (x - r): the backtests cannot see
        a drift that starts beyond them, real laws' errors there are the only evidence."""
        prior, own = self.extra_shares(decades)
        return np.sqrt(prior**2 + own**2)

    def extra_shares(self, decades: Values) -> tuple[np.ndarray, np.ndarray]:
        """The cross-study and backtest parts of :meth:`extra_sd` (see ``CrossStudy.shares``)."""
        x = np.maximum(np.asarray(decades, dtype=float), 0.0)
        if self.prior is None:
            return np.zeros_like(x), self.tau * x
        prior, own = self.prior.shares(self.excess, self.weight)
        reach = self.reach
        beyond = np.zeros_like(x) if reach is None else np.maximum(x - reach, 0.0)
        return np.sqrt((prior * x) ** 2 + (self.prior.tau_per_decade * beyond) ** 2), own * x


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


def _distinct(optima: np.ndarray) -> np.ndarray:
    """The optima at least ``WARM_DISTINCT`` apart in every constant's log or exponent, best first:
    starts that reached one basin are one start for a fit on nearly the same runs."""
    kept = [optima[0]]
    for theta in optima[1:]:
        if all(np.max(np.abs(theta - k)) > WARM_DISTINCT for k in kept):
            kept.append(theta)
    return np.array(kept)


def error_model(
    objective: Objective,
    flops: np.ndarray,
    budgets: list[np.ndarray],
    groups_of: Grouping,
    resamples: int,
    rng: np.random.Generator,
    in_sample: np.ndarray,
    progress: Progress | None = None,
    prior: CrossStudy | None = None,
    optima: np.ndarray | None = None,
) -> ErrorModel:
    """Scatter (leave-one-budget-out), backtests, tau and drift for the runs of ``objective``.

    Every refit is a weighted fit of the same objective (0 for the runs it may not see): the
    leave-one-out and backtest fits are solved in batches of :data:`FIT_BATCH`, each backtest's
    bootstrap as another. ``progress(stage, done, total)`` hears after each batch. ``prior`` is
    the cross-study extrapolation error the backtests update (default: ``configs/extrapolation.toml``).

    ``optima`` (k, 5): the distinct optima the fit on all runs reached. Above
    :data:`~scaling_cli.fitting.solvers.parametric.SCREEN_RUNS` runs with at least
    :data:`WARM_BUDGETS` budgets, a leave-one-budget-out fit starts from them instead of screening
    4,500 starts anew: leaving out one budget of many moves the optimum within its basin (on a
    20,000-run file, 38 fits; bench/speed.py). Backtests, which leave out half the runs, still screen.
    """
    prior = cross_study() if prior is None else prior
    n = len(objective.loss)
    interior = budgets[1:-1]
    plan = backtest_plan(flops, budgets)
    fitted = [np.sort(np.concatenate(budgets[: k + 1])) for k in plan]
    left_out = [np.delete(np.arange(n), index) for index in interior]
    warm = _distinct(np.atleast_2d(optima)) if optima is not None and n > SCREEN_RUNS and len(budgets) >= WARM_BUDGETS else None
    total, done = len(left_out) + len(fitted), 0
    lobo: list[ParametricFit] = []
    tests: list[ParametricFit] = []
    # Leave-one-budget-out fits (warm on a large file), then the backtests (always screened).
    for kept, starts, fits in ((left_out, warm, lobo), (fitted, None, tests)):
        for start in range(0, len(kept), FIT_BATCH):
            weights = np.array([_weights_for(n, k) for k in kept[start : start + FIT_BATCH]])
            fits += fit_many(objective, weights, REFINE, starts=starts)
            done += len(weights)
            report(progress, "leave-one-out and backtest fits", done, total)
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
    own_tau, slope, drift, mean_z, excess, weight = None, None, False, None, None, 0.0
    if backtests:
        x = np.log10(np.concatenate([b.extrapolation for b in backtests]))
        e = np.concatenate([b.log_error for b in backtests])
        if np.sum(x * x) > 0:
            slope = float(np.sum(e * x) / np.sum(x * x))
        variances = [b.param_var for b in backtests if b.param_var is not None]
        if len(variances) == len(backtests):
            # Each backtest is one piece of evidence: its predictions share one fit, so their
            # errors move together. Per backtest, the mean squared error beyond what the
            # bootstrap and the scatter explain, and the mean squared decades.
            excess = float(sum(np.mean(b.log_error**2 - v - scatter_sd**2) for b, v in zip(backtests, variances)))
            weight = float(sum(np.mean(np.log10(b.extrapolation) ** 2) for b in backtests))
            if weight > 0:
                own_tau = float(np.sqrt(max(0.0, excess / weight)))
            else:
                excess = None  # backtests at no distance carry no evidence about distance
            z_means = [np.mean(b.log_error / np.sqrt(v + scatter_sd**2)) for b, v in zip(backtests, variances)]
            mean_z = float(np.mean(z_means))
            signs = {np.sign(np.median(b.log_error)) for b in backtests}
            drift = len(backtests) >= 2 and len(signs) == 1 and abs(mean_z) > DRIFT_Z
    return ErrorModel(
        scatter=scatter,
        scatter_sd=scatter_sd,
        scatter_source=source,
        backtests=backtests,
        tau=prior.combined(excess, weight),
        drift_per_decade=slope,
        drift=drift,
        mean_z=mean_z,
        excess=excess,
        weight=weight,
        own_tau=own_tau,
        prior=prior,
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
