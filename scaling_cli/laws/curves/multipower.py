"""The multi-power law of the loss along a run (Luo et al. 2025, arXiv:2503.12811, ICLR 2025, eq. 4).

With η_t the learning rate at step t and S1(t) = Σ_{τ≤t} η_τ (warmup included),

    L(t) = L0 + A·S1(t)^(-alpha) - LD(t)
    LD(t) = B · Σ_{k=1..t} (η_{k-1} - η_k) · G(η_k^(-gamma) · S_k(t)),   S_k(t) = Σ_{τ=k..t} η_τ
    G(x) = 1 - (C·x + 1)^(-beta)

as the authors' code evaluates it (``src/models.py``, ``MPL.forward``, of
thu-yao-01-luo/MultiPowerLaw: ``pred = L0 + A·S1^-alpha + B·LD`` with ``LD`` summing
``(η_k - η_{k-1})·(1 - (1 + C·η_k^-gamma·(lr_sum[t] - lr_sum[k-1]))^-beta)``). The first term is
the loss a constant learning rate reaches by the area S1; the second the extra drop each decrease
of the learning rate buys, growing with the area after it.

The sum over k runs over every step: ~10^4-10^5 per observed point. It is evaluated over
blocks of ``BLOCK`` aligned steps whose rate changes in one direction, each at its
change-weighted centre (midpoint rule: a drop at a single step, as in a step schedule, is exact),
shared by every observed step they end ``NEAR`` steps or more before; the last steps before each
observed step, where G changes fastest, in blocks of an eighth. ``tests/test_curve.py`` checks it
against the step-by-step sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NAMES = ("L0", "A", "alpha", "B", "C", "beta", "gamma")
FORM = {
    "name": "multi-power",
    "title": "loss along one run from its learning-rate schedule (fitted by `scale curve`)",
    "equation": "L(t) = L0 + A·S1(t)^-alpha - B·Σ_k (η_{k-1} - η_k)·(1 - (1 + C·η_k^-gamma·S_k(t))^-beta)",
    "citation": "Luo et al. 2025, 'A Multi-Power Law for Loss Curve Prediction Across Learning Rate Schedules', "
    "arXiv:2503.12811 (ICLR 2025), eq. 4; as thu-yao-01-luo/MultiPowerLaw's src/models.py sums it",
    "constants": list(NAMES),
}
"""The loss-curve form as `scale laws` lists it (a form without a preset: it is fitted per model)."""
BLOCK = 256
"""Steps of rate change evaluated as one where they lie ``NEAR`` steps or more before the
observed step (the midpoint rule's error is well under the loss's 1e-4 rounding)."""
NEAR = 256
FINE = 16
"""Nearer than that, blocks of ``BLOCK // FINE`` steps."""


@dataclass(frozen=True)
class Drops:
    """One run's schedule, reduced to what the law reads at its observed ``steps``: the rate
    changes as blocks, each with its summed change, its rate and, per observed step, the area
    from it to that step (0 where the block is not before it). Coarse blocks are shared by every
    step they lie at least ``NEAR`` before; the fine blocks are each step's own."""

    steps: np.ndarray
    """Observed steps (sorted, each >= 1)."""
    area: np.ndarray
    """S1 at each observed step."""
    change: np.ndarray
    """(blocks,) then (steps, fine) for the fine part: the summed rate change η_k - η_{k-1}."""
    rate: np.ndarray
    after: np.ndarray
    fine_change: np.ndarray
    fine_rate: np.ndarray
    fine_after: np.ndarray


def head(run: Drops, count: int) -> Drops:
    """The same run observed at its first ``count`` steps only (a backtest's cut): the rows are
    per observed step, so the first rows are what :func:`drops` would build for them."""
    return Drops(
        run.steps[:count],
        run.area[:count],
        run.change,
        run.rate,
        run.after[:count],
        run.fine_change[:count],
        run.fine_rate[:count],
        run.fine_after[:count],
    )


