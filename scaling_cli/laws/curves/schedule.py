"""Learning-rate schedules, one value per optimizer step, as the loss-curve laws read them.

A schedule is described by its warmup, peak and decay (``Schedule``) or given as the learning
rates a file carries at some steps (:func:`from_points`, linear between them). The shapes are
those of Luo et al. 2025's code (``src/lr_schedules.py`` of thu-yao-01-luo/MultiPowerLaw):
linear warmup from 0 (``np.linspace(0, peak, warmup)``), then

* ``constant``: the peak to the end;
* ``cosine``: from the peak at the end of warmup to ``final_lr`` at ``total``;
* ``linear``: the same, a straight line;
* ``wsd``: the peak until ``decay_start``, then a geometric decay to ``final_lr`` at ``total``
  (their ``wsd_lrs``); ``wsd-linear``: a straight decay (``wsdld_lrs``);
* ``step``: the peak until ``decay_start``, then ``final_lr`` held (their ``two_stage_lrs``).
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...core.errors import ScaleError

SHAPES = ("constant", "cosine", "linear", "wsd", "wsd-linear", "step")
MAX_STEPS = 10_000_000
"""Schedules longer than this are refused: the laws hold one value per step."""


class Schedule(BaseModel):
    """A planned schedule: ``cosine:total=100000,warmup=2000,peak=3e-4,final=3e-5``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: str
    total: int = Field(ge=2, le=MAX_STEPS, description="the last step")
    peak: float = Field(gt=0, le=10)
    warmup: int = Field(default=0, ge=0)
    final: float | None = Field(default=None, ge=0, le=10, description="the learning rate at the end of the decay")
    decay_start: int | None = Field(default=None, ge=0, description="wsd, wsd-linear, step: where the decay starts")

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        if self.shape not in SHAPES:
            raise ValueError(f"shape {self.shape!r}: expected one of {', '.join(SHAPES)}")
        if self.warmup >= self.total:
            raise ValueError(f"warmup {self.warmup} is not before the last step {self.total}")
        if self.shape in ("wsd", "wsd-linear", "step") and (self.decay_start is None or not self.warmup <= self.decay_start < self.total):
            raise ValueError(f"{self.shape} needs decay_start between warmup ({self.warmup}) and total ({self.total})")
        if self.shape != "constant" and self.final is None:
            raise ValueError(f"{self.shape} needs final (the learning rate at the end)")
        if self.shape == "wsd" and self.final == 0:
            raise ValueError("wsd decays geometrically: final must be > 0 (use wsd-linear to decay to 0)")
        return self

    def rates(self) -> np.ndarray:
        """The learning rate at steps 0 .. ``total``."""
        return rates(self)


def rates(schedule: Schedule) -> np.ndarray:
    """The learning rate at every step 0 .. ``schedule.total`` (the end included)."""
    total, peak, warmup = schedule.total, schedule.peak, schedule.warmup
    final = peak if schedule.final is None else schedule.final
    step = np.arange(total + 1, dtype=float)
    lr = np.full(total + 1, peak)
    if schedule.shape in ("cosine", "linear"):
        fraction = np.clip((step - warmup) / (total - warmup), 0, 1)
        ramp = 0.5 * (1 + np.cos(np.pi * fraction)) if schedule.shape == "cosine" else 1 - fraction
        lr = final + (peak - final) * ramp
    elif schedule.shape in ("wsd", "wsd-linear", "step"):
        start = float(schedule.decay_start or 0)
        fraction = np.clip((step - start) / (total - start), 0, 1)
        if schedule.shape == "wsd":
            lr = peak ** (1 - fraction) * final**fraction
        elif schedule.shape == "wsd-linear":
            lr = peak + (final - peak) * fraction
        else:
            lr = np.where(step >= start, final, peak)
    if warmup:
        lr[:warmup] = np.linspace(0, peak, warmup)
    return lr


def parse_schedule(text: str) -> Schedule:
    """``SHAPE:key=value,...`` (keys: total, peak, warmup, final, decay_start), as ``--schedule`` takes it."""
    match = re.fullmatch(r"\s*([a-z-]+)\s*:(.*)", text)
    if match is None:
        raise ScaleError(
            f"--schedule {text!r}: expected SHAPE:key=value,... like 'cosine:total=100000,warmup=2000,peak=3e-4,final=3e-5' "
            f"(shapes: {', '.join(SHAPES)})"
        )
    fields: dict[str, object] = {"shape": match[1]}
    for part in filter(None, (p.strip() for p in match[2].split(","))):
        key, _, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if key not in ("total", "peak", "warmup", "final", "decay_start") or not value:
            raise ScaleError(f"--schedule {text!r}: {part!r} is not one of total=, peak=, warmup=, final=, decay_start=")
        from ...core.units import parse_number

        try:
            number = parse_number(value.strip())
        except ValueError as error:
            raise ScaleError(f"--schedule {text!r}: {key}: {error}") from None
        fields[key] = int(number) if key in ("total", "warmup", "decay_start") and number == int(number) else number
    from pydantic import ValidationError

    try:
        return Schedule.model_validate(fields)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "schedule"
        raise ScaleError(f"--schedule {text!r}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def from_points(steps: np.ndarray, lrs: np.ndarray, warmup_from_zero: bool = True) -> np.ndarray:
    """The rate at every step 0 .. ``steps[-1]`` from the rates a file gives at ``steps``: linear
    between them, and before the first one a linear warmup from 0 at step 0 (how every schedule
    here starts) when ``warmup_from_zero``, else the first rate held."""
    steps, lrs = np.asarray(steps, dtype=float), np.asarray(lrs, dtype=float)
    grid = np.arange(int(steps[-1]) + 1, dtype=float)
    if warmup_from_zero and steps[0] > 0:
        steps, lrs = np.concatenate([[0.0], steps]), np.concatenate([[0.0], lrs])
    return np.asarray(np.interp(grid, steps, lrs), dtype=float)
