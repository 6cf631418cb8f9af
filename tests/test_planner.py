"""plan / overtrain / loss_table against published figures, and their invariants."""

import math

import pytest
from conftest import TEST_DATA

from scaling_cli import get_gpu, gpu_hours, load_law, loss_table, overtrain, plan, training_flops
from scaling_cli.core.errors import ScaleError
from scaling_cli.planning.sections.allocation import SIZE_RATIOS

DEVRIES = str(TEST_DATA / "devries.toml")
ALL_PRESETS = ["chinchilla", "hoffmann-approach3", "hoffmann-approach1", "hoffmann-approach2", "kaplan", "llama3", "deepseek"]
WITH_LOSS = ["chinchilla", "hoffmann-approach3", "kaplan"]


def _overhead_at(size_ratio, flops=1e22, law=DEVRIES):
    result = plan(flops, law=law)
    return next(v for v in result.variants if v.size_ratio == size_ratio).compute_overhead


def _devries_at(k):
    # de Vries 2023: a model at k times the optimal size, trained to the optimum's loss.
    law = load_law(DEVRIES)
    n_opt, d_opt = law.optimal(1e22)
    n = k * n_opt
    d = law.tokens_for_loss(n, law.predict_loss(n_opt, d_opt))
    return n * d / (n_opt * d_opt) - 1


def test_de_vries_published_overheads():
    # de Vries 2023, "Go smol or go home" (blog, his constants): a model at 75 % of the optimal
    # size needs 2.8 % more compute, at 50 % 20 %, at 30 % about 100 % (the "critical model
    # size"). The post prints rounded figures: 2.8 (one decimal), "20", "~100".
    assert _devries_at(0.75) == pytest.approx(0.028, abs=0.001)
    assert _devries_at(0.50) == pytest.approx(0.20, abs=0.01)
    assert _devries_at(0.30) == pytest.approx(1.00, abs=0.06)
    # The plan's variants use the same computation: 1/2 the optimal size at any budget.
    assert _overhead_at(0.5) == pytest.approx(_devries_at(0.5), rel=1e-9)
    # The overhead does not depend on the budget (de Vries; the frontier is self-similar).
    assert _overhead_at(0.5, flops=1e25) == pytest.approx(_overhead_at(0.5, flops=1e19), rel=1e-9)


def test_llama_7b_overtraining_matches_de_vries():
    # de Vries 2023: LLaMA-7B (6.9B params, 1T tokens) sits at ~57 % of the compute-optimal
    # model of the same loss, with ~12 % compute overhead.
    row = overtrain(6.9e9, law=DEVRIES, tokens=[1e12]).rows[0]
    assert row.flops == pytest.approx(4.14e22, rel=1e-3)
    assert 6.9e9 / row.optimal_params == pytest.approx(0.57, abs=0.015)
    assert row.compute_overhead == pytest.approx(0.12, abs=0.01)
    assert row.inference_flops_saved_per_token == pytest.approx(2 * (row.optimal_params - 6.9e9))
    assert row.breakeven_inference_tokens == pytest.approx((row.flops - row.optimal_flops) / row.inference_flops_saved_per_token)


def test_gpu_hours_of_llama_3_405b():
    # Llama 3 405B: 405,853,388,800 params (model card) on 15.6T tokens (paper) on H100-80GB,
    # 30.84M GPU-hours (model card). 6ND = 3.80e25, the paper's 3.8e25; the run-wide MFU it
    # implies is 34.6 % (facts.md B [D]), below Table 4's 38-43 % because the hours include
    # interruptions and non-training time.
    flops = training_flops(405_853_388_800, 15.6e12)
    assert flops == pytest.approx(3.8e25, rel=0.005)
    h100 = get_gpu("h100-sxm")
    assert gpu_hours(flops, h100.peak_flops, 0.346) == pytest.approx(30.84e6, rel=0.01)


