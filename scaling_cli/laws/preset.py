"""Presets of the law families beyond L(N, D): a form's constants as data, with their source.

A file in ``configs/laws/families/`` names its ``form`` (``routed``, ``vocabulary``, ...) and
gives ``[constants]`` for every parameter of that form, checked against the form's bounds, with
what each variable counts and the range the constants were fitted on. The planner's L(N, D)
laws stay :class:`~scaling_cli.laws.law.Law` files one directory up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from ..core.configs import config_dir, load_toml
from ..core.errors import ScaleError
from .base import Frozen, form_named


class FormPreset(Frozen):
    """A family preset: its form, constants, citation, what its variables count and its fitted range."""

    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    form: str = Field(min_length=1)
    citation: str = Field(min_length=1)
    note: str = ""
    counts: dict[str, str] = {}
    """What each variable counts (``params = "parameters used per token"``)."""
    constants: dict[str, float]
    extra: dict[str, float] = {}
    """Constants of a companion law from the same source (said in ``note``)."""
    published: dict[str, float] = {}
    """The source's own values where the shipped constants are a converged refit of its data (kept
    for comparison: ``note`` gives both fits' errors)."""
    fitted_range: dict[str, tuple[float, float]] = {}
    fitted_range_source: str = ""

    @model_validator(mode="after")
    def _matches_its_form(self) -> FormPreset:
        try:
            form = form_named(self.form)
        except ScaleError as error:
            raise ValueError(str(error)) from None
        expected = set(form.parameter_names)
        if set(self.constants) != expected:
            raise ValueError(f"form {self.form} takes the constants {', '.join(form.parameter_names)}, got {', '.join(self.constants)}")
        for parameter in form.parameters:
            low, high = parameter.bounds
            if not low <= self.constants[parameter.name] <= high:
                raise ValueError(
                    f"constants.{parameter.name}: expected a value in [{low:g}, {high:g}], got {self.constants[parameter.name]:g}"
                )
        return self

    def predict(self, **variables: Any) -> Any:
        """The form's target at these variables (numbers or numpy arrays)."""
        return form_named(self.form).predict(self.constants, variables)


def family_dir() -> Path:
    return config_dir() / "laws" / "families"


def family_preset_names() -> list[str]:
    """Names of the shipped family presets."""
    return sorted(path.stem for path in family_dir().glob("*.toml"))


def load_family_preset(name: str) -> FormPreset:
    """A family preset by name (``clark-sbase``, ``tao-vocab``) or a preset TOML file by path."""
    text = str(name)
    if "/" in text or "\\" in text or text.endswith(".toml"):
        return load_toml(FormPreset, Path(text))
    path = family_dir() / f"{text}.toml"
    if len(text) > 100 or not path.is_file():
        from ..core.units import did_you_mean, shorten

        names = family_preset_names()
        raise ScaleError(f"unknown preset {shorten(text)}{did_you_mean(text, names)}: expected one of {', '.join(names)}")
    return load_toml(FormPreset, path, f"law preset families/{path.name}")
