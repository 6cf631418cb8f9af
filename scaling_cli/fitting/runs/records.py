"""A runs file as records: rows of a CSV or JSONL file (or stdin), before any field is read.

Shared by every reader (``runs.py`` for L(N, D) runs, ``form_runs.py``, ``task_fit.py``,
``pattern_runs.py``): the file, the named pipe or stdin; the size limits; ``--exclude`` (file
rows, never expanded) and ``--where`` (column values); and one number read from a field,
every failure one line naming the file, the row, the line and the column.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...core.errors import ScaleError
from ...core.units import parse_number, shorten

MAX_RUNS = 20_000
"""Run files beyond this many rows are refused up front: a sweep is tens to thousands of runs
(docs/reference/limits.md gives the time and memory of a fit at the limit)."""
MAX_FIELD = 1_000
"""Characters in one field beyond which a row is refused (a number is at most a few dozen)."""
Record = dict[str, Any]
"""One row of a runs file: its fields by column name, as read (text in CSV, any JSON value in JSONL)."""
Records = list[tuple[int, int, Record]]
"""(row number, line, record) of each row."""
Rows = Sequence[int | tuple[int, int]]
"""Row numbers or (first, last) ranges, as :func:`parse_rows` gives them."""


def read_records(path: str | Path, exclude: Rows | None = None, where: list[str] | None = None) -> tuple[Records, str, str | None]:
    """The rows of a runs file as (row number, line, record), its name, and what ``exclude`` left out.

    ``where`` (``["train_dataset=rpj"]``) keeps the rows whose columns hold those values: a mixed
    file (several training sets, reruns, targets) is selected before anything is validated."""
    if not isinstance(path, (str, Path)):
        raise ScaleError(f"read_runs: expected a file path or '-', got {type(path).__name__}")
    name = str(path)
    if name == "-":
        from ...core.files import read_bounded

        text, source = _decode(read_bounded("-", f"a run file of {MAX_RUNS:,} rows", MAX_RUNS * 1_000), "<stdin>"), "<stdin>"
        is_jsonl = text.lstrip().startswith("{")
    else:
        file = Path(name)
        text, source = _read_file(file), name
        is_jsonl = file.suffix.lower() in {".jsonl", ".ndjson"} or (file.suffix.lower() != ".csv" and text.lstrip().startswith("{"))
    records = _jsonl_records(text, source) if is_jsonl else _csv_records(text, source)
    records, note = _excluded(records, source, exclude)
    if where:
        records = select(records, parse_where(where), source)
    return records, source, note


def _excluded(records: Records, source: str, exclude: Rows | None) -> tuple[Records, str | None]:
    """The records without the ``--exclude`` rows (file row numbers), and the note saying so."""
    if exclude is None:
        return records, None
    spans = _spans(exclude)
    check_spans(spans, len(records), source)
    starts = np.array([low for low, _ in spans])
    ends = np.array([high for _, high in spans])

    def excluded(number: int) -> bool:  # binary search in the merged ranges: linear overall
        at = int(np.searchsorted(starts, number, side="right")) - 1
        return at >= 0 and number <= ends[at]

    total = len(records)
    records = [record for record in records if not excluded(record[0])]
    count = total - len(records)
    if not records:
        raise ScaleError(f"--exclude: leaves no runs of the {total} in {source}")
    return records, f"{count} row{'s' * (count > 1)} excluded: {format_spans(spans)}"


def parse_where(items: list[str] | None) -> list[tuple[str, tuple[str, ...]]]:
    """``--where train_dataset=rpj`` -> [('train_dataset', ('rpj',))]; ``size=1B,7B`` allows either."""
    found = []
    for item in items or []:
        column, sep, values = str(item).partition("=")
        if not sep or not column.strip() or not values.strip():
            raise ScaleError(f"--where: expected COLUMN=VALUE (or COLUMN=V1,V2), got {shorten(str(item))}")
        found.append((column.strip(), tuple(v.strip() for v in values.split(","))))
    return found


def select(records: Records, where: list[tuple[str, tuple[str, ...]]], source: str) -> Records:
    """The records whose every ``where`` column holds one of its values (as text, or as numbers)."""
    present = set().union(*(r.keys() for _, _, r in records)) if records else set()
    for column, _ in where:
        if column not in present:
            raise ScaleError(f"{source}: --where names {column!r}, not a column (found: {_listing(present)})")

    def same(raw: Any, wanted: str) -> bool:
        if str(raw).strip() == wanted:
            return True
        try:
            return float(raw) == float(wanted)
        except (TypeError, ValueError):
            return False

    chosen = [r for r in records if all(any(same(r[2].get(column), v) for v in values) for column, values in where)]
    if not chosen:
        shown = " and ".join(f"{c}={','.join(v)}" for c, v in where)
        raise ScaleError(f"{source}: no rows match {shown}")
    return chosen


def _read_file(file: Path) -> str:
    """The file's text through the one bounded reader (a named pipe, a device, a regular file)."""
    from ...core.files import read_text

    return read_text(file, f"a run file of {MAX_RUNS:,} rows", limit=MAX_RUNS * 1_000)


