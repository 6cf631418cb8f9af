"""The two ways a question can fail: the user can fix it, or a budget limit was exceeded."""


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
    number = float(value)
    if not math.isfinite(number) or number < 0 or (number == 0 and not zero):
        raise ScaleError(f"{name}: expected a finite number {'>= 0' if zero else '> 0'}, got {number!r}")
    if bounds is not None and not bounds[0] <= number <= bounds[1]:
        raise ScaleError(
            f"{name}: {number:.3g}{' ' + unit if unit else ''} is outside the {bounds[0]:.0e} to {bounds[1]:.0e} the planner covers"
        )
    return number
