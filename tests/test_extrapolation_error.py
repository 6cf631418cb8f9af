"""The cross-study extrapolation error (#25): fitted on a corpus of real extrapolations, shipped
in configs/extrapolation.toml, validated leave-one-study-out, combined with a sweep's backtests."""

from __future__ import annotations

import csv
import importlib.util
import math

import numpy as np
import pytest
from conftest import ROOT, shared_data

from scaling_cli.fitting import fit
from scaling_cli.fitting.check.cross_study import CrossStudy, cross_study, pooled_tau
from scaling_cli.fitting.simulate import synthetic_runs


def _bench():
    spec = importlib.util.spec_from_file_location("extrapolation_error", ROOT / "bench" / "extrapolation_error.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _loso() -> list[dict[str, str]]:
    with open(ROOT / "tests" / "data" / "extrapolation_loso.csv", newline="") as file:
        return list(csv.DictReader(file))


def test_the_shipped_error_is_what_the_recorded_corpus_gives():
    """configs/extrapolation.toml is reproduced from tests/data/extrapolation_corpus.csv by the
    estimator in cross_study.py (bench/extrapolation_error.py writes it)."""
    bench = _bench()
    corpus = bench.Corpus(bench.CORPUS)
    taus = corpus.study_taus(corpus.studies)
    shipped = cross_study()
    assert set(taus) == set(shipped.studies) == {"chinchilla", "datablations", "gadre", "llama3", "olmo", "porian"}
    for study, tau in taus.items():
        assert shipped.studies[study] == pytest.approx(tau, abs=1e-6)
    assert shipped.tau_per_decade == pytest.approx(math.sqrt(np.mean([t**2 for t in taus.values()])), abs=1e-6)
    assert shipped.predictions == len(corpus.error) and shipped.cuts == len(set(corpus.cut))


def test_leave_one_study_out_coverage_on_the_shared_corpus():
    """Each study predicted with tau_0 fitted without it, by the tool's own 95 % prediction
    intervals (``python bench/extrapolation_error.py --tool`` records them in
    tests/data/extrapolation_loso.csv). Measured: 94.4 / 96.7 / 96.8 / 96.0 % inside at <= 1.5x,
    1.5-3x, 3-10x, > 10x (the issue's 90-98 % in every bucket), every study >= 96 %. Before the
    profile over E (loss_law/floor_profile.py) Porian et al.'s Kaplan-counted configurations, whose
    fits put E at 0, fell to 88 % beyond 10x."""
    rows = _loso()
    bench = _bench()
    assert len(rows) == len(bench.Corpus(bench.CORPUS).error)
    ratio = np.array([10 ** float(r["decades"]) for r in rows])
    inside = np.array([r["inside"] == "True" for r in rows])
    study = np.array([r["study"] for r in rows])
    for low, high in bench.BUCKETS:
        m = (ratio > low) & (ratio <= high)
        assert 0.90 <= inside[m].mean() <= 0.98, (low, high, inside[m].mean())
    for name in set(study):
        assert inside[study == name].mean() >= 0.95, name


def test_the_recorded_leave_one_study_out_intervals_are_the_tools():
    """Two cuts refitted now give the recorded intervals: a Porian configuration whose fit pins E
    at 0 (its E drawn from the profile) and a Chinchilla cut."""
    shared_data("porian2024_isoflop_points.csv")
    spec = importlib.util.spec_from_file_location("extrapolation_corpus", ROOT / "bench" / "extrapolation_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bench = _bench()
    corpus = bench.Corpus(bench.CORPUS)
    rows = _loso()
    picked = {("porian-01-owt2-Counting_last_layer_FLOPs", "4e+17"), ("chinchilla", "1.26794e+20")}
    recorded = [r for r in rows if (r["sweep"], r["cut_flops"]) in picked]
    assert len({(r["sweep"], r["cut_flops"]) for r in recorded}) == 2

    def prior(study: str) -> CrossStudy:
        others = corpus.study_taus([s for s in corpus.studies if s != study])
        return CrossStudy(tau_per_decade=pooled_tau(others), prior_weight=cross_study().prior_weight)

    found = module.corpus(100, 0, cross_study=prior, quiet=True, only=lambda name, cut: (name, f"{cut:.6g}") in picked)
    assert [r["sweep"] for r in found] == [r["sweep"] for r in recorded]
    assert [r["log_error"] for r in found] == pytest.approx([float(r["log_error"]) for r in recorded], abs=1e-5)
    assert [f["inside"] for f in found] == [r["inside"] == "True" for r in recorded]
    assert [f["half_width"] for f in found] == pytest.approx([float(r["half_width"]) for r in recorded], rel=1e-4)


def test_shrinkage_between_the_prior_and_the_backtests():
    prior = CrossStudy(tau_per_decade=0.04, prior_weight=0.5)
    assert prior.combined(None, 0.0) == pytest.approx(0.04)  # no backtests: the cross-study error alone
    # Backtests showing tau = 0.01 over a weight of 50 dominate; over a weight of 0.5 they halve the gap in variance.
    assert prior.combined(0.01**2 * 50, 50) == pytest.approx(math.sqrt((0.5 * 0.04**2 + 0.01**2 * 50) / 50.5))
    assert prior.combined(0.01**2 * 50, 50) < 0.012
    assert prior.combined(0.01**2 * 0.5, 0.5) == pytest.approx(math.sqrt((0.04**2 + 0.01**2) / 2))
    cross, own = prior.shares(0.01**2 * 0.5, 0.5)
    assert cross**2 + own**2 == pytest.approx(prior.combined(0.01**2 * 0.5, 0.5) ** 2)
    cross, own = prior.shares(-1e-3, 0.5)  # backtests better than the bootstrap and scatter expect
    assert own == 0.0 and cross == pytest.approx(prior.combined(-1e-3, 0.5))


def test_a_sweep_too_small_for_backtests_says_so_and_still_widens():
    runs = synthetic_runs(seed=5, budgets=(1e18, 1e19, 1e20))
    result = fit(runs, bootstrap=100, compare_losses=False, predict_flops=[3e20, 3e21, 3e22])
    check = result.check
    assert check is not None and not result.backtests
    assert check.backtest_per_decade is None and "no backtest" in check.evidence
    assert check.extrapolation_per_decade == pytest.approx(cross_study().tau_per_decade)
    parts = [p.interval_parts for p in result.predictions]
    assert all(p is not None and p.backtests == 0.0 for p in parts)
    crossed = [p.cross_study for p in parts if p is not None]
    assert 0 < crossed[0] < crossed[1] < crossed[2]
    widths = [math.log(p.loss.ci95[1] / p.loss.ci95[0]) for p in result.predictions if p.loss.ci95]
    assert widths[0] < widths[1] < widths[2]


def test_backtests_update_the_prior_and_name_both_parts():
    runs = synthetic_runs(seed=5, budgets=(1e18, 3e18, 1e19, 3e19, 1e20))
    result = fit(runs, bootstrap=100, compare_losses=False, predict_flops=[1e22])
    check = result.check
    assert check is not None and result.backtests and check.backtest_per_decade is not None
    assert check.cross_study_per_decade == cross_study().tau_per_decade
    assert check.cross_study_weight == cross_study().prior_weight
    part = result.predictions[0].interval_parts
    assert part is not None
    assert part.extrapolation == pytest.approx(math.hypot(part.cross_study, part.backtests))


def test_the_same_runs_in_another_order_give_the_same_verdict():
    runs = synthetic_runs(seed=11, budgets=(1e18, 3e18, 1e19, 3e19, 1e20))
    shuffled = runs.subset(np.random.default_rng(0).permutation(len(runs)))
    first = fit(runs, bootstrap=100, holdout=5, compare_losses=False, predict_flops=[1e22])
    second = fit(shuffled, bootstrap=100, holdout=5, compare_losses=False, predict_flops=[1e22])
    assert first.holdout is not None and second.holdout is not None
    assert first.holdout.outcome == second.holdout.outcome
    assert first.holdout.joint_p_value == second.holdout.joint_p_value
    assert first.predictions[0].loss == second.predictions[0].loss
    assert first.check == second.check


def test_each_warning_once_per_cause():
    """Many predictions beyond the backtests' reach: one warning says so, counting them."""
    runs = synthetic_runs(seed=5, budgets=(1e18, 3e18, 1e19, 3e19, 1e20))
    result = fit(runs, bootstrap=100, compare_losses=False, predict_flops=[10 ** (21 + k / 4) for k in range(12)])
    beyond = [w for w in result.warnings if "backtests reached" in w or "backtests drift" in w]
    assert len([w for w in beyond if "backtests reached" in w]) == 1
    assert len([w for w in beyond if "backtests drift" in w]) <= 1
    assert sum("backtests reached" in w for p in result.predictions for w in p.warnings) >= 2  # each prediction keeps its own
