"""The data-constrained form: repeated tokens are worth less each epoch (Muennighoff et al. 2023).

"Scaling Data-Constrained Language Models" (arXiv:2305.16264; huggingface/datablations README,
"Parametric Fit") replaces N and D in L = E + A/N^alpha + B/D^beta by effective values::

    D' = U_D + U_D·R_D*·(1 - exp(-R_D / R_D*)),   R_D = max(D / U_D - 1, 0)   (repeats beyond epoch 1)
    N' = U_N + U_N·R_N*·(1 - exp(-R_N / R_N*)),   R_N = max(N / U_N - 1, 0)
    U_D = min(U, D)             the unique tokens a run of D tokens sees (the README's U = min(U, D))
    U_N = min(N, N_opt(U_D))    the compute-optimal size for which D_opt = U_D tokens

so that repeated data saturates at D' = U_D·(1 + R_D*) and parameters in excess of what the
unique data supports saturate likewise. With R_D = R_N = 0 (one epoch or less) the law is the
plain Chinchilla form. The compute-optimal split no longer has a closed form: it is found
numerically, on a grid over log N refined by bounded Brent, and every search is bracketed.

The form wraps the Chinchilla form: :class:`DataConstrainedLoss` is a Chinchilla loss with the two
repetition constants, and ``on_unique_tokens(U)`` gives the loss on U unique tokens, with the
planner's questions (loss, floor, tokens for a loss, optimum, optimum for a loss, limit) as methods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

from pydantic import Field

from ..core.compute import FLOPS_PER_PARAM_TOKEN
from ..core.errors import ScaleError
from .base import Constants, Form, Frozen, Inputs, Parameter, Values, Variable
from .chinchilla import FORMS as CHINCHILLA_FORMS
from .chinchilla import LOSS, PARAMS, TOKENS, ChinchillaLoss, frontier_scale

NEGLIGIBLE_EPOCHS = 4.0
"""Up to about 4 epochs, repeated data is almost as good as unique data (Muennighoff et al. 2023)."""
FADING_EPOCHS = 16.0
"""Beyond about 16 epochs the returns from repeating fall away."""
WORTHLESS_EPOCHS = 40.0
"""From about 40 epochs, more repetition is nearly worthless."""

GRID_POINTS = 801
GRID_HALF_WIDTH = 7.0
"""The search over log N spans e^±7 (about 1,100x either way) around the unconstrained optimum."""
MAX_RECENTRES = 4
"""An optimum at the window's edge moves the window; after this many moves the search gives up."""


class RepetitionTerms(Protocol):
    """What the repetition formulas read: a :class:`Repetition` or a :class:`DataConstrainedLoss`."""

    @property
    def R_D_star(self) -> float: ...

    @property
    def R_N_star(self) -> float: ...


def repetition_regime(epochs: float) -> str:
    """The paper's regimes of repetition, by epochs over the unique data."""
    if epochs <= NEGLIGIBLE_EPOCHS:
        return "negligible: up to ~4 epochs repeated data is almost as good as unique data"
    if epochs <= FADING_EPOCHS:
        return "diminishing: each further epoch is worth less"
    if epochs < WORTHLESS_EPOCHS:
        return "fading: beyond ~16 epochs the returns from repeating fall away"
    return "worthless: at ~40 epochs and more, repeated data adds almost nothing"


def effective_tokens(tokens: Values, unique: Values, rep: RepetitionTerms) -> Values:
    """D' of the paper: the unique tokens seen plus the decaying worth of the repeats."""
    import numpy as np

    tokens = np.asarray(tokens, dtype=float)
    seen = np.minimum(unique, tokens)
    repeats = np.maximum(tokens / seen - 1.0, 0.0)
    return seen + seen * rep.R_D_star * (1.0 - np.exp(-repeats / rep.R_D_star))


def unique_params(loss: ChinchillaLoss, unique: Values) -> Values:
    """U_N: the compute-optimal size whose optimal token count is the unique data.

    From eq. 4 of Hoffmann et al. 2022, N_opt = G·(D_opt·G)^(beta/alpha).
    """
    g = frontier_scale(loss.A, loss.B, loss.alpha, loss.beta)
    return g * (unique * g) ** (loss.beta / loss.alpha)


def effective_params(params: Values, unique: Values, loss: ChinchillaLoss, rep: RepetitionTerms) -> Values:
    """N' of the paper: parameters beyond what the unique data supports are worth less."""
    import numpy as np

    params = np.asarray(params, dtype=float)
    base = np.minimum(params, unique_params(loss, unique))
    excess = np.maximum(params / base - 1.0, 0.0)
    return base + base * rep.R_N_star * (1.0 - np.exp(-excess / rep.R_N_star))


