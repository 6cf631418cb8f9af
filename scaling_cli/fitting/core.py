"""``fit``: fit a scaling law to a team's own runs, with bootstrap intervals and a held-out check.

Three methods (Hoffmann et al. 2022): ``parametric`` (Approach 3, the loss surface
L = E + A/N^alpha + B/D^beta), ``isoflop`` (Approach 2, parabola vertices per budget) and
``envelope`` (Approach 1, the best run per compute level). The check a team runs before asking
for a bigger budget is ``holdout``: fit without the largest runs, then predict them.
"""

from __future__ import annotations

import numpy as np

from ..errors import ScaleError
from .allocation import AllocationFit, fit_allocation
from .bootstrap import estimate, resample_weights, stratified_weights
from .buckets import buckets_for
from .parametric import Objective, ParametricFit, fit_parametric, refit
from .regime import diagnose_regime, frontier_slope, regime_buckets
from .result import AtBudget, FitResult, Holdout, HoldoutRun, LossComparison, Residual
from .runs import Runs

METHODS = ("parametric", "isoflop", "envelope")
LOSSES = ("huber", "lsq")
DEFAULT_BOOTSTRAP = 1000
MAX_BOOTSTRAP = 100_000
"""Percentile intervals settle long before this many resamples; more only burns time."""
SUMMARY_BUDGETS = (1e21, 1e23, 1e25)
FRONTIER_POINTS = 25
LOSS_DISAGREEMENT = 0.20
"""Show tokens/param under both objectives when they differ by more than this."""


def fit(
    runs: Runs,
    method: str = "parametric",
    loss: str = "huber",
    bootstrap: int = DEFAULT_BOOTSTRAP,
    seed: int = 0,
    holdout: int = 0,
    at: float | None = None,
    buckets: int | None = None,
    compare_losses: bool = True,
) -> FitResult:
    """Fit ``method`` to ``runs``; bootstrap ``bootstrap`` resamples (0: none), seeded by ``seed``.

    ``compare_losses`` (parametric) also fits the other objective, to show how much the choice of
    loss moves the tokens per parameter.
    """
    if method not in METHODS:
        raise ScaleError(f"--method: expected one of {', '.join(METHODS)}, got {method!r}")
    if loss not in LOSSES:
        raise ScaleError(f"--loss: expected one of {', '.join(LOSSES)}, got {loss!r}")
    if not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise ScaleError(f"--bootstrap: expected a count from 0 to {MAX_BOOTSTRAP:,}, got {bootstrap}")
    if buckets is not None and not 2 <= buckets <= len(runs):
        raise ScaleError(f"--buckets: expected from 2 to {len(runs)} (the number of runs), got {buckets}")
    if at is not None and not (np.isfinite(at) and at > 0):
        raise ScaleError(f"--at: expected a compute budget > 0 in FLOPs, got {at!r}")
    if holdout:
        if method != "parametric":
            raise ScaleError("--holdout predicts held-out losses: it needs --method parametric (the only method with a loss form)")
        if not 0 < holdout < len(runs):
            raise ScaleError(f"--holdout: expected between 1 and {len(runs) - 1} runs, got {holdout}")
    order = np.argsort(runs.flops, kind="stable")
    train_index = np.sort(order[: len(runs) - holdout])
    held_index = np.sort(order[len(runs) - holdout:]) if holdout else np.array([], dtype=int)
    train = runs.subset(train_index)
    rng = np.random.default_rng(seed)
    if method == "parametric":
        return _fit_parametric(runs, train, held_index, loss, bootstrap, seed, rng, at, compare_losses)
    return _fit_allocation(runs, train, method, bootstrap, seed, rng, at, buckets)


# -- parametric -----------------------------------------------------------------------------


