"""A scaling-law preset as data: its citation, what its N counts, its loss form and its allocation.

A law file (TOML, one per preset in ``configs/laws/``) is validated into a :class:`Law`. Two kinds:

* ``parametric``: a loss form with a closed or numerical compute-optimal split: the Chinchilla
  form (``chinchilla.py``), or the data-constrained form that wraps it (``data_constrained.py``);
* ``allocation``: a fitted power law N_opt = k C^a (``allocation.py``), with or without a loss
  form (Chinchilla or Kaplan, ``kaplan.py``). Asked for a loss, a law without one answers ``None``.

The law asks its loss form every question; a question the form cannot answer (repeated data on a
form without repetition terms) is a ``ScaleError``. Presets of the other families (routed
experts, vocabulary, ...) are :class:`~scaling_cli.laws.preset.FormPreset` files of the same
directory, named by their ``form`` key.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, PositiveFloat, model_validator

from ..core.configs import config_dir, load_toml
from ..core.errors import ScaleError
from .allocation import Allocation
from .base import Frozen, Values
from .chinchilla import ChinchillaLoss
from .data_constrained import DataConstrainedLoss, Repetition
from .kaplan import KaplanLoss

LossForm = Annotated[ChinchillaLoss | KaplanLoss | DataConstrainedLoss, Field(discriminator="form")]


class Provenance(Frozen):
    """Where a fitted law file came from (written by ``scale fit --save``)."""

    data: str
    date: str
    method: str
    n_runs: int = Field(ge=1)
    loss: str | None = None
    rmse_log: float | None = None
    tool: str | None = None


class FittedRange(Frozen):
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

    def warnings(self, law: str, flops: Values = (), params: Values = (), tokens_per_param: Values = ()) -> list[str]:
        """One sentence per quantity whose values leave the range, for the furthest value."""
        from ..core.units import format_count, format_sci

        shown = {
            "flops": lambda v: f"{format_sci(v)} FLOPs",
            "params": lambda v: f"{format_count(v)} parameters",
            "tokens_per_param": lambda v: f"{v:,.3g} tokens per parameter",
        }
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


# -- where an allocation can be planned on (#26) ---------------------------------------------
# Where a law's allocation can be planned on: the policy every preset (and every fitted law) follows.
#
# A law answers at any budget, but its allocation is an extrapolation of the exponents it was
# fitted with. The policy (#26), the same for every law: its allocation is plannable while its
# tokens per parameter stay within ``DRIFT``x of their value at the largest budget it was fitted on
# (or the budget whose optimum is its largest fitted size). An allocation that moves further was not
# seen by any of its runs: FLAME-MoE's N grows as C^0.72 and proposes 0.66 tokens per parameter at
# 1e23 FLOPs (22.9 at its largest fitted budget, 3e19); Chinchilla's moves 1.2x from 1e22 to 1e25,
# Llama 3's 1.7x. How far the compute itself extrapolates is said apart, in decades
# (``fitted_range``), and the fits' intervals grow with it.
#
# A law file may state its own range (``[plannable]``: ``tokens_per_param``, and ``flops`` for a
# hard compute range, with ``source``). Beyond it the plan still answers, and says loudly that the
# allocation is not one to book a cluster on (``warnings`` first, JSON ``plannable: false``).

DRIFT = 3.0
"""How far tokens per parameter may move from the fitted edge's before the allocation is not plannable."""


class Plannable(Frozen):
    """The budgets and allocations a law can be planned on."""

    flops: tuple[PositiveFloat, PositiveFloat] | None = None
    tokens_per_param: tuple[PositiveFloat, PositiveFloat] | None = None
    source: str = ""