def _decode(data: str | bytes, source: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ScaleError(f"{source}: not a UTF-8 text file") from None
    return text.lstrip("\ufeff")


def _csv_records(text: str, source: str) -> Records:
    """(row number, line, fields) of every non-empty row."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        if not reader.fieldnames:
            raise ScaleError(f"{source}: empty file: expected a header row with params, tokens and loss columns")
        records: Records = []
        for row in reader:
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            if len(records) >= MAX_RUNS:
                raise ScaleError(f"{source}: more than {MAX_RUNS:,} runs: the most a fit takes (split the file, or thin the checkpoints)")
            long = next((k for k, v in row.items() if isinstance(v, str) and len(v) > MAX_FIELD), None)
            if long is not None:
                raise ScaleError(f"{source}: line {reader.line_num}, column {shorten(long)}: a field of over {MAX_FIELD:,} characters")
            records.append((len(records) + 1, reader.line_num, row))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise ScaleError(f"{source}: line {reader.line_num}: a field of over {csv.field_size_limit():,} characters") from None
        raise ScaleError(f"{source}: line {reader.line_num}: not valid CSV ({error})") from None
    return records


def _jsonl_records(text: str, source: str) -> Records:
    records: Records = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(records) >= MAX_RUNS:
            raise ScaleError(f"{source}: more than {MAX_RUNS:,} runs: the most a fit takes (split the file, or thin the checkpoints)")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ScaleError(f"{source}: line {line_number}: not valid JSON ({error.msg})") from None
        except (RecursionError, ValueError):
            raise ScaleError(f"{source}: line {line_number}: not valid JSON (nested too deeply, or a number too long)") from None
        if not isinstance(record, dict):
            raise ScaleError(f"{source}: line {line_number}: expected a JSON object per line")
        records.append((len(records) + 1, line_number, record))
    return records


def parse_rows(spec: str) -> list[tuple[int, int]]:
    """``1-5,9`` -> [(1, 5), (9, 9)]: ranges of file rows (1 = the first run), never expanded."""
    spans = []
    for item in str(spec).split(","):
        first, dash, last = item.strip().partition("-")
        shown = shorten(item.strip())
        if not (first.isascii() and first.isdigit() and (not dash or (last.isascii() and last.isdigit()))) or len(item) > 40:
            raise ScaleError(f"--exclude: expected row numbers such as 1-5,9, got {shown}")
        low, high = int(first), int(last) if dash else int(first)
        if low < 1 or high < low:
            raise ScaleError(f"--exclude: expected row numbers >= 1 such as 1-5,9, got {shown}")
        spans.append((low, high))
    return spans


def _spans(rows: Rows) -> list[tuple[int, int]]:
    """Row numbers or (low, high) ranges as sorted, merged ranges."""
    spans = sorted((int(r), int(r)) if isinstance(r, (int, np.integer)) else (int(r[0]), int(r[1])) for r in rows)
    merged: list[list[int]] = []
    for low, high in spans:
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return [(low, high) for low, high in merged]


def check_spans(spans: list[tuple[int, int]], count: int, source: str) -> None:
    """Every excluded row must exist (a typo would silently exclude nothing)."""
    beyond = [(low, high) for low, high in spans if high > count]
    if beyond:
        raise ScaleError(f"--exclude: {source} has rows 1 to {count}, not {format_spans(beyond)[:80]}")


def format_spans(spans: list[tuple[int, int]]) -> str:
    """[(1, 3), (5, 5)] -> '1-3, 5'."""
    return ", ".join(f"{low}-{high}" if high > low else f"{low}" for low, high in spans)


def format_rows(rows: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    return format_spans(_spans(rows))


def _value(raw: Any, source: str, row: int, line: int, column: str, positive: bool = True) -> float:
    where = f"{source}: row {row} (line {line}), column {column!r}"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ScaleError(f"{where}: missing value")
    if isinstance(raw, bool):
        raise ScaleError(f"{where}: expected a number, got {raw!r}")
    try:
        value = float(raw) if isinstance(raw, (int, float)) else parse_number(raw)
    except OverflowError:
        raise ScaleError(f"{where}: a number too large, got {shorten(raw)}") from None
    except ValueError as error:
        raise ScaleError(f"{where}: {error}") from None
    if not math.isfinite(value):
        raise ScaleError(f"{where}: expected a finite number, got {raw!r}")
    if positive and value <= 0:
        raise ScaleError(f"{where}: expected a number > 0, got {raw!r}")
    return value


def _listing(names: Iterable[str]) -> str:
    return ", ".join(repr(name) for name in sorted(names, key=str)) or "none"
