"""``scale shape``, ``scale memory`` and ``scale mfu``: from a plan to a run. Registered in ``app.py``."""

from __future__ import annotations

from typing import Annotated

import typer

from ...core.errors import ScaleError
from ..options import (
    DEFAULTS,
    FormatOption,
    GpuOption,
    JsonOption,
    check_format,
    complete_files,
    count,
    option_group,
    params_value,
    positive,
)
from ..output import emit_json

ParamsOption = Annotated[
    float | None,
    typer.Option("--params", parser=params_value, help="Model size in parameters (a shape is suggested for it).", metavar="PARAMS"),
]
LayersOption = Annotated[int | None, typer.Option("--layers", parser=count, help="Shape: layers.", metavar="L")]
DModelOption = Annotated[int | None, typer.Option("--d-model", parser=count, help="Shape: hidden size.", metavar="D")]
HeadsOption = Annotated[int | None, typer.Option("--heads", parser=count, help="Shape: attention heads.", metavar="H")]
KvHeadsOption = Annotated[
    int | None,
    typer.Option("--kv-heads", parser=count, help="Shape: key/value heads (grouped-query attention; default: heads).", metavar="K"),
]
HeadDimOption = Annotated[
    int | None, typer.Option("--head-dim", parser=count, help="Shape: head dimension (default d_model / heads).", metavar="Q")
]
DffOption = Annotated[
    int | None,
    typer.Option("--d-ff", parser=count, help="Shape: MLP width (default: SwiGLU's 8/3 d_model, rounded up to 256).", metavar="F"),
]
VocabOption = Annotated[int, typer.Option("--vocab", parser=count, help="Shape: vocabulary size.", metavar="V")]
TiedOption = Annotated[bool, typer.Option("--tied", help="Shape: the output head shares the embedding matrix.", metavar="")]
StyleOption = Annotated[
    str, typer.Option("--style", help="Shape: llama (SwiGLU, RoPE, no biases) or gpt2 (GELU, learned positions, biases).")
]
ExpertsOption = Annotated[int, typer.Option("--experts", parser=count, help="Shape: experts per MoE layer (1: dense).", metavar="E")]
TopKOption = Annotated[int, typer.Option("--experts-per-token", parser=count, help="Shape: experts each token is routed to.", metavar="K")]
ConfigOption = Annotated[
    str | None,
    typer.Option("--config", help="Read the shape from a Hugging Face config.json on disk.", metavar="FILE", autocompletion=complete_files),
]
SeqOption = Annotated[int, typer.Option("--seq", parser=count, help="Tokens per sequence.", metavar="T")]

SHAPE_OPTIONS = {
    "params": (ParamsOption, None),
    "layers": (LayersOption, None),
    "d_model": (DModelOption, None),
    "heads": (HeadsOption, None),
    "kv_heads": (KvHeadsOption, None),
    "head_dim": (HeadDimOption, None),
    "d_ff": (DffOption, None),
    "vocab": (VocabOption, 32_000),
    "tied": (TiedOption, False),
    "style": (StyleOption, "llama"),
    "experts": (ExpertsOption, 1),
    "experts_per_token": (TopKOption, 1),
    "config": (ConfigOption, None),
}


def resolve_shape(params, layers, d_model, heads, kv_heads, head_dim, d_ff, vocab, tied, style, experts, experts_per_token, config):
    """(params, shape, source) from exactly one of --params, a shape, or --config."""
    from ...core.configs import validate
    from ...hardware.shape import Shape, suggest_shapes, swiglu_width

    given_shape = any(x is not None for x in (layers, d_model, heads))
    sources = [
        name for name, present in (("--params", params is not None), ("a shape", given_shape), ("--config", config is not None)) if present
    ]
    if len(sources) != 1:
        found = f" (got {' and '.join(sources)})" if sources else ""
        raise ScaleError(f"give exactly one of --params, a shape (--layers, --d-model, --heads), or --config{found}")
    if config is not None:
        from ...hardware.hf_config import shape_from_config

        shape = shape_from_config(config)
        return float(shape.params), shape, "config"
    if params is not None:
        return params, suggest_shapes(params, vocab=vocab, tied=tied, count=1)[0], "suggested"
    missing = [flag for flag, value in (("--layers", layers), ("--d-model", d_model), ("--heads", heads)) if value is None]
    if missing:
        raise ScaleError(f"a shape needs {', '.join(missing)} as well")
    if style not in ("llama", "gpt2"):
        raise ScaleError(f"--style: expected llama or gpt2, got {style!r}")
    width = d_ff if d_ff is not None else (4 * d_model if style == "gpt2" else swiglu_width(d_model))
    fields = dict(
        layers=layers,
        d_model=d_model,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        d_ff=width,
        vocab=vocab,
        tied_embeddings=tied,
        style=style,
        experts=experts,
        experts_per_token=experts_per_token,
    )
    shape = validate(Shape, fields, "shape")
    return float(shape.params), shape, "given"


