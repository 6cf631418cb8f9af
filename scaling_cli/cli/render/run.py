"""Rich rendering of ``scale shape``, ``scale memory``, ``scale mfu`` and a plan's run section."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...core.units import format_count, format_sci, format_value, plural
from ...hardware.memory import TIGHT_HEADROOM, InferenceMemory, TrainingMemory
from .tables import data_table, summary_table


def gb(value: float) -> str:
    """Bytes as decimal gigabytes (1 GB = 1e9 bytes, the datasheets' unit)."""
    return format_value(value, "bytes")


def _heads(row: dict) -> str:
    kv = "" if row["kv_heads"] == row["heads"] else f" ({row['kv_heads']} KV)"
    return f"{row['heads']}{kv} x {row['head_dim']}"


def render_shapes(console: Console, rows: list[dict], target: float | None, seq: int) -> None:
    if not target:
        _render_one_shape(console, rows[0], seq)
        return
    table = data_table(
        f"Shapes for {format_count(target)} parameters (vocab {rows[0]['vocab']:,})",
        f"Best first. FLOPs/token: training, 6N + 12·L·H·Q·T at {seq:,} tokens (PaLM App. B). *: not within 2 % of the target at a published aspect ratio (d_model / layers 32-256).",
        pad_edge=False,
        show_edge=False,
    )
    for header in ("Layers", "d_model", "Heads", "d_ff", "Params", "Non-emb.", "FLOPs/token", "Off by"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            str(row["layers"]),
            str(row["d_model"]),
            f"{row['heads']}x{row['head_dim']}",
            str(row["d_ff"]),
            format_count(row["params"]),
            format_count(row["non_embedding_params"]),
            format_sci(row["flops_per_token"]),
            f"{row['error']:+.2%}" + ("" if row["fits_target"] else "*"),
        )
    console.print(table)
    _say_vocab(console, rows[0])


def _say_vocab(console: Console, row: dict) -> None:
    """Tao et al.'s vocabulary for the shape, beside its fixed one."""
    from ...planning.sections.vocab import VocabSuggestion

    suggestion = VocabSuggestion(**row["vocab_suggestion"])
    console.print(
        Text(
            f"Vocabulary: {_vocab_line(suggestion)} (the {format_sci(suggestion.flops)} FLOPs this size is compute-optimal for).",
            style="dim",
        )
    )
    for warning in suggestion.warnings:
        console.print(Text(f"Note: {warning}.", style="dim"))


def _render_one_shape(console: Console, row: dict, seq: int) -> None:
    summary = summary_table(f"{row['style'].capitalize()}-style decoder: {row['layers']} layers x d_model {row['d_model']}")
    summary.add_row(
        "Attention", f"{_heads(row)} heads" + (", q/k/v biases" if row["qkv_bias"] else "") + (", q/k norms" if row["qk_norm"] else "")
    )
    summary.add_row("MLP", f"d_ff {row['d_ff']:,} ({'SwiGLU' if row['style'] == 'llama' else 'GELU'})")
    if row["experts"] > 1:
        summary.add_row(
            "Experts", f"{row['experts']} per layer, {row['experts_per_token']} per token, width {row['expert_d_ff'] or row['d_ff']:,}"
        )
    summary.add_row(
        "Vocabulary", f"{row['vocab']:,}" + (" (tied head)" if row["tied_embeddings"] or row["style"] == "gpt2" else " (untied head)")
    )
    summary.add_row("Parameters", f"{row['params']:,} ({format_count(row['params'])})")
    summary.add_row("Embedding", f"{row['embedding_params']:,}")
    summary.add_row("Non-embedding", f"{row['non_embedding_params']:,} (Kaplan's N)")
    if row["experts"] > 1:
        summary.add_row("Active per token", f"{row['active_params']:,} ({format_count(row['active_params'])})")
    summary.add_row(
        "FLOPs per token",
        f"{format_sci(row['flops_per_token'])} training at {seq:,} tokens (attention {format_sci(row['attention_flops_per_token'])})",
    )
    summary.add_row("KV cache", f"{row['kv_cache_bytes_per_token']:,.0f} bytes per token (bf16)")
    console.print(summary)
    _say_vocab(console, row)


def _no_micro_batch(m: TrainingMemory) -> str:
    """Why not even one sequence fits: the states alone, or the states plus one sequence's activations."""
    states = m.weights_bytes + m.gradients_bytes + m.optimizer_bytes
    if states >= m.gpu_memory_bytes:
        return f"none: the model states alone ({gb(states)}) fill the GPU (ZeRO, tensor or pipeline parallelism)"
    return (
        f"none: the model states ({gb(states)}) leave {gb(m.gpu_memory_bytes - states)}, less than one sequence's "
        f"activations ({gb(m.activation_bytes_per_sequence)}): recompute more, or split the model (tp, pp)"
    )


def render_training_memory(console: Console, m: TrainingMemory, changes=(), methods=(), lora_rank: int = 8) -> None:
    layout = m.layout
    summary = summary_table(f"Training memory per GPU: {format_count(m.params)} parameters on {m.gpu}")
    memory_saving = (
        f"gradient checkpointing {'on' if layout.recompute == 'full' else 'off'}"
        if m.framework == "pytorch"
        else f"recompute {layout.recompute}" + ("; FlashAttention" if layout.flash_attention else "")
    )
    summary.add_row(
        "Layout",
        f"{layout.describe()} = {plural(m.gpus, 'GPU')}; ZeRO-{layout.zero}; "
        f"{layout.optimizer}; {layout.micro_batch} x {layout.seq:,} tokens per micro-batch; {memory_saving}",
    )
    eager = m.framework == "pytorch"
    held = not eager or m.peak in ("recompute", "after backward")
    summary.add_row("Framework", "eager PyTorch / Hugging Face (fp32 weights, bf16 autocast)" if eager else "Megatron-LM")
    summary.add_row("Weights", gb(m.weights_bytes))
    summary.add_row("Gradients", gb(m.gradients_bytes) + ("" if held else " (not yet allocated at the peak)"))
    summary.add_row("Optimizer state", gb(m.optimizer_bytes))
    if eager:
        summary.add_row("bf16 weight copies", gb(m.weight_copies_bytes))
    summary.add_row("Activations", gb(m.activations_bytes))
    if eager:
        summary.add_row("Loss (fp32, transient)", gb(m.transient_bytes))
    summary.add_row("Total" + (f" (peak: {m.peak})" if eager else ""), f"{gb(m.total_bytes)} of {gb(m.gpu_memory_bytes)}")
    verdict = (
        f"fits{', tight' if m.headroom_fraction < TIGHT_HEADROOM else ''}, {gb(m.headroom_bytes)} ({m.headroom_fraction:.0%}) to spare"
        if m.fits
        else f"does NOT fit: {gb(-m.headroom_bytes)} over"
    )
    summary.add_row("Verdict", Text(verdict, style="bold green" if m.fits else "bold red"))
    summary.add_row("Largest micro-batch", str(m.largest_micro_batch) if m.largest_micro_batch else _no_micro_batch(m))
    if m.fewest_gpus is None and eager:
        summary.add_row(
            "Fewest GPUs",
            f"none by data parallelism: the activations and bf16 weight copies ({gb(m.activations_bytes + m.weight_copies_bytes)} at "
            f"micro-batch {layout.micro_batch}) overflow a GPU however far the state is sharded (a smaller micro-batch, "
            "gradient checkpointing, or --framework megatron's tensor and pipeline parallelism)",
        )
    elif m.fewest_gpus is None:
        summary.add_row(
            "Fewest GPUs",
            f"none at this tp/pp: the activations alone ({gb(m.activations_bytes)} at micro-batch "
            f"{layout.micro_batch}) overflow a GPU (a smaller micro-batch, recompute, tensor, pipeline or context parallelism)",
        )
    else:
        f = m.fewest_gpus
        summary.add_row(
            "Fewest GPUs",
            f"{f.gpus:,} (ZeRO-{f.zero} over dp {f.dp}, with tp {layout.tp} x pp {layout.pp}"
            + (f" x cp {layout.cp})" if layout.cp > 1 else ")"),
        )
    console.print(summary)
    if changes:
        console.print(Text("Least changes that fit (one knob, or two where that needs fewer GPUs):", style="bold"))
        for c in changes:
            console.print(
                f"  {c.change}: {plural(c.gpus, 'GPU')}, {gb(c.total_bytes)} per GPU ({c.headroom_fraction:.0%} free{', tight' if c.tight else ''})"
            )
    for note in m.notes:
        console.print(Text(f"Note: {note}.", style="yellow"))
    activations = (
        "measured tensor by tensor on eager PyTorch steps (bench/memory_torch.py)" if eager else "Korthikanti et al. 2022, §4.1 and Table 2"
    )
    console.print(Text(f"Optimizer bytes: {m.optimizer_source}. Activations: {activations}.", style="dim"))
    if methods:
        _render_methods(console, m, methods, lora_rank)


def _render_methods(console: Console, m: TrainingMemory, methods, lora_rank: int) -> None:
    from .tables import data_table

    layout = m.layout
    console.print()
    table = data_table(f"Ways to train on one {m.gpu} ({gb(m.gpu_memory_bytes)}): {layout.seq:,} tokens, {layout.recompute} recompute")
    for column in ("Method", "Trains", "On GPU", "Per seq", "Total", "Max batch", "Host"):
        table.add_column(column, justify="left" if column == "Method" else "right", no_wrap=column == "Method")
    for row in methods:
        fits = row.largest_micro_batch >= 1
        table.add_row(
            row.title,
            format_count(row.trainable_params),
            gb(row.state_bytes),
            gb(row.activation_bytes_per_sequence),
            gb(row.state_bytes + row.activation_bytes_per_sequence),
            Text(str(row.largest_micro_batch) if fits else "none", style="green" if fits else "red"),
            gb(row.host_bytes) if row.host_bytes else "-",
        )
    console.print(table)
    console.print(
        Text(
            f"On GPU: weights, gradients and optimizer state; per seq: one sequence's activations; total: at micro-batch 1; "
            "max batch: sequences per micro-batch that fit; host: CPU memory. Full: mixed-precision AdamW (16 bytes/param), "
            "8-bit Adam (10), bf16 AdamW with no fp32 copy (8). LoRA: bf16 base; QLoRA: 4-bit NF4 base; "
            f"rank-{lora_rank} adapters on every linear layer of the blocks (--lora-rank); "
            "activations as full training's (the gradient still flows through the frozen base); --recompute full stores far less.",
            style="dim",
        )
    )
    console.print(Text("Sources: " + "; ".join(f"{row.method}: {row.source}" for row in methods) + ".", style="dim"))


def render_inference_memory(console: Console, m: InferenceMemory) -> None:
    summary = summary_table(f"Serving memory: {format_count(m.params)} parameters on {m.gpu}")
    summary.add_row("Weights", f"{gb(m.weights_bytes)} ({m.weights_format})")
    summary.add_row(
        "KV cache",
        f"{gb(m.kv_cache_bytes)}: {m.batch} x {m.seq:,} tokens x {m.kv_cache_bytes_per_token:,.0f} bytes/token "
        f"({m.shape.layers} layers, {m.shape.n_kv_heads} KV heads of {m.shape.dim_head})",
    )
    summary.add_row("Total", f"{gb(m.total_bytes)} of {gb(m.gpu_memory_bytes)}")
    summary.add_row(
        "Verdict",
        Text(
            "fits" if m.fits else f"does NOT fit on one GPU: at least {plural(m.gpus_needed, 'GPU')}",
            style="bold green" if m.fits else "bold red",
        ),
    )
    summary.add_row(
        "Largest batch", f"{m.largest_batch:,} sequences of {m.seq:,} tokens" if m.largest_batch else "none: the weights alone fill the GPU"
    )
    console.print(summary)
    for note in m.notes:
        console.print(Text(f"Note: {note}.", style="yellow"))


def render_mfu(console: Console, result: dict) -> None:
    summary = summary_table("Model FLOPs utilisation (PaLM, App. B)")
    summary.add_row(
        "Throughput",
        f"{result['tokens_per_second']:,.0f} tokens/s on {result['gpus']:,} {result['gpu']} ({result['tokens_per_second_per_gpu']:,.0f} per GPU)",
    )
    attention = result["attention_flops_per_token"]
    term = "" if attention is None else f" + attention {format_sci(attention)}"
    summary.add_row("FLOPs per token", f"{format_sci(result['flops_per_token'])} (6N = {format_sci(6 * result['active_params'])}{term})")
    summary.add_row("MFU", Text(f"{result['mfu']:.1%}", style="bold"))
    if attention is not None:
        summary.add_row("MFU without attention", f"{result['mfu_without_attention']:.1%}")
    console.print(summary)
    console.print(f"Use it: scale plan ... --mfu {result['mfu']:.3f}")
    for note in result["notes"]:
        console.print(Text(f"Note: {note}.", style="yellow"))


def render_run(console: Console, plan) -> None:
    run = plan.run
    s, layout, m = run.shape, run.layout, run.memory
    table = summary_table(f"Run on {plan.gpus:,} {plan.gpu}")
    table.add_row(
        "Shape",
        f"{s.layers} layers x d_model {s.d_model}, {s.heads} heads of {s.dim_head}, d_ff {s.d_ff}, vocab {s.vocab:,}: "
        f"{format_count(s.params)} parameters" + ("" if run.shape_fits else " (nearest shape; not within 2 %)"),
    )
    table.add_row(
        "Layout",
        f"{layout.describe()}, ZeRO-{layout.zero}, "
        + (
            f"eager PyTorch / FSDP, gradient checkpointing {'on' if layout.recompute == 'full' else 'off'}"
            if m.framework == "pytorch"
            else f"{layout.recompute} recompute" + (" + FlashAttention" if layout.flash_attention else "")
        )
        + f", {layout.micro_batch} x {layout.seq:,} tokens per micro-batch",
    )
    tight = m.fits and m.headroom_fraction < TIGHT_HEADROOM
    label = ("fits, tight" if tight else "fits") if m.fits else "does NOT fit"
    fit = Text(f"{gb(m.total_bytes)} of {gb(m.gpu_memory_bytes)}: {label}", style="yellow" if tight else "green" if m.fits else "bold red")
    table.add_row("Memory per GPU", fit)
    if m.framework == "pytorch":
        table.add_row("", f"eager PyTorch's peak ({m.peak}), counted as measured steps show (scale memory --framework pytorch)")
    table.add_row(
        "Batch size",
        f"{run.batch_size_sequences:,.0f} sequences of {layout.seq:,} = {format_count(run.batch_tokens_per_step)} tokens "
        f"({run.batch_size_sequences / layout.dp:,.0f} per data-parallel rank; the law's optimum "
        f"{format_count(run.batch_size_tokens)}"
        + (
            ""
            if run.batch_size_tokens_pi95 is None
            else f", 95 % {format_count(run.batch_size_tokens_pi95[0])}-{format_count(run.batch_size_tokens_pi95[1])}"
        )
        + f"), {format_count(run.steps)} steps",
    )
    band = (
        "" if run.learning_rate_pi95 is None else f", 95 % {format_sci(run.learning_rate_pi95[0])}-{format_sci(run.learning_rate_pi95[1])}"
    )
    table.add_row("Learning rate", f"{format_sci(run.learning_rate)} (peak{band}; {run.hyperparameter_law}, --hparams-law)")
    suggestion = plan.vocab_suggestion
    if suggestion is not None:
        table.add_row("Vocabulary", _vocab_line(suggestion))
    console.print(table)
    for note in run.notes + ([] if suggestion is None else suggestion.warnings):
        console.print(Text(f"Note: {note}.", style="yellow"))
    console.print(Text(f"Batch size and learning rate: {run.hyperparameter_source}", style="dim"))
    console.print()  # the variants table that follows starts a new paragraph


def _vocab_line(suggestion) -> str:
    """The vocabulary the budget implies (Tao et al. 2024), and what it changes against the shape's."""
    if suggestion.vocab == suggestion.current_vocab:
        return f"{suggestion.vocab:,} by Tao et al. 2024's law for this budget: the shape's own"
    sign = "+" if suggestion.params_change > 0 else "-"
    return (
        f"{suggestion.vocab:,} by Tao et al. 2024's law for this budget, instead of {suggestion.current_vocab:,}: "
        f"{sign}{format_count(abs(suggestion.params_change))} parameters, {sign}{format_count(abs(suggestion.head_flops_change))} "
        "FLOPs per token in the output head"
    )
