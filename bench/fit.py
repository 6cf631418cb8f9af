"""Speed of the parametric fit (Hoffmann et al. 2022, Approach 3) on 250 seeded synthetic runs.

Prints the wall time of one multi-start fit with the full 4,500-start grid (target: under 2 s
on a 2-core machine) and of 1,000 bootstrap refits (target: under 30 s), and how well the fit
recovers the law that generated the runs. Peer toolkits take 100 s and more for the multi-start
fit alone (facts.md: 60 s with an analytic gradient, 583 s with finite differences, 2 cores).

    python bench/fit.py
"""

from __future__ import annotations

import time

import numpy as np

from scaling_cli.fitting import Runs, fit
from scaling_cli.laws import chinchilla_optimal

TRUTH = {"E": 1.8169, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659}  # Epoch AI refit


def synthetic(n_budgets: int = 10, sizes: int = 25, noise: float = 0.005, seed: int = 0) -> Runs:
    rng = np.random.default_rng(seed)
    params, tokens = [], []
    for flops in np.geomspace(1e18, 1e21, n_budgets):
        optimum, _ = chinchilla_optimal(TRUTH["A"], TRUTH["B"], TRUTH["alpha"], TRUTH["beta"], flops)
        for n in optimum * np.geomspace(1 / 6, 6, sizes):
            params.append(n)
            tokens.append(flops / (6 * n))
    params, tokens = np.array(params), np.array(tokens)
    loss = TRUTH["E"] + TRUTH["A"] / params ** TRUTH["alpha"] + TRUTH["B"] / tokens ** TRUTH["beta"]
    return Runs.from_arrays(params, tokens, loss * np.exp(noise * rng.standard_normal(len(loss))))


def main() -> None:
    runs = synthetic()
    start = time.perf_counter()
    single = fit(runs, bootstrap=0, compare_losses=False)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    booted = fit(runs, bootstrap=1000, compare_losses=False)
    boot_seconds = time.perf_counter() - start - fit_seconds
    print(f"runs                          : {len(runs)}")
    print(f"multi-start fit ({single.n_starts:,} starts screened, {single.n_refined} refined): {fit_seconds:.2f} s  (target < 2 s)")
    print(f"1,000 bootstrap refits        : {boot_seconds:.2f} s  (target < 30 s)")
    true_a = TRUTH["beta"] / (TRUTH["alpha"] + TRUTH["beta"])
    for name in ("E", "alpha", "beta"):
        c = booted.coefficients[name]
        print(f"{name:<6}: true {TRUTH[name]:.4f}, fitted {c.value:.4f}, 95 % [{c.ci95[0]:.4f}, {c.ci95[1]:.4f}]")
    print(f"a     : true {true_a:.4f}, fitted {booted.a.value:.4f}, 95 % [{booted.a.ci95[0]:.4f}, {booted.a.ci95[1]:.4f}]")


if __name__ == "__main__":
    main()
