"""Bootstrap resampling: runs drawn with replacement, as counts (weights) per run.

A resample is a vector of counts that sums to the number of runs; fitting with those counts
as weights is fitting the resampled data set, without copying it. Intervals are percentile
intervals of the refitted quantities: 80 % (10th to 90th) and 95 % (2.5th to 97.5th).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

LEVELS = {"ci80": 80.0, "ci95": 95.0}


class Estimate(BaseModel):
    """A fitted quantity with its bootstrap intervals (None without a bootstrap)."""

    value: float | None
    ci80: tuple[float, float] | None = None
    ci95: tuple[float, float] | None = None


def resample_weights(n_runs: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` resamples of ``n_runs`` runs, each row the counts of every run."""
    return rng.multinomial(n_runs, np.full(n_runs, 1.0 / n_runs), size=count).astype(float)


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


def estimate(value: float | None, samples: np.ndarray | None) -> Estimate:
    """``value`` with the 80 % and 95 % intervals of ``samples`` (none when there are none)."""
    if samples is None or value is None:
        return Estimate(value=value)
    return Estimate(value=value, **{key: interval(samples, level) for key, level in LEVELS.items()})
