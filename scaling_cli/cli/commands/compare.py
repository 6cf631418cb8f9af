"""``scale compare``: read the sets, call :func:`scaling_cli.fitting.compare.compare.compare`, render or print JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import FormatOption, JsonOption, PlotOption, check_format, choices, complete_files, flops_value, whole
from ..output import emit_json, say_plotted

EVALUATION_COLUMNS = ("eval", "evaluation", "eval_set", "validation_set", "loss_name")
"""Columns that name the evaluation a loss was measured on: sets that differ there are refused."""
TOKENIZER_COLUMNS = ("tokenizer", "vocab", "vocabulary")


def compare(
    runs: Annotated[
        list[str],
        typer.Argument(
            help="Runs files (.csv or .jsonl): the first is the baseline; or one file with --by.",
            metavar="RUNS...",
            autocompletion=complete_files,
        ),
    ],
    columns: Annotated[
        str | None, typer.Option("--columns", help="Map fields to your columns (applies to every file): loss=loss_c4_val.", metavar="MAP")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only rows with COLUMN=VALUE (repeatable; V1,V2 for either).", metavar="COLUMN=VALUE"),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Split one file into sets by this column's values (the first value seen is the baseline).", metavar="COLUMN"
        ),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="A name for each set, in order (repeatable; default: file names or --by values).", metavar="NAME"),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", help="parametric (Approach 3: a loss frontier per set).", autocompletion=choices("parametric"))
    ] = "parametric",
    loss: Annotated[
        str,
        typer.Option(
            "--loss", help="Objective: huber (log space, delta 1e-3) or lsq (loss space).", autocompletion=choices("huber", "lsq")
        ),
    ] = "huber",
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap", parser=whole(0), help="Bootstrap resamples of each set, paired for the intervals (0: none).", metavar="K"
        ),
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", parser=whole(0), help="Random seed of the bootstrap.", metavar="SEED")] = 0,
    at: Annotated[
        float | None,
        typer.Option("--at", parser=flops_value, help="Also the multiplier at this compute (the verdict's reference).", metavar="FLOPS"),
    ] = None,
    plot: PlotOption = None,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """Is an idea worth scaling? The compute multiplier of each set over the first, its trend, a verdict.

    The source's §3C: judge an idea by whether its gain survives as compute grows."""
    check_format(format, json)
    from ...core.errors import ScaleError
    from ...fitting.compare.compare import compare as compare_sets
    from ...fitting.runs.records import read_records
    from ...fitting.runs.runs import parse_columns, runs_from_records
    from ..output import check_plot
    from ..output import console as make_console

    check_plot(plot)
    if method != "parametric":
        raise typer.BadParameter(
            "compare fits a loss frontier per set: parametric (isoflop and envelope give allocations)", param_hint="--method"
        )
    if loss not in ("huber", "lsq"):
        raise typer.BadParameter(f"expected huber or lsq, got {loss!r}", param_hint="--loss")
    mapping = parse_columns(columns)
    if by is not None:
        if len(runs) != 1:
            raise typer.BadParameter("--by splits one file: give exactly one", param_hint="--by")
        records, source, _ = read_records(runs[0], where=where)
        values = list(dict.fromkeys(str(r.get(by)) for _, _, r in records if by in r))
        if not values:
            raise ScaleError(f"{source}: --by names {by!r}, not a column")
        if len(values) < 2:
            raise ScaleError(f"{source}: column {by!r} holds one value ({values[0]!r}): nothing to compare")
        # Split once read: standard input (`-`) can be read only once.
        split = [([r for r in records if str(r[2].get(by)) == value], f"{source} ({by}={value})", value) for value in values]
    else:
        if len(runs) < 2:
            raise typer.BadParameter("give at least two runs files (or one with --by)", param_hint="RUNS")
        split = []
        for path in runs:
            records, source, _ = read_records(path, where=where)
            split.append((records, source, path))
    sources = split
    names = list(label or [])
    if names and len(names) != len(sources):
        raise typer.BadParameter(f"{len(names)} labels for {len(sources)} sets", param_hint="--label")
    sets = []
    evaluations: dict[str, dict[str, set[str]]] = {}
    tokenizers: dict[str, dict[str, set[str]]] = {}
    for number, (records, source, default) in enumerate(sources):
        name = names[number] if names else default
        sets.append((name, runs_from_records(records, source, mapping)))
        for column in EVALUATION_COLUMNS + TOKENIZER_COLUMNS:
            seen = {str(r.get(column)) for _, _, r in records if column in r}
            if seen:
                (evaluations if column in EVALUATION_COLUMNS else tokenizers).setdefault(column, {})[name] = seen
    for column, by_set in evaluations.items():
        if len({frozenset(v) for v in by_set.values()}) > 1 or any(len(v) > 1 for v in by_set.values()):
            shown = "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in by_set.items())
            raise ScaleError(f"the sets' losses come from different evaluations ({column}: {shown}): a multiplier needs one evaluation set")
    result = compare_sets(sets, loss=loss, bootstrap=bootstrap, seed=seed, at=at)
    for column, by_set in tokenizers.items():
        if len({frozenset(v) for v in by_set.values()}) > 1:
            result.warnings.append(
                f"the sets use different tokenizers ({column}): a multiplier in nats per token is not meaningful "
                "across them (compare bits per byte)"
            )
    if plot is not None:
        from ...plots.compare import plot_compare

        say_plotted(plot_compare(result, sets, plot), plot)
    if json:
        emit_json(result)
    else:
        from ..render.compare import render_compare

        render_compare(make_console(), result)
