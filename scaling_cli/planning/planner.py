"""The planner: compute-optimal plans, under the constraints real teams hit, and losses by law.

* :func:`plan`: the law's compute-optimal params and tokens for a FLOP budget (or the least
  compute reaching a target loss), its predicted loss and GPU-hours, and the same budget spent on
  smaller and larger models, each with the compute it would need to match the optimum's loss
  (de Vries 2023, "Go smol or go home"). Optionally under limited unique data (Muennighoff et al.
  2023) and with an inference demand (Sardana et al. 2024).
* :func:`loss_table`: the predicted loss of one (params, tokens) under every preset.
"""

from __future__ import annotations

from pathlib import Path

import math

from pydantic import BaseModel, SerializeAsAny

from ..core.compute import (
    DEFAULT_MFU,
    HOURS_PER_DAY,
    INFERENCE_FLOPS_PER_PARAM_TOKEN,
    gpu_hours,
    training_flops,
)
from ..core.errors import ScaleError
from ..hardware.gpus import DEFAULT_GPU, Gpu, get_gpu
from ..laws import DEFAULT_LAW, Law, load_law, load_presets
from ..core.units import format_count, format_sci
from ..core.validation import FLOPS_RANGE, Count, Flops, Fraction, NonNegative, Params, Positive, Tokens, checked

DATA_CONSTRAINED_LAW = "muennighoff"
"""The default law of plans with limited unique data: the one fitted for repeated data."""

SIZE_RATIOS = (1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0)
"""Model sizes of a plan's variants, as multiples of the compute-optimal size."""


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


class InferencePlan(BaseModel):
    """The model of equal loss that minimises training plus serving compute (Sardana et al. 2024)."""

    params: float
    tokens: float
    tokens_per_param: float
    train_flops: float
    inference_flops: float
    total_flops: float
    train_gpu_hours: float
    inference_gpu_hours: float
    inference_mfu: float = 0.0
    """Serving MFU: given (``--inference-mfu``) or the decoding roofline's bound for this size."""
    serving: SerializeAsAny[BaseModel] | None = None
    """The roofline bound (a scaling_cli.hardware.serving.ServingBound) when no serving MFU was given."""
    train_cost: float | None = None
    inference_cost: float | None = None
    train_days: float | None = None
    inference_days: float | None = None
    """Serving the lifetime tokens on the plan's GPU count, back to back."""


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
    precision: str = "bf16"
    """The matmul precision whose dense peak GPU-hours divide by (``--precision``)."""
    gpus: int | None
    days: float | None
    price_per_gpu_hour: float | None
    cost: float | None
    variants: list[Variant]
    target_loss: float | None = None
    """Set when the plan is the least compute reaching this loss (the inverse of a FLOP budget)."""
    # Limited unique data (Muennighoff et al. 2023).
    unique_tokens: float | None = None
    epochs: float | None = None
    effective_tokens: float | None = None
    effective_params: float | None = None
    loss_unlimited_data: float | None = None
    """The same budget's optimal loss with unlimited fresh data."""
    repetition_regime: str | None = None
    data_gap_tokens: float | None = None
    """Unique tokens short of what the unlimited-data plan trains on (0: none missing)."""
    synthetic_price_per_million_tokens: float | None = None
    synthetic_cost: float | None = None
    # Inference demand (Sardana et al. 2024).
    inference_tokens: float | None = None
    inference_flops: float | None = None
    """Serving compute of the compute-optimal model: 2 N T."""
    total_flops: float | None = None
    inference_mfu: float | None = None
    """Serving MFU of the compute-optimal model: given, or its decoding roofline's bound."""
    inference_mfu_source: str | None = None
    """'given' (--inference-mfu) or 'roofline' (scaling_cli.hardware.serving.decode_bound)."""
    serving: SerializeAsAny[BaseModel] | None = None
    inference_gpu_hours: float | None = None
    inference_cost: float | None = None
    inference_days: float | None = None
    inference_optimal: InferencePlan | None = None
    total_flops_saving: float | None = None
    """1 - (inference-optimal total) / (compute-optimal total)."""
    # From a plan to a run (with gpus): a shape, a parallel layout, batch size and learning rate.
    # Typed loosely so that `scale plan` does not import the memory model at start-up: `run` is a
    # scaling_cli.planning.sections.run.RunPlan and `shape` a scaling_cli.hardware.shape.Shape.
    run: SerializeAsAny[BaseModel] | None = None
    shape: SerializeAsAny[BaseModel] | None = None
    memory_per_gpu_bytes: float | None = None
    batch_size_tokens: float | None = None
    learning_rate: float | None = None
    model_flops: float | None = None
    """With a run section: the training FLOPs as MFU counts them (PaLM, App. B: 6 x the matmul
    parameters + 12·L·H·Q·T per token), which ``gpu_hours`` then divides by MFU x peak."""
    attention_flops_per_token: float | None = None
    tasks: list[SerializeAsAny[BaseModel]] = []
    """With ``tasks``: the planned model's predicted benchmark scores (scaling_cli.planning.sections.tasks.TaskScore)."""
    moe: SerializeAsAny[BaseModel] | None = None
    """With ``experts``: the plan's N as the active parameters of a mixture of experts (a
    scaling_cli.planning.sections.experts.MoePlan: effective dense size, total vs active, memory of every expert)."""
    vocab_suggestion: SerializeAsAny[BaseModel] | None = None
    """With a run section: the vocabulary Tao et al. 2024's law implies for the budget."""
    notes: list[str]
    warnings: list[str] = []
    """Where the answer leaves the range the law was fitted on, and by how far."""


