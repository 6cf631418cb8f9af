"""``scale check``: budget files in CI, and the limit flags of ``plan`` and ``overtrain``."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import HparamsLawOption, JsonOption, complete_files
from ..output import emit_json

UNITS = {"max_flops": "sci", "max_gpu_hours": "count", "max_days": "plain", "max_cost": "money", "max_memory_per_gpu": "bytes"}


def check(
    budgets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Budget files (TOML; `scale check --example` prints an annotated one).",
            metavar="BUDGET...",
            show_default=False,
            autocompletion=complete_files,
        ),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.", metavar="")] = False,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="text (tables), or markdown: GitHub-flavoured tables for $GITHUB_STEP_SUMMARY or a pull-request comment.",
            autocompletion=lambda incomplete: [f for f in ("text", "markdown") if f.startswith(incomplete)],
        ),
    ] = "text",
    example: Annotated[
        bool,
        typer.Option(
            "--example", help="Print the annotated example budget file and exit: scale check --example > budget.toml.", metavar=""
        ),
    ] = False,
    hparams_law: HparamsLawOption = None,
    json: JsonOption = False,
) -> None:
    """Check planned runs (budget files) against their limits, for CI.

    Exit 0 when every limit holds, 1 when one is exceeded (or, with --strict, on a warning),
    2 when a file or a value is invalid."""
    from ...planning.budget import evaluate

    if example:
        from ...core.configs import config_dir
        from ...core.errors import ScaleError

        if format not in ("text", "markdown"):
            raise ScaleError(f"--format: expected text or markdown, got {format!r}")
        text = (config_dir() / "budget.example.toml").read_text(encoding="utf-8")
        if json:  # the JSON contract holds here too: one object, the file as a string
            emit_json({"example": text})
        else:
            typer.echo(text, nl=False)
        return
    if not budgets:
        from ...core.errors import ScaleError

        raise ScaleError("check: give one or more budget files (scale check --example > budget.toml writes one to start from)")

    from ...core.errors import ScaleError

    if format not in ("text", "markdown"):
        raise ScaleError(f"--format: expected text or markdown, got {format!r}")
    # Every file is checked and reported; an invalid one does not hide the others (exit 2 at the end).
    evaluations, errors = [], []
    for path in budgets:
        try:
            evaluations.append(evaluate(_load(path), "<stdin>" if path == "-" else path, hparams_law))
        except ScaleError as error:
            errors.append(str(error))
    ok = all(e.ok for e in evaluations) and not (strict and any(e.unaccepted for e in evaluations))
    if json:
        emit_json(
            {
                "ok": ok and not errors,
                "strict": strict,
                "checks": [check for e in evaluations for check in e.checks],
                "files": [
                    {
                        "file": e.file,
                        "ok": e.ok,
                        "values": e.values,
                        "checks": e.checks,
                        "warnings": e.warnings,
                        "warning_kinds": e.kinds,
                        "warnings_accepted": e.accepted,
                    }
                    for e in evaluations
                ],
                "errors": errors,
            }
        )
    elif format == "markdown":
        typer.echo(markdown(evaluations, errors, strict, ok))
    else:
        from rich.text import Text

        from ..output import console as make_console

        console = make_console()
        for e in evaluations:
            title = f"{e.file}: {'within budget' if e.ok else 'OVER BUDGET'}"
            if e.checks:
                render_checks(console, e.checks, title=title)
            else:
                console.print(Text(f"{e.file}: no limits", style="bold"))
            for warning, fine in zip(e.warnings, e.accepted):
                console.print(Text(f"Warning: {warning}" + _strictness(strict, fine), style="yellow"))
        verdict = "all limits hold" if ok else ("a warning fails --strict" if all(e.ok for e in evaluations) else "a limit is exceeded")
        invalid = f"; {len(errors)} invalid (see the errors)" if errors else ""
        shown = (
            f"{len(evaluations)} budget file(s) checked: {verdict}{invalid}."
            if evaluations
            else f"no budget file could be checked: {len(errors)} invalid."
        )
        console.print(Text(shown, style="bold green" if ok and not errors else "bold red"))
    if errors:
        raise ScaleError("; ".join(errors) + (f" ({len(evaluations)} other file(s) checked)" if evaluations else ""))
    if not ok:
        raise typer.Exit(1)


def _load(path: str):
    """A budget file, or ``-`` for standard input (as `scale fit -` reads runs)."""
    from ...planning.budget import load_budget

    if path != "-":
        return load_budget(path)
    from ...core.configs import parse_toml, validate
    from ...core.files import read_text
    from ...planning.budget import BudgetFile

    text = read_text("-", "a budget file")  # bounded, as every input (#28)
    return validate(BudgetFile, parse_toml(text.lstrip("\ufeff"), "<stdin>"), "<stdin>", text=text)


def _strictness(strict: bool, accepted: bool) -> str:
    return " (accepted by the budget file)" if accepted else " (fails with --strict)" if strict else ""


def markdown(evaluations, errors: list[str], strict: bool, ok: bool) -> str:
    """GitHub-flavoured Markdown: one table of limits per file, its warnings, and the verdict."""
    lines = []
    for e in evaluations:
        lines += [f"### `{e.file}`: {'within budget' if e.ok else 'OVER BUDGET'}", ""]
        if e.checks:
            lines += markdown_checks(e.checks).strip("\n").splitlines() + [""]
        lines += [f"- Warning: {w}" + _strictness(strict, fine) for w, fine in zip(e.warnings, e.accepted)]
        lines.append("")
    lines += [f"- Error: {error}" for error in errors]
    lines.append("")  # a blank line: the verdict is a paragraph, not part of the last bullet
    verdict = (
        "all limits hold"
        if ok and not errors
        else "a file is invalid"
        if errors
        else ("a warning fails --strict" if all(e.ok for e in evaluations) else "a limit is exceeded")
    )
    lines.append(f"**{len(evaluations)} budget file(s): {verdict}.**")
    return "\n".join(lines)


def markdown_checks(checks) -> str:
    """The limit flags of plan (--max-gpu-hours, ...) as a Markdown table; empty without them."""
    if not checks:
        return ""
    lines = ["", "| Limit | Allowed | Planned | Margin | Result |", "|---|---:|---:|---:|---|"]
    for c in checks:
        margin = "-" if c.margin is None else f"{c.margin:+.1%}"
        lines.append(
            f"| `{c.name}` | {_value(c.name, c.limit)} | {_value(c.name, c.value)} | {margin} | {'pass' if c.ok else '**FAIL**'} |"
        )
    return "\n".join(lines) + "\n"


def _value(name: str, value: float | None) -> str:
    from ...core.units import format_value

    return format_value(value, UNITS.get(name, "plain"))


def render_checks(console, checks, title: str = "Limits") -> None:
    from rich.text import Text

    from ..render.tables import data_table

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
    from ...planning.budget import check_limits

    if limits is None:
        return []
    rows = len(values_list) > 1
    return [check for index, values in enumerate(values_list) for check in check_limits(values, limits, row=index + 1 if rows else None)]
