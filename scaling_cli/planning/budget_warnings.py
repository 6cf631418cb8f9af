"""The warnings of a budget file: what a reviewer should question though no limit was set on
it, each with its kind, and which of them the file accepts (``accept``) so that ``--strict``
lets them pass.
"""

from __future__ import annotations

import re

FAR_FROM_OPTIMAL_TOKENS_PER_PARAM = 10.0
"""Below ~10 tokens per parameter a run is far from compute-optimal (Chinchilla's ~20)."""
MANY_EPOCHS = 4.0
"""Beyond ~4 epochs repeated data stops being almost as good as fresh (Muennighoff et al. 2023)."""
HIGH_MFU = 0.6
"""Large runs report 38-46 % MFU (Llama 3 Table 4, PaLM); above ~60 % a plan is optimistic."""

WARNING_KINDS = ("limits", "allocation", "data", "hardware", "memory", "extrapolation")
"""What a budget file's warning is about (``kinds[i]`` of ``warnings[i]``); ``accept`` names those
``--strict`` lets pass."""


def warnings_for(values: dict[str, float | None], mfu: float, fits: bool | None) -> list[tuple[str, str]]:
    """What a reviewer should question, though no limit was set on it: (kind, text) each."""
    found = []
    ratio = values.get("tokens_per_param")
    if ratio is not None and ratio < FAR_FROM_OPTIMAL_TOKENS_PER_PARAM:
        found.append(
            (
                "allocation",
                f"{ratio:.1f} tokens per parameter: far from compute-optimal (under ~{FAR_FROM_OPTIMAL_TOKENS_PER_PARAM:g}; Chinchilla's is ~20)",
            )
        )
    epochs = values.get("epochs")
    if epochs is not None and epochs > MANY_EPOCHS:
        found.append(
            ("data", f"{epochs:.1f} epochs over the unique data: beyond ~{MANY_EPOCHS:g} repeats lose value (Muennighoff et al. 2023)")
        )
    if mfu > HIGH_MFU:
        found.append(("hardware", f"MFU {mfu:.0%} is above what large runs reach (38-46 %; ~{HIGH_MFU:.0%} is optimistic)"))
    if fits is False:
        found.append(("memory", "the model does not fit the GPUs named at the default layout (see `scale memory`)"))
    return found


def accepted(accept: list[str], max_decades: float | None, kind: str, warning: str) -> bool:
    """Whether the file's ``accept`` covers this warning (an extrapolation within its decades)."""
    if kind not in accept:
        return False
    if kind == "extrapolation" and max_decades is not None:
        decades = re.search(r"([0-9.]+) decades of extrapolation", warning)
        return decades is not None and float(decades[1]) <= max_decades
    return True
