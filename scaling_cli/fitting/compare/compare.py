"""``scale compare``: is an idea worth scaling? Two scaling curves as a compute multiplier.

Each set of runs (a data source, a filter, an architecture) is fitted with the same parametric
law and objective (Hoffmann et al. 2022, Approach 3). On B's compute-optimal frontier at compute
C the loss is L_B*(C); A reaches that loss with C_A(L) (the closed-form minimum compute for a
loss, ``laws/chinchilla.py``); the **compute multiplier** of B over A is

    m(C) = C_A(L_B*(C)) / C          (m = 2: B's loss at C costs A twice the compute)

With L*(C) = E + K·C^-gamma on each frontier (gamma = alpha·beta/(alpha + beta)), a constant
multiplier is a shift of one curve along log C; a better exponent makes m grow with C; a higher
floor E makes it fade (and B's advantage end where m = 1). The **trend** is d log10 m / d log10 C
over the compute both sets cover; intervals come from a joint bootstrap (each set resampled on
its own, replicate b of A paired with replicate b of B). Outside the shared compute a multiplier
is marked extrapolated.

Beside the law, the raw evidence: at each budget of B inside A's compute, each set's best run
and the multiplier A's observed frontier (best loss per budget, interpolated in log C) implies.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from ...core.compute import FLOPS_PER_PARAM_TOKEN
from ...core.errors import ScaleError, positive, whole
from ...core.validation import FLOPS_RANGE
from ...laws.base import Values
from ..bootstrap import Estimate, check_bootstrap, estimate, resample_weights
from ..runs.buckets import detect_buckets
from ..runs.runs import Runs, check_identifiable
from ..solvers.parametric import Objective, coefficients, fit_parametric, optimal, refit
from ..threads import one_blas_thread

CURVE_POINTS = 25
BUDGETS = 7
"""Log-spaced budgets over the union of both sets' compute at which the multiplier is reported."""
FAR = 1e30
"""Where a fading advantage is searched for its end (FLOPs)."""


class SetSummary(BaseModel):
    label: str
    source: str
    n_runs: int
    flops_range: tuple[float, float]
    coefficients: dict[str, Estimate]
    frontier_exponent: Estimate
    """gamma = alpha·beta/(alpha + beta): the frontier's reducible loss falls as C^-gamma."""
    rmse_log: float
    frontier: list[tuple[float, float]] = []
    """(compute, loss) of the fitted compute-optimal frontier over the set's compute, log-spaced: what a plot draws."""


class Multiplier(BaseModel):
    flops: float
    value: float | None
    """None: A never reaches B's loss there (it is at or below A's floor E)."""
    ci80: tuple[float, float] | None = None
    ci95: tuple[float, float] | None = None
    extrapolated: bool
    loss_a: float
    loss_b: float


class RawPoint(BaseModel):
    flops: float
    best_loss_a: float | None
    best_loss_b: float
    multiplier: float | None
    """From A's observed frontier; None where B's loss lies beyond A's runs."""


class Comparison(BaseModel):
    baseline: str
    label: str
    multipliers: list[Multiplier]
    at: Multiplier | None
    reference: Multiplier
    trend: Estimate
    """d log10(multiplier) / d log10(C) over the shared compute: > 0 the gain grows."""
    exponent_difference: Estimate
    """gamma_B - gamma_A: > 0 B's frontier falls faster."""
    floor_difference: Estimate
    """E_B - E_A."""
    advantage_ends: float | None
    """Where m(C) falls to 1 (a fading gain), on the point fit."""
    verdict: str
    raw: list[RawPoint]
    shared_flops: tuple[float, float] | None
    curve: list[Multiplier] = []
    """The multiplier on a fine log-spaced grid over both sets' compute: what a plot draws with its band."""


class CompareResult(BaseModel):
    method: str = "parametric"
    loss: str
    bootstrap: int
    seed: int
    sets: list[SetSummary]
    comparisons: list[Comparison]
    multipliers: list[Multiplier]
    """The first comparison's (the second set against the first), as ``comparisons[0]``."""
    trend: Estimate
    verdict: str
    warnings: list[str]
    notes: list[str]