def snap(fraction: float) -> float:
    """Round-off from inverting the loss (~1e-15) is not an overhead: show the optimum's as 0."""
    return 0.0 if abs(fraction) < 1e-9 else fraction


def resolve_law(law: Law | str | None, unique_tokens: float | None = None) -> Law:
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


def law_notes(law: Law) -> list[str]:
    """What a reader must know before trusting this law's numbers."""
    notes = []
    if law.params_counted != "total":
        notes.append(f"{law.name} counts parameters as {law.params_counted}, not total parameters.")
    if not law.has_loss:
        notes.append(f"{law.name} has no loss form: losses, penalties and equal-loss comparisons are not defined.")
    return notes


def negative_overhead_note(law: Law, overheads) -> list[str]:
    """Why a compute overhead can be negative: said beside the numbers, not only in README."""
    if not any(o is not None and o < -1e-9 for o in overheads):
        return []
    return [f"negative compute overheads: {law.name}'s allocation does not minimise its own loss form at fixed compute "
            "(see `scale laws " + law.name + "`), so another size reaches the same loss with less compute than its "
            "'optimum' needs"]


def _attention_note(params: float, seq: int) -> str:
    """How much attention would add to 6ND, for a typical shape of this size (d_model ~ 128 x
    layers, so N ~ 12 L d^2 gives d ~ (128 N / 12)^(1/3)): 12·L·d·T / (6·12·L·d^2) = T / (6 d)."""
    d_model = (128 * params / 12) ** (1 / 3)
    return (f"GPU-hours count 6ND: the attention that MFU includes (12·L·H·Q·T per token) would add roughly "
            f"{seq / (6 * d_model):.0%} at {seq:,}-token sequences for this size; --gpus gives a shape and counts it")


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
    time_budget: bool = False,
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
    law, gpu = resolve_law(law, unique_tokens), resolve_gpu(gpu).at_precision(precision)
    if (flops is None) == (target_loss is None):
        raise ScaleError("give exactly one of a FLOP budget and a target loss")
    if time_budget and gpus is not None:
        # ``flops`` came from GPU-hours (or GPUs x days) at this MFU: the run's counted FLOPs
        # (attention included) must fit that time, so 6ND is smaller by their ratio. The ratio
        # moves little with the size: a few fixed-point steps settle it.
        arguments = dict(law=law, gpu=gpu, mfu=mfu, gpus=gpus, price_per_gpu_hour=price_per_gpu_hour, unique_tokens=unique_tokens,
                         inference_tokens=inference_tokens, inference_mfu=inference_mfu, synthetic_price=synthetic_price, seq=seq, experts=experts,
                         router=router, top_k=top_k, tasks=tasks, precision=precision)
        budget = flops
        for _ in range(4):
            result = plan(flops, **arguments)
            flops = budget * result.flops / result.model_flops
        result = plan(flops, **arguments)
        result.notes.append(f"the time budget holds the FLOPs MFU counts ({format_sci(budget)}): 6ND is {result.flops / budget:.1%} of them")
        return result
    if synthetic_price is not None and unique_tokens is None:
        raise ScaleError("--synthetic-price needs --unique-tokens: the price applies to the unique tokens you lack")
    if target_loss is not None:
        flops = flops_for_loss(law, target_loss, unique_tokens)
        if flops > FLOPS_RANGE[1]:
            raise ScaleError(
                f"loss {target_loss:g} needs {flops:.2g} FLOPs under {law.name}, beyond the {FLOPS_RANGE[1]:.0e} the planner "
                "covers: no budget reaches it"
            )
    params, tokens = law.optimal(flops, unique_tokens)
    loss = law.predict_loss(params, tokens, unique_tokens)
    hours = gpu_hours(flops, gpu.peak_flops, mfu)
    result = dict(
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
        precision=gpu.precision,
        gpus=gpus,
        days=None if gpus is None else hours / gpus / HOURS_PER_DAY,
        price_per_gpu_hour=price_per_gpu_hour,
        cost=None if price_per_gpu_hour is None else hours * price_per_gpu_hour,
        variants=[_variant(law, flops, params * ratio, ratio, loss, unique_tokens) for ratio in SIZE_RATIOS],
        target_loss=target_loss,
        notes=law_notes(law) + [_attention_note(params, seq)] * (gpus is None),
        warnings=law.range_warnings(flops, params, tokens),
    )
    result["notes"] += negative_overhead_note(law, [v.compute_overhead for v in result["variants"]])
    if unique_tokens is not None:
        result.update(_data_constrained(law, flops, params, tokens, loss, unique_tokens, synthetic_price))
    if inference_tokens is not None:
        result.update(_inference(law, gpu, mfu, flops, params, loss, inference_tokens, unique_tokens, inference_mfu, seq))
    if gpus is not None:
        from .sections.run import run_plan

        run = run_plan(params, flops, gpu, gpus, seq=seq)
        shape = run.shape
        # MFU, as PaLM defines it and as the 40 % default is quoted, counts attention and leaves
        # the embedding lookup out: GPU-hours divide those FLOPs, not 6ND, by it.
        counted = shape.counted_flops(tokens, seq, params)
        hours = gpu_hours(counted, gpu.peak_flops, mfu)
        result.update(
            run=run, shape=shape, memory_per_gpu_bytes=run.memory.total_bytes,
            batch_size_tokens=run.batch_size_tokens, learning_rate=run.learning_rate,
            model_flops=counted, attention_flops_per_token=shape.attention_flops_per_token(seq), gpu_hours=hours,
            days=hours / gpus / HOURS_PER_DAY,
            cost=None if price_per_gpu_hour is None else hours * price_per_gpu_hour,
        )
        result["notes"].append(
            f"GPU-hours count the FLOPs MFU counts (PaLM, App. B): 6 x the matmul parameters + attention at {seq:,}-token "
            f"sequences, {counted / flops - 1:+.1%} against 6ND"
        )
        if law.params_counted != "total":
            result["notes"].append(f"the run's shape is sized by total parameters; {law.name}'s N counts {law.params_counted}")
        from .sections.vocab import vocab_suggestion

        # Advisory, not the answer asked for: its own warnings stay with it (check --strict
        # fails on a plan's warnings, not on a suggestion's).
        result["vocab_suggestion"] = vocab_suggestion(flops, shape)
    _serving_costs(result, price_per_gpu_hour, gpus, gpu, mfu, seq)
    if experts is not None:
        from .sections.experts import moe_plan

        result["moe"] = moe = moe_plan(params, experts, router, top_k)
        result["warnings"] = result["warnings"] + moe.warnings
        result["notes"].append(
            f"with {experts} experts the plan's {format_count(params)} parameters are the active ones (compute, 6ND); memory holds "
            f"all {format_count(moe.total_params)}" + ("; the run section sizes a dense shape" if gpus is not None else ""))
    elif top_k != 1 or router != "s-base":
        raise ScaleError("--router and --top-k describe a mixture of experts: give --experts too")
    if gpu.precision == "fp8":
        result["notes"].append(f"GPU-hours at {gpu.name}'s dense FP8 peak ({gpu.fp8_tflops:,.0f} TFLOP/s): MFU is a fraction of that peak, "
                               "and FP8 runs reach a lower one than BF16 runs (measure yours with `scale mfu`)")
    if tasks:
        from .sections.tasks import task_scores

        result["tasks"] = task_scores(tasks, params, tokens, result.get("shape"), law.params_counted)
    return Plan(**result)


