"""What a law family declares: its variables, its parameters (bounds, starting grid) and its function.

Each family module of this package (``chinchilla.py``, ``routed.py``, ...) defines ``FORMS``, a
tuple of :class:`Form`. The registry finds them by listing the package, so a new family is one
module (plus its presets in ``configs/laws/`` and its tests): nothing here names the families.

A form's ``predict`` maps natural parameters and variables to the target (a loss, a reward) with
numpy broadcasting: parameters as arrays of shape (batch, 1), variables of shape (runs,), so one
call evaluates every start of a multi-start search or every bootstrap replicate at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ..core.configs import reject_bools
from ..core.errors import ScaleError

Values = Any
"""A number or a numpy array of them: every form's function takes both (one run, or every run and
bootstrap replicate at once), as numpy's arithmetic does."""
Constants = Mapping[str, Any]
"""A form's fitted constants by name (numbers, or arrays of bootstrap replicates)."""
Inputs = Mapping[str, Any]
"""A form's variables by name (numbers or arrays)."""
Predict = Callable[[Constants, Inputs], Values]
Answer = Callable[[Constants, Inputs], dict[str, Values]]


class Frozen(BaseModel):
    """The base of every law model: immutable, no unknown keys, no NaN, no booleans as numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bools(cls, data: Any) -> Any:
        return reject_bools(cls, data)


@dataclass(frozen=True)
class Variable:
    """An input column of the form: ``name`` as in a runs file, and what it counts."""

    name: str
    description: str
    positive: bool = True
    """A value must be > 0 (sizes, token counts); rewards and KL distances from 0 may be 0 or signed."""
    alias: str = ""
    """Another column the variable may be read from (a reward form's ``kl``), converted by ``from_alias``."""
    from_alias: Callable[[Values], Values] | None = field(default=None, repr=False, compare=False)
    alias_note: str = ""


@dataclass(frozen=True)
class Parameter:
    """A fitted constant: its bounds, its starting grid, and whether it is searched in log space."""

    name: str
    bounds: tuple[float, float]
    grid: tuple[float, ...]
    log: bool = False
    """Search ln(value) instead of the value (prefactors and floors, which span decades)."""
    description: str = ""


@dataclass(frozen=True)
class Form:
    """A law family's form as the fitter and ``scale laws`` see it."""

    name: str
    title: str
    equation: str
    citation: str
    variables: tuple[Variable, ...]
    target: Variable
    parameters: tuple[Parameter, ...]
    predict: Predict = field(repr=False)
    scale: str = ""
    """The variable along which the runs grow: backtests and ``--holdout`` hold out its largest values."""
    questions: tuple[str, ...] = ()
    """The planner questions the family answers (said in ``scale laws``)."""
    answer: Answer | None = field(default=None, repr=False)
    """``answer(constants: dict[str, ndarray]) -> dict[str, ndarray]``: the planner question's
    numbers from fitted constants (vectorised over bootstrap replicates), or ``None``."""
    objectives: tuple[str, ...] = ("huber", "lsq", "log-lsq")
    """huber: Huber (delta 1e-3) in log space; lsq: least squares on the target; log-lsq: least
    squares on log10 of the target (Clark et al.'s). Signed targets take lsq only. The first is
    the form's default (its paper's objective)."""
    presets: str = ""
    """Where the shipped constants come from, or why there are none."""

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def summary(self) -> dict[str, Any]:
        """The JSON of ``scale laws``: ``name``, ``variables``, ``parameters``, ``citation`` and more."""
        return {
            "name": self.name,
            "title": self.title,
            "equation": self.equation,
            "citation": self.citation,
            "variables": [v.name for v in self.variables],
            "target": self.target.name,
            "parameters": [{"name": p.name, "bounds": list(p.bounds), "description": p.description} for p in self.parameters],
            "questions": list(self.questions),
            "objectives": list(self.objectives),
            "presets": self.presets,
        }


_REGISTRY: dict[str, Form] | None = None


def forms() -> dict[str, Form]:
    """Every registered form by name, in the order of the modules, then of their ``FORMS``."""
    global _REGISTRY
    if _REGISTRY is None:
        import importlib
        import pkgutil
        from pathlib import Path

        # The family modules beside this one (not the package's __path__: that import would make
        # this module depend on its own package's __init__, a cycle).
        found: dict[str, Form] = {}
        for module in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: (m.name != "chinchilla", m.name)):
            declared = getattr(importlib.import_module(f"{__package__}.{module.name}"), "FORMS", ())
            for form in declared:
                if form.name in found:
                    raise RuntimeError(f"two law forms are named {form.name!r}")
                found[form.name] = form
        _REGISTRY = found
    return _REGISTRY


def form_named(name: str) -> Form:
    """The form called ``name``, or a ScaleError listing the forms."""
    registry = forms()
    if not isinstance(name, str) or name not in registry:
        from ..core.units import did_you_mean, shorten

        raise ScaleError(f"unknown form {shorten(str(name))}{did_you_mean(name, list(registry))}: expected one of {', '.join(registry)}")
    return registry[name]