class _Fit:
    """One set's point fit and bootstrap replicates, as theta rows (a, b, e, alpha, beta)."""

    def __init__(self, runs: Runs, label: str, loss: str, bootstrap: int, rng: np.random.Generator):
        if len(runs) < 6:
            raise ScaleError(f"set {label!r} has {len(runs)} runs: a parametric fit of 5 constants needs at least 6")
        check_identifiable(runs)  # as `scale fit` does: 30 copies of one run are not a sweep
        self.runs, self.label = runs, label
        self.objective = Objective(np.log(runs.params), np.log(runs.tokens), runs.loss, kind=loss)
        fit = fit_parametric(self.objective)
        self.theta, self.warnings = fit.theta, fit.warnings
        self.thetas = None
        if bootstrap:
            thetas = refit(self.objective, self.theta, resample_weights(len(runs), bootstrap, rng))
            self.thetas = thetas
        self.flops = (float(runs.flops.min()), float(runs.flops.max()))

    def rows(self, replicates: bool) -> np.ndarray:
        if replicates:
            assert self.thetas is not None  # replicates exist with a bootstrap
            return self.thetas
        return np.atleast_2d(self.theta)


def frontier_loss(thetas: np.ndarray, flops: Values) -> np.ndarray:
    """L*(C) for each theta row (rows, len(flops))."""
    return np.column_stack([optimal(thetas, c)[2] for c in np.atleast_1d(flops)])


