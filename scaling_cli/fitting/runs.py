"""Training runs as data: reading a CSV or JSONL file (or stdin) of final losses.

One run per row, with columns ``params``, ``tokens`` and ``loss``; ``flops`` is optional
(6·N·D when absent) and stands in for ``tokens`` when that is absent (D = C / (6N)), or for
``params`` (N = C / (6D), as in IsoFLOP data that lists tokens per budget). ``steps`` (optional)
is the run's optimizer steps: runs of very few steps are flagged as outside the law's regime. Columns
can be renamed (``params=Model Size``). Every bad value is a one-line ``ScaleError`` naming the
file, the row (and its line) and the column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..compute import FLOPS_PER_PARAM_TOKEN
from ..errors import ScaleError
from ..units import parse_number

FIELDS = ("params", "tokens", "flops", "loss", "steps")
OPTIONAL = ("steps",)


@dataclass(frozen=True)
class Runs:
    """Final losses of training runs, in base units (one array entry per run)."""

    params: np.ndarray
    tokens: np.ndarray
    loss: np.ndarray
    flops: np.ndarray
    source: str = "runs"
    rows: tuple[int, ...] = ()
    """Each run's row in its file (1 = the first run), kept through subsets."""
    lines: tuple[int, ...] = ()
    """The line of the file each run came from (for messages about single runs)."""
    duplicates: int = 0
    """Rows that repeat an earlier row exactly: kept, they are evidence."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    steps: np.ndarray | None = None
    """Optimizer steps of each run, when the file has a ``steps`` column."""

    def __len__(self) -> int:
        return len(self.loss)

    def subset(self, index: np.ndarray) -> Runs:
        index = np.asarray(index, dtype=int)
        return Runs(
            params=self.params[index],
            tokens=self.tokens[index],
            loss=self.loss[index],
            flops=self.flops[index],
            source=self.source,
            rows=tuple(np.asarray(self.rows)[index].tolist()) if self.rows else (),
            lines=tuple(np.asarray(self.lines)[index].tolist()) if self.lines else (),
            notes=self.notes,
            steps=None if self.steps is None else self.steps[index],
        )

    def exclude(self, rows: list[int]) -> Runs:
        """These runs without the given file rows (1 = the first run): diverged or mislogged runs."""
        known = set(self.rows)
        unknown = sorted(set(rows) - known)
        if unknown:
            raise ScaleError(f"--exclude: {self.source} has rows 1 to {len(self.rows)}, not {', '.join(map(str, unknown))}")
        kept = self.subset(np.flatnonzero([row not in set(rows) for row in self.rows]))
        note = f"{len(set(rows))} row{'s' * (len(set(rows)) > 1)} excluded: {format_rows(rows)}"
        return Runs(**{**kept.__dict__, "notes": kept.notes + (note,)})

    @classmethod
    def from_arrays(cls, params, tokens, loss, flops=None, source: str = "runs") -> Runs:
        """Runs from arrays (the library's way in); ``flops`` defaults to 6·N·D."""
        params, tokens, loss = (np.asarray(x, dtype=float) for x in (params, tokens, loss))
        flops = FLOPS_PER_PARAM_TOKEN * params * tokens if flops is None else np.asarray(flops, dtype=float)
        for name, values in (("params", params), ("tokens", tokens), ("loss", loss), ("flops", flops)):
            bad = ~(np.isfinite(values) & (values > 0))
            if bad.any():
                raise ScaleError(f"{source}: run {int(np.argmax(bad)) + 1}, {name}: expected a finite number > 0, got {values[bad][0]!r}")
        numbers = tuple(range(1, len(loss) + 1))
        return cls(params=params, tokens=tokens, loss=loss, flops=flops, source=source, rows=numbers, lines=numbers)


def parse_columns(spec: str | None) -> dict[str, str]:
    """``params=Model Size,flops=Training FLOP`` -> {'params': 'Model Size', 'flops': 'Training FLOP'}."""
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for item in spec.split(","):
        field_name, sep, column = item.partition("=")
        field_name, column = field_name.strip(), column.strip()
        if not sep or field_name not in FIELDS or not column:
            raise ScaleError(
                f"--columns: expected FIELD=COLUMN pairs with FIELD one of {', '.join(FIELDS)} "
                f"(e.g. params=model_size,loss=val_loss), got {item.strip()!r}"
            )
        mapping[field_name] = column
    return mapping


def read_runs(path: str | Path, columns: dict[str, str] | None = None) -> Runs:
    """Read runs from a ``.csv`` or ``.jsonl`` file, or ``-`` for stdin (CSV, or JSONL if it starts with '{')."""
    columns = columns or {}
    name = str(path)
    if name == "-":
        text, source = sys.stdin.read(), "<stdin>"
        is_jsonl = text.lstrip().startswith("{")
    else:
        file = Path(name)
        try:
            text = file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ScaleError(f"{name}: no such file") from None
        except IsADirectoryError:
            raise ScaleError(f"{name}: is a directory, expected a .csv or .jsonl file") from None
        except UnicodeDecodeError:
            raise ScaleError(f"{name}: not a UTF-8 text file") from None
        source = name
        is_jsonl = file.suffix.lower() in {".jsonl", ".ndjson"} or (file.suffix.lower() != ".csv" and text.lstrip().startswith("{"))
    records = _jsonl_records(text, source) if is_jsonl else _csv_records(text, source)
    return _to_runs(records, source, columns)


def _csv_records(text: str, source: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ScaleError(f"{source}: empty file: expected a header row with params, tokens and loss columns")
    return [(reader.line_num, row) for row in reader if any((value or "").strip() for value in row.values())]


def _jsonl_records(text: str, source: str) -> list[tuple[int, dict]]:
    records = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ScaleError(f"{source}: line {line_number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise ScaleError(f"{source}: line {line_number}: expected a JSON object per line")
        records.append((line_number, record))
    return records


def _to_runs(records: list[tuple[int, dict]], source: str, columns: dict[str, str]) -> Runs:
    if not records:
        raise ScaleError(f"{source}: no runs: expected one run per row")
    present = set().union(*(record.keys() for _, record in records))
    column = {name: columns.get(name, name) for name in FIELDS}
    for name in FIELDS:
        if name in columns and columns[name] not in present:
            raise ScaleError(f"{source}: --columns maps {name} to {columns[name]!r}, but there is no such column (found: {_listing(present)})")
    has = {name: column[name] in present for name in FIELDS}
    missing = [] if has["loss"] else ["'loss'"]
    size = [name for name in ("params", "tokens", "flops") if has[name]]
    if not size:
        missing.append("'params' and 'tokens' (or 'flops' for either)")
    elif len(size) == 1:
        others = [f"'{name}'" for name in ("params", "tokens", "flops") if name not in size]
        missing.append(" or ".join(others))
    if missing:
        raise ScaleError(f"{source}: missing column {' and '.join(missing)} (found: {_listing(present)}); map yours with --columns")

    values = {name: [] for name in FIELDS if has[name]}
    # (steps is read like the others: a positive number per row)
    lines = []
    for row_number, (line, record) in enumerate(records, start=1):
        lines.append(line)
        for name in values:
            raw = record.get(column[name])
            values[name].append(_value(raw, source, row_number, line, column[name]))
    arrays = {name: np.asarray(vals, dtype=float) for name, vals in values.items()}
    loss, params, tokens, flops = arrays["loss"], arrays.get("params"), arrays.get("tokens"), arrays.get("flops")
    steps = arrays.get("steps")
    notes = []
    if params is None:
        params = flops / (FLOPS_PER_PARAM_TOKEN * tokens)
        notes.append("params derived from flops as flops / (6 tokens)")
    if tokens is None:
        tokens = flops / (FLOPS_PER_PARAM_TOKEN * params)
        notes.append("tokens derived from flops as flops / (6 params)")
    if flops is None:
        flops = FLOPS_PER_PARAM_TOKEN * params * tokens
    triples = list(zip(params.tolist(), tokens.tolist(), loss.tolist()))
    duplicates = len(triples) - len(set(triples))
    if duplicates:
        notes.append(f"{duplicates} duplicated row{'s' * (duplicates > 1)} kept: repeated runs are evidence")
    return Runs(
        params=params, tokens=tokens, loss=loss, flops=flops, source=source, rows=tuple(range(1, len(lines) + 1)),
        lines=tuple(lines), duplicates=duplicates, notes=tuple(notes), steps=steps,
    )


def parse_rows(spec: str) -> list[int]:
    """``1-5,9`` -> [1, 2, 3, 4, 5, 9] (file rows, 1 = the first run)."""
    rows: list[int] = []
    for item in str(spec).split(","):
        first, dash, last = item.strip().partition("-")
        try:
            low, high = int(first), int(last) if dash else int(first)
        except ValueError:
            raise ScaleError(f"--exclude: expected row numbers such as 1-5,9, got {item.strip()!r}") from None
        if low < 1 or high < low:
            raise ScaleError(f"--exclude: expected row numbers >= 1 such as 1-5,9, got {item.strip()!r}")
        rows.extend(range(low, high + 1))
    return rows


def format_rows(rows: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    ordered = sorted(set(rows))
    spans, start = [], ordered[0]
    for previous, current in zip(ordered, ordered[1:] + [None]):
        if current != previous + 1 if current is not None else True:
            spans.append(f"{start}-{previous}" if previous > start else f"{start}")
            start = current
    return ", ".join(spans)


def _value(raw, source: str, row: int, line: int, column: str) -> float:
    where = f"{source}: row {row} (line {line}), column {column!r}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ScaleError(f"{where}: missing value")
    if isinstance(raw, bool):
        raise ScaleError(f"{where}: expected a number, got {raw!r}")
    try:
        value = float(raw) if isinstance(raw, (int, float)) else parse_number(raw)
    except ValueError as error:
        raise ScaleError(f"{where}: {error}") from None
    if not math.isfinite(value):
        raise ScaleError(f"{where}: expected a finite number, got {raw!r}")
    if value <= 0:
        raise ScaleError(f"{where}: expected a number > 0, got {raw!r}")
    return value


def _listing(names) -> str:
    return ", ".join(repr(name) for name in sorted(names, key=str)) or "none"
