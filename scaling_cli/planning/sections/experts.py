"""A plan's model as a mixture of experts: effective dense size, total vs active parameters.

The plan's size N is what every token computes with (the active parameters: C = 6 N D holds for
them). Clark et al. 2022's layout: every ``1/routing_frequency``-th layer replaces its
feed-forward block by E experts, each the dense block's size, with a router of d x E weights,
and routes each token to k of them. Counted per layer, for a model of L layers and width d whose
feed-forward block holds M parameters (R = L x routing frequency routed layers)::

    total = N_1 + R ((E - 1) M + E d),     active = N_1 + R ((k - 1) M + E d)

with N_1 the dense model (embeddings, attention, norms and the one-expert MLPs). Clark et al.'s
released models hold exactly this (M = 8 d^2: a 4 d MLP without biases; within 0.03 % of
``total_parameter_count`` for every routed run). Without a given shape the dense model is the
planner's suggested one for the size (a SwiGLU MLP of 8/3 d: M = 8 d^2 too).

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
from .allocation import default_shape

ROUTERS = {"s-base": "clark-sbase", "rl-r": "clark-rlr", "hash": "clark-hash"}
"""``--router`` names and the Clark et al. preset of each (S-Base is the paper's main router)."""
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


def routed_total_params(
    dense_params: float, experts: int, d_model: int, layers: int, mlp_params: float, routing_frequency: float = ROUTING_FREQUENCY
) -> float:
    """Every parameter of Clark et al.'s layout: the dense model plus, in each routed layer, E - 1
    more copies of its feed-forward block (``mlp_params``) and a d x E router."""
    routed_layers = layers * routing_frequency
    return dense_params + routed_layers * ((experts - 1) * mlp_params + experts * d_model)


def moe_plan(params: float, experts: int, router: str = "s-base", top_k: int = 1) -> MoePlan:
    """The MoE reading of a plan whose active size is ``params``."""
    if router not in ROUTERS:
        raise ScaleError(f"--router {router!r}: expected one of {', '.join(ROUTERS)}")
    if not (isinstance(experts, int) and 1 <= experts <= MAX_EXPERTS):
        raise ScaleError(f"--experts {experts!r}: expected a whole number of experts from 1 to {MAX_EXPERTS:,}")
    if not (isinstance(top_k, int) and 1 <= top_k <= experts):
        raise ScaleError(f"--top-k {top_k!r}: expected a whole number from 1 to the {experts} experts")
    preset = load_family_preset(ROUTERS[router])
    shape = default_shape(params)
    mlp = 3 * shape.d_model * shape.d_ff if not shape.gelu_layer else 2 * shape.d_model * shape.d_ff
    routed_layers = shape.layers * ROUTING_FREQUENCY
    # The plan's N is active: it holds k experts and the routers in each routed layer.
    one_expert = params - routed_layers * ((top_k - 1) * mlp + experts * shape.d_model)
    total = routed_total_params(one_expert, experts, shape.d_model, shape.layers, mlp)
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