def test_gpu_hours_of_llama_2_70b():
    # Llama 2 70B: 69.0B params (paper) on 2.0T tokens, 1,720,320 A100-80GB GPU-hours (model
    # card); the MFU it implies is 42.8 % counting 6N only (facts.md B [D]). The plan counts what
    # PaLM's MFU counts, attention too (#26), for its default shape: at that 6N-only MFU the card's
    # hours grow by exactly the attention share, and at the equivalent PaLM MFU they are the card's.
    result = plan(training_flops(69e9, 2.0e12), gpu="a100-80gb", mfu=0.428, price_per_gpu_hour=2.0)
    share = result.model_flops / result.flops
    assert 1.0 < share < 1.1
    assert result.gpu_hours == pytest.approx(1_720_320 * share, rel=0.005)
    assert result.cost == pytest.approx(2.0 * result.gpu_hours)
    assert plan(training_flops(69e9, 2.0e12), gpu="a100-80gb", mfu=0.428 * share).gpu_hours == pytest.approx(1_720_320, rel=0.005)
    # A run section (--gpus) picks the same suggested shape at the same 4,096-token sequences:
    # the same count, the same hours.
    run = plan(training_flops(69e9, 2.0e12), gpu="a100-80gb", mfu=0.428, gpus=2048, price_per_gpu_hour=2.0)
    assert run.gpu_hours == pytest.approx(result.gpu_hours, rel=1e-9)
    assert 1.0 < run.model_flops / run.flops < 1.1
    assert run.days == pytest.approx(run.gpu_hours / 2048 / 24)


def test_plan_variants_cover_the_issue_sizes():
    result = plan(1e23)
    assert [v.size_ratio for v in result.variants] == list(SIZE_RATIOS)
    optimum = next(v for v in result.variants if v.size_ratio == 1)
    assert optimum.loss_penalty == 0 and abs(optimum.compute_overhead) < 1e-9
    for v in result.variants:
        assert training_flops(v.params, v.tokens) == pytest.approx(1e23, rel=1e-12)
        assert v.loss_penalty >= 0
    # 1/8 of the optimal size can never reach the optimum's loss (its floor is above it).
    eighth = result.variants[0]
    assert load_law().loss_floor(eighth.params) > result.loss
    assert eighth.compute_overhead is None


def test_allocation_laws_plan_without_a_loss():
    result = plan(1e23, law="llama3")
    assert result.loss is None
    assert all(v.loss is None and v.loss_penalty is None and v.compute_overhead is None for v in result.variants)
    assert any("no loss form" in note for note in result.notes)


def test_kaplan_plans_say_what_n_counts():
    result = plan(1e23, law="kaplan")
    assert result.params_counted == "non-embedding"
    assert any("non-embedding" in note for note in result.notes)


def test_overtrain_floor_and_unreachable_target():
    result = overtrain(7e9)
    law = load_law()
    assert result.loss_floor == pytest.approx(law.loss.E + law.loss.A / 7e9**law.loss.alpha)
    assert [row.tokens_per_param for row in result.rows] == pytest.approx([20, 50, 100, 200, 500, 1000])
    with pytest.raises(ScaleError, match=r"unreachable.*1\.99"):
        overtrain(7e9, target_loss=1.99)
    reached = overtrain(7e9, target_loss=2.1)
    assert reached.target_tokens in [row.tokens for row in reached.rows]
    assert law.predict_loss(7e9, reached.target_tokens) == pytest.approx(2.1)


def test_overtrain_rejects_both_ratios_and_tokens():
    with pytest.raises(ScaleError, match="not both"):
        overtrain(7e9, tokens_per_param=[20], tokens=[1e12])


def test_loss_table_answers_every_preset():
    losses = loss_table(7e9, 2e12)
    assert set(ALL_PRESETS) <= set(losses)
    for name in ALL_PRESETS:
        law = load_law(name)
        assert (losses[name] is None) == (not law.has_loss)
    assert losses["chinchilla"] == pytest.approx(load_law().predict_loss(7e9, 2e12))


def test_library_rejects_bad_arguments_by_name():
    with pytest.raises(ScaleError, match="flops"):
        plan(-1.0)
    with pytest.raises(ScaleError, match="mfu"):
        plan(1e23, mfu=1.5)
    with pytest.raises(ScaleError, match="finite"):
        plan(math.inf)


def test_negative_overheads_are_explained_beside_them():
    # Kaplan's Table 6 allocation does not minimise its own eq. 1.5 at fixed C = 6ND (its note):
    # some variants reach the plan's loss with less compute, and the plan says why.
    result = plan(1e23, law="kaplan")
    assert any(v.compute_overhead is not None and v.compute_overhead < 0 for v in result.variants)
    assert any("negative compute overheads" in n for n in result.notes)
    assert not any("negative compute overheads" in n for n in plan(1e23).notes)
