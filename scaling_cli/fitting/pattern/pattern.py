"""``scale pattern``: which of the source's scaling patterns a metric follows over compute or size.

The source article's §3B: before trusting a trend, recognise its pattern. With t = log10 of
compute (or params) and the metric turned so that higher is better:

* **no signal** (cold start): every point within the noise of chance (or, without a chance
  level, no trend the noise cannot explain);
* **emergent**: flat (near chance), then a rise: a hinge z = c + s·max(t - t0, 0) fits far better
  than a line (F-test, p < ``HINGE_P``); the onset 10^t0 has a bootstrap interval;
* **plateau**: a rise, then flat below the ceiling: the mirrored hinge z = c + s·min(t - t0, 0);
  the level and since when;
* **slow**: improving, but the next 10x buys less than ``slow`` (default 0.01: one point of
  accuracy per decade);
* **smooth**: a monotone trend a line in log x explains: its slope per decade and the next 10x.

The noise is the pooled sd of repeated points at one x (seeds, reruns) when there are any, else
the scatter around the best of the fits, corrected for its degrees of freedom.

With a chance level, a point is clear of chance when it is above it by more than a Bonferroni
z (1 % over all points) times its noise: the top two points alone may carry an emergence; a
curve with none clear, or only its largest point, is "no signal". Slopes are in the metric's own units per decade
(``slope_per_decade``: an error that falls is negative) beside ``improvement_per_decade``
(positive when it gets better). The number 10x beyond the data has a 95 % prediction interval
from the metric's own backtests (fit the line without the top points, predict them): the
line's uncertainty, the noise, and the backtests' error per decade; with fewer than 2 backtests
it has none, and says so.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

from ...core.errors import ScaleError, positive, whole
from ...laws.base import Values
from ..bootstrap import Estimate, estimate
from ..loss_law.regime import t975
from ..threads import one_blas_thread

MIN_POINTS = 6
"""Distinct x values below which the pattern cannot be told (a hinge has 4 constants and needs
``SIDE`` values on each side of its bend)."""
SIDE = 3
"""A bend needs this many distinct x values on each side: one point past it is not a trend."""
HINGE_P = 0.01
"""A hinge must beat the line at 1 % (F-test) to be called emergence or a plateau."""
FLAT = 0.25
"""A hinge's flat side: its slope is under this fraction of the other side's."""
DEFAULT_SLOW = 0.01
"""Slow scaling: 10x compute buys less than this (metric units: one point of accuracy)."""
CHANCE_SIGMAS = 2.0
CHANCE_LEVEL = 0.01
"""A point is clear of chance above a z of the normal's 1 - CHANCE_LEVEL / (points) quantile (Bonferroni)."""
BOOTSTRAP = 300
RESAMPLES = 200
STABLE = 2 / 3
"""A label stands when this share of the noisy copies agree; else the curve is 'borderline'."""
MIN_BACKTESTS = 2
"""Backtests (the line refitted without the top 1, 2, ... levels) below which next_10x has no interval."""


class Pattern(BaseModel):
    kind: str
    """'no signal', 'smooth', 'emergent', 'plateau', 'slow', 'borderline' or 'too few points'."""
    evidence: str
    onset: Estimate | None = None
    """Emergence: where the rise starts, in the x unit."""
    since: float | None = None
    """Plateau: where the improvement stops, in the x unit."""
    level: float | None = None
    """Plateau: the level it stays at."""
    slope_per_decade: float | None = None
    """The metric's change per 10x of x (last segment for a hinge), in its own units: an error
    that falls is negative."""
    improvement_per_decade: float | None = None
    """The same change signed by the metric's direction: positive when it gets better."""
    next_10x: float | None = None
    """The metric 10x beyond the largest x, on the chosen fit (None where it would be a made-up number)."""
    next_10x_pi95: tuple[float, float] | None = None
    """Its 95 % prediction interval from the metric's own backtests (None with fewer than 2)."""
    noise: float | None = None
    n_points: int
    x: str
    direction: str
    chance: float | None = None
    agreement: float | None = None
    """The share of noisy copies of the curve (noise of its size added) that get this label."""
    candidates: list[str] | None = None
    """Borderline: the two labels the copies split between."""


def _line(t: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float]:
    design = np.column_stack([np.ones_like(t), t])
    coef, *_ = np.linalg.lstsq(design, z, rcond=None)
    return coef, float(np.sum((z - design @ coef) ** 2))


