"""Rich rendering of ``scale fit`` (an lmfit-style report) and ``scale sweep``."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ...core.units import format_count, format_percent, format_sci, format_value
from ...fitting.bootstrap import Estimate, PredictedValue
from ...fitting.loss_law.result import FitResult
from ...fitting.loss_law.summary import LOSS_DISAGREEMENT
from ...hardware.shape import SHAPE_TOLERANCE
from ...planning.sweeps import Sweep
from .tables import data_table, narrowing

METHOD_NAMES = {
    "parametric": "Parametric fit, L = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, Approach 3)",
    "isoflop": "IsoFLOP fit: parabola vertices per budget (Hoffmann et al. 2022, Approach 2)",
    "envelope": "Envelope fit: the best run per compute level (Hoffmann et al. 2022, Approach 1)",
}
LOSS_NAMES = {"huber": "Huber (delta 1e-3) on log loss", "lsq": "least squares on loss"}
RESAMPLED = {
    "runs": "runs",
    "size": "whole model sizes",
    "budget": "whole compute budgets",
    "runs within budgets": "runs within each budget",
}


def _interval(estimate: Estimate | PredictedValue | None, key: str, kind: str) -> str:
    span = None if estimate is None else getattr(estimate, key)
    return "-" if span is None else f"[{format_value(span[0], kind)}, {format_value(span[1], kind)}]"


def _estimate_row(table: Table, name: str, estimate: Estimate | PredictedValue | None, kind: str = "plain") -> None:
    table.add_row(
        name,
        format_value(None if estimate is None else estimate.value, kind),
        _interval(estimate, "ci80", kind),
        _interval(estimate, "ci95", kind),
    )


def _estimate_table(title: str, kind: str = "confidence") -> Table:
    """A table of estimates: ``kind`` names their intervals, confidence (fitted quantities) or
    prediction (one run's value)."""
    table = data_table(title)
    table.add_column("")
    for header in ("Value", f"80 % {kind}", f"95 % {kind}"):
        table.add_column(header, justify="right")
    return table


def render_fit(console: Console, result: FitResult) -> None:
    console.print(Text(METHOD_NAMES[result.method], style="bold"))
    facts = [f"{result.n_runs} runs from {result.source}"]
    if result.n_holdout:
        facts.append(f"{result.n_holdout} largest held out")
    if result.loss:
        facts.append(f"objective: {LOSS_NAMES[result.loss]} = {result.objective:.6g}")
        facts.append(f"{result.n_starts:,} starts screened, {result.n_refined} refined")
    facts.append(f"RMSE of log {'loss' if result.method == 'parametric' else 'N_opt'} {result.rmse_log:.4f}")
    facts.append(
        f"bootstrap: {result.bootstrap} resamples of {RESAMPLED[result.resample]} (seed {result.seed})"
        if result.bootstrap
        else "no bootstrap"
    )
    console.print("; ".join(facts) + ".")

    table = _estimate_table("Coefficients" if result.coefficients else "Allocation laws (C in FLOPs)")
    if result.coefficients:
        for name, estimate in result.coefficients.items():
            _estimate_row(table, name, estimate)
    else:
        _estimate_row(table, "k (N_opt = k C^a)", result.k_params)
        _estimate_row(table, "k' (D_opt = k' C^b)", result.k_tokens)
    _estimate_row(table, "a (N_opt ∝ C^a)", result.a)
    _estimate_row(table, "b (D_opt ∝ C^b)", result.b)
    console.print(table)

    allocation = data_table("Compute-optimal allocation", "Under each budget: its 95 % bootstrap intervals." if result.bootstrap else None)
    for header in ("FLOPs", "Params", "Tokens", "Tokens/param", "Loss"):
        allocation.add_column(header, justify="right")
    budgets = list(result.allocation) + ([result.at] if result.at is not None else [])
    for at in sorted(budgets, key=lambda x: x.flops):
        cells = (at.params, at.tokens, at.tokens_per_param, at.loss)
        kinds = ("count", "count", "ratio", "loss")
        label = format_sci(at.flops) + (" (--at)" if result.at is not None and at.flops == result.at.flops else "")
        allocation.add_row(label, *(format_value(None if c is None else c.value, k) for c, k in zip(cells, kinds)))
        if result.bootstrap:
            allocation.add_row("", *(_span(c, k) for c, k in zip(cells, kinds)), style="dim")
    console.print(allocation)

    if result.buckets:
        buckets = data_table("Optimum of each compute bucket")
        for header in ("FLOPs", "Runs", "Params", "Tokens", "Tokens/param", "Loss"):
            buckets.add_column(header, justify="right")
        for b in result.buckets:
            buckets.add_row(
                format_sci(b.flops),
                str(b.n_runs),
                format_count(b.params),
                format_count(b.tokens),
                f"{b.tokens / b.params:.1f}",
                f"{b.loss:.4f}",
            )
        console.print(buckets)

    if result.largest_residuals:
        residuals = data_table("Largest residuals")
        for header in ("Row", "Line", "Params", "Tokens", "Loss", "Predicted", "log residual"):
            residuals.add_column(header, justify="right")
        for r in result.largest_residuals:
            residuals.add_row(
                str(r.row),
                str(r.line or "-"),
                format_count(r.params),
                format_count(r.tokens),
                f"{r.loss:.4f}",
                f"{r.predicted:.4f}",
                f"{r.residual_log:+.4f}",
            )
        console.print(residuals)

    comparison = result.loss_comparison
    if comparison is not None and comparison.relative_difference > LOSS_DISAGREEMENT:
        console.print(
            Text(
                f"The objective moves the answer: at {format_sci(comparison.flops)} FLOPs the Huber fit gives "
                f"{comparison.huber:.1f} tokens/param, least squares {comparison.lsq:.1f} "
                f"({comparison.relative_difference:.0%} apart).",
                style="yellow",
            )
        )

    _render_predictions(console, result)
    _render_backtests(console, result)
    if result.holdout is not None:
        _render_holdout(console, result)
    phase = f" ({result.regime.phase})" if result.regime.phase not in ("not assessed", result.regime.verdict) else ""
    console.print(Text(f"Regime: {result.regime.verdict}{phase}: {result.regime.evidence}.", style="bold"))
    for warning in result.warnings:
        console.print(Text(f"Warning: {warning}.", style="bold yellow"))
    for note in result.notes:
        console.print(Text(f"Note: {note}.", style="dim"))


def _render_predictions(console: Console, result: FitResult) -> None:
    if not result.predictions:
        return
    table = data_table(
        "Predictions",
        "x fit: compute over the largest fitted compute; opt: the fit's compute-optimal model. Parts: standard "
        "deviations (log loss) of the interval's sources: the fit's parameters (bootstrap), run-to-run scatter (out "
        "of sample), the extrapolation error the backtests measured.",
    )
    for header in ("Params", "Tokens", "FLOPs", "x fit", "Loss", "95 % prediction", "Parts (params / scatter / extrap.)"):
        table.add_column(header, justify="right")
    narrowing(table, "Parts (params / scatter / extrap.)", "Tokens", "Params")
    for p in result.predictions:
        parts = (
            "-"
            if p.interval_parts is None
            else (f"{p.interval_parts.parameters:.1%} / {p.interval_parts.scatter:.1%} / {p.interval_parts.extrapolation:.1%}")
        )
        label = format_sci(p.flops) + (" opt" if p.compute_optimal else "")
        table.add_row(
            format_count(p.params),
            format_count(p.tokens),
            label,
            f"{p.extrapolation:.1f}x",
            format_value(p.loss.value, "loss"),
            _interval(p.loss, "ci95", "loss"),
            parts,
        )
        if p.envelope is not None:
            table.add_row(
                "", "", "envelope L(C)", "", format_value(p.envelope.value, "loss"), _interval(p.envelope, "ci95", "loss"), "", style="dim"
            )
    console.print(table)


def _render_backtests(console: Console, result: FitResult) -> None:
    if not result.backtests:
        if result.check is not None:
            console.print(Text(f"Backtests: {result.check.evidence}.", style="yellow"))
        return
    table = data_table("Backtests: fit on the smaller budgets, predict every larger run")
    for header in ("Fitted up to", "Runs fitted", "Predicted", "Median x fit", "Max x fit", "Median error"):
        table.add_column(header, justify="right")
    for b in result.backtests:
        table.add_row(
            format_sci(b.fitted_up_to_flops),
            str(b.n_fitted),
            str(b.runs),
            f"{b.extrapolation:.1f}x",
            f"{b.max_extrapolation:.1f}x",
            format_percent(b.median_error, 2),
        )
    console.print(table)
    check = result.check
    if check is None:
        return
    console.print(
        Text(
            f"Scaling check: {check.evidence}; run-to-run scatter {check.scatter:.2%} ({check.scatter_source}).",
            style="bold red" if check.drift else "bold",
        )
    )


def _render_holdout(console: Console, result: FitResult) -> None:
    checked = result.holdout
    if checked is None:
        return
    holdout = narrowing(data_table("Held-out check: the largest runs, held out and predicted"), "Tokens", "FLOPs", "Params", "Predicted")
    for header in ("Params", "Tokens", "FLOPs", "x fit", "Loss", "Predicted", "95 % prediction", "Error", "Inside"):
        holdout.add_column(header, justify="right")
    for h in checked.runs:
        span = "-" if h.ci95 is None else f"[{h.ci95[0]:.4f}, {h.ci95[1]:.4f}]"
        inside = "-" if h.inside is None else ("yes" if h.inside else "NO")
        holdout.add_row(
            format_count(h.params),
            format_count(h.tokens),
            format_sci(h.flops),
            f"{h.extrapolation:.1f}x",
            f"{h.loss:.4f}",
            f"{h.predicted:.4f}",
            span,
            format_percent(h.error, 2),
            inside,
        )
    console.print(holdout)
    passed = checked.passed
    style = "green" if passed else "red" if passed is False else "yellow"
    console.print(Text(f"Verdict: {checked.verdict}.", style=f"bold {style}"))


def _span(estimate: Estimate | None, kind: str) -> str:
    if estimate is None or estimate.ci95 is None:
        return "-"
    return f"{format_value(estimate.ci95[0], kind)}-{format_value(estimate.ci95[1], kind)}"


def render_sweep(console: Console, result: Sweep) -> None:
    table = data_table(
        f"IsoFLOP sweep around the {result.law} optimum",
        f"GPU-h: GPU-hours per run on {result.gpu} at {result.mfu:.0%} MFU. L x d: layers x d_model of a "
        f"Llama-style shape (SwiGLU, RoPE, untied, "
        f"vocab {result.runs[0].vocab:,}). *: no shape within {SHAPE_TOLERANCE:.0%} at a published aspect ratio.",
    )
    for header in ("FLOPs", "GPU-h", "Size", "Params", "L x d", "Heads", "Tokens", "D/N"):
        table.add_column(header, justify="right", no_wrap=True)
    previous = None
    for run in result.runs:
        first = run.flops != previous
        previous = run.flops
        table.add_row(
            format_sci(run.flops) if first else "",
            format_count(run.gpu_hours) if first else "",
            f"{run.size_ratio:.2g}x" + ("" if run.shape_fits else "*"),
            format_count(run.params),
            f"{run.layers} x {run.d_model}",
            str(run.heads),
            format_count(run.tokens),
            f"{run.tokens_per_param:.1f}",
        )
    console.print(table)
    console.print(
        f"{len(result.runs)} runs; total {format_sci(result.total_flops)} FLOPs, {format_count(result.total_gpu_hours)} GPU-hours."
    )
    for note in result.notes:
        console.print(Text(f"Note: {note}.", style="yellow"))
    for warning in result.warnings:
        console.print(Text(f"Warning: {warning}.", style="bold yellow"))
