"""GPU-hours count what MFU counts (PaLM, App. B: 6 x the matmul parameters + attention), on
every command, for the planner's default shape when none is given (#26, item 6)."""

from __future__ import annotations

import pytest

from scaling_cli.planning.overtraining import overtrain
from scaling_cli.planning.planner import plan
from scaling_cli.planning.sweeps import sweep

LLAMA_405B_GPU_HOURS = 30.84e6
"""Llama 3.1 405B's training time on H100-80GB: 30.84M GPU-hours (Meta's Llama 3.1 model card,
'Training Energy Use'), 15.6T tokens at 8,192-token sequences (Dubey et al. 2024, §3.4), at a
BF16 MFU of 38-43 % (Table 4)."""


def test_llama_405b_gpu_hours_within_10_percent_of_meta():
    result = overtrain(405e9, tokens=[15.6e12], gpu="h100-sxm", mfu=0.40, seq=8192)
    assert result.rows[0].gpu_hours == pytest.approx(LLAMA_405B_GPU_HOURS, rel=0.10)
    assert result.rows[0].gpu_hours > 1.05 * result.rows[0].flops / (989e12 * 0.40 * 3600)  # attention counted, not 6ND alone


def test_plan_without_gpus_counts_attention_and_says_for_which_shape():
    result = plan(3.8e25, law="llama3", gpu="h100-sxm")
    assert result.model_flops is not None and result.model_flops > 1.03 * result.flops
    assert result.gpu_hours == pytest.approx(result.model_flops / (result.mfu * 989e12 * 3600), rel=1e-3)
    assert any("suggested shape" in note and "MFU counts" in note for note in result.notes)


def test_a_time_budget_without_gpus_is_filled_with_the_flops_mfu_counts(cli):
    out = cli.json("plan", "--gpu-hours", "1e6", "--gpu", "h100-sxm")
    assert out["gpu_hours"] == pytest.approx(1e6, rel=0.01)
    assert out["flops"] < out["model_flops"]


def test_longer_sequences_cost_more_hours_for_the_same_tokens():
    short = overtrain(7e9, tokens=[2e12], seq=2048).rows[0].gpu_hours
    long = overtrain(7e9, tokens=[2e12], seq=32768).rows[0].gpu_hours
    assert long > 1.2 * short


def test_sweep_runs_count_their_own_shapes_attention():
    result = sweep(1e18, 1e19, budgets=2, sizes=3)
    for run in result.runs:
        assert run.gpu_hours > run.flops / (result_peak() * 0.40 * 3600)
    assert result.total_gpu_hours == pytest.approx(sum(run.gpu_hours for run in result.runs))


def result_peak() -> float:
    from scaling_cli.hardware.gpus import DEFAULT_GPU, get_gpu

    return get_gpu(DEFAULT_GPU).peak_flops
