"""Serving: its own utilisation (the decoding roofline, or --inference-mfu) and its cost lines (issue 11)."""

from __future__ import annotations

import pytest

from scaling_cli import get_gpu
from scaling_cli.hardware.serving import SERVING_BATCH, decode_bound
from scaling_cli.planning import planner

H100 = get_gpu("h100-sxm")  # 989.4 TFLOP/s dense BF16, 3.35 TB/s, 80 GB (datasheet, configs/hardware.toml)
LLAMA_8B_KV = 131_072  # bytes of bf16 KV cache per token, Llama 3.1 8B (facts.md D: 2 x 32 x 8 x 128 x 2)


def test_decoding_is_bound_by_reading_weights_and_cache():
    bound = decode_bound(7e9, LLAMA_8B_KV, H100, context=4096)
    # kipp.ly's arithmetic: a step moves all weights plus every sequence's cache; at B = 256 (vLLM's
    # max_num_seqs) and below the ~295 flops:byte ridge of an H100 in bf16 it is bandwidth-bound.
    assert bound.bound == "memory" and bound.batch == SERVING_BATCH == 256
    step_bytes = 2 * 7e9 + 256 * 4096 * LLAMA_8B_KV
    expected = (2 * 7e9 * 256 / (bound.gpus * 989.4e12)) / (step_bytes / (bound.gpus * 3.35e12))
    assert bound.mfu == pytest.approx(expected)
    assert bound.mfu == pytest.approx(0.080, abs=0.001)
    # One GPU holds only 108 sequences of 4,096 tokens beside the weights (0.9 x 80 GB - 14 GB).
    assert decode_bound(7e9, LLAMA_8B_KV, H100, context=4096, batch=108).mfu < bound.mfu
    # The bound prefers the fewest GPUs that reach it: 4 hold 256 sequences; 8 add nothing.
    assert bound.gpus == 4


def test_a_large_enough_batch_makes_decoding_compute_bound():
    bound = decode_bound(1e9, 1.0, H100, context=1, batch=1024)
    assert bound.bound == "compute" and bound.mfu == pytest.approx(1.0)


def test_longer_contexts_and_bigger_caches_lower_the_bound():
    short = decode_bound(7e9, LLAMA_8B_KV, H100, context=1024).mfu
    long = decode_bound(7e9, LLAMA_8B_KV, H100, context=32768).mfu
    mha = decode_bound(7e9, 4 * LLAMA_8B_KV, H100, context=4096).mfu
    assert long < short and mha < decode_bound(7e9, LLAMA_8B_KV, H100, context=4096).mfu


def test_serving_has_its_own_mfu_and_cost_lines(cli):
    given = planner.plan(1e23, inference_tokens=1e13, inference_mfu=0.2, price_per_gpu_hour=2.5, gpus=512)
    assert given.inference_mfu_source == "given" and given.serving is None
    # Serving GPU-hours divide 2·N·T by the serving MFU, not the training one.
    assert given.inference_gpu_hours == pytest.approx(2 * given.params * 1e13 / (989.4e12 * 0.2 * 3600))
    assert given.inference_cost == pytest.approx(given.inference_gpu_hours * 2.5)
    assert given.inference_days == pytest.approx(given.inference_gpu_hours / 512 / 24)
    best = given.inference_optimal
    assert best.inference_gpu_hours == pytest.approx(2 * best.params * 1e13 / (989.4e12 * 0.2 * 3600))
    assert best.train_cost == pytest.approx(best.train_gpu_hours * 2.5) and best.inference_cost is not None
    assert best.train_days is not None and best.inference_days is not None
    # The default: each model's own roofline bound, far below the training MFU of 40 %.
    default = planner.plan(1e23, inference_tokens=1e13)
    assert default.inference_mfu_source == "roofline" and default.inference_mfu < 0.4
    assert default.serving.gpus >= 1 and default.inference_optimal.serving is not None
    assert default.inference_optimal.inference_mfu != default.inference_mfu  # sizes differ, so do bounds
    assert default.inference_cost is None and default.inference_days is None  # no price, no GPUs
    text = " ".join(cli("plan", "--flops", "1e23", "--inference-tokens", "1e13", "--price", "2.5", "--gpus", "512").stdout.split())
    for line in (
        "Serving MFU",
        "Serving GPU-hours",
        "Training cost",
        "Serving cost",
        "Total cost",
        "Serving days on 512",
        "decoding roofline",
    ):
        assert line in text
    out = cli.json("plan", "--flops", "1e23", "--inference-tokens", "1e13", "--inference-mfu", "25%")
    assert out["inference_mfu"] == 0.25 and out["inference_optimal"]["inference_mfu"] == 0.25
    assert "expected a fraction" in cli.error("plan", "--flops", "1e23", "--inference-tokens", "1e13", "--inference-mfu", "1.5")


def test_the_markdown_summary_carries_the_serving_table(cli):
    text = cli("plan", "--flops", "1e23", "--inference-tokens", "1e13", "--price", "2", "--format", "markdown").stdout
    assert "#### Serving 10.0T inference tokens" in text
    assert "| Serving MFU (roofline bound) |" in text and "| Serving cost |" in text
    given = cli("plan", "--flops", "1e23", "--inference-tokens", "1e13", "--inference-mfu", "0.3", "--format", "markdown").stdout
    assert "| Serving MFU | 30.0% | 30.0% |" in given and "Serving cost" not in given
