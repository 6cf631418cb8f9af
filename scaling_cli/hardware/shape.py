"""Decoder-only transformer shapes: exact parameter counts, FLOPs per token, and shapes for a size.

Two layouts, counted exactly (``../shared/reference/facts.md`` E; matches the Hugging Face totals):

* ``llama``: RMSNorm, SwiGLU MLP (gate, up, down), rotary positions, no biases, grouped-query
  attention (``kv_heads`` may be fewer than ``heads``), untied embeddings unless ``tied``::

      per layer = d·(h·d_h) + 2·d·(h_kv·d_h) + (h·d_h)·d + 3·d·d_ff + 2·d
      total     = L·per layer + V·d (embedding) + V·d (untied head) + d (final norm)

  A mixture-of-experts layer holds ``experts`` MLPs and a router (d·E); a token uses
  ``experts_per_token`` of them, so active parameters count only those.
* ``gpt2``: LayerNorm with bias, biases everywhere, GELU MLP, learned positions, tied head::

      per layer = 4d² + 4d (attention) + 2·d·d_ff + d_ff + d (MLP) + 4d (two LayerNorms)
      total     = L·per layer + V·d + T·d (positions) + 2d (final LayerNorm)

* ``neox`` (GPT-NeoX, Pythia): the gpt2 layer with rotary positions (no position table) and an
  untied output head unless ``tied``: total = L·per layer + 2·V·d + 2d.

Gemma's layers are the llama layer with a GeGLU MLP (three matrices, as SwiGLU) and a tied head;
Gemma 2 adds two norms per layer (``layer_norms`` = 4).

Embedding parameters are the token (and position) embeddings and an untied output head; the rest
is non-embedding, the N of Kaplan et al. 2020 (about 12·L·d², their eq. 2.1).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from ..core.validation import Checked

ASPECT_RANGE = (32.0, 256.0)
"""d_model / layers of published models: 64 (GPT-3 Small, 768/12), 128 (Llama 2 7B, GPT-3
175B), 102 (Llama 2 70B, Chinchilla), 205 (Gopher); Kaplan et al. 2020 (section 3.1) find the
loss nearly flat across such ratios."""

SHAPE_SEARCH_MAX = 1e18
"""The largest model a shape is searched for: the presets plan up to 5e17 parameters at 1e32
FLOPs (Kaplan's and FLAME-MoE's allocations), the planner's largest budget."""
SHAPE_TOLERANCE = 0.02
"""Suggested shapes land within 2 % of the target parameter count."""

FFN_MULTIPLE = 256
"""Llama rounds the SwiGLU width 8/3·d_model up to a multiple of 256 (4096 -> 11008)."""


