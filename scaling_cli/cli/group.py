"""The root command group: every failure one line on stderr and an exit code; the examples each
command's help ends with."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from typer.core import TyperGroup
from typer.exceptions import Abort, TyperException

from ..core.errors import ScaleError

INTERNAL_ERROR = 3
EXAMPLES = {
    None: [
        "scale plan --flops 1e23  (start here: the compute-optimal model for a budget)",
        "scale fit runs.csv --holdout 5 --predict-flops 1e23",
        "scale check budget.toml --strict",
    ],
    "plan": [
        "scale plan --flops 1e23",
        "scale plan --gpus 1024 --days 30 --gpu h100-sxm --price 2.5",
        "scale plan --flops 1e22 --unique-tokens 25e9 --synthetic-price 2",
    ],
    "overtrain": ["scale overtrain --params 7e9", "scale overtrain --params 8e9 --tokens 15T --price 2.5 --gpus 512"],
    "loss": ["scale loss --params 70B --tokens 1.4T", "scale loss --params 7B --tokens 2T --law chinchilla --json"],
    "laws": ["scale laws", "scale laws kaplan"],
    "gpus": ["scale gpus", "scale gpus --json"],
    "fit": [
        "scale example synthetic-sweep > runs.csv && scale fit runs.csv --holdout 1",
        "scale fit runs.csv --holdout 5 --predict-flops 1e23",
        "scale fit runs.csv --columns params=model_size,loss=val_loss --predict 7B,140B --plot fit.png",
        "scale fit isoflops.csv --method isoflop --at 3.8e25",
    ],
    "compare": [
        "scale compare base.csv idea.csv --label base --label idea --plot compare.png",
        "scale compare runs.csv --by train_dataset --columns loss=loss_c4_val --at 1e22",
    ],
    "pattern": [
        "scale pattern runs.csv --metric acc_hellaswag --chance 0.25",
        "scale pattern ladder.csv --metric mmlu_acc --x params --chance 0.25 --json",
    ],
    "curve": [
        "scale curve curves.csv --where model=400M",
        "scale curve curves.csv --schedule cos=cosine:total=100000,warmup=2000,peak=3e-4,final=3e-5 "
        "--schedule wsd=wsd:total=100000,warmup=2000,peak=3e-4,final=3e-5,decay_start=80000",
        "scale curve wandb.csv --columns step=_step,loss=train/loss --track big-run --json",
    ],
    "example": ["scale example", "scale example synthetic-sweep > runs.csv && scale fit runs.csv"],
    "sweep": ["scale sweep --min-flops 1e18 --max-flops 1e20 --budgets 3 --sizes 5 --csv sweep.csv"],
    "shape": ["scale shape --params 7e9", "scale shape --config config.json --seq 8192"],
    "memory": ["scale memory --params 7e9 --gpu a100-80gb", "scale memory --params 70e9 --gpu h100-sxm --zero 3 --dp 64"],
    "mfu": ["scale mfu --config config.json --tokens-per-second-per-gpu 3800 --seq 8192"],
    "check": ["scale check budget.toml", "scale check budget.toml --strict --json"],
}
"""Each command's help ends with real invocations (the README's); `scale` alone with where to start."""
MAX_LINE = 400
"""An error line is cut to this many characters: a message quoting a huge input stays readable."""


def _flag_help(get_help_option):
    """click builds --help on demand: give it the flags' empty metavar as it is built."""
    if getattr(get_help_option, "flag_help", False):
        return get_help_option

    def wrapped(ctx):
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    wrapped.flag_help = True  # type: ignore[attr-defined]  # a marker on the function
    return wrapped


INTERRUPTED = 130
"""The exit code of Ctrl-C (128 + SIGINT), with one line on stderr (#28: it exited 130 silently)."""


