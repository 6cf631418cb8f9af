"""When a run does not fit: the least change of each kind that makes it fit.

One knob at a time, from the layout as given: a higher ZeRO stage, more recomputation (or
FlashAttention), a smaller micro-batch, more tensor, pipeline or context parallelism, or more
data-parallel GPUs (:func:`~scaling_cli.hardware.memory.fewest_gpus`); and pairs of knobs where they fit
on fewer GPUs than any single knob. Each change says the GPUs it needs and the memory it leaves,
fewest GPUs first, so a user can pick the cheapest.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .layout import TENSOR_PARALLEL, Layout
from .memory import TIGHT_HEADROOM, TrainingMemory, total_bytes
from .shape import Shape

PIPELINE_PARALLEL = (2, 4, 8, 16, 32, 64)
CONTEXT_PARALLEL = (2, 4, 8, 16, 32)


class Change(BaseModel):
    change: str
    """What to set, as ``scale memory`` flags: ``--zero 3``, ``--recompute full``, ``--tp 4``."""
    gpus: int
    total_bytes: float
    headroom_fraction: float
    tight: bool


def _total(params: float, shape: Shape, layout: Layout, expert_params: float) -> float:
    return total_bytes(params, shape, layout, expert_params)


def least_changes(memory: TrainingMemory) -> list[Change]:
    """The least change of each kind that fits ``memory``'s run; empty when it already fits."""
    if memory.fits:
        return []
    params, shape, layout = memory.params, memory.shape, memory.layout
    expert_params = shape.expert_params * params / shape.params if shape.is_moe else 0.0
    capacity = memory.gpu_memory_bytes
    options: list[tuple[str, dict[str, Any]]] = []
    if layout.dp * layout.cp > 1:  # ZeRO shards over the ranks that hold the same weights
        options += [(f"--zero {z}", {"zero": z}) for z in range(layout.zero + 1, 4)]
    megatron = layout.framework == "megatron"  # eager PyTorch has gradient checkpointing, ZeRO/FSDP and the micro-batch
    if megatron and not layout.flash_attention and layout.recompute == "none":
        options.append(("--flash-attention", {"flash_attention": True}))
    ladder = ["none", "selective", "full"] if megatron else ["none", "full"]
    options += [(f"--recompute {r}", {"recompute": r}) for r in ladder[ladder.index(layout.recompute) + 1 :]]
    options += [(f"--micro-batch {b}", {"micro_batch": b}) for b in range(layout.micro_batch - 1, 0, -1)]
    options += [(f"--tp {t}", {"tp": t}) for t in TENSOR_PARALLEL if t > layout.tp and shape.heads % t == 0 and shape.n_kv_heads % t == 0]
    options += [(f"--pp {p}", {"pp": p}) for p in PIPELINE_PARALLEL if layout.pp < p <= shape.layers]
    options += [(f"--cp {c}", {"cp": c}) for c in CONTEXT_PARALLEL if c > layout.cp and layout.seq % c == 0 and layout.seq // c >= 1024]
    if not megatron:
        options = [option for option in options if not option[0].startswith(("--tp", "--pp", "--cp"))]
    kinds: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for label, update in options:
        kinds.setdefault(label.split()[0], []).append((label, update))

    def change(labels: list[str], update: dict[str, Any]) -> Change | None:
        changed = layout.model_copy(update=update)
        total = _total(params, shape, changed, expert_params)
        if total > capacity:
            return None
        headroom = (capacity - total) / capacity
        return Change(
            change=" ".join(labels), gpus=changed.gpus, total_bytes=total, headroom_fraction=headroom, tight=headroom < TIGHT_HEADROOM
        )

    # One knob: the first (least) option of each kind that fits.
    single = {kind: next((c for label, update in group if (c := change([label], update))), None) for kind, group in kinds.items()}
    found = {kind: c for kind, c in single.items() if c is not None}
    # Two knobs: for each pair of kinds, the combination that fits on the fewest GPUs, kept when
    # it needs fewer GPUs than every single knob does.
    fewest_single = min((c.gpus for c in found.values()), default=None)
    names = list(kinds)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            fitting = [c for a, ua in kinds[first] for b, ub in kinds[second] if (c := change([a, b], {**ua, **ub}))]
            best = min(fitting, key=lambda c: c.gpus, default=None)
            if best is not None and (fewest_single is None or best.gpus < fewest_single):
                found[first + second] = best
    changes = list(found.values())
    fewest = memory.fewest_gpus
    if fewest is not None:
        changed = layout.model_copy(update={"dp": fewest.dp, "zero": fewest.zero})
        total = _total(params, shape, changed, expert_params)
        headroom = (capacity - total) / capacity
        label = f"--dp {fewest.dp}" + (f" --zero {fewest.zero}" if fewest.zero != layout.zero else "")
        changes.append(
            Change(change=label, gpus=fewest.gpus, total_bytes=total, headroom_fraction=headroom, tight=headroom < TIGHT_HEADROOM)
        )
    return sorted(changes, key=lambda c: (c.gpus, c.tight))[:6]
