"""Compute-optimal batch size and learning rate (DeepSeek LLM 2024, eq. 1), from ``configs/hyperparameters.toml``.

    eta_opt = 0.3118 · C^-0.1250        B_opt = 0.2920 · C^0.3271 tokens

Fitted on DeepSeek's own setup between 1e17 and 2e19 FLOPs: a starting point to sweep around.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, PositiveFloat

from ..core.configs import config_dir, load_toml


class PowerLaw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    coefficient: PositiveFloat
    exponent: float

    def __call__(self, flops: float) -> float:
        return float(self.coefficient * flops**self.exponent)


class HyperparameterLaw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    citation: str
    note: str
    learning_rate: PowerLaw
    batch_size_tokens: PowerLaw


@cache
def hyperparameter_law() -> HyperparameterLaw:
    path = config_dir() / "hyperparameters.toml"
    return load_toml(HyperparameterLaw, path)
