"""Calibration of ``scale fit --form lr-batch`` on seeded grids with a known law (#27).

Prints how often each exponent's 95 % interval holds the true one, and the median errors.

    python bench/lr_batch.py [--repetitions 200]
"""

from __future__ import annotations

import argparse

import numpy as np

from scaling_cli.fitting.hparams.lr_batch import fit_lr_batch
from scaling_cli.fitting.simulate import LR_BATCH_TRUTH, synthetic_lr_batch_grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    args = parser.parse_args()
    truth = {"lr params": LR_BATCH_TRUTH["lr"][1], "lr tokens": LR_BATCH_TRUTH["lr"][2], "batch tokens": LR_BATCH_TRUTH["batch"][1]}
    inside = dict.fromkeys(truth, 0)
    errors: dict[str, list[float]] = {k: [] for k in truth}
    for seed in range(args.repetitions):
        result = fit_lr_batch(*synthetic_lr_batch_grid(seed), seed=seed)
        found = {
            "lr params": result.learning_rate.exponents["params"],
            "lr tokens": result.learning_rate.exponents["tokens"],
            "batch tokens": result.batch_size_tokens.exponents["tokens"],
        }
        for key, estimate in found.items():
            assert estimate.ci95 is not None and estimate.value is not None
            inside[key] += estimate.ci95[0] <= truth[key] <= estimate.ci95[1]
            errors[key].append(abs(estimate.value - truth[key]))
    for key in truth:
        print(
            f"{key:<13} 95 % interval holds the truth in {inside[key] / args.repetitions:.1%}; median |error| {np.median(errors[key]):.4f}"
        )


if __name__ == "__main__":
    main()
