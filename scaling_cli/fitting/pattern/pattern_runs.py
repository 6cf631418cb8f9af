"""A metric and its x (compute or size) from a runs file, for ``scale pattern``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...core.compute import FLOPS_PER_PARAM_TOKEN
from ...core.errors import ScaleError
from ..runs.records import _listing, _value, read_records
from ..runs.runs import parse_columns


def per_run(values: np.ndarray, ys: np.ndarray, labels: np.ndarray, last: int) -> tuple[np.ndarray, np.ndarray]:
    """One point per run: its final x and the mean metric of its last ``last`` rows (the ladder's
    average of the last checkpoints), so a checkpoint file's training curves are not read as scaling."""
    order = list(dict.fromkeys(labels.tolist()))
    rows = [np.flatnonzero(labels == label) for label in order]
    return np.array([values[r[-1]] for r in rows]), np.array([ys[r[-last:]].mean() for r in rows])


def read_metric(
    path: str | Path,
    metric: str,
    x: str,
    columns: str | None,
    where: list[str] | None,
    run_column: str | None = None,
    average_last: int | None = None,
) -> tuple[np.ndarray, np.ndarray, str]:
    records, source, _ = read_records(path, where=where)
    mapping = parse_columns(columns, ("params", "tokens", "flops"))
    present = set().union(*(r.keys() for _, _, r in records))
    if metric not in present:
        raise ScaleError(f"{source}: no column {metric!r} (found: {_listing(present)})")
    name = {key: mapping.get(key, key) for key in ("params", "tokens", "flops")}

    def column(key: str) -> np.ndarray:
        return np.array([_value(r.get(name[key]), source, n, line, name[key]) for n, line, r in records])

    kept = [(n, line, r) for n, line, r in records if str(r.get(metric, "")).strip() not in ("", "nan", "None")]
    dropped = len(records) - len(kept)
    records = kept
    if not records:
        raise ScaleError(f"{source}: {metric} is empty in every row")
    ys = np.array([_value(r.get(metric), source, n, line, metric, positive=False) for n, line, r in records])
    if (x == "params" or name["flops"] not in present) and (
        name["params"] not in present or (x == "flops" and name["tokens"] not in present)
    ):
        need = "params" if x == "params" else "flops, or params and tokens"
        raise ScaleError(f"{source}: --x {x} needs {need} (found: {_listing(present)}); map yours with --columns")
    if x == "params":
        values = column("params")
    elif name["flops"] in present:
        values = column("flops")
    else:
        values = FLOPS_PER_PARAM_TOKEN * column("params") * column("tokens")
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ScaleError(f"{source}: {x} must be > 0 in every row")
    label = source + (f", {dropped} rows without {metric} left out" if dropped else "")
    run = run_column if run_column is not None else ("run" if "run" in present else None)
    if average_last is not None or run_column is not None:
        if run is None or run not in present:
            raise ScaleError(
                f"{source}: --average-last and --run-column need a column naming each run ({run_column or 'run'!r} is not one)"
            )
        labels = np.array([str(r.get(run)) for _, _, r in records])
        values, ys = per_run(values, ys, labels, average_last or 1)
        label += f", one point per {run} (the mean of its last {average_last or 1} rows)"
    return values, ys, label
