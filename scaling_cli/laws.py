"""Scaling laws as data: the loss forms, the allocation power laws, and the presets.

A law file (TOML, one per preset in ``configs/laws/``) is validated into a :class:`Law`. Two kinds:

* ``parametric``: a loss L(N, D) = E + A/N^alpha + B/D^beta (Hoffmann et al. 2022, eq. 2) from
  which the compute-optimal split under C = 6ND is closed-form (their eq. 4)::

      N_opt = G (C/6)^a,  D_opt = (C/6) / N_opt,  G = (alpha A / (beta B))^(1/(alpha+beta)),
      a = beta / (alpha + beta)

* ``allocation``: a fitted power law N_opt = k C^a (or D_opt = k C^b), the other quantity following
  from C = 6ND, with or without a loss form. Asked for a loss, a law without one answers ``None``.

The functions here are plain arithmetic on floats (``loss`` and ``loss_floor`` also broadcast over
numpy arrays): the planner's hot path does not import numpy or scipy.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PrivateAttr, model_validator

from .compute import FLOPS_PER_PARAM_TOKEN
from .configs import config_dir, load_toml, reject_bools
from .errors import ScaleError


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    _no_bools = model_validator(mode="before")(classmethod(reject_bools))


class ChinchillaLoss(_Frozen):
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

    def loss(self, params, tokens):
        return self.E + self.A / params**self.alpha + self.B / tokens**self.beta

    def loss_floor(self, params):
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
        return chinchilla_optimal(self.A, self.B, self.alpha, self.beta, flops)

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


def frontier_scale(A, B, alpha, beta):
    """G = (alpha A / (beta B))^(1/(alpha+beta)) of Hoffmann et al. 2022, eq. 4."""
    return (alpha * A / (beta * B)) ** (1 / (alpha + beta))


def chinchilla_optimal(A, B, alpha, beta, flops):
    """Hoffmann et al. 2022, eq. 4: N_opt = G (C/6)^a, D_opt = (C/6) / N_opt, a = beta/(alpha+beta).

    Plain arithmetic: the arguments may be numpy arrays (the fit evaluates every bootstrap
    replicate at once).
    """
    g = frontier_scale(A, B, alpha, beta)
    params = g * (flops / FLOPS_PER_PARAM_TOKEN) ** (beta / (alpha + beta))
    return params, flops / (FLOPS_PER_PARAM_TOKEN * params)


class KaplanLoss(_Frozen):
    """L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Kaplan et al. 2020, eq. 1.5)."""

    form: Literal["kaplan"] = "kaplan"
    N_c: float = Field(gt=0, le=1e30)
    D_c: float = Field(gt=0, le=1e30)
    alpha_N: float = Field(gt=0, le=5)
    alpha_D: float = Field(gt=0, le=5)

    @property
    def irreducible_loss(self) -> float:
        return 0.0  # eq. 1.5 has no irreducible term

    def loss(self, params, tokens):
        return ((self.N_c / params) ** (self.alpha_N / self.alpha_D) + self.D_c / tokens) ** self.alpha_D

    def loss_floor(self, params):
        """L(N) = (N_c/N)^alpha_N: eq. 1.5 with unlimited tokens (eq. 1.1's form)."""
        return (self.N_c / params) ** self.alpha_N

    def tokens_for_loss(self, params: float, loss: float) -> float:
        gap = loss ** (1 / self.alpha_D) - (self.N_c / params) ** (self.alpha_N / self.alpha_D)
        return self.D_c / gap if gap > 0 else math.inf


LossForm = Annotated[Union[ChinchillaLoss, KaplanLoss], Field(discriminator="form")]


class CalibrationPoint(_Frozen):
    """A published projection (compute and the params and/or tokens it prescribes)."""

    flops: PositiveFloat
    params: PositiveFloat | None = None
    tokens: PositiveFloat | None = None

    @model_validator(mode="after")
    def _has_a_quantity(self) -> CalibrationPoint:
        if self.params is None and self.tokens is None:
            raise ValueError("a calibration point needs params, tokens or both")
        return self


class Allocation(_Frozen):
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


class Repetition(_Frozen):
    """Muennighoff et al. 2023: how fast repeated tokens (R_D*) and excess parameters (R_N*) lose worth."""

    R_D_star: float = Field(gt=0, le=1e6)
    R_N_star: float = Field(gt=0, le=1e6)


class Provenance(_Frozen):
    """Where a fitted law file came from (written by ``scale fit --save``)."""

    data: str
    date: str
    method: str
    n_runs: int = Field(ge=1)
    loss: str | None = None
    rmse_log: float | None = None
    tool: str | None = None


class FittedRange(_Frozen):
    """The runs a law was fitted on (from its paper, or the runs of ``scale fit``): an answer
    outside them is an extrapolation, and the planner says by how far."""

    flops: tuple[PositiveFloat, PositiveFloat] | None = None
    params: tuple[PositiveFloat, PositiveFloat] | None = None
    tokens_per_param: tuple[PositiveFloat, PositiveFloat] | None = None
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> FittedRange:
        for name in ("flops", "params", "tokens_per_param"):
            span = getattr(self, name)
            if span is not None and not span[0] <= span[1]:
                raise ValueError(f"{name}: expected [low, high] with low <= high, got {list(span)}")
        return self

    def warnings(self, law: str, flops=(), params=(), tokens_per_param=()) -> list[str]:
        """One sentence per quantity whose values leave the range, for the furthest value."""
        from .units import format_count, format_sci

        shown = {"flops": lambda v: f"{format_sci(v)} FLOPs", "params": lambda v: f"{format_count(v)} parameters",
                 "tokens_per_param": lambda v: f"{v:,.3g} tokens per parameter"}
        found = []
        for name, values in (("flops", flops), ("params", params), ("tokens_per_param", tokens_per_param)):
            span = getattr(self, name)
            values = [v for v in ([values] if isinstance(values, (int, float)) else values) if v is not None]
            if span is None or not values:
                continue
            high, low = max(values) / span[1], span[0] / min(values)
            if max(high, low) <= 1 + 1e-9:
                continue
            value, ratio, edge, side = (max(values), high, span[1], "largest") if high >= low else (min(values), low, span[0], "smallest")
            times = f"{ratio:.3g}x" if ratio < 1000 else f"{ratio:,.0f}x"
            found.append(
                f"{shown[name](value)}: {times} {'beyond' if side == 'largest' else 'below'} the {side} {law} was fitted on "
                f"({shown[name](edge)}), {math.log10(ratio):.1f} decades of extrapolation"
            )
        return found


class Law(_Frozen):
    """A scaling-law preset: its citation, what its N counts, its loss form and allocation."""

    union_tags: ClassVar[frozenset[str]] = frozenset({"chinchilla", "kaplan"})

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    kind: Literal["parametric", "allocation"]
    citation: str = Field(min_length=1)
    params_counted: str = "total"
    dataset: str = ""
    note: str = ""
    loss: LossForm | None = None
    allocation: Allocation | None = None
    data_constrained: Repetition | None = None
    provenance: Provenance | None = None
    fitted_range: FittedRange | None = None

    def range_warnings(self, flops=(), params=(), tokens=()) -> list[str]:
        """Where the given budgets, sizes and token counts leave the range the law was fitted on."""
        if self.fitted_range is None:
            return []
        flops, params, tokens = ([x] if isinstance(x, (int, float)) else list(x) for x in (flops, params, tokens))
        ratios = [d / n for n, d in zip(params, tokens)]
        return self.fitted_range.warnings(self.name, flops, params, ratios)

    @model_validator(mode="after")
    def _consistent(self) -> Law:
        if self.kind == "parametric":
            if not isinstance(self.loss, ChinchillaLoss):
                raise ValueError("a parametric law needs a [loss] table with form = 'chinchilla'")
            if self.allocation is not None:
                raise ValueError("a parametric law derives its allocation from [loss]: remove [allocation]")
        elif self.allocation is None:
            raise ValueError("an allocation law needs an [allocation] table")
        if self.data_constrained is not None and self.kind != "parametric":
            raise ValueError("[data_constrained] extends a parametric law: it needs kind = 'parametric'")
        return self

    def repetition(self, unique_tokens: float) -> Repetition:
        """The repetition terms, or a ScaleError saying this law has none."""
        if self.data_constrained is None:
            raise ScaleError(
                f"law {self.name!r} has no terms for repeated data (R_D*, R_N*): plan limited unique data with "
                "--law muennighoff (Muennighoff et al. 2023), the law fitted for it"
            )
        return self.data_constrained

    # -- allocation -------------------------------------------------------------------------

    def optimal(self, flops: float, unique_tokens: float | None = None) -> tuple[float, float]:
        """The law's compute-optimal (params, tokens) for a budget of ``flops`` (6·N·D = flops).

        With ``unique_tokens``, the data-constrained optimum (found numerically).
        """
        if unique_tokens is not None:
            from .constrained import constrained_optimal

            return constrained_optimal(self.loss, self.repetition(unique_tokens), flops, unique_tokens)
        if self.allocation is not None:
            return self.allocation.optimal(flops)
        return self.loss.optimal(flops)  # type: ignore[union-attr]

    @property
    def params_exponent(self) -> float:
        """a in N_opt ∝ C^a."""
        if self.allocation is None:
            return self.loss.params_exponent  # type: ignore[union-attr]
        a = self.allocation.exponent
        return a if self.allocation.quantity == "params" else 1 - a

    # -- loss ---------------------------------------------------------------------------------

    @property
    def has_loss(self) -> bool:
        return self.loss is not None

    def predict_loss(self, params: float, tokens: float, unique_tokens: float | None = None) -> float | None:
        """Predicted final loss, or ``None`` when the law has no loss form.

        With ``unique_tokens``, tokens beyond them are repeats (Muennighoff et al. 2023).
        """
        if self.loss is None:
            return None
        if unique_tokens is not None:
            from .constrained import constrained_loss

            return float(constrained_loss(self.loss, self.repetition(unique_tokens), params, tokens, unique_tokens))
        return float(self.loss.loss(params, tokens))

    def loss_floor(self, params: float, unique_tokens: float | None = None) -> float | None:
        """The lowest loss ``params`` can reach with unlimited tokens (``None``: no loss form)."""
        if self.loss is None:
            return None
        if unique_tokens is not None:
            from .constrained import constrained_floor

            return constrained_floor(self.loss, self.repetition(unique_tokens), params, unique_tokens)
        return float(self.loss.loss_floor(params))

    def tokens_for_loss(self, params: float, loss: float, unique_tokens: float | None = None) -> float | None:
        """Tokens that ``params`` needs to reach ``loss``: ``inf`` if unreachable, ``None`` if no loss form."""
        if self.loss is None:
            return None
        if unique_tokens is not None:
            from .constrained import constrained_tokens_for_loss

            return constrained_tokens_for_loss(self.loss, self.repetition(unique_tokens), params, loss, unique_tokens)
        return self.loss.tokens_for_loss(params, loss)

    def optimal_for_loss(self, loss: float, unique_tokens: float | None = None) -> tuple[float, float] | None:
        """The law's compute-optimal (params, tokens) whose predicted loss is ``loss``.

        ``None`` when the law has no loss form or ``loss`` is unreachable on its frontier.
        """
        if self.loss is None:
            return None
        if unique_tokens is not None:
            from .constrained import constrained_optimal_for_loss

            return constrained_optimal_for_loss(self.loss, self.repetition(unique_tokens), loss, unique_tokens)
        if self.allocation is None:
            return self.loss.optimal_for_loss(loss)  # type: ignore[union-attr]
        return self._frontier_root(loss)

    def _frontier_root(self, loss: float) -> tuple[float, float] | None:
        # The loss along an allocation law's frontier falls monotonically with compute: solve
        # for log10(C) between 1 FLOP and 1e60 FLOPs (far beyond any budget).
        from scipy.optimize import brentq

        def excess(log_flops: float) -> float:
            return self.predict_loss(*self.optimal(10.0**log_flops)) - loss  # type: ignore[operator]

        low, high = 0.0, 60.0
        if not excess(low) > 0 > excess(high):
            return None
        return self.optimal(10.0 ** brentq(excess, low, high, xtol=1e-12, rtol=1e-14))


# -- loading --------------------------------------------------------------------------------


def preset_names() -> list[str]:
    """Names of the shipped presets, ``chinchilla`` (the default) first."""
    names = sorted(path.stem for path in (config_dir() / "laws").glob("*.toml"))
    return sorted(names, key=lambda name: name != DEFAULT_LAW)


DEFAULT_LAW = "chinchilla"


def load_law(name_or_path: str | Path = DEFAULT_LAW) -> Law:
    """A preset by name (``chinchilla``, ``kaplan``, ...) or a law TOML file by path."""
    if not isinstance(name_or_path, (str, Path)):
        raise ScaleError(f"law: expected a preset name or a law .toml path, got {type(name_or_path).__name__}")
    text = str(name_or_path)
    if len(text) > 1000 or "\x00" in text:
        from .units import shorten

        raise ScaleError(f"unknown law {shorten(text)}: expected one of {', '.join(preset_names())}, or a path to a law .toml file")
    preset = config_dir() / "laws" / f"{text}.toml"
    if "/" not in text and "\\" not in text and not text.endswith(".toml"):
        if len(text) > 100 or not preset.is_file():
            raise ScaleError(
                f"unknown law {text!r}: expected one of {', '.join(preset_names())}, or a path to a law .toml file"
            )
        return load_toml(Law, preset, f"law preset {preset.name}")
    path = Path(text)
    return load_toml(Law, path)


def load_presets() -> list[Law]:
    """Every shipped preset, the default first."""
    return [load_law(name) for name in preset_names()]
