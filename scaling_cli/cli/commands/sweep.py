"""``scale sweep``: design an IsoFLOP sweep around the optimum."""

from __future__ import annotations

from typing import Annotated

import typer

from ..options import (
    DEFAULTS,
    CountedSeqOption,
    FormatOption,
    GpuOption,
    JsonOption,
    LawOption,
    MfuOption,
    check_format,
    count,
    flops_value,
    positive,
)
from ..output import console as make_console
from ..output import emit_json


def sweep(
    min_flops: Annotated[float, typer.Option("--min-flops", parser=flops_value, help="Smallest budget (FLOPs).", metavar="FLOPS")],
    max_flops: Annotated[float, typer.Option("--max-flops", parser=flops_value, help="Largest budget (FLOPs).", metavar="FLOPS")],
    budgets: Annotated[int, typer.Option("--budgets", parser=count, help="Number of budgets, log-spaced.", metavar="K")] = 5,
    sizes: Annotated[int, typer.Option("--sizes", parser=count, help="Model sizes per budget.", metavar="K")] = 7,
    span: Annotated[float, typer.Option("--span", parser=positive, help="Sizes from optimum/SPAN to optimum*SPAN.", metavar="SPAN")] = 4.0,
    vocab: Annotated[int, typer.Option("--vocab", parser=count, help="Vocabulary size of the shapes.", metavar="V")] = 32_000,
    law: LawOption = DEFAULTS["law"],
    gpu: GpuOption = DEFAULTS["gpu"],
    mfu: MfuOption = DEFAULTS["mfu"],
    csv: Annotated[
        str | None, typer.Option("--csv", help="Also write the runs as CSV that `scale fit` reads back (loss empty).", metavar="FILE")
    ] = None,
    seq: CountedSeqOption = 4096,
    json: JsonOption = False,
    format: FormatOption = "text",
) -> None:
    """Design an IsoFLOP sweep: model sizes around the optimum at a few budgets, with shapes and cost."""
    check_format(format, json)
    from ...planning.sweeps import sweep as design
    from ...planning.sweeps import sweep_csv

    result = design(min_flops, max_flops, budgets=budgets, sizes=sizes, span=span, law=law, vocab=vocab, gpu=gpu, mfu=mfu, seq=seq)
    if csv is not None:
        from ...core.files import write_atomically

        write_atomically(csv, sweep_csv(result), "--csv")
        result.notes.append(f"runs written to {csv}: fill in each loss, then `scale fit {csv} --method isoflop`")
    if json:
        emit_json(result)
    else:
        from ..render.fit import render_sweep

        render_sweep(make_console(), result)
