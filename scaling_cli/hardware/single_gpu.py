"""Ways to train on one GPU, side by side: full training under three optimizers, ZeRO-Offload,
LoRA and QLoRA (``configs/memory.toml`` [methods]; each with its source).

A 7B model "takes 15-20 GB" to fine-tune only with a frozen base; full mixed-precision Adam needs
112 GB of state alone. The table answers "what micro-batch fits" under each method, at the
layout's sequence length and recomputation, so the claims users meet can be told apart.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, NonNegativeFloat, model_validator

from ..core.configs import config_dir, validate
from .activations import activation_bytes
from .gpus import Gpu
from .layout import Layout
from .memory import MEMORY_CONFIG, get_optimizer, memory_config
from .shape import Shape

DEFAULT_LORA_RANK = 8
"""PEFT's LoraConfig default, r = 8."""


class Method(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    source: str
    optimizer: str | None = None
    """Full training: every parameter takes this optimizer's bytes."""
    gpu_bytes: NonNegativeFloat | None = None
    host_bytes: NonNegativeFloat = 0.0
    frozen_bytes: NonNegativeFloat | None = None
    """A frozen base: bytes per base parameter (no gradients, no optimizer state)."""
    frozen_linear_bits: NonNegativeFloat | None = None
    """The frozen blocks' linear weights, quantised (bits per weight, constants included)."""
    adapter_bytes: NonNegativeFloat = 0.0

    @model_validator(mode="after")
    def _one_kind(self) -> Method:
        kinds = [self.optimizer is not None, self.gpu_bytes is not None, self.frozen_bytes is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of 'optimizer' (full training), 'gpu_bytes' (offload) and 'frozen_bytes' (adapters)")
        return self


@cache
def methods() -> dict[str, Method]:
    path = config_dir() / MEMORY_CONFIG
    return {name: validate(Method, {"name": name, **spec}, f"{path} [methods.{name}]") for name, spec in memory_config().methods.items()}


class MethodMemory(BaseModel):
    method: str
    title: str
    trainable_params: float
    state_bytes: float
    """Weights, gradients and optimizer state kept on the GPU."""
    host_bytes: float
    """What the method keeps in the host's memory instead (ZeRO-Offload)."""
    activations_bytes: float
    """At the layout's micro-batch."""
    activation_bytes_per_sequence: float
    total_bytes: float
    fits: bool
    headroom_fraction: float
    largest_micro_batch: int
    source: str


def adapter_params(shape: Shape, rank: int) -> int:
    """LoRA's A (r x fan_in) and B (fan_out x r) on every linear layer of the blocks."""
    return sum(rank * (fan_in + fan_out) * count for fan_in, fan_out, count in shape.linear_matrices())


def single_gpu_methods(params: float, shape: Shape, gpu: Gpu, layout: Layout, lora_rank: int = DEFAULT_LORA_RANK) -> list[MethodMemory]:
    """Memory of training ``params`` parameters of ``shape`` on one ``gpu`` under each method."""
    scale = params / shape.params  # a suggested shape stands for the parameter count given
    linear = sum(fan_in * fan_out * count for fan_in, fan_out, count in shape.linear_matrices()) * scale
    adapters = adapter_params(shape, lora_rank) * scale
    per_sequence = activation_bytes(shape, layout.model_copy(update={"micro_batch": 1}))
    activations = activation_bytes(shape, layout)
    memory = gpu.memory_bytes
    rows = []
    for method in methods().values():
        trainable = params
        if method.optimizer is not None:
            opt = get_optimizer(method.optimizer)
            state = (opt.weight_bytes + opt.gradient_bytes + opt.optimizer_bytes) * params
        elif method.gpu_bytes is not None:
            state = method.gpu_bytes * params
        else:
            trainable = adapters
            bits, frozen_bytes = method.frozen_linear_bits, method.frozen_bytes
            assert frozen_bytes is not None  # validated: exactly one of optimizer, gpu_bytes and frozen_bytes
            frozen = frozen_bytes * params if bits is None else frozen_bytes * (params - linear) + bits / 8 * linear
            state = frozen + method.adapter_bytes * adapters
        total = state + activations
        rows.append(
            MethodMemory(
                method=method.name,
                title=method.title,
                trainable_params=trainable,
                state_bytes=state,
                host_bytes=method.host_bytes * params,
                activations_bytes=activations,
                activation_bytes_per_sequence=per_sequence,
                total_bytes=total,
                fits=total <= memory,
                headroom_fraction=(memory - total) / memory,
                largest_micro_batch=max(int((memory - state) // per_sequence), 0),
                source=method.source,
            )
        )
    return rows
