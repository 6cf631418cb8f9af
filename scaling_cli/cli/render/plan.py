"""Rich rendering of the planner's results, in human units (70.0B params, 5.76e23 FLOPs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from rich.console import Console, JustifyMethod
from rich.text import Text

from ...core.units import article, format_count, format_money, format_percent, format_sci, plural
from ...laws import Law
from ...planning.overtraining import Overtrain
from ...planning.result import Plan
from .tables import data_table, summary_table

if TYPE_CHECKING:  # the plan types its run and serving sections loosely (start-up): their real types
    from ...hardware.serving import ServingBound
    from ...planning.sections.run import RunPlan


def _loss(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _ratio(value: float) -> str:
    return f"{value:.3g}" if value < 1 else f"{value:,.1f}"


def _params_label(law: Law) -> str:
    return "Parameters" if law.params_counted == "total" else f"Parameters ({law.params_counted})"


def _notes(console: Console, notes: list[str], law: Law, warnings: Sequence[str] = ()) -> None:
    for note in notes:
        console.print(Text(f"Note: {note}", style="yellow"))
    for warning in warnings:
        loud = warning.startswith("NOT PLANNABLE")  # the allocation is not one to plan on: said in red
        console.print(Text(f"Warning: {warning}.", style="bold red" if loud else "bold yellow"))
    console.print(Text(f"Law: {law.title}. {law.citation}.", style="dim"))


def _render_moe(console: Console, moe) -> None:
    table = summary_table(f"As a mixture of {moe.experts} experts (top-{moe.top_k}, {moe.router} router)")
    table.add_row("Active parameters", f"{format_count(moe.active_params)}: what each token computes with (the plan's N)")
    table.add_row(
        "Total parameters",
        f"{format_count(moe.total_params)}: every expert, what memory holds "
        f"({moe.model_state_bytes / 1e9:,.0f} GB of weights, gradients and Adam state)",
    )
    if moe.effective_params is not None:
        table.add_row("Effective dense size", f"{format_count(moe.effective_params)} ({moe.effective_ratio:.2f}x): {moe.claim}")
    console.print(table)
    console.print(Text(f"Source: {moe.source}", style="dim"))


def render_plan(console: Console, plan: Plan, law: Law) -> None:
    summary = summary_table(f"Compute-optimal plan under {plan.law}")
    if plan.target_loss is not None:
        summary.add_row("Target loss", f"{plan.target_loss:g}: the least compute that reaches it")
    summary.add_row("Budget", f"{format_sci(plan.flops)} FLOPs")
    summary.add_row(_params_label(law), format_count(plan.params))
    summary.add_row("Tokens", format_count(plan.tokens))
    summary.add_row("Tokens per parameter", _ratio(plan.tokens_per_param))
    summary.add_row("Predicted loss", "none: this law has no loss form" if plan.loss is None else f"{plan.loss:.4f} nats/token")
    summary.add_row(
        "GPU-hours",
        f"{format_count(plan.gpu_hours)} on {plan.gpu} at {plan.mfu:.0%} MFU" + (" of its FP8 peak" if plan.precision == "fp8" else ""),
    )
    if plan.days is not None and plan.gpus is not None:
        oom = "" if plan.run is None or cast("RunPlan", plan.run).fits else " (but the model does NOT fit these GPUs: see Run)"
        summary.add_row("Wall-clock", f"{plan.days:,.1f} days on {plural(plan.gpus, 'GPU')}{oom}")
    if plan.cost is not None:
        summary.add_row("Cost", f"{format_money(plan.cost)} at ${plan.price_per_gpu_hour:g}/GPU-hour")
    console.print(summary)
    if plan.tasks:
        from .tasks import render_plan_tasks

        render_plan_tasks(console, plan.tasks)
    if plan.moe is not None:
        _render_moe(console, plan.moe)
    if plan.unique_tokens is not None:
        _render_data(console, plan)
    if plan.inference_optimal is not None:
        _render_inference(console, plan)
    if plan.run is not None:
        from .run import render_run

        render_run(console, plan)

    variants = data_table(
        "The same budget on other model sizes",
        "Compute overhead: extra compute this size needs to match the optimum's loss (de Vries 2023); "
        "unreachable: no number of tokens takes this size down to that loss.",
    )
    for header in ("Size", "Params", "Tokens", "Tokens/param", "Loss", "Penalty", "Compute overhead"):
        variants.add_column(header, justify="right")
    for v in plan.variants:
        if plan.loss is None:
            overhead = "-"
        elif v.compute_overhead is None:
            overhead = "unreachable"
        else:
            overhead = format_percent(v.compute_overhead)
        variants.add_row(
            f"{v.size_ratio:g}x",
            format_count(v.params),
            format_count(v.tokens),
            _ratio(v.tokens_per_param),
            _loss(v.loss),
            "-" if v.loss_penalty is None else f"{v.loss_penalty:+.4f}",
            overhead,
            style="bold" if v.size_ratio == 1 else None,
        )
    console.print(variants)
    _notes(console, plan.notes, law, plan.warnings)


def _render_data(console: Console, plan: Plan) -> None:
    data = summary_table("Limited unique data (Muennighoff et al. 2023)")
    data.add_row("Unique tokens", format_count(plan.unique_tokens))
    data.add_row("Epochs", f"{plan.epochs:.2f} ({plan.repetition_regime})")
    data.add_row(
        "Effective tokens", f"{format_count(plan.effective_tokens)} (what {format_count(plan.tokens)} tokens with repeats are worth)"
    )
    if plan.effective_params is not None and plan.effective_params < plan.params * (1 - 1e-9):
        data.add_row(
            "Effective parameters", f"{format_count(plan.effective_params)} (parameters beyond what the data supports are worth less)"
        )
    if plan.loss is not None and plan.loss_unlimited_data is not None:
        data.add_row(
            "Loss with unlimited data", f"{plan.loss_unlimited_data:.4f} (repeating costs {plan.loss - plan.loss_unlimited_data:+.4f})"
        )
    if plan.data_gap_tokens:
        gap = f"{format_count(plan.data_gap_tokens)} more unique tokens for the unlimited-data plan"
        data.add_row("Data gap", gap)
        if plan.synthetic_cost is not None:
            data.add_row(
                "Synthesise them",
                f"{format_money(plan.synthetic_cost)} at ${plan.synthetic_price_per_million_tokens:g} per million tokens",
            )
        if plan.loss is not None and plan.loss_unlimited_data is not None:
            data.add_row("Or repeat what exists", f"loss {plan.loss - plan.loss_unlimited_data:+.4f} (the plan above)")
    else:
        data.add_row("Data gap", "none: the unique data covers the unlimited-data plan")
    console.print(data)


def _render_inference(console: Console, plan: Plan) -> None:
    best = plan.inference_optimal
    assert best is not None and plan.inference_gpu_hours is not None  # rendered for a plan with an inference demand
    table = data_table(
        f"Serving {format_count(plan.inference_tokens)} inference tokens (Sardana et al. 2024)",
        "Both models reach the same loss. Inference compute: 2 N per token (the forward pass).",
    )
    for header in ("", "Compute-optimal", "Inference-optimal"):
        table.add_column(header, justify="right" if header else "left")

    def serving_mfu(mfu, bound) -> str:
        return f"{mfu:.1%}" if bound is None else f"<= {mfu:.1%} ({bound.bound}-bound)"

    rows = [
        ("Params", format_count(plan.params), format_count(best.params)),
        ("Tokens", format_count(plan.tokens), format_count(best.tokens)),
        ("Tokens/param", _ratio(plan.tokens_per_param), _ratio(best.tokens_per_param)),
        ("Training FLOPs", format_sci(plan.flops), format_sci(best.train_flops)),
        ("Inference FLOPs", format_sci(plan.inference_flops), format_sci(best.inference_flops)),
        ("Total FLOPs", format_sci(plan.total_flops), format_sci(best.total_flops)),
        ("Training GPU-hours", format_count(plan.gpu_hours), format_count(best.train_gpu_hours)),
        ("Serving MFU", serving_mfu(plan.inference_mfu, plan.serving), serving_mfu(best.inference_mfu, best.serving)),
        ("Serving GPU-hours", format_count(plan.inference_gpu_hours), format_count(best.inference_gpu_hours)),
    ]
    if plan.cost is not None and plan.inference_cost is not None and best.train_cost is not None and best.inference_cost is not None:
        rows += [
            ("Training cost", f"${plan.cost:,.0f}", f"${best.train_cost:,.0f}"),
            ("Serving cost", f"${plan.inference_cost:,.0f}", f"${best.inference_cost:,.0f}"),
            ("Total cost", f"${plan.cost + plan.inference_cost:,.0f}", f"${best.train_cost + best.inference_cost:,.0f}"),
        ]
    if plan.days is not None and best.train_days is not None and best.inference_days is not None:
        rows += [
            (f"Training days on {plan.gpus:,}", f"{plan.days:,.1f}", f"{best.train_days:,.1f}"),
            (f"Serving days on {plan.gpus:,}", f"{plan.inference_days:,.1f}", f"{best.inference_days:,.1f}"),
        ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    hours = plan.gpu_hours + plan.inference_gpu_hours
    hours_saving = 1 - (best.train_gpu_hours + best.inference_gpu_hours) / hours if hours else 0.0
    console.print(
        Text(
            f"Saving: {plan.total_flops_saving:.1%} of total FLOPs with the inference-optimal model (the least total compute, "
            f"Sardana et al.'s objective); {hours_saving:.1%} of total GPU-hours at these serving MFUs.",
            style="bold",
        )
    )
    if plan.serving is not None:
        s = cast("ServingBound", plan.serving)
        console.print(
            Text(
                f"Serving MFU: the decoding roofline, an upper bound (kipp.ly, 'Transformer Inference Arithmetic'): each step reads the "
                f"weights and every sequence's KV cache; the compute-optimal model decodes {s.batch} sequences of {s.context:,} tokens on "
                f"{s.gpus} {plan.gpu} (bf16 weights; the suggested shape with 8 KV heads, as Llama 3 at every size: "
                f"{s.kv_cache_bytes_per_token / 1e6:.2f} MB of cache per token). Real serving runs below it, prompt tokens above it: "
                "give --inference-mfu from a measurement.",
                style="dim",
            )
        )
    console.print()  # the variants table that follows starts a new paragraph


def render_overtrain(console: Console, result: Overtrain, law: Law) -> None:
    summary = summary_table(f"Over-training {article(format_count(result.params))}-parameter model under {result.law}")
    summary.add_row(_params_label(law), format_count(result.params))
    summary.add_row(
        "Loss floor",
        "none: this law has no loss form" if result.loss_floor is None else f"{result.loss_floor:.4f} (no token count goes below it)",
    )
    if result.target_loss is not None:
        summary.add_row("Target loss", f"{result.target_loss:g}: reached after {format_count(result.target_tokens)} tokens")
    summary.add_row("GPU-hours on", f"{result.gpu} at {result.mfu:.0%} MFU" + (" of its FP8 peak" if result.precision == "fp8" else ""))
    console.print(summary)

    def highlight(row) -> str | None:
        return "bold" if result.target_tokens is not None and row.tokens == result.target_tokens else None

    limited = result.unique_tokens is not None
    training = data_table("Training" + (f" on {format_count(result.unique_tokens)} unique tokens" if limited else ""))
    days, cost = result.rows[0].days is not None, result.rows[0].cost is not None
    headers = ("Tokens", "Tokens/param", "FLOPs", "GPU-hours") + (("Days",) if days else ()) + (("Cost",) if cost else ())
    for header in headers + ("Loss",) + (("Epochs", "Effective tokens") if limited else ()):
        training.add_column(header, justify="right")
    for row in result.rows:
        extra = (f"{row.epochs:.2f}", format_count(row.effective_tokens)) if limited else ()
        money = ((f"{row.days:,.1f}",) if days else ()) + ((format_money(row.cost),) if cost else ())
        training.add_row(
            format_count(row.tokens),
            _ratio(row.tokens_per_param),
            format_sci(row.flops),
            format_count(row.gpu_hours),
            *money,
            _loss(row.loss),
            *extra,
            style=highlight(row),
        )
    console.print(training)

    against = data_table(
        "Against the compute-optimal model of equal loss",
        "Overhead: extra training compute over that model. Saved: inference FLOPs per token of the "
        "smaller forward pass (2N). Break-even: inference tokens after which the savings repay the overhead.",
    )
    for header in ("Tokens", "Params", "Tokens", "FLOPs", "Overhead", "Saved/token", "Break-even"):
        against.add_column(header, justify="right")
    for row in result.rows:
        if row.breakeven_inference_tokens is not None:
            breakeven = format_count(row.breakeven_inference_tokens)
        elif row.inference_flops_saved_per_token is not None:
            breakeven = "never"  # this model is the larger one: it saves nothing at inference
        else:
            breakeven = "-"
        against.add_row(
            format_count(row.tokens),
            format_count(row.optimal_params),
            format_count(row.optimal_tokens),
            format_sci(row.optimal_flops),
            format_percent(row.compute_overhead),
            format_sci(row.inference_flops_saved_per_token),
            breakeven,
            style=highlight(row),
        )
    console.print(against)
    if result.rows and result.rows[0].tasks:
        from .tasks import render_overtrain_tasks

        render_overtrain_tasks(console, result.rows)
    _notes(console, result.notes, law, result.warnings)


def render_losses(
    console: Console, params: float, tokens: float, losses: dict[str, float | None], laws: list[Law], warnings: Sequence[str] = ()
) -> None:
    table = data_table(
        f"Predicted loss of {format_count(params)} parameters on {format_count(tokens)} tokens",
        "Losses compare only within one law: each was fitted on its own data and tokenizer.",
    )
    for header, justify in (("Law", "left"), ("Loss", "right"), ("Data (nats/token)", "left")):
        table.add_column(header, justify=cast(JustifyMethod, justify))
    for law in laws:
        value = losses[law.name]
        shown = "no loss form" if value is None else f"{value:.4f}"
        data = law.dataset + ("" if law.params_counted == "total" else f"; N counts {law.params_counted}")
        table.add_row(law.name, shown, data)
    console.print(table)
    for warning in warnings:
        console.print(Text(f"Warning: {warning}.", style="bold yellow"))


def render_laws(console: Console, laws: list[Law], detailed: bool) -> None:
    if detailed:
        for law in laws:
            console.print(Text(law.title if law.title.startswith(f"{law.name}:") else f"{law.name}: {law.title}", style="bold"))
            console.print(f"Kind: {law.kind}; N counts {law.params_counted} parameters; data: {law.dataset}")
            console.print(f"Source: {law.citation}")
            if law.loss is not None:
                constants = ", ".join(f"{k}={v:g}" for k, v in law.loss.model_dump().items() if k != "form")
                console.print(f"Loss ({law.loss.form} form): {constants}")
            if law.allocation is not None:
                a = law.allocation
                unit = "" if a.flops_unit == 1 else f" (C in units of {a.flops_unit:g} FLOPs)"
                console.print(f"Allocation: {a.quantity}_opt = {a.k:.4g} * C^{a.exponent:g}{unit}")
            console.print(
                f"N_opt grows as C^{law.params_exponent:.3f}; tokens/param at 1e21 / 1e25 FLOPs: "
                f"{_ratio(_tpp(law, 1e21))} / {_ratio(_tpp(law, 1e25))}"
            )
            if law.note:
                console.print(Text(law.note, style="dim"))
        return
    table = data_table(caption="a: N_opt grows as C^a. `scale laws NAME` shows a law's constants, note and source.")
    table.add_column("Law", no_wrap=True)
    table.add_column("Title", overflow="fold")  # the column that wraps: the others hold names and numbers
    table.add_column("Loss form", no_wrap=True)
    table.add_column("a", justify="right", no_wrap=True)
    table.add_column("Tokens/param at 1e23", justify="right")
    for law in laws:
        counted = "" if law.params_counted == "total" or "N: " in law.title else f" (N: {law.params_counted})"
        table.add_row(
            law.name,
            law.title + counted,
            "none" if law.loss is None else law.loss.form,
            f"{law.params_exponent:.3f}",
            _ratio(_tpp(law, 1e23)),
        )
    console.print(table)


def _tpp(law: Law, flops: float) -> float:
    params, tokens = law.optimal(flops)
    return tokens / params


def render_gpus(console: Console, gpus: list) -> None:
    table = data_table(
        caption="Dense BF16 and FP8 peaks (no 2:4 sparsity; -: no FP8 figure); GB = 1e9 bytes. --precision fp8 plans at the FP8 peak."
    )
    for header, justify in (
        ("GPU", "left"),
        ("Name", "left"),
        ("BF16 TFLOP/s", "right"),
        ("FP8", "right"),
        ("Memory", "right"),
        ("Bandwidth", "right"),
    ):
        table.add_column(header, justify=cast(JustifyMethod, justify))
    for gpu in gpus:
        memory = f"{gpu.memory_gb:g} GB" if gpu.memory_gb is not None else f"{gpu.memory_gib:g} GiB"
        fp8 = "-" if gpu.fp8_tflops is None else f"{gpu.fp8_tflops:,.0f}"
        table.add_row(gpu.name, gpu.title, f"{gpu.bf16_tflops:,.1f}", fp8, memory, f"{gpu.bandwidth_gbps:,.0f} GB/s")
    console.print(table)
    console.print(Text("Sources: `scale gpus --json` lists each GPU's datasheet.", style="dim"))
