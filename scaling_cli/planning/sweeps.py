"""Designing the IsoFLOP sweep a team trains before it trusts a law at scale.

For each of a few compute budgets (log-spaced), model sizes spread log-evenly around the law's
compute-optimal size (default 1/4x to 4x), each given a concrete Llama-style shape; the tokens
are what the budget leaves for the shape's exact parameter count (6·N·D = C), so every run of a
budget spends the same compute, as an IsoFLOP profile needs (Hoffmann et al. 2022, Approach 2).
"""

from __future__ import annotations

import csv
import io

import numpy as np
from pydantic import BaseModel

from ..core.compute import DEFAULT_MFU, gpu_hours, training_flops
from ..core.errors import ScaleError
from ..core.validation import Count, Fraction, Positive, checked
from ..hardware.gpus import DEFAULT_GPU, Gpu
from ..hardware.shape import SHAPE_TOLERANCE, Shape, fits, suggest_shapes
from ..laws import DEFAULT_LAW, Law
from .planner import resolve_gpu, resolve_law

MAX_GRID = 100
"""Budgets and sizes per budget: more is no sweep anyone trains (Chinchilla used 9 budgets)."""

CSV_COLUMNS = ("params", "tokens", "flops", "loss", "layers", "d_model", "heads", "d_ff", "vocab", "size_ratio")
"""`scale fit` reads params, tokens, flops and loss back; loss is left empty for the team to fill."""


class SweepRun(BaseModel):
    flops: float
    size_ratio: float
    """Params as a multiple of the law's compute-optimal size at this budget."""
    params: float
    tokens: float
    tokens_per_param: float
    layers: int
    d_model: int
    heads: int
    d_ff: int
    vocab: int
    shape_error: float
    """The shape's parameters against the target size: params / target - 1."""
    shape_fits: bool
    """Within 2 % of the target, at a published aspect ratio (d_model / layers)."""
    gpu_hours: float


class Sweep(BaseModel):
    law: str
    budgets: list[float]
    runs: list[SweepRun]
    total_flops: float
    total_gpu_hours: float
    gpu: str
    mfu: float
    notes: list[str]
    warnings: list[str] = []
    """Budgets where the law that centres the sizes was not fitted: its optimum is a guess there."""


@checked
def sweep(
    min_flops: Positive,
    max_flops: Positive,
    budgets: Count = 5,
    sizes: Count = 7,
    span: Positive = 4.0,
    law: Law | str = DEFAULT_LAW,
    vocab: Count = 32_000,
    gpu: Gpu | str = DEFAULT_GPU,
    mfu: Fraction = DEFAULT_MFU,
    seq: Count = 4096,
) -> Sweep:
    """An IsoFLOP grid: ``budgets`` budgets from ``min_flops`` to ``max_flops``, ``sizes`` sizes each.
    Each run's GPU-hours count the FLOPs MFU counts for its shape (PaLM, App. B: attention at
    ``seq``-token sequences too)."""
    if max_flops < min_flops:
        raise ScaleError(f"max_flops ({max_flops:.3g}) is below min_flops ({min_flops:.3g})")
    if budgets > 1 and max_flops == min_flops:
        raise ScaleError("min_flops equals max_flops: give a range, or budgets = 1")
    if span <= 1:
        raise ScaleError(f"span: expected a factor > 1 (sizes from optimum/span to optimum*span), got {span:g}")
    if sizes < 3:
        raise ScaleError(f"sizes: a parabola per budget needs at least 3 sizes, got {sizes}")
    if budgets > MAX_GRID or sizes > MAX_GRID:
        raise ScaleError(f"budgets and sizes: at most {MAX_GRID} each (got {budgets} and {sizes}); an IsoFLOP sweep needs a handful")
    law, gpu = resolve_law(law), resolve_gpu(gpu)
    grid = np.geomspace(min_flops, max_flops, budgets) if budgets > 1 else np.array([min_flops])
    ratios = np.geomspace(1 / span, span, sizes)
    runs, notes, dropped = [], [], 0
    for flops in grid.tolist():
        optimal, _ = law.optimal(flops)
        targets = [optimal * ratio for ratio in ratios.tolist()]
        for ratio, target, shape in zip(ratios.tolist(), targets, family(targets, vocab)):
            if shape is None:
                dropped += 1  # no larger shape than the smaller size's: a duplicate run teaches nothing
                continue
            tokens = flops / training_flops(shape.params, 1.0)
            runs.append(
                SweepRun(
                    flops=flops,
                    size_ratio=ratio,
                    params=shape.params,
                    tokens=tokens,
                    tokens_per_param=tokens / shape.params,
                    layers=shape.layers,
                    d_model=shape.d_model,
                    heads=shape.heads,
                    d_ff=shape.d_ff,
                    vocab=vocab,
                    shape_error=shape.params / target - 1,
                    shape_fits=fits(shape, target),
                    gpu_hours=gpu_hours(shape.counted_flops(tokens, seq, shape.params), gpu.peak_flops, mfu),
                )
            )
    if dropped:
        notes.append(
            f"{dropped} size(s) left out: no larger shape of the family than the next smaller size's "
            f"(the embeddings of a {vocab:,}-token vocabulary set a floor on small models)"
        )
    off = [run for run in runs if not run.shape_fits]
    if off:
        notes.append(
            f"{len(off)} run(s) (marked *) have no shape of a published aspect ratio within {SHAPE_TOLERANCE:.0%} of their target "
            f"size (small models: the embeddings of a {vocab:,}-token vocabulary dominate them); their params are the "
            "nearest sensible shape's, and their tokens keep the budget"
        )
    if law.params_counted != "total":
        notes.append(f"{law.name} counts parameters as {law.params_counted}; the shapes are sized by total parameters")
    smallest = min(runs, key=lambda run: run.params)
    share = 2 * vocab * smallest.d_model / smallest.params  # untied: input and output embeddings
    if law.params_counted == "total" and share > 0.5:
        notes.append(
            f"embeddings are {share:.0%} of the smallest run's {smallest.params / 1e6:,.1f}M parameters: {law.name} counts "
            "total parameters, so the smallest runs vary mostly the embedding table, not the transformer"
        )
    total = sum(run.flops for run in runs)
    return Sweep(
        law=law.name,
        budgets=grid.tolist(),
        runs=runs,
        total_flops=total,
        total_gpu_hours=sum(run.gpu_hours for run in runs),
        gpu=gpu.name,
        mfu=mfu,
        notes=notes,
        warnings=law.range_warnings(grid.tolist(), *zip(*(law.optimal(c) for c in grid.tolist()))),
    )


