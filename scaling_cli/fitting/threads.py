"""One BLAS thread inside every fit, and the caller's setting back after it.

The fits' matrices are tiny (5 x 5 systems, vectors of a few hundred runs): a BLAS thread pool
only spins against other work on a busy machine (issue 13: a 240-run fit took 11x as long with
four busy processes on two cores, against 3x single-threaded). threadpoolctl limits the pool for
the call and restores it, so nothing outside the fit changes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


def one_blas_thread(function: Callable[Arguments, Result]) -> Callable[Arguments, Result]:
    """``function`` run with BLAS limited to one thread (threadpoolctl imported when first called)."""

    @functools.wraps(function)
    def limited(*args: Arguments.args, **kwargs: Arguments.kwargs) -> Result:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return limited
