"""Argument checking for the library's public functions.

The core's entry points take plain numbers; :func:`checked` validates them with pydantic
(``validate_call``) and turns a failure into a one-line :class:`ScaleError` naming the
argument, the value and what was expected, for library users and the CLI alike.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator, validate_call

from .errors import ScaleError

if TYPE_CHECKING:
    from pydantic._internal._model_construction import ModelMetaclass
else:
    ModelMetaclass = type(BaseModel)  # pydantic's metaclass, without importing its private module


def _number(value: Any) -> Any:
    """The library's numbers: a boolean is not one; a string is read as the CLI reads it ('7B')."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, str):
        from .units import parse_number

        return parse_number(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return value


Number = BeforeValidator(_number)


def _within(low: float, high: float, what: str) -> AfterValidator:
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"expected {what} from {low:.0e} to {high:.0e}, the range the planner covers, got {value:.3g}")
        return value

    return AfterValidator(check)


Positive = Annotated[float, Number, Field(gt=0, le=1e40, allow_inf_nan=False)]
"""A finite number > 0 (hours, prices, losses)."""

NonNegative = Annotated[float, Number, Field(ge=0, le=1e40, allow_inf_nan=False)]
"""A finite number >= 0."""

Fraction = Annotated[float, Number, Field(gt=0, le=1, allow_inf_nan=False)]
"""A fraction in (0, 1] (MFU)."""

COUNT_RANGE = (1, 1_000_000_000)
"""Whole counts a plan takes (GPUs, layers, widths, sequence lengths, ranks): the domain docs/reference/limits.md states."""
Count = Annotated[int, Number, Field(ge=COUNT_RANGE[0], le=COUNT_RANGE[1])]
"""A whole number >= 1 (GPUs, sizes, sequence lengths)."""

# Where the math means something. The documentation promises numeric solves over 1e10-1e32 FLOPs; a
# model of under a thousand parameters or a run of under a thousand tokens is not a language
# model; a quadrillion parameters or 1e18 tokens is beyond any plan.
FLOPS_RANGE = (1e10, 1e32)
PARAMS_RANGE = (1e3, 1e16)
TOKENS_RANGE = (1e3, 1e18)

Flops = Annotated[float, Number, _within(*FLOPS_RANGE, "a budget in FLOPs")]
Params = Annotated[float, Number, _within(*PARAMS_RANGE, "a model size in parameters")]
Tokens = Annotated[float, Number, _within(*TOKENS_RANGE, "a token count")]


Function = TypeVar("Function", bound=Callable[..., Any])


class _OneLineErrors(ModelMetaclass):
    """Calling the class (``Shape(...)``) turns a ValidationError into one ``ScaleError`` line.

    A metaclass, not ``__init__``: pydantic calls a custom ``__init__`` when it validates a nested
    model too (a budget file's ``[layout]``), where the enclosing file's error must be raised."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except ValidationError as error:
            from .configs import describe_validation_error

            raise ScaleError(f"{cls.__name__}: {describe_validation_error(error)}") from None


class Checked(BaseModel, metaclass=_OneLineErrors):
    """A model users build by hand (``Shape(...)``, ``Layout(...)``): invalid fields are one
    ``ScaleError`` line naming every bad field, never pydantic's multi-line dump; a boolean is
    never a count; numbers are finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_bools(cls, data: Any) -> Any:
        from .configs import reject_bools

        return reject_bools(cls, data)


def checked(function: Function) -> Function:
    """Validate ``function``'s arguments against its annotations; failures become ``ScaleError``."""
    names = list(inspect.signature(function).parameters)

    @functools.cache
    def validated() -> Callable[..., Any]:
        # Built on first call, not at import: the CLI's start-up time matters (bench/startup.py).
        return validate_call(config=ConfigDict(arbitrary_types_allowed=True))(function)

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return validated()(*args, **kwargs)
        except ValidationError as error:
            if error.title != function.__name__:
                raise  # a model built inside the function failed: a bug, not bad input
            first = error.errors(include_url=False)[0]
            # Positional arguments are located by index: name them.
            loc = [names[part] if i == 0 and isinstance(part, int) else part for i, part in enumerate(first["loc"])]
            name = ".".join(str(part) for part in loc)
            message = first["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            from .units import shorten

            got = "" if "got " in message else f" (got {shorten(first.get('input'))})"
            raise ScaleError(f"{name}: {message[0].lower() + message[1:]}{got}") from None

    return wrapper  # type: ignore[return-value]
