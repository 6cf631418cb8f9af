"""What a plan answers: pydantic models, base units (the JSON of ``scale plan --json``)."""

from __future__ import annotations

from pydantic import BaseModel, SerializeAsAny


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
    plannable: bool = True
    """False where the law's allocation leaves its plannable range (``laws/law.py (plannable_range)``): ``warnings`` says why."""
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