def compute_for_loss(thetas: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """The least compute whose optimum reaches ``loss`` (rows x points); inf at or below E."""
    a, b, e, alpha, beta = (thetas[:, [i]] for i in range(5))
    reducible = loss - np.exp(e)
    total = alpha + beta
    with np.errstate(all="ignore"):
        params = (np.exp(a) / (reducible * beta / total)) ** (1 / alpha)
        tokens = (np.exp(b) / (reducible * alpha / total)) ** (1 / beta)
        flops = FLOPS_PER_PARAM_TOKEN * params * tokens
    return np.where(reducible > 0, flops, np.inf)


def multipliers(base: np.ndarray, other: np.ndarray, flops: Values) -> np.ndarray:
    """m(C) = C_A(L_B*(C)) / C for paired theta rows of A (``base``) and B (``other``)."""
    flops = np.atleast_1d(np.asarray(flops, dtype=float))
    return compute_for_loss(base, frontier_loss(other, flops)) / flops[None, :]


def _gamma(thetas: np.ndarray) -> np.ndarray:
    alpha, beta = thetas[:, 3], thetas[:, 4]
    return alpha * beta / (alpha + beta)


def _trend(values: np.ndarray, flops: np.ndarray) -> np.ndarray:
    """Least-squares slope of log10 m against log10 C, per row (rows with an infinite m: nan)."""
    x = np.log10(flops)
    x = x - x.mean()
    with np.errstate(all="ignore"):
        y = np.log10(values)
    slope = (y - y.mean(axis=1, keepdims=True)) @ x / (x @ x)
    return np.where(np.all(np.isfinite(y), axis=1), slope, np.nan)


@one_blas_thread
def compare(
    sets: list[tuple[str, Runs]], loss: str = "huber", bootstrap: int = 1000, seed: int = 0, at: float | None = None
) -> CompareResult:
    """Each set against the first: multipliers, their trend, a verdict, and the raw evidence."""
    if not isinstance(sets, (list, tuple)) or not all(
        isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and isinstance(item[1], Runs) for item in sets
    ):
        raise ScaleError(f"sets: expected a list of (label, Runs) pairs, got {sets!r}"[:200])
    if loss not in ("huber", "lsq"):
        raise ScaleError(f"loss: expected huber or lsq, got {loss!r}"[:200])
    seed = whole("seed", seed, 0, 2**32 - 1)
    if at is not None:
        at = positive("at", at, FLOPS_RANGE, "FLOPs")
    if len(sets) < 2:
        raise ScaleError("compare needs at least two sets of runs (files, or --by on one file)")
    check_bootstrap(bootstrap, sum(len(runs) for _, runs in sets))
    rng = np.random.default_rng(seed)
    fits = [_Fit(runs, label, loss, bootstrap, rng) for label, runs in sets]
    base = fits[0]
    comparisons = [_compare(base, other, bootstrap, at) for other in fits[1:]]
    warnings = [f"{fit.label}: {w}" for fit in fits for w in fit.warnings]
    notes = ["multipliers compare losses in nats per token: meaningful only between runs on one tokenizer and one evaluation set"]
    first = comparisons[0]
    return CompareResult(
        loss=loss,
        bootstrap=bootstrap,
        seed=seed,
        sets=[_summary(fit) for fit in fits],
        comparisons=comparisons,
        multipliers=first.multipliers,
        trend=first.trend,
        verdict=first.verdict,
        warnings=warnings,
        notes=notes,
    )


def _summary(fit: _Fit) -> SetSummary:
    point = coefficients(fit.theta)
    grid = np.geomspace(*fit.flops, CURVE_POINTS)
    samples = None
    if fit.thetas is not None:
        samples = {
            "E": np.exp(fit.thetas[:, 2]),
            "A": np.exp(fit.thetas[:, 0]),
            "B": np.exp(fit.thetas[:, 1]),
            "alpha": fit.thetas[:, 3],
            "beta": fit.thetas[:, 4],
        }
    residual = fit.objective.predict_log(fit.theta) - fit.objective.log_loss
    return SetSummary(
        label=fit.label,
        source=fit.runs.source,
        n_runs=len(fit.runs),
        flops_range=fit.flops,
        coefficients={k: estimate(v, None if samples is None else samples[k]) for k, v in point.items()},
        frontier_exponent=estimate(float(_gamma(np.atleast_2d(fit.theta))[0]), None if fit.thetas is None else _gamma(fit.thetas)),
        rmse_log=float(np.sqrt(np.mean(residual**2))),
        frontier=[(float(c), float(v)) for c, v in zip(grid, frontier_loss(np.atleast_2d(fit.theta), grid)[0])],
    )


def _compare(base: _Fit, other: _Fit, bootstrap: int, at: float | None) -> Comparison:
    low, high = min(base.flops[0], other.flops[0]), max(base.flops[1], other.flops[1])
    shared = (max(base.flops[0], other.flops[0]), min(base.flops[1], other.flops[1]))
    has_shared = shared[0] < shared[1]
    grid = np.geomspace(low, high, BUDGETS)
    support = np.geomspace(*shared, BUDGETS) if has_shared else grid
    reference_flops = at if at is not None else (math.sqrt(shared[0] * shared[1]) if has_shared else math.sqrt(low * high))
    fine = np.geomspace(low, high, CURVE_POINTS)
    points = np.concatenate([grid, [reference_flops], fine])
    point = multipliers(base.rows(False), other.rows(False), points)[0]
    paired = None
    if bootstrap:
        count = min(len(base.rows(True)), len(other.rows(True)))
        paired = multipliers(base.rows(True)[:count], other.rows(True)[:count], points)
    loss_a, loss_b = frontier_loss(base.rows(False), points)[0], frontier_loss(other.rows(False), points)[0]

    def entry(i: int) -> Multiplier:
        value = float(point[i])
        est = estimate(value if math.isfinite(value) else None, None if paired is None else paired[:, i])
        inside = has_shared and shared[0] * (1 - 1e-9) <= points[i] <= shared[1] * (1 + 1e-9)
        return Multiplier(
            flops=float(points[i]),
            value=est.value,
            ci80=est.ci80,
            ci95=est.ci95,
            extrapolated=not inside,
            loss_a=float(loss_a[i]),
            loss_b=float(loss_b[i]),
        )

    table = [entry(i) for i in range(len(grid))]
    reference = entry(len(grid))
    curve = [entry(i) for i in range(len(grid) + 1, len(points))]
    trend_point = float(_trend(multipliers(base.rows(False), other.rows(False), support), support)[0])
    trend_samples = None
    gamma_samples = floor_samples = None
    if paired is not None:
        count = len(paired)
        base_thetas, other_thetas = base.rows(True)[:count], other.rows(True)[:count]
        trend_samples = _trend(multipliers(base_thetas, other_thetas, support), support)
        gamma_samples = _gamma(other_thetas) - _gamma(base_thetas)
        floor_samples = np.exp(other_thetas[:, 2]) - np.exp(base_thetas[:, 2])
    trend = estimate(trend_point if math.isfinite(trend_point) else None, trend_samples)
    gamma = estimate(float(_gamma(np.atleast_2d(other.theta))[0] - _gamma(np.atleast_2d(base.theta))[0]), gamma_samples)
    floor = estimate(float(math.exp(other.theta[2]) - math.exp(base.theta[2])), floor_samples)
    ends = _advantage_ends(base, other, shared[1] if has_shared else high)
    verdict = _verdict(base.label, other.label, reference, trend, ends, shared if has_shared else None)
    return Comparison(
        baseline=base.label,
        label=other.label,
        multipliers=table,
        at=reference if at is not None else None,
        reference=reference,
        trend=trend,
        exponent_difference=gamma,
        floor_difference=floor,
        advantage_ends=ends,
        verdict=verdict,
        raw=_raw(base.runs, other.runs),
        shared_flops=shared if has_shared else None,
        curve=curve,
    )


def _advantage_ends(base: _Fit, other: _Fit, start: float) -> float | None:
    """The compute where m(C) = 1 beyond ``start`` (bisection in log C), on the point fits."""

    def log_m(log_c: float) -> float:
        value = float(multipliers(base.rows(False), other.rows(False), [10.0**log_c])[0, 0])
        return math.log(value) if value > 0 and math.isfinite(value) else math.inf

    low, high = math.log10(start), math.log10(FAR)
    if not (log_m(low) > 0 > log_m(high)) and not (log_m(low) < 0 < log_m(high)):
        return None
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if (log_m(mid) > 0) == (log_m(low) > 0) else (low, mid)
    return 10 ** ((low + high) / 2)


def _verdict(a: str, b: str, reference: Multiplier, trend: Estimate, ends: float | None, shared: tuple[float, float] | None) -> str:
    where = f"{reference.flops:.2g} FLOPs" + (" (extrapolated beyond the compute both sets cover)" if reference.extrapolated else "")
    if reference.value is None:
        return f"{b} reaches losses at {where} that {a} never does under its fit (below {a}'s floor E): no finite multiplier"
    m, ci = reference.value, reference.ci95
    flat = trend.ci95 is None or trend.ci95[0] <= 0 <= trend.ci95[1]
    same = ci is not None and ci[0] <= 1 <= ci[1]
    if same and flat and ci is not None:
        return (
            f"no difference these runs can measure: {b} is worth {m:.2g}x {a}'s compute at {where} "
            f"(95 % interval {ci[0]:.2g}-{ci[1]:.2g}), with no trend"
        )
    better, factor = (b, m) if m >= 1 else (a, 1 / m)
    head = f"{b} is worth {m:.2g}x {a}'s compute at {where}" + ("" if ci is None else f" (95 % interval {ci[0]:.2g}-{ci[1]:.2g})")
    if m < 1:
        head = f"{b} costs {factor:.2g}x more compute than {a} at {where}" + (
            "" if ci is None else f" (multiplier 95 % interval {ci[0]:.2g}-{ci[1]:.2g})"
        )
    if trend.ci95 is None:
        return head + "; no bootstrap, no trend interval"
    if flat:
        return (
            head + f", and the {'gain' if m >= 1 else 'gap'} holds: no trend these runs can measure ({trend.value:+.3f} per decade, "
            f"95 % interval {trend.ci95[0]:+.3f} to {trend.ci95[1]:+.3f})"
        )
    assert trend.value is not None  # a trend interval comes with its point
    grows = (trend.value > 0) == (m >= 1)
    if grows:
        return head + f", and the {better} advantage grows with scale ({trend.value:+.3f} in log10 of the multiplier per decade)"
    gone = f": {better}'s advantage is gone by ~{ends:.2g} FLOPs" if ends is not None else ""
    return head + f", and the {'gain' if m >= 1 else 'gap'} fades{gone} ({trend.value:+.3f} in log10 of the multiplier per decade)"


def pareto_frontier(runs: Runs) -> tuple[np.ndarray, np.ndarray]:
    """(compute, loss) of the runs no cheaper run beats: each budget's best run (a grid) or each
    run, kept when its loss is below every smaller compute's. Over-trained and under-sized runs
    fall off it."""
    groups = detect_buckets(runs.flops) or [np.array([i]) for i in range(len(runs))]
    flops = np.array([float(np.exp(np.mean(np.log(runs.flops[g])))) for g in groups])
    loss = np.array([float(runs.loss[g].min()) for g in groups])
    order = np.argsort(flops)
    flops, loss = flops[order], loss[order]
    keep = loss < np.concatenate([[np.inf], np.minimum.accumulate(loss)[:-1]])
    return flops[keep], loss[keep]


def _raw(base: Runs, other: Runs) -> list[RawPoint]:
    """At each point of B's observed frontier: A's observed frontier loss at that compute (if it
    has runs within 12 %) and the multiplier A's frontier implies, interpolated in log C."""
    flops_a, loss_a = pareto_frontier(base)
    points = []
    for flops, best_b in zip(*pareto_frontier(other)):
        near = np.flatnonzero(np.abs(np.log10(flops_a / flops)) < 0.05)
        multiplier = None
        if len(loss_a) >= 2 and loss_a.min() <= best_b <= loss_a.max():
            # A's frontier falls with compute: interpolate log C at B's loss (np.interp needs rising x).
            multiplier = 10 ** float(np.interp(best_b, loss_a[::-1], np.log10(flops_a)[::-1])) / flops
        points.append(
            RawPoint(
                flops=float(flops),
                best_loss_a=float(loss_a[near[0]]) if len(near) else None,
                best_loss_b=float(best_b),
                multiplier=multiplier,
            )
        )
    return points