def check_identifiable(runs: Runs, n_parameters: int = 5) -> None:
    """Refuse designs that cannot determine L = E + A/N^alpha + B/D^beta, saying why."""
    if len(runs) < n_parameters:
        raise ScaleError(f"{runs.source}: {len(runs)} runs, fewer than the {n_parameters} parameters to fit (E, A, B, alpha, beta)")
    if len(np.unique(runs.params)) < 2:
        raise ScaleError(f"{runs.source}: every run has the same model size ({runs.params[0]:.4g} params): alpha is unidentifiable")
    if len(np.unique(runs.tokens)) < 2:
        raise ScaleError(f"{runs.source}: every run has the same token count ({runs.tokens[0]:.4g}): beta is unidentifiable")
    design = np.column_stack([np.ones(len(runs)), np.log(runs.params), np.log(runs.tokens)])
    if np.linalg.matrix_rank(design - design.mean(axis=0) * [0, 1, 1], tol=1e-8 * np.abs(design).max()) < 3:
        raise ScaleError(
            f"{runs.source}: params and tokens move together in every run (tokens proportional to a power of "
            "params, e.g. one tokens-per-parameter ratio): alpha and beta cannot be separated"
        )


def _fit_parametric(runs, train, held_index, loss, bootstrap, seed, rng, at, compare_losses) -> FitResult:
    check_identifiable(train)
    objective = Objective(np.log(train.params), np.log(train.tokens), train.loss, loss)
    best = fit_parametric(objective)
    thetas, failures = None, 0
    if bootstrap:
        weights = resample_weights(len(train), bootstrap, rng)
        thetas = np.array([refit(objective, best.theta, w) for w in weights])
        ok = np.all(np.isfinite(thetas), axis=1)
        failures = int((~ok).sum())
        thetas, weights = thetas[ok], weights[ok]
    samples = None if thetas is None else _coefficient_samples(thetas)
    point = best.coefficients
    reference_flops = at if at is not None else float(train.flops.max())
    predicted_log = objective.predict_log(best.theta)
    residual = predicted_log - objective.log_loss
    reducible = _reducible_at(best.theta, float(train.flops.max()))
    buckets = regime_buckets(train)
    slopes = None if thetas is None else np.array([frontier_slope(train, buckets, w)[0] for w in weights])
    comparison = None
    if compare_losses:
        other = "lsq" if loss == "huber" else "huber"
        alternative = fit_parametric(Objective(objective.log_params, objective.log_tokens, train.loss, other))
        comparison = _compare_losses(loss, best, alternative, reference_flops)
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
        reference=_parametric_at(best.theta, thetas, reference_flops),
        at=None if at is None else _parametric_at(best.theta, thetas, at),
        allocation=[_parametric_at(best.theta, thetas, c) for c in SUMMARY_BUDGETS],
        frontier=[_parametric_at(best.theta, thetas, c) for c in _frontier_budgets(train, at)],
        largest_residuals=_largest_residuals(train, predicted_log),
        buckets=None,
        skipped_buckets=[],
        holdout=_holdout(runs, held_index, objective, best, thetas, residual) if len(held_index) else None,
        regime=diagnose_regime(train, buckets, slopes, irreducible=point["E"], reducible=reducible),
        loss_comparison=comparison,
        warnings=best.warnings + _bootstrap_warnings(failures, bootstrap),
        notes=list(runs.notes),
    )


def _frontier_budgets(runs: Runs, at: float | None) -> list[float]:
    high = max(float(runs.flops.max()), at or 0.0)
    return np.geomspace(float(runs.flops.min()), high, FRONTIER_POINTS).tolist()


def _coefficient_samples(thetas: np.ndarray) -> dict[str, np.ndarray]:
    a, b, e, alpha, beta = thetas.T
    return {
        "E": np.exp(e), "A": np.exp(a), "B": np.exp(b), "alpha": alpha, "beta": beta,
        "a": beta / (alpha + beta), "b": alpha / (alpha + beta),
    }


def _optimal(theta: np.ndarray, flops: float):
    """(params, tokens, loss) of the compute-optimal model at ``flops``, for one theta or rows of them."""
    from ..laws import chinchilla_optimal

    theta = np.atleast_2d(theta)
    a, b, e, alpha, beta = theta.T
    with np.errstate(all="ignore"):
        params, tokens = chinchilla_optimal(np.exp(a), np.exp(b), alpha, beta, flops)
        loss = np.exp(e) + np.exp(a) / params**alpha + np.exp(b) / tokens**beta
    return params, tokens, loss


