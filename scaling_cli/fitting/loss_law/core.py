"""``fit``: fit a scaling law to a team's own runs, with bootstrap intervals and a held-out check.

Three methods (Hoffmann et al. 2022): ``parametric`` (Approach 3, the loss surface
L = E + A/N^alpha + B/D^beta), ``isoflop`` (Approach 2, parabola vertices per budget) and
``envelope`` (Approach 1, the best run per compute level). The check a team runs before asking
for a bigger budget is ``holdout``: fit without the largest runs, then predict them.
"""

from __future__ import annotations

import numbers

import numpy as np

from ...core.errors import ScaleError, items, positive
from ...core.validation import FLOPS_RANGE, PARAMS_RANGE, TOKENS_RANGE
from ..bootstrap import RESAMPLE, check_bootstrap, estimate, group_weights, grouping, stratified_weights
from ..check.cross_study import CrossStudy
from ..progress import Progress
from ..runs.buckets import buckets_for
from ..runs.runs import Runs
from ..threads import one_blas_thread
from .allocation import VERTICES, AllocationFit, fit_allocation
from .regime import diagnose_regime, frontier_slopes, regime_buckets
from .result import AtBudget, FitResult
from .summary import SUMMARY_BUDGETS, bootstrap_warnings, fitted_range, frontier_budgets

METHODS = ("parametric", "isoflop", "envelope")
LOSSES = ("huber", "lsq")
DEFAULT_BOOTSTRAP = 1000


@one_blas_thread
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
    predict: list[tuple[float, float]] | None = None,
    predict_flops: list[float] | None = None,
    resample: str = "runs",
    vertex: str = "local",
    envelope_floor: float | None = None,
    exclude_undertrained: bool = False,
    progress: Progress | None = None,
    cross_study: CrossStudy | None = None,
) -> FitResult:
    """Fit ``method`` to ``runs``; bootstrap ``bootstrap`` resamples (0: none), seeded by ``seed``.

    ``compare_losses`` (parametric) also fits the other objective, to show how much the choice of
    loss moves the tokens per parameter. ``predict`` are (params, tokens) points and
    ``predict_flops`` compute budgets to predict the loss at, with intervals from the scaling
    check (parametric). ``resample`` is what the bootstrap draws: ``runs``, whole model sizes
    (``size``) or whole compute budgets (``budget``). ``vertex`` (isoflop) is how each budget's
    minimum is found: ``local`` or ``parabola`` (see ``allocation.py``). ``progress(stage, done,
    total)``, if given, is called as long work advances. ``envelope_floor`` pins E of the
    compute-envelope law L(C) = E + A C^-gamma fitted beside a parametric law;
    ``exclude_undertrained`` leaves out the runs ``outside.py`` flags as outside the law's regime.
    ``cross_study`` is the cross-study extrapolation error the backtests update (default: the
    shipped ``configs/extrapolation.toml``; ``check/cross_study.py``): pass your own corpus's.
    """
    if method not in METHODS:
        raise ScaleError(f"--method: expected one of {', '.join(METHODS)}, got {method!r}")
    if loss not in LOSSES:
        raise ScaleError(f"--loss: expected one of {', '.join(LOSSES)}, got {loss!r}")
    if vertex not in VERTICES:
        raise ScaleError(f"--vertex: expected one of {', '.join(VERTICES)}, got {vertex!r}")
    if resample not in RESAMPLE:
        raise ScaleError(f"--resample: expected one of {', '.join(RESAMPLE)}, got {resample!r}")
    for option, flag in (("compare_losses", compare_losses), ("exclude_undertrained", exclude_undertrained)):
        if not isinstance(flag, bool):
            raise ScaleError(f"{option}: expected True or False, got {flag!r}"[:200])
    check_bootstrap(bootstrap, 0)
    for option, count in (("--seed", seed), ("--holdout", holdout)):
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
            raise ScaleError(f"{option}: expected a whole number >= 0, got {count!r}")
    if buckets is not None and (isinstance(buckets, bool) or not isinstance(buckets, (int, np.integer)) or buckets < 1):
        raise ScaleError(f"--buckets: expected a whole number >= 1, got {buckets!r}")
    if not isinstance(runs, Runs):
        raise ScaleError(f"fit: expected runs read by read_runs() or Runs.from_arrays(), got {type(runs).__name__}")
    check_bootstrap(bootstrap, len(runs))
    if buckets is not None and not 2 <= buckets <= len(runs):
        raise ScaleError(f"--buckets: expected from 2 to {len(runs)} (the number of runs), got {buckets}")
    if predict_flops is not None:
        predict_flops = items("--predict-flops", predict_flops, numbers.Real, "compute budgets in FLOPs")
    if predict is not None:
        predict = items("--predict", predict, tuple, "(params, tokens) pairs")
        predict = [
            (positive("--predict params", n, PARAMS_RANGE, "parameters"), positive("--predict tokens", d, TOKENS_RANGE, "tokens"))
            for n, d in (pair if len(pair) == 2 else (None, None) for pair in predict)
        ]
    if at is not None:
        at = positive("--at", at, FLOPS_RANGE, "FLOPs")
    predict_flops = [positive("--predict-flops", c, FLOPS_RANGE, "FLOPs") for c in predict_flops or ()]
    if (predict or predict_flops) and method != "parametric":
        raise ScaleError("--predict and --predict-flops predict losses: they need --method parametric (the only method with a loss form)")
    if holdout:
        if method != "parametric":
            raise ScaleError("--holdout predicts held-out losses: it needs --method parametric (the only method with a loss form)")
        if not 0 < holdout < len(runs):
            raise ScaleError(f"--holdout: expected between 1 and {len(runs) - 1} runs, got {holdout}")
    # One canonical order (compute, then size, tokens, loss): the same runs, however a file orders
    # them, give the same fit, bootstrap, backtests and verdict (#25).
    runs = runs.subset(np.lexsort((runs.loss, runs.tokens, runs.params, runs.flops)))
    order = np.argsort(runs.flops, kind="stable")
    train_index = np.sort(order[: len(runs) - holdout])
    held_index = np.sort(order[len(runs) - holdout :]) if holdout else np.array([], dtype=int)
    train = runs.subset(train_index)
    if method == "parametric":
        from .parametric_fit import fit_parametric_runs

        return fit_parametric_runs(
            runs,
            train,
            held_index,
            loss=loss,
            bootstrap=bootstrap,
            seed=seed,
            at=at,
            compare_losses=compare_losses,
            predict=predict or [],
            predict_flops=predict_flops or [],
            resample=resample,
            progress=progress,
            envelope_floor=envelope_floor,
            exclude_undertrained=exclude_undertrained,
            cross_study=cross_study,
        )
    return _fit_allocation(runs, train, method, bootstrap, seed, np.random.default_rng(seed), at, buckets, resample, vertex)


