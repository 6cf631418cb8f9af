"""From a plan to a run: a shape for the optimal size, a parallel layout that fits, batch size
and learning rate.

The layout is a sensible default, not a tuned one: ZeRO stage 1 (Megatron-LM's distributed
optimizer), selective recomputation with FlashAttention, one sequence per micro-batch, and the
least tensor parallelism (up to 8, one node), then context parallelism (for sequences of 16K
tokens and more), then pipeline parallelism that fits the GPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from ...core.compute import FLOPS_PER_PARAM_TOKEN, HOURS_PER_DAY, gpu_hours
from ...hardware.gpus import Gpu
from ...hardware.layout import TENSOR_PARALLEL, Framework, Layout
from ...hardware.memory import TIGHT_HEADROOM, TrainingMemory, training_memory
from ...hardware.shape import Shape, fits, suggest_shapes
from ...laws.hyperparams import DISAGREEMENT, HyperparameterLaw, hyperparameter_law
from ..draft import Draft
from ..request import PlanRequest

CONTEXT_CHUNK = 8192
"""Context parallelism is tried only down to this many tokens per rank: Llama 3 split its 131K
sequences 16 ways, 8,192 tokens each, its short stage's length (Dubey et al. 2024, Table 4)."""


class RunPlan(BaseModel):
    shape: Shape
    shape_fits: bool
    """Within 2 % of the planned size at a published aspect ratio."""
    layout: Layout
    memory: TrainingMemory
    fits: bool
    batch_size_tokens: float
    """The batch-size law's optimum (DeepSeek eq. 1), in tokens."""
    batch_size_sequences: float
    """The batch that runs: a whole number of sequences per data-parallel rank and micro-batch."""
    batch_tokens_per_step: float = 0.0
    """``batch_size_sequences`` x the sequence length."""
    steps: float | None = None
    """Optimizer steps to train the planned tokens at that batch."""
    learning_rate: float
    learning_rate_pi95: tuple[float, float] | None = None
    """Where the law has an interval (a law fitted by `scale fit --form lr-batch`): 95 %."""
    batch_size_tokens_pi95: tuple[float, float] | None = None
    hyperparameter_law: str = "step-law"
    """The learning-rate / batch-size law the suggestion comes from (``--hparams-law``)."""
    hyperparameter_source: str
    notes: list[str]


