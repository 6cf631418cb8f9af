"""Every preset's allocation has a plannable range, and a plan beyond it says so loudly (#26, item 7)."""

from __future__ import annotations

import pytest

from scaling_cli.fitting import fit, save_law
from scaling_cli.fitting.simulate import synthetic_runs
from scaling_cli.laws import load_law
from scaling_cli.laws.law import DRIFT, Law, Plannable, plannable_range
from scaling_cli.planning.planner import plan

PRESETS = (
    "chinchilla",
    "deepseek",
    "flame-moe",
    "hoffmann-approach1",
    "hoffmann-approach2",
    "hoffmann-approach3",
    "kaplan",
    "llama3",
    "muennighoff",
)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_carries_the_policys_range(name):
    """The [plannable] written in each preset's TOML is the policy's own output for that law."""
    law = load_law(name)
    assert law.plannable is not None and law.plannable.tokens_per_param is not None
    rule = plannable_range(Law(**{**law.model_dump(), "plannable": None}))
    assert rule is not None and rule.tokens_per_param is not None
    assert law.plannable.tokens_per_param == pytest.approx(rule.tokens_per_param, rel=1e-3)
    low, high = rule.tokens_per_param
    assert high / low == pytest.approx(DRIFT**2)


def test_flame_moe_at_1e23_is_not_plannable_and_says_so_first():
    result = plan(1e23, law="flame-moe")
    assert result.plannable is False
    assert result.warnings[0].startswith("NOT PLANNABLE") and "0.656 tokens per parameter" in result.warnings[0]
    assert plan(1e20, law="flame-moe").plannable  # within its fitted edge's band


@pytest.mark.parametrize(
    ("name", "flops", "plannable"), [("chinchilla", 3.8e25, True), ("llama3", 3.8e25, True), ("kaplan", 3.8e25, False)]
)
def test_the_policy_at_a_frontier_budget(name, flops, plannable):
    """Chinchilla's and Llama 3's allocations barely move with compute; Kaplan's proposes 0.06
    tokens per parameter at 3.8e25 FLOPs: not one to plan on."""
    assert plan(flops, law=name).plannable is plannable


def test_a_fitted_law_gets_the_policy_and_a_file_may_state_its_own(tmp_path):
    result = fit(synthetic_runs(seed=2), bootstrap=0, compare_losses=False)
    path = tmp_path / "mine.toml"
    law = save_law(result, path)
    found = plannable_range(law)
    assert found is not None and found.tokens_per_param is not None
    stated = Law(**{**law.model_dump(), "plannable": Plannable(flops=(1e18, 1e20), source="our own")})
    assert plannable_range(stated).flops == (1e18, 1e20)
    loud = plan(1e22, law=stated)
    assert not loud.plannable and "outside the 1e+18-1e+20" in loud.warnings[0]


def test_the_json_carries_plannable(cli):
    assert cli.json("plan", "--flops", "1e23")["plannable"] is True
    assert cli.json("plan", "--flops", "1e23", "--law", "flame-moe")["plannable"] is False
