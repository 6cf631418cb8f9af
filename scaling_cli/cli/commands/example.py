"""``scale example``: list the shipped example runs, or write one to stdout."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..options import FormatOption, JsonOption, check_format
from ..output import emit_json


def example(
    name: Annotated[str | None, typer.Argument(help="The example to write to stdout as CSV (none: list them).", metavar="NAME")] = None,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """Example runs to try every command on: real published sweeps (attributed) and seeded synthetic ones."""
    check_format(format, json)
    from ...fitting.examples import example as example_text
    from ...fitting.examples import examples

    if name is not None:
        sys.stdout.write(example_text(name))
        return
    found = examples()
    if json:
        emit_json({"examples": [e.model_dump() for e in found]})
        return
    from rich.table import Table

    from ..output import console as make_console

    table = Table(title="Example runs (scale example NAME > file.csv)")
    for header in ("name", "what", "licence"):
        table.add_column(header, overflow="fold")
    for e in found:
        table.add_row(e.name, f"{e.title}\n[dim]{e.citation}\ntry: {e.try_}[/dim]", e.licence)
    make_console().print(table)
