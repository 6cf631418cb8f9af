"""The budget and its compute-optimal allocation: the section every plan starts from.

The law's compute-optimal params and tokens for a FLOP budget (or the least compute reaching a
target loss), its predicted loss and GPU-hours, and the same budget spent on smaller and larger
models, each with the compute it would need to match the optimum's loss (de Vries 2023, "Go smol
or go home").
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ...core.compute import HOURS_PER_DAY, gpu_hours, training_flops
from ...core.errors import ScaleError
from ...core.validation import FLOPS_RANGE
from ...hardware.gpus import Gpu
from ...hardware.shape import Shape, suggest_shapes
from ...laws import Law
from ...laws.law import plannable_warnings
from ..draft import Draft
from ..request import PlanRequest
from ..result import Variant

SIZE_RATIOS = (1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0)
"""Model sizes of a plan's variants, as multiples of the compute-optimal size."""


def snap(fraction: float) -> float:
    """Round-off from inverting the loss (~1e-15) is not an overhead: show the optimum's as 0."""
    return 0.0 if abs(fraction) < 1e-9 else fraction


def law_notes(law: Law) -> list[str]:
    """What a reader must know before trusting this law's numbers."""
    notes = []
    if law.params_counted != "total":
        notes.append(f"{law.name} counts parameters as {law.params_counted}, not total parameters.")
    if not law.has_loss:
        notes.append(f"{law.name} has no loss form: losses, penalties and equal-loss comparisons are not defined.")
    return notes


def negative_overhead_note(law: Law, overheads: Iterable[float | None]) -> list[str]:
    """Why a compute overhead can be negative: said beside the numbers, not only in README."""
    if not any(o is not None and o < -1e-9 for o in overheads):
        return []
    return [
        f"negative compute overheads: {law.name}'s allocation does not minimise its own loss form at fixed compute "
        "(see `scale laws " + law.name + "`), so another size reaches the same loss with less compute than its "
        "'optimum' needs"
    ]


def default_shape(params: float) -> Shape:
    """The Llama-style shape the planner assumes for ``params`` when none is given (the first of
    :func:`~scaling_cli.hardware.shape.suggest_shapes`): what MFU's attention term is counted for."""
    return suggest_shapes(params, count=1)[0]


def counted_note(shape: Shape, flops: float, model_flops: float, seq: int) -> str:
    """How the GPU-hours were counted, for a shape the user did not give."""
    return (
        f"GPU-hours count the FLOPs MFU counts (PaLM, App. B: 6 x the matmul parameters + attention at {seq:,}-token "
        f"sequences), {model_flops / flops - 1:+.1%} against 6ND, for a suggested shape of {shape.layers} layers x d_model "
        f"{shape.d_model}; --gpus (or --seq) changes it"
    )


def flops_for_loss(law: Law, target_loss: float, unique_tokens: float | None = None) -> float:
    """The least training compute whose compute-optimal model reaches ``target_loss``."""
    if law.loss is None:
        raise ScaleError(f"law {law.name!r} has no loss form: it cannot say what compute reaches loss {target_loss:g}")
    optimum = law.optimal_for_loss(target_loss, unique_tokens)
    if optimum is None:
        if unique_tokens is not None:
            limit = law.loss_limit(unique_tokens)
            raise ScaleError(
                f"loss {target_loss:g} is unreachable under {law.name} with {unique_tokens:.3g} unique tokens: no budget "
                f"goes below {limit:.4f} on that data, however often it is repeated"
            )
        raise ScaleError(
            f"loss {target_loss:g} is unreachable under {law.name}: it is at or below the irreducible loss "
            f"E = {law.loss.irreducible_loss:.4f}"
        )
    return training_flops(*optimum)


