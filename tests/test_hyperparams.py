"""Learning-rate / batch-size laws as a family, and the run section's choice of one (#27, items 1-2)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from conftest import ROOT, shared_data

from scaling_cli.laws.hyperparams import hyperparameter_law, hyperparameter_law_names


def test_the_presets_are_the_published_laws():
    step = hyperparameter_law("step-law")
    # Li et al. 2025 as step-law/steplaw states it (facts.md A5b): eta = 1.79 N^-0.713 D^0.307, B = 0.58 D^0.571 tokens.
    assert step.learning_rate.coefficient == 1.79 and step.learning_rate.exponents == {"params": -0.713, "tokens": 0.307}
    assert step.batch_size_tokens.coefficient == 0.58 and step.batch_size_tokens.exponents == {"tokens": 0.571}
    assert step.non_embedding
    deepseek = hyperparameter_law("deepseek")
    # DeepSeek LLM 2024, eq. 1 at 1e24 FLOPs: eta = 3.118e-4, B = 2.069e7 tokens (facts.md A11).
    lr, batch = deepseek.suggest(1e24, 1.0, 1.0)
    assert lr == pytest.approx(3.118e-4, rel=1e-3) and batch == pytest.approx(2.069e7, rel=1e-3)
    assert hyperparameter_law_names() == ["deepseek", "step-law"]
    assert hyperparameter_law().name == "step-law"  # the default, from the evidence in hyperparams.py


def test_step_law_at_a_point_of_its_own_range():
    lr, batch = hyperparameter_law("step-law").suggest(0.0, 5e8, 2e10)
    assert lr == pytest.approx(1.79 * 5e8**-0.713 * 2e10**0.307)
    assert batch == pytest.approx(0.58 * 2e10**0.571)
    assert not hyperparameter_law("step-law").range_warnings(0.0, 5e8, 2e10)
    assert "beyond" in hyperparameter_law("step-law").range_warnings(0.0, 7e9, 2e10)[0]


def test_the_run_section_uses_the_chosen_law_and_names_the_other(cli, tmp_path):
    default = cli.json("plan", "--flops", "1e22", "--gpus", "64")
    assert default["run"]["hyperparameter_law"] == "step-law"
    deepseek = cli.json("plan", "--flops", "1e22", "--gpus", "64", "--hparams-law", "deepseek")
    assert deepseek["run"]["hyperparameter_law"] == "deepseek"
    assert deepseek["learning_rate"] == pytest.approx(0.3118 * 1e22**-0.125, rel=1e-6)
    # They differ by more than 2x in batch here: each names the other's suggestion.
    assert any("deepseek suggests" in n for n in default["run"]["notes"])
    assert any("step-law suggests" in n for n in deepseek["run"]["notes"])
    own = tmp_path / "ours.toml"
    own.write_text(
        'name = "ours"\ncitation = "our sweep"\nnote = "n"\n[learning_rate]\ncoefficient = 0.01\nexponents = { flops = 0.0 }\n'
        "[batch_size_tokens]\ncoefficient = 1e6\nexponents = { flops = 0.0 }\n"
    )
    ours = cli.json("plan", "--flops", "1e22", "--gpus", "64", "--hparams-law", str(own))
    assert ours["learning_rate"] == pytest.approx(0.01) and ours["batch_size_tokens"] == pytest.approx(1e6)
    assert "--hparams-law" in cli.error("plan", "--flops", "1e22", "--gpus", "64", "--hparams-law", "nope")


def test_laws_lists_the_hyperparameter_laws(cli):
    assert {law["name"] for law in cli.json("laws")["hyperparameter_laws"]} == {"deepseek", "step-law"}
    shown = cli("laws", "step-law")
    assert shown.exit_code == 0 and "1.79" in shown.stdout and "non-embedding" in shown.stdout


def test_on_the_released_moe_grid_step_law_costs_less_than_deepseek():
    """bench/hparams_against.py on Step Law's 16 MoE cells: the grid point nearest Step Law's
    suggestion sits 0.97 % (median) above the cell's best smoothed loss, DeepSeek's 1.25 %."""
    path = shared_data("steplaw_moe_lr_bs_loss.csv")
    spec = importlib.util.spec_from_file_location("hparams_against", ROOT / "bench" / "hparams_against.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.excess_losses(path)
    median = {name: float(np.median([e for _, e in rows])) for name, rows in found.items()}
    assert median["step-law"] == pytest.approx(0.0097, abs=0.0005) and median["deepseek"] == pytest.approx(0.0125, abs=0.0005)
    assert median["step-law"] < median["deepseek"]


def test_check_suggests_hyperparameters_under_the_chosen_law(cli, tmp_path):
    """#27: `scale check` carries the run's learning rate and batch, under step-law by default,
    the file's `hparams_law`, or `--hparams-law` (which wins)."""
    from conftest import ROOT

    example = (ROOT / "configs" / "budget.example.toml").read_text()
    path = tmp_path / "b.toml"
    path.write_text(example)
    values = lambda *extra: cli.json("check", str(path), *extra)["files"][0]["values"]  # noqa: E731
    default, deepseek = values(), values("--hparams-law", "deepseek")
    assert default["learning_rate"] > 0 and default["learning_rate"] != deepseek["learning_rate"]
    path.write_text('hparams_law = "deepseek"\n' + example)
    assert values()["learning_rate"] == deepseek["learning_rate"]
    assert values("--hparams-law", "step-law")["learning_rate"] == default["learning_rate"]
