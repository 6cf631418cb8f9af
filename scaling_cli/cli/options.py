"""Option parsers and the options several commands share.

Numbers go through :func:`scaling_cli.units.parse_number` (``7B``, ``1.4T``, ``1e23``); a bad
value becomes Typer's ``BadParameter``, which the root group prints as one line with exit 2.
"""

from __future__ import annotations

import math
from typing import Annotated, Optional

import typer

from ..compute import DEFAULT_MFU
from ..hardware import DEFAULT_GPU
from ..laws import DEFAULT_LAW
from ..units import parse_number


def _number(text: str) -> float:
    try:
        return parse_number(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def positive(text: str) -> float:
    """A finite number > 0."""
    value = _number(text)
    if not value > 0:
        raise typer.BadParameter(f"expected a number > 0, got {text!r}")
    return value


def non_negative(text: str) -> float:
    """A finite number >= 0."""
    value = _number(text)
    if value < 0:
        raise typer.BadParameter(f"expected a number >= 0, got {text!r}")
    return value


def fraction(text: str) -> float:
    """A fraction in (0, 1]; a percentage such as ``40%`` is accepted too."""
    stripped = str(text).strip()
    value = _number(stripped[:-1]) / 100 if stripped.endswith("%") else _number(stripped)
    if not 0 < value <= 1:
        raise typer.BadParameter(f"expected a fraction in (0, 1] such as 0.4 or 40%, got {text!r}")
    return value


def count(text: str) -> int:
    """A whole number >= 1 (GPUs): ``8``, ``2k``, ``16_384``."""
    value = _number(text)
    if value < 1 or value != math.floor(value):
        raise typer.BadParameter(f"expected a whole number >= 1, got {text!r}")
    return int(value)


def positive_list(text: str, option: str) -> list[float]:
    """A comma-separated list of numbers > 0: ``20,50,100`` or ``1T,2T``."""
    items = [item for item in str(text).split(",")]
    if not text or any(not item.strip() for item in items):
        raise typer.BadParameter(f"expected a comma-separated list of numbers such as 20,50,100, got {text!r}", param_hint=option)
    try:
        return [positive(item) for item in items]
    except typer.BadParameter as error:
        raise typer.BadParameter(error.message, param_hint=option) from None


LawOption = Annotated[
    str,
    typer.Option("--law", help="A preset (see `scale laws`) or a path to a law .toml file.", metavar="LAW"),
]
PlanLawOption = Annotated[
    Optional[str],
    typer.Option(
        "--law",
        help="A preset (see `scale laws`) or a law .toml file [default: chinchilla; muennighoff with --unique-tokens].",
        metavar="LAW",
        show_default=False,
    ),
]
GpuOption = Annotated[str, typer.Option("--gpu", help="Accelerator (see `scale gpus`).", metavar="GPU")]
MfuOption = Annotated[
    float, typer.Option("--mfu", parser=fraction, help="Model FLOPs utilisation, 0-1 (or 40%).", metavar="FRACTION")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (base units) instead of tables.")]

DEFAULTS = {"law": DEFAULT_LAW, "gpu": DEFAULT_GPU, "mfu": DEFAULT_MFU}


def optional_number(parser, *names: str, help: str, metavar: str = "NUMBER"):
    """An optional numeric option parsed by ``parser``."""
    return Annotated[Optional[float], typer.Option(*names, parser=parser, help=help, metavar=metavar)]
