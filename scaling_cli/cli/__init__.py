"""The ``scale`` command: a thin layer that parses, calls the planner core and renders.

Errors are handled in one place, :class:`ScaleGroup.main`: a user error (bad input, a bad file, a
question without an answer) is one line on stderr and exit 2; an exceeded budget limit exits 1;
a bug is one line naming it and exit 3 (``SCALE_DEBUG=1`` shows the traceback).

Owns: :mod:`app` (the Typer app; registers the commands), ``commands/`` (one module a command
family), ``render/`` (Rich tables and Markdown), :mod:`options` (parsers and shared options),
:mod:`output` (JSON and the console), :mod:`progress`, :mod:`group` (errors and exit codes).

May import: everything. Nothing imports it but ``__main__``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence


def _interrupted_while_starting(signum, frame) -> None:  # pragma: no cover - exercised in a subprocess
    os.write(2, b"scale: error: interrupted\n")
    os._exit(130)


# Ctrl-C in the first milliseconds (Typer and click loading) is one line and exit 130, not a
# traceback (#28): the command's own handling takes over once the app is built (main()). Only
# when this process is the `scale` command: a library or a test run keeps Python's handler.
if os.path.basename(sys.argv[0]) in ("scale", "-m", "__main__.py"):
    signal.signal(signal.SIGINT, _interrupted_while_starting)

from .group import fail  # noqa: E402


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: ``scale``.

    Typer builds a click command for every registered command up front (~7 ms each), and each
    command's module imports what its options need. When the first argument names a command,
    only that one is imported and built: `scale plan ...` in a CI loop does not pay for `fit`'s
    thirty options. Anything else (help, completion, a typo) gets them all.
    """
    import warnings

    # numpy's RuntimeWarnings (overflow in an extreme solve) are not for users: every answer
    # is checked for finiteness where it is made, and stderr on an error is one line.
    warnings.simplefilter("ignore", RuntimeWarning)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from typer.main import get_command

        from .app import COMMANDS, build

        # A first argument that names a command: only that one is imported and built.
        single = bool(args) and args[0] in {name for name, _ in COMMANDS} and not os.environ.get("_SCALE_COMPLETE")
        app = build([args[0]] if single else None)
    except KeyboardInterrupt:
        fail("interrupted")
        sys.exit(130)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # from here: KeyboardInterrupt, handled in group.py
    get_command(app).main(args=args, prog_name="scale")
