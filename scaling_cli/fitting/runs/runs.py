"""Training runs as data: reading a CSV or JSONL file (or stdin) of final losses.

One run per row, with columns ``params``, ``tokens`` and ``loss``; ``flops`` is optional
(6·N·D when absent) and stands in for ``tokens`` when that is absent (D = C / (6N)), or for
``params`` (N = C / (6D), as in IsoFLOP data that lists tokens per budget). ``steps`` (optional)
is the run's optimizer steps: runs of very few steps are flagged as outside the law's regime. Columns
can be renamed (``params=Model Size``). Every bad value is a one-line ``ScaleError`` naming the
file, the row (and its line) and the column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ...core.compute import FLOPS_PER_PARAM_TOKEN
from ...core.errors import ScaleError, items
from ...core.units import SMALLEST
from .records import (
    MAX_FIELD,
    MAX_RUNS,
    Records,
    Rows,
    _listing,
    _spans,
    _value,
    check_spans,
    format_rows,
    format_spans,
    parse_rows,
    read_records,
)

__all__ = [  # with the records module's names this module has always offered
    "FIELDS",
    "MAX_FIELD",
    "MAX_RUNS",
    "Runs",
    "check_spans",
    "format_rows",
    "format_spans",
    "parse_columns",
    "parse_rows",
    "read_records",
    "read_runs",
    "runs_from_records",
]

FIELDS = ("params", "tokens", "flops", "loss", "steps")
FLOPS_MISMATCH = 0.05
"""A ``flops`` column more than 5 % off 6·N·D (in the median) is reported: a 2ND count, or a
column mapped by mistake."""
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
    warnings: tuple[str, ...] = field(default_factory=tuple)
    """What a fit of these runs must say (a flops column that contradicts 6·N·D)."""

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
            warnings=self.warnings,
        )

    def exclude(self, rows: Rows) -> Runs:
        """These runs without the given file rows (1 = the first run): diverged or mislogged runs.

        ``rows`` are row numbers or (first, last) ranges, as :func:`parse_rows` gives them."""
        spans = _spans(rows)
        numbers = np.asarray(self.rows if self.rows else range(1, len(self) + 1))
        check_spans(spans, len(numbers), self.source)
        drop = np.zeros(len(numbers), dtype=bool)
        for low, high in spans:
            drop |= (numbers >= low) & (numbers <= high)
        kept = self.subset(np.flatnonzero(~drop))
        count = int(drop.sum())
        note = f"{count} row{'s' * (count > 1)} excluded: {format_spans(spans)}"
        return Runs(**{**kept.__dict__, "notes": kept.notes + (note,)})

    @classmethod
    def from_arrays(
        cls, params: ArrayLike, tokens: ArrayLike, loss: ArrayLike, flops: ArrayLike | None = None, source: str = "runs"
    ) -> Runs:
        """Runs from arrays (the library's way in); ``flops`` defaults to 6·N·D."""
        params, tokens, loss = (np.asarray(x, dtype=float) for x in (params, tokens, loss))
        flops = FLOPS_PER_PARAM_TOKEN * params * tokens if flops is None else np.asarray(flops, dtype=float)
        for name, values in (("params", params), ("tokens", tokens), ("loss", loss), ("flops", flops)):
            bad = ~(np.isfinite(values) & (values > 0))
            if bad.any():
                raise ScaleError(f"{source}: run {int(np.argmax(bad)) + 1}, {name}: expected a finite number > 0, got {values[bad][0]!r}")
        numbers = tuple(range(1, len(loss) + 1))
        return cls(params=params, tokens=tokens, loss=loss, flops=flops, source=source, rows=numbers, lines=numbers)


def parse_columns(spec: str | None, fields: tuple[str, ...] | None = None) -> dict[str, str]:
    """``params=Model Size,flops=Training FLOP`` -> {'params': 'Model Size', 'flops': 'Training FLOP'}.

    ``fields``: the names a mapping may give (a law form's variables); the runs fields by default."""
    fields = FIELDS if fields is None else fields
    mapping: dict[str, str] = {}
    if not spec:
        return mapping
    for item in spec.split(","):
        field_name, sep, column = item.partition("=")
        field_name, column = field_name.strip(), column.strip()
        if not sep or field_name not in fields or not column:
            raise ScaleError(
                f"--columns: expected FIELD=COLUMN pairs with FIELD one of {', '.join(fields)} "
                f"(e.g. params=model_size,loss=val_loss), got {item.strip()!r}"
            )
        mapping[field_name] = column
    return mapping


def read_runs(
    path: str | Path, columns: dict[str, str] | str | None = None, exclude: Rows | str | None = None, where: list[str] | None = None
) -> Runs:
    """Read runs from a ``.csv`` or ``.jsonl`` file, or ``-`` for stdin (CSV, or JSONL if it starts with '{').

    ``exclude`` (row numbers or ranges, 1 = the first run) leaves rows out *before* they are
    validated, so one broken row of a partial sweep does not force an edit of the file."""
    if isinstance(columns, str):  # the CLI's form, 'params=N,tokens=D'
        columns = parse_columns(columns)
    if isinstance(exclude, str):  # the CLI's form, '1-5,9'
        exclude = parse_rows(exclude)
    if columns is not None and not isinstance(columns, dict):
        raise ScaleError(f"read_runs: columns: expected a mapping such as {{'params': 'N'}} or 'params=N', got {type(columns).__name__}")
    if exclude is not None and not (
        isinstance(exclude, (list, tuple))
        and all(
            (isinstance(item, int) and not isinstance(item, bool))
            or (isinstance(item, tuple) and len(item) == 2 and all(type(x) is int for x in item))
            for item in exclude
        )
    ):
        raise ScaleError(f"read_runs: exclude: expected row numbers or (first, last) ranges, or '1-5,9', got {exclude!r}"[:200])
    if where is not None:
        items("read_runs: where", where, str, "COLUMN=VALUE texts")
    records, source, note = read_records(path, exclude, where)
    runs = runs_from_records(records, source, columns or {})
    for extra in ([note] if note else []) + ([f"{len(runs)} rows where {' and '.join(where)}"] if where else []):
        runs = Runs(**{**runs.__dict__, "notes": runs.notes + (extra,)})
    return runs


def _column(records: Records, source: str, name: str) -> np.ndarray:
    """One column as numbers > 0: numpy reads a column of plain ASCII numerals at once (a ladder's
    file has hundreds of thousands); anything else (a suffix, a blank, a bad cell) is read cell by
    cell, where the first bad one gets its own message with its row and line."""
    cells = [record.get(name) for _, _, record in records]
    if all(isinstance(cell, str) for cell in cells):
        text = "".join(cells)  # type: ignore[arg-type]
        if text.isascii() and text.isprintable() and " " not in text and "_" not in text:
            try:
                array = np.array(cells, dtype=float)
            except ValueError:
                array = None
            if array is not None and np.all(np.isfinite(array) & (array >= SMALLEST)):
                return array
    return np.array([_value(cell, source, row, line, name) for (row, line, _), cell in zip(records, cells)], dtype=float)


def runs_from_records(records: Records, source: str, columns: dict[str, str]) -> Runs:
    """The runs of records already read (``records.read_records``): one read of a file serves a
    caller that also looks at other columns (``scale compare`` reads the evaluation's)."""
    if not records:
        raise ScaleError(f"{source}: no runs: expected one run per row")
    present = set().union(*(record.keys() for _, _, record in records))
    column = {name: columns.get(name, name) for name in FIELDS}
    for name in FIELDS:
        if name in columns and columns[name] not in present:
            raise ScaleError(
                f"{source}: --columns maps {name} to {columns[name]!r}, but there is no such column (found: {_listing(present)})"
            )
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

    lines = [line for _, line, _ in records]
    numbers = [row_number for row_number, _, _ in records]
    # Any: which of params, tokens and flops are derived depends on the columns present (checked above).
    arrays: dict[str, Any] = {name: _column(records, source, column[name]) for name in FIELDS if has[name]}
    loss = arrays["loss"]
    params: Any = arrays.get("params")
    tokens: Any = arrays.get("tokens")
    flops: Any = arrays.get("flops")
    steps = arrays.get("steps")
    notes, warnings = [], []
    if params is None:
        params = flops / (FLOPS_PER_PARAM_TOKEN * tokens)
        notes.append("params derived from flops as flops / (6 tokens)")
    if tokens is None:
        tokens = flops / (FLOPS_PER_PARAM_TOKEN * params)
        notes.append("tokens derived from flops as flops / (6 params)")
    if flops is None:
        flops = FLOPS_PER_PARAM_TOKEN * params * tokens
    elif "params" in arrays and "tokens" in arrays:
        ratio = float(np.median(flops / (FLOPS_PER_PARAM_TOKEN * params * tokens)))
        if abs(ratio - 1) > FLOPS_MISMATCH:
            warnings.append(
                f"the flops column is {ratio:.3g}x 6·N·D in the median ({'2ND, a forward-only count?' if abs(ratio - 1 / 3) < 0.05 else 'check the column mapping'}): "
                "the fit uses params and tokens; flops only orders the runs and groups the budgets"
            )
    triples = list(zip(params.tolist(), tokens.tolist(), loss.tolist()))
    duplicates = len(triples) - len(set(triples))
    if duplicates:
        notes.append(f"{duplicates} duplicated row{'s' * (duplicates > 1)} kept: repeated runs are evidence")
    return Runs(
        params=params,
        tokens=tokens,
        loss=loss,
        flops=flops,
        source=source,
        rows=tuple(numbers),
        lines=tuple(lines),
        duplicates=duplicates,
        notes=tuple(notes),
        steps=steps,
        warnings=tuple(warnings),
    )


MAX_ROW = 10**9


def check_identifiable(runs: Runs, n_parameters: int = 5) -> None:
    """Refuse designs that cannot determine L = E + A/N^alpha + B/D^beta, saying why."""
    if len(runs) < n_parameters:
        raise ScaleError(f"{runs.source}: {len(runs)} runs, fewer than the {n_parameters} parameters to fit (E, A, B, alpha, beta)")
    if runs.params.min() == runs.params.max():
        raise ScaleError(f"{runs.source}: every run has the same model size ({runs.params[0]:.4g} params): alpha is unidentifiable")
    if runs.tokens.min() == runs.tokens.max():
        raise ScaleError(f"{runs.source}: every run has the same token count ({runs.tokens[0]:.4g}): beta is unidentifiable")
    design = np.column_stack([np.ones(len(runs)), np.log(runs.params), np.log(runs.tokens)])
    if np.linalg.matrix_rank(design - design.mean(axis=0) * [0, 1, 1], tol=1e-8 * np.abs(design).max()) < 3:
        raise ScaleError(
            f"{runs.source}: params and tokens move together in every run (tokens proportional to a power of "
            "params, e.g. one tokens-per-parameter ratio): alpha and beta cannot be separated"
        )
