"""``scale example``: the example runs that ship with the package (``configs/examples/``).

Real published runs whose licence lets them ship (attributed in ``configs/examples/NOTICE.md``),
and seeded synthetic sweeps generated on the spot, each as the CSV a command reads.
"""

from __future__ import annotations

import csv
import io

from pydantic import BaseModel

from ..core.configs import config_dir, read_toml
from ..core.errors import ScaleError
from ..core.units import did_you_mean


class Example(BaseModel):
    name: str
    title: str
    source: str
    citation: str
    licence: str
    file: str | None = None
    """The shipped file (None: generated)."""
    try_: str = ""
    """A command to run on it."""


def examples() -> list[Example]:
    """Every example, in the registry's order."""
    table, _ = read_toml(config_dir() / "examples" / "examples.toml")
    return [Example(name=name, try_=entry.pop("try", ""), **entry) for name, entry in table.items()]


def example(name: str) -> str:
    """The example ``name`` as CSV text."""
    known = {e.name: e for e in examples()}
    if name not in known:
        raise ScaleError(f"unknown example {name!r}{did_you_mean(name, list(known))}: expected one of {', '.join(known)}")
    chosen = known[name]
    if chosen.file is not None:
        return (config_dir() / "examples" / chosen.file).read_text(encoding="utf-8")
    from .simulate import synthetic_lr_batch_grid, synthetic_runs

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if name == "synthetic-sweep":
        runs = synthetic_runs(seed=0)
        writer.writerow(["params", "tokens", "loss"])
        writer.writerows(zip(runs.params.tolist(), runs.tokens.tolist(), runs.loss.tolist()))
    else:
        writer.writerow(["params", "tokens", "lr", "batch_tokens", "loss"])
        writer.writerows(zip(*(column.tolist() for column in synthetic_lr_batch_grid(0))))
    return out.getvalue()
