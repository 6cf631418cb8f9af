"""How much loss a learning-rate / batch-size law's suggestion costs on a real grid (#27).

On Step Law's released MoE grid (``../shared/data/steplaw_moe_lr_bs_loss.csv``: 16 cells of 40-45
(lr, batch) runs, smoothed final training loss), for each cell and each preset: the grid point
nearest the suggestion (in log lr and log batch) and how far its loss sits above the cell's best.
N is the active parameter count (``Na``; the grid gives no embedding count), D the cell's tokens.

    python bench/hparams_against.py
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np

from scaling_cli.laws.hyperparams import hyperparameter_law, hyperparameter_law_names

GRID = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "steplaw_moe_lr_bs_loss.csv"
SEQUENCE = 2048
"""The grid's batch column counts sequences of 2,048 tokens (data README, section 10)."""


def excess_losses(path: Path = GRID) -> dict[str, list[tuple[str, float]]]:
    """For each preset, (cell, loss of the grid point nearest its suggestion / the cell's best - 1)."""
    with open(path, newline="") as file:
        cells = defaultdict(list)
        for row in csv.DictReader(file):
            cells[(row["moe_name"], row["D"])].append(row)
    found: dict[str, list[tuple[str, float]]] = {name: [] for name in hyperparameter_law_names()}
    for (moe, tokens), rows in sorted(cells.items()):
        lr = np.array([float(r["lr"]) for r in rows])
        batch = np.array([float(r["bs"]) * SEQUENCE for r in rows])
        loss = np.array([float(r["smooth loss"]) for r in rows])
        params, d = float(rows[0]["Na"]), float(tokens)
        for name in found:
            suggested_lr, suggested_batch = hyperparameter_law(name).suggest(6 * params * d, params, d)
            nearest = int(np.argmin(np.log(lr / suggested_lr) ** 2 + np.log(batch / suggested_batch) ** 2))
            found[name].append((f"{moe} D={d:.0e}", float(loss[nearest] / loss.min() - 1)))
    return found


def main() -> None:
    for name, rows in excess_losses().items():
        values = [e for _, e in rows]
        print(
            f"{name:<10} nearest grid point above the cell's best: median {np.median(values):.2%}, worst {max(values):.2%} over {len(values)} cells"
        )


if __name__ == "__main__":
    main()