class Law(Frozen):
    """A scaling-law preset: its citation, what its N counts, its loss form and allocation."""

    union_tags: ClassVar[frozenset[str]] = frozenset({"chinchilla", "kaplan", "data-constrained"})

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    kind: Literal["parametric", "allocation"]
    citation: str = Field(min_length=1)
    params_counted: str = "total"
    dataset: str = ""
    note: str = ""
    loss: LossForm | None = None
    allocation: Allocation | None = None
    provenance: Provenance | None = None
    fitted_range: FittedRange | None = None
    plannable: Plannable | None = None
    """Where its allocation can be planned on (``plannable_range`` below); None: the policy's range from ``fitted_range``."""
    caveats: list[str] = []
    """What the fit that made this law warned about its own numbers (an allocation the runs do not
    pin down): every plan from the law repeats them in its warnings."""

    @model_validator(mode="before")
    @classmethod
    def _repetition_table(cls, data: Any) -> Any:
        """A ``[data_constrained]`` table (the law files before the form existed) joins the loss
        as the data-constrained form it describes."""
        if isinstance(data, dict) and isinstance(data.get("data_constrained"), dict) and isinstance(data.get("loss"), dict):
            data = dict(data)
            loss = {**data["loss"], **data.pop("data_constrained")}
            if loss.get("form", "chinchilla") == "chinchilla":
                loss["form"] = "data-constrained"
            data["loss"] = loss
        return data

    @property
    def data_constrained(self) -> Repetition | None:
        """The repetition terms (R_D*, R_N*) of a data-constrained loss form, else ``None``."""
        return getattr(self.loss, "repetition", None)

    def range_warnings(self, flops: Values = (), params: Values = (), tokens: Values = ()) -> list[str]:
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
                raise ValueError("a parametric law needs a [loss] table with form = 'chinchilla' or 'data-constrained'")
            if self.allocation is not None:
                raise ValueError("a parametric law derives its allocation from [loss]: remove [allocation]")
        elif self.allocation is None:
            raise ValueError("an allocation law needs an [allocation] table")
        elif isinstance(self.loss, DataConstrainedLoss):
            raise ValueError("the data-constrained form derives its optimum from its loss: it needs kind = 'parametric'")
        return self

    def repetition(self, unique_tokens: float) -> Repetition:
        """The repetition terms, or a ScaleError saying this law has none."""
        repetition: Repetition = self._form(unique_tokens).law.repetition
        return repetition

    def _form(self, unique_tokens: float | None) -> Any:
        """The loss form that answers: the law's own, or its form on ``unique_tokens`` unique tokens."""
        if unique_tokens is None:
            return self.loss
        if not isinstance(self.loss, DataConstrainedLoss):
            raise ScaleError(
                f"law {self.name!r} has no terms for repeated data (R_D*, R_N*): plan limited unique data with "
                "--law muennighoff (Muennighoff et al. 2023), the law fitted for it"
            )
        return self.loss.on_unique_tokens(unique_tokens)

    # -- allocation -------------------------------------------------------------------------

    def optimal(self, flops: float, unique_tokens: float | None = None) -> tuple[float, float]:
        """The law's compute-optimal (params, tokens) for a budget of ``flops`` (6·N·D = flops).

        With ``unique_tokens``, the data-constrained optimum (found numerically).
        """
        from ..core.errors import positive
        from ..core.validation import FLOPS_RANGE

        flops = positive("flops", flops, FLOPS_RANGE, "FLOPs")
        return self._optimal(flops, None if unique_tokens is None else positive("unique_tokens", unique_tokens))

    def _optimal(self, flops: float, unique_tokens: float | None = None) -> tuple[float, float]:
        """:meth:`optimal` without a library call's checks (root finders search beyond the range)."""
        form = self._form(unique_tokens)  # a law without repetition terms refuses unique_tokens here
        if self.allocation is not None:
            return self.allocation.optimal(flops)
        optimum: tuple[float, float] = form.optimal(flops)
        return optimum

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
        from ..core.errors import positive

        # Any positive size: the planner's domain (1e3 parameters and up) is not the law's, whose
        # own optimum at 1e10 FLOPs may be a smaller model.
        params, tokens = positive("params", params), positive("tokens", tokens)
        return self._predict_loss(params, tokens, None if unique_tokens is None else positive("unique_tokens", unique_tokens))

    def _predict_loss(self, params: float, tokens: float, unique_tokens: float | None = None) -> float | None:
        """:meth:`predict_loss` without a library call's checks."""
        return None if self.loss is None else float(self._form(unique_tokens).loss(params, tokens))

    def loss_floor(self, params: float, unique_tokens: float | None = None) -> float | None:
        """The lowest loss ``params`` can reach with unlimited tokens (``None``: no loss form)."""
        return None if self.loss is None else float(self._form(unique_tokens).loss_floor(params))

    def tokens_for_loss(self, params: float, loss: float, unique_tokens: float | None = None) -> float | None:
        """Tokens that ``params`` needs to reach ``loss``: ``inf`` if unreachable, ``None`` if no loss form."""
        return None if self.loss is None else self._form(unique_tokens).tokens_for_loss(params, loss)

    def loss_limit(self, unique_tokens: float) -> float:
        """The loss no budget goes below on ``unique_tokens`` unique tokens."""
        limit: float = self._form(unique_tokens).limit()
        return limit

    def optimal_for_loss(self, loss: float, unique_tokens: float | None = None) -> tuple[float, float] | None:
        """The law's compute-optimal (params, tokens) whose predicted loss is ``loss``.

        ``None`` when the law has no loss form or ``loss`` is unreachable on its frontier.
        """
        if self.loss is None:
            return None
        form = self._form(unique_tokens)
        if self.allocation is None:
            reached: tuple[float, float] | None = form.optimal_for_loss(loss)
            return reached
        return self._frontier_root(loss)

    def _frontier_root(self, loss: float) -> tuple[float, float] | None:
        # The loss along an allocation law's frontier falls monotonically with compute: solve
        # for log10(C) between 1 FLOP and 1e60 FLOPs (far beyond any budget).
        from scipy.optimize import brentq

        def excess(log_flops: float) -> float:
            return self._predict_loss(*self._optimal(10.0**log_flops)) - loss  # type: ignore[operator]

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
    if text == "-":  # a law file on standard input
        from ..core.configs import parse_toml, validate
        from ..core.files import read_text

        body = read_text("-", "a law .toml file")
        return validate(Law, parse_toml(body, "<stdin>"), "<stdin>", text=body)
    if len(text) > 1000 or "\x00" in text:
        from ..core.units import shorten

        raise ScaleError(f"unknown law {shorten(text)}: expected one of {', '.join(preset_names())}, or a path to a law .toml file")
    preset = config_dir() / "laws" / f"{text}.toml"
    if "/" not in text and "\\" not in text and not text.endswith(".toml"):
        if len(text) > 100 or not preset.is_file():
            from ..core.units import did_you_mean

            raise ScaleError(
                f"unknown law {text!r}{did_you_mean(text, preset_names())}: expected one of {', '.join(preset_names())}, "
                "or a path to a law .toml file"
            )
        return load_toml(Law, preset, f"law preset {preset.name}")
    path = Path(text)
    return load_toml(Law, path)


