"""The ``scale`` command: a thin layer that parses, calls the planner core and renders.

Errors are handled in one place, :class:`ScaleGroup.main`: a user error (bad input, a bad file, a
question without an answer) is one line on stderr and exit 2; an exceeded budget limit exits 1;
a bug is one line naming it and exit 3 (``SCALE_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence

from typer.core import TyperGroup
from typer.exceptions import Abort, TyperException

from ..errors import ScaleError

INTERNAL_ERROR = 3


def fail(message: str) -> None:
    """Print one error line on stderr."""
    line = " ".join(str(message).split())
    sys.stderr.write(f"scale: error: {line}\n")


class ScaleGroup(TyperGroup):
    """The root command group; it turns every failure into one line and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = self._run(args, prog_name or "scale", complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args, prog_name, complete_var, extra) -> int:
        try:
            result = super().main(
                args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra
            )
        except ScaleError as error:
            fail(str(error))
            return error.exit_code
        except TyperException as error:  # click's usage errors: bad flags, bad values
            if type(error).__name__ == "NoArgsIsHelpError":
                sys.stdout.write(error.format_message() + "\n")
                return 0
            fail(error.format_message())
            return error.exit_code
        except (Abort, KeyboardInterrupt):
            fail("aborted")
            return 130
        except BrokenPipeError:
            # The reader went away (`scale ... | head`): not an error of ours.
            sys.stderr.close()
            return 0
        except Exception as error:  # a bug: say so in one line
            if os.environ.get("SCALE_DEBUG"):
                raise
            fail(f"internal error: {type(error).__name__}: {error} (a bug: please report it; SCALE_DEBUG=1 shows the traceback)")
            return INTERNAL_ERROR
        return result if isinstance(result, int) else 0


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: ``scale``.

    Typer builds a click command for every registered command up front (~7 ms each). When the
    first argument names a command, only that one is built: `scale plan ...` in a CI loop does
    not pay for `fit`'s thirty options. Anything else (help, completion, a typo) gets them all.
    """
    from typer.main import get_command

    from .app import app

    args = list(sys.argv[1:] if argv is None else argv)
    chosen = [info for info in app.registered_commands if args and _command_name(info) == args[0]]
    if chosen and not os.environ.get("_SCALE_COMPLETE"):
        import copy

        single = copy.copy(app)
        single.registered_commands = chosen
        get_command(single).main(args=args, prog_name="scale")
    get_command(app).main(args=args, prog_name="scale")


def _command_name(info) -> str:
    return info.name or info.callback.__name__.replace("_", "-")
