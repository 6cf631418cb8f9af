"""Calibration of the scaling check, by seeded simulation (more repetitions than the test suite).

Prints, for sweeps drawn from the Epoch AI refit of Chinchilla with 0.5 % run noise (budgets
1e18-1e20, 8 sizes each, and a top budget 3x beyond holding the K held-out runs):

* the held-out check's pass rate under an exact law (1 - false alarms), for K = 3, 5, 8;
* its power against a +-1.5 % deviation at the top budget;
* the drift warning's false-alarm rate;
* coverage and median width of the 95 % prediction intervals at 2x, 10x and 30x the largest
  fitted compute.

    python bench/scaling_check.py [--repetitions 100] [--bootstrap 200]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from scaling_cli.fitting.simulate import check_calibration, interval_coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=100)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"{args.repetitions} repetitions, {args.bootstrap} bootstrap resamples each")
    print(f"{'K':>3} {'deviation':>10} {'pass rate':>10} {'drift warned':>13}  outcomes")
    for holdout in (3, 5, 8):
        for deviation in (0.0, 0.015, -0.015):
            result = check_calibration(repetitions=args.repetitions, holdout=holdout, deviation=deviation, bootstrap=args.bootstrap)
            outcomes = ", ".join(f"{k} {v}" for k, v in Counter(result["outcomes"]).most_common())
            print(f"{holdout:>3} {deviation:>+10.1%} {result['pass_rate']:>10.1%} {result['drift_rate']:>13.1%}  {outcomes}", flush=True)
    coverage = interval_coverage(repetitions=args.repetitions, bootstrap=args.bootstrap)
    for target, rate in coverage["coverage"].items():
        width = coverage["median_log_width"][target]
        print(f"95 % prediction interval at {target:>4g}x the fitted compute: coverage {rate:.1%}, median width {width:.2%} (log)")
    print(f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
