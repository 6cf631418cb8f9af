"""Bootstrap resampling: runs drawn with replacement, as counts (weights) per run.

A resample is a vector of counts; fitting with those counts as weights is fitting the resampled
data set, without copying it. Intervals are percentile intervals of the refitted quantities:
80 % (10th to 90th) and 95 % (2.5th to 97.5th).

What is drawn (``--resample``):

* ``runs``: each run on its own (iid). Right when every run is an independent training run
  with its own noise, as in a grid of separately trained models.
* ``size``: whole model sizes at once. Runs of one size often share a training curve (several
  token counts read off one run, or one seed and schedule per size): their errors move together,
  and an iid bootstrap over them is too optimistic.
* ``budget``: whole compute budgets at once, for IsoFLOP grids whose budgets were trained as
  batches (one data order, one set of hyperparameters per budget).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from pydantic import BaseModel

from ..core.errors import ScaleError

MAX_RESAMPLES = 100_000
"""The most resamples any command draws (``--bootstrap``)."""
MAX_RESAMPLED_RUNS = 50_000_000
"""The most resamples x runs any command draws, the one limit every resampling command checks
(:func:`check_bootstrap`): 1,000 resamples of 50,000 runs, or 100,000 of 500. Resamples are drawn
and refitted a batch at a time, so memory stays bounded; time does not: 1,000 resamples of 20,000
runs take about a minute on a 2-core machine (``bench/speed.py``), so the limit is minutes of work."""


MIN_RESAMPLES = 10
"""The fewest resamples an interval is drawn from (#28: one resample printed "[+nan%, +nan%]")."""


def check_bootstrap(count: object, runs: int, option: str = "--bootstrap") -> int:
    """``count`` resamples of ``runs`` runs, if within the limits; else a one-line ``ScaleError``."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or not 0 <= count <= MAX_RESAMPLES:
        raise ScaleError(f"{option}: expected a whole number from 0 to {MAX_RESAMPLES:,}, got {count!r}")
    if 0 < count < MIN_RESAMPLES:
        raise ScaleError(
            f"{option} {count}: expected 0 (no intervals) or at least {MIN_RESAMPLES} resamples: fewer give no interval "
            "a percentile can read (one gives none at all)"
        )
    if count * runs > MAX_RESAMPLED_RUNS:
        raise ScaleError(
            f"{option} {count:,} on {runs:,} runs is {count * runs:.2g} resampled runs, over the {MAX_RESAMPLED_RUNS:.0e} a "
            f"command takes: pass {option} {MAX_RESAMPLED_RUNS // runs:,} or fewer"
        )
    return int(count)


LEVELS = {"ci80": 80.0, "ci95": 95.0}


class Estimate(BaseModel):
    """A fitted quantity with its bootstrap confidence intervals (None without a bootstrap)."""

    value: float | None
    ci80: tuple[float, float] | None = None
    ci95: tuple[float, float] | None = None


class PredictedValue(BaseModel):
    """One run's predicted value with its 80 % and 95 % prediction intervals: the fit's
    uncertainty plus a run's scatter (and, for a loss law, its extrapolation error). JSON names
    them ``pi80``/``pi95`` (schema 2); ``ci80``/``ci95`` read them too, for code that takes
    either kind of estimate."""

    value: float | None
    pi80: tuple[float, float] | None = None
    pi95: tuple[float, float] | None = None

    @property
    def ci80(self) -> tuple[float, float] | None:
        return self.pi80

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.pi95


def predicted(value: float | None, samples: np.ndarray | None) -> PredictedValue:
    """``value`` with the 80 % and 95 % prediction intervals of predictive ``samples``."""
    found = estimate(value, samples)
    return PredictedValue(value=found.value, pi80=found.ci80, pi95=found.ci95)


def resample_weights(n_runs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` resamples of ``n_runs`` runs, each row the counts of every run."""
    return rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=count).astype(float)


RESAMPLE = ("runs", "size", "budget")


