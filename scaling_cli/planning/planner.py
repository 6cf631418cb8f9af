"""The planner: compute-optimal plans, under the constraints real teams hit, and losses by law.

* :func:`plan`: the law's compute-optimal params and tokens for a FLOP budget (or the least
  compute reaching a target loss), its predicted loss and GPU-hours, and the same budget spent on
  smaller and larger models, each with the compute it would need to match the optimum's loss
  (de Vries 2023, "Go smol or go home"). Optionally under limited unique data (Muennighoff et al.
  2023) and with an inference demand (Sardana et al. 2024).
* :func:`plan_for`: the same from one validated :class:`~scaling_cli.planning.request.PlanRequest`
  (what ``scale plan`` builds from its flags).
* :func:`loss_table`: the predicted loss of one (params, tokens) under every preset.

A plan is its budget section (``sections/allocation.py``), then the optional sections of
:data:`SECTIONS` that the request asks for, in order, each one module that reads its own request
and adds to the draft.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from pydantic import StrictBool

from ..core.compute import DEFAULT_MFU
from ..core.errors import ScaleError
from ..core.units import format_sci
from ..core.validation import Count, Flops, Fraction, NonNegative, Params, Positive, Tokens, checked
from ..hardware.gpus import DEFAULT_GPU, Gpu, get_gpu
from ..laws import DEFAULT_LAW, Law, load_law, load_presets
from .draft import Draft
from .request import PlanRequest
from .result import Plan
from .sections.allocation import allocation

DATA_CONSTRAINED_LAW = "muennighoff"
"""The default law of plans with limited unique data: the one fitted for repeated data."""

SECTIONS: dict[str, Callable[[PlanRequest], bool]] = {
    "data": lambda request: request.data is not None,
    "inference": lambda request: request.inference is not None,
    "run": lambda request: request.gpus is not None,
    "experts": lambda request: request.experts is not None,
    "costs": lambda request: True,
    "tasks": lambda request: bool(request.tasks),
}
"""The optional sections (modules of ``sections/``), in the order they add to a plan and its
notes, each with when a request asks for it. A new section is one module with a
``section(draft, request)`` function, and one line here. A section's module is imported only when
it is asked for: ``scale plan`` without ``--gpus`` never loads the memory model."""


def section_function(name: str) -> Callable[[Draft, PlanRequest], None]:
    """The ``section(draft, request)`` function of ``sections/<name>.py``."""
    module = importlib.import_module(f"{__package__}.sections.{name}")
    function: Callable[[Draft, PlanRequest], None] = module.section
    return function


def resolve_law(law: Law | str | Path | None, unique_tokens: float | None = None) -> Law:
    """A law object; by default ``chinchilla``, or ``muennighoff`` when unique data is limited."""
    if law is None:
        law = DATA_CONSTRAINED_LAW if unique_tokens is not None else DEFAULT_LAW
    if isinstance(law, Law):
        return law
    if not isinstance(law, (str, Path)):
        raise ScaleError(f"law: expected a preset name, a law .toml path or a Law, got {type(law).__name__} {law!r}")
    return load_law(law)


def resolve_gpu(gpu: Gpu | str) -> Gpu:
    return gpu if isinstance(gpu, Gpu) else get_gpu(gpu)


def plan_for(request: PlanRequest) -> Plan:
    """The plan a request asks for: its budget section, then each optional section of :data:`SECTIONS`."""
    law = resolve_law(request.law, request.unique_tokens)
    gpu = resolve_gpu(request.gpu).at_precision(request.precision)
    if (request.flops is None) == (request.target_loss is None):
        raise ScaleError("give exactly one of a FLOP budget and a target loss")
    if request.time_budget and request.flops is not None:
        return _fill_time_budget(request.updated(law=law, gpu=gpu, time_budget=False), request.flops)
    draft = allocation(law, gpu, request)
    for name, asked in SECTIONS.items():
        if asked(request):
            section_function(name)(draft, request)
    return Plan(**draft.fields)


def _fill_time_budget(request: PlanRequest, budget: float) -> Plan:
    """``budget`` came from GPU-hours (or GPUs x days) at the request's MFU: the run's counted FLOPs
    (attention included) must fit that time, so 6ND is smaller by their ratio. The ratio moves
    little with the size: a few fixed-point steps settle it."""
    flops = budget
    for _ in range(4):
        result = plan_for(request.updated(flops=flops))
        assert result.model_flops is not None  # the budget section counts them (the run section, with gpus)
        flops = budget * result.flops / result.model_flops
    result = plan_for(request.updated(flops=flops))
    result.notes.append(f"the time budget holds the FLOPs MFU counts ({format_sci(budget)}): 6ND is {result.flops / budget:.1%} of them")
    return result


@checked
def plan(
    flops: Flops | None = None,
    law: Law | str | None = None,
    gpu: Gpu | str = DEFAULT_GPU,
    mfu: Fraction = DEFAULT_MFU,
    gpus: Count | None = None,
    price_per_gpu_hour: Positive | None = None,
    target_loss: Positive | None = None,
    unique_tokens: Tokens | None = None,
    inference_tokens: NonNegative | None = None,
    inference_mfu: Fraction | None = None,
    synthetic_price: Positive | None = None,
    seq: Count = 4096,
    time_budget: StrictBool = False,
    experts: Count | None = None,
    router: str = "s-base",
    top_k: Count = 1,
    tasks: list[str] | None = None,
    precision: str = "bf16",
) -> Plan:
    """The compute-optimal plan for a budget of ``flops`` (or the least compute reaching ``target_loss``).

    ``unique_tokens`` limits the fresh data (tokens beyond it are repeats); ``inference_tokens``
    adds a lifetime serving demand and the model that minimises training plus serving compute;
    ``synthetic_price`` (USD per million generated tokens) prices the missing unique data. With
    ``gpus``, a run section: a shape for the optimal size, a parallel layout that fits (memory per
    GPU at ``seq`` tokens per sequence), and DeepSeek's batch size and learning rate. With
    ``experts``, the plan's N is the active size of a mixture of experts (``router``, ``top_k``):
    its effective dense size under Clark et al. 2022 and the total parameters memory holds.
    """
    return plan_for(
        PlanRequest.of(
            flops,
            law=law,
            gpu=gpu,
            mfu=mfu,
            gpus=gpus,
            price_per_gpu_hour=price_per_gpu_hour,
            target_loss=target_loss,
            unique_tokens=unique_tokens,
            inference_tokens=inference_tokens,
            inference_mfu=inference_mfu,
            synthetic_price=synthetic_price,
            seq=seq,
            time_budget=time_budget,
            experts=experts,
            router=router,
            top_k=top_k,
            tasks=tasks,
            precision=precision,
        )
    )


@checked
def loss_table(params: Params, tokens: Tokens, laws: list[Law] | None = None) -> dict[str, float | None]:
    """Predicted loss of ``params`` trained on ``tokens`` under each law (``None``: no loss form).

    Losses are comparable only within one law: each was fitted on its own data and tokenizer.
    """
    return {law.name: law.predict_loss(params, tokens) for law in (laws if laws is not None else load_presets())}


def loss_warnings(params: float, tokens: float, laws: list[Law]) -> list[str]:
    """Where (params, tokens) leaves the range each law was fitted on."""
    return [warning for law in laws if law.has_loss for warning in law.range_warnings((), params, tokens)]
