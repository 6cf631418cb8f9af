"""Allocation laws: a published compute-optimal power law N_opt = k C^a (or D_opt = k C^b).

The other quantity follows from C = 6ND. Kaplan et al. 2020 (Table 6), Hoffmann et al. 2022
(Approaches 1 and 2), DeepSeek 2024 (eq. 4) and Llama 3 (Fig. 3) publish such laws, some with
the projections their prefactor is calibrated on.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, PositiveFloat, PrivateAttr, model_validator

from ..core.compute import FLOPS_PER_PARAM_TOKEN
from .base import Frozen


class CalibrationPoint(Frozen):
    """A published projection (compute and the params and/or tokens it prescribes)."""

    flops: PositiveFloat
    params: PositiveFloat | None = None
    tokens: PositiveFloat | None = None

    @model_validator(mode="after")
    def _has_a_quantity(self) -> CalibrationPoint:
        if self.params is None and self.tokens is None:
            raise ValueError("a calibration point needs params, tokens or both")
        return self


class Allocation(Frozen):
    """A compute-optimal power law: ``quantity`` = k · (C / flops_unit)^exponent.

    The other quantity follows from C = 6ND. The prefactor k is either given (``coefficient``)
    or calibrated on published projections: the log-space least-squares fit, with the exponent
    held at the paper's value, to every params and C/(6·tokens) figure of the points.
    """

    quantity: Literal["params", "tokens"]
    exponent: float = Field(gt=0, lt=1)
    coefficient: PositiveFloat | None = None
    flops_unit: PositiveFloat = 1.0
    calibration: list[CalibrationPoint] = []

    _k: float = PrivateAttr(default=math.nan)

    @model_validator(mode="after")
    def _calibrate(self) -> Allocation:
        if (self.coefficient is None) == (not self.calibration):
            raise ValueError("give exactly one of 'coefficient' and 'calibration'")
        if self.coefficient is not None:
            self._k = self.coefficient
            return self
        logs = []
        for point in self.calibration:
            scaled = math.log(point.flops / self.flops_unit)
            # Estimates of log(quantity) at this compute: the quantity itself, or C/(6 * other).
            direct = point.params if self.quantity == "params" else point.tokens
            other = point.tokens if self.quantity == "params" else point.params
            if direct is not None:
                logs.append(math.log(direct) - self.exponent * scaled)
            if other is not None:
                logs.append(math.log(point.flops / (FLOPS_PER_PARAM_TOKEN * other)) - self.exponent * scaled)
        self._k = math.exp(sum(logs) / len(logs))
        return self

    @property
    def k(self) -> float:
        """The prefactor, given or calibrated, for C in ``flops_unit``."""
        return self._k

    def optimal(self, flops: float) -> tuple[float, float]:
        value = self._k * (flops / self.flops_unit) ** self.exponent
        other = flops / (FLOPS_PER_PARAM_TOKEN * value)
        return (value, other) if self.quantity == "params" else (other, value)
