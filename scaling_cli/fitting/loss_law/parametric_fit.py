"""``fit --method parametric``: the loss surface, its bootstrap, and the scaling check around it.

One pass: the multi-start fit; the bootstrap (what ``--resample`` draws); the error model of
``check/error_model.py`` (leave-one-budget-out scatter, rolling-origin backtests); predictions at the points
asked for; the joint held-out check; the regime the largest runs are in; runs outside the law's
regime; the compute-envelope law as a second route; the other objective as a sensitivity check.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from ...core.errors import ScaleError
from ..bootstrap import estimate, group_weight_chunks, grouping
from ..check.cross_study import CrossStudy
from ..check.error_model import BACKTEST_BOOTSTRAP, ErrorModel, error_model, in_sample_scatter, point_rng
from ..check.predict import decades_beyond, holdout_check, predict_points
from ..check.verdicts import Prediction
from ..progress import Progress, report
from ..runs.runs import Runs, check_identifiable, format_rows
from ..solvers.parametric import VARPRO_EXPONENTS, Objective, ParametricFit, fit_many, fit_parametric, grid_starts, optimal, refit
from .check_report import allocation_spread_warnings, backtest_report, check_report, check_warnings
from .envelope_law import EnvelopeLaw, envelope_predictions, fit_envelope_law
from .floor_profile import FloorProfile, pinned_floor
from .law_report import coefficient_samples, largest_residuals, marginal_return, objective_comparison, parametric_at, reducible_at
from .outside import flag, residual_trend
from .regime import diagnose_regime, frontier_slopes, regime_buckets
from .result import FitResult, OutsideRegime
from .summary import SUMMARY_BUDGETS, bootstrap_warnings, fitted_range, frontier_budgets

BOOTSTRAP_CHUNK = 250
"""Resamples solved per batch: progress is reported between batches."""


def bootstrap_thetas(objective: Objective, best: ParametricFit, weights: np.ndarray, progress: Progress | None = None) -> np.ndarray:
    """Warm-started refits of every resample (rows of ``weights``), in batches (progress between them)."""
    chunks = (weights[start : start + BOOTSTRAP_CHUNK] for start in range(0, len(weights), BOOTSTRAP_CHUNK))
    return np.vstack([theta for theta, _ in _refits(objective, best, chunks, len(weights), progress)])


def _refits(
    objective: Objective,
    best: ParametricFit,
    chunks: Iterable[np.ndarray],
    count: int,
    progress: Progress | None = None,
    floors: tuple[FloorProfile, np.random.Generator] | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(thetas, weights) of each batch of resamples, as the batches come (one in memory at a time).
    ``floors``: E is not pinned; each resample draws its E from the profile (``floor_profile.py``)."""
    done = 0
    for weights in chunks:
        if floors is None:
            thetas = refit(objective, best.theta, weights)
        else:
            profile, rng = floors
            thetas = profile.refit(objective, weights, profile.draw(len(weights), rng))
        done += len(weights)
        report(progress, "bootstrap", done, count)
        yield thetas, weights