# -- isoflop / envelope -----------------------------------------------------------------------


def _fit_allocation(
    runs: Runs,
    train: Runs,
    method: str,
    bootstrap: int,
    seed: int,
    rng: np.random.Generator,
    at: float | None,
    bucket_count: int | None,
    resample: str,
    vertex: str,
) -> FitResult:
    buckets = buckets_for(train.flops, bucket_count, method)
    best = fit_allocation(train, buckets, method, vertex=vertex)
    if best is None:
        raise ScaleError(
            f"{runs.source}: {method} needs optima in at least 2 compute buckets; "
            f"found {len(buckets)} bucket(s)" + (f" ({'; '.join(_skips(train, buckets, method, vertex))})" if buckets else "")
        )
    samples, failures = None, 0
    if bootstrap:
        fits = [fit_allocation(train, buckets, method, w, vertex) for w in stratified_weights(buckets, len(train), bootstrap, rng)]
        failures = sum(f is None for f in fits)
        fits = [f for f in fits if f is not None]
        samples = {key: np.array([getattr(f, key) for f in fits]) for key in ("a", "b", "k_params", "k_tokens")}
    reference_flops = at if at is not None else float(train.flops.max())
    log_residual = np.log([o.params for o in best.optima]) - np.log(best.k_params * np.array([o.flops for o in best.optima]) ** best.a)
    slopes = None
    regime_groups = regime_buckets(train)
    if bootstrap:
        weights = group_weights(grouping(resample, train.params, regime_groups)(np.arange(len(train))), len(train), bootstrap, rng)
        slopes = frontier_slopes(train, regime_groups, weights)
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
        frontier=[_allocation_at(best, samples, c) for c in frontier_budgets(train, at)],
        largest_residuals=[],
        buckets=best.optima,
        skipped_buckets=best.skipped,
        holdout=None,
        regime=diagnose_regime(train, regime_groups, slopes),
        loss_comparison=None,
        warnings=list(runs.warnings) + bootstrap_warnings(failures, bootstrap) + [f"skipped {reason}" for reason in best.skipped],
        notes=list(runs.notes) + ["bootstrap: runs resampled within each compute budget"] * bool(bootstrap),
        resample="runs within budgets",
        fitted_range=fitted_range(train),
    )


def _skips(runs: Runs, buckets: list[np.ndarray], method: str, vertex: str) -> list[str]:
    from .allocation import OPTIMUM

    return [found for found in (OPTIMUM[method](runs, index, None, vertex) for index in buckets) if isinstance(found, str)]


def _allocation_at(best: AllocationFit, samples: dict[str, np.ndarray] | None, flops: float) -> AtBudget:
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
