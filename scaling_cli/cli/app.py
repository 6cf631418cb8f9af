"""The ``scale`` app: the root options, and every command registered in the order of ``--help``.

Each command is a function in ``cli/commands/`` that parses its options, calls the library
function of the same name, and renders the result (Rich tables, or one JSON object with
``--json``). The commands never import this module: it imports them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from .group import ScaleGroup

app = typer.Typer(
    cls=ScaleGroup,
    name="scale",
    help="Plan compute-optimal LLM training from published neural scaling laws.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"scale {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.", metavar="")
    ] = False,
) -> None:
    """Plan compute-optimal LLM training from published neural scaling laws."""


from .commands.check import check  # noqa: E402  (each command is defined in cli/commands/, registered here)
from .commands.compare import compare  # noqa: E402
from .commands.curve import curve  # noqa: E402
from .commands.example import example  # noqa: E402
from .commands.fit import fit  # noqa: E402
from .commands.laws import gpus, laws  # noqa: E402
from .commands.pattern import pattern  # noqa: E402
from .commands.plan import loss, overtrain, plan, sweep  # noqa: E402
from .commands.run import memory, mfu, shape  # noqa: E402

# The order of `scale --help`.
for command in (plan, overtrain, loss, laws, gpus, sweep, fit, pattern, compare, curve, shape, memory, mfu, check, example):
    app.command()(command)
