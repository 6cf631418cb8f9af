"""What a plan, or a row of an over-training table, offers to the limits of a budget
(``plan --max-...``, ``overtrain --max-...``): the same keys ``scale check`` reads from a file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.compute import HOURS_PER_DAY

if TYPE_CHECKING:
    from .overtraining import OvertrainRow
    from .result import Plan


def plan_values(plan: Plan) -> dict[str, float | None]:
    """What a :class:`~scaling_cli.planning.planner.Plan` offers to limits (a compute-optimal plan has no overhead)."""
    return {
        "flops": plan.flops,
        "gpu_hours": plan.gpu_hours,
        "days": plan.days,
        "cost": plan.cost,
        "loss": plan.loss,
        "tokens_per_param": plan.tokens_per_param,
        "compute_overhead": None if plan.loss is None else 0.0,
        "memory_per_gpu_bytes": plan.memory_per_gpu_bytes,
        "epochs": plan.epochs,
    }


def row_values(row: OvertrainRow, gpus: int | None, price: float | None, memory: float | None) -> dict[str, float | None]:
    """What a row of :func:`~scaling_cli.planning.overtraining.overtrain` offers to limits."""
    return {
        "flops": row.flops,
        "gpu_hours": row.gpu_hours,
        "days": None if gpus is None else row.gpu_hours / gpus / HOURS_PER_DAY,
        "cost": None if price is None else row.gpu_hours * price,
        "loss": row.loss,
        "tokens_per_param": row.tokens_per_param,
        "compute_overhead": row.compute_overhead,
        "memory_per_gpu_bytes": memory,
        "epochs": row.epochs,
    }
