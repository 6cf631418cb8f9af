"""Calibration of ``scale curve``'s intervals (#32).

1. Seeded curves of a known multi-power law (the repository's 400M constants, 0.1 % log noise):
   three finished runs beside a cosine run to 60k steps cut at 10 %, 30 % and 50 % of its points;
   how often the cut run's final loss is inside its 80 % and 95 % intervals, and the median error.
2. The shared curves (../shared/data/mpl_luo2025_curves.csv, section 11): for each model, each of
   its 72k-step runs cut at 10 %, 30 % and 50 % with the 24k-step runs whole beside it (the runs that
   share its opening left out): the same figures on real curves.
3. The OLMo ladder's checkpoints (section 8, ``lr_at_step``, Paloma C4 loss): per size, every run cut
   at 10 %, 30 % and 50 % of its steps with the size's other runs whole beside it.

    python bench/curves.py [--repetitions 40]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_curve import _synthetic  # noqa: E402

from scaling_cli.fitting.curves.curve_fit import fit_curves  # noqa: E402
from scaling_cli.fitting.curves.curve_runs import CurveRun, read_curves  # noqa: E402

CURVES = ROOT.parent / "shared" / "data" / "mpl_luo2025_curves.csv"
OLMO = ROOT.parent / "shared" / "data" / "olmo_ladder_checkpoints.csv"


def summary(label: str, outcomes: list[tuple[float, float, tuple, tuple]]) -> None:
    inside80 = sum(lo <= truth <= hi for truth, _, (lo, hi), _ in outcomes)
    inside95 = sum(lo <= truth <= hi for truth, _, _, (lo, hi) in outcomes)
    errors = [abs(value / truth - 1) for truth, value, _, _ in outcomes]
    print(
        f"{label:<34} {len(outcomes):>3} cuts: 80 % holds {inside80 / len(outcomes):.0%}, 95 % holds {inside95 / len(outcomes):.0%}, "
        f"median error {np.median(errors):.3%}, median 95 % half-width {np.median([(hi - lo) / 2 / t for t, _, _, (lo, hi) in outcomes]):.3%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=20)
    args = parser.parse_args()
    for cut in (0.1, 0.3, 0.5):
        outcomes = []
        for seed in range(args.repetitions):
            runs, truth = _synthetic(seed, cut)
            p = fit_curves(runs).predictions[0]
            if p.loss.pi95 is not None and p.loss.pi80 is not None:
                outcomes.append((truth, p.loss.value, p.loss.pi80, p.loss.pi95))
        summary(f"seeded, cut at {cut:.0%}", outcomes)
    if not CURVES.is_file():
        print(f"{CURVES} absent: the real curves are skipped")
        return
    for cut in (0.1, 0.3, 0.5):
        outcomes = []
        for model in ("25M", "100M", "400M"):
            runs, _ = read_curves(str(CURVES), where=[f"model={model}"])
            for target in ("cosine_72000", "constant_72000"):
                whole = [r for r in runs if r.name.endswith(("cosine_24000", "constant_24000")) and not r.name.endswith(target)]
                run = next(r for r in runs if r.name.endswith(target))
                keep = max(2, int(len(run.steps) * cut))
                cut_run = CurveRun(run.name, run.rates, run.steps[:keep], run.loss[:keep])
                p = fit_curves([*whole, cut_run]).predictions[0]
                if p.loss.pi95 is not None and p.loss.pi80 is not None:
                    outcomes.append((float(run.loss[-1]), p.loss.value, p.loss.pi80, p.loss.pi95))
        summary(f"Luo et al. 72k runs, cut at {cut:.0%}", outcomes)
    olmo()


def olmo() -> None:
    """The OLMo ladder's checkpoints: per size, every run cut at 10 %, 30 % and 50 % of its
    schedule (its learning rate kept to the end, its losses dropped after the cut), the size's
    other runs whole beside it, and its final loss predicted."""
    if not OLMO.is_file():
        print(f"{OLMO} absent: the OLMo ladder is skipped")
        return
    columns = {"run": "run", "step": "step", "lr": "lr_at_step", "loss": "loss_c4_en"}
    for cut in (0.1, 0.3, 0.5):
        outcomes, unwarned = [], []
        for size in ("190M", "370M", "760M", "1.3B", "3.2B"):
            runs, _ = read_curves(str(OLMO), columns, where=[f"size={size}", "is_rerun=0"])
            for i, run in enumerate(runs):
                keep = int(np.sum(run.steps <= cut * run.end))
                if keep < 2:
                    continue
                cut_run = CurveRun(run.name, run.rates, run.steps[:keep], run.loss[:keep])
                fit = fit_curves([*runs[:i], *runs[i + 1 :], cut_run])
                p = fit.predictions[0]
                if p.loss.pi95 is not None and p.loss.pi80 is not None:
                    outcomes.append((float(run.loss[-1]), p.loss.value, p.loss.pi80, p.loss.pi95))
                    if not any("anneal that early" in w for w in fit.warnings):
                        unwarned.append(outcomes[-1])
        summary(f"OLMo ladder, cut at {cut:.0%} of its steps", outcomes)
        summary("  those without the early-annealing warning", unwarned)


if __name__ == "__main__":
    main()
