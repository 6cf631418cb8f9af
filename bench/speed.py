"""The speed targets of the tool, each measured against a reference in the same run.

Prints one row per target (machines here are shared and noisy: read the ratios):

* start-up: `scale plan --flops 1e23 --json` against the floor of the architecture, a minimal
  Typer CLI with one pydantic model (``MINIMAL_CLI``; target: within 1.15x of it, issue 30), and
  against `python -c pass` (the retired 8x target of issue 13);
* `scale fit` on the 240 Chinchilla runs, whole process, on an idle machine (target <= 0.8 s),
  with `--bootstrap 0` and with the default 1,000 resamples plus the scaling check;
* the same with four busy processes on the machine's cores, over idle (target <= 3.5x): the
  bench starts and stops its own load;
* 4,000 bootstrap refits of the 240-run fit in the library (target <= 6 s);
* a large runs file (``--large``, default 20,000 seeded runs: 40 budgets x 500 sizes, a ladder's
  every checkpoint), whole process: with ``--bootstrap 0`` against the 240-run fit (target <= 4x)
  and its peak memory (target < 300 MB), and with the default 1,000 resamples (target < 400 MB);
* a peer for scale: Epoch AI's procedure (scipy L-BFGS-B from each of the 4,500 grid starts,
  analytic gradient) on the same runs, timed on ``--peer-starts`` of them and scaled up;
* with ``--suite``, the whole test suite under the same load (target <= 3 min).

Without ../shared/data/ the runs are 240 seeded synthetic ones from the same law.

    python bench/speed.py [--runs 10] [--peer-starts 300] [--large 20000] [--suite]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHINCHILLA = ROOT.parent / "shared" / "data" / "chinchilla_epoch_svg.csv"
COLUMNS = "params=Model Size,flops=Training FLOP"
BUSY = 4


def measured(command: list[str], env=None) -> tuple[float, float]:
    """(seconds, peak resident memory in MB) of one run of ``command``, from its own rusage."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024  # ru_maxrss: KB on Linux


