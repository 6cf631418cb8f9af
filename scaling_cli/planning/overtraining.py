"""Over-training: a fixed model size trained on more and more tokens, LLaMA-style.

Each row is compared with the compute-optimal model that reaches the same loss: the extra
training compute the smaller model costs, the inference compute it saves per token (2·ΔN, the
forward pass), and the number of inference tokens after which those savings repay the extra
training. No number of tokens takes a model below its floor, E + A/N^alpha (with limited unique
data, the floor of unlimited repeats).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, Field, SerializeAsAny

from ..core.compute import DEFAULT_MFU, HOURS_PER_DAY, INFERENCE_FLOPS_PER_PARAM_TOKEN, gpu_hours, training_flops
from ..core.errors import ScaleError
from ..core.units import article, format_count
from ..core.validation import Count, Fraction, Params, Positive, Tokens, checked
from ..hardware.gpus import DEFAULT_GPU, Gpu
from ..hardware.shape import Shape
from ..laws import Law
from .planner import resolve_gpu, resolve_law
from .sections.allocation import counted_note, default_shape, law_notes, negative_overhead_note, snap

OVERTRAIN_RATIOS = (20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)
"""Default tokens-per-parameter rows of :func:`overtrain`."""


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
    epochs: float | None = None
    """With limited unique data: passes over it."""
    effective_tokens: float | None = None
    """With limited unique data: what the repeated tokens are worth (Muennighoff et al. 2023)."""
    days: float | None = None
    """Wall-clock days on ``gpus`` GPUs (when given)."""
    cost: float | None = None
    """US dollars at ``price_per_gpu_hour`` (when given)."""
    tasks: list[SerializeAsAny[BaseModel]] = []
    """With ``tasks``: each task's predicted score (a scaling_cli.planning.sections.tasks.TaskScore)."""


class Overtrain(BaseModel):
    law: str
    law_title: str
    params_counted: str
    params: float
    loss_floor: float | None
    """The loss this model size approaches with unlimited tokens (None: no loss form)."""
    gpu: str
    mfu: float
    precision: str = "bf16"
    target_loss: float | None
    target_tokens: float | None
    unique_tokens: float | None = None
    rows: list[OvertrainRow]
    notes: list[str]
    warnings: list[str] = []
    """Where the rows leave the range the law was fitted on, and by how far."""