def _two_slope(t: np.ndarray, z: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Continuous piecewise line with free slopes on both sides: (t0, (c, s_left, s_right), rss),
    the breakpoint searched on a grid (every candidate solved at once by the normal equations)."""
    levels = np.unique(t)
    bends = np.linspace(levels[SIDE - 1], levels[-SIDE], 60)
    shifted = t[None, :] - bends[:, None]
    design = np.stack([np.ones_like(shifted), np.minimum(shifted, 0.0), np.maximum(shifted, 0.0)], axis=2)
    gram = np.einsum("bni,bnj->bij", design, design) + 1e-12 * np.eye(3)
    coef = np.linalg.solve(gram, np.einsum("bni,n->bi", design, z)[..., None])[..., 0]
    rss = np.sum((z[None, :] - np.einsum("bni,bi->bn", design, coef)) ** 2, axis=1)
    best = int(np.argmin(rss))
    return float(bends[best]), coef[best], float(rss[best])


def _f_p(rss_small: float, rss_big: float, extra: int, dof: int) -> float:
    """P-value of the F-test that ``extra`` more constants lower the RSS (closed form via the beta)."""
    if rss_big <= 0 or dof <= 0:
        return 0.0
    f = (rss_small - rss_big) / extra / (rss_big / dof)
    if f <= 0:
        return 1.0
    from scipy.special import betainc

    return float(betainc(dof / 2, extra / 2, dof / (dof + extra * f)))


@one_blas_thread
def classify(
    x: Values,
    y: Values,
    chance: float | None = None,
    higher_is_better: bool | None = None,
    slow: float = DEFAULT_SLOW,
    x_name: str = "flops",
    seed: int = 0,
) -> Pattern:
    """The pattern of metric ``y`` over ``x`` (rows may repeat an x: seeds, reruns, checkpoints).

    The label is the decision on the data when at least ``STABLE`` of ``RESAMPLES`` noisy copies
    of the curve agree with it, else 'borderline' naming the two leading labels: see
    :func:`_agreement`."""
    x, y = _series(x, y)
    if chance is not None:
        chance = positive("chance", chance, zero=True)
    slow = positive("slow", slow)
    if higher_is_better is not None and not isinstance(higher_is_better, bool):
        raise ScaleError(f"higher_is_better: expected True, False or None, got {higher_is_better!r}"[:200])
    if not isinstance(x_name, str):
        raise ScaleError(f"x_name: expected a text, got {x_name!r}"[:200])
    seed = whole("seed", seed, 0, 2**32 - 1)
    if higher_is_better is None and len(np.unique(x)) > 1:
        higher_is_better = bool(np.corrcoef(np.log10(x), y)[0, 1] >= 0)
    result = _decide(x, y, chance, higher_is_better, slow, x_name, seed, quick=False)
    if result.kind == "too few points":
        return result
    shares = _agreement(x, y, result, chance, slow, seed)
    result.agreement = shares.get(result.kind, 0.0)
    if result.agreement >= STABLE:
        return result
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    leading = [kind for kind, _ in ranked[:2]]
    if result.kind not in leading:
        leading = [result.kind, leading[0]]
    said = ", ".join(f"{kind} {share:.0%}" for kind, share in ranked[:3])
    return result.model_copy(
        update=dict(
            kind="borderline",
            candidates=leading,
            evidence=f"between {leading[0]} and {leading[1]}: of {RESAMPLES} copies of the curve with noise of its size added, "
            f"{said} (a label needs {STABLE:.0%}); on the data itself: {result.kind}: {result.evidence}",
        )
    )


def _series(x: object, y: object) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (> 0) and ``y`` as two finite 1-D arrays of one length, else one ``ScaleError``."""
    try:
        xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ScaleError(f"x and y: expected two sequences of numbers, got {x!r:.60} and {y!r:.60}") from None
    if xs.ndim != 1 or ys.ndim != 1 or len(xs) != len(ys):
        raise ScaleError(f"x and y: expected two sequences of one length, got shapes {xs.shape} and {ys.shape}")
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys)) and np.all(xs > 0)):
        raise ScaleError("x and y: expected finite numbers, x > 0 (a compute, a size, a token count)")
    return xs, ys


def _agreement(x: np.ndarray, y: np.ndarray, result: Pattern, chance: float | None, slow: float, seed: int) -> dict[str, float]:
    """The share of each label over ``RESAMPLES`` copies of the curve, each the data plus noise of
    the estimated size (a rerun's worth of difference), drawn with a fixed seed. Near-identical
    curves get near-identical shares, so a label that needs ``STABLE`` of them cannot flip to
    another between two such curves: it passes through 'borderline'."""
    sign = 1.0 if result.direction == "higher is better" else -1.0
    noise = result.noise or 0.0
    draws = np.random.default_rng(seed + 7919).standard_normal((RESAMPLES, len(y)))
    counts: dict[str, int] = {}
    for draw in draws:
        kind = _decide(x, y + noise * draw, chance, sign > 0, slow, result.x, seed, quick=True).kind
        counts[kind] = counts.get(kind, 0) + 1
    return {kind: count / RESAMPLES for kind, count in counts.items()}


