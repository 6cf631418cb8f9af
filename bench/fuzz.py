"""A longer hostile-input campaign than the suite's: random argv over every command's flags.

Runs tests/test_fuzz.py with SCALE_FUZZ_EXAMPLES argv (default 5,000; the suite runs 300) and
prints pytest's summary: any exit 3, traceback, multi-line or overlong stderr on exit 2, or
invalid JSON fails it, with the argv that did.

    python bench/fuzz.py [--examples 5000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    args = parser.parse_args()
    env = {**os.environ, "SCALE_FUZZ_EXAMPLES": str(args.examples)}
    raise SystemExit(
        subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fuzz.py::test_random_argv_never_break"],
            cwd=ROOT,
            env=env,
        )
    )


if __name__ == "__main__":
    main()