def _blocks(
    k: np.ndarray, g: np.ndarray, width: int, rates: np.ndarray, area: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Blocks of ``width`` aligned steps, split where the change turns: (summed change, rate at the
    change-weighted centre, area before the centre, last step of the block)."""
    if not len(k):
        empty = np.zeros(0)
        return empty, empty, empty, empty
    key = (k // width) * 2 + (g > 0)
    _, block_of = np.unique(key, return_inverse=True)
    weight = np.abs(g)
    total = np.bincount(block_of, weights=weight)
    centre = np.bincount(block_of, weights=weight * k) / np.where(total > 0, total, 1)
    last = np.zeros(len(total))
    np.maximum.at(last, block_of, k)
    grid = np.arange(len(area))
    return np.bincount(block_of, weights=g), np.interp(centre, grid, rates), np.interp(centre - 1, grid, area), last


def drops(rates: np.ndarray, steps: np.ndarray, block: int = BLOCK) -> Drops:
    """The law's inputs for a run whose rate at step t is ``rates[t]``, observed at ``steps``."""
    rates = np.asarray(rates, dtype=float)
    steps = np.asarray(steps, dtype=int)
    area = np.cumsum(rates)
    gap = np.diff(rates[: steps.max() + 1])  # gap[k - 1] = η_k - η_{k-1}
    k = np.nonzero(gap)[0] + 1
    g = gap[k - 1]
    # Coarse: aligned blocks, each counted for the steps it ends at least NEAR before.
    last_coarse = ((steps - NEAR + 1) // block) * block - 1  # the last step a step's coarse blocks reach
    coarse = k <= last_coarse.max(initial=0)
    change, rate, before, block_end = _blocks(k[coarse], g[coarse], block, rates, area)
    after = np.where(block_end[None, :] <= last_coarse[:, None], area[steps][:, None] - before[None, :], 0.0)
    # Fine: each step's own changes after its coarse blocks, in blocks of an eighth.
    fine = max(block // FINE, 1)
    parts = []
    for step, reach in zip(steps, last_coarse):
        mine = (k > reach) & (k <= step)
        c, r, b, _ = _blocks(k[mine], g[mine], fine, rates, area)
        parts.append((c, r, area[step] - b))
    width = max((len(c) for c, _, _ in parts), default=0)
    fine_change, fine_rate, fine_after = (np.zeros((len(steps), width)) for _ in range(3))
    fine_rate += 1.0
    for row, (c, r, a) in enumerate(parts):
        fine_change[row, : len(c)], fine_rate[row, : len(c)], fine_after[row, : len(c)] = c, r, a
    return Drops(steps, area[steps], change, rate, after, fine_change, fine_rate, fine_after)


def predict(theta: np.ndarray, run: Drops) -> np.ndarray:
    """The loss at the run's observed steps under the constants ``theta`` (``NAMES`` order)."""
    l0, a, alpha, b, c, beta, gamma = theta
    scaled = c * np.maximum(run.rate, 1e-300) ** (-gamma)
    gain = 1.0 - (1.0 + scaled[None, :] * run.after) ** (-beta)
    fine = 1.0 - (1.0 + c * np.maximum(run.fine_rate, 1e-300) ** (-gamma) * run.fine_after) ** (-beta)
    return np.asarray(l0 + a * run.area ** (-alpha) + b * (gain @ run.change + np.sum(fine * run.fine_change, axis=1)))


def _gradient_terms(theta: np.ndarray, rate: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, ...]:
    """gain, d gain/dC, d gain/d beta, d gain/d gamma for blocks of ``rate`` at areas ``after``."""
    _, _, _, _, c, beta, gamma = theta
    power = np.maximum(rate, 1e-300) ** (-gamma)
    reach = power * after  # η_k^-gamma · S_k(t)
    u = 1.0 + c * reach
    fall = u ** (-beta)
    d_u = beta * fall / u
    return 1.0 - fall, d_u * reach, fall * np.log(u), d_u * c * reach * -np.log(np.maximum(rate, 1e-300))


def predict_with_gradient(theta: np.ndarray, run: Drops) -> tuple[np.ndarray, np.ndarray]:
    """:func:`predict` and its derivatives by each constant, (steps, 7)."""
    l0, a, alpha, b = theta[:4]
    coarse = _gradient_terms(theta, run.rate[None, :], run.after)
    fine = _gradient_terms(theta, run.fine_rate, run.fine_after)
    summed = [part @ run.change + np.sum(f * run.fine_change, axis=1) for part, f in zip(coarse, fine)]
    decay = a * run.area ** (-alpha)
    gradient = np.column_stack(
        [np.ones_like(run.area), run.area ** (-alpha), -decay * np.log(run.area), summed[0], b * summed[1], b * summed[2], b * summed[3]]
    )
    return l0 + decay + b * summed[0], gradient


def predict_exact(theta: np.ndarray, rates: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The same, step by step as the authors' code sums it (slow: for checks)."""
    l0, a, alpha, b, c, beta, gamma = theta
    rates = np.asarray(rates, dtype=float)
    area = np.cumsum(rates)
    gap = np.zeros(len(rates))
    gap[1:] = np.diff(rates)
    out = []
    for s in np.asarray(steps, dtype=int):
        drop = np.sum(gap[1 : s + 1] * (1 - (1 + c * np.maximum(rates[1 : s + 1], 1e-300) ** (-gamma) * (area[s] - area[:s])) ** (-beta)))
        out.append(l0 + a * area[s] ** (-alpha) + b * drop)
    return np.array(out)
