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


def test_bad_library_calls_are_one_line_scale_errors():
    """#28: the issue's list of library calls that returned nonsense or raised something else."""
    import pytest

    from scaling_cli.hardware.memory import Layout

    law = scaling_cli.load_law("chinchilla")
    shape = scaling_cli.Shape(layers=2, d_model=128, heads=2, d_ff=256, vocab=100)
    calls = {
        "optimal(-1)": lambda: law.optimal(-1),
        "optimal(nan)": lambda: law.optimal(float("nan")),
        "optimal(True)": lambda: law.optimal(True),
        "predict_loss(-7e8, 1e9)": lambda: law.predict_loss(-7e8, 1e9),
        "parse_number('x')": lambda: scaling_cli.parse_number("x"),
        "gpu_hours(-1, ...)": lambda: scaling_cli.gpu_hours(-1, 1e15, 0.4),
        "training_flops(True, ...)": lambda: scaling_cli.training_flops(True, 1e9),
        "suggest_shapes(1e30)": lambda: scaling_cli.suggest_shapes(1e30),
        "Layout(flash_attention='false')": lambda: Layout(flash_attention="false"),
        "plan(time_budget='yes')": lambda: scaling_cli.plan(1e23, time_budget="yes"),
        "fit(holdout=1.5)": lambda: scaling_cli.fit(synthetic_runs(seed=0), holdout=1.5),
        "memory(-1, ...)": lambda: scaling_cli.memory(-1, shape, scaling_cli.get_gpu("h100-sxm"), Layout()),
        "memory(..., gpu='h100')": lambda: scaling_cli.memory(1e6, shape, "h100", Layout()),
        "mfu(-1, ...)": lambda: scaling_cli.mfu(-1, 1e9, 8, 1e15),
        "check(5)": lambda: scaling_cli.check(5),
    }
    for name, call in calls.items():
        with pytest.raises(scaling_cli.ScaleError) as caught:
            call()
        assert "\n" not in str(caught.value), name
    # The CLI's forms of columns and row ranges are accepted by read_runs too.
    from conftest import shared_data

    runs = scaling_cli.read_runs(shared_data("chinchilla_epoch_svg.csv"), columns="params=Model Size,flops=Training FLOP", exclude="1-5")
    assert len(runs) == 240