@checked
def overtrain(
    params: Params,
    law: Law | str | None = None,
    tokens_per_param: list[Annotated[float, Field(gt=0, le=1e7)]] | None = None,
    tokens: list[Tokens] | None = None,
    target_loss: Positive | None = None,
    gpu: Gpu | str = DEFAULT_GPU,
    mfu: Fraction = DEFAULT_MFU,
    unique_tokens: Tokens | None = None,
    gpus: Count | None = None,
    price_per_gpu_hour: Positive | None = None,
    tasks: list[str] | None = None,
    precision: str = "bf16",
    seq: Count = 4096,
) -> Overtrain:
    """A model of ``params`` parameters trained on more and more tokens, against compute-optimal.

    Rows are ``tokens`` if given, else ``tokens_per_param`` ratios (default 20 to 1000), plus
    the token count that reaches ``target_loss`` when one is asked for. ``unique_tokens``
    limits the fresh data: tokens beyond it are repeats. ``tasks`` (``mmlu``, ``gadre-avg17``)
    add each row's predicted benchmark score (``sections/tasks.py``). GPU-hours count the FLOPs MFU
    counts (PaLM, App. B: attention at ``seq``-token sequences too) for the planner's default shape
    of this size.
    """
    law, gpu = resolve_law(law, unique_tokens), resolve_gpu(gpu).at_precision(precision)
    if tokens is not None and tokens_per_param is not None:
        raise ScaleError("give token counts or tokens-per-parameter ratios, not both")
    if unique_tokens is not None:
        law.repetition(unique_tokens)  # a law without repetition terms says so, as plan does
    counts = list(tokens) if tokens is not None else [params * r for r in (tokens_per_param or OVERTRAIN_RATIOS)]
    floor = law.loss_floor(params, unique_tokens)
    target_tokens = None
    if target_loss is not None:
        if floor is None:
            raise ScaleError(f"law {law.name!r} has no loss form: it cannot say which token count reaches loss {target_loss:g}")
        target_tokens = law.tokens_for_loss(params, target_loss, unique_tokens)
        assert target_tokens is not None  # the law has a loss form: it has a floor
        if not math.isfinite(target_tokens):
            data = "" if unique_tokens is None else f" on {unique_tokens:.3g} unique tokens"
            raise ScaleError(
                f"loss {target_loss:g} is unreachable for {article(format_count(params))}-parameter model under "
                f"{law.name}{data}: no number of tokens takes it below {floor:.4f}"
            )
        counts.append(target_tokens)
    shape = default_shape(params)
    rows = [_row(law, gpu, mfu, params, count, unique_tokens, shape, seq) for count in sorted(counts)]
    for row in rows:
        row.days = None if gpus is None else row.gpu_hours / gpus / HOURS_PER_DAY
        row.cost = None if price_per_gpu_hour is None else row.gpu_hours * price_per_gpu_hour
    if tasks:
        from .sections.tasks import task_scores

        for row in rows:
            scores: list[BaseModel] = list(task_scores(tasks, params, row.tokens, params_counted=law.params_counted))
            row.tasks = scores
    return Overtrain(
        law=law.name,
        law_title=law.title,
        params_counted=law.params_counted,
        params=params,
        loss_floor=floor,
        gpu=gpu.name,
        mfu=mfu,
        precision=gpu.precision,
        target_loss=target_loss,
        target_tokens=target_tokens,
        unique_tokens=unique_tokens,
        rows=rows,
        notes=law_notes(law)
        + [counted_note(shape, rows[0].flops, shape.counted_flops(rows[0].tokens, seq, params), seq)]
        + negative_overhead_note(law, [r.compute_overhead for r in rows]),
        warnings=law.range_warnings([r.flops for r in rows], [params] * len(rows), [r.tokens for r in rows]),
    )


def _row(law: Law, gpu: Gpu, mfu: float, params: float, tokens: float, unique_tokens: float | None, shape: Shape, seq: int) -> OvertrainRow:
    flops = training_flops(params, tokens)
    loss = law.predict_loss(params, tokens, unique_tokens)
    optimal = None if loss is None else law.optimal_for_loss(loss, unique_tokens)
    row = dict(
        tokens=tokens,
        tokens_per_param=tokens / params,
        flops=flops,
        gpu_hours=gpu_hours(shape.counted_flops(tokens, seq, params), gpu.peak_flops, mfu),
        loss=loss,
        optimal_params=None,
        optimal_tokens=None,
        optimal_flops=None,
        compute_overhead=None,
        inference_flops_saved_per_token=None,
        breakeven_inference_tokens=None,
    )
    if unique_tokens is not None:
        from ..laws.data_constrained import effective_tokens

        assert law.data_constrained is not None  # resolve_law gives limited data a data-constrained law, or refuses
        row.update(epochs=tokens / unique_tokens, effective_tokens=float(effective_tokens(tokens, unique_tokens, law.data_constrained)))
    if optimal is not None:
        optimal_params, optimal_tokens = optimal
        optimal_flops = training_flops(optimal_params, optimal_tokens)
        saved = INFERENCE_FLOPS_PER_PARAM_TOKEN * (optimal_params - params)
        extra = flops - optimal_flops
        row.update(
            optimal_params=optimal_params,
            optimal_tokens=optimal_tokens,
            optimal_flops=optimal_flops,
            compute_overhead=snap(flops / optimal_flops - 1.0),
            inference_flops_saved_per_token=saved,
            breakeven_inference_tokens=max(extra, 0.0) / saved if saved > 0 else None,
        )
    return OvertrainRow(**row)
