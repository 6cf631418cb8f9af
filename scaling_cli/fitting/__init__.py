"""Fitting scaling laws to a team's own runs (``scale fit``) and designing the sweep (``scale sweep``).

    >>> from scaling_cli.fitting import read_runs, fit
    >>> result = fit(read_runs("runs.csv"), method="parametric", bootstrap=1000)  # doctest: +SKIP
"""

from .fit.core import METHODS, fit
from .fit.result import FitResult
from .runs.runs import Runs, parse_columns, read_runs
from .fit.save import law_from_fit, save_law

__all__ = ["METHODS", "FitResult", "Runs", "fit", "law_from_fit", "parse_columns", "read_runs", "save_law"]