def group_weights(groups: list[np.ndarray], n_runs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` resamples drawing whole groups (index arrays) with replacement; each run gets
    its group's count. With one run per group this is the ordinary bootstrap over runs."""
    return next(group_weight_chunks(groups, n_runs, count, rng, max(count, 1)), np.zeros((0, n_runs)))


def group_weight_chunks(groups: list[np.ndarray], n_runs: int, count: int, rng: np.random.Generator, chunk: int) -> Iterator[np.ndarray]:
    """:func:`group_weights` in blocks of at most ``chunk`` resamples, drawn as they are needed:
    memory holds one block, not ``count`` x ``n_runs``. The blocks are the same draws as one call
    (the generator draws a multinomial row by row)."""
    for start in range(0, count, chunk):
        size = min(chunk, count - start)
        draws = rng.multinomial(len(groups), np.full(len(groups), 1.0 / len(groups)), size=size).astype(float)
        weights = np.zeros((size, n_runs))
        for column, index in enumerate(groups):
            weights[:, index] = draws[:, [column]]
        yield weights


Grouping = Callable[[np.ndarray], list[np.ndarray]]
"""From run indices to the groups a bootstrap draws among them (index arrays)."""


def grouping(resample: str, params: np.ndarray, budgets: list[np.ndarray]) -> Grouping:
    """A function from run indices to the groups ``resample`` draws among them."""
    if resample == "runs":
        return lambda index: [np.array([i]) for i in np.asarray(index)]
    if resample == "size":

        def by_size(index: np.ndarray) -> list[np.ndarray]:
            index = np.asarray(index)
            return [index[params[index] == value] for value in np.unique(params[index])]

        return by_size
    budget_of = np.empty(len(params), dtype=int)
    for number, members in enumerate(budgets):
        budget_of[members] = number
    return lambda index: [np.asarray(index)[budget_of[index] == b] for b in np.unique(budget_of[index])]


def stratified_weights(buckets: list[np.ndarray], n_runs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """Resamples drawn within each bucket, so that every compute budget keeps its size."""
    weights = np.zeros((count, n_runs))
    for index in buckets:
        weights[:, index] = rng.multinomial(len(index), np.full(len(index), 1.0 / len(index)), size=count)
    return weights


def interval(samples: np.ndarray, level: float) -> tuple[float, float] | None:
    """The central ``level`` % percentile interval of the finite samples."""
    finite = np.asarray(samples, dtype=float)
    finite = finite[np.isfinite(finite)]
    if len(finite) < 2:
        return None
    tail = (100.0 - level) / 2
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def estimates(values: list[float], samples: np.ndarray | None) -> list[Estimate]:
    """:func:`estimate` of each column of ``samples`` (rows are replicates) with its value: one
    percentile call for them all when every sample is finite (else column by column)."""
    if samples is None:
        return [Estimate(value=value) for value in values]
    samples = np.asarray(samples, dtype=float)
    if len(samples) < 2 or not np.all(np.isfinite(samples)):
        return [estimate(value, samples[:, column]) for column, value in enumerate(values)]
    low95, low80, high80, high95 = np.percentile(samples, [2.5, 10.0, 90.0, 97.5], axis=0).tolist()
    return [Estimate(value=value, ci80=(low80[j], high80[j]), ci95=(low95[j], high95[j])) for j, value in enumerate(values)]


def estimate(value: float | None, samples: np.ndarray | None) -> Estimate:
    """``value`` with the 80 % and 95 % intervals of ``samples`` (none when there are none)."""
    if samples is None or value is None:
        return Estimate(value=value)
    finite = np.asarray(samples, dtype=float)
    finite = finite[np.isfinite(finite)]
    if len(finite) < 2:
        return Estimate(value=value)
    low95, low80, high80, high95 = np.percentile(finite, [2.5, 10.0, 90.0, 97.5]).tolist()
    return Estimate(value=value, ci80=(low80, high80), ci95=(low95, high95))
