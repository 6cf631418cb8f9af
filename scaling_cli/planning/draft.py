"""A plan while its sections build it: the budget's answer, and the fields each section adds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..hardware.gpus import Gpu
from ..laws import Law


@dataclass
class Draft:
    """What every section reads (the law, the GPU, the budget's compute-optimal model) and the
    :class:`~scaling_cli.planning.result.Plan` fields so far, which a section may add to or update."""

    law: Law
    gpu: Gpu
    flops: float
    params: float
    tokens: float
    loss: float | None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def notes(self) -> list[str]:
        notes: list[str] = self.fields["notes"]
        return notes

    def warn(self, warnings: list[str]) -> None:
        self.fields["warnings"] = self.fields["warnings"] + warnings
