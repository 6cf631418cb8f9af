"""#28: every public function of the library, each argument replaced in turn by hostile values.

Drawn from ``scaling_cli.__all__`` (a function added there without a baseline call here fails
the first test). Whatever comes in, a call either answers with finite numbers or raises one
one-line ``ScaleError``: never another exception, never a NaN or an infinity returned. The suite
tries every argument of the cheap functions with every hostile value, and a seeded sample of 15
of the slow ones' (fits, plans); ``SCALE_FUZZ_ALL=1`` tries them all.
"""

from __future__ import annotations

import inspect
import math
import os
import random

import numpy as np
from conftest import ROOT, write_small_curves_csv

import scaling_cli
from scaling_cli.fitting.curves.curve_runs import read_curves
from scaling_cli.fitting.simulate import synthetic_runs
from scaling_cli.hardware.memory import Layout

HOSTILE = [-1, 0, -0.0, math.nan, math.inf, -math.inf, True, "junk", None, 1e308, 10**400, [], "", object()]
SLOW = {"fit", "compare", "curve", "check", "track", "pattern", "plan", "sweep", "overtrain"}
SAMPLE = 15


def _baselines(tmp_path) -> dict[str, dict]:
    runs = synthetic_runs(seed=0)
    shape = scaling_cli.Shape(layers=2, d_model=128, heads=2, d_ff=256, vocab=100)
    curves = write_small_curves_csv(tmp_path / "curves.csv")
    curve_runs, _ = read_curves(str(curves))
    runs_csv = tmp_path / "runs.csv"
    runs_csv.write_text(
        "params,tokens,loss\n" + "\n".join(f"{n},{d},{value}" for n, d, value in zip(runs.params, runs.tokens, runs.loss)) + "\n"
    )
    x = np.logspace(18, 22, 12)
    return {
        "check": dict(budget=ROOT / "configs" / "budget.example.toml"),
        "compare": dict(sets=[("a", runs), ("b", synthetic_runs(seed=1))], bootstrap=0, at=1e22),
        "curve": dict(path=str(curves), schedules=None, backtest=False),
        "fit": dict(runs=runs, bootstrap=0, compare_losses=False, holdout=2, at=1e22, predict=[(1e9, 2e10)], predict_flops=[1e22]),
        "format_count": dict(value=7e9, digits=3),
        "get_gpu": dict(name="h100-sxm"),
        "gpu_hours": dict(flops=1e23, peak_flops=989e12, mfu=0.4),
        "gpus": dict(),
        "load_gpus": dict(),
        "load_law": dict(name_or_path="chinchilla"),
        "load_presets": dict(),
        "loss": dict(params=7e9, tokens=1.4e12),
        "loss_table": dict(params=7e9, tokens=1.4e12),
        "memory": dict(params=1e6, shape=shape, gpu=scaling_cli.get_gpu("h100-sxm"), layout=Layout()),
        "mfu": dict(tokens_per_second=3800, flops_per_token=6 * 8e9, gpus=8, peak_flops=989e12),
        "overtrain": dict(params=7e9, tokens_per_param=[20, 100], target_loss=None, gpus=8, price_per_gpu_hour=2.0),
        "parse_number": dict(text="7B"),
        "pattern": dict(x=x, y=0.3 + 0.05 * np.log10(x / 1e18), chance=0.25, slow=0.01),
        "plan": dict(flops=1e23, gpus=64, price_per_gpu_hour=2.0, inference_tokens=1e12, unique_tokens=1e13),
        "preset_names": dict(),
        "read_runs": dict(path=str(runs_csv), columns=None, exclude=None),
        "shape": dict(target_params=7e9, vocab=32000, count=2),
        "suggest_shapes": dict(target_params=7e9, vocab=32000, count=2),
        "sweep": dict(min_flops=1e18, max_flops=1e20, budgets=3, sizes=3, span=4.0),
        "track": dict(runs=curve_runs, name="c", latest=None),
        "training_flops": dict(params=7e9, tokens=1.4e12),
    }


def _functions() -> list[str]:
    return [name for name in scaling_cli.__all__ if not inspect.isclass(getattr(scaling_cli, name))]


def _finite(value, path: str = "result") -> str | None:
    """Where a NaN or an infinity hides in ``value`` (a model, a mapping, a list, a number), if anywhere."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return None if np.all(np.isfinite(value)) else path
    if isinstance(value, dict):
        return next((found for k, v in value.items() if (found := _finite(v, f"{path}.{k}"))), None)
    if isinstance(value, (list, tuple)):
        return next((found for i, v in enumerate(value) if (found := _finite(v, f"{path}[{i}]"))), None)
    return None


def test_every_public_function_has_a_baseline(tmp_path):
    baselines = _baselines(tmp_path)
    assert set(_functions()) == set(baselines)
    for name, kwargs in baselines.items():
        assert _finite(getattr(scaling_cli, name)(**kwargs)) is None, name  # the baselines answer


def test_hostile_arguments_are_one_line_scale_errors(tmp_path):
    baselines = _baselines(tmp_path)
    rng = random.Random(28)
    cases = []
    for name, kwargs in baselines.items():
        pairs = [(argument, value) for argument in kwargs for value in HOSTILE]
        if name in SLOW and not os.environ.get("SCALE_FUZZ_ALL"):
            pairs = rng.sample(pairs, min(SAMPLE, len(pairs)))
        cases += [(name, kwargs, argument, value) for argument, value in pairs]
    failures = []
    for name, kwargs, argument, value in cases:
        call = f"{name}({argument}={value!r:.40})"
        try:
            result = getattr(scaling_cli, name)(**{**kwargs, argument: value})
        except scaling_cli.ScaleError as error:
            if "\n" in str(error) or not str(error):
                failures.append(f"{call}: a ScaleError of {len(str(error).splitlines())} lines")
        except Exception as error:  # what the test looks for
            failures.append(f"{call}: {type(error).__name__}: {str(error)[:120]}")
        else:
            where = _finite(result)
            if where:
                failures.append(f"{call}: returned a non-finite number at {where}")
    assert not failures, f"{len(failures)} of {len(cases)} calls:\n" + "\n".join(failures)
