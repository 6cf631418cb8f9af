"""Writing a fit as a law file of the preset schema, which `--law law.toml` then accepts."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from ... import __version__
from ...core.configs import validate
from ...laws import Law
from .result import FitResult

METHOD_TITLES = {
    "parametric": "parametric fit (Hoffmann et al. 2022, Approach 3)",
    "isoflop": "IsoFLOP fit (Hoffmann et al. 2022, Approach 2)",
    "envelope": "envelope fit (Hoffmann et al. 2022, Approach 1)",
}


def law_from_fit(result: FitResult, name: str) -> Law:
    """The fitted law as a :class:`Law` (point estimates), with its provenance."""
    provenance = {
        "data": result.source,
        "date": datetime.date.today().isoformat(),
        "method": result.method,
        "n_runs": result.n_runs,
        "loss": result.loss,
        "rmse_log": result.rmse_log,
        "tool": f"scaling-cli {__version__}",
    }
    common = {
        "name": name,
        "title": f"{name}: {METHOD_TITLES[result.method]} of {result.n_runs} runs",
        "citation": f"fitted by `scale fit` on {result.source}",
        "params_counted": "as in the runs",
        "dataset": f"the runs of {result.source}",
        "provenance": provenance,
        "fitted_range": {**result.fitted_range, "source": f"the {result.n_runs} fitted runs of {result.source}"},
        "caveats": [w for w in result.warnings if w.startswith("the allocation is not pinned down")],
    }
    if result.method == "parametric":
        coefficients = {key: estimate.value for key, estimate in (result.coefficients or {}).items()}
        return validate(Law, {**common, "kind": "parametric", "loss": {"form": "chinchilla", **coefficients}}, name)
    note = "Tokens follow from C = 6ND." + (
        f" The envelope's own token exponent was b = {result.b.value:.4f}." if result.method == "envelope" else ""
    )
    assert result.k_params is not None  # every allocation method fits the coefficient of N_opt
    allocation = {"quantity": "params", "exponent": result.a.value, "coefficient": result.k_params.value}
    return validate(Law, {**common, "kind": "allocation", "note": note, "allocation": allocation}, name)


def law_toml(law: Law) -> str:
    """TOML text of ``law`` (strings JSON-escaped, which TOML's basic strings accept)."""
    data = law.model_dump(exclude_none=True)
    lines = []
    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    for key, value in data.items():
        if key not in tables and not (isinstance(value, list) and not value):
            lines.append(f"{key} = {toml_value(value)}")
    for table, values in tables.items():
        lines.append(f"\n[{table}]")
        for key, value in values.items():
            if not (isinstance(value, list) and not value):
                lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))


def save_law(result: FitResult, path: str | Path) -> Law:
    """Write the fit to ``path`` as a law TOML file; the law's name is the file's stem."""
    from ...core.files import write_atomically

    path = Path(path)
    law = law_from_fit(result, path.stem)
    write_atomically(path, law_toml(law), "--save")
    return law