def _decide(
    x: np.ndarray,
    y: np.ndarray,
    chance: float | None,
    higher_is_better: bool | None,
    slow: float,
    x_name: str,
    seed: int,
    quick: bool,
) -> Pattern:
    """The label on this curve alone (``quick``: without the intervals, for :func:`_agreement`)."""
    levels = np.unique(x)
    if higher_is_better is None:
        higher_is_better = bool(np.corrcoef(np.log10(x), y)[0, 1] >= 0) if len(levels) > 1 else True
    sign = 1.0 if higher_is_better else -1.0
    direction = "higher is better" if higher_is_better else "lower is better"
    common = dict(n_points=len(levels), x=x_name, direction=direction, chance=chance)
    if len(levels) < MIN_POINTS:
        return Pattern(
            kind="too few points",
            evidence=f"{len(levels)} distinct {x_name} values: at least {MIN_POINTS} are needed to tell a line from a bend",
            **common,
        )
    t, z = np.log10(x), sign * y
    # Noise: repeated points first (pooled sd), else the scatter of the best fit.
    groups = [z[x == v] for v in levels]
    repeats = sum(len(g) - 1 for g in groups)
    pooled = math.sqrt(sum(float(np.sum((g - g.mean()) ** 2)) for g in groups) / repeats) if repeats >= 3 else None
    (c0, c1), rss_line = _line(t, z)
    two = _two_slope(t, z)
    n = len(z)
    noise = pooled if pooled is not None else math.sqrt(min(rss_line / max(n - 2, 1), two[2] / max(n - 4, 1)))
    noise = max(noise, 1e-12)
    common["noise"] = noise
    span = float(t.max() - t.min())
    if chance is not None:
        from scipy.stats import norm

        means = np.array([g.mean() for g in groups])
        counts = np.array([len(g) for g in groups])
        excess = (means - sign * chance) / (noise / np.sqrt(counts))  # standard errors above chance
        critical = float(norm.ppf(1 - CHANCE_LEVEL / len(levels)))
        clear = excess > critical
        if not clear.any():
            return Pattern(
                kind="no signal",
                evidence=f"no point is clear of chance {chance:g}: the highest is {excess.max():.1f} standard errors above it, under "
                f"the {critical:.1f} that {len(levels)} points need (noise {noise:.3g}) over {span:.1f} decades of {x_name}: "
                "a cold start, nothing to extrapolate",
                **common,
            )
        first = int(np.argmax(clear))
        if clear.sum() == 1 and first == len(levels) - 1:
            return Pattern(
                kind="no signal",
                evidence=f"only the largest point is clear of chance {chance:g} ({excess[-1]:.1f} standard errors above it, beyond "
                f"{critical:.1f}); one point is not a trend: the next size up will tell",
                **common,
            )
        if clear.sum() < SIDE and clear[first:].all() and first >= SIDE:
            # The top points alone carry it: too few past the onset to fit the rise.
            low, high = float(levels[first - 1]), float(levels[first])
            tops = ", ".join(f"{e:.0f}" for e in excess[first:])
            return Pattern(
                kind="emergent",
                onset=Estimate(value=math.sqrt(low * high), ci95=(low, high)),
                evidence=f"at chance {chance:g} up to {x_name} {low:.3g}, then the top {len(levels) - first} point(s) {tops} standard "
                f"errors above it (clear of chance beyond {critical:.1f}): an emergence the top points carry, too few past "
                "its onset to fit the rise: no slope or next-10x number",
                **common,
            )
    # Without a chance level, "no signal" is a slope the noise explains (its 95 % bound) and no bend.
    bound = t975(max(n - 2, 1)) * noise / math.sqrt(max(float(np.sum((t - t.mean()) ** 2)), 1e-300))
    hinge_p = _f_p(rss_line, two[2], 2, n - 4)
    bent = hinge_p < HINGE_P
    if chance is None and abs(c1) < bound and not bent:
        return Pattern(
            kind="no signal",
            evidence=f"no trend: slope {sign * c1:+.3g} per decade against a 95 % bound of {bound:.3g} (noise {noise:.3g})",
            **common,
        )
    if bent:
        t0, (c, left, right), _ = two
        at = 10**t0
        if right > 0 and abs(left) < FLAT * abs(right):
            onset = np.array([at]) if quick else _onset_interval(t, z, two, seed)
            near = "" if chance is None else f" (within {abs(c - sign * chance):.3g} of chance)"
            return Pattern(
                kind="emergent",
                onset=estimate(at, onset),
                slope_per_decade=float(sign * right),
                improvement_per_decade=float(right),
                next_10x=None,
                evidence=f"flat at {sign * c:.3g}{near} up to {x_name} ~{at:.3g}, then {right:+.3g} per decade "
                f"(hinge beats a line, F-test p = {hinge_p:.2g} < {HINGE_P:g}); the rise's continuation is not a law: no next-10x number",
                **common,
            )
        if left > 0 and abs(right) < FLAT * abs(left):
            return Pattern(
                kind="plateau",
                since=at,
                level=float(sign * c),
                slope_per_decade=float(sign * right),
                improvement_per_decade=float(right),
                next_10x=float(sign * c),
                evidence=f"improves {left:+.3g} per decade up to {x_name} ~{at:.3g}, then {right:+.3g} per decade: "
                f"stuck near {sign * c:.3g} (hinge beats a line, F-test p = {hinge_p:.2g} < {HINGE_P:g})",
                **common,
            )
    gain = float(c1)
    following = float(sign * (c0 + c1 * (t.max() + 1)))
    raw = f"{sign * gain:+.3g} per decade ({direction}; a bend's F-test p = {hinge_p:.2g})"
    if gain <= 0:
        return Pattern(
            kind="no signal",
            evidence=f"it gets worse with {x_name}: {raw}",
            slope_per_decade=sign * gain,
            improvement_per_decade=gain,
            **common,
        )
    interval, tested = (None, 0) if quick else _next_10x_interval(t, z, noise, sign)
    said = f"10x beyond the largest point: {following:.4g}" + (
        f" (95 % prediction interval {interval[0]:.4g}-{interval[1]:.4g}, from {tested} backtests)"
        if interval
        else " (no interval: fewer than 2 backtests)"
    )
    if gain < slow:
        return Pattern(
            kind="slow",
            slope_per_decade=sign * gain,
            improvement_per_decade=gain,
            next_10x=following,
            next_10x_pi95=interval,
            evidence=f"improves by {gain:.3g} per decade of {x_name} ({raw}): under the {slow:g} that makes 10x worth it; {said}",
            **common,
        )
    return Pattern(
        kind="smooth",
        slope_per_decade=sign * gain,
        improvement_per_decade=gain,
        next_10x=following,
        next_10x_pi95=interval,
        evidence=f"a line in log {x_name} explains it: {raw} (noise {noise:.3g}); {said}",
        **common,
    )