def load_presets() -> list[Law]:
    """Every shipped preset, the default first."""
    return [load_law(name) for name in preset_names()]


def _edge_flops(law: Law) -> float | None:
    """The largest budget the law was fitted on, or the budget whose optimum is its largest fitted size."""
    fitted = law.fitted_range
    if fitted is None:
        return None
    if fitted.flops is not None:
        return fitted.flops[1]
    if fitted.params is None:
        return None
    low, high = 1e10, 1e30  # the optimum's size grows with compute: bisect in log space
    for _ in range(80):
        middle = math.sqrt(low * high)
        low, high = (middle, high) if law.optimal(middle)[0] < fitted.params[1] else (low, middle)
    return math.sqrt(low * high)


def plannable_range(law: Law) -> Plannable | None:
    """The law's own ``[plannable]``, else the policy's range from its fitted range (None without one)."""
    if law.plannable is not None:
        return law.plannable
    edge = _edge_flops(law)
    if edge is None:
        return None
    params, tokens = law.optimal(edge)
    ratio = tokens / params
    return Plannable(
        tokens_per_param=(ratio / DRIFT, ratio * DRIFT),
        source=f"laws/law.py (plannable_range): tokens per parameter within {DRIFT:g}x of the {ratio:.3g} at its largest fitted budget ({edge:.3g} FLOPs)",
    )


def plannable_warnings(law: Law, flops: float, params: float, tokens: float) -> list[str]:
    """One loud sentence where ``flops`` or the allocation (``params``, ``tokens``) leaves the plannable range."""
    found = plannable_range(law)
    if found is None:
        return []
    problems = []
    if found.flops is not None and not found.flops[0] <= flops <= found.flops[1]:
        problems.append(f"{flops:.3g} FLOPs is outside the {found.flops[0]:.3g}-{found.flops[1]:.3g} it can be planned on")
    ratio = tokens / params
    if found.tokens_per_param is not None and not found.tokens_per_param[0] <= ratio <= found.tokens_per_param[1]:
        low, high = found.tokens_per_param
        problems.append(f"its allocation's {ratio:.3g} tokens per parameter left the {low:.3g}-{high:.3g} its fitted runs support")
    if not problems:
        return []
    return [
        f"NOT PLANNABLE: {law.name}'s allocation is not one to book a cluster on here: {'; '.join(problems)} "
        f"({found.source}); check it against another law or fit your own runs"
    ]
