"""Memory per GPU as eager PyTorch / Hugging Face training really uses it (``--framework pytorch``).

Megatron's accounting (``activations.py``) counts bf16 activations and bf16 weights. Plain
PyTorch training keeps fp32 weights and runs the step under ``torch.autocast(bfloat16)``: the
residual stream stays fp32, RMSNorm upcasts, every linear layer casts its input (and autocast
caches a bf16 copy of its weight), and the loss upcasts the logits. Counted tensor by tensor from
what autograd saves (``bench/memory_torch.py``: ``saved_tensors_hooks`` by module, and
``torch.cuda.max_memory_allocated`` over whole steps; recorded in
``tests/data/memory_torch.json``: seven public Llama-style configs of 135M-1.7B on an H200, torch
2.11, transformers 5.17, micro-batch 1-16, sequences 1k-8k, checkpointing on and off). For
h = d_model, q = heads x head_dim, kv = kv_heads x head_dim, f = d_ff, a = heads, V = vocab, in
bytes per token:

    each RMSNorm: its fp32 input and normalised output         8h
    attention: 3 bf16 casts of its input 6h, q 2q, k and v 4kv (SDPA keeps them, not repeated
               for grouped-query heads), its output 2q, fp32 log-sum-exp 4a   6h + 4q + 4kv + 4a
    gated MLP: 2 bf16 casts of its input 4h, gate, its SiLU, up and their product 2f each
                                                                4h + 8f
    outside the layers: final norm 8h, lm_head's cast 2h, the loss's fp32 log-softmax 4V,
               RoPE's fp32 cos and sin 8·head_dim per position, token ids and labels 16

and autocast's bf16 copy of every linear weight, lm_head included (2 bytes each), held until
the backward pass frees it. The step peaks where one of three moments does:

    at the loss, backward starting: weights + moments + weight copies + saved activations + 8V
        per token (the log-softmax output, its gradient and the logits' gradient, all fp32);
    with checkpointing, the end of the forward pass (autocast's cache still holds every weight
        copy, 6V per token) and the recomputation of the first layer (every gradient allocated,
        one layer's activations beside the checkpointed layer inputs, 4h per token per layer);
    after the backward pass: weights, moments and gradients (4 + 8 + 4 bytes per parameter).

Measured, this is within 5 % of the peak allocated at all 215 points, the two configs held out
from the derivation included (``tests/test_memory_pytorch.py``).
The caching allocator reserves 2-23 % more than it allocates (``reserved_peak_bytes``): what the
headroom rule (``memory.TIGHT_HEADROOM``) is for.

Sharding (ZeRO / FSDP over dp ranks) divides the moments (stage 1), gradients (2) and fp32
weights (3). The bf16 weight copies are counted whole: the backward pass saves each layer's
gathered copy. FSDP's own gather buffers (a layer or two) are not counted. Tensor, pipeline and
context parallelism are Megatron's; this count is of one process's eager step.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel

from ..core.errors import ScaleError
from .layout import Layout
from .shape import Shape

WEIGHT_BYTES = 4.0
"""fp32 parameters: the module as built (``torch_dtype`` float32) under ``torch.autocast``."""
GRADIENT_BYTES = 4.0
"""fp32 gradients, in the parameters' dtype."""
MOMENT_BYTES = 8.0
"""``torch.optim.AdamW``'s exp_avg and exp_avg_sq, fp32 like the parameters."""
COPY_BYTES = 2.0
"""autocast's bf16 copy of each linear weight."""
LOSS_PEAK_VALUES = 8.0
"""Bytes per token per vocabulary entry at the loss in the backward pass: log-softmax's saved fp32
output, the gradient arriving at it and the gradient it sends to the logits (4 + 4 + 4, of which
the first is counted with the saved activations)."""
OPTIMIZER_SOURCE = "torch.optim.AdamW on fp32 parameters: 4 bytes of weights, 4 of gradients, 8 of moments per parameter"
MAX_DP = 10_000_000
"""The most data-parallel ranks searched (``Layout.dp``'s own bound)."""
FORWARD_LOSS_VALUES = 6.0
"""At the end of the forward pass: the bf16 logits (2) and their fp32 upcast (4), beside the saved log-softmax."""


class EagerMemory(BaseModel):
    """One GPU's memory in an eager PyTorch step, at its peak."""

    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    weight_copies_bytes: float
    activations_bytes: float
    """Activations saved for the backward pass at the peak (with checkpointing: the layer inputs and one layer's)."""
    transient_bytes: float
    """Held only at the peak: the loss's fp32 tensors."""
    total_bytes: float
    peak: str
    """Where the step peaks: 'loss', 'forward end', 'recompute' or 'after backward'."""


def check_supported(shape: Shape, layout: Layout) -> None:
    """What the eager count covers: one process's step of a Llama-style dense model under AdamW."""
    if shape.gelu_layer:
        raise ScaleError(
            f"--framework pytorch is measured for Llama-style layers (RMSNorm, gated MLP); a {shape.style} layer is counted by --framework megatron"
        )
    if shape.is_moe:
        raise ScaleError("--framework pytorch is measured for dense models; a mixture of experts is counted by --framework megatron")
    if layout.tp > 1 or layout.pp > 1 or layout.cp > 1 or layout.ep > 1:
        raise ScaleError(
            "--framework pytorch counts one process's eager step (ZeRO/FSDP over --dp); tensor, pipeline, context and expert parallelism are --framework megatron's"
        )
    if layout.recompute == "selective":
        raise ScaleError("--framework pytorch: --recompute none or full (gradient checkpointing); selective recomputation is Megatron's")
    if layout.optimizer != "adamw":
        raise ScaleError(f"--framework pytorch is measured with torch.optim.AdamW (--optimizer adamw), not {layout.optimizer!r}")


