"""Rich rendering of the predicted benchmark scores (``--task``) of ``plan`` and ``overtrain``."""

from __future__ import annotations

from typing import cast

from rich.console import Console, JustifyMethod
from rich.text import Text

from ...core.units import format_count
from .tables import data_table, print_warnings


def _score(task) -> str:
    if task.value is None:
        return "out of reach"
    shown = f"{task.value:.1%}"
    return shown if task.ci95 is None else f"{shown} [{task.ci95[0]:.1%}, {task.ci95[1]:.1%}]"


def render_plan_tasks(console: Console, tasks: list) -> None:
    if not tasks:
        return
    table = data_table(
        "Predicted benchmark scores", "Accuracy or top-1 error, as each task law predicts it; no interval: the presets are point fits."
    )
    for header, justify in (("Task", "left"), ("Metric", "left"), ("Predicted", "right"), ("N it counts", "right")):
        table.add_column(header, justify=cast(JustifyMethod, justify))
    for task in tasks:
        table.add_row(task.name, task.metric, _score(task), format_count(task.params_used))
    console.print(table)
    _warnings(console, tasks)


def render_overtrain_tasks(console: Console, rows: list) -> None:
    if not rows or not rows[0].tasks:
        return
    table = data_table("Predicted benchmark scores by row")
    table.add_column("Tokens", justify="right")
    for task in rows[0].tasks:
        table.add_column(f"{task.name} ({task.metric})", justify="right")
    for row in rows:
        table.add_row(format_count(row.tokens), *[_score(task) for task in row.tasks])
    console.print(table)
    _warnings(console, [task for row in rows[-1:] for task in row.tasks])


def _warnings(console: Console, tasks: list) -> None:
    for task in tasks:
        for warning in task.warnings:
            console.print(Text(f"Warning: {warning}.", style="bold yellow"))
    sources = sorted({task.source for task in tasks})
    for source in sources:
        console.print(Text(f"Source: {source}", style="dim"))


def render_task_fit(console: Console, result) -> None:
    from .fit import _estimate_row, _estimate_table

    chain = {"ladder": "the ladder's two steps (Bhagia et al. 2024)", "gadre": "Gadre et al. 2024's loss-to-error chain"}[result.form]
    console.print(Text(f"{result.metric} from {result.via}: {chain}", style="bold"))
    facts = [f"{result.n_rows} rows of {result.n_runs} runs from {result.source}"]
    facts.append(
        f"joint bootstrap: {result.bootstrap} resamples of whole runs (seed {result.seed})" if result.bootstrap else "no bootstrap"
    )
    if result.chance is not None:
        facts.append(f"chance {result.chance:g}")
    console.print("; ".join(facts) + ".")
    for title, step in (
        ("Step 1: " + result.via + " from params and tokens", result.step1),
        ("Step 2: " + result.metric + " from " + result.via, result.step2),
    ):
        if step is None:
            continue
        table = _estimate_table(f"{title} ({step.form}, {step.n_points} points, RMSE {step.rmse:.4g})")
        for name, estimate in step.parameters.items():
            _estimate_row(table, name, estimate)
        console.print(table)
    if result.predictions:
        table = _estimate_table("Chained predictions")
        for p in result.predictions:
            _estimate_row(table, f"{format_count(p.params)}, {format_count(p.tokens)}: {result.via}", p.via)
            _estimate_row(table, f"{format_count(p.params)}, {format_count(p.tokens)}: {result.metric}", p.metric)
        console.print(table)
        console.print(
            Text(
                "The interval covers the fit's parameters (both steps, resampled together) and a new model's scatter; "
                "not a different data mix, evaluation harness or prompt format.",
                style="dim",
            )
        )
    print_warnings(console, [w for p in result.predictions for w in p.warnings] + result.warnings, result.notes)
