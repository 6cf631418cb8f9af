"""Argument checking for the library's public functions.

The core's entry points take plain numbers; :func:`checked` validates them with pydantic
(``validate_call``) and turns a failure into a one-line :class:`ScaleError` naming the
argument, the value and what was expected, for library users and the CLI alike.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any, Callable, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator, validate_call

from .errors import ScaleError

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A finite number > 0 (FLOPs, params, tokens, hours, prices)."""

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A finite number >= 0."""

Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
"""A fraction in (0, 1] (MFU)."""

Count = Annotated[int, Field(ge=1)]
"""A whole number >= 1 (GPUs)."""

Function = TypeVar("Function", bound=Callable[..., Any])


class _OneLineErrors(type(BaseModel)):
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
            raise ScaleError(f"{name}: {message[0].lower() + message[1:]} (got {first.get('input')!r})") from None

    return wrapper  # type: ignore[return-value]
