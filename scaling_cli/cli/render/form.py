"""Rich rendering of ``scale fit --form NAME``: the lmfit-style report for any law form."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...core.units import format_value
from ...fitting.forms.form_fit import FormFitResult
from .fit import _estimate_row, _estimate_table
from .tables import data_table, print_warnings

OBJECTIVES = {"huber": "Huber (delta 1e-3) on ln", "lsq": "least squares on", "log-lsq": "least squares on log10 of"}


def _error(result: FormFitResult, value: float) -> str:
    return f"{value:+.2%}" if result.error_kind == "relative" else f"{value:+.4g}"


def render_form_fit(console: Console, result: FormFitResult) -> None:
    console.print(Text(f"Form {result.form}: {result.equation}", style="bold"))
    console.print(Text(result.citation, style="dim"))
    facts = [f"{result.n_runs} runs from {result.source}"]
    if result.n_holdout:
        facts.append(f"{result.n_holdout} largest by {result.scale} held out")
    facts.append(f"objective: {OBJECTIVES[result.objective]} {result.target}")
    facts.append(f"RMSE of residuals ({result.residual_space}) {result.rmse:.4g}")
    facts.append(f"bootstrap: {result.bootstrap} resamples of runs (seed {result.seed})" if result.bootstrap else "no bootstrap")
    console.print("; ".join(facts) + ".")

    table = _estimate_table("Constants")
    for name, estimate in result.parameters.items():
        _estimate_row(table, name, estimate)
    console.print(table)
    if result.answers:
        table = _estimate_table("What the law answers")
        for name, estimate in result.answers.items():
            _estimate_row(table, name.replace("_", " "), estimate)
        console.print(table)
    if result.predictions:
        table = _estimate_table("Predictions", "prediction")
        for prediction in result.predictions:
            label = ", ".join(f"{k}={v:.4g}" for k, v in prediction.inputs.items())
            _estimate_row(table, label, prediction.value)
        console.print(table)
    if result.backtests:
        table = data_table(f"Backtests: fit on the smaller {result.scale}, predict the larger")
        for header in ("Fitted up to", "Runs predicted", "Furthest", "Median |error|"):
            table.add_column(header, justify="right")
        for backtest in result.backtests:
            median = f"{backtest.median_error:.2%}" if result.error_kind == "relative" else f"{backtest.median_error:.4g}"
            table.add_row(format_value(backtest.fitted_up_to, "sci"), str(backtest.runs), f"{backtest.extrapolation:.3g}x", median)
        console.print(table)
    if result.holdout is not None:
        table = data_table("Held-out runs")
        names = list(result.holdout.runs[0].inputs) if result.holdout.runs else []
        for header in names + ["Observed", "Predicted", "95 % prediction", "Error"]:
            table.add_column(header, justify="right")
        for run in result.holdout.runs:
            ci = "-" if run.ci95 is None else f"[{run.ci95[0]:.4g}, {run.ci95[1]:.4g}]"
            table.add_row(
                *[f"{run.inputs[n]:.4g}" for n in names], f"{run.observed:.4g}", f"{run.predicted:.4g}", ci, _error(result, run.error)
            )
        console.print(table)
        console.print(Text(f"Held-out check: {result.holdout.verdict}.", style="bold green" if result.holdout.passed else "bold yellow"))
    print_warnings(console, [w for p in result.predictions for w in p.warnings] + result.warnings, result.notes)
