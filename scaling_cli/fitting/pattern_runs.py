"""A metric and its x (compute or size) from a runs file, for ``scale pattern``."""

from __future__ import annotations

import numpy as np

from ..compute import FLOPS_PER_PARAM_TOKEN
from ..errors import ScaleError
from .runs import _listing, _value, parse_columns, read_records


def read_metric(path, metric: str, x: str, columns: str | None, where: list[str] | None):
    records, source, _ = read_records(path, where=where)
    mapping = parse_columns(columns, ("params", "tokens", "flops"))
    present = set().union(*(r.keys() for _, _, r in records))
    if metric not in present:
        raise ScaleError(f"{source}: no column {metric!r} (found: {_listing(present)})")
    name = {key: mapping.get(key, key) for key in ("params", "tokens", "flops")}

    def column(key):
        return np.array([_value(r.get(name[key]), source, n, line, name[key]) for n, line, r in records])

    kept = [(n, line, r) for n, line, r in records if str(r.get(metric, "")).strip() not in ("", "nan", "None")]
    dropped = len(records) - len(kept)
    records = kept
    if not records:
        raise ScaleError(f"{source}: {metric} is empty in every row")
    ys = np.array([_value(r.get(metric), source, n, line, metric, positive=False) for n, line, r in records])
    if x == "params" or name["flops"] not in present:
        if name["params"] not in present or (x == "flops" and name["tokens"] not in present):
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
    return values, ys, label