def _variant(law: Law, flops: float, params: float, ratio: float, optimal_loss: float | None, unique_tokens) -> Variant:
    tokens = flops / training_flops(params, 1.0)
    loss = law.predict_loss(params, tokens, unique_tokens)
    overhead = None
    if optimal_loss is not None:
        needed = law.tokens_for_loss(params, optimal_loss, unique_tokens)
        if math.isfinite(needed):
            overhead = snap(training_flops(params, needed) / flops - 1.0)
    return Variant(
        size_ratio=ratio,
        params=params,
        tokens=tokens,
        tokens_per_param=tokens / params,
        loss=loss,
        loss_penalty=None if loss is None else loss - optimal_loss,
        compute_overhead=overhead,
    )


def _data_constrained(law, flops, params, tokens, loss, unique_tokens, synthetic_price) -> dict:
    from ..laws.data_constrained import effective_params, effective_tokens, repetition_regime

    rep = law.data_constrained
    fresh_params, fresh_tokens = law.optimal(flops)
    gap = max(fresh_tokens - unique_tokens, 0.0)
    return dict(
        unique_tokens=unique_tokens,
        epochs=tokens / unique_tokens,
        effective_tokens=float(effective_tokens(tokens, unique_tokens, rep)),
        effective_params=float(effective_params(params, min(unique_tokens, tokens), law.loss, rep)),
        loss_unlimited_data=law.predict_loss(fresh_params, fresh_tokens),
        repetition_regime=repetition_regime(tokens / unique_tokens),
        data_gap_tokens=gap,
        synthetic_price_per_million_tokens=synthetic_price,
        synthetic_cost=None if synthetic_price is None else gap / 1e6 * synthetic_price,
    )


