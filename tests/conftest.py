"""Shared fixtures: the CLI runner, the published data beside the project, test law files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scaling_cli.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared_data(name: str) -> Path:
    """A file of ``../shared/data`` (real published runs), or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the published scaling runs live beside the project, not in it")
    return path


class Cli:
    """Runs ``scale`` in-process through Typer's test runner."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None):
        return self.runner.invoke(app, [str(arg) for arg in args], input=input)

    def json(self, *args: str, input: str | None = None) -> dict:
        result = self(*args, "--json", input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    def error(self, *args: str, code: int = 2) -> str:
        """Run a command that must fail with ``code`` and exactly one line on stderr; return it."""
        result = self(*args)
        assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert lines[0].startswith("scale: error: ")
        return lines[0]


@pytest.fixture
def cli() -> Cli:
    return Cli()


EPOCH = {"E": 1.8169, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659}
"""The truth of the synthetic tests: the Epoch AI refit of Chinchilla (Besiroglu et al. 2024)."""


def synthetic_runs(truth=EPOCH, budgets=(1e18, 3e18, 1e19, 3e19, 1e20, 3e20), sizes=8, span=6.0, noise=0.005, seed=0):
    """An IsoFLOP grid from a known law: at each budget, ``sizes`` models log-spaced from
    optimum/span to optimum*span, with multiplicative log-normal noise of ``noise``."""
    import numpy as np

    from scaling_cli.fitting import Runs
    from scaling_cli.laws import chinchilla_optimal

    rng = np.random.default_rng(seed)
    params, tokens = [], []
    for flops in budgets:
        optimum, _ = chinchilla_optimal(truth["A"], truth["B"], truth["alpha"], truth["beta"], flops)
        for n in optimum * np.geomspace(1 / span, span, sizes):
            params.append(n)
            tokens.append(flops / (6 * n))
    params, tokens = np.array(params), np.array(tokens)
    loss = truth["E"] + truth["A"] / params ** truth["alpha"] + truth["B"] / tokens ** truth["beta"]
    loss = loss * np.exp(noise * rng.standard_normal(len(loss)))
    return Runs.from_arrays(params, tokens, loss, source="synthetic")


def write_runs_csv(path, runs, columns=("params", "tokens", "loss")):
    rows = ["{},{},{}".format(*columns)]
    rows += [f"{n!r},{d!r},{l!r}" for n, d, l in zip(runs.params.tolist(), runs.tokens.tolist(), runs.loss.tolist())]
    path.write_text("\n".join(rows) + "\n")
    return path
