"""Fitting scaling laws to a team's own runs: ``scale fit``, ``compare``, ``pattern``.

Split by the question answered: ``loss_law/`` (the L(N, D) fit and its report; not ``fit/``,
whose name ``fit``, the function, takes here), ``check/`` (backtests, the error model, held-out
verdicts), ``forms/`` (any law form), ``tasks/`` (benchmark scores from loss), ``compare/``,
``pattern/``; under them ``solvers/`` (the batched solvers) and ``runs/`` (the file readers), and
three shared modules, :mod:`bootstrap`, :mod:`threads` and :mod:`progress`. :mod:`simulate` makes the seeded sweeps
the calibration checks need.

May import: ``core`` and ``laws``. Nothing of ``hardware``, ``planning``, ``plots`` or ``cli``.

    >>> from scaling_cli.fitting import read_runs, fit
    >>> result = fit(read_runs("runs.csv"), method="parametric", bootstrap=1000)  # doctest: +SKIP
"""

from .loss_law.core import METHODS, fit
from .loss_law.result import FitResult
from .loss_law.save import law_from_fit, save_law
from .runs.runs import Runs, parse_columns, read_runs

__all__ = ["METHODS", "FitResult", "Runs", "fit", "law_from_fit", "parse_columns", "read_runs", "save_law"]
