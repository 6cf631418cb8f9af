"""Calibration of the law-form fits (``scale fit --form``): coverage of the 95 % intervals of
every constant and of a prediction beyond the runs, and the held-out check's false alarms and
power, in seeded simulation of each fittable form. Prints one table; run as

    python bench/forms.py [--repetitions 100]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_families import CASES, REJECTIONS, _synthetic

from scaling_cli.fitting.forms.form_fit import fit_form
from scaling_cli.fitting.forms.form_runs import FormRuns
from scaling_cli.laws import form_named


def _beyond(name: str, variables: dict) -> tuple[float, ...]:
    """A point past the runs along the form's scale variable (1.5x), the others at their median."""
    form = form_named(name)
    point = []
    for variable in form.variables:
        values = np.asarray(variables[variable.name], dtype=float)
        point.append(float(values.max() * 1.5) if variable.name == form.scale else float(np.median(values)))
    return tuple(point)


def calibrate(name: str, repetitions: int, bootstrap: int) -> dict:
    truth, variables, noise = CASES[name]
    form = form_named(name)
    point = _beyond(name, variables)
    point_vars = {v.name: np.array([x]) for v, x in zip(form.variables, point)}
    signed = form.objectives == ("lsq",)
    hits = dict.fromkeys(truth, 0)
    predicted = alarms = undecided = caught = 0
    for seed in range(repetitions):
        runs = _synthetic(name, truth, variables, noise, seed)
        fitted = fit_form(runs, form, bootstrap=bootstrap, seed=seed, predict=[point])
        for key, value in truth.items():
            low, high = fitted.parameters[key].ci95
            hits[key] += low <= value <= high
        clean = float(form.predict(truth, point_vars)[0])
        draw = np.random.default_rng(10_000 + seed).normal(0, noise)
        fresh = clean + draw if signed else clean * math.exp(draw)
        low, high = fitted.predictions[0].value.ci95
        predicted += low <= fresh <= high
        outcome = fit_form(runs, form, bootstrap=bootstrap, seed=seed, holdout=3).holdout.outcome
        alarms += outcome in REJECTIONS
        undecided += outcome == "too few runs to tell"
        scale = runs.scale(form)
        shifted = np.where(scale >= np.sort(scale)[-3], 1.0, 0.0) * (0.3 if signed else 0.03)
        broken = FormRuns(runs.variables, runs.target - shifted if signed else runs.target * (1 + shifted), "broken", runs.rows)
        caught += fit_form(broken, form, bootstrap=bootstrap, seed=seed, holdout=3).holdout.outcome in REJECTIONS
    return {
        "constants": {k: v / repetitions for k, v in hits.items()},
        "prediction": predicted / repetitions,
        "alarms": alarms / repetitions,
        "undecided": undecided / repetitions,
        "power": caught / repetitions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument("--bootstrap", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.repetitions} seeded data sets per form, {args.bootstrap} bootstrap resamples; nominal coverage 95 %")
    print(f"{'form':12} {'lowest constant coverage':>26} {'prediction':>11} {'false alarms':>13} {'too few':>8} {'power':>6} {'s':>6}")
    for name in sorted(CASES):
        start = time.perf_counter()
        result = calibrate(name, args.repetitions, args.bootstrap)
        worst = min(result["constants"].items(), key=lambda item: item[1])
        print(
            f"{name:12} {worst[0] + ' ' + format(worst[1], '.0%'):>26} {result['prediction']:>11.0%} {result['alarms']:>13.0%} "
            f"{result['undecided']:>8.0%} {result['power']:>6.0%} {time.perf_counter() - start:>6.1f}"
        )
    print("false alarms: a true law called biased or not extrapolating; too few: 'too few runs to tell'; power: the")
    print("3 largest runs broken by 3 % (0.3 reward units for the signed forms) and called biased or not extrapolating")


if __name__ == "__main__":
    main()