SERVING_KV_HEADS = 8
"""The served shape's key/value heads: grouped-query attention with 8, as Llama 3 uses at every
size (Dubey et al. 2024, Table 3)."""


def _serving_mfu(params: float, gpu, seq: int, given: float | None):
    """The serving MFU of ``params`` and the roofline bound behind it (None when given)."""
    if given is not None:
        return given, None
    from ..hardware.serving import decode_bound
    from ..hardware.shape import suggest_shapes

    shape = suggest_shapes(params, count=1)[0]
    if shape.heads % SERVING_KV_HEADS == 0:
        shape = shape.model_copy(update={"kv_heads": SERVING_KV_HEADS})
    bound = decode_bound(params, shape.kv_cache_bytes_per_token(), gpu.at_precision("bf16"), context=seq)
    return bound.mfu, bound


def _inference(law, gpu, mfu, flops, params, loss, inference_tokens, unique_tokens, inference_mfu=None, seq=4096) -> dict:
    """The inference-optimal model and what serving costs: its own MFU (given, or the decoding
    roofline's bound for each size), GPU-hours, and cost and days when the plan has a price or GPUs."""
    from .sections.inference import inference_optimal

    if loss is None:
        raise ScaleError(f"law {law.name!r} has no loss form: inference-aware plans compare models of equal loss")
    serving = INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens
    best_params, best_tokens = inference_optimal(law, loss, inference_tokens, params, unique_tokens)
    train = training_flops(best_params, best_tokens)
    best_serving = INFERENCE_FLOPS_PER_PARAM_TOKEN * best_params * inference_tokens
    serving_gpu = gpu.at_precision("bf16")  # bf16 weights served: their peak
    reference_mfu, reference_bound = _serving_mfu(params, gpu, seq, inference_mfu)
    best_mfu, best_bound = _serving_mfu(best_params, gpu, seq, inference_mfu)
    reference_hours = gpu_hours(serving, serving_gpu.peak_flops, reference_mfu)
    best_hours = gpu_hours(best_serving, serving_gpu.peak_flops, best_mfu)
    best = InferencePlan(
        params=best_params,
        tokens=best_tokens,
        tokens_per_param=best_tokens / best_params,
        train_flops=train,
        inference_flops=best_serving,
        total_flops=train + best_serving,
        train_gpu_hours=gpu_hours(train, gpu.peak_flops, mfu),
        inference_gpu_hours=best_hours,
        inference_mfu=best_mfu,
        serving=best_bound,
    )
    return dict(
        inference_tokens=inference_tokens,
        inference_flops=serving,
        total_flops=flops + serving,
        inference_mfu=reference_mfu,
        inference_mfu_source="given" if inference_mfu is not None else "roofline",
        serving=reference_bound,
        inference_gpu_hours=reference_hours,
        inference_optimal=best,
        total_flops_saving=snap(1.0 - best.total_flops / (flops + serving)),
    )


