"""Benchmark scores of a planned model: the shipped task laws evaluated at its (N, D).

``--task NAME`` on ``plan`` and ``overtrain`` takes a preset of a chained task form
(``ladder-mmlu``, ``gadre-avg17``, or the short ``mmlu``): the ladder's step 1 (task loss from
non-embedding N and tokens) and step 2 (accuracy from task loss), or Gadre et al.'s loss-to-error
chain. The ladder counts non-embedding parameters: the planned model's come from its shape (the
run section's, or the suggested shape for its size). Beyond ``MAX_REACH`` times the fitted range
the law is not asked: "does not reach that far" is the answer, not a number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ...core.errors import ScaleError
from ...laws.preset import FormPreset, family_preset_names, load_family_preset
from ..draft import Draft
from ..request import PlanRequest

if TYPE_CHECKING:
    from ...hardware.shape import Shape

TASK_FORMS = {"task-chain": "accuracy", "gadre-chain": "error"}
"""The chained forms a --task preset may have, and the metric each predicts."""
MAX_REACH = 100.0
"""A task law is evaluated at most this many times beyond its fitted params or tokens (the ladder
itself predicts its 13B target from 1.3B, 10x: two decades is already a long way)."""


class TaskScore(BaseModel):
    name: str
    metric: str
    """'accuracy' or 'error' (top-1 error), fractions."""
    value: float | None
    """None: the task's law does not reach this model (see warnings)."""
    ci95: tuple[float, float] | None = None
    """None: the preset carries no uncertainty (a point fit)."""
    source: str
    params_used: float
    """The N the task law was evaluated at (non-embedding for the ladder)."""
    warnings: list[str] = []


def task_names() -> list[str]:
    """The --task presets (full names), and the ladder's short names."""
    return [name for name in family_preset_names() if name.startswith(("ladder-", "gadre-"))]


def resolve_task(name: str) -> FormPreset:
    if not isinstance(name, str):
        raise ScaleError(f"--task: expected a task name, got {type(name).__name__}")
    full = name if name.startswith(("ladder-", "gadre-")) else f"ladder-{name}"
    names = task_names()
    if full not in names:
        shown = ", ".join(n.removeprefix("ladder-") for n in names)
        raise ScaleError(f"unknown task {name!r}: expected one of {shown}")
    preset = load_family_preset(full)
    if preset.form not in TASK_FORMS:
        raise ScaleError(f"--task {name}: preset {full} is a {preset.form} law, not a task law")
    return preset


def non_embedding_params(params: float, shape: Shape | None = None) -> float:
    """The planned model's non-embedding parameters: from its shape, or the suggested one."""
    if shape is None:
        from ...hardware.shape import suggest_shapes

        shape = suggest_shapes(params, count=1)[0]
    return float(params * shape.non_embedding_params / shape.params)


def task_scores(
    names: list[str], params: float, tokens: float, shape: Shape | None = None, params_counted: str = "total"
) -> list[TaskScore]:
    """Each task's predicted score for a model of ``params`` (total) trained on ``tokens``."""
    scores = []
    for name in names:
        preset = resolve_task(name)
        counts_total = preset.form == "gadre-chain"
        n = params if counts_total else non_embedding_params(params, shape)
        warnings = []
        if params_counted != "total":
            warnings.append(f"the plan's law counts {params_counted} parameters; {preset.name} was evaluated at that N as if it were total")
        reach = _reach(preset, n, tokens)
        if reach is not None:
            scores.append(
                TaskScore(
                    name=preset.name,
                    metric=TASK_FORMS[preset.form],
                    value=None,
                    source=preset.citation,
                    params_used=n,
                    warnings=warnings + [reach],
                )
            )
            continue
        warnings += _extrapolation(preset, n, tokens)
        value = float(preset.predict(params=n, tokens=tokens))
        scores.append(
            TaskScore(
                name=preset.name, metric=TASK_FORMS[preset.form], value=value, source=preset.citation, params_used=n, warnings=warnings
            )
        )
    return scores


def _ratios(preset: FormPreset, n: float, tokens: float) -> Iterator[tuple[str, float, float, str, float]]:
    for variable, value in (("params", n), ("tokens", tokens)):
        low, high = preset.fitted_range[variable]
        if value > high:
            yield variable, value, value / high, "beyond the largest", high
        elif value < low:
            yield variable, value, low / value, "below the smallest", low


def _reach(preset: FormPreset, n: float, tokens: float) -> str | None:
    for variable, value, ratio, side, edge in _ratios(preset, n, tokens):
        if ratio > MAX_REACH:
            return (
                f"{preset.name} does not reach that far: {variable} {value:.3g} is {ratio:,.0f}x {side} it was fitted on "
                f"({edge:.3g}); the law is not asked beyond {MAX_REACH:g}x"
            )
    return None


def _extrapolation(preset: FormPreset, n: float, tokens: float) -> list[str]:
    import math

    return [
        f"{preset.name}: {variable} {value:.3g} is {ratio:.3g}x {side} it was fitted on ({edge:.3g}), "
        f"{math.log10(ratio):.1f} decades of extrapolation"
        for variable, value, ratio, side, edge in _ratios(preset, n, tokens)
    ]


def section(draft: Draft, request: PlanRequest) -> None:
    """With ``tasks``: the planned model's predicted score on each benchmark."""
    draft.fields["tasks"] = task_scores(request.tasks, draft.params, draft.tokens, draft.fields.get("shape"), draft.law.params_counted)
