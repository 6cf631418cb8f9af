"""``scale laws`` and ``scale gpus``: the presets, forms and accelerators the tool ships."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ...planning import planner
from ..options import (
    FormatOption,
    JsonOption,
    check_format,
    complete_law_names,
)
from ..output import console as make_console
from ..output import emit_json

if TYPE_CHECKING:
    from ...laws import Law


def laws(
    name: Annotated[
        str | None,
        typer.Argument(
            help="Show one law, family preset or form in full (name or .toml path).", metavar="LAW", autocompletion=complete_law_names
        ),
    ] = None,
    form: Annotated[
        str | None,
        typer.Option("--form", help="Show this law form (what `scale fit --form` fits), not a preset of its name.", metavar="FORM"),
    ] = None,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """The scaling-law presets, the law forms you can fit, their sources and key constants.

    A name is a planner preset first (`chinchilla` is the default law), then a family preset,
    then a form; `--form NAME` shows the form."""
    check_format(format, json)
    from ...laws import forms, load_presets, preset_names
    from ...laws.hyperparams import hyperparameter_law, hyperparameter_law_names
    from ...laws.preset import family_preset_names, load_family_preset

    registry = forms()
    families = family_preset_names()
    hyperparameter_names = hyperparameter_law_names()
    from ...laws.curves.multipower import FORM as CURVE_FORM

    if name == CURVE_FORM["name"] or form == CURVE_FORM["name"]:
        if json:
            emit_json({"curve_forms": [CURVE_FORM]})
        else:
            _render_curve_forms(detailed=True)
        return
    if name in hyperparameter_names:
        law = hyperparameter_law(name)
        if json:
            emit_json({"hyperparameter_laws": [law.model_dump()]})
        else:
            _render_hyperparameter_laws([law], detailed=True)
        return
    if form is not None:
        from ...laws import form_named

        name = form
        form_named(form)  # an unknown form is one line naming the forms
    planner_names = [] if form is not None else preset_names()
    if name in registry and name not in planner_names:
        chosen: list[Law] = []
        shown_forms, presets = [registry[name]], [load_family_preset(p) for p in families]
        presets = [p for p in presets if p.form == name]
    elif name in families or (name is not None and name.endswith(".toml") and _names_a_form(name)):
        chosen, shown_forms, presets = [], [], [load_family_preset(name)]
    else:
        chosen = [planner.resolve_law(name)] if name else load_presets()
        shown_forms = [] if name else list(registry.values())
        presets = [] if name else [load_family_preset(p) for p in families]
    if json:
        emit_json(
            {
                "laws": [_law_json(law) for law in chosen],
                "forms": [form.summary() for form in shown_forms],
                "family_presets": [preset.model_dump() for preset in presets],
                "hyperparameter_laws": [] if name else [hyperparameter_law(n).model_dump() for n in hyperparameter_names],
                "curve_forms": [] if name else [CURVE_FORM],
            }
        )
    else:
        from ..render.forms import render_family_presets, render_forms
        from ..render.plan import render_laws

        console = make_console()
        if chosen:
            render_laws(console, chosen, detailed=name is not None)
        render_forms(console, shown_forms, detailed=name is not None)
        render_family_presets(console, presets, detailed=name is not None)
        if not name:
            _render_hyperparameter_laws([hyperparameter_law(n) for n in hyperparameter_names], detailed=False)
            _render_curve_forms(detailed=False)


def _render_curve_forms(detailed: bool) -> None:
    """The loss-curve form: one line, or with its equation and source."""
    from rich.text import Text

    from ...laws.curves.multipower import FORM

    console = make_console()
    console.print(Text("Loss-curve forms (scale curve CURVES.csv):", style="bold"))
    console.print(f"  {FORM['name']:<10} {FORM['title']}")
    if detailed:
        console.print(str(FORM["equation"]))
        console.print(Text(str(FORM["citation"]), style="dim"))
        console.print("Constants: " + ", ".join(FORM["constants"]))


def _render_hyperparameter_laws(laws, detailed: bool) -> None:
    """Learning-rate / batch-size laws: one line each, or in full."""
    from rich.text import Text

    console = make_console()
    console.print(Text("Learning rate and batch size laws (plan --gpus --hparams-law NAME; default step-law):", style="bold"))
    for law in laws:
        lr = " ".join(f"{k}^{v:+.4g}" for k, v in law.learning_rate.exponents.items())
        batch = " ".join(f"{k}^{v:+.4g}" for k, v in law.batch_size_tokens.exponents.items())
        console.print(
            f"  {law.name:<10} lr = {law.learning_rate.coefficient:g} {lr};  batch = {law.batch_size_tokens.coefficient:g} {batch} tokens"
        )
        if detailed:
            console.print(Text(f"{law.title}. {law.citation}", style="dim"))
            console.print(f"Counts: {law.counts}")
            console.print("Fitted on: " + ", ".join(f"{k} {lo:.3g}-{hi:.3g}" for k, (lo, hi) in law.fitted_range.items()))
            console.print(Text(law.note, style="dim"))


def _names_a_form(path: str) -> bool:
    """A law file of another family (``fit --form X --save`` writes one) names its ``form`` at the top."""
    from pathlib import Path

    from ...core.configs import read_toml

    return Path(path).is_file() and isinstance(read_toml(Path(path))[0].get("form"), str)


def _law_json(law) -> dict:
    """A planner law as ``scale laws --json`` has always shown it: a data-constrained law keeps its
    Chinchilla ``loss`` and its ``data_constrained`` table; ``form`` names the law's form."""
    data = law.model_dump() | {"params_exponent": law.params_exponent, "form": None if law.loss is None else law.loss.form}
    if law.data_constrained is not None:
        data["loss"] = law.loss.base().model_dump()
        data["data_constrained"] = law.data_constrained.model_dump()
    return data


def gpus(json: JsonOption = False, format: FormatOption = "text") -> None:
    """The accelerator catalog: dense BF16 peak, memory and bandwidth, with sources."""
    check_format(format, json)
    from ...hardware.gpus import load_gpus

    catalog = load_gpus()
    if json:
        emit_json(
            {
                "gpus": [
                    gpu.model_dump(exclude={"precision"}) | {"peak_flops": gpu.peak_flops, "memory_bytes": gpu.memory_bytes}
                    for gpu in catalog.values()
                ]
            }
        )
    else:
        from ..render.plan import render_gpus

        render_gpus(make_console(), list(catalog.values()))