SHAPE_CANDIDATES = 40
"""Shapes considered per size (best first) when choosing the sweep's family."""
SKIP_COST = 1000.0
"""Leaving a size out costs more than any choice of shapes (ranks are at most SHAPE_CANDIDATES)."""


def family(targets: list[float], vocab: int) -> list[Shape | None]:
    """One shape per target (ascending sizes), growing in depth, width and parameters together, so
    the IsoFLOP profile varies size and not architecture; None where no shape can grow.

    A shortest path over each size's ranked candidates: a shape costs its rank (0 = the best for
    its own size), plus ``SHAPE_CANDIDATES`` if it misses its target by more than 2 % or has an
    unpublished aspect ratio; a size left out costs ``SKIP_COST``; a step must not shrink depth or width.
    """
    options = [suggest_shapes(target, vocab=vocab, count=SHAPE_CANDIDATES) for target in targets]
    costs = [
        [j + (0 if fits(shape, target) else SHAPE_CANDIDATES) for j, shape in enumerate(shapes)] for target, shapes in zip(targets, options)
    ]
    # best[i][j]: (cost, previous choice) of a path ending with candidate j of size i (j = -1: skipped).
    best: list[dict[int, tuple[float, tuple[int, int] | None]]] = []
    for i, shapes in enumerate(options):
        row: dict[int, tuple[float, tuple[int, int] | None]] = {}
        earlier = [(cost, (k, j)) for k in range(i) for j, (cost, _) in best[k].items() if j >= 0]
        skipped = sum(SKIP_COST for _ in range(i))
        for j, shape in enumerate(shapes):
            own = costs[i][j]
            choices: list[tuple[float, tuple[int, int] | None]] = [(skipped + own, None)]
            for cost, (k, m) in earlier:
                before = options[k][m]
                if shape.layers >= before.layers and shape.d_model >= before.d_model and shape.params > before.params:
                    choices.append((cost + (i - k - 1) * SKIP_COST + own, (k, m)))
            row[j] = min(choices, key=lambda c: c[0])
        best.append(row)
    total = [(cost + (len(targets) - 1 - i) * SKIP_COST, (i, j)) for i, row in enumerate(best) for j, (cost, _) in row.items()]
    at: tuple[int, int] | None = min(total, key=lambda c: c[0])[1]
    chosen: list[Shape | None] = [None] * len(targets)  # a target the path skips stays None
    while at is not None:
        i, j = at
        chosen[i] = options[i][j]
        at = best[i][j][1]
    return chosen


def sweep_csv(result: Sweep) -> str:
    """The sweep as CSV with the columns `scale fit` reads (loss left empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for run in result.runs:
        writer.writerow(
            [
                repr(run.params),
                repr(run.tokens),
                repr(run.flops),
                "",
                run.layers,
                run.d_model,
                run.heads,
                run.d_ff,
                run.vocab,
                f"{run.size_ratio:.6g}",
            ]
        )
    return out.getvalue()
