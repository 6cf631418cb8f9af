"""Calibration of ``scale fit --form lr-batch`` on seeded grids with a known law (#27).

Prints how often each exponent's 95 % interval holds the true one, and the median errors; then
how often the 95 % interval a saved law file gives (its leave-one-cell-out sd) holds the optimum
of a cell the fit did not see (the centre cell and a corner cell of each grid).

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

    held_out(max(args.repetitions // 4, 10))


def held_out(repetitions: int) -> None:
    import tomllib

    from scaling_cli.fitting.hparams.save import law_toml
    from scaling_cli.laws.hyperparams import HyperparameterLaw

    hits = {"lr": 0, "batch": 0}
    total = 0
    for seed in range(repetitions):
        grid = synthetic_lr_batch_grid(seed)
        for cell in fit_lr_batch(*grid, seed=seed).cells:
            if (cell.params, cell.tokens) not in ((4e8, 1e10), (2e8, 3e10)):
                continue
            keep = ~((grid[0] == cell.params) & (grid[1] == cell.tokens))
            law = HyperparameterLaw.model_validate(tomllib.loads(law_toml(fit_lr_batch(*(g[keep] for g in grid), seed=seed), "x")))
            lr_band, batch_band = law.intervals(6 * cell.params * cell.tokens, cell.params, cell.tokens)
            assert lr_band is not None and batch_band is not None
            hits["lr"] += lr_band[0] <= cell.lr.value <= lr_band[1]
            hits["batch"] += batch_band[0] <= cell.batch_tokens.value <= batch_band[1]
            total += 1
    print(
        f"a held-out cell's optimum inside the saved law's 95 % interval: lr {hits['lr'] / total:.1%}, batch {hits['batch'] / total:.1%} ({total} cells)"
    )


if __name__ == "__main__":
    main()