def _parametric_at(theta, thetas, flops) -> AtBudget:
    params, tokens, loss = (float(x[0]) for x in _optimal(theta, flops))
    if thetas is None:
        sample = dict.fromkeys(("params", "tokens", "loss", "tpp"))
    else:
        p, t, l = _optimal(thetas, flops)
        sample = {"params": p, "tokens": t, "loss": l, "tpp": t / p}
    return AtBudget(
        flops=flops,
        params=estimate(params, sample["params"]),
        tokens=estimate(tokens, sample["tokens"]),
        tokens_per_param=estimate(tokens / params, sample["tpp"]),
        loss=estimate(loss, sample["loss"]),
    )


def _reducible_at(theta, flops) -> float:
    _, _, loss = _optimal(theta, flops)
    return float(loss[0] - np.exp(theta[2]))


def _largest_residuals(runs: Runs, predicted_log: np.ndarray, count: int = 5) -> list[Residual]:
    residual = predicted_log - np.log(runs.loss)
    worst = np.argsort(-np.abs(residual), kind="stable")[:count]
    return [
        Residual(
            row=runs.rows[i] if runs.rows else int(i) + 1,
            line=runs.lines[i] if runs.lines else None,
            params=float(runs.params[i]),
            tokens=float(runs.tokens[i]),
            loss=float(runs.loss[i]),
            predicted=float(np.exp(predicted_log[i])),
            residual_log=float(residual[i]),
        )
        for i in worst
    ]


def _holdout(runs, held_index, objective, best: ParametricFit, thetas, residual) -> Holdout:
    held = runs.subset(held_index)
    log_n, log_d = np.log(held.params), np.log(held.tokens)
    predicted = np.exp(objective.predict_log(best.theta, log_n, log_d))
    intervals = [None] * len(held)
    if thetas is not None:
        # A prediction interval: each replicate's prediction plus a residual of the fit drawn at
        # random, so that run-to-run scatter counts as well as parameter uncertainty.
        rng = np.random.default_rng(len(thetas))
        noise = rng.choice(residual, size=(len(thetas), len(held)))
        draws = np.array([objective.predict_log(t, log_n, log_d) for t in thetas]) - noise
        low, high = np.percentile(np.exp(draws), [2.5, 97.5], axis=0)
        intervals = list(zip(low.tolist(), high.tolist()))
    result = []
    for i in range(len(held)):
        ci = intervals[i]
        result.append(HoldoutRun(
            params=float(held.params[i]), tokens=float(held.tokens[i]), flops=float(held.flops[i]),
            loss=float(held.loss[i]), predicted=float(predicted[i]), ci95=ci,
            error=float(predicted[i] / held.loss[i] - 1),
            inside=None if ci is None else bool(ci[0] <= held.loss[i] <= ci[1]),
        ))
    worst = max(abs(r.error) for r in result)
    if thetas is None:
        return Holdout(runs=result, all_inside=None, verdict=f"largest error {worst:.2%}; no intervals without a bootstrap (--bootstrap 0)")
    outside = sum(not r.inside for r in result)
    if outside == 0:
        verdict = (f"all {len(result)} held-out runs (the largest by compute) fall inside their 95 % prediction "
                   f"intervals; largest error {worst:.2%}: the fit extrapolates to them")
    else:
        verdict = (f"{outside} of {len(result)} held-out runs fall outside their 95 % prediction intervals "
                   f"(largest error {worst:.2%}): the fit does not extrapolate to the largest runs; do not trust it further out")
    return Holdout(runs=result, all_inside=outside == 0, verdict=verdict)


