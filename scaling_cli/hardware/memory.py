"""Memory per GPU: training state under ZeRO, activations, and inference weights plus KV cache.

Training state (``configs/memory.toml``): bf16 weights and gradients and the optimizer's fp32
state, 16 bytes per parameter for mixed-precision Adam (Rajbhandari et al. 2019, ZeRO, §3.1).
Tensor and pipeline parallelism split the parameters over tp·pp ranks; ZeRO then shards over the
dp data-parallel ranks: stage 1 the optimizer state, stage 2 also the gradients, stage 3 also
the weights (ZeRO Fig. 1).

Activations (``activations.py``): Korthikanti et al. 2022's tensor-by-tensor count, applied to
the layer's own shape (GELU or SwiGLU MLP, multi-head or grouped-query attention), divided by
tensor parallelism (with sequence parallelism) and context parallelism.

Context parallelism (cp ranks, each holding s/cp of every sequence) holds the same weights on
its ranks, so ZeRO shards the state over dp·cp ranks, as Megatron-Core's distributed optimizer
does over its data-parallel-with-context-parallel group.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, PositiveFloat

from ..core.configs import config_dir, load_toml, validate
from ..core.errors import ScaleError, positive
from ..core.units import format_count
from ..core.validation import PARAMS_RANGE
from .activations import activation_bytes, formula, fullest_stage_layers
from .eager import OPTIMIZER_SOURCE, eager_fit, eager_memory
from .eager import describe as describe_eager
from .gpus import Gpu
from .layout import Layout as Layout  # re-exported: the library's memory example imports it from here
from .shape import Shape

TIGHT_HEADROOM = 0.10
"""Below this share of the GPU's memory left free, a fit is flagged tight: the CUDA context and
the allocator's fragmentation take a few GB that no formula here counts (our rule of thumb)."""


class Optimizer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    weight_bytes: PositiveFloat
    gradient_bytes: PositiveFloat
    optimizer_bytes: PositiveFloat
    source: str


class MemoryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    optimizers: dict[str, dict[str, Any]]
    inference_weights: dict[str, PositiveFloat]
    methods: dict[str, dict[str, Any]] = {}


MEMORY_CONFIG = "memory.toml"


@cache
def memory_config() -> MemoryConfig:
    """``configs/memory.toml``, read once: optimizers, inference weight formats, training methods."""
    return load_toml(MemoryConfig, config_dir() / MEMORY_CONFIG)


@cache
def _config() -> tuple[dict[str, Optimizer], dict[str, float]]:
    data, path = memory_config(), config_dir() / MEMORY_CONFIG
    optimizers = {
        name: validate(Optimizer, {"name": name, **spec}, f"{path} [optimizers.{name}]") for name, spec in data.optimizers.items()
    }
    return optimizers, dict(data.inference_weights)


def get_optimizer(name: str) -> Optimizer:
    optimizers, _ = _config()
    if name not in optimizers:
        raise ScaleError(f"unknown optimizer {name!r}: expected one of {', '.join(optimizers)}")
    return optimizers[name]


def weight_bytes_per_param(dtype: str) -> float:
    _, widths = _config()
    if dtype not in widths:
        raise ScaleError(f"unknown weight format {dtype!r}: expected one of {', '.join(widths)}")
    return widths[dtype]


class State(BaseModel):
    weights: float
    gradients: float
    optimizer: float

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer


def stage_share(layers: int | None, pp: int) -> float:
    """The fullest pipeline stage's share of the layers, times pp: 1 when pp divides the layers,
    else ceil(L/pp)·pp / L (:func:`~scaling_cli.hardware.activations.fullest_stage_layers`)."""
    return 1.0 if not layers else fullest_stage_layers(layers, pp) * pp / layers


