"""A plan's model as a mixture of experts: effective dense size, total vs active parameters.

The plan's size N is what every token computes with (the active parameters: C = 6 N D holds for
them). Clark et al. 2022's layout: every ``1/routing_frequency``-th layer replaces its
feed-forward block by E experts, each the dense block's size, and routes each token to k of them.
With f the feed-forward share of the parameters (2/3 for d_ff = 4 d, and for SwiGLU with
d_ff = 8/3 d: 8 L d^2 of 12 L d^2, Kaplan et al. 2020 Table 1) and F = f · freq · N_1 the routed
feed-forward parameters of the one-expert model N_1::

    active = N_1 + (k - 1) F,     total = N_1 + (E - 1) F

Memory holds the total (every expert's weights, gradients and optimizer state); compute runs on
the active. The effective dense size is the authors' ``effective_param_count`` under the
preset's constants (``laws/routed.py``), defined for k = 1, the routing the law was fitted on.
"""

from __future__ import annotations

from pydantic import BaseModel

from ...core.errors import ScaleError
from ...core.units import format_count
from ...laws.preset import load_family_preset
from ...laws.routed import dense_equivalent_note, effective_params
from ..draft import Draft
from ..request import PlanRequest

ROUTERS = {"s-base": "clark-sbase", "rl-r": "clark-rlr", "hash": "clark-hash"}
"""``--router`` names and the Clark et al. preset of each (S-Base is the paper's main router)."""
FFN_SHARE = 2 / 3
"""Feed-forward share of the non-embedding parameters: 8 L d^2 of 12 L d^2 (Kaplan et al. 2020, Table 1)."""
ROUTING_FREQUENCY = 0.5
"""Every other layer routed: the routing frequency of Clark et al.'s fits (their example.ipynb selection)."""
MAX_EXPERTS = 4096


class MoePlan(BaseModel):
    experts: int
    top_k: int
    router: str
    routing_frequency: float
    active_params: float
    """Parameters each token computes with: the plan's N."""
    total_params: float
    """Every expert held: what memory must store."""
    effective_params: float | None
    """The dense size with the same loss under Clark et al.'s law (k = 1 only)."""
    effective_ratio: float | None
    model_state_bytes: float
    """bf16 weights and gradients and fp32 Adam state of the total parameters (16 bytes each), unsharded."""
    source: str
    claim: str | None
    """The source article's '8 experts ~ a dense model twice its size' at this size."""
    warnings: list[str] = []


def moe_plan(params: float, experts: int, router: str = "s-base", top_k: int = 1) -> MoePlan:
    """The MoE reading of a plan whose active size is ``params``."""
    if router not in ROUTERS:
        raise ScaleError(f"--router {router!r}: expected one of {', '.join(ROUTERS)}")
    if not (isinstance(experts, int) and 1 <= experts <= MAX_EXPERTS):
        raise ScaleError(f"--experts {experts!r}: expected a whole number of experts from 1 to {MAX_EXPERTS:,}")
    if not (isinstance(top_k, int) and 1 <= top_k <= experts):
        raise ScaleError(f"--top-k {top_k!r}: expected a whole number from 1 to the {experts} experts")
    preset = load_family_preset(ROUTERS[router])
    routed = FFN_SHARE * ROUTING_FREQUENCY
    one_expert = params / (1 + (top_k - 1) * routed)
    total = one_expert * (1 + (experts - 1) * routed)
    warnings = []
    effective = ratio = claim = None
    if top_k == 1:
        effective = float(effective_params(params, float(experts), **preset.constants))
        ratio = effective / params
        claim = dense_equivalent_note(ratio, experts)
        low, high = preset.fitted_range["params"]
        if params > high or params < low:
            beyond = params / high if params > high else low / params
            warnings.append(
                f"{params:.3g} active parameters are {beyond:.3g}x {'beyond' if params > high else 'below'} the "
                f"{low:.3g}-{high:.3g} {preset.name} was fitted on: the effective size extrapolates Clark et al.'s law"
            )
        if experts > preset.fitted_range["experts"][1]:
            warnings.append(f"{experts} experts: beyond the {preset.fitted_range['experts'][1]:g} {preset.name} was fitted on")
    else:
        warnings.append(f"Clark et al.'s law was fitted with one expert per token: no effective dense size for top-{top_k} routing")
    from ...hardware.memory import get_optimizer

    adam = get_optimizer("adamw")
    state = total * (adam.weight_bytes + adam.gradient_bytes + adam.optimizer_bytes)
    return MoePlan(
        experts=experts,
        top_k=top_k,
        router=router,
        routing_frequency=ROUTING_FREQUENCY,
        active_params=params,
        total_params=total,
        effective_params=effective,
        effective_ratio=ratio,
        model_state_bytes=state,
        source=f"{preset.citation} (preset {preset.name})",
        claim=claim,
        warnings=warnings,
    )


def section(draft: Draft, request: PlanRequest) -> None:
    """With ``experts``: the plan's N as the active size; the total memory holds, the effective size."""
    assert request.experts is not None  # the planner calls a section its request asks for
    experts, params = request.experts.count, draft.params
    draft.fields["moe"] = moe = moe_plan(params, experts, request.experts.router, request.experts.top_k)
    draft.warn(moe.warnings)
    draft.notes.append(
        f"with {experts} experts the plan's {format_count(params)} parameters are the active ones (compute, 6ND); memory holds "
        f"all {format_count(moe.total_params)}" + ("; the run section sizes a dense shape" if request.gpus is not None else "")
    )
