"""A fit whose allocation the runs do not pin down says so, and a plan from it carries it (#26, item 5)."""

from __future__ import annotations

from scaling_cli.fitting import fit, save_law
from scaling_cli.fitting.simulate import synthetic_runs
from scaling_cli.planning.planner import plan


def test_a_small_fit_warns_where_its_allocation_spans_more_than_10x(tmp_path):
    runs = synthetic_runs(seed=1, budgets=(1e18, 1e19, 1e20), sizes=3)  # 9 runs
    result = fit(runs, bootstrap=200, compare_losses=False)
    wide = [w for w in result.warnings if w.startswith("the allocation is not pinned down")]
    assert len(wide) == 1  # once, naming every budget where it spans > 10x
    spans = [a.tokens_per_param.ci95[1] / a.tokens_per_param.ci95[0] for a in result.allocation if a.tokens_per_param.ci95]
    assert max(spans) > 10
    path = tmp_path / "small.toml"
    save_law(result, path)
    planned = plan(1e23, law=str(path))
    assert any("not pinned down" in w for w in planned.warnings)


def test_a_well_sampled_fit_does_not_warn():
    runs = synthetic_runs(seed=1, budgets=(1e18, 3e18, 1e19, 3e19, 1e20), sizes=8)
    result = fit(runs, bootstrap=200, compare_losses=False)
    spans = [a.tokens_per_param.ci95[1] / a.tokens_per_param.ci95[0] for a in [result.reference, *result.allocation]]
    assert max(spans) <= 10
    assert not any("not pinned down" in w for w in result.warnings)
