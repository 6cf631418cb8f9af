"""Reading a learning-rate x batch-size grid: one run per row."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ...core.errors import ScaleError
from ..runs.records import Rows, read_records

FIELDS = ("params", "tokens", "lr", "batch_tokens", "batch", "loss")
"""``batch_tokens``, or ``batch`` in sequences with ``seq``."""


def _number(text: object) -> float:
    try:
        return float(str(text))
    except ValueError:
        return math.nan


def read_grid(
    path: str | Path,
    columns: dict[str, str] | None = None,
    seq: int | None = None,
    exclude: Rows | None = None,
    where: list[str] | None = None,
) -> tuple[dict[str, np.ndarray], str]:
    """(params, tokens, lr, batch_tokens, loss) arrays and the source; a loss that is not a
    number (a diverged run logged as nan or inf) stays NaN: the fit leaves it out of every surface."""
    records, source, _ = read_records(path, exclude, where)
    columns = columns or {}
    if not records:
        raise ScaleError(f"{source}: no runs: expected one run per row")
    present = set().union(*(record.keys() for _, _, record in records))
    column_of = {name: columns.get(name, name) for name in FIELDS}
    if column_of["batch_tokens"] not in present:
        if column_of["batch"] not in present:
            raise ScaleError(
                f"{source}: no batch column: expected 'batch_tokens' (tokens per step) or 'batch' (sequences, with --seq); map yours with --columns"
            )
        if seq is None:
            raise ScaleError(
                f"{source}: the batch column {column_of['batch']!r} counts sequences: give --seq (tokens per sequence), or a batch_tokens column"
            )
    missing = [name for name in ("params", "tokens", "lr", "loss") if column_of[name] not in present]
    if missing:
        raise ScaleError(
            f"{source}: --form lr-batch needs the column{'s' * (len(missing) > 1)} {', '.join(missing)}; map yours with --columns"
        )
    values: dict[str, np.ndarray] = {}
    for name in ("params", "tokens", "lr", "loss"):
        values[name] = np.array([_number(record.get(column_of[name])) for _, _, record in records])
    if column_of["batch_tokens"] in present:
        values["batch_tokens"] = np.array([_number(record.get(column_of["batch_tokens"])) for _, _, record in records])
    else:
        assert seq is not None  # checked above
        values["batch_tokens"] = np.array([_number(record.get(column_of["batch"])) * seq for _, _, record in records])
    for name in ("params", "tokens", "lr", "batch_tokens"):
        bad = ~(np.isfinite(values[name]) & (values[name] > 0))
        if bad.any():
            at = int(np.argmax(bad))
            raise ScaleError(f"{source}: row {records[at][0]}, {column_of.get(name, name)}: expected a finite number > 0")
    return values, source
