"""``scale fit``: parse, read the runs, call :func:`scaling_cli.fitting.loss_law`, render or print JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import (
    FormatOption,
    JsonOption,
    PlotOption,
    check_format,
    choices,
    complete_files,
    complete_forms,
    count,
    flops_value,
    non_negative,
    positive,
    whole,
)
from ..output import emit_json, say_plotted
from .fit_forms import _fit_form, _fit_lr_batch, _fit_task, _fixed, _points


def fit(
    runs: Annotated[
        str,
        typer.Argument(
            help="Runs file: .csv or .jsonl, one run per row (params, tokens, loss[, flops, steps]); - for stdin.",
            metavar="RUNS",
            autocompletion=complete_files,
        ),
    ],
    columns: Annotated[
        str | None,
        typer.Option("--columns", help="Map fields to your columns: params=model_size,flops=compute,loss=val_loss.", metavar="MAP"),
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Only rows with COLUMN=VALUE (repeatable): one training set of a mixed file.", metavar="COLUMN=VALUE"),
    ] = None,
    exclude: Annotated[str | None, typer.Option("--exclude", help="Leave out these rows (1 = first run): 1-5,9.", metavar="ROWS")] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="parametric (Approach 3), isoflop (Approach 2) or envelope (Approach 1).",
            autocompletion=choices("parametric", "isoflop", "envelope"),
        ),
    ] = "parametric",
    form: Annotated[
        str | None,
        typer.Option(
            "--form",
            help="Fit this law form (see `scale laws`, one with `scale laws --form NAME`) on its own columns: routed, data-constrained, finetune, context, reward-bon, ...",
            metavar="FORM",
            autocompletion=complete_forms,
        ),
    ] = None,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric", help="Fit a benchmark score: this column (accuracy, or error with --form gadre) against --via.", metavar="COLUMN"
        ),
    ] = None,
    via: Annotated[
        str | None,
        typer.Option(
            "--via", help="With --metric: the loss column it scales with (task bits per byte; C4 loss for gadre).", metavar="COLUMN"
        ),
    ] = None,
    chance: Annotated[
        float | None,
        typer.Option(
            "--chance",
            parser=non_negative,
            help="With --metric: the metric's random baseline (no fit when every row is at chance).",
            metavar="P",
        ),
    ] = None,
    average_last: Annotated[
        int,
        typer.Option(
            "--average-last",
            parser=whole(1),
            help="With --metric: step 1 fits each run's mean over its last K rows (checkpoint files; the ladder uses 5).",
            metavar="K",
        ),
    ] = 1,
    run_column: Annotated[
        str | None,
        typer.Option(
            "--run-column",
            help="With --metric: the column naming each run (default: 'run' if present, else one run per row).",
            metavar="COLUMN",
        ),
    ] = None,
    fix: Annotated[
        str | None,
        typer.Option("--fix", help="With --form: hold constants at values, NAME=VALUE,... (a base law from elsewhere).", metavar="MAP"),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(
            "--loss",
            help="Objective: huber (log space, delta 1e-3, the default), lsq (loss space), or log-lsq (log10, for --form; a form's default is its paper's).",
            autocompletion=choices("huber", "lsq", "log-lsq"),
        ),
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", parser=whole(0), help="Bootstrap resamples for intervals (0: none).", metavar="K")
    ] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", parser=whole(0), help="Random seed of the bootstrap and of every interval.", metavar="SEED")
    ] = 0,
    resample: Annotated[
        str,
        typer.Option(
            "--resample",
            help="What the bootstrap draws: runs, whole model sizes (size) or whole budgets (budget).",
            autocompletion=choices("runs", "size", "budget"),
        ),
    ] = "runs",
    holdout: Annotated[
        int, typer.Option("--holdout", parser=whole(0), help="Hold out the K largest-compute runs and test the fit on them.", metavar="K")
    ] = 0,
    predict: Annotated[
        list[str] | None,
        typer.Option("--predict", help="Predict the loss of PARAMS,TOKENS (7B,140B), with intervals; repeatable.", metavar="N,D"),
    ] = None,
    predict_flops: Annotated[
        list[str] | None,
        typer.Option("--predict-flops", help="Predict the compute-optimal loss at FLOPS, with intervals; repeatable.", metavar="FLOPS"),
    ] = None,
    at: Annotated[
        float | None,
        typer.Option("--at", parser=flops_value, help="Also report the optimal allocation (and loss) at this many FLOPs.", metavar="FLOPS"),
    ] = None,
    buckets: Annotated[
        int | None,
        typer.Option(
            "--buckets", parser=whole(2), help="isoflop/envelope: bin compute into K ranges instead of detecting budgets.", metavar="K"
        ),
    ] = None,
    vertex: Annotated[
        str,
        typer.Option(
            "--vertex",
            help="isoflop: each budget's minimum from a local parabola around the best run (local) or from all its runs (parabola, the paper's).",
            autocompletion=choices("local", "parabola"),
        ),
    ] = "local",
    envelope_floor: Annotated[
        float | None,
        typer.Option(
            "--envelope-floor",
            parser=positive,
            help="Pin E of the compute-envelope law L(C) = E + A C^-gamma (default: fitted).",
            metavar="LOSS",
        ),
    ] = None,
    exclude_undertrained: Annotated[
        bool,
        typer.Option(
            "--exclude-undertrained",
            help="Leave out the runs flagged as outside the law's regime (too few steps, far too few tokens/param).",
            metavar="",
        ),
    ] = False,
    save: Annotated[str | None, typer.Option("--save", help="Write the fitted law as a law .toml for --law.", metavar="FILE")] = None,
    plot: PlotOption = None,
    format: FormatOption = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar on stderr.", metavar="")] = False,
    seq: Annotated[
        int | None,
        typer.Option("--seq", parser=count, help="--form lr-batch: tokens per sequence of a batch column in sequences.", metavar="T"),
    ] = None,
    against: Annotated[
        list[str] | None,
        typer.Option(
            "--against", help="--form lr-batch: the loss a preset's suggestions cost on each cell (step-law, deepseek).", metavar="LAW"
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Fit a scaling law to your own runs, and check how far it extrapolates.

    The scaling check: backtests (fit on the smaller budgets, predict the larger), intervals that
    grow with the extrapolation as the backtests measured it, and a joint held-out test."""
    from ...fitting.loss_law.core import fit as fit_runs
    from ...fitting.runs.runs import parse_columns, parse_rows, read_runs
    from ..output import check_plot
    from ..output import console as make_console
    from ..progress import progress_reporter

    check_plot(plot)
    check_format(format, json)
    if format == "markdown" and (metric is not None or (form is not None and form != "chinchilla")):
        raise typer.BadParameter(
            "markdown output covers the Chinchilla fit; --form and --metric fits print tables or --json", param_hint="--format"
        )
    if (metric is None) != (via is None):
        raise typer.BadParameter("give --metric and --via together: the score and the loss it scales with", param_hint="--metric")
    if metric is not None:
        return _fit_task(
            runs, metric, via, form or "ladder", columns, exclude, bootstrap, seed, predict, chance, average_last, run_column, json, where
        )
    if form == "lr-batch":
        return _fit_lr_batch(runs, columns, exclude, where, seq, predict, against, save, seed, json)
    if form is not None and form != "chinchilla":
        given = {
            "--method": method != "parametric",
            "--resample": resample != "runs",
            "--predict-flops": bool(predict_flops),
            "--at": at is not None,
            "--buckets": buckets is not None,
            "--vertex": vertex != "local",
            "--envelope-floor": envelope_floor is not None,
            "--exclude-undertrained": exclude_undertrained,
            "--plot": plot is not None,
        }
        return _fit_form(
            runs,
            form,
            columns,
            exclude,
            loss,
            bootstrap,
            seed,
            holdout,
            predict,
            save,
            quiet,
            json,
            [name for name, used in given.items() if used],
            _fixed(fix),
            where,
        )
    if fix is not None:
        raise typer.BadParameter("--fix holds constants of a --form fit", param_hint="--fix")
    if loss == "log-lsq":
        raise typer.BadParameter("log-lsq is an objective of --form fits; the Chinchilla fit takes huber or lsq", param_hint="--loss")
    loss = loss or "huber"
    if save is not None and not save.endswith(".toml"):
        raise typer.BadParameter(f"expected a path ending in .toml (then --law takes it back), got {save!r}", param_hint="--save")
    mapping, excluded = parse_columns(columns), None if exclude is None else parse_rows(exclude)
    points = _points(predict)
    try:
        budgets = [flops_value(text) for text in predict_flops or []]
    except typer.BadParameter as error:
        raise typer.BadParameter(error.message, param_hint="--predict-flops") from None
    data = read_runs(runs, mapping, exclude=excluded, where=where)
    with progress_reporter(enabled=not (quiet or json)) as progress:
        result = fit_runs(
            data,
            method=method,
            loss=loss,
            bootstrap=bootstrap,
            seed=seed,
            holdout=holdout,
            at=at,
            buckets=buckets,
            predict=points,
            predict_flops=budgets,
            resample=resample,
            vertex=vertex,
            progress=progress,
            envelope_floor=envelope_floor,
            exclude_undertrained=exclude_undertrained,
        )
    if save is not None:
        from ...fitting.loss_law.save import save_law

        saved = save_law(result, save)
        result.notes.append(f"law written to {save} (use it as --law {save}; name {saved.name!r})")
    if plot is not None:
        from ...plots.figures import plot_fit

        say_plotted(plot_fit(result, data, plot), plot)
    if json:
        emit_json(result)
    elif format == "markdown":
        from ..render.markdown import fit_markdown

        typer.echo(fit_markdown(result), nl=False)
    else:
        from ..render.fit import render_fit

        render_fit(make_console(), result)
