"""Plans under real constraints: limited unique data, an inference demand, a target loss."""

import csv
import itertools
import math

import numpy as np
import pytest
from conftest import TEST_DATA, shared_data
from hypothesis import given, settings
from hypothesis import strategies as st

from scaling_cli import load_law, plan, training_flops
from scaling_cli.core.errors import ScaleError
from scaling_cli.laws.data_constrained import effective_tokens
from scaling_cli.planning.sections.inference import inference_optimal

SARDANA = str(TEST_DATA / "sardana.toml")


@pytest.fixture(scope="module")
def muennighoff():
    return load_law("muennighoff")


# -- Muennighoff et al. 2023 ------------------------------------------------------------------


def test_readme_losses(muennighoff):
    # huggingface/datablations README, "Parametric Fit": the two models of Figure 1 (right).
    assert muennighoff.predict_loss(6.34e9, 242e9, 25e9) == pytest.approx(2.2256440889984477, abs=1e-9)
    assert muennighoff.predict_loss(8.67e9, 178e9, 25e9) == pytest.approx(2.2269634075087867, abs=1e-9)


def test_readme_optimal_allocation(muennighoff):
    # The README's grid search (500 steps of the size factor) allocates 1e22 FLOPs with 25e9
    # unique tokens to 7,022,364,735.88 params on 237,336,955,477.55 tokens: 9.4935 epochs
    # (facts.md A6). Our continuous optimum lies within the grid's step (0.4 %) of it.
    out = plan(1e22, unique_tokens=25e9)
    assert out.law == "muennighoff"  # the default law of data-constrained plans
    assert out.params == pytest.approx(7.022e9, rel=0.004)
    assert out.tokens == pytest.approx(2.3734e11, rel=0.004)
    assert out.epochs == pytest.approx(9.4935, rel=0.004)
    assert training_flops(out.params, out.tokens) == pytest.approx(1e22)