def fit_parametric_runs(
    runs: Runs,
    train: Runs,
    held_index: np.ndarray,
    *,
    loss: str,
    bootstrap: int,
    seed: int,
    at: float | None,
    compare_losses: bool,
    predict: list[tuple[float, float]],
    predict_flops: list[float],
    resample: str,
    progress: Progress | None,
    envelope_floor: float | None = None,
    exclude_undertrained: bool = False,
    cross_study: CrossStudy | None = None,
) -> FitResult:
    check_identifiable(train)
    objective = Objective(np.log(train.params), np.log(train.tokens), train.loss, loss)
    starts = len(grid_starts()) + len(VARPRO_EXPONENTS) ** 2
    report(progress, "multi-start fit", 0, starts)
    best = fit_parametric(objective)
    notes = list(runs.notes)
    if exclude_undertrained:
        first = objective.predict_log(best.theta) - objective.log_loss
        flagged, _ = flag(train, best.theta, first, float(np.sqrt(np.mean(in_sample_scatter(first) ** 2))))
        if len(flagged):
            train = train.subset(np.delete(np.arange(len(train)), flagged))
            check_identifiable(train)
            notes.append(f"{len(flagged)} run(s) outside the law's regime left out (--exclude-undertrained)")
            objective = Objective(np.log(train.params), np.log(train.tokens), train.loss, loss)
            best = fit_parametric(objective)
    report(progress, "multi-start fit", starts, starts)
    budgets = regime_buckets(train)
    groups_of = grouping(resample, train.params, budgets)
    thetas, failures, slopes = None, 0, None
    floors = None
    if bootstrap and pinned_floor(best.theta):
        profile = FloorProfile(objective, best, len(budgets))
        floors = (profile, np.random.default_rng([seed, 4]))
        notes.append(
            f"the runs do not pin the irreducible loss E (the best fit puts it at 0): each resample draws E from its "
            f"profile likelihood over 0 to {profile.floors[-1]:.3g}, and the runs allow up to {profile.upper95:.3g} "
            "(95 %); the intervals carry it, and predictions beyond the sweep are likely low"
        )
    if bootstrap:
        # Resamples drawn, refitted and read (the frontier slope of each) a batch at a time: memory
        # holds one batch of weights, not bootstrap x runs (160 MB at 20,000 runs).
        chunks = group_weight_chunks(groups_of(np.arange(len(train))), len(train), bootstrap, np.random.default_rng(seed), BOOTSTRAP_CHUNK)
        parts = [
            (theta, frontier_slopes(train, budgets, weights))
            for theta, weights in _refits(objective, best, chunks, bootstrap, progress, floors)
        ]
        thetas, slopes = np.vstack([theta for theta, _ in parts]), np.concatenate([slope for _, slope in parts])
        ok = np.all(np.isfinite(thetas), axis=1)
        failures = int((~ok).sum())
        thetas, slopes = thetas[ok], slopes[ok]
    predicted_log = objective.predict_log(best.theta)
    residual = predicted_log - objective.log_loss
    model = error_model(
        objective,
        train.flops,
        budgets,
        groups_of,
        min(bootstrap, BACKTEST_BOOTSTRAP),
        np.random.default_rng([seed, 1]),
        residual,
        progress,
        cross_study,
        optima=np.array([theta for _, theta in best.refined]),
    )
    fitted_max = float(train.flops.max())
    predictions = _predictions(objective, best, thetas, model, fitted_max, predict, predict_flops, seed)
    envelope = _envelope_route(train, budgets, bootstrap, seed, model, envelope_floor, predictions, fitted_max)
    holdout = None
    if len(held_index):
        held = runs.subset(held_index)
        log_n, log_d = np.log(held.params), np.log(held.tokens)
        replicate = None if thetas is None else objective.predict_log_many(thetas, log_n, log_d)
        holdout = holdout_check(held, objective.predict_log(best.theta, log_n, log_d), replicate, fitted_max, model, seed)
    samples = None if thetas is None else coefficient_samples(thetas)
    point = best.coefficients
    reference_flops = at if at is not None else fitted_max
    marginal = marginal_return(best.theta, thetas, fitted_max)
    resolution = model.scatter_sd * float(optimal(best.theta, fitted_max)[2][0])
    frontier_flops = frontier_budgets(train, max([at or 0.0, *predict_flops, *runs.flops[held_index]]))
    budgets_at = [reference_flops, *([] if at is None else [at]), *SUMMARY_BUDGETS, *frontier_flops]
    reference, *rest = parametric_at(best.theta, thetas, budgets_at)
    at_budget, rest = (None, rest) if at is None else (rest[0], rest[1:])
    allocation, frontier = rest[: len(SUMMARY_BUDGETS)], rest[len(SUMMARY_BUDGETS) :]
    comparison = None
    if compare_losses:
        comparison = objective_comparison(objective, best, reference_flops)
    outside = _outside_regime(train, objective, best, reference_flops, residual, model.scatter_sd)
    regime_warnings = (
        []
        if outside is None
        else [
            f"{len(outside.rows)} run(s) look outside the law's regime (rows {format_rows(outside.rows)}: "
            f"{outside.reasons[0]}{'; ...' if len(outside.reasons) > 1 else ''})"
            + ("" if outside.shift is None else f": without them the loss at {reference_flops:.3g} FLOPs moves by {outside.shift:+.2%}")
            + "; --exclude-undertrained leaves them out"
        ]
    )
    trend = residual_trend(train, residual)
    regime_warnings += [trend] if trend else []
    return FitResult(
        method="parametric",
        loss=loss,
        source=runs.source,
        n_runs=len(train),
        n_holdout=len(held_index),
        bootstrap=0 if thetas is None else len(thetas),
        bootstrap_failures=failures,
        seed=seed,
        coefficients={name: estimate(point[name], None if samples is None else samples[name]) for name in point},
        a=estimate(point["beta"] / (point["alpha"] + point["beta"]), None if samples is None else samples["a"]),
        b=estimate(point["alpha"] / (point["alpha"] + point["beta"]), None if samples is None else samples["b"]),
        k_params=None,
        k_tokens=None,
        objective=best.objective,
        n_starts=best.n_starts,
        n_refined=len(best.refined),
        rmse_log=float(np.sqrt(np.mean(residual**2))),
        reference=reference,
        at=at_budget,
        allocation=allocation,
        frontier=frontier,
        largest_residuals=largest_residuals(train, predicted_log),
        buckets=None,
        skipped_buckets=[],
        holdout=holdout,
        regime=diagnose_regime(
            train,
            budgets,
            slopes,
            irreducible=point["E"],
            reducible=reducible_at(best.theta, fitted_max),
            marginal=marginal,
            resolution=resolution,
        ),
        loss_comparison=comparison,
        warnings=list(runs.warnings)
        + best.warnings
        + bootstrap_warnings(failures, bootstrap)
        + check_warnings(model, predictions)
        + regime_warnings
        + allocation_spread_warnings([reference, *([at_budget] if at_budget is not None else []), *allocation]),
        notes=notes,
        predictions=predictions,
        backtests=[backtest_report(b, train.flops) for b in model.backtests],
        check=check_report(model, resample, bootstrap),
        resample=resample,
        envelope_law=envelope,
        outside_regime=outside,
        fitted_range=fitted_range(train),
    )