with_shape = option_group("model", SHAPE_OPTIONS, resolve_shape)
"""The shape options (--params, a shape, or --config) shared by shape, memory and mfu; the
command receives them resolved as ``model`` = (params, shape, source)."""


def _console():
    from ..output import console

    return console()


@with_shape
def shape(model, seq: SeqOption = 4096, json: JsonOption = False, format: FormatOption = "text") -> None:
    """Decoder shapes for a parameter count, or the exact parameter count of a shape.

    Embedding and non-embedding parameters, active parameters (MoE), FLOPs per token with
    attention, KV cache per token."""
    check_format(format, json)
    from ...hardware.shape import suggest_shapes

    total, chosen, source = model
    params = total if source == "suggested" else None
    candidates = suggest_shapes(total, vocab=chosen.vocab, tied=chosen.tied_embeddings) if params else [chosen]
    rows = [_describe(s, seq, params) for s in candidates]
    if json:
        emit_json({"target_params": params, "seq": seq, "shapes": rows})
    else:
        from ..render.run import render_shapes

        render_shapes(_console(), rows, params, seq)


def _describe(shape, seq: int, target) -> dict:
    from ...hardware.shape import fits
    from ...planning.sections.vocab import vocab_for_shape

    return {
        **shape.model_dump(),
        "head_dim": shape.dim_head,
        "kv_heads": shape.n_kv_heads,
        "params": shape.params,
        "embedding_params": shape.embedding_params,
        "non_embedding_params": shape.non_embedding_params,
        "active_params": shape.active_params,
        "aspect_ratio": shape.aspect_ratio,
        "flops_per_token": shape.flops_per_token(seq),
        "attention_flops_per_token": shape.attention_flops_per_token(seq),
        "kv_cache_bytes_per_token": shape.kv_cache_bytes_per_token(),
        "error": None if target is None else shape.params / target - 1,
        "fits_target": None if target is None else fits(shape, target),
        "vocab_suggestion": vocab_for_shape(shape).model_dump(),
    }


