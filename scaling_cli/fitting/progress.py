"""How a long fit says how far it is: a plain callback ``progress(stage, done, total)``.

The library only calls it; the CLI draws it (``cli/progress.py``), and a library user may pass any
function or nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: ``done`` of ``total`` units of ``stage`` (starts, fits, resamples)."""


def report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    """Tell ``progress``, if there is one."""
    if progress is not None:
        progress(stage, done, total)
