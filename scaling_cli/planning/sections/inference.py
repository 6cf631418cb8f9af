"""Inference demand: the model that minimises training plus serving compute (Sardana et al. 2024).

"Beyond Chinchilla-Optimal: Accounting for Inference in Language Model Scaling Laws"
(arXiv:2401.00448): a model that will serve T tokens over its life costs 6·N·D to train and
2·N·T to serve. For a quality (a loss) the question is::

    minimise  6·N·D + 2·N·T   subject to  L(N, D) = loss

Along the constraint D is a function of N (:meth:`Law.tokens_for_loss`); training compute is
least at the compute-optimal size N_ref and grows both ways, while serving compute grows with N,
so the answer lies between the smallest N that can reach the loss at all and N_ref. The search
is a grid over log N on that bracket, refined by bounded Brent. As T grows, the best model
shrinks and trains longer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ...core.compute import FLOPS_PER_PARAM_TOKEN, INFERENCE_FLOPS_PER_PARAM_TOKEN, gpu_hours, training_flops
from ...core.errors import ScaleError
from ...hardware.gpus import Gpu
from ...laws import Law
from ..draft import Draft
from ..request import PlanRequest
from ..result import InferencePlan
from .allocation import default_shape, snap

if TYPE_CHECKING:
    from ...hardware.serving import ServingBound

GRID_POINTS = 400
SERVING_KV_HEADS = 8
"""The served shape's key/value heads: grouped-query attention with 8, as Llama 3 uses at every
size (Dubey et al. 2024, Table 3)."""


def smallest_params_for_loss(law: Law, loss: float, reference_params: float, unique_tokens: float | None = None) -> float:
    """The size below which no number of tokens reaches ``loss`` (its floor crosses it)."""
    from scipy.optimize import brentq

    def gap(log_n: float) -> float:
        return law.loss_floor(math.exp(log_n), unique_tokens) - loss  # type: ignore[operator]

    high = math.log(reference_params)
    low = high - 60.0
    if gap(low) <= 0:
        return math.exp(low)
    return math.exp(brentq(gap, low, high, xtol=1e-12, rtol=1e-14))


def total_flops(law: Law, params: float, loss: float, inference_tokens: float, unique_tokens: float | None = None) -> float:
    """Training plus serving compute of ``params`` trained to ``loss`` (inf if it cannot reach it)."""
    tokens = law.tokens_for_loss(params, loss, unique_tokens)
    assert tokens is not None  # callers have checked that the law has a loss form
    return FLOPS_PER_PARAM_TOKEN * params * tokens + INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens


def inference_optimal(
    law: Law,
    loss: float,
    inference_tokens: float,
    reference_params: float,
    unique_tokens: float | None = None,
    reference_tokens: float | None = None,
) -> tuple[float, float]:
    """The (params, tokens) reaching ``loss`` with the least training-plus-serving compute.

    ``reference_params`` (trained on ``reference_tokens``) is the compute-optimal model of that
    loss, the search's upper end: where no smaller size reaches the loss (a data-constrained
    plateau, where more epochs no longer lower it), that model is the answer itself.
    """
    from scipy.optimize import minimize_scalar

    if law.loss is None:
        raise ScaleError(f"law {law.name!r} has no loss form: it cannot say which smaller model matches a quality")
    if inference_tokens == 0:
        return reference_params, law.tokens_for_loss(reference_params, loss, unique_tokens)  # type: ignore[return-value]
    floor = smallest_params_for_loss(law, loss, reference_params, unique_tokens)
    low, high = math.log(floor) + 1e-9, math.log(reference_params)
    step = (high - low) / (GRID_POINTS - 1)
    grid = [low + i * step for i in range(GRID_POINTS)]
    values = [total_flops(law, math.exp(x), loss, inference_tokens, unique_tokens) for x in grid]
    best = min(range(GRID_POINTS), key=values.__getitem__)
    if not math.isfinite(values[best]):
        if reference_tokens is not None:
            return reference_params, reference_tokens  # nothing smaller reaches the plan's own loss: the plan is inference-optimal
        raise ScaleError(f"no model size reaches loss {loss:g} under {law.name}")
    bracket = (grid[max(best - 1, 0)], grid[min(best + 1, GRID_POINTS - 1)])
    found = minimize_scalar(
        lambda x: total_flops(law, math.exp(x), loss, inference_tokens, unique_tokens),
        bounds=bracket,
        method="bounded",
        options={"xatol": 1e-10},
    )
    if not found.success:
        raise ScaleError(f"the inference-optimal search did not converge: {found.message}")
    params = math.exp(found.x)
    return params, law.tokens_for_loss(params, loss, unique_tokens)  # type: ignore[return-value]


def serving_mfu(params: float, gpu: Gpu, seq: int, given: float | None) -> tuple[float, ServingBound | None]:
    """The serving MFU of ``params`` and the roofline bound behind it (None when given)."""
    if given is not None:
        return given, None
    from ...hardware.serving import decode_bound
    from ...hardware.shape import suggest_shapes

    shape = suggest_shapes(params, count=1)[0]
    if shape.heads % SERVING_KV_HEADS == 0:
        shape = shape.model_copy(update={"kv_heads": SERVING_KV_HEADS})
    bound = decode_bound(params, shape.kv_cache_bytes_per_token(), gpu.at_precision("bf16"), context=seq)
    return bound.mfu, bound


def section(draft: Draft, request: PlanRequest) -> None:
    """The inference-optimal model and what serving costs: its own MFU (given, or the decoding
    roofline's bound for each size) and GPU-hours (cost and days: the costs section)."""
    assert request.inference is not None  # the planner calls a section its request asks for
    law, gpu, mfu, flops, params, loss = draft.law, draft.gpu, request.mfu, draft.flops, draft.params, draft.loss
    inference_tokens, given_mfu, seq = request.inference.tokens, request.inference.mfu, request.seq
    if loss is None:
        raise ScaleError(f"law {law.name!r} has no loss form: inference-aware plans compare models of equal loss")
    serving = INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens
    best_params, best_tokens = inference_optimal(law, loss, inference_tokens, params, request.unique_tokens, draft.tokens)
    train = training_flops(best_params, best_tokens)
    best_serving = INFERENCE_FLOPS_PER_PARAM_TOKEN * best_params * inference_tokens
    serving_gpu = gpu.at_precision("bf16")  # bf16 weights served: their peak
    reference_mfu, reference_bound = serving_mfu(params, gpu, seq, given_mfu)
    best_mfu, best_bound = serving_mfu(best_params, gpu, seq, given_mfu)
    best = InferencePlan(
        params=best_params,
        tokens=best_tokens,
        tokens_per_param=best_tokens / best_params,
        train_flops=train,
        inference_flops=best_serving,
        total_flops=train + best_serving,
        # What MFU counts (attention too), for the smaller model's own default shape, as the plan counts its own.
        train_gpu_hours=gpu_hours(default_shape(best_params).counted_flops(best_tokens, seq, best_params), gpu.peak_flops, mfu),
        inference_gpu_hours=gpu_hours(best_serving, serving_gpu.peak_flops, best_mfu),
        inference_mfu=best_mfu,
        serving=best_bound,
    )
    draft.fields.update(
        inference_tokens=inference_tokens,
        inference_flops=serving,
        total_flops=flops + serving,
        inference_mfu=reference_mfu,
        inference_mfu_source="given" if given_mfu is not None else "roofline",
        serving=reference_bound,
        inference_gpu_hours=gpu_hours(serving, serving_gpu.peak_flops, reference_mfu),
        inference_optimal=best,
        total_flops_saving=snap(1.0 - best.total_flops / (flops + serving)),
    )