def fail(message: str) -> None:
    """Print one error line on stderr."""
    line = " ".join(str(message).split())
    if len(line) > MAX_LINE:
        line = f"{line[:MAX_LINE]}... ({len(line) - MAX_LINE:,} more characters)"
    try:
        sys.stderr.write(f"scale: error: {line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: nothing more to say


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
        from .output import use_markdown

        use_markdown(False)  # each invocation's own --format (the tests run many in one process)
        narrow = _terminal_columns() < WIDE_HELP
        for name, command in [(None, self), *self.commands.items()]:
            # Rich's panels cut option names and words below ~100 columns (`--no-flash-att…`);
            # click's plain help wraps them whole (#29). The command object may serve another
            # invocation (tests build it once): its own mode is kept and restored.
            if not hasattr(command, "wide_markup_mode"):
                command.wide_markup_mode = getattr(command, "rich_markup_mode", None)  # type: ignore[attr-defined]
            command.rich_markup_mode = None if narrow else command.wide_markup_mode  # type: ignore[attr-defined]
            for item in [command, *command.params]:
                _plain_help(item, narrow)
            for param in command.params:  # a flag takes no value: no "<bool>" in the help
                if getattr(param, "is_flag", False):
                    param.metavar = ""
                elif param.metavar is None and param.name:
                    # A value named for what it is (FORMAT, LOSS, RUNS), not Typer's "<str>" (#29).
                    param.metavar = param.name.upper().replace("_", "-")
                if param.param_type_name == "argument":
                    _plain_argument(param)
            command.get_help_option = _flag_help(command.get_help_option)  # type: ignore[method-assign]  # --help too: click builds it late
            if EXAMPLES.get(name) and not command.epilog:
                command.epilog = "Examples:\n\n" + "\n\n".join(f"  {line}" for line in EXAMPLES[name])
        try:
            args = list(sys.argv[1:] if args is None else args)
            completing = os.environ.get(complete_var or f"_{(prog_name or 'scale').replace('-', '_').upper()}_COMPLETE")
            if not args and not completing:
                # Bare `scale` is a usage error: the help goes to stderr and the exit is 2, so a
                # script that lost its arguments fails instead of passing (#29).
                import contextlib

                with contextlib.redirect_stdout(sys.stderr):
                    super().main(args=["--help"], prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
                return 2
            asked = self.commands.get(args[0]) if args else None
            repeated = asked is not None and _repeated_option(asked, args[1:])
            if repeated:
                raise ScaleError(f"{repeated} is given twice: give it once (only the repeatable options, such as --predict, take several)")
            result = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra)
            if result == INTERRUPTED:  # Typer turns Ctrl-C into Exit(130), which click returns here: say so
                fail("interrupted")
                return INTERRUPTED
        except ScaleError as error:
            fail(str(error))
            return error.exit_code
        except TyperException as error:  # click's usage errors: bad flags, bad values
            if type(error).__name__ == "NoArgsIsHelpError":
                sys.stderr.write(error.format_message() + "\n")
                return 2
            fail(error.format_message())
            return error.exit_code
        except (Abort, KeyboardInterrupt):
            fail("interrupted")
            return INTERRUPTED
        except BrokenPipeError:
            return _closed_pipe()
        except OSError as error:  # stdout on a full disk (> /dev/full), and the like
            fail(f"cannot write the output: {error.strerror or error}")
            return 2
        except Exception as error:  # a bug: say so in one line
            if os.environ.get("SCALE_DEBUG"):
                raise
            fail(f"internal error: {type(error).__name__}: {error} (a bug: please report it; SCALE_DEBUG=1 shows the traceback)")
            return INTERNAL_ERROR
        try:
            sys.stdout.flush()  # a full disk or a closed pipe shows here, not at interpreter exit
        except BrokenPipeError:
            return _closed_pipe()
        except OSError as error:
            fail(f"cannot write the output: {error.strerror or error}")
            return 2
        return result if isinstance(result, int) else 0


WIDE_HELP = 100
"""Terminals at least this wide get Typer's Rich help panels; narrower ones click's plain help."""


def _terminal_columns() -> int:
    import shutil

    return shutil.get_terminal_size(fallback=(80, 24)).columns


def _plain_help(item: Any, narrow: bool) -> None:
    """Rich markup escapes square brackets ('.\\[plot]'); click's plain help shows text as is.
    The original is kept on the object (the tests build the commands once) and restored."""
    if not hasattr(item, "wide_help"):
        item.wide_help = getattr(item, "help", None)
    if isinstance(item.wide_help, str):
        item.help = item.wide_help.replace("\\[", "[") if narrow else item.wide_help


def _plain_argument(argument) -> None:
    """An argument as click writes it: ``RUNS`` in the usage line (Typer writes ``{RUNS}``) and no
    ``<str>`` type beside its name in the help (#29)."""
    name = argument.metavar or argument.name.upper()
    more = "..." if argument.nargs != 1 and not name.endswith("...") else ""
    argument.display_type_rich = lambda ctx: None
    argument._usage_display_name = lambda: (name if argument.required else f"[{name}]") + more


def _closed_pipe() -> int:
    """The reader went away (`scale ... | head -1`): not an error of ours, exit 0 quietly.

    stdout is pointed at /dev/null so that the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


def _repeated_option(command, args: list[str]) -> str | None:
    """The first option of ``command`` given more than once, unless it is repeatable.

    Click silently keeps the last of two values; `--flops 1e23 --flops 1e24` is a mistake
    worth one line, not a plan for either."""
    seen: dict[str, str] = {}
    names = {
        opt: param
        for param in command.params
        if getattr(param, "opts", None) and not param.multiple
        for opt in (*param.opts, *param.secondary_opts)
    }
    for arg in args:
        if arg == "--":
            break
        flag = arg.split("=", 1)[0]
        param = names.get(flag)
        if param is None:
            continue
        if param.name in seen:
            return f"{seen[param.name]}"
        seen[param.name] = flag
    return None


def command_name(info) -> str:
    return info.name or info.callback.__name__.replace("_", "-")
