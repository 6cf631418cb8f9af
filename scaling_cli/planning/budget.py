"""Budgets in CI: a planned run and its limits, checked (``scale check budget.toml``).

A budget file (TOML; ``configs/budget.example.toml`` is annotated) declares a run (law, params and
tokens or flops, GPU, GPU count, MFU, optional price, unique and inference tokens, layout) and a
``[limits]`` table with any of the limits below. Every limit becomes a :class:`Check`; the CLI
exits 0 when all hold, 1 when one is exceeded, 2 when the file is invalid. Warnings (far from
compute-optimal, many epochs, an implausible MFU, a model that does not fit) fail only in strict
mode. The same limits work as flags on ``plan`` and ``overtrain``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, field_validator, model_validator

from ..core.compute import DEFAULT_MFU, HOURS_PER_DAY, gpu_hours, training_flops
from ..core.configs import load_toml
from ..core.errors import ScaleError
from ..core.units import parse_number
from ..hardware.gpus import DEFAULT_GPU
from ..hardware.layout import Layout
from ..hardware.shape import Shape
from .budget_warnings import WARNING_KINDS, accepted, warnings_for

if TYPE_CHECKING:
    from ..hardware.gpus import Gpu


LIMITS = {
    # name: (kind, what it bounds, unit)
    "max_flops": ("max", "flops", "FLOPs"),
    "max_gpu_hours": ("max", "gpu_hours", "GPU-hours"),
    "max_days": ("max", "days", "days"),
    "max_cost": ("max", "cost", "USD"),
    "max_loss": ("max", "loss", "nats/token"),
    "min_tokens_per_param": ("min", "tokens_per_param", ""),
    "max_tokens_per_param": ("max", "tokens_per_param", ""),
    "max_compute_overhead": ("max", "compute_overhead", "fraction"),
    "max_memory_per_gpu": ("max", "memory_per_gpu_bytes", "bytes"),
    "max_epochs": ("max", "epochs", "epochs"),
}


def _number(value: Any) -> Any:
    """TOML numbers as they are; strings such as "7B" or "1.4T" parsed like the CLI's; a boolean
    is never a number."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, str):
        try:
            return parse_number(value)
        except ValueError as error:
            raise ValueError(str(error)) from None
    return value


def _bytes_value(value: Any) -> Any:
    """Bytes as a number, or with a byte unit (:func:`~scaling_cli.core.units.parse_bytes`)."""
    if isinstance(value, str):
        from ..core.units import parse_bytes

        return parse_bytes(value)
    return _number(value)


def _fraction(value: Any) -> Any:
    """A fraction, or a percentage string such as "40%", as on the command line."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return _number(value.strip()[:-1]) / 100
    return _number(value)


class Limits(BaseModel):
    """Any subset of the limits; each bounds one planned value."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    max_flops: PositiveFloat | None = None
    max_gpu_hours: PositiveFloat | None = None
    max_days: PositiveFloat | None = None
    max_cost: PositiveFloat | None = None
    max_loss: PositiveFloat | None = None
    min_tokens_per_param: PositiveFloat | None = None
    max_tokens_per_param: PositiveFloat | None = None
    max_compute_overhead: float | None = Field(default=None, ge=0)
    max_memory_per_gpu: PositiveFloat | None = None
    max_epochs: PositiveFloat | None = None

    _numbers = field_validator("*", mode="before")(classmethod(lambda cls, value: _number(value)))
    _bytes = field_validator("max_memory_per_gpu", mode="before")(classmethod(lambda cls, value: _bytes_value(value)))

    def given(self) -> dict[str, float]:
        return {name: value for name, value in self.model_dump().items() if value is not None}


