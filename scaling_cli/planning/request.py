"""What a plan is asked: one validated request, the budget's fields and each section's own request.

``scale plan`` builds one :class:`PlanRequest` from its flags (:meth:`PlanRequest.of`) and the
library's :func:`~scaling_cli.planning.planner.plan` from its keyword arguments; both then call
:func:`~scaling_cli.planning.planner.plan_for`. A section that is not asked for is ``None``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ConfigDict

from ..core.compute import DEFAULT_MFU
from ..core.errors import ScaleError
from ..core.validation import Checked, Count, Flops, Fraction, NonNegative, Positive, Tokens
from ..hardware.gpus import DEFAULT_GPU, Gpu
from ..hardware.layout import Framework
from ..laws import Law


class Request(Checked):
    """A section's request: validated on construction, one ``ScaleError`` line on bad input."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, arbitrary_types_allowed=True)


class DataLimit(Request):
    """Limited unique data (Muennighoff et al. 2023): tokens beyond ``unique_tokens`` are repeats."""

    unique_tokens: Tokens
    synthetic_price: Positive | None = None
    """USD per million generated tokens: prices the unique tokens the plan lacks."""


class InferenceDemand(Request):
    """A lifetime serving demand (Sardana et al. 2024): ``tokens`` generated over the model's life."""

    tokens: NonNegative
    mfu: Fraction | None = None
    """Serving MFU; None: each model's decoding roofline bound."""


class Experts(Request):
    """The plan's N as the active size of a mixture of experts (Clark et al. 2022)."""

    count: int
    router: str = "s-base"
    top_k: int = 1


class PlanRequest(Request):
    """The budget (``flops``, or the least compute reaching ``target_loss``) on a GPU, and the
    optional sections: limited ``data``, an ``inference`` demand, a run section (``gpus``),
    ``experts``, benchmark ``tasks``."""

    flops: Flops | None = None
    target_loss: Positive | None = None
    law: Law | str | Path | None = None
    """A preset name, a law file or a Law; None: chinchilla, or muennighoff with limited data."""
    gpu: Gpu | str = DEFAULT_GPU
    mfu: Fraction = DEFAULT_MFU
    precision: str = "bf16"
    price_per_gpu_hour: Positive | None = None
    gpus: Count | None = None
    """GPUs of the run: days, and the run section (shape, layout, batch size, learning rate)."""
    seq: Count = 4096
    """Tokens per sequence: of the run section and of served contexts."""
    framework: Framework = "megatron"
    hparams_law: str | Path | None = None
    """The run section's learning-rate / batch-size law: a preset name or a file (None: Step Law)."""
    """Whose memory accounting the run section's layout uses (``hardware.layout.Framework``)."""
    time_budget: bool = False
    """``flops`` came from GPU-hours at ``mfu``: the FLOPs MFU counts (attention too) fill it."""
    data: DataLimit | None = None
    inference: InferenceDemand | None = None
    experts: Experts | None = None
    tasks: list[str] = []

    @classmethod
    def of(
        cls,
        flops: float | None = None,
        *,
        unique_tokens: float | None = None,
        synthetic_price: float | None = None,
        inference_tokens: float | None = None,
        inference_mfu: float | None = None,
        experts: int | None = None,
        router: str = "s-base",
        top_k: int = 1,
        tasks: list[str] | None = None,
        **budget: Any,
    ) -> PlanRequest:
        """The request of ``scale plan``'s flags (and of :func:`plan`'s keyword arguments):
        each section's flags make its request, and a section's flag without it is an error."""
        if synthetic_price is not None and unique_tokens is None:
            raise ScaleError("--synthetic-price needs --unique-tokens: the price applies to the unique tokens you lack")
        if experts is None and (top_k != 1 or router != "s-base"):
            raise ScaleError("--router and --top-k describe a mixture of experts: give --experts too")
        return cls(
            flops=flops,
            data=None if unique_tokens is None else DataLimit(unique_tokens=unique_tokens, synthetic_price=synthetic_price),
            inference=None if inference_tokens is None else InferenceDemand(tokens=inference_tokens, mfu=inference_mfu),
            experts=None if experts is None else Experts(count=experts, router=router, top_k=top_k),
            tasks=list(tasks or []),
            **budget,
        )

    @property
    def unique_tokens(self) -> float | None:
        """The unique tokens every section's law reads (None: unlimited fresh data)."""
        return None if self.data is None else self.data.unique_tokens

    def updated(self, **changes: Any) -> PlanRequest:
        """This request with ``changes``, validated again (``model_copy`` would not check them)."""
        return type(self)(**{name: getattr(self, name) for name in type(self).model_fields} | changes)
