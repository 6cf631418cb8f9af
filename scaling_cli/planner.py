"""The planner: compute-optimal plans, over-training trade-offs, and losses under every law.

* :func:`plan`: the law's compute-optimal params and tokens for a FLOP budget, its predicted
  loss and GPU-hours, and the same budget spent on smaller and larger models, each with the
  compute it would need to match the optimum's loss (de Vries 2023, "Go smol or go home").
* :func:`overtrain`: a fixed model size trained on more and more tokens (LLaMA-style), against
  the compute-optimal model that reaches the same loss: the extra training compute, the
  inference compute saved per token, and the break-even number of inference tokens.
* :func:`loss_table`: the predicted loss of one (params, tokens) under every preset.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from .compute import (
    DEFAULT_MFU,
    HOURS_PER_DAY,
    INFERENCE_FLOPS_PER_PARAM_TOKEN,
    gpu_hours,
    training_flops,
)
from .errors import ScaleError
from .hardware import DEFAULT_GPU, Gpu, get_gpu
from .laws import DEFAULT_LAW, Law, load_law, load_presets
from .units import format_count
from .validation import Count, Fraction, Positive, checked

SIZE_RATIOS = (1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0)
"""Model sizes of a plan's variants, as multiples of the compute-optimal size."""

OVERTRAIN_RATIOS = (20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
"""Default tokens-per-parameter rows of :func:`overtrain`."""


class Variant(BaseModel):
    """The plan's budget spent on another model size."""

    size_ratio: float
    params: float
    tokens: float
    tokens_per_param: float
    loss: float | None
    loss_penalty: float | None
    """Loss above the compute-optimal model's (None: the law has no loss form)."""
    compute_overhead: float | None
    """Extra compute, as a fraction of the budget, this size needs to reach the optimum's loss
    (negative: less). None where that loss is out of reach for the size, or no loss form."""


class Plan(BaseModel):
    law: str
    law_title: str
    params_counted: str
    flops: float
    params: float
    tokens: float
    tokens_per_param: float
    loss: float | None
    gpu: str
    mfu: float
    gpu_hours: float
    gpus: int | None
    days: float | None
    price_per_gpu_hour: float | None
    cost: float | None
    variants: list[Variant]
    notes: list[str]


class OvertrainRow(BaseModel):
    tokens: float
    tokens_per_param: float
    flops: float
    gpu_hours: float
    loss: float | None
    optimal_params: float | None
    """The compute-optimal model that reaches the same loss (None: no loss form)."""
    optimal_tokens: float | None
    optimal_flops: float | None
    compute_overhead: float | None
    """flops / optimal_flops - 1: 0.25 means 25 % more training compute than necessary."""
    inference_flops_saved_per_token: float | None
    """2 * (optimal_params - params): negative when this model is the larger one."""
    breakeven_inference_tokens: float | None
    """Inference tokens after which the saved inference compute repays the extra training
    compute. None when this model saves nothing at inference (it is not the smaller one)."""


class Overtrain(BaseModel):
    law: str
    law_title: str
    params_counted: str
    params: float
    loss_floor: float | None
    """The loss this model size approaches with unlimited tokens (None: no loss form)."""
    gpu: str
    mfu: float
    target_loss: float | None
    target_tokens: float | None
    rows: list[OvertrainRow]
    notes: list[str]


def _snap(fraction: float) -> float:
    """Round-off from inverting the loss (~1e-15) is not an overhead: show the optimum's as 0."""
    return 0.0 if abs(fraction) < 1e-9 else fraction


def resolve_law(law: Law | str) -> Law:
    return law if isinstance(law, Law) else load_law(law)


def resolve_gpu(gpu: Gpu | str) -> Gpu:
    return gpu if isinstance(gpu, Gpu) else get_gpu(gpu)


def law_notes(law: Law) -> list[str]:
    """What a reader must know before trusting this law's numbers."""
    notes = []
    if law.params_counted != "total":
        notes.append(f"{law.name} counts parameters as {law.params_counted}, not total parameters.")
    if not law.has_loss:
        notes.append(f"{law.name} has no loss form: losses, penalties and equal-loss comparisons are not defined.")
    return notes


@checked
def plan(
    flops: Positive,
    law: Law | str = DEFAULT_LAW,
    gpu: Gpu | str = DEFAULT_GPU,
    mfu: Fraction = DEFAULT_MFU,
    gpus: Count | None = None,
    price_per_gpu_hour: Positive | None = None,
) -> Plan:
    """The compute-optimal plan for a budget of ``flops`` under ``law``."""
    law, gpu = resolve_law(law), resolve_gpu(gpu)
    params, tokens = law.optimal(flops)
    loss = law.predict_loss(params, tokens)
    hours = gpu_hours(flops, gpu.peak_flops, mfu)
    variants = [_variant(law, flops, params * ratio, ratio, loss) for ratio in SIZE_RATIOS]
    return Plan(
        law=law.name,
        law_title=law.title,
        params_counted=law.params_counted,
        flops=flops,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=loss,
        gpu=gpu.name,
        mfu=mfu,
        gpu_hours=hours,
        gpus=gpus,
        days=None if gpus is None else hours / gpus / HOURS_PER_DAY,
        price_per_gpu_hour=price_per_gpu_hour,
        cost=None if price_per_gpu_hour is None else hours * price_per_gpu_hour,
        variants=variants,
        notes=law_notes(law),
    )


def _variant(law: Law, flops: float, params: float, ratio: float, optimal_loss: float | None) -> Variant:
    tokens = flops / training_flops(params, 1.0)
    loss = law.predict_loss(params, tokens)
    overhead = None
    if optimal_loss is not None:
        needed = law.tokens_for_loss(params, optimal_loss)
        if math.isfinite(needed):
            overhead = _snap(training_flops(params, needed) / flops - 1.0)
    return Variant(
        size_ratio=ratio,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=loss,
        loss_penalty=None if loss is None else loss - optimal_loss,
        compute_overhead=overhead,
    )


@checked
def overtrain(
    params: Positive,
    law: Law | str = DEFAULT_LAW,
    tokens_per_param: list[Positive] | None = None,
    tokens: list[Positive] | None = None,
    target_loss: Positive | None = None,
    gpu: Gpu | str = DEFAULT_GPU,
    mfu: Fraction = DEFAULT_MFU,
) -> Overtrain:
    """A model of ``params`` parameters trained on more and more tokens, against compute-optimal.

    Rows are ``tokens`` if given, else ``tokens_per_param`` ratios (default 20 to 1000), plus
    the token count that reaches ``target_loss`` when one is asked for.
    """
    law, gpu = resolve_law(law), resolve_gpu(gpu)
    if tokens is not None and tokens_per_param is not None:
        raise ScaleError("give token counts or tokens-per-parameter ratios, not both")
    counts = list(tokens) if tokens is not None else [params * r for r in (tokens_per_param or OVERTRAIN_RATIOS)]
    floor = law.loss_floor(params)
    target_tokens = None
    if target_loss is not None:
        if floor is None:
            raise ScaleError(f"law {law.name!r} has no loss form: it cannot say which token count reaches loss {target_loss:g}")
        target_tokens = law.tokens_for_loss(params, target_loss)
        if not math.isfinite(target_tokens):
            raise ScaleError(
                f"loss {target_loss:g} is unreachable for a {format_count(params)}-parameter model under "
                f"{law.name}: no number of tokens takes it below {floor:.4f}"
            )
        counts.append(target_tokens)
    rows = [_overtrain_row(law, gpu, mfu, params, count) for count in sorted(counts)]
    notes = law_notes(law)
    return Overtrain(
        law=law.name,
        law_title=law.title,
        params_counted=law.params_counted,
        params=params,
        loss_floor=floor,
        gpu=gpu.name,
        mfu=mfu,
        target_loss=target_loss,
        target_tokens=target_tokens,
        rows=rows,
        notes=notes,
    )


def _overtrain_row(law: Law, gpu: Gpu, mfu: float, params: float, tokens: float) -> OvertrainRow:
    flops = training_flops(params, tokens)
    loss = law.predict_loss(params, tokens)
    optimal = None if loss is None else law.optimal_for_loss(loss)
    row = dict(
        tokens=tokens,
        tokens_per_param=tokens / params,
        flops=flops,
        gpu_hours=gpu_hours(flops, gpu.peak_flops, mfu),
        loss=loss,
        optimal_params=None,
        optimal_tokens=None,
        optimal_flops=None,
        compute_overhead=None,
        inference_flops_saved_per_token=None,
        breakeven_inference_tokens=None,
    )
    if optimal is not None:
        optimal_params, optimal_tokens = optimal
        optimal_flops = training_flops(optimal_params, optimal_tokens)
        saved = INFERENCE_FLOPS_PER_PARAM_TOKEN * (optimal_params - params)
        extra = flops - optimal_flops
        row.update(
            optimal_params=optimal_params,
            optimal_tokens=optimal_tokens,
            optimal_flops=optimal_flops,
            compute_overhead=_snap(flops / optimal_flops - 1.0),
            inference_flops_saved_per_token=saved,
            breakeven_inference_tokens=max(extra, 0.0) / saved if saved > 0 else None,
        )
    return OvertrainRow(**row)


@checked
def loss_table(params: Positive, tokens: Positive, laws: list[Law] | None = None) -> dict[str, float | None]:
    """Predicted loss of ``params`` trained on ``tokens`` under each law (``None``: no loss form).

    Losses are comparable only within one law: each was fitted on its own data and tokenizer.
    """
    return {law.name: law.predict_loss(params, tokens) for law in (laws if laws is not None else load_presets())}
