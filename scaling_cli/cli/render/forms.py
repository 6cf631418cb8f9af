"""Rich rendering of the law forms and family presets in ``scale laws``."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ...laws.base import Form
from ...laws.preset import FormPreset
from .tables import data_table


def render_forms(console: Console, forms: list[Form], detailed: bool) -> None:
    if not forms:
        return
    if detailed:
        for form in forms:
            console.print(Text(f"Form {form.name}: {form.title}", style="bold"))
            console.print(f"{form.equation}")
            console.print(f"Source: {form.citation}")
            console.print(
                "Variables: "
                + "; ".join(f"{v.name} ({v.description})" for v in form.variables)
                + f"; target: {form.target.name} ({form.target.description})"
            )
            console.print("Parameters: " + ", ".join(f"{p.name} in [{p.bounds[0]:g}, {p.bounds[1]:g}]" for p in form.parameters))
            console.print("Answers: " + "; ".join(form.questions))
            console.print(f"Objectives: {', '.join(form.objectives)} (default {form.objectives[0]}); backtests along {form.scale}")
            console.print(Text(f"Presets: {form.presets}", style="dim"))
        return
    bare = [form.name for form in forms if form.presets.startswith("none")]
    caption = "`scale laws FORM` shows its equation, source and presets."
    if bare:
        caption += f" No primary constants exist for {', '.join(bare)}: fit them on your runs (no made-up presets)."
    table = data_table("Law forms (`scale fit --form NAME` fits one on your runs)", caption=caption)
    for header in ("Form", "Columns", "What it is"):
        table.add_column(header)
    for form in forms:
        table.add_row(form.name, ", ".join(v.name for v in form.variables) + f" -> {form.target.name}", form.title)
    console.print(table)


def render_family_presets(console: Console, presets: list[FormPreset], detailed: bool) -> None:
    if not presets:
        return
    if detailed:
        for preset in presets:
            console.print(Text(f"{preset.name}: {preset.title}", style="bold"))
            console.print(f"Form: {preset.form}; source: {preset.citation}")
            console.print("Constants: " + ", ".join(f"{k}={v:g}" for k, v in preset.constants.items()))
            if preset.extra:
                console.print("Companion constants: " + ", ".join(f"{k}={v:g}" for k, v in preset.extra.items()))
            for variable, counted in preset.counts.items():
                console.print(f"{variable}: {counted}")
            if preset.fitted_range_source:
                console.print(f"Fitted on: {preset.fitted_range_source}")
            if preset.note:
                console.print(Text(preset.note, style="dim"))
        return
    table = data_table("Presets of the other families")
    for header in ("Preset", "Form", "Title"):
        table.add_column(header)
    for preset in presets:
        table.add_row(preset.name, preset.form, preset.title)
    console.print(table)
