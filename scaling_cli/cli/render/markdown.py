"""GitHub-flavoured Markdown (``--format markdown``): what a CI step appends to
``$GITHUB_STEP_SUMMARY`` or posts on a pull request. ``plan`` and ``fit`` have their own
summaries (``check`` too, in its command); every other command prints what its tables print,
through :class:`MarkdownConsole`: a table as a Markdown table, a line as a paragraph, every
warning and note kept."""

from __future__ import annotations

import io

from ...core.units import format_count, format_money, format_sci


def _rows(pairs) -> list[str]:
    return ["| | |", "|---|---|"] + [f"| {key} | {value} |" for key, value in pairs]


def _bullets(kind: str, items) -> list[str]:
    return [f"- {kind}: {item}" for item in items]


def plan_markdown(plan) -> str:
    pairs = [
        ("Budget", f"{format_sci(plan.flops)} FLOPs"),
        ("Parameters", format_count(plan.params)),
        ("Tokens", format_count(plan.tokens)),
        ("Tokens per parameter", f"{plan.tokens_per_param:,.1f}"),
        ("Predicted loss", "none (no loss form)" if plan.loss is None else f"{plan.loss:.4f} nats/token"),
        ("GPU-hours", f"{format_count(plan.gpu_hours)} on {plan.gpu} at {plan.mfu:.0%} MFU"),
    ]
    if plan.days is not None:
        pairs.append(("Wall-clock", f"{plan.days:,.1f} days on {plan.gpus:,} GPUs"))
    if plan.cost is not None:
        pairs.append(("Cost", format_money(plan.cost)))
    if plan.memory_per_gpu_bytes is not None:
        pairs.append(("Memory per GPU", f"{plan.memory_per_gpu_bytes / 1e9:,.1f} GB" + ("" if plan.run.fits else " (does NOT fit)")))
    for task in plan.tasks:
        caveat = " (see its warning)" if task.warnings else ""
        pairs.append((f"{task.name} ({task.metric})", ("out of reach" if task.value is None else f"{task.value:.1%}") + caveat))
    lines = [f"### Compute-optimal plan under `{plan.law}`", ""] + _rows(pairs) + [""]
    if plan.inference_optimal is not None:
        lines += _serving(plan) + [""]
    # Every warning a reviewer must see, the tasks' own included (#29).
    task_warnings = [f"{task.name}: {w}" for task in plan.tasks for w in task.warnings]
    lines += _bullets("Warning", [*plan.warnings, *(w for w in task_warnings if w not in plan.warnings)]) + _bullets("Note", plan.notes)
    return "\n".join(lines).rstrip() + "\n"


def _serving(plan) -> list[str]:
    """The compute-optimal and the inference-optimal model side by side, as the text output."""
    best = plan.inference_optimal
    bound = " (roofline bound)" if plan.inference_mfu_source == "roofline" else ""
    rows = [
        ("Params", format_count(plan.params), format_count(best.params)),
        ("Tokens", format_count(plan.tokens), format_count(best.tokens)),
        ("Total FLOPs", format_sci(plan.total_flops), format_sci(best.total_flops)),
        ("Training GPU-hours", format_count(plan.gpu_hours), format_count(best.train_gpu_hours)),
        (f"Serving MFU{bound}", f"{plan.inference_mfu:.1%}", f"{best.inference_mfu:.1%}"),
        ("Serving GPU-hours", format_count(plan.inference_gpu_hours), format_count(best.inference_gpu_hours)),
    ]
    if plan.cost is not None:
        rows += [
            ("Training cost", format_money(plan.cost), format_money(best.train_cost)),
            ("Serving cost", format_money(plan.inference_cost), format_money(best.inference_cost)),
        ]
    return (
        [
            f"#### Serving {format_count(plan.inference_tokens)} inference tokens (Sardana et al. 2024)",
            "",
            "| | Compute-optimal | Inference-optimal |",
            "|---|---|---|",
        ]
        + [f"| {a} | {b} | {c} |" for a, b, c in rows]
        + ["", f"Saving: {plan.total_flops_saving:.1%} of total FLOPs with the inference-optimal model."]
    )


