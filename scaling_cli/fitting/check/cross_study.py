"""The error of the law itself, across studies: how far real scaling laws miss beyond their sweep.

No sweep can measure about itself how its law drifts beyond its largest budget: its backtests
start inside it. ``configs/extrapolation.toml`` holds what real sweeps showed
(``bench/extrapolation_corpus.py`` cuts every published sweep in ``../shared/data/`` at several
budgets, fits the runs below, predicts those above; ``bench/extrapolation_error.py`` fits this):

* per study, tau_s^2 = sum over cuts of mean(e^2 - var_param - scatter^2) / sum over cuts of
  mean(x^2): the squared error per squared decade beyond what the bootstrap and the scatter
  explain (each cut one piece of evidence, as each backtest is; clipped at 0);
* tau_0^2 = the mean of tau_s^2 over studies (each study one vote, however many runs it has).

A sweep's own backtests then update it as a precision-weighted (shrinkage) estimate:

    tau^2 = (k_0 tau_0^2 + excess) / (k_0 + weight)

where ``excess`` and ``weight`` are the backtests' sums (per backtest the mean of
e^2 - var_param - scatter^2, and of x^2), and k_0 the weight of the cross-study evidence in
backtest units, chosen leave-one-study-out. No backtests: tau = tau_0. Many: their own tau.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import cache

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat

from ...core.configs import config_dir, load_toml

EXTRAPOLATION_CONFIG = "extrapolation.toml"


class CrossStudy(BaseModel):
    """The cross-study extrapolation error: tau_0 per decade and the weight k_0 of that evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tau_per_decade: NonNegativeFloat
    prior_weight: float = Field(gt=0)
    """k_0, in backtests' worth of squared decades."""
    studies: dict[str, NonNegativeFloat] = {}
    """Each study's own tau_s (per decade)."""
    cuts: int = 0
    predictions: int = 0
    command: str = ""
    source: str = ""

    def combined(self, excess: float | None, weight: float) -> float:
        """tau per decade from this prior and a sweep's backtests (``excess``, ``weight``)."""
        own, seen = (0.0, 0.0) if excess is None else (excess, weight)
        return math.sqrt(max(0.0, (self.prior_weight * self.tau_per_decade**2 + own) / (self.prior_weight + seen)))

    def shares(self, excess: float | None, weight: float) -> tuple[float, float]:
        """(cross-study, backtests) parts of tau per decade: their squares add to tau^2 when the
        backtests show more than the bootstrap and scatter explain; else the backtests' part is
        0 and their evidence only narrows the cross-study one."""
        own_excess, seen = (0.0, 0.0) if excess is None else (excess, weight)
        total = self.prior_weight + seen
        prior = math.sqrt(max(0.0, self.prior_weight * self.tau_per_decade**2 + min(own_excess, 0.0)) / total)
        return prior, math.sqrt(max(own_excess, 0.0) / total)


@cache
def cross_study() -> CrossStudy:
    """``configs/extrapolation.toml``, read once."""
    return load_toml(CrossStudy, config_dir() / EXTRAPOLATION_CONFIG)


def study_tau(cuts: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]) -> float:
    """tau_s of one study from its cuts, each (log errors, var_param, scatter^2, decades) of the runs it predicted."""
    excess = weight = 0.0
    for errors, param_var, scatter_var, decades in cuts:
        excess += float(np.mean(errors**2 - param_var - scatter_var))
        weight += float(np.mean(decades**2))
    return math.sqrt(max(excess / weight, 0.0)) if weight > 0 else 0.0


def pooled_tau(study_taus: Mapping[str, float]) -> float:
    """tau_0: the root mean square of the studies' taus (each study one vote)."""
    return math.sqrt(float(np.mean([t**2 for t in study_taus.values()])))
