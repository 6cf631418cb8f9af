"""Runs for a law form: one column per variable of the form and one for its target.

The same files as ``scale fit`` reads (CSV or JSONL, ``-`` for stdin, ``--exclude``,
``--columns``), with the form's names: ``params,experts,loss`` for ``routed``,
``kl_distance,gold_reward`` (or ``kl``, read as d = sqrt(kl)) for the reward forms: a variable
may name another column it is read from (``Variable.alias``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...core.compute import FLOPS_PER_PARAM_TOKEN
from ...core.errors import ScaleError
from ...laws.base import Form
from ..runs.records import Rows, _listing, _value, read_records


@dataclass
class FormRuns:
    variables: dict[str, np.ndarray]
    target: np.ndarray
    source: str
    rows: tuple[int, ...]
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.target)

    def scale(self, form: Form) -> np.ndarray:
        """The quantity along which the runs grow (backtests and --holdout order them by it)."""
        if form.scale in self.variables:
            return self.variables[form.scale]
        if form.scale == "flops":
            return FLOPS_PER_PARAM_TOKEN * self.variables["params"] * self.variables["tokens"]
        return np.arange(1.0, len(self) + 1.0)

    def subset(self, index: np.ndarray) -> FormRuns:
        return FormRuns(
            {k: v[index] for k, v in self.variables.items()},
            self.target[index],
            self.source,
            tuple(np.asarray(self.rows)[index].tolist()),
            list(self.notes),
        )


def form_fields(form: Form) -> tuple[str, ...]:
    """The names ``--columns`` may map for this form."""
    return tuple(v.name for v in form.variables) + (form.target.name,) + tuple(v.alias for v in form.variables if v.alias)


def read_form_runs(
    path: str | Path, form: Form, columns: dict[str, str] | None = None, exclude: Rows | None = None, where: list[str] | None = None
) -> FormRuns:
    records, source, note = read_records(path, exclude, where)
    columns = columns or {}
    if not records:
        raise ScaleError(f"{source}: no runs: expected one run per row")
    present = set().union(*(record.keys() for _, _, record in records))
    for name, column in columns.items():
        if column not in present:
            raise ScaleError(f"{source}: --columns maps {name} to {column!r}, but there is no such column (found: {_listing(present)})")
    wanted = list(form.variables) + [form.target]
    column_of = {v.name: columns.get(v.name, v.name) for v in wanted}
    notes = [] if note is None else [note]
    aliased = {}
    for variable in form.variables:
        other = columns.get(variable.alias, variable.alias) if variable.alias else ""
        if other and column_of[variable.name] not in present and other in present:
            aliased[variable.name], column_of[variable.name] = variable, other
            notes.append(f"{variable.name} read from {other}: {variable.alias_note}")
    missing = [f"'{name}'" for name, column in column_of.items() if column not in present]
    if missing:
        raise ScaleError(
            f"{source}: form {form.name} needs the column{'s' * (len(missing) > 1)} {', '.join(missing)} "
            f"(found: {_listing(present)}); map yours with --columns"
        )
    positive = {v.name: v.positive for v in wanted}
    values = {
        name: np.array([_value(record.get(column), source, row, line, column, positive[name]) for row, line, record in records])
        for name, column in column_of.items()
    }
    for variable in wanted:
        data = values[variable.name]
        floor = variable.positive or variable.name in aliased  # an aliased column (a KL) is >= 0; sizes and losses > 0
        bad = ~np.isfinite(data) | ((data <= 0) if variable.positive else (data < 0) if floor else False)
        if np.any(bad):
            at = int(np.argmax(bad))
            expected = "> 0" if variable.positive else ">= 0" if floor else ""
            raise ScaleError(
                f"{source}: row {records[at][0]}, {column_of[variable.name]}: expected a finite number "
                f"{expected}, got {data[at]!r}".replace("number , got", "number, got")
            )
    for name, variable in aliased.items():
        assert variable.from_alias is not None  # only variables with an alias are here
        values[name] = variable.from_alias(values[name])
    target = values.pop(form.target.name)
    return FormRuns(values, target, source, tuple(r[0] for r in records), notes)
