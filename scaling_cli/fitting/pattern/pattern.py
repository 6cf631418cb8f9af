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
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel

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
BOOTSTRAP = 300


class Pattern(BaseModel):
    kind: str
    """'no signal', 'smooth', 'emergent', 'plateau', 'slow' or 'too few points'."""
    evidence: str
    onset: Estimate | None = None
    """Emergence: where the rise starts, in the x unit."""
    since: float | None = None
    """Plateau: where the improvement stops, in the x unit."""
    level: float | None = None
    """Plateau: the level it stays at."""
    slope_per_decade: float | None = None
    """The metric's change per 10x of x (last segment for a hinge), in the metric's direction."""
    next_10x: float | None = None
    """The metric 10x beyond the largest x, on the chosen fit (None where it would be a made-up number)."""
    noise: float | None = None
    n_points: int
    x: str
    direction: str
    chance: float | None = None


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
    """The pattern of metric ``y`` over ``x`` (rows may repeat an x: seeds, reruns, checkpoints)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
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
        band = max(CHANCE_SIGMAS * noise, 0.02)
        above = sign * (y - chance) > band
        clear = len(np.unique(x[above]))
        if clear < SIDE:
            shown = "every point is" if clear == 0 else f"all but {clear} of the {len(levels)} {x_name} values are"
            return Pattern(
                kind="no signal",
                evidence=f"{shown} within {band:.3g} of chance {chance:g} (noise {noise:.3g}) over "
                f"{span:.1f} decades of {x_name}: a cold start, nothing to extrapolate",
                **common,
            )
    # Without a chance level, "no signal" is a slope the noise explains (its 95 % bound) and no bend.
    bound = t975(max(n - 2, 1)) * noise / math.sqrt(max(float(np.sum((t - t.mean()) ** 2)), 1e-300))
    bent = _f_p(rss_line, two[2], 2, n - 4) < HINGE_P
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
            onset = _onset_interval(t, z, two, seed)
            near = "" if chance is None else f" (within {abs(c - sign * chance):.3g} of chance)"
            return Pattern(
                kind="emergent",
                onset=estimate(at, onset),
                slope_per_decade=float(right),
                next_10x=None,
                evidence=f"flat at {sign * c:.3g}{near} up to {x_name} ~{at:.3g}, then {right:+.3g} per decade "
                f"(hinge beats a line, F-test p < {HINGE_P:g}); the rise's continuation is not a law: no next-10x number",
                **common,
            )
        if left > 0 and abs(right) < FLAT * abs(left):
            return Pattern(
                kind="plateau",
                since=at,
                level=float(sign * c),
                slope_per_decade=float(right),
                next_10x=float(sign * c),
                evidence=f"improves {left:+.3g} per decade up to {x_name} ~{at:.3g}, then {right:+.3g} per decade: "
                f"stuck near {sign * c:.3g} (hinge beats a line, F-test p < {HINGE_P:g})",
                **common,
            )
    gain = float(c1)
    following = float(sign * (c0 + c1 * (t.max() + 1)))
    if gain <= 0:
        return Pattern(
            kind="no signal",
            evidence=f"it gets worse with {x_name} ({gain:+.3g} per decade in its own direction)",
            slope_per_decade=gain,
            **common,
        )
    if gain < slow:
        return Pattern(
            kind="slow",
            slope_per_decade=gain,
            next_10x=following,
            evidence=f"improves {gain:+.3g} per decade of {x_name}: under the {slow:g} that makes 10x worth it",
            **common,
        )
    return Pattern(
        kind="smooth",
        slope_per_decade=gain,
        next_10x=following,
        evidence=f"a line in log {x_name} explains it: {gain:+.3g} per decade (noise {noise:.3g}); "
        f"10x beyond the largest point: {following:.4g}",
        **common,
    )


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