class Shape(Checked):
    """A decoder-only transformer's shape."""

    layers: int = Field(ge=1)
    d_model: int = Field(ge=1)
    heads: int = Field(ge=1)
    kv_heads: int | None = Field(default=None, ge=1)
    head_dim: int | None = Field(default=None, ge=1)
    d_ff: int = Field(ge=1, description="width of the dense MLP")
    vocab: int = Field(ge=1)
    style: Literal["llama", "gpt2", "neox"] = "llama"
    tied_embeddings: bool = False
    max_seq: int = Field(default=2048, ge=1, description="learned positions (gpt2 style)")
    max_positions: int | None = Field(
        default=None, ge=1, description="the longest context the model was built for (max_position_embeddings)"
    )
    sliding_window: int | None = Field(
        default=None, ge=1, description="attention window (Mistral): the KV cache keeps at most this many tokens"
    )
    sliding_window_layers: int | None = Field(
        default=None, ge=0, description="layers that attend over the window (Gemma 2: every other one); None: all"
    )
    layer_norms: int = Field(default=2, ge=0, le=8, description="norm weight vectors per llama-style layer (Gemma 2: 4)")
    qkv_bias: bool = Field(default=False, description="biases on the q, k, v projections (Qwen2)")
    o_bias: bool = Field(default=False, description="a bias on the output projection (Llama attention_bias)")
    mlp_bias: bool = False
    qk_norm: bool = Field(default=False, description="RMSNorm on queries and keys per head (Qwen3)")
    experts: int = Field(default=1, ge=1)
    experts_per_token: int = Field(default=1, ge=1)
    expert_d_ff: int | None = Field(default=None, ge=1, description="width of each expert's MLP (default d_ff)")
    shared_expert_d_ff: int = Field(default=0, ge=0, description="width of an always-on shared expert (Qwen2-MoE)")
    shared_expert_gate: bool = False
    dense_layers: int = Field(default=0, ge=0, description="layers with a dense MLP in a mixture-of-experts model")

    @model_validator(mode="after")
    def _consistent(self) -> Shape:
        if self.head_dim is None and self.d_model % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide d_model ({self.d_model}), or give head_dim")
        if self.kv_heads is not None and self.heads % self.kv_heads:
            raise ValueError(f"kv_heads ({self.kv_heads}) must divide heads ({self.heads})")
        if self.experts_per_token > self.experts:
            raise ValueError(f"experts_per_token ({self.experts_per_token}) exceeds experts ({self.experts})")
        if self.dense_layers > self.layers:
            raise ValueError(f"dense_layers ({self.dense_layers}) exceeds layers ({self.layers})")
        if self.gelu_layer and (self.experts > 1 or self.n_kv_heads != self.heads):
            raise ValueError(f"the {self.style} layout has neither grouped-query attention nor experts")
        if self.sliding_window_layers is not None and self.sliding_window_layers > self.layers:
            raise ValueError(f"sliding_window_layers ({self.sliding_window_layers}) exceeds layers ({self.layers})")
        return self

    @property
    def dim_head(self) -> int:
        return self.head_dim or self.d_model // self.heads

    @property
    def n_kv_heads(self) -> int:
        return self.kv_heads or self.heads

    @property
    def gelu_layer(self) -> bool:
        """GPT-2 and GPT-NeoX layers: LayerNorm and biases, a two-matrix GELU MLP."""
        return self.style in ("gpt2", "neox")

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    def _attention(self) -> int:
        d, q, kv = self.d_model, self.heads * self.dim_head, self.n_kv_heads * self.dim_head
        if self.gelu_layer:
            return 4 * d * d + 4 * d
        weights = d * q + 2 * d * kv + q * d
        biases = (q + 2 * kv) * self.qkv_bias + d * self.o_bias
        return weights + biases + 2 * self.dim_head * self.qk_norm

    def _mlp(self, width: int) -> int:
        d = self.d_model
        if self.gelu_layer:
            return 2 * d * width + width + d
        return 3 * d * width + (2 * width + d) * self.mlp_bias

    def _moe_mlp(self) -> int:
        """Every expert, the router, and a shared expert with its gate."""
        d = self.d_model
        shared = self._mlp(self.shared_expert_d_ff) if self.shared_expert_d_ff else 0
        return self.experts * self._mlp(self.expert_d_ff or self.d_ff) + d * self.experts + shared + d * self.shared_expert_gate

    def _norms(self) -> int:
        return 4 * self.d_model if self.gelu_layer else self.layer_norms * self.d_model

    @property
    def embedding_params(self) -> int:
        """Token embeddings, learned positions (gpt2) and an untied output head."""
        embed = self.vocab * self.d_model
        if self.style == "gpt2":
            embed += self.max_seq * self.d_model
        return embed + (0 if self.tied_embeddings or self.style == "gpt2" else self.vocab * self.d_model)

    @property
    def non_embedding_params(self) -> int:
        """Kaplan's N: every weight but the embeddings (the final norm included)."""
        sparse = self.layers - self.dense_layers if self.is_moe else 0
        mlp = (self.layers - sparse) * self._mlp(self.d_ff) + sparse * self._moe_mlp()
        final_norm = 2 * self.d_model if self.gelu_layer else self.d_model
        return self.layers * (self._attention() + self._norms()) + mlp + final_norm

    @property
    def params(self) -> int:
        """Total parameters."""
        return self.embedding_params + self.non_embedding_params

    @property
    def active_params(self) -> int:
        """Parameters a token passes through (total, less the experts it is not routed to)."""
        if not self.is_moe:
            return self.params
        idle = (self.layers - self.dense_layers) * (self.experts - self.experts_per_token) * self._mlp(self.expert_d_ff or self.d_ff)
        return self.params - idle

    @property
    def expert_params(self) -> int:
        """The routed experts' weights (what expert parallelism shards): 0 for a dense model."""
        if not self.is_moe:
            return 0
        return (self.layers - self.dense_layers) * self.experts * self._mlp(self.expert_d_ff or self.d_ff)

    def linear_matrices(self) -> list[tuple[int, int, int]]:
        """The weight matrices of the blocks as (fan_in, fan_out, how many): what LoRA adapts and
        QLoRA quantises. Embeddings, the output head, norms and routers are not among them."""
        d, q, kv = self.d_model, self.heads * self.dim_head, self.n_kv_heads * self.dim_head
        L = self.layers
        if self.gelu_layer:
            return [(d, 3 * d, L), (d, d, L), (d, self.d_ff, L), (self.d_ff, d, L)]
        matrices = [(d, q, L), (d, kv, 2 * L), (q, d, L)]
        sparse = self.layers - self.dense_layers if self.is_moe else 0
        widths = [(self.d_ff, L - sparse)]
        if sparse:
            widths.append((self.expert_d_ff or self.d_ff, sparse * self.experts))
            if self.shared_expert_d_ff:
                widths.append((self.shared_expert_d_ff, sparse))
        for width, count in widths:
            matrices += [(d, width, 2 * count), (width, d, count)]
        return [m for m in matrices if m[2] > 0]

    @property
    def aspect_ratio(self) -> float:
        return self.d_model / self.layers

    def attention_flops_per_token(self, seq: int) -> float:
        """PaLM's attention term, 12·L·H·Q·T: both attention matmuls, forward and backward, non-causal."""
        return 12.0 * self.layers * self.heads * self.dim_head * seq

    @property
    def matmul_params(self) -> int:
        """The active parameters a token multiplies by: all but the lookups. The input embedding
        (and gpt2's learned positions) is a table lookup, not a matmul; the output head is one
        matmul of V x d, tied or not."""
        return self.active_params - self.embedding_params + self.vocab * self.d_model

    def flops_per_token(self, seq: int) -> float:
        """Training FLOPs per token as MFU counts them (PaLM, App. B): 6 x the matmul parameters
        (the active ones, the input embedding lookup left out) + 12·L·H·Q·T for attention."""
        return 6.0 * self.matmul_params + self.attention_flops_per_token(seq)

    def counted_flops(self, tokens: float, seq: int, params: float | None = None) -> float:
        """Training FLOPs of ``tokens`` tokens as MFU counts them (:meth:`flops_per_token`), scaled
        to ``params`` active parameters when this shape stands for a model of that size."""
        scale = 1.0 if params is None else params / self.active_params
        return tokens * self.flops_per_token(seq) * scale

    def kv_cache_bytes_per_token(self, bytes_per_value: float = 2.0) -> float:
        """K and V for every layer: 2 · layers · kv_heads · head_dim · bytes (kipp.ly; GQA)."""
        return 2.0 * self.layers * self.n_kv_heads * self.dim_head * bytes_per_value


