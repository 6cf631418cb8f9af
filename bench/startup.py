"""Start-up time of the command CI scripts call in loops.

Prints the median wall time over 20 runs of `scale plan --flops 1e23 --json` and of
`python -c pass` (the interpreter's own floor), and their ratio. Target: under 0.25 s median on
a 2-core machine. Compare the two figures of one run: shared machines are noisy.

    python bench/startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, check=True, capture_output=True)  # warm the file cache once
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    scale = shutil.which("scale", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    command = [scale] if scale else [sys.executable, "-m", "scaling_cli"]
    plan = median_seconds([*command, "plan", "--flops", "1e23", "--json"], args.runs)
    floor = median_seconds([sys.executable, "-c", "pass"], args.runs)
    print(f"scale plan --flops 1e23 --json : {plan:.3f} s median of {args.runs}")
    print(f"python -c pass                 : {floor:.3f} s median of {args.runs}")
    print(f"ratio                          : {plan / floor:.1f}x")
    print(f"target < 0.25 s                : {'met' if plan < 0.25 else 'MISSED'}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("note: PYTHONDONTWRITEBYTECODE is set, so an editable install recompiles its modules on every run")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average (1 min)           : {load:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