def _next_10x_interval(t: np.ndarray, z: np.ndarray, noise: float, sign: float) -> tuple[tuple[float, float] | None, int]:
    """The 95 % prediction interval of the line one decade beyond the data, from the metric's own
    backtests: refit without the top 1, 2, ... levels (keeping ``MIN_POINTS - 2`` to fit), predict
    the held-out points; their error beyond what the noise explains is a per-decade extrapolation
    error tau (as the loss law's scaling check does), added to the line's own uncertainty and the noise."""
    levels = np.unique(t)
    excess = weight = 0.0
    tested = 0
    for held in range(1, len(levels) - (MIN_POINTS - 2) + 1):
        top = levels[-held - 1]
        fitted, ahead = t <= top, t > top
        if fitted.sum() < 3:
            break
        coef, _ = _line(t[fitted], z[fitted])
        errors = (coef[0] + coef[1] * t[ahead]) - z[ahead]
        decades = t[ahead] - top
        excess += float(np.mean(errors**2 - noise**2))
        weight += float(np.mean(decades**2))
        tested += 1
    if tested < MIN_BACKTESTS:
        return None, tested
    tau2 = max(excess / weight, 0.0) if weight > 0 else 0.0
    n, target = len(t), float(t.max() + 1)
    (c0, c1), _ = _line(t, z)
    spread = float(np.sum((t - t.mean()) ** 2))
    line_var = noise**2 * (1 / n + (target - t.mean()) ** 2 / max(spread, 1e-300))
    half = t975(max(n - 2, 1)) * math.sqrt(line_var + noise**2 + tau2 * 1.0)
    centre = c0 + c1 * target
    low, high = sorted((sign * (centre - half), sign * (centre + half)))
    return (float(low), float(high)), tested


def _onset_interval(t: np.ndarray, z: np.ndarray, two: tuple[float, np.ndarray, float], seed: int) -> np.ndarray:
    """Onsets refitted on residual-bootstrap replicates of the two-slope fit."""
    t0, (c, left, right), _ = two
    fitted = c + left * np.minimum(t - t0, 0.0) + right * np.maximum(t - t0, 0.0)
    residual = z - fitted
    rng = np.random.default_rng(seed)
    onsets = []
    for _ in range(BOOTSTRAP):
        replicate = fitted + rng.choice(residual, size=len(residual), replace=True)
        onsets.append(10 ** _two_slope(t, replicate)[0])
    return np.array(onsets)