def fits(shape: Shape, target_params: float) -> bool:
    """Within 2 % of the target, with a published aspect ratio."""
    return abs(shape.params / target_params - 1) <= SHAPE_TOLERANCE and ASPECT_RANGE[0] <= shape.aspect_ratio <= ASPECT_RANGE[1]


def swiglu_width(d_model: int) -> int:
    """Llama's SwiGLU width: 8/3·d_model rounded up to a multiple of 256."""
    return FFN_MULTIPLE * math.ceil(8 * d_model / 3 / FFN_MULTIPLE)


def default_head_dim(d_model: int) -> int:
    """128 (Llama) from d_model 1024; 64 below, as small published models use (GPT-3 Small, Pythia)."""
    return 128 if d_model >= 1024 else 64


def candidate(d_model: int, layers: int, vocab: int, tied: bool = False, draft: Shape | None = None) -> Shape:
    """The Llama-style shape of that width and depth. With ``draft`` (a checked shape of the same
    vocabulary), a copy of it without pydantic's validation: for the hundreds of drafts a search
    ranks; the ones it returns are checked."""
    head_dim = default_head_dim(d_model)
    sizes = dict(layers=layers, d_model=d_model, heads=d_model // head_dim, d_ff=swiglu_width(d_model))
    if draft is not None:
        return draft.model_copy(update=sizes)
    return Shape(**sizes, vocab=vocab, tied_embeddings=tied)


SHAPES_MAX = 1_000
"""The most shapes one call suggests."""


def suggest_shapes(target_params: float, vocab: int = 32_000, tied: bool = False, count: int = 5) -> list[Shape]:
    """Llama-style shapes near ``target_params`` total parameters, best first.

    For each d_model (a multiple of 128), the layer count that comes closest. Shapes within 2 %
    of the target and with an aspect ratio in ``ASPECT_RANGE`` rank first (closest to the
    aspect ratio of 128 that Llama and GPT-3 use); failing that, the least miss of count and
    aspect range together. A target
    below the smallest shape (the embeddings of a large vocabulary) gets that smallest shape:
    callers compare ``params`` with the target and say so.
    """
    from ..core.errors import ScaleError, positive, whole
    from ..core.validation import COUNT_RANGE

    # Below the smallest shape, that shape (see above); above SHAPE_SEARCH_MAX, refused.
    target_params = positive("target parameters", target_params, (0.0, SHAPE_SEARCH_MAX), "parameters")
    vocab = whole("vocab", vocab, *COUNT_RANGE)
    count = whole("count", count, 1, SHAPES_MAX)
    if not isinstance(tied, bool):
        raise ScaleError(f"tied: expected True or False, got {tied!r}"[:200])
    shapes: list[Shape] = []
    ranked_first = 0
    draft = candidate(128, 1, vocab, tied)
    for d_model in range(128, 65_537, 128):
        # A layer holds at least 8·d_model² (q, k, v, o and a SwiGLU of 8/3 width hold 12), so the
        # layer count is at most target / (8·d_model²) + 1/2: once that bounds the aspect ratio
        # above the range and enough shapes rank first, wider ones cannot change the answer.
        if ranked_first >= count and d_model / (target_params / (8 * d_model**2) + 0.5) > ASPECT_RANGE[1]:
            break
        unit = candidate(d_model, 1, vocab, tied, draft=draft)
        per_layer = unit.non_embedding_params - d_model  # one layer, without the final norm
        room = target_params - unit.embedding_params - d_model
        if unit.embedding_params > 2 * target_params and shapes:
            break  # wider models only add embeddings
        shapes.append(candidate(d_model, max(1, round(room / per_layer)), vocab, tied, draft=draft))
        ranked_first += fits(shapes[-1], target_params)

    def rank(shape: Shape) -> tuple[float, ...]:
        # Within 2 % and of a published aspect ratio first, closest to 128. Failing that, the
        # least total miss in log units: of the count, plus of the aspect range (a 63-layer,
        # 128-wide model hits a count but is no model anyone trains).
        aspect = shape.aspect_ratio
        if fits(shape, target_params):
            # Head counts divisible by 8 split evenly over a node's tensor-parallel ranks.
            return (0, shape.heads % 8 != 0, abs(math.log(aspect / 128)))
        outside = max(0.0, math.log(ASPECT_RANGE[0] / aspect), math.log(aspect / ASPECT_RANGE[1]))
        return (1, False, abs(math.log(shape.params / target_params)) + outside)

    return [Shape.model_validate(dict(shape)) for shape in sorted(shapes, key=rank)[:count]]
