"""Writing a ``fit --form`` result as a family preset file (``configs/laws/families/`` format),
which ``--law`` and ``scale laws`` then read like a shipped preset."""

from __future__ import annotations

import datetime
from pathlib import Path

from ...core.configs import validate
from ..loss_law.save import toml_value
from .form_fit import FormFitResult


def save_form_preset(result: FormFitResult, path: str | Path) -> None:
    """Write a ``fit --form`` result as a family preset TOML (``configs/laws/families/`` format)."""
    from ...core.files import write_atomically
    from ...laws.preset import FormPreset

    name = Path(path).stem
    preset = validate(
        FormPreset,
        {
            "name": name,
            "title": f"{result.form} law fitted on {result.source}",
            "form": result.form,
            "citation": f"fitted by scale fit --form {result.form} on {result.source} ({result.n_runs} runs, {datetime.date.today().isoformat()}); "
            f"form: {result.citation}",
            "constants": {key: estimate.value for key, estimate in result.parameters.items()},
            "fitted_range": {key: list(span) for key, span in result.fitted_range.items()},
            "fitted_range_source": f"the {result.n_runs} runs of {result.source}",
        },
        name,
    )
    data = preset.model_dump(exclude_defaults=False)
    lines = [f"{key} = {toml_value(value)}" for key, value in data.items() if not isinstance(value, dict)]
    for table in ("counts", "constants", "extra", "fitted_range"):
        if data[table]:
            lines.append(f"\n[{table}]")
            lines.extend(f"{key} = {toml_value(value)}" for key, value in data[table].items())
    write_atomically(Path(path), "\n".join(lines) + "\n", "--save")