def test_published_constants_give_the_notebooks_r_squared(muennighoff):
    # utils/parametric_fit.ipynb: R^2 = 0.7722 over the 182 C4 runs under the published constants.
    with open(shared_data("datablations_c4_runs.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 182
    loss = np.array([float(r["val_loss"]) for r in rows])
    predicted = np.array([muennighoff.predict_loss(float(r["params"]), float(r["tokens"]), float(r["unique_tokens"])) for r in rows])
    r_squared = 1 - np.sum((loss - predicted) ** 2) / np.sum((loss - loss.mean()) ** 2)
    assert r_squared == pytest.approx(0.7722046084968408, abs=1e-6)


def test_large_unique_data_reduces_to_the_unconstrained_law(muennighoff):
    for params, tokens in [(1e8, 2e9), (7e9, 1.4e11), (7e10, 1.4e12)]:
        assert muennighoff.predict_loss(params, tokens, 1e20) == muennighoff.predict_loss(params, tokens)
    for flops in (1e19, 1e22, 1e25):
        constrained = muennighoff.optimal(flops, unique_tokens=1e20)
        assert constrained == pytest.approx(muennighoff.optimal(flops), rel=1e-6)


@settings(max_examples=100, deadline=None)
@given(tokens=st.floats(1e6, 1e16), unique=st.floats(1e6, 1e16))
def test_effective_tokens_never_exceed_actual_tokens(muennighoff, tokens, unique):
    worth = float(effective_tokens(tokens, unique, muennighoff.data_constrained))
    assert worth <= tokens * (1 + 1e-12)
    assert worth >= min(tokens, unique) * (1 - 1e-12)


def test_the_papers_regimes_hold_numerically(muennighoff):
    rep = muennighoff.data_constrained
    # Four passes over the data are worth 93 % of as many fresh tokens (D' = 3.73 U, facts.md A6).
    assert float(effective_tokens(4e9, 1e9, rep)) / 4e9 == pytest.approx(0.9315, abs=1e-3)
    # For a fixed compute budget, unique data for a quarter of the optimal tokens (the plan
    # repeats it ~4-5 times) costs under 1 % of the loss from 1e22 FLOPs on, the "negligible"
    # of the paper's abstract; 16x and 40x too little cost 5x and 10x that penalty or more.
    for flops in (1e22, 1e24):
        fresh = muennighoff.optimal(flops)[1]
        penalty = {k: plan(flops, unique_tokens=fresh / k) for k in (4, 16, 40)}
        relative = {k: (p.loss - p.loss_unlimited_data) / p.loss_unlimited_data for k, p in penalty.items()}
        assert 0 < relative[4] < 0.01
        assert relative[16] > 5 * relative[4] and relative[40] > 10 * relative[4]
    # Repeated data saturates at 1 + R_D* = 16.4 unique datasets: at 40 epochs it is worth
    # ~15.2, and the next 40 passes add under 10 % to that.
    assert float(effective_tokens(40e9, 1e9, rep)) / 1e9 == pytest.approx(15.17, abs=0.01)
    assert float(effective_tokens(80e9, 1e9, rep)) / float(effective_tokens(40e9, 1e9, rep)) < 1.1


@pytest.mark.parametrize("unique, regime", [(1e12, "negligible"), (25e9, "diminishing"), (8e9, "fading"), (2e9, "worthless")])
def test_plans_flag_the_repetition_regime(unique, regime):
    out = plan(1e22, unique_tokens=unique)
    assert out.repetition_regime.startswith(regime)
    assert out.loss >= out.loss_unlimited_data - 1e-12


def test_data_gap_and_synthetic_cost(cli):
    out = cli.json("plan", "--flops", "1e22", "--unique-tokens", "25e9", "--synthetic-price", "2")
    fresh = load_law("muennighoff").optimal(1e22)[1]
    assert out["data_gap_tokens"] == pytest.approx(fresh - 25e9)
    assert out["synthetic_cost"] == pytest.approx((fresh - 25e9) / 1e6 * 2)
    for key in ("unique_tokens", "epochs", "effective_tokens", "loss_unlimited_data"):
        assert out[key] is not None
    words = " ".join(cli("plan", "--flops", "1e22", "--unique-tokens", "25e9", "--synthetic-price", "2").stdout.split())
    assert "Data gap" in words and "Synthesise them" in words and "Or repeat what exists" in words
    enough = cli.json("plan", "--flops", "1e22", "--unique-tokens", "1e12")
    assert enough["data_gap_tokens"] == 0 and enough["epochs"] < 1


def test_overtrain_rows_show_epochs_and_effective_tokens(cli):
    out = cli.json("overtrain", "--params", "7e9", "--unique-tokens", "100B", "--ratios", "10,100,1000")
    assert out["law"] == "muennighoff" and out["unique_tokens"] == 100e9
    for row in out["rows"]:
        assert row["epochs"] == pytest.approx(row["tokens"] / 100e9)
        assert row["effective_tokens"] <= row["tokens"]
        assert row["compute_overhead"] >= -1e-9
    words = " ".join(cli("overtrain", "--params", "7e9", "--unique-tokens", "100B").stdout.split())
    assert "Epochs" in words and "Effective" in words and "Training on 100B unique tokens" in words


# -- Sardana et al. 2024 ----------------------------------------------------------------------


def _budget_for(params, law=SARDANA):
    """The compute whose compute-optimal model has ``params`` parameters (eq. 4 inverted)."""
    loss = load_law(law).loss
    g = (loss.alpha * loss.A / (loss.beta * loss.B)) ** (1 / (loss.alpha + loss.beta))
    return 6 * (params / g) ** (1 / loss.params_exponent)


def test_sardana_30b_example():
    # facts.md A7 (blog, reproduced): a 30B model at its compute-optimal quality serving 1e13
    # tokens is best replaced by 13.6B on 2.84x the tokens, saving 28 % of total FLOPs.
    out = plan(_budget_for(30e9), law=SARDANA, inference_tokens=1e13)
    best = out.inference_optimal
    assert out.params == pytest.approx(30e9)
    assert best.params == pytest.approx(13.61e9, rel=0.005)
    assert best.tokens / out.tokens == pytest.approx(2.845, rel=0.005)
    assert out.total_flops_saving == pytest.approx(0.280, abs=0.002)
    assert best.total_flops == pytest.approx(6.34e23, rel=0.005)
    assert load_law(SARDANA).predict_loss(best.params, best.tokens) == pytest.approx(out.loss, abs=1e-9)


def test_sardana_figure_1_example():
    # Fig. 1 caption: a 13B reference at Chinchilla quality serving 2T tokens; a ~7B model on
    # more data saves 1.7e22 FLOPs (17 %). Reproduced: 6.97B on 1.248T tokens, 17.4 %.
    out = plan(_budget_for(13e9), law=SARDANA, inference_tokens=2e12)
    assert out.inference_optimal.params == pytest.approx(6.97e9, rel=0.005)
    assert out.inference_optimal.tokens == pytest.approx(1.248e12, rel=0.005)
    assert out.total_flops - out.inference_optimal.total_flops == pytest.approx(1.69e22, rel=0.01)
    assert out.total_flops_saving == pytest.approx(0.174, abs=0.002)


def test_no_inference_gives_the_compute_optimal_plan_back():
    out = plan(1e23, inference_tokens=0)
    assert out.inference_optimal.params == pytest.approx(out.params, rel=1e-9)
    assert out.inference_optimal.tokens == pytest.approx(out.tokens, rel=1e-6)
    assert out.total_flops_saving == 0


def test_more_inference_means_a_smaller_model_trained_longer():
    law = load_law("chinchilla")
    params, tokens = law.optimal(1e23)
    loss = law.predict_loss(params, tokens)
    sizes = [inference_optimal(law, loss, t, params) for t in (1e10, 1e11, 1e12, 1e13, 1e14, 1e15)]
    assert all(a[0] > b[0] and a[1] < b[1] for a, b in itertools.pairwise(sizes))
    assert sizes[0][0] <= params


def test_inference_with_limited_data_and_a_target(cli):
    out = cli.json("plan", "--target-loss", "2.25", "--inference-tokens", "1e12", "--unique-tokens", "50e9")
    best = out["inference_optimal"]
    for key in ("params", "tokens", "train_flops", "inference_flops", "total_flops"):
        assert best[key] > 0
    assert best["total_flops"] <= out["total_flops"]
    law = load_law("muennighoff")
    assert law.predict_loss(best["params"], best["tokens"], 50e9) == pytest.approx(2.25, abs=1e-6)
    assert "total_flops_saving" in out and out["inference_tokens"] == 1e12
    assert "Inference-optimal" in cli("plan", "--flops", "1e23", "--inference-tokens", "1e13").stdout


# -- a quality target ---------------------------------------------------------------------------


@pytest.mark.parametrize("law, unique", [("chinchilla", None), ("hoffmann-approach3", None), ("kaplan", None), ("muennighoff", 30e9)])
def test_target_loss_inverts_the_budget(law, unique):
    for flops in (1e20, 1e23):
        there = plan(flops, law=law, unique_tokens=unique)
        back = plan(target_loss=there.loss, law=law, unique_tokens=unique)
        assert back.flops == pytest.approx(flops, rel=1e-5)
        assert back.loss == pytest.approx(there.loss, abs=1e-9)


def test_unreachable_targets_say_so(cli):
    assert "irreducible loss E = 1.8169" in cli.error("plan", "--target-loss", "1.8")
    assert "irreducible" in cli.error("plan", "--target-loss", "1.8168")
    line = cli.error("plan", "--target-loss", "2.0", "--unique-tokens", "25e9")
    assert "no budget goes below 2.15" in line
    assert "no loss form" in cli.error("plan", "--target-loss", "2.0", "--law", "llama3")
    out = cli.json("plan", "--target-loss", "2.1")
    assert out["target_loss"] == 2.1 and out["loss"] == pytest.approx(2.1)


def test_constraint_errors(cli):
    assert "no terms for repeated data" in cli.error("plan", "--flops", "1e22", "--unique-tokens", "1e10", "--law", "chinchilla")
    assert "--synthetic-price needs --unique-tokens" in cli.error("plan", "--flops", "1e22", "--synthetic-price", "2")
    assert "no loss form" in cli.error("plan", "--flops", "1e22", "--inference-tokens", "1e12", "--law", "deepseek")
    assert "exactly one budget" in cli.error("plan", "--flops", "1e22", "--target-loss", "2.1")
    assert "--inference-tokens" in cli.error("plan", "--flops", "1e22", "--inference-tokens", "-1")
    assert "--unique-tokens" in cli.error("plan", "--flops", "1e22", "--unique-tokens", "0")
    assert "unreachable" in cli.error("overtrain", "--params", "7e9", "--unique-tokens", "1e10", "--target-loss", "2.2")


# -- the numeric searches over wide ranges ------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(flops=st.floats(1e15, 1e30), unique_share=st.floats(1e-3, 10.0))
def test_data_constrained_optimum_is_finite_and_spends_the_budget(muennighoff, flops, unique_share):
    fresh_params, fresh_tokens = muennighoff.optimal(flops)
    unique = fresh_tokens * unique_share
    params, tokens = muennighoff.optimal(flops, unique_tokens=unique)
    assert math.isfinite(params) and math.isfinite(tokens)
    assert training_flops(params, tokens) == pytest.approx(flops, rel=1e-9)
    constrained = muennighoff.predict_loss(params, tokens, unique)
    assert constrained >= muennighoff.predict_loss(fresh_params, fresh_tokens) - 1e-12
    # No grid neighbour does better: the refinement found the minimum it bracketed.
    for factor in (0.98, 1.02):
        n = params * factor
        assert muennighoff.predict_loss(n, flops / (6 * n), unique) >= constrained - 1e-12


@settings(max_examples=20, deadline=None)
@given(flops=st.floats(1e15, 1e30), inference=st.floats(0, 1e16))
def test_inference_optimum_is_finite_and_never_costs_more(flops, inference):
    out = plan(flops, inference_tokens=inference)
    best = out.inference_optimal
    assert math.isfinite(best.params) and math.isfinite(best.tokens)
    assert best.params <= out.params * (1 + 1e-9)
    assert best.total_flops <= out.total_flops * (1 + 1e-9)


def test_failures_are_errors_not_silent_answers(muennighoff):
    with pytest.raises(ScaleError):
        plan(target_loss=1.0, law="muennighoff", unique_tokens=1e9)


def test_overtrain_prints_cost_and_days_when_given_a_price_and_gpus(cli):
    out = cli.json("overtrain", "--params", "7e9", "--price", "2.5", "--gpus", "512")
    for row in out["rows"]:
        assert row["cost"] == pytest.approx(2.5 * row["gpu_hours"]) and row["days"] == pytest.approx(row["gpu_hours"] / 512 / 24)
    table = " ".join(cli("overtrain", "--params", "7e9", "--price", "2.5", "--gpus", "512").stdout.split())
    assert "Days" in table and "Cost" in table
    assert cli.json("overtrain", "--params", "7e9")["rows"][0]["cost"] is None
