"""The Kaplan form: L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Kaplan et al. 2020, eq. 1.5)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from .base import Constants, Form, Frozen, Inputs, Parameter, Values
from .chinchilla import LOSS, PARAMS, TOKENS


class KaplanLoss(Frozen):
    """L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Kaplan et al. 2020, eq. 1.5)."""

    form: Literal["kaplan"] = "kaplan"
    N_c: float = Field(gt=0, le=1e30)
    D_c: float = Field(gt=0, le=1e30)
    alpha_N: float = Field(gt=0, le=5)
    alpha_D: float = Field(gt=0, le=5)

    @property
    def irreducible_loss(self) -> float:
        return 0.0  # eq. 1.5 has no irreducible term

    def loss(self, params: Values, tokens: Values) -> Values:
        return ((self.N_c / params) ** (self.alpha_N / self.alpha_D) + self.D_c / tokens) ** self.alpha_D

    def loss_floor(self, params: Values) -> Values:
        """L(N) = (N_c/N)^alpha_N: eq. 1.5 with unlimited tokens (eq. 1.1's form)."""
        return (self.N_c / params) ** self.alpha_N

    def tokens_for_loss(self, params: float, loss: float) -> float:
        gap = loss ** (1 / self.alpha_D) - (self.N_c / params) ** (self.alpha_N / self.alpha_D)
        return self.D_c / gap if gap > 0 else math.inf


def _predict(p: Constants, x: Inputs) -> Values:
    return ((p["N_c"] / x["params"]) ** (p["alpha_N"] / p["alpha_D"]) + p["D_c"] / x["tokens"]) ** p["alpha_D"]


FORMS = (
    Form(
        name="kaplan",
        title="pre-training loss L(N, D), no irreducible term",
        equation="L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D",
        citation="Kaplan et al. 2020, 'Scaling Laws for Neural Language Models', arXiv:2001.08361, eq. 1.5 (Table 2)",
        variables=(PARAMS, TOKENS),
        target=LOSS,
        parameters=(
            Parameter("N_c", (1e3, 1e20), (1e10, 1e13, 1e16), log=True),
            Parameter("D_c", (1e3, 1e20), (1e10, 1e13, 1e16), log=True),
            Parameter("alpha_N", (1e-3, 2.0), (0.05, 0.1, 0.3)),
            Parameter("alpha_D", (1e-3, 2.0), (0.05, 0.1, 0.3)),
        ),
        predict=_predict,
        scale="flops",
        questions=("loss of (N, D)", "loss floor of a size"),
        objectives=("huber", "lsq", "log-lsq"),
        presets="kaplan (Table 2 constants, Table 6 allocation)",
    ),
)
