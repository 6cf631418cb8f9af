"""What serving costs: cost and days of serving (and of the inference-optimal model's training)
at the plan's price and GPU count, and how GPU-hours read at an FP8 peak.

The compute-optimal model's own training cost and days are the budget's (and the run section's)."""

from __future__ import annotations

from ...core.compute import HOURS_PER_DAY, gpu_hours
from ..draft import Draft
from ..request import PlanRequest


def section(draft: Draft, request: PlanRequest) -> None:
    gpu, price, gpus = draft.gpu, request.price_per_gpu_hour, request.gpus
    best = draft.fields.get("inference_optimal")
    if best is not None:
        if gpus is not None:
            # As the plan's own GPU-hours with a run section: the FLOPs MFU counts, attention included.
            from ...hardware.shape import suggest_shapes

            shape = suggest_shapes(best.params, count=1)[0]
            best.train_gpu_hours = gpu_hours(shape.counted_flops(best.tokens, request.seq, best.params), gpu.peak_flops, request.mfu)
        if price is not None:
            draft.fields["inference_cost"] = draft.fields["inference_gpu_hours"] * price
            best.train_cost, best.inference_cost = best.train_gpu_hours * price, best.inference_gpu_hours * price
        if gpus is not None:
            draft.fields["inference_days"] = draft.fields["inference_gpu_hours"] / gpus / HOURS_PER_DAY
            best.train_days, best.inference_days = (
                best.train_gpu_hours / gpus / HOURS_PER_DAY,
                best.inference_gpu_hours / gpus / HOURS_PER_DAY,
            )
    if gpu.precision == "fp8":
        draft.notes.append(
            f"GPU-hours at {gpu.name}'s dense FP8 peak ({gpu.fp8_tflops:,.0f} TFLOP/s): MFU is a fraction of that peak, "
            "and FP8 runs reach a lower one than BF16 runs (measure yours with `scale mfu`)"
        )
