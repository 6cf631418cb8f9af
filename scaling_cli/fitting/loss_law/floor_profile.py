"""When the runs do not pin the irreducible loss E: its profile, and a bootstrap that draws it.

A fit whose E sits on its lower bound (2e-9 nats) is a pure power law: it keeps falling where
real losses level off, and it under-predicts every run beyond the sweep. Its bootstrap cannot
show this, since every resample pins E to the same bound. On the corpus of real extrapolations
(``bench/extrapolation_corpus.py``) such fits are Porian et al.'s Kaplan-style configurations
(FLOPs and parameters counted without the embeddings and last layer), which under-predicted by
7-24 % at 10-60x while their bootstrap intervals were +-3 % wide.

So the loss is profiled over E: refitted with E held at shares of the lowest observed loss
(:data:`FRACTIONS`), and each E weighed by its profile likelihood,
exp(-dNLL), with dNLL = n_eff x log(objective_E / objective_best) (the Laplace likelihood of the
Huber objective, half that for least squares). n_eff is the number of compute budgets, not of
runs: a law that misfits an IsoFLOP profile misfits every run of a budget the same way, so the
runs of one budget are one piece of evidence (as each backtest is in ``check/error_model.py``).
Each bootstrap resample then draws its E from those weights and is refitted with E held there:
the parameter part of every interval, and E's own interval, carry what the runs cannot tell.
"""

from __future__ import annotations

import numpy as np

from ..solvers.objective import BOUNDS, Objective
from ..solvers.parametric import ParametricFit
from ..solvers.solver import MAX_ITERATIONS, WARM_ITERATIONS, solve

FRACTIONS = np.round(np.arange(0.05, 0.951, 0.05), 2)
"""E, as shares of the lowest loss of the runs, that the profile refits (E = 0 is the pinned fit)."""
PINNED = 1e-6
"""e within this share of its range from the lower bound: E is on the bound."""


def pinned_floor(theta: np.ndarray) -> bool:
    low, high = BOUNDS[2]
    return bool(theta[2] - low < PINNED * (high - low))


class FloorProfile:
    """The profile of the objective over E: the E values tried and their likelihood weights."""

    def __init__(self, objective: Objective, best: ParametricFit, budgets: int) -> None:
        fractions = FRACTIONS
        self.floors = np.concatenate([[float(np.exp(best.theta[2]))], fractions * float(objective.loss.min())])
        self.thetas = [best.theta]
        values = [best.objective]
        ones = np.ones(len(objective.loss))
        for floor in self.floors[1:]:
            # Each E from the one below it: the other four parameters move a little at a time.
            start = self.thetas[-1].copy()
            start[2] = np.log(floor)
            theta, value = solve(objective, start[None], ones, MAX_ITERATIONS, fixed_e=np.array([np.log(floor)]))
            self.thetas.append(theta[0])
            values.append(float(value[0]))
        ratio = np.maximum(np.array(values) / max(best.objective, 1e-300), 1.0)
        scale = 1.0 if objective.kind == "huber" else 0.5
        self.delta_nll = budgets * scale * np.log(ratio)
        weights = np.exp(-self.delta_nll)
        self.weights = weights / weights.sum()

    @property
    def upper95(self) -> float:
        """The largest E whose profile the runs do not reject at 95 % (dNLL <= 1.92)."""
        return float(self.floors[self.delta_nll <= 1.920729410347062].max())

    def draw(self, count: int, rng: np.random.Generator) -> np.ndarray:
        """Indices into :attr:`floors` for ``count`` resamples, by likelihood weight."""
        return rng.choice(len(self.floors), size=count, p=self.weights)

    def refit(self, objective: Objective, weights: np.ndarray, drawn: np.ndarray) -> np.ndarray:
        """Each resample (row of ``weights``) refitted with E held at its drawn floor."""
        starts = np.array([self.thetas[k] for k in drawn])
        return solve(objective, starts, weights, WARM_ITERATIONS, fixed_e=np.log(self.floors[drawn]))[0]
