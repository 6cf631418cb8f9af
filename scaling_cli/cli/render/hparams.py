"""``scale fit --form lr-batch``: the per-cell optima, the laws, the checks."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...fitting.bootstrap import Estimate
from ...fitting.hparams.result import LrBatchFit, PowerLawFit
from .tables import data_table, summary_table


def _law(fit: PowerLawFit, unit: str) -> str:
    terms = " ".join(f"{name}^{e.value:+.3f}" for name, e in fit.exponents.items())
    ranges = "; ".join(
        f"{name} exponent 95 % [{e.ci95[0]:+.3f}, {e.ci95[1]:+.3f}]" for name, e in fit.exponents.items() if e.ci95 is not None
    )
    return f"{fit.coefficient.value:.4g} {terms}{unit} (scatter across cells {fit.scatter:.3g} in log; {ranges or 'no interval'})"


def _with_interval(estimate: Estimate) -> str:
    """``0.000393 [0.99-1.02x]``: the value and its 95 % interval as factors of it."""
    value = estimate.value or 0.0
    if estimate.ci95 is None or value <= 0:
        return f"{value:.3g}"
    return f"{value:.3g} [{estimate.ci95[0] / value:.2f}-{estimate.ci95[1] / value:.2f}x]"


def render_lr_batch(console: Console, result: LrBatchFit) -> None:
    summary = summary_table(f"Learning rate and batch size law: {result.n_cells} cells, {result.n_runs} runs of {result.source}")
    summary.add_row("Peak learning rate", _law(result.learning_rate, ""))
    summary.add_row("Batch size", _law(result.batch_size_tokens, " tokens"))
    if result.median_loco_cost is not None:
        nearest = result.median_loco_nearest_grid_cost
        summary.add_row(
            "Leave one cell out",
            f"the law refitted without each cell costs it {result.median_loco_cost:.3%} of loss (median)"
            + ("" if nearest is None else f"; the cell's run nearest its suggestion {nearest:.3%}"),
        )
    summary.add_row(
        "Sensitivity",
        f"2x off the optimum costs {result.median_cost_lr_2x:.2%} in learning rate, {result.median_cost_batch_2x:.2%} in batch (median over cells)",
    )
    console.print(summary)
    table = data_table("Per cell: the optimum of a smooth surface over (log lr, log batch), with its 95 % confidence interval as factors")
    for header in ("Params", "Tokens", "Runs", "Peak lr", "Batch tokens", "Best loss"):
        table.add_column(header, justify="right")
    for cell in result.cells:
        lr, batch = cell.lr, cell.batch_tokens
        table.add_row(
            f"{cell.params:.3g}",
            f"{cell.tokens:.3g}",
            f"{cell.used}/{cell.runs}",
            _with_interval(lr),
            _with_interval(batch),
            f"{cell.best_loss:.4f}",
        )
    console.print(table)
    for prediction in result.predictions:
        rate, tokens = prediction.lr, prediction.batch_tokens
        console.print(
            f"At params {prediction.params:.3g}, tokens {prediction.tokens:.3g}: peak lr {rate.value:.3g}"
            + ("" if rate.pi95 is None else f" (95 % prediction {rate.pi95[0]:.3g}-{rate.pi95[1]:.3g})")
            + f", batch {tokens.value:.3g} tokens"
            + ("" if tokens.pi95 is None else f" (95 % prediction {tokens.pi95[0]:.3g}-{tokens.pi95[1]:.3g})")
        )
    for measured in result.against:
        console.print(
            f"{measured.law}'s suggestions cost {measured.median_surface_cost:.2%} of loss on the cells' surfaces (median), "
            f"{measured.median_nearest_grid_cost:.2%} at the nearest grid point"
        )
    for warning in result.warnings:
        console.print(Text(f"Warning: {warning}.", style="bold yellow"))
    for note in result.notes:
        console.print(Text(f"Note: {note}.", style="dim"))
