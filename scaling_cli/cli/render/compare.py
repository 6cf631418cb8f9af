"""Rich rendering of ``scale compare``."""

from __future__ import annotations

from typing import cast

from rich.console import Console, JustifyMethod
from rich.text import Text

from ...core.units import format_sci
from .tables import data_table, print_warnings


def _times(value, ci=None) -> str:
    if value is None:
        return "never"
    shown = f"{value:.3g}x"
    return shown if ci is None else f"{shown} [{ci[0]:.3g}, {ci[1]:.3g}]"


def render_compare(console: Console, result) -> None:
    table = data_table("Sets (each fitted with L = E + A/N^alpha + B/D^beta, the same objective)")
    for header, justify in (
        ("Set", "left"),
        ("Runs", "right"),
        ("Compute", "left"),
        ("E", "right"),
        ("Frontier exponent", "right"),
        ("RMSE log", "right"),
    ):
        table.add_column(header, justify=cast(JustifyMethod, justify))
    for s in result.sets:
        gamma = s.frontier_exponent
        shown = f"{gamma.value:.3f}" + ("" if gamma.ci95 is None else f" [{gamma.ci95[0]:.3f}, {gamma.ci95[1]:.3f}]")
        table.add_row(
            s.label,
            str(s.n_runs),
            f"{format_sci(s.flops_range[0])}-{format_sci(s.flops_range[1])}",
            f"{s.coefficients['E'].value:.3f}",
            shown,
            f"{s.rmse_log:.4f}",
        )
    console.print(table)
    for comparison in result.comparisons:
        table = data_table(
            f"Compute multiplier of {comparison.label} over {comparison.baseline} (95 % interval; *: extrapolated)",
            "The compute the baseline needs to reach this set's compute-optimal loss, over this set's compute.",
        )
        for header in ("Compute", "Multiplier", "Loss (baseline frontier)", f"Loss ({comparison.label} frontier)"):
            table.add_column(header, justify="right")
        for m in comparison.multipliers + ([comparison.at] if comparison.at is not None else []):
            table.add_row(
                format_sci(m.flops) + ("*" if m.extrapolated else ""), _times(m.value, m.ci95), f"{m.loss_a:.4f}", f"{m.loss_b:.4f}"
            )
        console.print(table)
        trend = comparison.trend
        if trend.value is not None:
            console.print(
                f"Trend: {trend.value:+.3f} in log10 of the multiplier per decade of compute"
                + ("" if trend.ci95 is None else f" (95 % interval {trend.ci95[0]:+.3f} to {trend.ci95[1]:+.3f})")
                + f"; frontier exponent difference {comparison.exponent_difference.value:+.3f}"
                + (
                    ""
                    if comparison.exponent_difference.ci95 is None
                    else f" [{comparison.exponent_difference.ci95[0]:+.3f}, {comparison.exponent_difference.ci95[1]:+.3f}]"
                )
                + "."
            )
        raw = [p for p in comparison.raw if p.multiplier is not None]
        if raw:
            evidence = data_table(f"The raw evidence: {comparison.label}'s best runs against {comparison.baseline}'s observed frontier")
            for header in ("Compute", f"{comparison.label} best loss", "Baseline frontier there", "Multiplier"):
                evidence.add_column(header, justify="right")
            for p in raw:
                evidence.add_row(
                    format_sci(p.flops),
                    f"{p.best_loss_b:.4f}",
                    "-" if p.best_loss_a is None else f"{p.best_loss_a:.4f}",
                    _times(p.multiplier),
                )
            console.print(evidence)
        console.print(Text(f"Verdict: {comparison.verdict}.", style="bold"))
    print_warnings(console, result.warnings, result.notes)
