"""Shared fixtures: the CLI runner, the published data beside the project, test law files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.testing
from typer.main import get_command
from typer.testing import CliRunner

from scaling_cli.cli.app import app

# Typer's test runner rebuilds the click command of every registered command on each invoke
# (~25 ms, most of a quick command's run); the suite invokes the CLI a few thousand times, so
# it builds the app's command once. The command is stateless between runs, as in a real process.
_APP_COMMAND = get_command(app)
typer.testing._get_command = lambda typer_app: _APP_COMMAND if typer_app is app else get_command(typer_app)

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

    def json(self, *args: str, input: str | None = None, expect_exit: int = 0) -> dict:
        result = self(*args, "--json", input=input)
        assert result.exit_code == expect_exit, result.stderr
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


from scaling_cli.fitting.simulate import EPOCH, synthetic_runs  # noqa: E402,F401  (the tests' ground truth)


def write_runs_csv(path, runs, columns=("params", "tokens", "loss")):
    rows = ["{},{},{}".format(*columns)]
    rows += [f"{n!r},{d!r},{loss!r}" for n, d, loss in zip(runs.params.tolist(), runs.tokens.tolist(), runs.loss.tolist())]
    path.write_text("\n".join(rows) + "\n")
    return path


def write_small_curves_csv(path):
    """Three short loss curves (run, step, lr, loss): a and b finished, c with its last half to go."""
    lines = ["run,step,lr,loss"]
    for name, total in (("a", 3000), ("b", 3000), ("c", 6000)):
        for step in range(300, total + 1, 300):
            lr = 3e-4 * min(step / 300, 1.0) * (1 - 0.9 * step / total)
            loss = "" if name == "c" and step > 3000 else f"{3 + 2 * (step / 100) ** -0.4 - 0.05 * step / total:.5f}"
            lines.append(f"{name},{step},{lr:.6g},{loss}")
    path.write_text("\n".join(lines) + "\n")
    return path


def load_script(relative: str):
    """A script of the repository (``scripts/...``, ``bench/...``) imported as a module."""
    import importlib.util

    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