def large_runs_file(count: int) -> str:
    """``count`` seeded synthetic runs over 40 budgets (a ladder's every checkpoint), as CSV."""
    from scaling_cli.fitting.simulate import synthetic_runs

    runs = synthetic_runs(budgets=np.geomspace(1e17, 1e21, 40), sizes=max(count // 40, 1), seed=0)
    path = Path(tempfile.mkdtemp()) / "large.csv"
    path.write_text(
        "params,tokens,loss\n"
        + "".join(f"{n!r},{d!r},{loss!r}\n" for n, d, loss in zip(runs.params.tolist(), runs.tokens.tolist(), runs.loss.tolist()))
    )
    return str(path)


def seconds(command: list[str], runs: int, env=None) -> float:
    subprocess.run(command, check=True, capture_output=True, env=env)  # warm the file cache once
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def busy(count: int = BUSY):
    """``count`` processes spinning on the CPU for as long as the block runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for process in spinners:
            process.kill()
            process.wait()


def runs_file() -> tuple[list[str], str]:
    if CHINCHILLA.is_file():
        return [str(CHINCHILLA), "--columns", COLUMNS, "--exclude", "1-5"], "240 Chinchilla runs (Epoch AI extraction)"
    from scaling_cli.fitting.simulate import synthetic_runs

    runs = synthetic_runs(budgets=np.geomspace(1e18, 1e21, 10), sizes=24, seed=0)
    path = Path(tempfile.mkdtemp()) / "runs.csv"
    path.write_text(
        "params,tokens,loss\n"
        + "".join(f"{n!r},{d!r},{loss!r}\n" for n, d, loss in zip(runs.params.tolist(), runs.tokens.tolist(), runs.loss.tolist()))
    )
    return [str(path)], f"{len(runs)} seeded synthetic runs (../shared/data absent)"


def library_runs():
    from scaling_cli.fitting import parse_columns, read_runs

    if CHINCHILLA.is_file():
        return read_runs(CHINCHILLA, parse_columns(COLUMNS)).exclude([1, 2, 3, 4, 5])
    from scaling_cli.fitting.simulate import synthetic_runs

    return synthetic_runs(budgets=np.geomspace(1e18, 1e21, 10), sizes=24, seed=0)


MINIMAL_CLI = """
import typer
from pydantic import BaseModel, ConfigDict, PositiveFloat

class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flops: PositiveFloat
    params: float
    tokens: float

app = typer.Typer()

@app.command()
def plan(flops: float = typer.Option(..., "--flops"), json: bool = typer.Option(False, "--json")):
    params = (flops / 120) ** 0.5
    print(Plan(flops=flops, params=params, tokens=20 * params).model_dump_json())

@app.command()
def loss(params: float = typer.Option(..., "--params")):
    print(params)

app()
"""
"""The floor of the architecture: a Typer CLI with one pydantic result model and none of our
code (the start-up target is read against it)."""


def bootstrap_seconds(count: int = 4000) -> float:
    from threadpoolctl import threadpool_limits

    from scaling_cli.fitting.bootstrap import resample_weights
    from scaling_cli.fitting.loss_law.parametric_fit import bootstrap_thetas
    from scaling_cli.fitting.solvers.parametric import Objective, fit_parametric

    runs = library_runs()
    objective = Objective(np.log(runs.params), np.log(runs.tokens), runs.loss)
    with threadpool_limits(limits=1, user_api="blas"):
        best = fit_parametric(objective)
        weights = resample_weights(len(runs), count, np.random.default_rng(0))
        start = time.perf_counter()
        bootstrap_thetas(objective, best, weights)
    return time.perf_counter() - start


def peer_seconds(starts: int) -> tuple[float, float]:
    """Epoch AI's notebook procedure in plain scipy: L-BFGS-B from grid starts (analytic gradient)."""
    from scipy.optimize import minimize

    from scaling_cli.fitting.solvers.parametric import Objective, grid_starts

    runs = library_runs()
    objective = Objective(np.log(runs.params), np.log(runs.tokens), runs.loss)
    grid = grid_starts()
    chosen = grid[np.random.default_rng(0).choice(len(grid), size=starts, replace=False)]
    weights = np.ones(len(runs))
    start = time.perf_counter()
    best = min(minimize(objective.value_and_grad, x, args=(weights,), jac=True, method="L-BFGS-B").fun for x in chosen)
    elapsed = time.perf_counter() - start
    return elapsed * len(grid) / starts, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="repetitions of each timed command")
    parser.add_argument("--peer-starts", type=int, default=300)
    parser.add_argument("--large", type=int, default=20_000, help="runs in the large file (0: skip)")
    parser.add_argument("--suite", action="store_true", help="also time the whole test suite under load")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # cached bytecode, as installed
    scale = [sys.executable, "-m", "scaling_cli"]
    runs, described = runs_file()
    print(f"machine: {os.cpu_count()} cores; runs: {described}")

    bare = seconds([sys.executable, "-c", "pass"], args.runs, env)
    plan = seconds([*scale, "plan", "--flops", "1e23", "--json"], args.runs, env)
    minimal = Path(tempfile.mkdtemp()) / "minimal_cli.py"
    minimal.write_text(MINIMAL_CLI)
    floor = seconds([sys.executable, str(minimal), "plan", "--flops", "1e23", "--json"], args.runs, env)
    imports = seconds([sys.executable, "-c", "import typer, pydantic; from pydantic import BaseModel"], args.runs, env)
    print(f"start-up, plan --json / the Typer floor   : {plan:.3f} s / {floor:.3f} s = {plan / floor:.2f}x   (target <= 1.15x)")
    print(
        f"start-up, plan --json / bare python       : {plan:.3f} s / {bare:.3f} s = {plan / bare:.1f}x   (the floor alone: {floor / bare:.1f}x; importing the two {imports / bare:.1f}x)"
    )

    quick = [*scale, "fit", *runs, "--bootstrap", "0", "--json"]
    full = [*scale, "fit", *runs, "--json"]
    idle_quick = seconds(quick, args.runs, env)
    idle_full = seconds(full, max(args.runs // 3, 2), env)
    print(f"fit, whole process, idle, --bootstrap 0   : {idle_quick:.2f} s   (target <= 0.8 s)")
    print(f"fit, whole process, idle, 1,000 resamples : {idle_full:.2f} s   (with the scaling check's backtests)")
    with busy():
        busy_quick = seconds(quick, max(args.runs // 2, 2), env)
    print(
        f"fit, {BUSY} busy processes / idle          : {busy_quick:.2f} s / {idle_quick:.2f} s = {busy_quick / idle_quick:.1f}x   (target <= 3.5x)"
    )

    if args.large:
        large = large_runs_file(args.large)
        reference = min(measured(quick, env)[0] for _ in range(3))
        quick_large = min((measured([*scale, "fit", large, "--bootstrap", "0", "--json"], env) for _ in range(2)), key=lambda m: m[0])
        print(
            f"fit, {args.large:,} runs, --bootstrap 0    : {quick_large[0]:.1f} s = {quick_large[0] / reference:.1f}x the 240-run fit "
            f"(target <= 4x); peak {quick_large[1]:.0f} MB (target < 300 MB)"
        )
        full_large = measured([*scale, "fit", large, "--json"], env)
        print(f"fit, {args.large:,} runs, 1,000 resamples  : {full_large[0]:.1f} s; peak {full_large[1]:.0f} MB (target < 400 MB)")

    refits = bootstrap_seconds()
    print(f"4,000 bootstrap refits (library)          : {refits:.2f} s   (target <= 6 s)")
    peer, value = peer_seconds(args.peer_starts)
    print(f"peer: scipy L-BFGS-B from 4,500 starts    : {peer:.0f} s (timed on {args.peer_starts} starts; best objective {value:.10f})")

    if args.suite:
        with busy():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT, capture_output=True, env=env)
            suite = time.perf_counter() - start
        print(f"test suite, {BUSY} busy processes            : {suite / 60:.1f} min   (target <= 3 min)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average (1 min) at the end           : {load:.2f}")


if __name__ == "__main__":
    main()
