"""How a training run is spread over GPUs (data, tensor, pipeline, context and expert parallel
ranks, ZeRO) and what it keeps in memory (micro-batch, sequence, recomputation)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from ..core.validation import Checked

Recompute = Literal["none", "selective", "full"]
Framework = Literal["megatron", "pytorch"]
"""Whose memory accounting: Megatron-LM's (bf16 weights, Korthikanti et al.'s activations) or eager
PyTorch / Hugging Face's (fp32 weights under bf16 autocast, measured: ``eager.py``)."""
TENSOR_PARALLEL = (1, 2, 4, 8)
"""Tensor parallelism stays within one 8-GPU node (its all-reduces need NVLink bandwidth)."""


class Layout(Checked):
    """How a training run is spread over GPUs, and what it keeps in memory."""

    dp: int = Field(default=1, ge=1, le=10_000_000)
    tp: int = Field(default=1, ge=1, le=1024)
    pp: int = Field(default=1, ge=1, le=4096)
    cp: int = Field(default=1, ge=1, le=1024, description="context-parallel ranks: each holds seq/cp tokens of every sequence")
    ep: int = Field(default=1, ge=1, le=100_000, description="expert-parallel ranks: the experts sharded over this many of the dp ranks")
    zero: int = Field(default=0, ge=0, le=3)
    micro_batch: int = Field(default=1, ge=1, le=1_000_000)
    seq: int = Field(default=4096, ge=1, le=100_000_000)
    recompute: Recompute = "none"
    flash_attention: StrictBool = False
    optimizer: str = "adamw"
    framework: Framework = "megatron"

    @property
    def gpus(self) -> int:
        return self.dp * self.tp * self.pp * self.cp

    def describe(self) -> str:
        """``dp 64 x tp 8 x pp 1`` (and ``x cp 2`` when context-parallel)."""
        return f"dp {self.dp} x tp {self.tp} x pp {self.pp}" + (f" x cp {self.cp}" if self.cp > 1 else "")
