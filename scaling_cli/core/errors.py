"""The two ways a question can fail: the user can fix it, or a budget limit was exceeded."""

from typing import Any


class ScaleError(Exception):
    """A problem the user can act on: bad input, a bad file, a question without an answer.

    The CLI prints the message as one line on stderr and exits with `exit_code` (2).
    """

    exit_code = 2


class NumberError(ScaleError, ValueError):
    """A text that is not a number as the tool reads them (:func:`~scaling_cli.core.units.parse_number`):
    a ``ScaleError`` for the library's callers, a ``ValueError`` for parsers that expect one."""


class BudgetExceeded(ScaleError):
    """A planned run breaks a limit the user set (``--max-gpu-hours``, a budget file): exit 1."""

    exit_code = 1


def positive(name: str, value: object, bounds: tuple[float, float] | None = None, unit: str = "", zero: bool = False) -> float:
    """``value`` as a float if it is a finite number > 0 (``zero``: >= 0; within ``bounds``), else one ``ScaleError``
    line naming ``name``: the check at a library function's boundary (a boolean is not a number)."""
    import math
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScaleError(f"{name}: expected a number > 0, got {value!r}"[:200])
    try:
        number = float(value)
    except OverflowError:
        raise ScaleError(f"{name}: expected a finite number, got an integer too large for one") from None
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        raise ScaleError(f"{name}: expected a finite number {'>= 0' if zero else '> 0'}, got {number!r}")
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise ScaleError(
            f"{name}: {number:.3g}{' ' + unit if unit else ''} is outside the {bounds[0]:.0e} to {bounds[1]:.0e} the planner covers"
        )
    return number


def whole(name: str, value: object, low: int = 1, high: int = 1_000_000_000) -> int:
    """``value`` as an int if it is a whole number from ``low`` to ``high``, else one ``ScaleError``
    line naming ``name`` (a boolean is not a count; 8.0 is 8)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScaleError(f"{name}: expected a whole number from {low:,} to {high:,}, got {value!r}"[:200])
    try:
        count: int = int(value)  # type: ignore[call-overload]
    except (OverflowError, ValueError):
        raise ScaleError(f"{name}: expected a whole number from {low:,} to {high:,}, got {value!r}"[:200]) from None
    if count != value or not low <= count <= high:
        raise ScaleError(f"{name}: expected a whole number from {low:,} to {high:,}, got {value!r}"[:200])
    return count


def items(name: str, value: object, kind: type | tuple[type, ...], what: str) -> list[Any]:
    """``value`` as a list if it is a list or tuple of ``kind`` (``what`` in the message), else one ``ScaleError``."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, kind) and not isinstance(item, bool) for item in value):
        raise ScaleError(f"{name}: expected a list of {what}, got {value!r}"[:200])
    return list(value)