def constrained_loss(loss: ChinchillaLoss, rep: RepetitionTerms, params: Values, tokens: Values, unique: Values) -> Values:
    """L(N, D, U) = E + A/N'^alpha + B/D'^beta."""
    import numpy as np

    n = effective_params(params, np.minimum(unique, tokens), loss, rep)
    d = effective_tokens(tokens, unique, rep)
    return loss.E + loss.A / n**loss.alpha + loss.B / d**loss.beta


def constrained_floor(loss: ChinchillaLoss, rep: RepetitionTerms, params: Values, unique: Values) -> float:
    """The loss ``params`` approaches with unlimited repeats of ``unique`` tokens."""
    n = effective_params(params, unique, loss, rep)
    return float(loss.E + loss.A / n**loss.alpha + loss.B / (unique * (1 + rep.R_D_star)) ** loss.beta)


def constrained_optimal(loss: ChinchillaLoss, rep: RepetitionTerms, flops: float, unique: float) -> tuple[float, float]:
    """The (params, tokens) of least L(N, C/(6N), U): a grid over log N refined by bounded Brent."""
    import numpy as np
    from scipy.optimize import minimize_scalar

    center = math.log(loss.optimal(flops)[0])

    def objective(log_n: Values) -> Values:
        n = np.exp(log_n)
        return constrained_loss(loss, rep, n, flops / (FLOPS_PER_PARAM_TOKEN * n), unique)

    for _ in range(MAX_RECENTRES):
        grid = np.linspace(center - GRID_HALF_WIDTH, center + GRID_HALF_WIDTH, GRID_POINTS)
        values = objective(grid)
        best = int(np.argmin(values))
        if 0 < best < GRID_POINTS - 1:
            break
        center = grid[best]  # the optimum lies beyond this window: move the window there
    else:
        raise ScaleError(
            f"the data-constrained optimum at {flops:.3g} FLOPs with {unique:.3g} unique tokens lies beyond "
            f"e^±{GRID_HALF_WIDTH * (2 * MAX_RECENTRES - 1):g} of the unconstrained optimum: no optimum to report"
        )
    found = minimize_scalar(
        lambda x: float(objective(x)), bounds=(grid[best - 1], grid[best + 1]), method="bounded", options={"xatol": 1e-10}
    )
    if not found.success:
        raise ScaleError(f"the data-constrained optimisation at {flops:.3g} FLOPs did not converge: {found.message}")
    params = float(np.exp(found.x))
    return params, flops / (FLOPS_PER_PARAM_TOKEN * params)


def constrained_tokens_for_loss(loss: ChinchillaLoss, rep: RepetitionTerms, params: float, target: float, unique: float) -> float:
    """Tokens (repeats included) ``params`` needs to reach ``target`` on ``unique`` data; inf if never."""
    from scipy.optimize import brentq

    if not target > constrained_floor(loss, rep, params, unique):
        return math.inf

    def excess(log_d: float) -> float:
        return float(constrained_loss(loss, rep, params, math.exp(log_d), unique)) - target

    low, high = 0.0, math.log(unique) + math.log(1e6)  # a million epochs saturate D' to 1e-26
    if excess(low) <= 0:
        return 1.0
    if excess(high) >= 0:
        return math.inf  # within round-off of the floor
    return math.exp(brentq(excess, low, high, xtol=1e-12, rtol=1e-14))


def constrained_optimal_for_loss(loss: ChinchillaLoss, rep: RepetitionTerms, target: float, unique: float) -> tuple[float, float] | None:
    """The least compute whose data-constrained optimum reaches ``target``; None if none does."""
    from scipy.optimize import brentq

    if not target > constrained_limit(loss, rep, unique):
        return None

    def excess(log_c: float) -> float:
        flops = math.exp(log_c)
        return float(constrained_loss(loss, rep, *constrained_optimal(loss, rep, flops, unique), unique)) - target

    # Repeats only cost: the constrained budget is at least the unconstrained one for this loss.
    unconstrained = loss.optimal_for_loss(target)
    assert unconstrained is not None  # target > the constrained limit > E: the plain form reaches it
    low = math.log(FLOPS_PER_PARAM_TOKEN * unconstrained[0] * unconstrained[1]) - 1e-9
    high = low + math.log(10.0)
    while excess(high) >= 0:
        if high - low > math.log(1e30):
            return None  # the loss approaches the limit too slowly to reach the target in any budget
        high += math.log(10.0)
    if excess(low) <= 0:
        return constrained_optimal(loss, rep, math.exp(low), unique)
    return constrained_optimal(loss, rep, math.exp(brentq(excess, low, high, xtol=1e-10, rtol=1e-12)), unique)


