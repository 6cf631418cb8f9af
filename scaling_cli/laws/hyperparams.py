"""Learning rate and batch size laws: a family of presets in ``configs/hyperparameters/``.

Each law is two power laws, the peak learning rate and the batch size in tokens, in the run's
compute (``flops``), parameters (``params``: what the law's N counts, said in ``counts``) and
tokens (``tokens``):

    deepseek   eta = 0.3118 C^-0.1250                 B = 0.2920 C^0.3271 tokens   (DeepSeek LLM 2024, eq. 1)
    step-law   eta = 1.79 N^-0.713 D^0.307            B = 0.58 D^0.571 tokens      (Li et al. 2025)

The run section's default is Step Law: on a released dense grid the grid point nearest its
suggestion sat 0.07 % (median) above each cell's best loss against DeepSeek's 0.73 % (issue #27);
on Step Law's released MoE grid (``bench/hparams_against.py``) 0.97 % against 1.25 %. Neither law
was fitted on mixtures of experts. A law file with the same keys is read by path.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator

from ..core.configs import config_dir, load_toml
from ..core.errors import ScaleError

VARIABLES = ("flops", "params", "tokens")
DEFAULT_HYPERPARAMETER_LAW = "step-law"
DISAGREEMENT = 2.0
"""The run section names the other law's suggestion where the two differ by more than this factor."""


class PowerLaw(BaseModel):
    """coefficient x prod(variable^exponent)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    coefficient: PositiveFloat
    exponents: dict[str, float]
    prediction_sd: float | None = Field(default=None, gt=0)
    """The sd (natural log) of a new (N, D) cell's optimum around the law: the RMS of the
    leave-one-cell-out errors of the fit that wrote the file. None: the law carries no interval
    (a published preset gives none)."""
    evidence: int | None = Field(default=None, ge=2)
    """The cells that sd comes from (Student's t takes the cells less the law's constants)."""

    @field_validator("exponents")
    @classmethod
    def _known(cls, exponents: dict[str, float]) -> dict[str, float]:
        unknown = set(exponents) - set(VARIABLES)
        if unknown or not exponents:
            raise ValueError(f"exponents: expected some of {', '.join(VARIABLES)}, got {', '.join(sorted(exponents)) or 'none'}")
        return exponents

    def __call__(self, flops: float, params: float, tokens: float) -> float:
        values = {"flops": flops, "params": params, "tokens": tokens}
        return float(self.coefficient * math.prod(values[name] ** power for name, power in self.exponents.items()))


class HyperparameterLaw(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str = ""
    citation: str
    note: str
    counts: str = ""
    """What its variables count (Step Law's N: non-embedding parameters)."""
    learning_rate: PowerLaw
    batch_size_tokens: PowerLaw
    fitted_range: dict[str, tuple[PositiveFloat, PositiveFloat]] = {}

    @property
    def non_embedding(self) -> bool:
        """Whether its N counts non-embedding parameters."""
        return "non-embedding" in self.counts

    def suggest(self, flops: float, params: float, tokens: float) -> tuple[float, float]:
        """(peak learning rate, batch size in tokens)."""
        return self.learning_rate(flops, params, tokens), self.batch_size_tokens(flops, params, tokens)

    def intervals(self, flops: float, params: float, tokens: float) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
        """The 95 % prediction intervals of the learning rate and the batch, where the law has them."""

        def band(law: PowerLaw) -> tuple[float, float] | None:
            if law.prediction_sd is None or law.evidence is None:
                return None
            from scipy.stats import t

            value = law(flops, params, tokens)
            # Degrees of freedom: the cells less the law's constants (coefficient and exponents).
            half = float(t.ppf(0.975, max(law.evidence - 1 - len(law.exponents), 1))) * law.prediction_sd
            return (value * math.exp(-half), value * math.exp(half))

        return band(self.learning_rate), band(self.batch_size_tokens)

    def range_warnings(self, flops: float, params: float, tokens: float) -> list[str]:
        """Where the run leaves the range the law was fitted on, by how far."""
        values = {"flops": flops, "params": params, "tokens": tokens}
        found = []
        for name, (low, high) in self.fitted_range.items():
            value = values[name]
            if value > high or value < low:
                ratio = value / high if value > high else low / value
                found.append(
                    f"{name} {value:.3g}: {ratio:.3g}x {'beyond' if value > high else 'below'} the {low:.3g}-{high:.3g} {self.name} "
                    f"was fitted on ({math.log10(ratio):.1f} decades): its learning rate and batch size extrapolate"
                )
        return found


def hyperparameter_law_names() -> list[str]:
    return sorted(path.stem for path in (config_dir() / "hyperparameters").glob("*.toml"))


@cache
def _preset(name: str) -> HyperparameterLaw:
    return load_toml(HyperparameterLaw, config_dir() / "hyperparameters" / f"{name}.toml")


def hyperparameter_law(name: str | Path | None = None) -> HyperparameterLaw:
    """A preset by name (default Step Law), or a law file by path."""
    name = DEFAULT_HYPERPARAMETER_LAW if name is None else name
    if isinstance(name, str) and name in hyperparameter_law_names():
        return _preset(name)
    path = Path(name)
    if path.suffix == ".toml" and path.is_file():
        return load_toml(HyperparameterLaw, path)
    raise ScaleError(
        f"--hparams-law {str(name)[:80]!r}: expected one of {', '.join(hyperparameter_law_names())} or a hyperparameter law file (.toml)"
    )