def linear_weights(shape: Shape) -> int:
    """Weights that autocast copies to bf16: every linear layer's, lm_head's included (tied or not)."""
    return sum(fan_in * fan_out * count for fan_in, fan_out, count in shape.linear_matrices()) + shape.vocab * shape.d_model


def layer_bytes_per_token(shape: Shape) -> float:
    """One layer's saved activations per token, without checkpointing."""
    h, q, kv, f = shape.d_model, shape.heads * shape.dim_head, shape.n_kv_heads * shape.dim_head, shape.d_ff
    norms = 8.0 * h * shape.layer_norms + 8.0 * (q + kv) * shape.qk_norm
    attention = 6.0 * h + 4.0 * q + 4.0 * kv + 4.0 * shape.heads
    mlp = 4.0 * h + 8.0 * f
    return norms + attention + mlp


def outside_bytes(shape: Shape, layout: Layout) -> float:
    """Saved outside the layers, for a micro-batch: final norm, lm_head's input, the loss, RoPE, ids."""
    tokens = layout.micro_batch * layout.seq
    return tokens * (10.0 * shape.d_model + 4.0 * shape.vocab + 16.0) + 8.0 * shape.dim_head * layout.seq


def eager_memory(params: float, shape: Shape, layout: Layout) -> EagerMemory:
    """The peak of one eager PyTorch training step on one GPU (see the module's docstring)."""
    check_supported(shape, layout)
    ranks = layout.dp
    weights = WEIGHT_BYTES * params / (ranks if layout.zero >= 3 else 1)
    gradients = GRADIENT_BYTES * params / (ranks if layout.zero >= 2 else 1)
    moments = MOMENT_BYTES * params / (ranks if layout.zero >= 1 else 1)
    copies = COPY_BYTES * linear_weights(shape)
    tokens = layout.micro_batch * layout.seq
    vocab, layers = shape.vocab, shape.layers
    outside = outside_bytes(shape, layout)
    resident = weights + moments
    if layout.recompute == "full":
        inputs = tokens * layers * 4.0 * shape.d_model  # each checkpointed layer keeps its fp32 input
        head_copy = COPY_BYTES * vocab * shape.d_model
        moments_of_peak = {
            "forward end": (copies, inputs + outside, FORWARD_LOSS_VALUES * vocab * tokens, 0.0),
            "loss": (head_copy, inputs + outside, LOSS_PEAK_VALUES * vocab * tokens, 0.0),
            "recompute": (0.0, inputs + tokens * layer_bytes_per_token(shape), 0.0, gradients),
        }
    else:
        saved = tokens * layers * layer_bytes_per_token(shape) + outside
        moments_of_peak = {"loss": (copies, saved, LOSS_PEAK_VALUES * vocab * tokens, 0.0)}
    moments_of_peak["after backward"] = (0.0, 0.0, 0.0, gradients)
    peak, (held_copies, activations, transient, held_gradients) = max(moments_of_peak.items(), key=lambda item: sum(item[1]))
    return EagerMemory(
        weights_bytes=weights,
        gradients_bytes=gradients,
        optimizer_bytes=moments,
        weight_copies_bytes=held_copies,
        activations_bytes=activations,
        transient_bytes=transient,
        total_bytes=resident + held_copies + activations + transient + held_gradients,
        peak=peak,
    )


class EagerFit(BaseModel):
    largest_micro_batch: int
    bytes_per_sequence: float
    """What one more sequence per micro-batch adds at the peak (from micro-batch 1 to 2)."""
    fewest_dp: int | None
    fewest_zero: int = 0


def largest(fits: Callable[[int], bool], limit: int) -> int:
    """The largest n in [0, limit] with fits(n), for fits true up to some n and false beyond."""
    low, high = 0, 1
    while high <= limit and fits(high):
        low, high = high, 2 * high
    high = min(high, limit + 1)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    return low


def eager_fit(params: float, shape: Shape, layout: Layout, capacity: float) -> EagerFit:
    """The largest micro-batch that fits ``capacity`` bytes at ``layout``, and the fewest
    data-parallel ranks (then the lowest ZeRO stage) that fit at its micro-batch: the peak falls
    as dp grows, so both are searches over the same count."""

    def total(**update: int) -> float:
        return eager_memory(params, shape, layout.model_copy(update=update)).total_bytes

    fewest: tuple[int, int] | None = None
    for zero in range(4):
        if total(dp=MAX_DP, zero=zero) > capacity:
            continue

        def too_few(dp: int, zero: int = zero) -> bool:
            return total(dp=dp, zero=zero) > capacity

        dp = largest(too_few, MAX_DP) + 1
        if fewest is None or dp < fewest[0]:
            fewest = (dp, zero)
    return EagerFit(
        largest_micro_batch=largest(lambda b: total(micro_batch=b) <= capacity, 1_000_000),
        bytes_per_sequence=total(micro_batch=2) - total(micro_batch=1),
        fewest_dp=None if fewest is None else fewest[0],
        fewest_zero=0 if fewest is None else fewest[1],
    )


def describe(memory: EagerMemory) -> str:
    """Where the step peaks, in words, for the notes."""
    where = {
        "loss": "at the loss as the backward pass starts (before any gradient exists)",
        "forward end": "at the end of the forward pass (autocast still holds every bf16 weight copy)",
        "recompute": "recomputing the first layer (every gradient allocated)",
        "after backward": "after the backward pass (weights, gradients and AdamW moments)",
    }[memory.peak]
    return (
        "framework pytorch: eager PyTorch / Hugging Face (fp32 weights, bf16 autocast, AdamW, SDPA attention), counted from "
        f"measured steps (bench/memory_torch.py); the step peaks {where}"
    )