def _compare_losses(loss, best, alternative, flops) -> LossComparison:
    tpp = {}
    for name, result in ((loss, best), ("lsq" if loss == "huber" else "huber", alternative)):
        params, tokens, _ = _optimal(result.theta, flops)
        tpp[name] = float(tokens[0] / params[0])
    return LossComparison(
        flops=flops, huber=tpp["huber"], lsq=tpp["lsq"],
        relative_difference=abs(tpp["huber"] - tpp["lsq"]) / min(tpp["huber"], tpp["lsq"]),
    )


def _bootstrap_warnings(failures: int, requested: int) -> list[str]:
    if failures:
        return [f"{failures} of {requested} bootstrap refits failed and were dropped"]
    return []


# -- isoflop / envelope -----------------------------------------------------------------------


def _fit_allocation(runs, train, method, bootstrap, seed, rng, at, bucket_count) -> FitResult:
    buckets = buckets_for(train.flops, bucket_count, method)
    best = fit_allocation(train, buckets, method)
    if best is None:
        raise ScaleError(
            f"{runs.source}: {method} needs optima in at least 2 compute buckets; "
            f"found {len(buckets)} bucket(s)" + (f" ({'; '.join(_skips(train, buckets, method))})" if buckets else "")
        )
    samples, failures = None, 0
    if bootstrap:
        fits = [fit_allocation(train, buckets, method, w) for w in stratified_weights(buckets, len(train), bootstrap, rng)]
        failures = sum(f is None for f in fits)
        fits = [f for f in fits if f is not None]
        samples = {key: np.array([getattr(f, key) for f in fits]) for key in ("a", "b", "k_params", "k_tokens")}
    reference_flops = at if at is not None else float(train.flops.max())
    log_residual = np.log([o.params for o in best.optima]) - np.log(best.k_params * np.array([o.flops for o in best.optima]) ** best.a)
    slopes = None
    regime_groups = regime_buckets(train)
    if bootstrap:
        slopes = np.array([frontier_slope(train, regime_groups, w)[0] for w in resample_weights(len(train), bootstrap, rng)])
    pick = (lambda key: None) if samples is None else samples.get
    return FitResult(
        method=method,
        loss=None,
        source=runs.source,
        n_runs=len(train),
        n_holdout=0,
        bootstrap=0 if samples is None else len(samples["a"]),
        bootstrap_failures=failures,
        seed=seed,
        coefficients=None,
        a=estimate(best.a, pick("a")),
        b=estimate(best.b, pick("b")),
        k_params=estimate(best.k_params, pick("k_params")),
        k_tokens=estimate(best.k_tokens, pick("k_tokens")),
        objective=None,
        n_starts=None,
        n_refined=None,
        rmse_log=float(np.sqrt(np.mean(log_residual**2))),
        reference=_allocation_at(best, samples, reference_flops),
        at=None if at is None else _allocation_at(best, samples, at),
        allocation=[_allocation_at(best, samples, c) for c in SUMMARY_BUDGETS],
        frontier=[_allocation_at(best, samples, c) for c in _frontier_budgets(train, at)],
        largest_residuals=[],
        buckets=best.optima,
        skipped_buckets=best.skipped,
        holdout=None,
        regime=diagnose_regime(train, regime_groups, slopes),
        loss_comparison=None,
        warnings=_bootstrap_warnings(failures, bootstrap),
        notes=list(runs.notes),
    )


def _skips(runs, buckets, method) -> list[str]:
    from .allocation import OPTIMUM

    return [found for found in (OPTIMUM[method](runs, index) for index in buckets) if isinstance(found, str)]


def _allocation_at(best: AllocationFit, samples, flops) -> AtBudget:
    params, tokens = best.k_params * flops**best.a, best.k_tokens * flops**best.b
    if samples is None:
        sample = dict.fromkeys(("p", "t", "tpp"))
    else:
        p = samples["k_params"] * flops ** samples["a"]
        t = samples["k_tokens"] * flops ** samples["b"]
        sample = {"p": p, "t": t, "tpp": t / p}
    return AtBudget(
        flops=flops,
        params=estimate(params, sample["p"]),
        tokens=estimate(tokens, sample["t"]),
        tokens_per_param=estimate(tokens / params, sample["tpp"]),
        loss=None,
    )
