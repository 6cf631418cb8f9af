"""Seeded synthetic sweeps from a known law: the ground truth that calibration checks need.

An IsoFLOP grid: at each budget, ``sizes`` models log-spaced from optimum/span to optimum*span,
their losses from L = E + A/N^alpha + B/D^beta with multiplicative log-normal noise. A planted
``deviation`` (a fraction, e.g. +0.015) multiplies the losses of every run at or above
``deviation_from`` FLOPs: a law that breaks at scale.

    >>> runs = synthetic_runs(seed=1)
    >>> len(runs)
    48
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from ..laws.base import Values
from .check.cross_study import CrossStudy
from .runs.runs import Runs

Result = TypeVar("Result")

EPOCH = {"E": 1.8169, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659}
"""The default truth: the Epoch AI refit of Chinchilla (Besiroglu et al. 2024, Table 1)."""


def synthetic_runs(
    truth: Mapping[str, float] = EPOCH,
    budgets: Sequence[float] = (1e18, 3e18, 1e19, 3e19, 1e20, 3e20),
    sizes: int = 8,
    span: float = 6.0,
    noise: float = 0.005,
    seed: int = 0,
    deviation: float = 0.0,
    deviation_from: float | None = None,
    top_sizes: int | None = None,
) -> Runs:
    """``top_sizes`` (if given) is the number of runs at the largest budget: a team's few big runs."""
    from ..laws import chinchilla_optimal

    rng = np.random.default_rng(seed)
    sizes_at: list[float] = []
    tokens_at: list[float] = []
    for number, flops in enumerate(budgets):
        optimum, _ = chinchilla_optimal(truth["A"], truth["B"], truth["alpha"], truth["beta"], flops)
        count = top_sizes if top_sizes is not None and number == len(budgets) - 1 else sizes
        for n in optimum * np.geomspace(1 / span, span, count) ** (1.0 if count > 1 else 0.0):
            sizes_at.append(n)
            tokens_at.append(flops / (6 * n))
    params, tokens = np.array(sizes_at), np.array(tokens_at)
    loss = truth["E"] + truth["A"] / params ** truth["alpha"] + truth["B"] / tokens ** truth["beta"]
    loss = loss * np.exp(noise * rng.standard_normal(len(loss)))
    if deviation and deviation_from is not None:
        loss = np.where(6 * params * tokens >= deviation_from * (1 - 1e-9), loss * (1 + deviation), loss)
    return Runs.from_arrays(params, tokens, loss, source="synthetic")


def true_loss(params: Values, tokens: Values, truth: Mapping[str, float] = EPOCH) -> Values:
    return truth["E"] + truth["A"] / np.asarray(params) ** truth["alpha"] + truth["B"] / np.asarray(tokens) ** truth["beta"]


def idle_cores(cores: int | None = None, load: float | None = None) -> int:
    """The cores other work leaves free (at least 1): ``cores`` less the 1-minute load average.

    The load average counts the calling process too once it has run a while (a test suite, a
    bench), and its own core is not taken by other work, so one unit of load is its own."""
    import os

    cores = cores if cores is not None else (os.cpu_count() or 1)
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, round(cores - max(load - 1.0, 0.0)))


def repeat(task: Callable[..., Result], arguments: list[dict[str, Any]], workers: int | None = None) -> list[Result]:
    """``task(**a)`` for each of ``arguments``, in order, on up to ``workers`` processes (default:
    ``idle_cores()``: on a busy machine more processes only fight for the same cores).

    Each repetition is seeded on its own, so the results do not depend on how they are spread;
    workers are spawned (a fresh interpreter each), never forked from a process whose BLAS
    threads run, so ``task`` must be a module-level function (``check_calibration``,
    ``interval_coverage`` and the test suite's other calibration trials)."""
    workers = min(idle_cores() if workers is None else workers, len(arguments))
    if workers <= 1:
        return [task(**a) for a in arguments]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_call, [(task, a) for a in arguments]))


def _call(job: tuple[Callable[..., Result], dict[str, Any]]) -> Result:
    task, arguments = job
    return task(**arguments)


def _held_out_trial(
    truth: Mapping[str, float],
    budgets: Sequence[float],
    sizes: int,
    noise: float,
    seed: int,
    deviation: float,
    holdout: int,
    bootstrap: int,
) -> tuple[str | None, tuple[float | None, float | None], bool]:
    from .loss_law.core import fit

    runs = synthetic_runs(
        truth=truth,
        budgets=budgets,
        sizes=sizes,
        noise=noise,
        seed=seed,
        deviation=deviation,
        deviation_from=budgets[-1],
        top_sizes=holdout,
    )
    result = fit(runs, bootstrap=bootstrap, holdout=holdout, seed=seed, compare_losses=False)
    checked = result.holdout
    assert checked is not None  # holdout >= 1 runs were held out
    return checked.outcome, (checked.bias_p_value, checked.joint_p_value), bool(result.check and result.check.drift)