@with_shape
def memory(
    model,
    gpu: GpuOption = DEFAULTS["gpu"],
    optimizer: Annotated[
        str, typer.Option("--optimizer", help="adamw (16 bytes/param), adamw-8bit (10), adamw-bf16 (8) or sgd (12).")
    ] = "adamw",
    zero: Annotated[
        int, typer.Option("--zero", min=0, max=3, help="ZeRO stage: 1 shards optimizer state, 2 also gradients, 3 also weights.")
    ] = 0,
    dp: Annotated[int, typer.Option("--dp", parser=count, help="Data-parallel ranks (ZeRO shards over them).", metavar="N")] = 1,
    tp: Annotated[int, typer.Option("--tp", parser=count, help="Tensor-parallel ranks.", metavar="N")] = 1,
    pp: Annotated[int, typer.Option("--pp", parser=count, help="Pipeline stages.", metavar="N")] = 1,
    cp: Annotated[
        int,
        typer.Option(
            "--cp", parser=count, help="Context-parallel ranks: each holds seq/cp tokens of every sequence (long contexts).", metavar="N"
        ),
    ] = 1,
    ep: Annotated[
        int,
        typer.Option(
            "--ep", parser=count, help="Expert-parallel ranks (MoE): whole experts sharded over this many of the dp ranks.", metavar="N"
        ),
    ] = 1,
    seq: SeqOption = 4096,
    micro_batch: Annotated[int, typer.Option("--micro-batch", parser=count, help="Sequences per GPU per step.", metavar="B")] = 1,
    recompute: Annotated[
        str | None,
        typer.Option(
            "--recompute",
            help="Activation recomputation: none, selective or full (default: selective, as the plan; with --framework pytorch, "
            "none, and full is gradient checkpointing).",
        ),
    ] = None,
    framework: Annotated[
        str,
        typer.Option(
            "--framework",
            help="Whose memory accounting: megatron (bf16 weights, Korthikanti et al.'s activations) or pytorch (eager PyTorch / "
            "Hugging Face: fp32 weights under bf16 autocast, AdamW, SDPA; measured on real steps).",
        ),
    ] = "megatron",
    flash_attention: Annotated[
        bool,
        typer.Option(
            "--flash-attention/--no-flash-attention",
            help="FlashAttention: the attention scores are never stored (the plan's default: on).",
            metavar="",
        ),
    ] = True,
    lora_rank: Annotated[
        int,
        typer.Option(
            "--lora-rank",
            parser=count,
            help="On one GPU: the rank of the LoRA/QLoRA adapters on every linear layer (PEFT's default, 8).",
            metavar="R",
        ),
    ] = 8,
    inference: Annotated[bool, typer.Option("--inference", help="Serving memory instead: weights plus KV cache.", metavar="")] = False,
    batch: Annotated[int, typer.Option("--batch", parser=count, help="Inference: sequences served at once.", metavar="B")] = 1,
    weights: Annotated[str, typer.Option("--weights", help="Inference: weight format bf16, fp8, int8 or int4.")] = "bf16",
    kv_format: Annotated[str, typer.Option("--kv-format", help="Inference: KV cache format bf16, fp8, int8 or int4.")] = "bf16",
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """Memory per GPU for training (or serving, with --inference), and what fits.

    Weights, gradients, optimizer state and activations under ZeRO and tensor, pipeline and
    context parallelism; the largest micro-batch and the fewest GPUs that fit; when it does not
    fit, the least changes that do. On one GPU, a table of ways to train (full under three
    optimizers, ZeRO-Offload, LoRA, QLoRA) and the micro-batch each fits."""
    check_format(format, json)
    from ...hardware.memory import InferenceMemory, Layout, TrainingMemory, inference_memory, training_memory
    from ...planning.planner import resolve_gpu

    total, chosen, source = model
    device = resolve_gpu(gpu)
    if inference:
        result: InferenceMemory | TrainingMemory = inference_memory(
            total, chosen, device, weights, kv_format, batch=batch, seq=seq, shape_source=source
        )
    else:
        if framework not in ("megatron", "pytorch"):
            raise ScaleError(f"--framework: expected megatron or pytorch, got {framework!r}")
        if recompute is None:
            recompute = "selective" if framework == "megatron" else "none"
        if recompute not in ("none", "selective", "full"):
            raise ScaleError(f"--recompute: expected none, selective or full, got {recompute!r}")
        from ...core.configs import validate

        layout = validate(
            Layout,
            dict(
                dp=dp,
                tp=tp,
                pp=pp,
                cp=cp,
                ep=ep,
                zero=zero,
                micro_batch=micro_batch,
                seq=seq,
                recompute=recompute,
                flash_attention=flash_attention,
                optimizer=optimizer,
                framework=framework,
            ),
            "layout",
        )
        from ...hardware.memory_changes import least_changes
        from ...hardware.single_gpu import single_gpu_methods

        result = training = training_memory(total, chosen, device, layout, shape_source=source)
        if framework == "megatron":
            training.notes.append(
                f"activations with {layout.recompute} recomputation{' and FlashAttention' if layout.flash_attention else ', no FlashAttention'} "
                "(the plan's default is selective + FlashAttention; --recompute, --no-flash-attention change it); "
                "Megatron-LM's accounting: eager PyTorch / Hugging Face training keeps more (--framework pytorch)"
            )
        else:
            training.notes.append(f"gradient checkpointing {'on' if layout.recompute == 'full' else 'off'} (--recompute full / none)")
        changes = least_changes(training)
        methods = single_gpu_methods(total, chosen, device, layout, lora_rank) if layout.gpus == 1 and framework == "megatron" else []
    if json:
        emit_json(result if inference else {**result.model_dump(), "least_changes": changes, "single_gpu_methods": methods})
    elif isinstance(result, InferenceMemory):
        from ..render.run import render_inference_memory

        render_inference_memory(_console(), result)
    else:
        from ..render.run import render_training_memory

        render_training_memory(_console(), training, changes, methods, lora_rank)
    if not result.fits:
        raise typer.Exit(1)  # as an exceeded limit: CI can gate on "does it fit"


@with_shape
def mfu(
    model,
    tokens_per_second: Annotated[
        float | None,
        typer.Option("--tokens-per-second", parser=positive, help="Measured training throughput of the whole job.", metavar="TOKENS"),
    ] = None,
    tokens_per_second_per_gpu: Annotated[
        float | None,
        typer.Option("--tokens-per-second-per-gpu", parser=positive, help="Or: measured throughput per GPU.", metavar="TOKENS"),
    ] = None,
    gpus: Annotated[int, typer.Option("--gpus", parser=count, help="GPUs of the job.", metavar="K")] = 1,
    gpu: GpuOption = DEFAULTS["gpu"],
    seq: SeqOption = 4096,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """The model FLOPs utilisation (PaLM's definition) a measured throughput implies.

    Feed it to `scale plan --mfu` instead of the default."""
    check_format(format, json)
    from ...core.compute import model_flops_utilization
    from ...planning.budget_warnings import HIGH_MFU
    from ...planning.planner import resolve_gpu

    rates = [rate for rate in (tokens_per_second, tokens_per_second_per_gpu) if rate is not None]
    if len(rates) != 1:
        raise ScaleError("give exactly one of --tokens-per-second (the whole job) and --tokens-per-second-per-gpu")
    total, chosen, source = model
    device = resolve_gpu(gpu)
    throughput = rates[0] if tokens_per_second is not None else rates[0] * gpus
    active = chosen.active_params if source != "suggested" else total
    notes = []
    if source == "suggested":
        dense = 6.0 * active
        attention = None
        notes.append(
            "attention term left out and embeddings counted as matmuls: give the shape (--layers, --d-model, "
            "--heads) or --config to count 6 x the matmul parameters + 12·L·H·Q·T"
        )
    else:
        dense = 6.0 * chosen.matmul_params
        attention = chosen.attention_flops_per_token(seq)
    per_token = dense + (attention or 0.0)
    utilisation = throughput * per_token / (gpus * device.peak_flops)
    if utilisation > 1:  # the library refuses it too; here the message names the likely mistake
        raise ScaleError(
            f"an MFU of {utilisation:.0%} is impossible: {throughput:,.0f} tokens/s x {per_token:.3g} FLOPs per token is more "
            f"than {gpus:,} x {device.name}'s peak; check the unit of the throughput (the whole job's is --tokens-per-second, "
            "one GPU's --tokens-per-second-per-gpu), --gpus and --gpu"
        )
    utilisation = model_flops_utilization(throughput, per_token, gpus, device.peak_flops)
    if utilisation > HIGH_MFU:
        notes.append(f"an MFU of {utilisation:.0%} is above what large runs reach (38-46 %; above ~{HIGH_MFU:.0%} is optimistic)")
    result = {
        "params": total,
        "active_params": active,
        "tokens_per_second": throughput,
        "tokens_per_second_per_gpu": throughput / gpus,
        "gpus": gpus,
        "gpu": device.name,
        "peak_flops": device.peak_flops,
        "seq": seq,
        "flops_per_token": per_token,
        "attention_flops_per_token": attention,
        "mfu": utilisation,
        "mfu_without_attention": model_flops_utilization(throughput, dense, gpus, device.peak_flops),
        "notes": notes,
    }
    if json:
        emit_json(result)
    else:
        from ..render.run import render_mfu

        render_mfu(_console(), result)
