"""The two ways a question can fail: the user can fix it, or a budget limit was exceeded."""


class ScaleError(Exception):
    """A problem the user can act on: bad input, a bad file, a question without an answer.

    The CLI prints the message as one line on stderr and exits with `exit_code` (2).
    """

    exit_code = 2


class BudgetExceeded(ScaleError):
    """A planned run breaks a limit the user set (``--max-gpu-hours``, a budget file): exit 1."""

    exit_code = 1
