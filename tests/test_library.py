"""#29: every command has a library function of its name in ``scaling_cli``, documented, that runs."""

from __future__ import annotations

import numpy as np

import scaling_cli
from scaling_cli.fitting.simulate import synthetic_runs

COMMANDS = ("plan", "overtrain", "loss", "gpus", "sweep", "fit", "pattern", "compare", "curve", "shape", "memory", "mfu", "check")


def test_each_command_has_a_documented_library_function():
    for name in COMMANDS:
        function = getattr(scaling_cli, name)
        assert callable(function) and function.__doc__, name
        assert name in scaling_cli.__all__, name
    assert "scaling_cli.laws" in scaling_cli.load_presets.__module__  # `scale laws`: the law package keeps its name


def test_each_library_function_answers(tmp_path):
    from conftest import ROOT

    assert scaling_cli.plan(1e23).params > 0
    assert scaling_cli.loss(7e9, 1.4e12)["chinchilla"] > 1.5
    assert "h100-sxm" in scaling_cli.gpus()
    shapes = scaling_cli.shape(7e9, count=2)
    assert len(shapes) == 2 and abs(shapes[0].params / 7e9 - 1) < 0.02
    from scaling_cli.hardware.memory import Layout

    assert scaling_cli.memory(shapes[0].params, shapes[0], scaling_cli.get_gpu("h100-sxm"), Layout(zero=1, dp=8)).total_bytes > 0
    assert 0 < scaling_cli.mfu(3800, 6 * 8e9, 8, 989e12) < 1
    assert scaling_cli.check(ROOT / "configs" / "budget.example.toml").checks
    x = np.logspace(18, 22, 12)
    assert scaling_cli.pattern(x, 0.3 + 0.05 * np.log10(x / 1e18)).kind == "smooth"
    a, b = synthetic_runs(seed=0), synthetic_runs(seed=1)
    assert scaling_cli.compare([("a", a), ("b", b)], bootstrap=0).comparisons
