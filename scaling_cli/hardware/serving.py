"""How well serving can use a GPU: the decoding roofline (an upper bound on serving MFU).

Decoding emits one token per sequence per step, and every step reads all the weights and each
sequence's KV cache from memory (kipp.ly, "Transformer Inference Arithmetic"). With B sequences
of up to ``context`` cached tokens on g GPUs::

    step time >= max(2·N·B / (g·peak),  (N·w + B·context·kv) / (g·bandwidth))
    serving MFU = 2·N·B / (g·peak·step time)

where w is bytes per weight and kv the cache's bytes per token. Below B ~ peak·w / (2·bandwidth)
(about 295 on an H100 in bf16) decoding is bound by memory bandwidth, and with long contexts the
cache reads dominate. The bound is the best over tensor-parallel groups of one node (powers of
two from the fewest GPUs whose memory holds the weights, up to 8 or that fewest), each with the
largest batch its memory holds up to vLLM's default scheduler cap (``max_num_seqs`` = 256,
vllm/engine/arg_utils.py). Real serving sits below it (latency targets, uneven batches); prompt
tokens (prefill) run near training MFU.
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from ..core.compute import INFERENCE_FLOPS_PER_PARAM_TOKEN
from .gpus import Gpu

SERVING_BATCH = 256
"""vLLM's default cap on sequences decoded at once (EngineArgs.max_num_seqs)."""
NODE = 8
"""Tensor-parallel serving stays within one 8-GPU node."""
MEMORY_SHARE = 0.9
"""The share of GPU memory a serving engine gives weights and cache: vLLM's default
gpu_memory_utilization, 0.9."""


class ServingBound(BaseModel):
    mfu: float
    """The roofline's serving MFU: an upper bound."""
    gpus: int
    """GPUs serving one copy of the model (tensor-parallel)."""
    batch: int
    """Sequences decoded at once."""
    context: int
    bound: str
    """'memory' (bandwidth-bound: weights and cache reads) or 'compute'."""
    kv_cache_bytes_per_token: float


def decode_bound(
    params: float, kv_bytes_per_token: float, gpu: Gpu, context: int, batch: int = SERVING_BATCH, weight_bytes: float = 2.0
) -> ServingBound:
    """The roofline serving MFU of ``params`` parameters decoding ``context``-token sequences on ``gpu``."""
    weights = params * weight_bytes
    per_sequence = kv_bytes_per_token * context
    fewest = 1
    while fewest * gpu.memory_bytes * MEMORY_SHARE < weights + per_sequence:
        fewest *= 2
    bounds = []
    gpus = fewest
    while gpus <= max(NODE, fewest):
        room = gpus * gpu.memory_bytes * MEMORY_SHARE - weights
        sequences = max(1, min(batch, math.floor(room / per_sequence))) if per_sequence > 0 else batch
        flops = INFERENCE_FLOPS_PER_PARAM_TOKEN * params * sequences
        compute_time = flops / (gpus * gpu.peak_flops)
        memory_time = (weights + sequences * per_sequence) / (gpus * gpu.bandwidth_bytes_per_second)
        bounds.append(
            ServingBound(
                mfu=flops / (gpus * gpu.peak_flops * max(compute_time, memory_time)),
                gpus=gpus,
                batch=sequences,
                context=context,
                bound="memory" if memory_time >= compute_time else "compute",
                kv_cache_bytes_per_token=kv_bytes_per_token,
            )
        )
        gpus *= 2
    return max(bounds, key=lambda b: (b.mfu, -b.gpus))