def _predictions(
    objective: Objective,
    best: ParametricFit,
    thetas: np.ndarray | None,
    model: ErrorModel,
    fitted_max: float,
    points: list[tuple[float, float]],
    budgets: list[float],
    seed: int,
) -> list[Prediction]:
    if not points and not budgets:
        return []
    params = [float(n) for n, _ in points]
    tokens = [float(d) for _, d in points]
    point_log = [float(objective.predict_log(best.theta, np.log(n), np.log(d))) for n, d in points]
    columns: list[np.ndarray] = []
    for n, d in points:
        if thetas is not None:
            columns.append(objective.predict_log_many(thetas, np.log(n), np.log(d))[:, 0])
    for flops in budgets:
        n, d, value = (float(x[0]) for x in optimal(best.theta, flops))
        params.append(n)
        tokens.append(d)
        point_log.append(float(np.log(value)))
        if thetas is not None:
            columns.append(np.log(optimal(thetas, flops)[2]))
    flops = 6.0 * np.array(params) * np.array(tokens)
    flops[len(points) :] = budgets
    decades = decades_beyond(flops, fitted_max)
    replicate = None if thetas is None else np.column_stack(columns)
    labels = [f"{n:.3g} params on {d:.3g} tokens" for n, d in points] + [f"{c:.3g} FLOPs" for c in budgets]
    rngs = [point_rng(seed, n, d) for n, d in zip(params, tokens)]
    found = predict_points(np.array(point_log), replicate, decades, model, rngs, labels)
    return [
        Prediction(
            params=params[i],
            tokens=tokens[i],
            flops=float(flops[i]),
            extrapolation=float(flops[i] / fitted_max),
            loss=value,
            interval_parts=split,
            compute_optimal=i >= len(points),
            warnings=warnings,
        )
        for i, (value, split, warnings) in enumerate(found)
    ]


def _outside_regime(
    train: Runs, objective: Objective, best: ParametricFit, flops: float, residual: np.ndarray, scatter_sd: float
) -> OutsideRegime | None:
    """Flagged runs, and the predicted loss at ``flops`` with and without them."""
    index, reasons = flag(train, best.theta, residual, scatter_sd)
    if not len(index):
        return None
    with_them = float(optimal(best.theta, flops)[2][0])
    without = None
    if len(train) - len(index) >= 10:
        weights = np.ones(len(train))
        weights[index] = 0.0
        refit_theta = fit_many(objective, weights, 8)[0].theta
        without = float(optimal(refit_theta, flops)[2][0])
    rows = [train.rows[i] if train.rows else int(i) + 1 for i in index]
    return OutsideRegime(
        rows=rows,
        reasons=reasons,
        loss_at_reference=with_them,
        loss_at_reference_without=without,
        shift=None if without is None else without / with_them - 1,
    )


def _envelope_route(
    train: Runs,
    budgets: list[np.ndarray],
    bootstrap: int,
    seed: int,
    model: ErrorModel,
    floor: float | None,
    predictions: list[Prediction],
    fitted_max: float,
) -> EnvelopeLaw | None:
    """Fit L(C) = E + A C^-gamma on the frontier; put its answer beside each compute-optimal prediction."""
    if floor is not None and not floor < float(train.loss.min()):
        raise ScaleError(f"--envelope-floor: expected a loss below the lowest run's {train.loss.min():.4g}, got {floor:g}")
    found = fit_envelope_law(train.flops, train.loss, budgets, bootstrap, np.random.default_rng([seed, 3]), model.scatter_sd, floor)
    if found is None:
        return None
    law, point, samples = found
    targets = [p for p in predictions if p.compute_optimal]
    rngs = [point_rng(seed, p.flops) for p in targets]
    for prediction, value in zip(
        targets, envelope_predictions(law, point, samples, [p.flops for p in targets], fitted_max, model.scatter, rngs)
    ):
        prediction.envelope = value
        a, b = prediction.loss.ci95, value.ci95
        if a is not None and b is not None and (a[1] < b[0] or b[1] < a[0]):
            prediction.warnings.append(
                f"at {prediction.flops:.3g} FLOPs the parametric law ({prediction.loss.value:.4f}, 95 % [{a[0]:.4f}, {a[1]:.4f}]) "
                f"and the compute envelope L(C) = E + A C^-gamma ({value.value:.4f}, [{b[0]:.4f}, {b[1]:.4f}]) disagree beyond "
                "their intervals: one of the two forms does not hold that far out"
            )
    return law