def check_calibration(
    repetitions: int = 40,
    holdout: int = 5,
    deviation: float = 0.0,
    bootstrap: int = 200,
    budgets: Sequence[float] = (1e18, 3e18, 1e19, 3e19, 1e20, 3e20),
    sizes: int = 8,
    noise: float = 0.005,
    seed: int = 0,
    truth: Mapping[str, float] = EPOCH,
    workers: int | None = None,
) -> dict[str, Any]:
    """How often the held-out check passes on sweeps simulated from ``truth``, with the largest
    budget's ``holdout`` runs held out (and, with ``deviation``, off the law by that fraction).

    Returns the pass rate, the drift-warning rate, and each repetition's verdict: the false-alarm
    rate of the check when ``deviation`` is 0, its power otherwise. Repetitions run on ``workers``
    processes (default: one per idle core)."""
    trials = repeat(
        _held_out_trial,
        [
            dict(
                truth=truth,
                budgets=budgets,
                sizes=sizes,
                noise=noise,
                seed=seed + r,
                deviation=deviation,
                holdout=holdout,
                bootstrap=bootstrap,
            )
            for r in range(repetitions)
        ],
        workers,
    )
    outcomes = [outcome for outcome, _, _ in trials]
    passed = sum(o in ("extrapolates", "interpolates") for o in outcomes)
    return {
        "pass_rate": passed / repetitions,
        "drift_rate": sum(d for _, _, d in trials) / repetitions,
        "outcomes": outcomes,
        "p_values": [p for _, p, _ in trials],
    }


def _coverage_trial(
    truth: Mapping[str, float],
    budgets: Sequence[float],
    sizes: int,
    noise: float,
    seed: int,
    targets: Sequence[float],
    bootstrap: int,
    cross_study: CrossStudy | None = None,
) -> list[tuple[bool, float]]:
    from .loss_law.core import fit

    rng = np.random.default_rng([seed, 99])
    runs = synthetic_runs(truth=truth, budgets=budgets, sizes=sizes, noise=noise, seed=seed)
    targets_flops = [budgets[-1] * t for t in targets]
    result = fit(runs, bootstrap=bootstrap, seed=seed, compare_losses=False, predict_flops=targets_flops, cross_study=cross_study)
    found = []
    for prediction in result.predictions:
        observed = true_loss(prediction.params, prediction.tokens, truth) * np.exp(noise * rng.standard_normal())
        assert prediction.loss.ci95 is not None  # a bootstrap gives every prediction its interval
        low, high = prediction.loss.ci95
        found.append((bool(low <= observed <= high), float(np.log(high / low))))
    return found


def interval_coverage(
    repetitions: int = 40,
    bootstrap: int = 200,
    budgets: Sequence[float] = (1e18, 3e18, 1e19, 3e19, 1e20),
    targets: Sequence[float] = (2.0, 10.0, 30.0),
    sizes: int = 6,
    noise: float = 0.005,
    seed: int = 0,
    truth: Mapping[str, float] = EPOCH,
    workers: int | None = None,
    cross_study: CrossStudy | None = None,
) -> dict[str, Any]:
    """Coverage and width of the 95 % prediction intervals of ``fit --predict-flops`` at
    ``targets`` times the largest fitted compute, on sweeps simulated from ``truth``: each
    repetition draws one new run at the compute-optimal point of every target, with the same noise.
    ``cross_study``: the cross-study error the fits use (default: the shipped one)."""
    trials = repeat(
        _coverage_trial,
        [
            dict(
                truth=truth,
                budgets=budgets,
                sizes=sizes,
                noise=noise,
                seed=seed + r,
                targets=targets,
                bootstrap=bootstrap,
                cross_study=cross_study,
            )
            for r in range(repetitions)
        ],
        workers,
    )
    return {
        "coverage": {t: sum(trial[i][0] for trial in trials) / repetitions for i, t in enumerate(targets)},
        "median_log_width": {t: float(np.median([trial[i][1] for trial in trials])) for i, t in enumerate(targets)},
    }


LR_BATCH_TRUTH = {"lr": (0.05, -0.3, 0.1), "batch": (2.0, 0.5)}
"""lr* = 0.05 N^-0.3 D^0.1, batch* = 2 D^0.5 tokens: the seeded grids' known law."""


def synthetic_lr_batch_grid(seed: int, noise: float = 0.002) -> tuple[np.ndarray, ...]:
    """A learning-rate x batch grid: 3 x 3 (N, D) cells, 9 x 5 runs each, log loss a bowl in
    (log lr, log batch) around :data:`LR_BATCH_TRUTH`'s optimum, with ``noise`` (relative)."""
    rng = np.random.default_rng(seed)
    rows = []
    (a, alpha, beta), (b, gamma) = LR_BATCH_TRUTH["lr"], LR_BATCH_TRUTH["batch"]
    for n in (2e8, 4e8, 8e8):
        for d in (4e9, 1e10, 3e10):
            best_lr, best_batch = a * n**alpha * d**beta, b * d**gamma
            base = 2.0 + 400 * n**-0.3 + 300 * d**-0.3
            for lr in best_lr * 2.0 ** np.arange(-2.0, 2.01, 0.5):
                for batch in best_batch * 2.0 ** np.arange(-2.0, 2.01, 1.0):
                    bowl = 0.02 * np.log(lr / best_lr) ** 2 + 0.01 * np.log(batch / best_batch) ** 2
                    rows.append((n, d, lr, batch, base * np.exp(bowl + noise * rng.standard_normal())))
    return tuple(np.array(rows).T)
