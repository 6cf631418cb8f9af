"""The accelerator catalog (``configs/hardware.toml``): dense BF16 peak FLOP/s and memory, with sources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from ..core.configs import config_dir, load_toml, reject_bools, validate
from ..core.errors import ScaleError

DEFAULT_GPU = "h100-sxm"


class Gpu(BaseModel):
    """One accelerator, as its datasheet states it (dense figures, no sparsity)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bools(cls, data: Any) -> Any:
        return reject_bools(cls, data)

    name: str
    title: str
    bf16_tflops: PositiveFloat = Field(description="dense BF16 (or FP16 where no BF16) peak, TFLOP/s")
    fp8_tflops: PositiveFloat | None = Field(
        default=None, description="dense FP8 peak, TFLOP/s (None: no FP8 tensor cores, or no datasheet figure)"
    )
    precision: Literal["bf16", "fp8"] = "bf16"
    """The precision the plan assumes: its peak is what GPU-hours divide by (``at_precision``)."""
    memory_gb: PositiveFloat | None = None
    memory_gib: PositiveFloat | None = None
    bandwidth_gbps: PositiveFloat
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_memory(self) -> Gpu:
        if (self.memory_gb is None) == (self.memory_gib is None):
            raise ValueError("give exactly one of 'memory_gb' and 'memory_gib'")
        return self

    @property
    def peak_flops(self) -> float:
        """Peak dense FLOP/s at the assumed precision (BF16 unless ``at_precision('fp8')``)."""
        return (self.fp8_tflops if self.precision == "fp8" else self.bf16_tflops) * 1e12  # type: ignore[operator]

    def at_precision(self, precision: str) -> Gpu:
        """This GPU with plans assuming ``precision`` (bf16 or fp8) matmuls."""
        if precision not in ("bf16", "fp8"):
            raise ScaleError(f"--precision: expected bf16 or fp8, got {precision!r}")
        if precision == "fp8" and self.fp8_tflops is None:
            raise ScaleError(
                f"{self.name} has no FP8 peak in the catalog (no FP8 tensor cores, or no datasheet figure): "
                "plan it at bf16, or give --gpu a TOML file with fp8_tflops"
            )
        return self if precision == self.precision else self.model_copy(update={"precision": precision})

    @property
    def bandwidth_bytes_per_second(self) -> float:
        return self.bandwidth_gbps * 1e9

    @property
    def memory_bytes(self) -> float:
        return self.memory_gb * 1e9 if self.memory_gb is not None else self.memory_gib * 2**30  # type: ignore[operator]


class _Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gpus: dict[str, dict[str, Any]]


def load_gpu_file(path: str) -> Gpu:
    """A custom accelerator from a TOML file of the catalog's keys (title, bf16_tflops, memory_gb or
    memory_gib, bandwidth_gbps, source), as ``--law`` takes a law file; its name is the file's stem."""
    from pathlib import Path

    from ..core.configs import read_toml

    data, text = read_toml(Path(path))
    return validate(Gpu, {"name": Path(path).stem, **data}, path, text=text)


def load_gpus() -> dict[str, Gpu]:
    """Every GPU of the catalog by name."""
    path = config_dir() / "hardware.toml"
    catalog = load_toml(_Catalog, path)
    return {name: validate(Gpu, {"name": name, **spec}, f"{path} [gpus.{name}]") for name, spec in catalog.gpus.items()}


def get_gpu(name: str) -> Gpu:
    """One GPU by name; an unknown name is a ``ScaleError`` that lists the known ones."""
    if isinstance(name, str) and name.strip().endswith(".toml"):
        return load_gpu_file(name.strip())
    gpus = load_gpus()
    if not isinstance(name, str):
        raise ScaleError(f"gpu: expected a GPU name such as {DEFAULT_GPU!r}, got {name!r}")
    try:
        return gpus[name.strip().lower()]
    except KeyError:
        from ..core.units import did_you_mean, shorten

        raise ScaleError(f"unknown GPU {shorten(name)}{did_you_mean(name, list(gpus))}: expected one of {', '.join(gpus)}") from None
