"""Stored activations per GPU, from the layer's own shape.

Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large Transformer Models", §4.1)
count, tensor by tensor, what a GPT layer keeps for its backward pass (16-bit values, 1-byte
dropout masks), for s tokens per sequence, b sequences and hidden size h. Their total,
s·b·h·(34 + 5·a·s/h), assumes multi-head attention and a 4h GELU MLP. The same count, tensor by
tensor, for the layer a model really has (q = heads x head_dim, kv = kv_heads x head_dim, f = d_ff):

    two LayerNorm inputs                         4·sbh
    attention: QKV input 2sbh, Q 2sbq, K 2sb·kv, V 2sb·kv, output-projection input 2sbq,
               dropout mask sbh                  3·sbh + 4·sbq + 4·sb·kv
    attention core: softmax 2as²b, its dropout mask as²b and output 2as²b      5·a·s²·b
    MLP, GELU (gpt2 style): input 2sbh, GELU input 2sbf and output 2sbf, dropout mask sbh
                                                 3·sbh + 4·sbf
    MLP, SwiGLU or GeGLU (llama style): input 2sbh, gate and up outputs 4sbf, their product 2sbf,
               dropout mask sbh                  3·sbh + 6·sbf

With q = kv = h and f = 4h the GELU layer is Korthikanti's 34·sbh + 5·as²b exactly; Llama 3.1 8B
(GQA with 8 of 32 heads, SwiGLU at 3.5h) stores 36·sbh. Dropout masks are kept as in the paper
(a run without dropout stores 2·sbh less). Tensor parallelism with sequence parallelism divides
everything by t (Table 2); context parallelism gives each rank s/cp of the tokens, whose queries
meet all s keys. Selective recomputation and FlashAttention never store the attention core.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .layout import Layout, Recompute
    from .shape import Shape


def fullest_stage_layers(layers: int, pp: int) -> int:
    """Layers of the fullest of pp pipeline stages: ceil(L/pp). Megatron allows uneven stages
    (Llama 3 405B ran 126 layers on PP 16, Dubey et al. 2024 §3.3.2); memory is the fullest's."""
    return math.ceil(layers / pp)


def mlp_bytes_per_token(shape: Shape, width: int) -> float:
    """One token's stored MLP activations (bytes) at MLP width ``width``, GELU or SwiGLU."""
    matrices = 4.0 if shape.gelu_layer else 6.0
    return 3.0 * shape.d_model + matrices * width


def linear_bytes_per_token(shape: Shape) -> float:
    """One token's stored activations in a layer, outside the attention core (bytes)."""
    h, q, kv = shape.d_model, shape.heads * shape.dim_head, shape.n_kv_heads * shape.dim_head
    norms = 4.0 * h if shape.gelu_layer else 2.0 * shape.layer_norms * h
    attention = 3.0 * h + 4.0 * q + 4.0 * kv
    return norms + attention + mlp_bytes_per_token(shape, shape.d_ff)


def formula(shape: Shape) -> str:
    """Which count the activations use, in words, with its per-token coefficient of s·b·h."""
    coefficient = linear_bytes_per_token(shape) / shape.d_model
    mlp = "GELU MLP" if shape.gelu_layer else "gated MLP (SwiGLU/GeGLU)"
    attention = "multi-head attention" if shape.n_kv_heads == shape.heads else f"grouped-query attention ({shape.n_kv_heads} KV heads)"
    return f"Korthikanti et al. 2022's per-tensor count for this layer ({attention}, {mlp} of {shape.d_ff:,}): {coefficient:.4g}·s·b·h per layer"


def layer_activation_bytes(shape: Shape, layout: Layout, recompute: Recompute | None = None) -> float:
    """One layer's stored activations on one GPU, in bytes."""
    s, b, h, a, t, cp = layout.seq, layout.micro_batch, shape.d_model, shape.heads, layout.tp, layout.cp
    local = s / cp
    recompute = layout.recompute if recompute is None else recompute
    if recompute == "full":
        return 2.0 * local * b * h / t
    core = 0.0 if recompute == "selective" or layout.flash_attention else 5.0 * a * local * s * b / t
    return local * b * linear_bytes_per_token(shape) / t + core


def routed_activation_bytes(shape: Shape, layout: Layout) -> float:
    """What routing adds: each token's MLP activations once per expert it is routed to (k
    copies of the expert's MLP in every MoE layer, in place of the dense MLP). Capacity padding,
    load imbalance and a shared expert are not counted."""
    if not shape.is_moe or layout.recompute == "full":
        return 0.0
    tokens = layout.seq / layout.cp * layout.micro_batch / layout.tp
    routed = shape.experts_per_token * mlp_bytes_per_token(shape, shape.expert_d_ff or shape.d_ff) - mlp_bytes_per_token(shape, shape.d_ff)
    return (shape.layers - shape.dense_layers) * tokens * routed


def activation_bytes(shape: Shape, layout: Layout) -> float:
    """All stored activations of one GPU (the first pipeline stage, the fullest under 1F1B:
    p micro-batches of L/p layers, L layers' worth, §4.2.3)."""
    local, b, h, t = layout.seq / layout.cp, layout.micro_batch, shape.d_model, layout.tp
    held = fullest_stage_layers(shape.layers, layout.pp) * layout.pp  # pp micro-batches of the fullest stage's layers
    layers = held * layer_activation_bytes(shape, layout)
    if layout.recompute == "full":
        # Recomputing a layer in the backward pass materialises its activations again.
        layers += layer_activation_bytes(shape, layout, recompute="selective" if layout.flash_attention else "none")
    # Outside the layers: embeddings, final norm and logits, about 5·sbh + 4·sbV/t (§4.3).
    outside = 5.0 * local * b * h + 4.0 * local * b * shape.vocab / t
    return layers + outside + routed_activation_bytes(shape, layout)
