"""Calibration of ``scale compare`` on seeded synthetic pairs whose true multiplier is known.

Three truths against the Epoch AI refit (A): B = A with both inputs scaled by sqrt(2) (a
constant 2x multiplier), B with exponents 15 % larger (a multiplier growing 0.15 per decade in
log10), and B with smaller prefactors but a floor E 0.06 higher (a gain that fades). Prints, per
truth, how often the 95 % interval at the reference compute covers the true multiplier, and how
often the verdict names the trend (grows / holds / fades). Run as

    python bench/compare.py [--repetitions 40] [--bootstrap 300]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from scaling_cli.fitting.compare.compare import compare, multipliers
from scaling_cli.fitting.simulate import EPOCH, synthetic_runs

ROOT2 = np.sqrt(2.0)
TRUTHS = {
    "constant 2x": ({**EPOCH, "A": EPOCH["A"] * ROOT2 ** -EPOCH["alpha"], "B": EPOCH["B"] * ROOT2 ** -EPOCH["beta"]}, "holds"),
    "growing": (
        {**EPOCH, "alpha": EPOCH["alpha"] * 1.15, "beta": EPOCH["beta"] * 1.15, "A": EPOCH["A"] * 3.0, "B": EPOCH["B"] * 3.0},
        "grows",
    ),
    "fading": ({**EPOCH, "E": EPOCH["E"] + 0.06, "A": EPOCH["A"] * 0.6, "B": EPOCH["B"] * 0.6}, "fades"),
}


def theta(truth: dict) -> np.ndarray:
    return np.array([[np.log(truth["A"]), np.log(truth["B"]), np.log(truth["E"]), truth["alpha"], truth["beta"]]])


def trend_word(verdict: str) -> str:
    for word in ("grows", "holds", "fades"):
        if word in verdict:
            return word
    return "none"


def calibrate(truth: dict, repetitions: int, bootstrap: int) -> tuple[float, float, dict[str, float]]:
    covered = covered80 = 0
    words = {}
    for seed in range(repetitions):
        a, b = synthetic_runs(seed=2 * seed), synthetic_runs(truth=truth, seed=2 * seed + 1)
        comparison = compare([("A", a), ("B", b)], bootstrap=bootstrap, seed=seed).comparisons[0]
        true = float(multipliers(theta(EPOCH), theta(truth), [comparison.reference.flops])[0, 0])
        low, high = comparison.reference.ci95
        covered += low <= true <= high
        covered80 += comparison.reference.ci80[0] <= true <= comparison.reference.ci80[1]
        word = trend_word(comparison.verdict)
        words[word] = words.get(word, 0) + 1
    return covered / repetitions, covered80 / repetitions, {k: v / repetitions for k, v in words.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=40)
    parser.add_argument("--bootstrap", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.repetitions} seeded pairs per truth (48 runs each, 1e18-3e20 FLOPs, 0.5 % noise), {args.bootstrap} resamples")
    print(f"{'truth':12} {'coverage of the true multiplier: 95 %':>38} {'80 %':>6} {'verdict names the trend':>25} {'s':>6}")
    for name, (truth, expected) in TRUTHS.items():
        start = time.perf_counter()
        coverage, coverage80, words = calibrate(truth, args.repetitions, args.bootstrap)
        print(
            f"{name:12} {coverage:>38.0%} {coverage80:>6.0%} {words.get(expected, 0.0):>18.0%} ({expected}) {time.perf_counter() - start:>5.1f}"
        )


if __name__ == "__main__":
    main()
