"""The vocabulary a budget implies (Tao et al. 2024), beside the shape's fixed default.

Tao et al.'s Approach 1 law (preset ``tao-vocab``, ``laws/vocabulary.py``) gives the
compute-optimal vocabulary parameters N_v = V·d for C FLOPs; the vocabulary for the shape's
width is N_v / d. What it changes: V·d more (or fewer) embedding parameters, twice that untied,
and 6·ΔV·d FLOPs per token for the output head.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from ...laws.preset import load_family_preset
from ...laws.vocabulary import vocab_for_budget

if TYPE_CHECKING:
    from ...hardware.shape import Shape

PRESET = "tao-vocab"


class VocabSuggestion(BaseModel):
    flops: float
    """The budget the suggestion is for."""
    vocab: int
    vocab_params: float
    """Tao et al.'s N_v = V·d for the budget (one embedding matrix)."""
    current_vocab: int
    params_change: float
    """Parameters the suggested vocabulary adds to the shape (both matrices when untied)."""
    head_flops_change: float
    """Training FLOPs per token the output head adds (6·ΔV·d)."""
    source: str
    warnings: list[str] = []


def vocab_suggestion(flops: float, shape: Shape) -> VocabSuggestion:
    preset = load_family_preset(PRESET)
    vocab, vocab_params = vocab_for_budget(flops, shape.d_model, **preset.constants)
    delta = vocab - shape.vocab
    matrices = 1 if shape.tied_embeddings or shape.style == "gpt2" else 2
    low, high = preset.fitted_range["flops"]
    warnings = []
    if flops > high or flops < low:
        ratio = flops / high if flops > high else low / flops
        warnings.append(
            f"{flops:.3g} FLOPs are {ratio:.3g}x {'beyond' if flops > high else 'below'} the {low:.2g}-{high:.2g} "
            f"Tao et al.'s vocabulary law was fitted on: the suggested vocabulary extrapolates it"
        )
    return VocabSuggestion(
        flops=flops,
        vocab=vocab,
        vocab_params=vocab_params,
        current_vocab=shape.vocab,
        params_change=matrices * delta * shape.d_model,
        head_flops_change=6.0 * delta * shape.d_model,
        source=preset.citation,
        warnings=warnings,
    )


def vocab_for_shape(shape: Shape) -> VocabSuggestion:
    """The suggestion for the budget whose compute-optimal non-vocabulary size is this shape's
    (Tao et al.'s N_nv = k C^0.5 inverted, as their script's ``Nnvopt_to_flops`` does)."""
    extra = load_family_preset(PRESET).extra
    flops = (shape.non_embedding_params / extra["nonvocab_k"]) ** (1 / extra["nonvocab_gamma"])
    return vocab_suggestion(flops, shape)
