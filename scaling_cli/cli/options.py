"""Option parsers and the options several commands share.

Numbers go through :func:`scaling_cli.core.units.parse_number` (``7B``, ``1.4T``, ``1e23``); a bad
value becomes Typer's ``BadParameter``, which the root group prints as one line with exit 2.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Annotated, Any

import typer

from ..core.compute import DEFAULT_MFU
from ..core.units import parse_number
from ..core.validation import COUNT_RANGE, FLOPS_RANGE, PARAMS_RANGE
from ..hardware.gpus import DEFAULT_GPU
from ..laws import DEFAULT_LAW


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


def bytes_value(text: str) -> float:
    """Bytes > 0: 80GB (1e9 bytes), 80GiB (2^30) or a plain number (8e10)."""
    from ..core.units import parse_bytes

    try:
        value = parse_bytes(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if not value > 0:
        raise typer.BadParameter(f"expected a number of bytes > 0, got {text!r}")
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
    """A whole number from 1 to 1e9 (GPUs, layers, widths, sequences): ``8``, ``2k``, ``16_384``.
    The bound is the library's own (``core.validation.COUNT_RANGE``): declared once."""
    value = _number(text)
    if value < COUNT_RANGE[0] or value != math.floor(value) or value > COUNT_RANGE[1]:
        raise typer.BadParameter(f"expected a whole number from 1 to {COUNT_RANGE[1]:,}, got {text!r}")
    return int(value)


def whole(minimum: int):
    """A parser of whole numbers from ``minimum`` to 1e9 (``1000``, ``2k``)."""

    def parse(text: str) -> int:
        value = _number(text)
        if value != math.floor(value) or value < minimum or value > COUNT_RANGE[1]:
            raise typer.BadParameter(f"expected a whole number from {minimum} to {COUNT_RANGE[1]:,}, got {text!r}")
        return int(value)

    return parse


def _within(bounds: tuple[float, float], what: str):
    """A parser of numbers within ``bounds`` (the library's declared domain for ``what``)."""

    def parse(text: str) -> float:
        value = _number(text)
        if not bounds[0] <= value <= bounds[1]:
            raise typer.BadParameter(f"expected {what} from {bounds[0]:.0e} to {bounds[1]:.0e}, got {text!r}")
        return value

    return parse


flops_value = _within(FLOPS_RANGE, "a budget in FLOPs")
"""``--at``, ``--min-flops``, ...: the planner's FLOP domain (``core.validation.FLOPS_RANGE``)."""
params_value = _within(PARAMS_RANGE, "a model size in parameters")
"""``--params``: the planner's size domain (``core.validation.PARAMS_RANGE``)."""


def positive_list(text: str, option: str) -> list[float]:
    """A comma-separated list of numbers > 0: ``20,50,100`` or ``1T,2T``."""
    items = list(str(text).split(","))
    if not text or any(not item.strip() for item in items):
        raise typer.BadParameter(f"expected a comma-separated list of numbers such as 20,50,100, got {text!r}", param_hint=option)
    try:
        return [positive(item) for item in items]
    except typer.BadParameter as error:
        raise typer.BadParameter(error.message, param_hint=option) from None


def complete_files(incomplete: str) -> list[str]:
    """Shell completion of a file argument: no values, which Typer's scripts hand to the shell's
    own file-name completion (bash: ``complete -o default``; zsh: ``_files``)."""
    return []


def _names_or_files(names: list[str], incomplete: str) -> list[str]:
    """Names that match, or file-name completion once the value looks like a path."""
    if "/" in incomplete or incomplete.startswith(".") or incomplete.endswith((".toml", ".json")):
        return complete_files(incomplete)
    return [name for name in names if name.startswith(incomplete)]


def complete_laws(incomplete: str) -> list:
    """Shell completion of --law: the presets, or a law file's path."""
    from ..laws import preset_names

    return _names_or_files(preset_names(), incomplete)


def complete_law_names(incomplete: str) -> list[str]:
    """Shell completion of ``scale laws NAME``: presets, family presets and forms."""
    from ..laws import forms, preset_names
    from ..laws.preset import family_preset_names

    return [name for name in [*preset_names(), *family_preset_names(), *forms()] if name.startswith(incomplete)]


def complete_tasks(incomplete: str) -> list[str]:
    """Shell completion of ``--task``: the ladder's short names and the Gadre averages."""
    from ..planning.sections.tasks import task_names

    names = [name.removeprefix("ladder-") for name in task_names()]
    return [name for name in names if name.startswith(incomplete)]


def complete_gpus(incomplete: str) -> list:
    from ..hardware.gpus import load_gpus

    return _names_or_files(list(load_gpus()), incomplete)


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="text (tables), or markdown: GitHub-flavoured tables for $GITHUB_STEP_SUMMARY or a pull request.",
        autocompletion=lambda incomplete: [f for f in ("text", "markdown") if f.startswith(incomplete)],
    ),
]


def check_format(format: str, json: bool) -> None:
    """--format is text or markdown, and not both markdown and --json."""
    if format not in ("text", "markdown"):
        raise typer.BadParameter(f"expected text or markdown, got {format!r}", param_hint="--format")
    if format == "markdown" and json:
        raise typer.BadParameter("give --json or --format markdown, not both", param_hint="--format")
    from .output import use_markdown

    use_markdown(format == "markdown")


def complete_forms(incomplete: str) -> list[str]:
    """Shell completion of ``--form``: the registered law forms."""
    from ..laws.base import forms

    return [name for name in forms() if name.startswith(incomplete)]


