"""A curves file: rows of ``run, step, lr, loss`` (CSV or JSONL), read into one schedule per run.

A row may carry a learning rate without a loss: the schedule between evaluations, or the steps a
run has still to go (its planned end is its last row). Between rows the rate is linear in the
step; before a run's first row, a linear warmup from 0 at step 0 (how every schedule of the
source starts; said in ``notes``). Losses before the rate peaks (in warmup) are left out of the
fit, as the law's authors do (said in ``notes``). Every failure is one line naming the file, the
run and the step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ...core.errors import ScaleError
from ...laws.curves.multipower import Drops, drops
from ...laws.curves.schedule import MAX_STEPS, from_points
from ..runs.records import Rows, _value, read_records

FIELDS = ("run", "step", "lr", "loss")
PEAK_SHARE = 0.99
"""Warmup ends at the first step whose rate is within 1 % of the run's peak: a rate exported with
rounding jitter (2.9999e-4 beside 3e-4) does not move the end of warmup to the end of the run."""


@dataclass(frozen=True)
class CurveRun:
    """One run: its schedule at every step 0 .. ``end`` and the losses observed on it."""

    name: str
    rates: np.ndarray
    steps: np.ndarray
    """Steps with an observed loss (strictly increasing, >= 1)."""
    loss: np.ndarray
    notes: tuple[str, ...] = field(default=())

    @property
    def end(self) -> int:
        """The run's last planned step (its last row)."""
        return len(self.rates) - 1

    @cached_property
    def law_inputs(self) -> Drops:
        """The schedule as the law reads it at the observed steps (built once: backtests slice it)."""
        return drops(self.rates, self.steps)

    @property
    def observed_end(self) -> int | None:
        return int(self.steps[-1]) if len(self.steps) else None


def read_curves(
    path: str, columns: dict[str, str] | None = None, where: list[str] | None = None, exclude: Rows | None = None
) -> tuple[list[CurveRun], str]:
    """The runs of a curves file, in the order they first appear, and the file's name."""
    records, source, _ = read_records(path, exclude, where)
    if not records:
        raise ScaleError(f"{source}: no rows: expected one row per (run, step) with columns {', '.join(FIELDS)}")
    column = {name: (columns or {}).get(name, name) for name in FIELDS}
    present = set().union(*(record.keys() for _, _, record in records))
    missing = [column[name] for name in ("step", "lr") if column[name] not in present]
    if column["loss"] not in present:
        missing.append(column["loss"])
    if missing:
        raise ScaleError(
            f"{source}: missing column {', '.join(repr(m) for m in missing)} (found: {', '.join(sorted(present))}); map yours with --columns"
        )
    grouped: dict[str, list[tuple[int, int, float, float | None]]] = {}
    for row, line, record in records:
        name = str(record.get(column["run"], "") or "run") if column["run"] in present else "run"
        step_value = _value(record.get(column["step"]), source, row, line, column["step"], positive=False)
        if step_value != math.floor(step_value) or not 0 <= step_value <= MAX_STEPS:
            raise ScaleError(
                f"{source}: row {row} (line {line}), run {name!r}: step {step_value:g} is not a whole step from 0 to {MAX_STEPS:,}"
            )
        raw_lr = record.get(column["lr"])
        if raw_lr is None or (isinstance(raw_lr, str) and not raw_lr.strip()):
            raise ScaleError(
                f"{source}: row {row} (line {line}), run {name!r}, step {int(step_value)}: no learning rate (the law reads the schedule's area)"
            )
        lr = _value(raw_lr, source, row, line, column["lr"], positive=False)
        if lr < 0:
            raise ScaleError(f"{source}: row {row} (line {line}), run {name!r}, step {int(step_value)}: learning rate {lr:g} is negative")
        raw_loss = record.get(column["loss"])
        loss = (
            None
            if raw_loss is None or (isinstance(raw_loss, str) and not raw_loss.strip())
            else _value(raw_loss, source, row, line, column["loss"])
        )
        grouped.setdefault(name, []).append((row, int(step_value), lr, loss))
    return [_run(name, rows, source) for name, rows in grouped.items()], source


def _run(name: str, rows: list[tuple[int, int, float, float | None]], source: str) -> CurveRun:
    steps = np.array([step for _, step, _, _ in rows])
    back = np.nonzero(np.diff(steps) <= 0)[0]
    if len(back):
        i = int(back[0]) + 1
        raise ScaleError(
            f"{source}: run {name!r}: step {steps[i]} (row {rows[i][0]}) follows step {steps[i - 1]}: steps must increase within a run"
        )
    rates = np.array([lr for _, _, lr, _ in rows])
    if rates.max() <= 0:
        raise ScaleError(f"{source}: run {name!r}: every learning rate is 0: the law needs the schedule's area")
    observed = [(step, loss) for _, step, _, loss in rows if loss is not None]
    if observed and observed[0][0] < 1:
        raise ScaleError(f"{source}: run {name!r}: a loss at step 0 (before any update): start the losses at step 1 or later")
    notes = [f"run {name!r}: linear warmup from 0 at step 0 assumed up to its first row (step {steps[0]})"] if steps[0] > 0 else []
    schedule = from_points(steps, rates)
    # The law describes training after warmup (Luo et al. 2025 fit their curves from the end of
    # warmup on): losses while the rate still climbs to its peak are left out. On the OLMo ladder's
    # 190M runs, whose exports start at step 200 inside warmup, that one point per run is the
    # difference between a 2.7 % and a 0.4 % scatter per point.
    peak = int(np.argmax(schedule >= schedule.max() * PEAK_SHARE))
    warming = [step for step, _ in observed if step < peak]
    if warming:
        observed = [(step, loss) for step, loss in observed if step >= peak]
        if not observed:
            raise ScaleError(
                f"{source}: run {name!r}: every loss is in warmup (the learning rate still climbs at step {warming[-1]}): "
                "the law describes training after warmup"
            )
        notes.append(
            f"run {name!r}: {len(warming)} loss(es) in warmup (steps {warming[0]}-{warming[-1]}, before the learning rate "
            f"peaks at step {peak}) left out: the law describes training after warmup"
        )
    return CurveRun(
        name=name,
        rates=schedule,
        steps=np.array([s for s, _ in observed], dtype=int),
        loss=np.array([v for _, v in observed], dtype=float),
        notes=tuple(notes),
    )