def constrained_limit(loss: ChinchillaLoss, rep: RepetitionTerms, unique: float) -> float:
    """The loss no budget goes below on ``unique`` tokens: N' and D' both saturate.

    N' -> U_N (1 + R_N*) and D' -> U_D (1 + R_D*) as compute grows without bound.
    """
    params = unique_params(loss, unique) * (1 + rep.R_N_star)
    tokens = unique * (1 + rep.R_D_star)
    return float(loss.E + loss.A / params**loss.alpha + loss.B / tokens**loss.beta)


# -- the form -------------------------------------------------------------------------------


class Repetition(Frozen):
    """Muennighoff et al. 2023: how fast repeated tokens (R_D*) and excess parameters (R_N*) lose worth."""

    R_D_star: float = Field(gt=0, le=1e6)
    R_N_star: float = Field(gt=0, le=1e6)


class DataConstrainedLoss(ChinchillaLoss):
    """A Chinchilla loss whose N and D are replaced by their effective values on limited data.

    Without a unique-token count it is the plain Chinchilla form (every token fresh)."""

    form: Literal["data-constrained"] = "data-constrained"  # type: ignore[assignment]
    R_D_star: float = Field(gt=0, le=1e6, description="repeated tokens saturate at (1 + R_D*) x the unique tokens")
    R_N_star: float = Field(gt=0, le=1e6, description="excess parameters saturate likewise")

    @property
    def repetition(self) -> Repetition:
        return Repetition(R_D_star=self.R_D_star, R_N_star=self.R_N_star)

    def base(self) -> ChinchillaLoss:
        """The wrapped Chinchilla form (every token fresh)."""
        return ChinchillaLoss(E=self.E, A=self.A, B=self.B, alpha=self.alpha, beta=self.beta)

    def on_unique_tokens(self, unique_tokens: float) -> LimitedData:
        return LimitedData(self, unique_tokens)


@dataclass(frozen=True)
class LimitedData:
    """The data-constrained loss on ``unique`` tokens: the planner's questions, as a loss form answers them."""

    law: DataConstrainedLoss
    unique: float

    def loss(self, params: Values, tokens: Values) -> Values:
        return constrained_loss(self.law, self.law, params, tokens, self.unique)

    def loss_floor(self, params: Values) -> float:
        return constrained_floor(self.law, self.law, params, self.unique)

    def tokens_for_loss(self, params: float, loss: float) -> float:
        return constrained_tokens_for_loss(self.law, self.law, params, loss, self.unique)

    def optimal(self, flops: float) -> tuple[float, float]:
        return constrained_optimal(self.law, self.law, flops, self.unique)

    def optimal_for_loss(self, loss: float) -> tuple[float, float] | None:
        return constrained_optimal_for_loss(self.law, self.law, loss, self.unique)

    def limit(self) -> float:
        """The loss no budget goes below on these unique tokens."""
        return constrained_limit(self.law, self.law, self.unique)


def _predict(p: Constants, x: Inputs) -> Values:
    """The form for the fitter: every constant is free (the paper fits R_D*, R_N* with the base fixed)."""
    import numpy as np

    unique, params, tokens = x["unique_tokens"], x["params"], x["tokens"]
    seen = np.minimum(unique, tokens)
    g = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    base = np.minimum(params, g * (seen * g) ** (p["beta"] / p["alpha"]))
    n = base + base * p["R_N_star"] * (1.0 - np.exp(-np.maximum(params / base - 1.0, 0.0) / p["R_N_star"]))
    d = seen + seen * p["R_D_star"] * (1.0 - np.exp(-np.maximum(tokens / seen - 1.0, 0.0) / p["R_D_star"]))
    return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]


FORMS = (
    Form(
        name="data-constrained",
        title="pre-training loss on limited unique data L(N, D, U)",
        equation="L = E + A/N'^alpha + B/D'^beta, D' = U_D + U_D R_D* (1 - exp(-R_D/R_D*)), N' likewise",
        citation="Muennighoff et al. 2023, 'Scaling Data-Constrained Language Models', arXiv:2305.16264 (huggingface/datablations README, 'Parametric Fit')",
        variables=(PARAMS, TOKENS, Variable("unique_tokens", "unique tokens U the run repeats over")),
        target=LOSS,
        parameters=CHINCHILLA_FORMS[0].parameters
        + (
            Parameter("R_D_star", (1e-2, 1e4), (1.0, 5.0, 15.0, 50.0), log=True, description="worth of repeated tokens"),
            Parameter("R_N_star", (1e-2, 1e4), (1.0, 5.0, 15.0, 50.0), log=True, description="worth of excess parameters"),
        ),
        predict=_predict,
        scale="flops",
        questions=(
            "loss of (N, D) on U unique tokens",
            "data-constrained optimum of a budget",
            "loss limit of U unique tokens",
            "tokens for a loss",
            "compute for a loss",
        ),
        objectives=("huber", "lsq", "log-lsq"),
        presets="muennighoff (datablations README, 'Parametric Fit')",
    ),
)
