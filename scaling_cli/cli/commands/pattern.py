"""``scale pattern``: parse, read the metric and its x, call :func:`scaling_cli.fitting.pattern.pattern.classify`, render."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import FormatOption, JsonOption, check_format, choices, complete_files, non_negative, positive, whole
from ..output import emit_json


def pattern(
    runs: Annotated[
        str,
        typer.Argument(
            help="Runs file: .csv or .jsonl with the metric and params/tokens (or flops); - for stdin.",
            metavar="RUNS",
            autocompletion=complete_files,
        ),
    ],
    metric: Annotated[str, typer.Option("--metric", help="The column to classify (an accuracy, an error, a loss).", metavar="COLUMN")],
    x: Annotated[
        str,
        typer.Option(
            "--x",
            help="Over compute (flops: the flops column, else 6 x params x tokens) or size (params).",
            autocompletion=choices("flops", "params"),
        ),
    ] = "flops",
    chance: Annotated[
        float | None,
        typer.Option(
            "--chance",
            parser=non_negative,
            help="The metric's random baseline: points within the noise of it carry no signal.",
            metavar="P",
        ),
    ] = None,
    direction: Annotated[
        str,
        typer.Option(
            "--direction",
            help="up (higher is better), down, or auto (the sign of the trend).",
            autocompletion=choices("up", "down", "auto"),
        ),
    ] = "auto",
    slow: Annotated[
        float | None,
        typer.Option("--slow", parser=positive, help="Slow scaling: 10x buys less than this (metric units; default 0.01).", metavar="GAIN"),
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Map fields to your columns: params=N,tokens=D,flops=C.", metavar="MAP")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only rows with COLUMN=VALUE (repeatable; V1,V2 for either).", metavar="COLUMN=VALUE"),
    ] = None,
    average_last: Annotated[
        int | None,
        typer.Option(
            "--average-last",
            parser=whole(1),
            help="Checkpoint files: one point per run, the mean of its last K rows (the ladder uses 5).",
            metavar="K",
        ),
    ] = None,
    run_column: Annotated[
        str | None, typer.Option("--run-column", help="The column naming each run (default: 'run').", metavar="COLUMN")
    ] = None,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """Name a metric's scaling pattern: no signal, smooth, emergent, plateau or slow, with the numbers.

    The source's §3B: recognise the pattern before trusting a trend."""
    check_format(format, json)
    from ...fitting.pattern.pattern import DEFAULT_SLOW, classify
    from ...fitting.pattern.pattern_runs import read_metric
    from ..output import console as make_console

    if direction not in ("up", "down", "auto"):
        raise typer.BadParameter(f"expected up, down or auto, got {direction!r}", param_hint="--direction")
    if x not in ("flops", "params"):
        raise typer.BadParameter(f"expected flops or params, got {x!r}", param_hint="--x")
    values, ys, source = read_metric(runs, metric, x, columns, where, run_column, average_last)
    higher = None if direction == "auto" else direction == "up"
    result = classify(values, ys, chance=chance, higher_is_better=higher, slow=slow or DEFAULT_SLOW, x_name=x)
    if json:
        emit_json({"source": source, "metric": metric, "pattern": result})
    else:
        from rich.text import Text

        console = make_console()
        agree = "" if result.agreement is None or result.kind == "borderline" else f" ({result.agreement:.0%} of noisy copies agree)"
        console.print(
            Text(
                f"{metric} over {x} ({source}, {result.n_points} distinct values, {result.direction}): {result.kind}{agree}",
                style="bold",
            )
        )
        console.print(result.evidence + ".")
        if result.onset is not None and result.onset.ci95 is not None:
            console.print(f"Onset: {result.onset.value:.3g} (95 % interval {result.onset.ci95[0]:.3g} to {result.onset.ci95[1]:.3g}).")
