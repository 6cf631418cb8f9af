"""The Chinchilla form: L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, eq. 2).

Its compute-optimal split under C = 6ND is closed-form (their eq. 4)::

    N_opt = G (C/6)^a,  D_opt = (C/6) / N_opt,  G = (alpha A / (beta B))^(1/(alpha+beta)),
    a = beta / (alpha + beta)

Plain arithmetic on floats (``loss`` and ``loss_floor`` also broadcast over numpy arrays): the
planner's hot path does not import numpy or scipy. ``scale fit`` fits this form with its own
machinery (``fitting/parametric.py``: variable-projection starts, a batched Gauss-Newton).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from ..core.compute import FLOPS_PER_PARAM_TOKEN
from .base import Constants, Form, Frozen, Inputs, Parameter, Values, Variable


class ChinchillaLoss(Frozen):
    """L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, eq. 2)."""

    form: Literal["chinchilla"] = "chinchilla"
    # Bounds where the form means something (and its arithmetic stays finite): a loss in nats
    # under 100, prefactors under 1e30, exponents under 5 (fitted ones are 0.1-1.5).
    E: float = Field(ge=0, le=100, description="irreducible loss (nats/token)")
    A: float = Field(gt=0, le=1e30)
    B: float = Field(gt=0, le=1e30)
    alpha: float = Field(gt=0, le=5)
    beta: float = Field(gt=0, le=5)

    @property
    def irreducible_loss(self) -> float:
        return self.E

    def loss(self, params: Values, tokens: Values) -> Values:
        return self.E + self.A / params**self.alpha + self.B / tokens**self.beta

    def loss_floor(self, params: Values) -> Values:
        """The loss a model of ``params`` parameters approaches with unlimited tokens."""
        return self.E + self.A / params**self.alpha

    def tokens_for_loss(self, params: float, loss: float) -> float:
        """Tokens a model of ``params`` needs to reach ``loss``; ``inf`` at or below its floor."""
        gap = loss - self.loss_floor(params)
        return (self.B / gap) ** (1 / self.beta) if gap > 0 else math.inf

    @property
    def params_exponent(self) -> float:
        """a in N_opt ∝ C^a (eq. 4)."""
        return self.beta / (self.alpha + self.beta)

    def optimal(self, flops: float) -> tuple[float, float]:
        """The compute-optimal (params, tokens) for ``flops`` under C = 6ND (eq. 4)."""
        optimum: tuple[float, float] = chinchilla_optimal(self.A, self.B, self.alpha, self.beta, flops)
        return optimum

    def optimal_for_loss(self, loss: float) -> tuple[float, float] | None:
        """The minimum-compute (params, tokens) reaching ``loss``; ``None`` at or below E.

        On the compute-optimal frontier the two reducible terms keep a fixed ratio (the
        Lagrange condition of minimising L at fixed N·D): alpha·A/N^alpha = beta·B/D^beta.
        So A/N^alpha = (L - E)·beta/(alpha + beta) and B/D^beta = (L - E)·alpha/(alpha + beta).
        """
        reducible = loss - self.E
        if not reducible > 0:
            return None
        total = self.alpha + self.beta
        params = (self.A / (reducible * self.beta / total)) ** (1 / self.alpha)
        tokens = (self.B / (reducible * self.alpha / total)) ** (1 / self.beta)
        return params, tokens


def frontier_scale(A: Values, B: Values, alpha: Values, beta: Values) -> Values:
    """G = (alpha A / (beta B))^(1/(alpha+beta)) of Hoffmann et al. 2022, eq. 4."""
    return (alpha * A / (beta * B)) ** (1 / (alpha + beta))


def chinchilla_optimal(A: Values, B: Values, alpha: Values, beta: Values, flops: Values) -> tuple[Values, Values]:
    """Hoffmann et al. 2022, eq. 4: N_opt = G (C/6)^a, D_opt = (C/6) / N_opt, a = beta/(alpha+beta).

    Plain arithmetic: the arguments may be numpy arrays (the fit evaluates every bootstrap
    replicate at once).
    """
    g = frontier_scale(A, B, alpha, beta)
    params = g * (flops / FLOPS_PER_PARAM_TOKEN) ** (beta / (alpha + beta))
    return params, flops / (FLOPS_PER_PARAM_TOKEN * params)


def _predict(p: Constants, x: Inputs) -> Values:
    return p["E"] + p["A"] / x["params"] ** p["alpha"] + p["B"] / x["tokens"] ** p["beta"]


PARAMS = Variable("params", "parameters N (as the preset counts them)")
TOKENS = Variable("tokens", "training tokens D")
LOSS = Variable("loss", "final loss (nats/token)")

FORMS = (
    Form(
        name="chinchilla",
        title="pre-training loss L(N, D)",
        equation="L = E + A/N^alpha + B/D^beta",
        citation="Hoffmann et al. 2022, 'Training Compute-Optimal Large Language Models', arXiv:2203.15556, eq. 2 (Approach 3)",
        variables=(PARAMS, TOKENS),
        target=LOSS,
        parameters=(
            Parameter("E", (2e-9, 148.0), (0.37, 1.0, 2.7), log=True, description="irreducible loss"),
            Parameter("A", (2e-9, 1e26), (1.0, 1.5e2, 2.2e4, 3.3e6, 4.9e8), log=True),
            Parameter("B", (2e-9, 1e26), (1.0, 1.5e2, 2.2e4, 3.3e6, 4.9e8), log=True),
            Parameter("alpha", (0.0, 5.0), (0.0, 0.5, 1.0, 1.5, 2.0)),
            Parameter("beta", (0.0, 5.0), (0.0, 0.5, 1.0, 1.5, 2.0)),
        ),
        predict=_predict,
        scale="flops",
        questions=("loss of (N, D)", "compute-optimal split of a budget (eq. 4)", "loss floor of a size", "compute for a loss"),
        objectives=("huber", "lsq"),
        presets="chinchilla, hoffmann-approach3, muennighoff's C4 base, deepseek (each with its table)",
    ),
)