def _serving_costs(result: dict, price: float | None, gpus: int | None, gpu, mfu: float, seq: int) -> None:
    """Cost and days of serving (and of the inference-optimal model's training) at the plan's
    price and GPU count; the compute-optimal model's training cost and days are the plan's own."""
    if result.get("inference_optimal") is None:
        return
    best = result["inference_optimal"]
    if gpus is not None:
        # As the plan's own GPU-hours with a run section: the FLOPs MFU counts, attention included.
        from ..hardware.shape import suggest_shapes

        shape = suggest_shapes(best.params, count=1)[0]
        best.train_gpu_hours = gpu_hours(shape.counted_flops(best.tokens, seq, best.params), gpu.peak_flops, mfu)
    if price is not None:
        result["inference_cost"] = result["inference_gpu_hours"] * price
        best.train_cost, best.inference_cost = best.train_gpu_hours * price, best.inference_gpu_hours * price
    if gpus is not None:
        result["inference_days"] = result["inference_gpu_hours"] / gpus / HOURS_PER_DAY
        best.train_days, best.inference_days = best.train_gpu_hours / gpus / HOURS_PER_DAY, best.inference_gpu_hours / gpus / HOURS_PER_DAY


@checked
def loss_table(params: Params, tokens: Tokens, laws: list[Law] | None = None) -> dict[str, float | None]:
    """Predicted loss of ``params`` trained on ``tokens`` under each law (``None``: no loss form).

    Losses are comparable only within one law: each was fitted on its own data and tokenizer.
    """
    return {law.name: law.predict_loss(params, tokens) for law in (laws if laws is not None else load_presets())}


def loss_warnings(params: float, tokens: float, laws: list[Law]) -> list[str]:
    """Where (params, tokens) leaves the range each law was fitted on."""
    return [warning for law in laws if law.has_loss for warning in law.range_warnings((), params, tokens)]
