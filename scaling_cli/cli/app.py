"""The ``scale`` app: the root options, and every command registered in the order of ``--help``.

Each command is a function in ``cli/commands/`` that parses its options, calls the library
function of the same name, and renders the result (Rich tables, or one JSON object with
``--json``). The commands never import this module: it imports them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Collection
from typing import Annotated

import typer

from .group import ScaleGroup

COMMANDS = (
    ("plan", "plan"),
    ("overtrain", "plan"),
    ("loss", "plan"),
    ("laws", "laws"),
    ("gpus", "laws"),
    ("sweep", "sweep"),
    ("fit", "fit"),
    ("pattern", "pattern"),
    ("compare", "compare"),
    ("curve", "curve"),
    ("shape", "run"),
    ("memory", "run"),
    ("mfu", "run"),
    ("check", "check"),
    ("example", "example"),
)
"""(command, its module in ``cli/commands/``), in the order of ``scale --help``."""


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"scale {__version__}\n")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.", metavar="")
    ] = False,
) -> None:
    """Plan compute-optimal LLM training from published neural scaling laws."""


def build(names: Collection[str] | None = None) -> typer.Typer:
    """The app with the commands ``names`` (all by default). A command's module is imported only
    when it is registered: `scale plan` does not import `fit`'s, `curve`'s or `check`'s (about
    100 ms of the start-up, #30)."""
    app = typer.Typer(
        cls=ScaleGroup,
        name="scale",
        help="Plan compute-optimal LLM training from published neural scaling laws.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name, module in COMMANDS:
        if names is None or name in names:
            app.command()(getattr(importlib.import_module(f"{__package__}.commands.{module}"), name))
    return app


def __getattr__(name: str) -> typer.Typer:
    """``app``: every command, built on first use (tests, the README's examples, ``--help``)."""
    if name == "app":
        globals()["app"] = found = build()
        return found
    raise AttributeError(name)