def budget_flops(law: Law, request: PlanRequest) -> float:
    """The request's FLOP budget, or the least compute that reaches its target loss."""
    if request.target_loss is None:
        assert request.flops is not None
        return request.flops
    flops = flops_for_loss(law, request.target_loss, request.unique_tokens)
    if flops > FLOPS_RANGE[1]:
        raise ScaleError(
            f"loss {request.target_loss:g} needs {flops:.2g} FLOPs under {law.name}, beyond the {FLOPS_RANGE[1]:.0e} the "
            "planner covers: no budget reaches it"
        )
    if flops < FLOPS_RANGE[0]:
        raise ScaleError(
            f"--target-loss {request.target_loss:g}: {law.name} reaches it with {flops:.2g} FLOPs, below the {FLOPS_RANGE[0]:.0e} the "
            "planner covers: a target loss above what any real run trains to is not a plan (expected a loss near the law's "
            f"range, e.g. {law.predict_loss(*law.optimal(1e20)) or 0:.3g} at 1e20 FLOPs)"
        )
    return flops


def variant(law: Law, flops: float, params: float, ratio: float, optimal_loss: float | None, unique_tokens: float | None) -> Variant:
    """The budget spent on ``params``, and the compute that size needs to match the optimum's loss."""
    tokens = flops / training_flops(params, 1.0)
    loss = law.predict_loss(params, tokens, unique_tokens)
    overhead = None
    if optimal_loss is not None:
        needed = law.tokens_for_loss(params, optimal_loss, unique_tokens)
        if needed is not None and math.isfinite(needed):
            overhead = snap(training_flops(params, needed) / flops - 1.0)
    return Variant(
        size_ratio=ratio,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=loss,
        loss_penalty=None if loss is None or optimal_loss is None else loss - optimal_loss,
        compute_overhead=overhead,
    )


def allocation(law: Law, gpu: Gpu, request: PlanRequest) -> Draft:
    """The plan's first section: the budget, its compute-optimal model and the variants."""
    flops = budget_flops(law, request)
    unique_tokens, gpus, price = request.unique_tokens, request.gpus, request.price_per_gpu_hour
    params, tokens = law.optimal(flops, unique_tokens)
    # Below one parameter or one token the optimum is no model at all (a law file with alpha =
    # 1e-9 planned 9e-7 parameters on 2e28 tokens): refused, not printed. (Far-out allocations of
    # real laws are answered, with NOT PLANNABLE: Kaplan's at 1e30 FLOPs.)
    if not (params >= 1.0 and tokens >= 1.0):
        raise ScaleError(
            f"{law.name}'s optimum at {flops:.3g} FLOPs is {params:.3g} parameters on {tokens:.3g} tokens: not a model one could "
            "train; check the law's exponents"
        )
    loss = law.predict_loss(params, tokens, unique_tokens)
    # MFU (PaLM, App. B) counts attention: GPU-hours divide the FLOPs it counts, for a default
    # shape of this size until the run section (--gpus) gives the run's own.
    shape = default_shape(params)
    model_flops = shape.counted_flops(tokens, request.seq, params)
    hours = gpu_hours(model_flops, gpu.peak_flops, request.mfu)
    variants = [variant(law, flops, params * ratio, ratio, loss, unique_tokens) for ratio in SIZE_RATIOS]
    fields = dict(
        law=law.name,
        law_title=law.title,
        params_counted=law.params_counted,
        flops=flops,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=loss,
        gpu=gpu.name,
        mfu=request.mfu,
        gpu_hours=hours,
        model_flops=model_flops,
        precision=gpu.precision,
        gpus=gpus,
        days=None if gpus is None else hours / gpus / HOURS_PER_DAY,
        price_per_gpu_hour=price,
        cost=None if price is None else hours * price,
        variants=variants,
        target_loss=request.target_loss,
        notes=law_notes(law)
        + [counted_note(shape, flops, model_flops, request.seq)] * (gpus is None)
        + negative_overhead_note(law, [v.compute_overhead for v in variants]),
        warnings=plannable_warnings(law, flops, params, tokens)
        + [f"{law.name}: {caveat}" for caveat in law.caveats]
        + law.range_warnings(flops, params, tokens),
        plannable=not plannable_warnings(law, flops, params, tokens),
    )
    return Draft(law=law, gpu=gpu, flops=flops, params=params, tokens=tokens, loss=loss, fields=fields)
