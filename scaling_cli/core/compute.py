"""Training and inference compute, and what it costs on real hardware.

C = 6·N·D: a forward pass costs about 2N FLOPs per token (a multiply and an add per parameter)
and the backward pass twice that, 4N (Kaplan et al. 2020, section 2.1; the embedding and
attention-context terms are negligible at scale). Serving costs the forward pass alone, 2N per
token. One FLOP is one floating-point operation: a multiply-add counts 2.
"""

from __future__ import annotations

from .errors import ScaleError, positive, whole

FLOPS_PER_PARAM_TOKEN = 6.0
"""Training FLOPs per parameter per token: forward 2 + backward 4 (Kaplan et al. 2020, section 2.1)."""

INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0
"""Forward-pass FLOPs per parameter per generated or scored token (Kaplan et al. 2020, eq. 2.2)."""

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0

DEFAULT_MFU = 0.40
"""Model FLOPs utilisation assumed when none is given: large dense runs report 0.38-0.43 (Llama 3
405B, arXiv:2407.21783 Table 4) and Llama 2 70B's whole run implies 0.43."""


PEAK_FLOPS_MAX = 1e20
"""The most FLOP/s one accelerator is taken to have (the largest in configs/gpus.toml has ~1e16)."""


COUNT_MAX = 1e40
"""The largest parameter or token count arithmetic takes (the planner's own domains are far
narrower, core/validation.py; a compute-optimal split at 1e32 FLOPs can pass 1e16 parameters)."""


def training_flops(params: float, tokens: float) -> float:
    """C = 6·N·D."""
    return (
        FLOPS_PER_PARAM_TOKEN
        * positive("params", params, (0.0, COUNT_MAX), "parameters", zero=True)
        * positive("tokens", tokens, (0.0, COUNT_MAX), "tokens", zero=True)
    )


def gpu_hours(flops: float, peak_flops: float, mfu: float) -> float:
    """GPU-hours to run ``flops`` at ``mfu`` of a GPU's ``peak_flops`` (FLOP/s): C / (peak · MFU · 3600)."""
    return positive("flops", flops, (0.0, COUNT_MAX), "FLOPs", zero=True) / (
        positive("peak_flops", peak_flops, (0.0, PEAK_FLOPS_MAX), "FLOP/s") * _fraction("mfu", mfu) * SECONDS_PER_HOUR
    )


def flops_from_gpu_hours(hours: float, peak_flops: float, mfu: float) -> float:
    """The inverse of :func:`gpu_hours`."""
    return positive("hours", hours, zero=True) * positive("peak_flops", peak_flops) * _fraction("mfu", mfu) * SECONDS_PER_HOUR


def model_flops_utilization(tokens_per_second: float, flops_per_token: float, gpus: int, peak_flops: float) -> float:
    """MFU (PaLM, App. B): achieved model FLOP/s (tokens/s x FLOPs per token) over the GPUs' peak."""
    count = whole("gpus", gpus)
    achieved = positive("tokens_per_second", tokens_per_second, zero=True) * positive("flops_per_token", flops_per_token)
    peak = count * positive("peak_flops", peak_flops, (0.0, PEAK_FLOPS_MAX), "FLOP/s")
    if not achieved <= peak:
        raise ScaleError(
            f"an MFU of {achieved / peak:.3g} is impossible: {tokens_per_second:.3g} tokens/s x {flops_per_token:.3g} FLOPs per token "
            f"is more than {count} x {peak_flops:.3g} FLOP/s"
        )
    return achieved / peak


def _fraction(name: str, value: float) -> float:
    number = positive(name, value)
    if number > 1:
        raise ScaleError(f"{name}: expected a fraction in (0, 1], got {number:g}")
    return number
