"""The library's ``curve``: read a curves file, add planned runs, fit, predict, and track a run.

``scale curve`` is a thin wrapper over :func:`curve` (and :func:`track` with ``--track``).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from ...core.errors import ScaleError, items, whole
from ...laws.curves.schedule import MAX_STEPS, Schedule, parse_schedule
from .curve_fit import CurveFit, curve_band, fit_curves
from .curve_runs import CurveRun, read_curves

TRACK_STREAK = 3
"""A run has left its band when its last this many points all lie outside the 95 % band, on one side."""
CURVE_POINTS = 400
"""Points per run in ``--curve-out``."""


class CurveResult(BaseModel):
    source: str
    fit: CurveFit
    planned: list[str]
    """Runs added from ``--schedule`` (never observed)."""


class TrackedPoint(BaseModel):
    step: int
    observed: float
    predicted: float
    pi95: tuple[float, float] | None


class Tracking(BaseModel):
    run: str
    fitted_until: int
    """The run's last step the fit saw; the points after it are checked."""
    points: list[TrackedPoint]
    left_band: bool
    left_at: int | None
    """The first step of the run of points outside the band that ends at its latest point."""
    by: float | None
    """The latest point's relative distance from the prediction (observed / predicted - 1)."""
    evidence: str
    fit: CurveFit


def planned_run(text: str) -> CurveRun:
    """``NAME=SHAPE:key=value,...``: a run not yet started, from its schedule alone."""
    name, sep, description = text.partition("=")
    if not sep or not name.strip() or ":" not in description:
        raise ScaleError(
            f"--schedule {text!r}: expected NAME=SHAPE:key=value,... like 'wsd20=wsd:total=100000,warmup=2000,peak=3e-4,final=3e-5,decay_start=80000'"
        )
    schedule: Schedule = parse_schedule(description)
    return CurveRun(name=name.strip(), rates=schedule.rates(), steps=np.zeros(0, dtype=int), loss=np.zeros(0))


def curve(
    path: str,
    columns: dict[str, str] | None = None,
    where: list[str] | None = None,
    schedules: list[str] | None = None,
    backtest: bool = True,
) -> tuple[CurveResult, list[CurveRun]]:
    """Fit the multi-power law on every observed point of the file's runs and predict the end of
    each unfinished run and of each planned schedule (``NAME=SHAPE:...``)."""
    if not isinstance(backtest, bool):
        raise ScaleError(f"backtest: expected True or False, got {backtest!r}"[:200])
    if schedules is not None:
        items("schedules", schedules, str, "NAME=SHAPE:key=value texts")
    if where is not None:
        items("where", where, str, "COLUMN=VALUE texts")
    if columns is not None and not (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())):
        raise ScaleError(f"columns: expected a mapping such as {{'loss': 'train/loss'}}, got {columns!r}"[:200])
    runs, source = read_curves(path, columns, where)
    planned = [planned_run(text) for text in schedules or []]
    taken = {run.name for run in runs}
    for run in planned:
        if run.name in taken:
            raise ScaleError(f"--schedule {run.name!r}: a run of that name is already in {source}")
        taken.add(run.name)
    runs = runs + planned
    return CurveResult(source=source, fit=fit_curves(runs, backtest), planned=[run.name for run in planned]), runs


def track(runs: list[CurveRun], name: str, latest: int | None = None) -> Tracking:
    """Whether run ``name``'s latest points sit inside the band predicted from its earlier part
    and the other runs (fitted without them): ``left_band`` when its last ``TRACK_STREAK`` points
    are all outside the 95 % band on one side."""
    items("runs", runs, CurveRun, "curve runs (read_curves)")
    if latest is not None:
        latest = whole("latest", latest, 1, MAX_STEPS)
    chosen = [run for run in runs if run.name == name]
    if not chosen:
        raise ScaleError(f"--track {name!r}: no such run (runs: {', '.join(run.name for run in runs)})")
    run = chosen[0]
    count = len(run.steps)
    latest = latest or max(TRACK_STREAK, count // 10)
    if count < latest + 2:
        raise ScaleError(f"--track {name!r}: {count} observed points: at least {latest + 2} are needed to check its latest {latest}")
    keep = count - latest
    early = CurveRun(name=run.name, rates=run.rates, steps=run.steps[:keep], loss=run.loss[:keep], notes=run.notes)
    fit = fit_curves([early if r is run else r for r in runs])
    steps = run.steps[keep:]
    values, low, high = curve_band(fit, early, steps)
    points = [
        TrackedPoint(
            step=int(s), observed=float(o), predicted=float(v), pi95=None if low is None or high is None else (float(lo), float(hi))
        )
        for s, o, v, lo, hi in zip(steps, run.loss[keep:], values, low if low is not None else values, high if high is not None else values)
    ]
    if low is None or high is None:
        side = np.zeros(len(steps))
    else:
        side = np.where(run.loss[keep:] > high, 1, np.where(run.loss[keep:] < low, -1, 0))
    streak = 0
    while streak < len(side) and side[-1 - streak] != 0 and side[-1 - streak] == side[-1]:
        streak += 1
    left = low is not None and streak >= TRACK_STREAK
    by = float(run.loss[-1] / values[-1] - 1)
    left_at = int(steps[len(steps) - streak]) if streak else None
    if low is None:
        evidence = "no band: too few backtests to measure how far predictions miss"
    elif left:
        evidence = f"left its 95 % band at step {left_at}: its last {streak} points are {'above' if side[-1] > 0 else 'below'} it, the latest {by:+.2%} from the prediction"
    else:
        outside = int(np.count_nonzero(side))
        evidence = f"on the curve: {len(steps) - outside} of its latest {len(steps)} points inside the 95 % band, the latest {by:+.2%} from the prediction"
    return Tracking(
        run=name,
        fitted_until=int(run.steps[keep - 1]),
        points=points,
        left_band=left,
        left_at=left_at if left else None,
        by=by,
        evidence=evidence,
        fit=fit,
    )


def drawn_steps(run: CurveRun, runs: list[CurveRun], points: int = CURVE_POINTS) -> np.ndarray:
    """The steps a run's predicted curve is drawn at (``--curve-out``, ``--plot``): from its first
    observed step, or for a planned run from where the observed runs start (the law is not asked
    about the first steps of warmup, where no run was seen), to its end."""
    starts = [int(r.steps[0]) for r in runs if len(r.steps)]
    first = int(run.steps[0]) if len(run.steps) else min(min(starts, default=1), run.end)
    return np.unique(np.linspace(max(first, 1), run.end, points).astype(int))


def curve_rows(fit: CurveFit, runs: list[CurveRun]) -> list[tuple[str, int, float, float | None, float | None]]:
    """``--curve-out``: each run's predicted curve with its 95 % band, from its first step to its end."""
    rows = []
    for run in runs:
        steps = drawn_steps(run, runs)
        values, low, high = curve_band(fit, run, steps)
        for i, step in enumerate(steps):
            rows.append(
                (run.name, int(step), float(values[i]), None if low is None else float(low[i]), None if high is None else float(high[i]))
            )
    return rows
