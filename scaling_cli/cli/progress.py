"""Progress of long work (fits, bootstraps, backtests) as a Rich bar on stderr.

Shown only when stderr is a terminal and neither ``--json`` nor ``--quiet`` is given: piped
output and CI logs stay clean. The library reports through a plain callback
``progress(stage, done, total)``; this module is the only place that knows about Rich.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def progress_reporter(enabled: bool = True):
    """Yield a ``progress(stage, done, total)`` callback, or None when no bar is to be shown."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, TaskID] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with bar:
        yield report
