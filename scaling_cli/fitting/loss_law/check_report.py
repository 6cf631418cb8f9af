"""What a parametric fit reports about its own check: the warnings (each cause once), the
scaling check's summary, each backtest, and an allocation the runs do not pin down."""

from __future__ import annotations

import numpy as np

from ..check.error_model import BacktestFit, ErrorModel, drift_warning
from ..check.verdicts import Backtest, BacktestErrors, Prediction, ScalingCheck
from .result import AtBudget

ALLOCATION_SPREAD = 10.0
"""A 95 % interval of tokens per parameter wider than this factor does not pin the N/D split down."""


def allocation_spread_warnings(budgets: list[AtBudget]) -> list[str]:
    """One warning where the runs do not identify the split between parameters and tokens: at
    some budget the fitted allocation's 95 % interval of tokens per parameter spans more than
    ``ALLOCATION_SPREAD``x (#26: a 9-run fit put 1e23 FLOPs on 0.3 tokens per parameter, 95 %
    0.006-288, with no warning)."""
    wide = []
    for budget in budgets:
        interval = budget.tokens_per_param.ci95
        if interval is not None and interval[0] > 0 and interval[1] / interval[0] > ALLOCATION_SPREAD:
            wide.append((interval[1] / interval[0], budget))
    if not wide:
        return []
    spread, worst = max(wide, key=lambda item: item[0])
    low, high = worst.tokens_per_param.ci95 or (0.0, 0.0)
    where = ", ".join(f"{b.flops:.3g}" for b in sorted({b.flops: b for _, b in wide}.values(), key=lambda b: b.flops))
    return [
        f"the allocation is not pinned down at {where} FLOPs: at {worst.flops:.3g}, {worst.tokens_per_param.value:.3g} tokens per "
        f"parameter with a 95 % interval of {low:.3g}-{high:.3g} ({spread:.0f}x wide); the runs do not identify the split between "
        "parameters and tokens (more sizes per budget): do not plan a run on it"
    ]


def check_warnings(model: ErrorModel, predictions: list[Prediction]) -> list[str]:
    """Each cause once, however many predictions it touches (each prediction keeps its own in
    ``predictions[].warnings``): the drift, said of the furthest prediction; the predictions
    beyond the backtests' reach, counted; anything else once per distinct text."""
    warnings = []
    furthest = max(predictions, key=lambda p: p.extrapolation, default=None)
    said = [w for w in furthest.warnings if w.startswith("the backtests drift")] if furthest else []
    drift = said[0] if said else drift_warning(model)
    if drift:
        warnings.append(drift)
    beyond = [p for p in predictions if any("beyond the" in w and "backtests reached" in w for w in p.warnings)]
    if beyond:
        reach = max(b.max_extrapolation for b in model.backtests)
        warnings.append(
            f"{len(beyond)} of {len(predictions)} prediction{'s' * (len(predictions) > 1)} lie beyond the {reach:.1f}x the backtests "
            f"reached (up to {max(p.extrapolation for p in beyond):.1f}x): their intervals add the cross-study error for the distance the "
            "sweep has not seen"
        )
    for p in predictions:
        for w in p.warnings:
            if w not in warnings and not w.startswith("the backtests drift") and not ("beyond the" in w and "backtests reached" in w):
                warnings.append(w)
    return warnings


def check_report(model: ErrorModel, resample: str, bootstrap: int) -> ScalingCheck:
    n = len(model.backtests)
    prior = model.prior
    cross = (
        ""
        if prior is None
        else f"; real laws missed {prior.tau_per_decade:.2%} per decade across {len(prior.studies)} studies (configs/extrapolation.toml)"
    )
    if not n:
        evidence = (
            "no backtest: fewer than 4 compute budgets (or too few runs below the largest ones), so the sweep cannot measure its "
            f"own extrapolation error: intervals widen by the cross-study error alone, {model.tau:.2%} per decade{cross}"
        )
    elif model.own_tau is None:
        evidence = (
            f"{n} backtests, errors reported without a drift test (no bootstrap: --bootstrap 0); intervals use the cross-study "
            f"error, {model.tau:.2%} per decade{cross}"
        )
    else:
        evidence = (
            f"{n} backtests: mean standardized error {model.mean_z:+.2f}, their own extrapolation error {model.own_tau:.2%} "
            f"per decade{cross}; together {model.tau:.2%} per decade beyond the fitted compute"
            + ("; the law drifts as compute grows" if model.drift else "")
        )
    return ScalingCheck(
        resample=resample,
        scatter=model.scatter_sd,
        scatter_source=model.scatter_source,
        extrapolation_per_decade=model.tau,
        backtest_per_decade=model.own_tau,
        cross_study_per_decade=0.0 if prior is None else prior.tau_per_decade,
        cross_study_weight=0.0 if prior is None else prior.prior_weight,
        drift_per_decade=model.drift_per_decade,
        drift=model.drift,
        mean_standardized_error=model.mean_z,
        evidence=evidence,
        backtest_excess=model.excess,
        backtest_weight=model.weight,
    )


def backtest_report(backtest: BacktestFit, flops: np.ndarray) -> Backtest:
    return Backtest(
        fitted_up_to_flops=backtest.fitted_up_to_flops,
        n_fitted=backtest.n_fitted,
        runs=backtest.runs,
        extrapolation=backtest.median_extrapolation,
        max_extrapolation=backtest.max_extrapolation,
        median_error=backtest.median_error,
        errors=BacktestErrors(
            flops=flops[backtest.index].tolist(), extrapolation=backtest.extrapolation.tolist(), error=np.expm1(backtest.log_error).tolist()
        ),
    )