def state_bytes(params: float, layout: Layout, expert_params: float = 0.0, layers: int | None = None) -> State:
    """Weights, gradients and optimizer state per GPU (ZeRO stages over dp; tp·pp split the model).

    Routed experts (``expert_params``) are sharded over ep·pp instead (whole experts per rank, as
    Megatron-Core and DeepSpeed-MoE place them), and ZeRO shards their state over the dp / ep
    ranks that hold the same experts. Context-parallel ranks hold the same weights: ZeRO shards
    over them too."""
    opt = get_optimizer(layout.optimizer)
    fullest = stage_share(layers, layout.pp)
    dense = (params - expert_params) / (layout.tp * layout.pp) * fullest
    experts = expert_params / (layout.ep * layout.pp) * fullest
    parts = []
    for share, ranks in ((dense, layout.dp * layout.cp), (experts, layout.dp // layout.ep * layout.cp)):
        weights, gradients, optimizer = opt.weight_bytes * share, opt.gradient_bytes * share, opt.optimizer_bytes * share
        if layout.zero >= 1:
            optimizer /= ranks
        if layout.zero >= 2:
            gradients /= ranks
        if layout.zero >= 3:
            weights /= ranks
        parts.append((weights, gradients, optimizer))
    return State(weights=parts[0][0] + parts[1][0], gradients=parts[0][1] + parts[1][1], optimizer=parts[0][2] + parts[1][2])


class FewestGpus(BaseModel):
    gpus: int
    dp: int
    zero: int


class TrainingMemory(BaseModel):
    params: float
    shape: Shape
    shape_source: str
    """'given', 'config' or 'suggested' (a shape chosen for the parameter count)."""
    layout: Layout
    gpus: int
    optimizer_source: str
    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float
    total_bytes: float
    gpu: str
    gpu_memory_bytes: float
    fits: bool
    headroom_bytes: float
    headroom_fraction: float
    largest_micro_batch: int
    activation_bytes_per_sequence: float = 0.0
    """One sequence's activations at this layout: what each step of micro-batch adds."""
    """At this layout; 0 when the model states alone leave no room for one sequence."""
    fewest_gpus: FewestGpus | None
    """The fewest GPUs (with tp and pp as given) that fit it, and the ZeRO stage that gets there."""
    notes: list[str]
    framework: str = "megatron"
    """Whose accounting: 'megatron' or 'pytorch' (eager PyTorch / Hugging Face, ``eager.py``)."""
    weight_copies_bytes: float = 0.0
    """pytorch: autocast's bf16 weight copies held at the peak."""
    transient_bytes: float = 0.0
    """pytorch: the loss's fp32 tensors, held only at the peak."""
    peak: str | None = None
    """pytorch: where the step peaks ('loss', 'forward end', 'recompute', 'after backward'); the
    parts held there add up to ``total_bytes`` (gradients only at 'recompute' and 'after backward')."""


def training_memory(params: float, shape: Shape, gpu: Gpu, layout: Layout, shape_source: str = "given") -> TrainingMemory:
    """Memory per GPU of training ``params`` parameters of ``shape`` at ``layout`` on ``gpu``."""
    params = positive("params", params, PARAMS_RANGE, "parameters")
    for name, value, kind in (("shape", shape, Shape), ("gpu", gpu, Gpu), ("layout", layout, Layout)):
        if not isinstance(value, kind):  # a library call's arguments: one line, not an AttributeError
            raise ScaleError(f"{name}: expected a {kind.__name__}, got {type(value).__name__}")
    if layout.tp > shape.heads:
        raise ScaleError(f"tensor parallelism {layout.tp} exceeds the {shape.heads} attention heads it splits")
    if layout.pp > shape.layers:
        raise ScaleError(f"pipeline parallelism {layout.pp} exceeds the {shape.layers} layers it splits")
    if shape_source != "suggested" and (shape.heads % layout.tp or shape.n_kv_heads % layout.tp):
        raise ScaleError(
            f"tensor parallelism {layout.tp} must divide the {shape.heads} attention heads and the "
            f"{shape.n_kv_heads} key/value heads it splits"
        )
    if layout.seq % layout.cp:
        raise ScaleError(f"context parallelism {layout.cp} must divide the {layout.seq:,}-token sequences it splits")
    if layout.ep > 1 and not shape.is_moe:
        raise ScaleError(f"expert parallelism {layout.ep} needs a mixture-of-experts shape (--experts)")
    if layout.dp % layout.ep or shape.experts % layout.ep:
        raise ScaleError(
            f"expert parallelism {layout.ep} must divide the {layout.dp} data-parallel ranks it runs on and the "
            f"{shape.experts} experts it shards"
        )
    if layout.framework == "pytorch":
        return _eager_training_memory(params, shape, gpu, layout, shape_source)
    expert_share = shape.expert_params * params / shape.params if shape.is_moe else 0.0
    state = state_bytes(params, layout, expert_share, shape.layers)
    activations = activation_bytes(shape, layout)
    total = state.total + activations
    memory = gpu.memory_bytes
    per_sequence = activation_bytes(shape, layout.model_copy(update={"micro_batch": 1}))
    largest = max(int((memory - state.total) // per_sequence), 0)
    notes = []
    if shape_source == "suggested":
        notes.append(
            f"activations computed for a suggested shape of {shape.layers} layers x d_model {shape.d_model} "
            f"({shape.heads} heads, vocab {shape.vocab:,}); give --layers/--d-model/--heads or --config for yours"
        )
    notes.append(f"activations: {formula(shape)}")
    if shape.is_moe:
        notes.append(
            f"every expert is held ({format_count(expert_share)} expert parameters, sharded over ep = {layout.ep}); routing stores "
            f"each token's MLP activations {shape.experts_per_token}x in the MoE layers; capacity padding and load imbalance are not counted"
        )
    if layout.pp > 1 and shape.layers % layout.pp:
        notes.append(
            f"pp {layout.pp} does not divide the {shape.layers} layers: stages of up to {fullest_stage_layers(shape.layers, layout.pp)} "
            "layers (uneven stages, as Llama 3 405B's 126 on PP 16); memory is the fullest stage's"
        )
    if layout.tp > 1:
        notes.append(
            "tensor parallelism assumes sequence parallelism (Megatron's default), which splits the LayerNorm and dropout activations too"
        )
    headroom = memory - total
    if 0 <= headroom < TIGHT_HEADROOM * memory:
        notes.append(f"tight: under {TIGHT_HEADROOM:.0%} of the GPU's memory left for the CUDA context and allocator fragmentation")
    return TrainingMemory(
        params=params,
        shape=shape,
        shape_source=shape_source,
        layout=layout,
        gpus=layout.gpus,
        optimizer_source=get_optimizer(layout.optimizer).source,
        weights_bytes=state.weights,
        gradients_bytes=state.gradients,
        optimizer_bytes=state.optimizer,
        activations_bytes=activations,
        total_bytes=total,
        gpu=gpu.name,
        gpu_memory_bytes=memory,
        fits=total <= memory,
        headroom_bytes=headroom,
        headroom_fraction=headroom / memory,
        largest_micro_batch=largest,
        activation_bytes_per_sequence=per_sequence,
        fewest_gpus=fewest_gpus(params, shape, gpu, layout, expert_share),
        notes=notes,
    )


def total_bytes(params: float, shape: Shape, layout: Layout, expert_params: float = 0.0) -> float:
    """Memory per GPU at ``layout``, under its framework's accounting."""
    if layout.framework == "pytorch":
        return eager_memory(params, shape, layout).total_bytes
    return state_bytes(params, layout, expert_params, shape.layers).total + activation_bytes(shape, layout)


def _eager_training_memory(params: float, shape: Shape, gpu: Gpu, layout: Layout, shape_source: str) -> TrainingMemory:
    eager, memory = eager_memory(params, shape, layout), gpu.memory_bytes
    fit = eager_fit(params, shape, layout, memory)
    notes = [describe_eager(eager)]
    if shape_source == "suggested":
        notes.append(
            f"activations computed for a suggested shape of {shape.layers} layers x d_model {shape.d_model} "
            f"({shape.heads} heads, vocab {shape.vocab:,}); give --layers/--d-model/--heads or --config for yours"
        )
    headroom = memory - eager.total_bytes
    if 0 <= headroom < TIGHT_HEADROOM * memory:
        notes.append(
            f"tight: under {TIGHT_HEADROOM:.0%} of the GPU's memory left; PyTorch's caching allocator reserved 2-23 % more than it "
            "allocated in the measured steps"
        )
    return TrainingMemory(
        params=params,
        shape=shape,
        shape_source=shape_source,
        layout=layout,
        gpus=layout.gpus,
        optimizer_source=OPTIMIZER_SOURCE,
        weights_bytes=eager.weights_bytes,
        gradients_bytes=eager.gradients_bytes,
        optimizer_bytes=eager.optimizer_bytes,
        activations_bytes=eager.activations_bytes,
        total_bytes=eager.total_bytes,
        gpu=gpu.name,
        gpu_memory_bytes=memory,
        fits=eager.total_bytes <= memory,
        headroom_bytes=headroom,
        headroom_fraction=headroom / memory,
        largest_micro_batch=fit.largest_micro_batch,
        activation_bytes_per_sequence=fit.bytes_per_sequence,
        fewest_gpus=None if fit.fewest_dp is None else FewestGpus(gpus=fit.fewest_dp, dp=fit.fewest_dp, zero=fit.fewest_zero),
        notes=notes,
        framework="pytorch",
        weight_copies_bytes=eager.weight_copies_bytes,
        transient_bytes=eager.transient_bytes,
        peak=eager.peak,
    )


def fewest_gpus(params: float, shape: Shape, gpu: Gpu, layout: Layout, expert_params: float = 0.0) -> FewestGpus | None:
    """The least data parallelism (times tp·pp·cp) at which some ZeRO stage fits; lower stages win ties.

    Per GPU the state is fixed + sharded/dp (ZeRO), so the least dp is a ceiling division (a
    multiple of ep, whose ranks hold the experts).
    """
    activations = activation_bytes(shape, layout)
    ep = layout.ep
    best = None
    for zero in range(4):
        first = state_bytes(params, layout.model_copy(update={"zero": zero, "dp": ep}), expert_params, shape.layers)
        second = state_bytes(params, layout.model_copy(update={"zero": zero, "dp": 2 * ep}), expert_params, shape.layers)
        sharded = 2 * ep * (first.total - second.total)  # the part that ZeRO divides by dp
        fixed = first.total - sharded / ep
        room = gpu.memory_bytes - activations - fixed
        if room <= 0:
            continue
        dp = ep * max(1, math.ceil(sharded / room / ep))
        candidate = FewestGpus(gpus=dp * layout.tp * layout.pp * layout.cp, dp=dp, zero=zero)
        if best is None or candidate.gpus < best.gpus:
            best = candidate
    return best


class InferenceMemory(BaseModel):
    params: float
    shape: Shape
    shape_source: str
    weights_format: str
    weights_bytes: float
    kv_cache_bytes: float
    kv_cache_bytes_per_token: float
    batch: int
    seq: int
    total_bytes: float
    gpu: str
    gpu_memory_bytes: float
    fits: bool
    headroom_bytes: float
    largest_batch: int
    gpus_needed: int
    """The fewest GPUs whose memory holds weights and cache (tensor-parallel serving)."""
    notes: list[str]


def inference_memory(
    params: float,
    shape: Shape,
    gpu: Gpu,
    weights_format: str = "bf16",
    kv_format: str = "bf16",
    batch: int = 1,
    seq: int = 4096,
    shape_source: str = "given",
) -> InferenceMemory:
    """Weights plus the KV cache for ``batch`` sequences of ``seq`` tokens (kipp.ly; with GQA)."""
    weights = params * weight_bytes_per_param(weights_format)
    per_token = shape.kv_cache_bytes_per_token(weight_bytes_per_param(kv_format))
    # A window caps the cache of the layers that use it (all of Mistral's, every other of Gemma 2's).
    window = seq if shape.sliding_window is None else min(seq, shape.sliding_window)
    local = shape.layers if shape.sliding_window_layers is None else shape.sliding_window_layers
    cached = (local * window + (shape.layers - local) * seq) / shape.layers  # tokens per layer, on average
    cache = per_token * cached * batch
    total = weights + cache
    notes = []
    if window < seq and local:
        layers = "every layer" if local == shape.layers else f"{local} of its {shape.layers} layers"
        notes.append(
            f"the KV cache keeps {window:,} of the {seq:,} tokens in {layers}: they attend over a sliding window of {shape.sliding_window:,}"
        )
    if shape.max_positions is not None and seq > shape.max_positions:
        notes.append(f"--seq {seq:,} is beyond the {shape.max_positions:,} positions the model was built for (max_position_embeddings)")
    if shape_source == "suggested":
        notes.append(
            f"KV cache computed for a suggested shape ({shape.layers} layers, {shape.n_kv_heads} KV heads of {shape.dim_head}); give --kv-heads and the shape, or --config, for yours"
        )
    return InferenceMemory(
        params=params,
        shape=shape,
        shape_source=shape_source,
        weights_format=weights_format,
        weights_bytes=weights,
        kv_cache_bytes=cache,
        kv_cache_bytes_per_token=per_token,
        batch=batch,
        seq=seq,
        total_bytes=total,
        gpu=gpu.name,
        gpu_memory_bytes=gpu.memory_bytes,
        fits=total <= gpu.memory_bytes,
        headroom_bytes=gpu.memory_bytes - total,
        largest_batch=max(int((gpu.memory_bytes - weights) // (per_token * cached)), 0),
        gpus_needed=max(math.ceil(total / gpu.memory_bytes), 1),
        notes=notes,
    )
