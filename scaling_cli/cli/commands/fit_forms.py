"""The fits of ``scale fit`` beyond the Chinchilla law: ``--form NAME``, ``--metric --via`` and
``--form lr-batch`` (a learning-rate / batch-size law from a grid)."""

from __future__ import annotations

import typer

from ...core.validation import PARAMS_RANGE, TOKENS_RANGE
from ..options import positive_list
from ..output import emit_json


def _points(values: list[str] | None) -> list[tuple[float, float]]:
    points = []
    for text in values or []:
        numbers = positive_list(text, "--predict")
        if len(numbers) != 2:
            raise typer.BadParameter(f"expected PARAMS,TOKENS such as 7B,140B, got {text!r}", param_hint="--predict")
        for value, (low, high), what in ((numbers[0], PARAMS_RANGE, "parameters"), (numbers[1], TOKENS_RANGE, "tokens")):
            if not low <= value <= high:  # the library's declared domains (core.validation)
                raise typer.BadParameter(
                    f"expected {what} from {low:.0e} to {high:.0e}, got {value:.3g} in {text!r}", param_hint="--predict"
                )
        points.append((numbers[0], numbers[1]))
    return points


def _fit_form(runs, name, columns, exclude, loss, bootstrap, seed, holdout, predict, save, quiet, json, unused, fixed, where) -> None:
    """``fit --form NAME``: the form's columns, fitter and report."""
    from ...fitting.forms.form_fit import fit_form
    from ...fitting.forms.form_runs import form_fields, read_form_runs
    from ...fitting.runs.runs import parse_columns, parse_rows
    from ...laws.base import form_named
    from ..output import console as make_console

    chosen = form_named(name)
    if unused:
        raise typer.BadParameter(
            f"{', '.join(unused)} belong{'s' * (len(unused) == 1)} to the Chinchilla fit, not to --form {name}", param_hint="--form"
        )
    width = len(chosen.variables)
    points = []
    for text in predict or []:
        numbers = positive_list(text, "--predict") if all(v.positive for v in chosen.variables) else _numbers(text)
        if len(numbers) != width:
            raise typer.BadParameter(
                f"form {name} predicts from {','.join(v.name for v in chosen.variables)}: expected {width} "
                f"number{'s' * (width > 1)}, got {text!r}",
                param_hint="--predict",
            )
        points.append(tuple(numbers))
    if save is not None and not save.endswith(".toml"):
        raise typer.BadParameter(f"expected a path ending in .toml, got {save!r}", param_hint="--save")
    data = read_form_runs(
        runs, chosen, parse_columns(columns, form_fields(chosen)), None if exclude is None else parse_rows(exclude), where
    )
    from ..progress import progress_reporter

    with progress_reporter(enabled=not (quiet or json)) as progress:
        result = fit_form(
            data, chosen, objective=loss, bootstrap=bootstrap, seed=seed, holdout=holdout, predict=points, fixed=fixed, progress=progress
        )
    if save is not None:
        from ...fitting.forms.save import save_form_preset

        save_form_preset(result, save)
        result.notes.append(f"constants written to {save}")
    if json:
        emit_json(result)
    else:
        from ..render.form import render_form_fit

        render_form_fit(make_console(), result)


def _numbers(text: str) -> list[float]:
    """Comma-separated finite numbers (signed allowed): a reward form's KL distance may be 0."""
    import math

    try:
        values = [float(item) for item in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated numbers, got {text!r}", param_hint="--predict") from None
    if not all(math.isfinite(v) and v >= 0 for v in values):
        raise typer.BadParameter(f"expected finite numbers >= 0, got {text!r}", param_hint="--predict")
    return values


def _fixed(spec: str | None) -> dict[str, float]:
    """``E=1.87,alpha=0.35`` -> {'E': 1.87, 'alpha': 0.35}."""
    import math

    fixed: dict[str, float] = {}
    for item in (spec or "").split(",") if spec else []:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not sep or not name.strip() or not math.isfinite(number):
            raise typer.BadParameter(f"expected NAME=VALUE pairs such as E=1.87,alpha=0.35, got {item.strip()!r}", param_hint="--fix")
        fixed[name.strip()] = number
    return fixed


def _fit_task(runs, metric, via, form, columns, exclude, bootstrap, seed, predict, chance, average_last, run_column, json, where) -> None:
    """``fit --metric M --via L``: the two-step task law and its chained predictions."""
    from ...fitting.runs.runs import parse_columns, parse_rows
    from ...fitting.tasks.task_fit import fit_task, read_task_rows
    from ..output import console as make_console

    data, labels, source, notes = read_task_rows(
        runs, metric, via, parse_columns(columns, ("params", "tokens")), None if exclude is None else parse_rows(exclude), run_column, where
    )
    result = fit_task(
        data,
        labels,
        source,
        metric,
        via,
        form=form,
        bootstrap=bootstrap,
        seed=seed,
        predict=_points(predict),
        chance=chance,
        average_last=average_last,
        notes=notes,
    )
    if json:
        emit_json(result)
    else:
        from ..render.tasks import render_task_fit

        render_task_fit(make_console(), result)


def _fit_lr_batch(runs, columns, exclude, where, seq, predict, against, save, seed, json) -> None:
    """``fit --form lr-batch``: a learning-rate / batch-size law from a grid of runs."""
    from ...fitting.hparams.grid import FIELDS, read_grid
    from ...fitting.hparams.lr_batch import fit_lr_batch
    from ...fitting.runs.runs import parse_columns, parse_rows
    from ...laws.hyperparams import hyperparameter_law
    from ..output import console as make_console

    if save is not None and not save.endswith(".toml"):
        raise typer.BadParameter(f"expected a path ending in .toml, got {save!r}", param_hint="--save")
    laws = [hyperparameter_law(name) for name in against or []]
    values, source = read_grid(runs, parse_columns(columns, FIELDS), seq, None if exclude is None else parse_rows(exclude), where)
    result = fit_lr_batch(
        values["params"], values["tokens"], values["lr"], values["batch_tokens"], values["loss"], source, _points(predict), laws, seed
    )
    if save is not None:
        from pathlib import Path

        from ...core.files import write_atomically
        from ...fitting.hparams.save import law_toml

        write_atomically(save, law_toml(result, Path(save).stem), "--save")
        result.notes.append(f"law written to {save}: plan with --hparams-law {save}")
    if json:
        emit_json(result)
    else:
        from ..render.hparams import render_lr_batch

        render_lr_batch(make_console(), result)
