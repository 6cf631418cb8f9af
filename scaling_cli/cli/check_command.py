"""``scale check``: budget files in CI, and the limit flags of ``plan`` and ``overtrain``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .options import JsonOption
from .output import emit_json

UNITS = {"max_flops": "sci", "max_gpu_hours": "count", "max_days": "plain", "max_cost": "money", "max_memory_per_gpu": "bytes"}


def check(
    budgets: Annotated[Optional[list[str]], typer.Argument(help="Budget files (TOML; `scale check --example` prints an annotated one).", metavar="BUDGET...", show_default=False)] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.", metavar="")] = False,
    example: Annotated[bool, typer.Option("--example", help="Print the annotated example budget file and exit: scale check --example > budget.toml.", metavar="")] = False,
    json: JsonOption = False,
) -> None:
    """Check planned runs (budget files) against their limits, for CI.

    Exit 0 when every limit holds, 1 when one is exceeded (or, with --strict, on a warning),
    2 when a file or a value is invalid."""
    from ..budget import evaluate, load_budget

    if example:
        from ..configs import config_dir

        typer.echo((config_dir() / "budget.example.toml").read_text(encoding="utf-8"), nl=False)
        return
    if not budgets:
        from ..errors import ScaleError

        raise ScaleError("check: give one or more budget files (scale check --example > budget.toml writes one to start from)")

    evaluations = [evaluate(load_budget(path), path) for path in budgets]
    ok = all(e.ok for e in evaluations) and not (strict and any(e.warnings for e in evaluations))
    if json:
        emit_json({
            "ok": ok,
            "strict": strict,
            "checks": [check for e in evaluations for check in e.checks],
            "files": [{"file": e.file, "ok": e.ok, "values": e.values, "checks": e.checks, "warnings": e.warnings} for e in evaluations],
        })
    else:
        from rich.text import Text

        from .output import console as make_console

        console = make_console()
        for e in evaluations:
            render_checks(console, e.checks, title=f"{e.file}: {'within budget' if e.ok else 'OVER BUDGET'}")
            for warning in e.warnings:
                console.print(Text(f"Warning: {warning}" + (" (fails with --strict)" if strict else ""), style="yellow"))
        verdict = "all limits hold" if ok else ("a warning fails --strict" if all(e.ok for e in evaluations) else "a limit is exceeded")
        console.print(Text(f"{len(evaluations)} budget file(s): {verdict}.", style="bold green" if ok else "bold red"))
    if not ok:
        raise typer.Exit(1)


def _value(name: str, value: float | None) -> str:
    from ..units import format_value

    return format_value(value, UNITS.get(name, "plain"))


def render_checks(console, checks, title: str = "Limits") -> None:
    from rich.text import Text

    from .tables import data_table

    table = data_table(title)
    rows = any(c.row is not None for c in checks)
    for header in (("Row",) if rows else ()) + ("Limit", "Allowed", "Planned", "Margin", "Result"):
        table.add_column(header, justify="left" if header in ("Limit",) else "right")
    for c in checks:
        result = Text("pass", style="green") if c.ok else Text("FAIL", style="bold red")
        margin = "-" if c.margin is None else f"{c.margin:+.1%}"
        table.add_row(*((str(c.row),) if rows else ()), c.name, _value(c.name, c.limit), _value(c.name, c.value), margin, result)
    console.print(table)


def limit_checks(limits, values_list: list[dict]) -> list:
    """Every limit given as a flag, checked on each plan (or over-training row) of ``values_list``."""
    from ..budget import check_limits

    if limits is None:
        return []
    rows = len(values_list) > 1
    return [check for index, values in enumerate(values_list) for check in check_limits(values, limits, row=index + 1 if rows else None)]
