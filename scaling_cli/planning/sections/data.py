"""Limited unique data (Muennighoff et al. 2023): epochs, the effective data and model, and the
unique tokens the plan lacks, priced at a synthetic-data price when one is given."""

from __future__ import annotations

from ...laws.chinchilla import ChinchillaLoss
from ...laws.data_constrained import effective_params, effective_tokens, repetition_regime
from ..draft import Draft
from ..request import PlanRequest


def section(draft: Draft, request: PlanRequest) -> None:
    """With ``data``: epochs, effective data and model, and the unique tokens the plan lacks."""
    assert request.data is not None  # the planner calls a section its request asks for
    law, unique_tokens, price = draft.law, request.data.unique_tokens, request.data.synthetic_price
    tokens = draft.tokens
    # resolve_law gives limited data a data-constrained law (or refuses): its loss is a Chinchilla form.
    assert law.data_constrained is not None and isinstance(law.loss, ChinchillaLoss)
    fresh_params, fresh_tokens = law.optimal(draft.flops)
    gap = max(fresh_tokens - unique_tokens, 0.0)
    draft.fields.update(
        unique_tokens=unique_tokens,
        epochs=tokens / unique_tokens,
        effective_tokens=float(effective_tokens(tokens, unique_tokens, law.data_constrained)),
        effective_params=float(effective_params(draft.params, min(unique_tokens, tokens), law.loss, law.data_constrained)),
        loss_unlimited_data=law.predict_loss(fresh_params, fresh_tokens),
        repetition_regime=repetition_regime(tokens / unique_tokens),
        data_gap_tokens=gap,
        synthetic_price_per_million_tokens=price,
        synthetic_cost=None if price is None else gap / 1e6 * price,
    )