def layouts(shape: Shape, gpus: int, seq: int) -> Iterator[Layout]:
    """Candidate layouts, least model parallelism first: tensor, then context (long sequences
    only), then pipeline parallelism."""
    contexts = [c for c in (1, 2, 4, 8, 16, 32) if c == 1 or (seq % c == 0 and seq // c >= CONTEXT_CHUNK)]
    for pp in [p for p in (1, 2, 4, 8, 16, 32, 64) if p <= shape.layers]:
        for cp in contexts:
            for tp in [t for t in TENSOR_PARALLEL if shape.heads % t == 0 and shape.n_kv_heads % t == 0]:
                if gpus % (tp * pp * cp) == 0:
                    yield Layout(
                        dp=gpus // (tp * pp * cp),
                        tp=tp,
                        pp=pp,
                        cp=cp,
                        zero=1,
                        micro_batch=1,
                        seq=seq,
                        recompute="selective",
                        flash_attention=True,
                    )


def eager_layouts(gpus: int, seq: int) -> Iterator[Layout]:
    """Eager PyTorch / FSDP candidates: every GPU data-parallel, the least sharding first
    (ZeRO 1, 2, 3 as FSDP's SHARD_GRAD_OP and FULL_SHARD do), then gradient checkpointing."""
    for recompute in ("none", "full"):
        for zero in (1, 2, 3):
            yield Layout(dp=gpus, zero=zero, micro_batch=1, seq=seq, recompute=recompute, framework="pytorch")


def counted_params(law: HyperparameterLaw, shape: Shape, params: float) -> float:
    """The run's N as ``law`` counts it: Step Law's non-embedding share of ``params``, else ``params``."""
    return float(shape.non_embedding_params) * params / shape.params if law.non_embedding else params


def run_plan(
    params: float,
    flops: float,
    gpu: Gpu,
    gpus: int,
    seq: int = 4096,
    vocab: int = 32_000,
    shape: Shape | None = None,
    framework: Framework = "megatron",
    hparams_law: str | Path | None = None,
) -> RunPlan:
    """A shape (``shape`` if given, else a suggested one), a layout and hyperparameters for
    training ``params`` parameters with ``flops``; the layout's memory under ``framework``'s
    accounting (Megatron-LM's, or eager PyTorch / FSDP's: data parallelism and sharding only)."""
    given = shape is not None
    shape = shape if shape is not None else suggest_shapes(params, vocab=vocab, count=1)[0]
    # The least model parallelism that fits with the headroom README promises (>= 10 % of the
    # GPU free for the CUDA context and fragmentation); failing that, the first that fits at all.
    source = "given" if given else "suggested"
    candidate_layouts = layouts(shape, gpus, seq) if framework == "megatron" else eager_layouts(gpus, seq)
    candidates = [(layout, training_memory(shape.params, shape, gpu, layout, shape_source=source)) for layout in candidate_layouts]
    roomy = [(lay, m) for lay, m in candidates if m.fits and m.headroom_fraction >= TIGHT_HEADROOM]
    tight = [(lay, m) for lay, m in candidates if m.fits]
    notes = []
    if roomy or tight:
        layout, memory = (roomy or tight)[0]
    elif candidates:
        layout, memory = candidates[-1]
    else:  # no layout divides the GPU count
        layout = Layout(dp=gpus, zero=1, seq=seq, recompute="selective", flash_attention=True)
        memory = training_memory(shape.params, shape, gpu, layout, shape_source=source)
    if not memory.fits and framework == "pytorch":
        notes.append(
            f"no layout of {gpus:,} {gpu.name} GPUs (data parallel, ZeRO/FSDP sharding up to stage 3, gradient checkpointing) "
            "holds this model in eager PyTorch: tensor or pipeline parallelism (--framework megatron) would"
        )
    elif not memory.fits:
        notes.append(
            f"no layout of {gpus:,} {gpu.name} GPUs (tensor parallelism up to 8, pipeline up to 64, context parallelism "
            f"down to {CONTEXT_CHUNK:,} tokens per rank, ZeRO-1) holds this model"
        )
    elif not roomy:
        notes.append(f"tight: every layout that fits leaves under {TIGHT_HEADROOM:.0%} of the GPU's memory free")
    law = hyperparameter_law(hparams_law)
    tokens = flops / (FLOPS_PER_PARAM_TOKEN * params)
    counted = counted_params(law, shape, params)
    learning_rate, batch = law.suggest(flops, counted, tokens)
    lr_band, batch_band = law.intervals(flops, counted, tokens)
    notes += law.range_warnings(flops, counted, tokens)
    other = hyperparameter_law("deepseek" if law.name == "step-law" else "step-law")
    other_lr, other_batch = other.suggest(flops, counted_params(other, shape, params), tokens)
    if max(learning_rate / other_lr, other_lr / learning_rate, batch / other_batch, other_batch / batch) > DISAGREEMENT:
        notes.append(
            f"{other.name} suggests learning rate {other_lr:.3g} and batch {other_batch:.3g} tokens (against {learning_rate:.3g} and "
            f"{batch:.3g}): the laws differ by more than {DISAGREEMENT:g}x here; sweep around both (--hparams-law {other.name})"
        )
    # Each data-parallel rank takes whole micro-batches of whole sequences: round the law's batch
    # to a multiple of dp x micro-batch sequences (at least one per rank).
    unit = layout.dp * layout.micro_batch
    sequences = max(unit, round(batch / seq / unit) * unit)
    return RunPlan(
        shape=shape if given else shape.model_copy(update={"max_seq": seq}),
        shape_fits=given or fits(shape, params),
        layout=layout,
        memory=memory,
        fits=memory.fits,
        batch_size_tokens=batch,
        batch_size_sequences=float(sequences),
        batch_tokens_per_step=float(sequences * seq),
        steps=tokens / (sequences * seq),
        learning_rate=learning_rate,
        learning_rate_pi95=lr_band,
        batch_size_tokens_pi95=batch_band,
        hyperparameter_law=law.name,
        hyperparameter_source=f"{law.citation}. {law.note}",
        notes=notes,
    )


def section(draft: Draft, request: PlanRequest) -> None:
    """With ``gpus``: a shape, a layout that fits, batch size and learning rate, and GPU-hours of
    the FLOPs MFU counts (PaLM, App. B), not 6ND; with the vocabulary the budget implies."""
    gpus, seq, price = request.gpus, request.seq, request.price_per_gpu_hour
    assert gpus is not None  # the planner calls a section its request asks for
    law, gpu, flops, params, tokens = draft.law, draft.gpu, draft.flops, draft.params, draft.tokens
    run = run_plan(params, flops, gpu, gpus, seq=seq, framework=request.framework, hparams_law=request.hparams_law)
    shape = run.shape
    # MFU, as PaLM defines it and as the 40 % default is quoted, counts attention and leaves
    # the embedding lookup out: GPU-hours divide those FLOPs, not 6ND, by it.
    counted = shape.counted_flops(tokens, seq, params)
    hours = gpu_hours(counted, gpu.peak_flops, request.mfu)
    draft.fields.update(
        run=run,
        shape=shape,
        memory_per_gpu_bytes=run.memory.total_bytes,
        batch_size_tokens=run.batch_size_tokens,
        learning_rate=run.learning_rate,
        model_flops=counted,
        attention_flops_per_token=shape.attention_flops_per_token(seq),
        gpu_hours=hours,
        days=hours / gpus / HOURS_PER_DAY,
        cost=None if price is None else hours * price,
    )
    draft.notes.append(
        f"GPU-hours count the FLOPs MFU counts (PaLM, App. B): 6 x the matmul parameters + attention at {seq:,}-token "
        f"sequences, {counted / flops - 1:+.1%} against 6ND"
    )
    if law.params_counted != "total":
        draft.notes.append(f"the run's shape is sized by total parameters; {law.name}'s N counts {law.params_counted}")
    from .vocab import vocab_suggestion

    # Advisory, not the answer asked for: its own warnings stay with it (check --strict
    # fails on a plan's warnings, not on a suggestion's).
    draft.fields["vocab_suggestion"] = vocab_suggestion(flops, shape)
