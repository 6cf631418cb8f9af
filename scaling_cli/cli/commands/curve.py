"""``scale curve``: parse, call :func:`scaling_cli.fitting.curves.curve.curve` (and ``track``), render."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import FormatOption, JsonOption, PlotOption, check_format, complete_files
from ..output import emit_json, say_plotted


def curve(
    curves: Annotated[
        str,
        typer.Argument(
            help="Curves file: .csv or .jsonl with run, step, lr, loss (a row without a loss: the schedule ahead); - for stdin.",
            metavar="CURVES",
            autocompletion=complete_files,
        ),
    ],
    schedule: Annotated[
        list[str] | None,
        typer.Option(
            "--schedule",
            help="A run not yet started: NAME=SHAPE:total=,warmup=,peak=,final=,decay_start= (shapes: constant, cosine, "
            "linear, wsd, wsd-linear, step). Repeatable: compare schedules before launching.",
            metavar="NAME=SCHEDULE",
        ),
    ] = None,
    track_run: Annotated[
        str | None,
        typer.Option(
            "--track",
            help="Check this run's latest points against the band its earlier part predicts; exit 1 if it left it.",
            metavar="RUN",
        ),
    ] = None,
    curve_out: Annotated[
        str | None, typer.Option("--curve-out", help="Write each run's predicted curve and 95 % band as CSV.", metavar="FILE")
    ] = None,
    columns: Annotated[
        str | None, typer.Option("--columns", help="Map fields to your columns: run=name,step=_step,lr=lr,loss=train/loss.", metavar="MAP")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where", help="Only rows with COLUMN=VALUE (repeatable; one model's runs: the law is per model).", metavar="COLUMN=VALUE"
        ),
    ] = None,
    plot: PlotOption = None,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """Fit the multi-power loss-curve law (Luo et al. 2025) on one model's runs; predict where each run ends.

    Every observed point of every run is fitted; a run whose schedule goes on past its last loss
    gets its final loss with 80 % and 95 % intervals from backtests on the curves themselves."""
    check_format(format, json)
    from ...fitting.curves.curve import curve as fit_file
    from ...fitting.curves.curve import curve_rows, track
    from ...fitting.runs.runs import parse_columns
    from ..output import check_plot
    from ..output import console as make_console

    check_plot(plot)
    mapping = parse_columns(columns, ("run", "step", "lr", "loss"))
    result, runs = fit_file(curves, mapping, where, schedule)
    tracking = track(runs, track_run) if track_run else None
    if curve_out:
        from ...core.files import write_atomically

        lines = ["run,step,loss,low95,high95"] + [
            f"{run},{step},{value!r},{'' if low is None else repr(low)},{'' if high is None else repr(high)}"
            for run, step, value, low, high in curve_rows(result.fit, runs)
        ]
        write_atomically(curve_out, "\n".join(lines) + "\n", "--curve-out")
    if plot is not None:
        from ...plots.curves import plot_curves

        say_plotted(plot_curves(result.fit, runs, plot), plot)
    if json:
        emit_json({"source": result.source, "planned": result.planned, **result.fit.model_dump(), "tracking": tracking})
    else:
        _render(make_console(), result, tracking)
    if tracking is not None and tracking.left_band:
        raise typer.Exit(1)


def _render(console, result, tracking) -> None:
    from rich.table import Table

    fit = result.fit
    console.print(f"[bold]Multi-power law[/bold] (Luo et al. 2025) on {fit.n_points} points of {fit.n_runs} runs ({result.source})")
    constants = Table(box=None, show_header=False)
    for name, value in fit.constants.items():
        constants.add_row(name, f"{value:.4g}")
    console.print(constants)
    tau = "none (too few backtests)" if fit.tau is None else f"{fit.tau:.3%} per unit of ln(area ahead)"
    unseen = "none (fewer than 3 runs)" if fit.unseen is None else f"{fit.unseen:.3%}"
    console.print(
        f"Scatter {fit.noise:.3%} per point; growth of the error ahead {tau} ({fit.cut_evidence} cuts); a run never seen {unseen}."
    )
    if fit.predictions:
        table = Table(title="Where each run ends")
        for header in ("run", "step", "observed until", "loss", "80 %", "95 %"):
            if header == "run":
                table.add_column(header, overflow="fold")
            else:
                table.add_column(header, justify="right", no_wrap=True)
        for p in fit.predictions:
            band = [f"{lo:.4f}-{hi:.4f}" if iv else "-" for iv in (p.loss.pi80, p.loss.pi95) for lo, hi in [iv or (0.0, 0.0)]]
            table.add_row(p.run, f"{p.step:,}", "-" if p.observed_until is None else f"{p.observed_until:,}", f"{p.loss.value:.4f}", *band)
        console.print(table)
    else:
        console.print(
            "Every run's losses reach the end of its schedule: nothing to predict (give the planned steps as rows without a loss, or --schedule)."
        )
    for warning in fit.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if tracking is not None:
        style = "red" if tracking.left_band else "green"
        console.print(f"[{style}]{tracking.run}: {tracking.evidence}[/{style}] (fitted up to step {tracking.fitted_until:,})")