def choices(*values: str):
    """Shell completion of an option with a fixed set of values."""
    return lambda incomplete: [value for value in values if value.startswith(incomplete)]


LawOption = Annotated[
    str,
    typer.Option("--law", help="A preset (see `scale laws`) or a path to a law .toml file.", metavar="LAW", autocompletion=complete_laws),
]
PlanLawOption = Annotated[
    str | None,
    typer.Option(
        "--law",
        help="A preset (see `scale laws`) or a law .toml file \\[default: chinchilla; muennighoff with --unique-tokens].",
        metavar="LAW",
        show_default=False,
        autocompletion=complete_laws,
    ),
]
GpuOption = Annotated[
    str,
    typer.Option(
        "--gpu",
        help="Accelerator (see `scale gpus`), or a .toml file of your own with the catalog's keys.",
        metavar="GPU",
        autocompletion=complete_gpus,
    ),
]
MfuOption = Annotated[float, typer.Option("--mfu", parser=fraction, help="Model FLOPs utilisation, 0-1 (or 40%).", metavar="FRACTION")]
PrecisionOption = Annotated[
    str,
    typer.Option(
        "--precision",
        help="The matmul precision GPU-hours assume: bf16, or fp8 (the GPU's dense FP8 peak).",
        autocompletion=lambda incomplete: [p for p in ("bf16", "fp8") if p.startswith(incomplete)],
    ),
]
PlotOption = Annotated[
    str | None,
    typer.Option(
        "--plot",
        help="Also draw the result to FILE (.png, .svg or .pdf); needs matplotlib: pip install '.\\[plot]'.",
        metavar="FILE",
        autocompletion=complete_files,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object (base units) instead of tables.", metavar="")]

DEFAULTS: dict[str, Any] = {"law": DEFAULT_LAW, "gpu": DEFAULT_GPU, "mfu": DEFAULT_MFU}


def option_group(name: str, options: dict[str, tuple[Any, Any]], build: Callable[..., Any]):
    """A decorator giving a command a group of options that several commands share.

    ``options`` maps parameter names to (annotation, default); the command declares a parameter
    ``name`` instead and receives ``build(**those options)`` in it. Typer reads the signature
    this builds, so help, parsing and completion are Typer's own.
    """

    def decorate(command):
        own = [
            parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY)
            for parameter in inspect.signature(command, eval_str=True).parameters.values()
            if parameter.name != name
        ]
        shared = [
            inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
            for option, (annotation, default) in options.items()
        ]

        @functools.wraps(command)
        def wrapper(**kwargs):
            grouped = {option: kwargs.pop(option) for option in options}
            return command(**{name: build(**grouped)}, **kwargs)

        wrapper.__signature__ = inspect.Signature(own + shared)  # type: ignore[attr-defined]  # what Typer reads
        wrapper.__annotations__ = {p.name: p.annotation for p in own + shared}
        del wrapper.__wrapped__  # Typer must read the new signature, not the wrapped one
        return wrapper

    return decorate


def _limits(**values):
    """The limits given as flags, or None when there are none (budget.py stays unimported)."""
    given = {name: value for name, value in values.items() if value is not None}
    if not given:
        return None
    from ..planning.budget import Limits

    return Limits(**given)


def _limit(flag: str, help: str, parser=positive, metavar: str = "NUMBER"):
    return (
        Annotated[
            float | None, typer.Option(flag, parser=parser, help=help, metavar=metavar, rich_help_panel="Limits (exit 1 when exceeded)")
        ],
        None,
    )


with_limits = option_group(
    "limits",
    {
        "max_flops": _limit("--max-flops", "Fail if the run needs more FLOPs."),
        "max_gpu_hours": _limit("--max-gpu-hours", "Fail above this many GPU-hours."),
        "max_days": _limit("--max-days", "Fail above this many wall-clock days (needs --gpus)."),
        "max_cost": _limit("--max-cost", "Fail above this cost in USD (needs --price)."),
        "max_loss": _limit("--max-loss", "Fail if the predicted loss is higher."),
        "min_tokens_per_param": _limit("--min-tokens-per-param", "Fail below this many tokens per parameter."),
        "max_tokens_per_param": _limit("--max-tokens-per-param", "Fail above this many tokens per parameter."),
        "max_compute_overhead": _limit(
            "--max-compute-overhead",
            "Fail above this compute overhead against the compute-optimal run of equal loss (0.25 = 25 %).",
            non_negative,
        ),
        "max_memory_per_gpu": _limit(
            "--max-memory-per-gpu",
            "Fail above this many bytes per GPU (80GB, 80GiB or 8e10; needs --gpus).",
            parser=bytes_value,
            metavar="BYTES",
        ),
        "max_epochs": _limit("--max-epochs", "Fail above this many epochs over --unique-tokens."),
    },
    _limits,
)


HparamsLawOption = Annotated[
    str | None,
    typer.Option(
        "--hparams-law",
        help="The run section's learning-rate / batch-size law (with --gpus): step-law (default), deepseek, or a law file.",
        metavar="NAME|FILE",
    ),
]
FrameworkOption = Annotated[
    str,
    typer.Option(
        "--framework",
        help="The run section's memory accounting (with --gpus): megatron (tensor/pipeline parallel layouts) or pytorch "
        "(eager PyTorch / FSDP: data parallel with sharding; measured).",
    ),
]
CountedSeqOption = Annotated[
    int, typer.Option("--seq", parser=count, help="Tokens per sequence: the attention GPU-hours count (MFU's FLOPs).", metavar="T")
]