def _estimate(e) -> str:
    if e is None or e.value is None:
        return "-"
    return f"{e.value:.4g}" + ("" if e.ci95 is None else f" [{e.ci95[0]:.4g}, {e.ci95[1]:.4g}]")


def fit_markdown(result) -> str:
    lines = [f"### Scaling-law fit ({result.method}): {result.n_runs} runs from `{result.source}`", ""]
    lines += ["| Quantity | Value [95 % interval] |", "|---|---|"]
    for name, estimate in (result.coefficients or {}).items():
        lines.append(f"| {name} | {_estimate(estimate)} |")
    lines.append(f"| a (N_opt ∝ C^a) | {_estimate(result.a)} |")
    reference = result.reference
    lines.append(
        f"| At {format_sci(reference.flops)} FLOPs | {format_count(reference.params.value)} parameters, "
        f"{format_count(reference.tokens.value)} tokens |"
    )
    for p in result.predictions:
        where = (
            f"{format_sci(p.flops)} FLOPs (compute-optimal)" if p.compute_optimal else f"{format_count(p.params)}, {format_count(p.tokens)}"
        )
        lines.append(f"| Loss at {where} | {_estimate(p.loss)} |")
    lines.append("")
    if result.holdout is not None:
        lines += [f"**Held-out check:** {result.holdout.verdict}", ""]
    if result.check is not None and result.backtests:
        lines += [f"- Backtests: {len(result.backtests)}; systematic error {result.check.extrapolation_per_decade:.2%} per decade"]
    lines += _bullets("Warning", result.warnings)
    return "\n".join(lines).rstrip() + "\n"


def _plain(renderable: object) -> str:
    from rich.text import Text

    if isinstance(renderable, Text):
        return renderable.plain
    if isinstance(renderable, str):
        return Text.from_markup(renderable).plain
    return "" if renderable is None else str(renderable)


def _cell(renderable: object) -> str:
    return " ".join(_plain(renderable).split()).replace("|", "\\|")


def table_markdown(table) -> str:
    """A Rich table as a Markdown table: its title in bold above, its caption below; a table
    without headers (a key-value block) gets empty ones, as Markdown needs a header row."""
    lines = [f"**{_plain(table.title)}**", ""] if table.title else []
    headers = [_cell(column.header) if table.show_header else "" for column in table.columns]
    lines += ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in zip(*(column._cells for column in table.columns)):
        lines.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
    if table.caption:
        lines += ["", _plain(table.caption)]
    return "\n".join(lines) + "\n"


class MarkdownConsole:
    """``console.print`` as the commands call it, writing Markdown: tables as tables, text as
    paragraphs, anything else as Rich renders it in a text block."""

    def __init__(self, file) -> None:
        self.file = file

    def print(self, *objects: object, end: str = "\n", **_: object) -> None:
        try:
            self._print(objects, end)
        except BrokenPipeError:
            # A fresh one, without errno: click turns an EPIPE OSError into exit 1; ScaleGroup
            # turns this into a quiet exit 0, as the Rich console's closed pipe (`| head`).
            raise BrokenPipeError from None

    def _print(self, objects: tuple[object, ...], end: str) -> None:
        from rich.table import Table

        for item in objects:
            if isinstance(item, Table):
                self.file.write("\n" + table_markdown(item) + "\n")
            elif isinstance(item, str) or type(item).__name__ == "Text":
                text = _plain(item)
                # A paragraph each: Markdown would run consecutive lines into one.
                self.file.write(text + ("\n\n" if text and end == "\n" else end))
            else:
                from rich.console import Console

                capture = Console(width=100, no_color=True, record=True, file=io.StringIO())
                capture.print(item)
                self.file.write("```text\n" + capture.export_text().rstrip() + "\n```\n")
