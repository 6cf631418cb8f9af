"""Machine output: exactly one JSON object on stdout, base units, ``schema_version`` first."""

from __future__ import annotations

import json
import math
import sys
from typing import Any

SCHEMA_VERSION = 2
"""2 (#25): a prediction of one run's value names its intervals ``pi80``/``pi95`` (prediction
intervals), not ``ci80``/``ci95``, which stay on fitted quantities (confidence intervals);
docs/reference/json.md lists the keys."""
"""Bumped only on a breaking change of any command's JSON keys (docs/reference/json.md)."""


def jsonable(value: Any) -> Any:
    """``value`` with pydantic models dumped and non-finite floats turned into ``null``.

    A model is serialised by pydantic itself, which writes a non-finite float as null
    (``ser_json_inf_nan``; ``model_dump(mode="json")`` would keep a typed float's NaN), and read
    back: no walk over its values in Python (a fit of a ladder's checkpoints reports hundreds of
    thousands of backtest errors)."""
    if hasattr(value, "model_dump_json"):
        return json.loads(value.model_dump_json())
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_MARKDOWN = [False]
"""Whether this invocation asked for ``--format markdown`` (``options.check_format`` sets it,
``ScaleGroup`` resets it for every invocation)."""


def use_markdown(on: bool) -> None:
    _MARKDOWN[0] = on


def console():
    """The Rich console of every command's tables; a closed pipe is a BrokenPipeError (exit 0,
    see ``ScaleGroup``), not Rich's default SystemExit(1), which CI would read as a limit. Under
    ``--format markdown``, the same output as GitHub-flavoured Markdown."""
    if _MARKDOWN[0]:
        from .render.markdown import MarkdownConsole

        return MarkdownConsole(sys.stdout)
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

        def print(self, *objects, **options) -> None:
            from .render.tables import fit_width

            super().print(*(fit_width(item, self) for item in objects), **options)

    # Rich pads every table line to the width: in a pipe or a file that is trailing spaces (#29).
    return _Console() if sys.stdout.isatty() else _Console(file=_TrimmedLines(sys.stdout))  # type: ignore[arg-type]


class _TrimmedLines:
    """A text stream that writes whole lines without their trailing spaces."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        if lines:
            self.stream.write("".join(line.rstrip(" ") + "\n" for line in lines))
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.stream.write(self.pending)
            self.pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self.stream.fileno())

    @property
    def encoding(self) -> str:
        return str(getattr(self.stream, "encoding", "utf-8"))


def check_plot(plot: str | None) -> None:
    """Refuse a bad --plot path before any work is done."""
    if plot is not None:
        from ..plots.canvas import check_path

        check_path(plot)


def say_plotted(figure, path) -> None:
    """Every --plot says on stderr, in one line, what it wrote and where."""
    from ..plots.canvas import described

    sys.stderr.write(described(figure, path) + "\n")


def emit_json(payload: Any) -> None:
    """Print ``payload`` as one JSON object with ``schema_version``."""
    if hasattr(payload, "model_dump_json") and "schema_version" not in type(payload).model_fields:
        # A result model is written by pydantic straight to text (non-finite floats as null): a
        # fit of 20,000 runs carries millions of backtest errors, which a round trip through
        # Python objects would take seconds over.
        body = payload.model_dump_json()
        head = json.dumps({"schema_version": SCHEMA_VERSION})
        sys.stdout.write(head[:-1] + ("" if body == "{}" else ", " + body[1:]) + "\n")
        return
    body = jsonable(payload)
    sys.stdout.write(json.dumps({"schema_version": SCHEMA_VERSION, **body}, allow_nan=False) + "\n")