class BudgetFile(BaseModel):
    """A planned run and its limits."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    law: str | None = None
    """A preset or a law file; default chinchilla, or muennighoff with unique_tokens."""
    params: PositiveFloat | None = None
    """Needed unless ``[shape]`` or ``config`` gives the model (its parameter count is then used)."""
    shape: Shape | None = None
    """The model as built: layers, d_model, heads, kv_heads, d_ff, vocab (``scale memory``'s flags)."""
    config: str | None = None
    """Or a Hugging Face config.json (a path relative to the budget file, a model folder, a hub name)."""
    tokens: PositiveFloat | None = None
    flops: PositiveFloat | None = None
    gpu: str = DEFAULT_GPU
    gpus: int | None = Field(default=None, ge=1)
    """Needed only by the limits and checks that depend on it: days, memory per GPU."""
    mfu: float = Field(default=DEFAULT_MFU, gt=0, le=1)
    price_per_gpu_hour: PositiveFloat | None = None
    hparams_law: str | None = None
    """The learning-rate / batch law of the suggested hyperparameters (a preset or a law file
    relative to this file; default step-law): ``learning_rate`` and ``batch_size_tokens`` in the values."""
    unique_tokens: PositiveFloat | None = None
    inference_tokens: float | None = Field(default=None, ge=0)
    layout: Layout | None = None
    limits: Limits = Limits()
    accept: list[str] = []
    """Warning kinds ``--strict`` lets pass (``WARNING_KINDS``): ``["extrapolation"]`` accepts a
    known extrapolation of the law beyond its fitted range."""
    max_extrapolation_decades: PositiveFloat | None = None
    """With ``accept = ["extrapolation"]``: accepted only up to this many decades beyond the fit."""

    _numbers = field_validator(
        "params", "tokens", "flops", "price_per_gpu_hour", "unique_tokens", "inference_tokens", "gpus", mode="before"
    )(classmethod(lambda cls, value: _number(value)))
    _mfu = field_validator("mfu", mode="before")(classmethod(lambda cls, value: _fraction(value)))

    @field_validator("accept")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = [kind for kind in value if kind not in WARNING_KINDS]
        if unknown:
            raise ValueError(f"accept: {', '.join(map(repr, unknown))} is not a warning kind: expected any of {', '.join(WARNING_KINDS)}")
        return value

    @model_validator(mode="after")
    def _one_size(self) -> BudgetFile:
        if (self.tokens is None) == (self.flops is None):
            raise ValueError("give exactly one of 'tokens' and 'flops'")
        if self.shape is not None and self.config is not None:
            raise ValueError('give the model once: a [shape] table or config = "path/to/config.json", not both')
        if self.params is None and self.shape is None and self.config is None:
            raise ValueError("give 'params', or the model as a [shape] table or config = \"path/to/config.json\"")
        if self.layout is not None and self.gpus is not None and self.layout.gpus != self.gpus:
            raise ValueError(
                f"[layout] spreads the run over {self.layout.describe()} = {self.layout.gpus:,} GPUs, but gpus = {self.gpus:,}: make them agree (memory and days would use different counts)"
            )
        return self


class Check(BaseModel):
    name: str
    limit: float
    value: float | None
    ok: bool
    margin: float | None
    """How far inside the limit, as a fraction of it (negative: exceeded)."""
    file: str | None = None
    row: int | None = None
    """For over-training tables: the row (1 = the first) the check is of."""


class Evaluation(BaseModel):
    """A budget file's planned values, its checks and warnings."""

    file: str | None
    values: dict[str, float | None]
    checks: list[Check]
    warnings: list[str]
    kinds: list[str] = []
    """The kind of each warning (``WARNING_KINDS``)."""
    accepted: list[bool] = []
    """Whether the budget file accepts each warning (``accept``, ``max_extrapolation_decades``):
    ``--strict`` fails only on the others."""

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def unaccepted(self) -> list[str]:
        """The warnings ``--strict`` fails on."""
        return [w for w, fine in zip(self.warnings, self.accepted or [False] * len(self.warnings)) if not fine]


def check_limits(values: dict[str, float | None], limits: Limits, source: str | None = None, row: int | None = None) -> list[Check]:
    """One :class:`Check` per limit given; a limit whose value the plan cannot give is an error."""
    checks = []
    for name, limit in limits.given().items():
        kind, key, _ = LIMITS[name]
        value = values.get(key)
        if value is None:
            raise ScaleError(f"{source + ': ' if source else ''}{name}: {_why_missing(key)}")
        ok = value <= limit if kind == "max" else value >= limit
        margin = None if limit == 0 else ((limit - value) if kind == "max" else (value - limit)) / limit
        checks.append(Check(name=name, limit=limit, value=value, ok=ok, margin=margin, file=source, row=row))
    return checks


def _why_missing(key: str) -> str:
    return {
        "cost": "needs a price per GPU-hour (price_per_gpu_hour, or --price)",
        "days": "needs a GPU count (gpus, or --gpus)",
        "loss": "needs a law with a loss form",
        "compute_overhead": "needs a law with a loss form",
        "epochs": "needs the unique tokens (unique_tokens, or --unique-tokens)",
        "memory_per_gpu_bytes": "needs the GPU count (gpus, or --gpus) to lay the model out",
    }.get(key, f"the plan has no {key}")


SHAPE_AGREEMENT = 0.02
"""``params`` and a given shape's count may differ by this much (a rounded "7B" for 6.74B)."""


def budget_path(value: str, source: str | None, key: str) -> str:
    """A path a budget file names (``law``, ``gpu``, ``config``), resolved against the budget file's
    own folder, whatever the current directory (#28), and refused when a relative path leaves that
    folder (give it absolutely). Names (a preset, a GPU, a hub model ``org/name``) pass as they are."""
    if not source or source.startswith("<"):
        return value
    path = Path(value)
    is_hub_name = value.count("/") == 1 and not value.startswith((".", "/")) and not value.endswith((".json", ".toml"))
    if path.is_absolute() or is_hub_name or ("/" not in value and "\\" not in value and not value.endswith((".toml", ".json"))):
        return value
    folder = Path(source).resolve().parent
    resolved = (folder / path).resolve()
    if not resolved.is_relative_to(folder):
        raise ScaleError(f"{source}: {key} = {value!r} leaves the budget file's folder ({folder}): give the path absolutely")
    return str(resolved)


def model_shape(budget: BudgetFile, source: str | None = None) -> tuple[float, Shape | None]:
    """The parameter count and the shape a budget file describes (``None``: suggest one)."""
    shape = budget.shape
    if budget.config is not None:
        from ..hardware.hf_config import shape_from_config

        shape = shape_from_config(budget_path(budget.config, source, "config"))
    if shape is None:
        assert budget.params is not None  # the file's validator asks for params, a [shape] or a config
        return budget.params, None
    total = float(shape.active_params)
    if budget.params is not None and abs(budget.params / total - 1) > SHAPE_AGREEMENT:
        raise ScaleError(
            f"{source + ': ' if source else ''}params = {budget.params:.4g} but the model "
            f"({'config' if budget.config else '[shape]'}) has {total:.4g} (active) parameters: drop params or make them agree"
        )
    return (budget.params if budget.params is not None else total), shape


def evaluate(budget: BudgetFile, source: str | None = None, hparams_law: str | Path | None = None) -> Evaluation:
    """The planned values of a budget file, checked against its limits (``hparams_law``: the
    learning-rate / batch law instead of the file's, as ``scale check --hparams-law`` gives it)."""
    from .planner import resolve_gpu, resolve_law
    from .sections.allocation import default_shape, snap

    try:
        law_name = None if budget.law is None else budget_path(budget.law, source, "law")
        law, gpu = resolve_law(law_name, budget.unique_tokens), resolve_gpu(budget_path(budget.gpu, source, "gpu"))
        params, shape = model_shape(budget, source)
    except ScaleError as error:
        message = str(error)
        raise ScaleError(message if source and message.startswith(source) else f"{source}: {error}" if source else message) from None
    if budget.tokens is not None:
        tokens = budget.tokens
    else:
        assert budget.flops is not None  # the file's validator asks for exactly one of tokens and flops
        tokens = budget.flops / training_flops(params, 1.0)
    flops = training_flops(params, tokens)
    loss = law.predict_loss(params, tokens, budget.unique_tokens)
    overhead = None
    if loss is not None:
        optimum = law.optimal_for_loss(loss, budget.unique_tokens)
        if optimum is not None:
            overhead = snap(flops / training_flops(*optimum) - 1.0)
    memory, fits, shape = (
        _memory(budget, params, flops, gpu, shape) if budget.gpus is not None or budget.layout is not None else (None, None, shape)
    )
    # GPU-hours count the FLOPs MFU counts (PaLM, App. B), for the file's shape or the planner's
    # default one, as `plan` does.
    seq = budget.layout.seq if budget.layout is not None else Layout().seq
    counted_shape = shape if shape is not None else default_shape(params)
    model_flops = counted_shape.counted_flops(tokens, seq, params)
    hours = gpu_hours(model_flops, gpu.peak_flops, budget.mfu)
    from ..laws.hyperparams import hyperparameter_law
    from .sections.run import counted_params

    chosen = (
        hparams_law
        if hparams_law is not None
        else None
        if budget.hparams_law is None
        else budget_path(budget.hparams_law, source, "hparams_law")
    )
    hparams = hyperparameter_law(chosen)
    learning_rate, batch = hparams.suggest(flops, counted_params(hparams, counted_shape, params), tokens)
    values = {
        "params": params,
        "tokens": tokens,
        "flops": flops,
        "model_flops": model_flops,
        "gpu_hours": hours,
        "days": None if budget.gpus is None else hours / budget.gpus / HOURS_PER_DAY,
        "cost": None if budget.price_per_gpu_hour is None else hours * budget.price_per_gpu_hour,
        "loss": loss,
        "tokens_per_param": tokens / params,
        "compute_overhead": overhead,
        "memory_per_gpu_bytes": memory,
        "epochs": None if budget.unique_tokens is None else tokens / budget.unique_tokens,
        "learning_rate": learning_rate,
        "batch_size_tokens": batch,
    }
    given = budget.limits.given()
    kinded = (
        [("limits", "no limits: the file has no [limits] table (or an empty one), so nothing is checked")] if not given else []
    ) + warnings_for(values, budget.mfu, fits)
    kinded += [("extrapolation", warning) for warning in law.range_warnings(flops, params, tokens)]
    return Evaluation(
        file=source,
        values=values,
        checks=check_limits(values, budget.limits, source),
        warnings=[warning for _, warning in kinded],
        kinds=[kind for kind, _ in kinded],
        accepted=[accepted(budget.accept, budget.max_extrapolation_decades, kind, warning) for kind, warning in kinded],
    )


def _memory(budget: BudgetFile, params: float, flops: float, gpu: Gpu, shape: Shape | None) -> tuple[float, bool, Shape]:
    """Memory per GPU at the file's layout (or the plan's), whether it fits, and the shape used."""
    from ..hardware.memory import training_memory
    from ..hardware.shape import suggest_shapes
    from .sections.run import run_plan

    if budget.layout is not None:
        # A given shape holds all its parameters (every expert of a mixture), whatever the law's N counts.
        held, source = (shape.params, "given") if shape is not None else (params, "suggested")
        shape = shape or suggest_shapes(params, count=1)[0]
        memory = training_memory(held, shape, gpu, budget.layout, shape_source=source)
        return memory.total_bytes, memory.fits, shape
    assert budget.gpus is not None  # called with a layout or with gpus
    run = run_plan(params, flops, gpu, budget.gpus, shape=shape)
    return run.memory.total_bytes, run.fits, run.shape


def load_budget(path: str | Path) -> BudgetFile:
    """A budget file, validated; every problem is one ``ScaleError`` line naming file, key and line."""
    return load_toml(BudgetFile, Path(path))


def check(budget: BudgetFile | str | Path) -> Evaluation:
    """``scale check``: a budget file (a path, or a loaded :class:`BudgetFile`) against its limits.

    >>> from scaling_cli import check
    >>> check("configs/budget.example.toml").ok  # doctest: +SKIP
    """
    if isinstance(budget, BudgetFile):
        return evaluate(budget)
    if not isinstance(budget, (str, Path)):
        raise ScaleError(f"check: expected a budget file path or a BudgetFile, got {type(budget).__name__}")
    return evaluate(load_budget(budget), str(budget))
