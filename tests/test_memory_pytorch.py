"""`--framework pytorch` against memory measured on real eager PyTorch steps.

``tests/data/memory_torch.json`` was recorded by ``bench/memory_torch.py`` on an NVIDIA H200
(torch 2.11, transformers 5.17): public Llama-style configs (SmolLM2 135M and 360M, Qwen2.5 0.5B,
TinyLlama 1.1B, Llama 3.2 1B; with checkpointing also SmolLM2 1.7B and Qwen2.5 1.5B, held out from
the derivation), fp32 weights under bf16 autocast, fused AdamW, SDPA, micro-batch 1-16 and
sequences 1k-8k, gradient checkpointing off and on (its "runs" field says how). Issue #26 asks the
formula to match within 10 %.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scaling_cli.core.errors import ScaleError
from scaling_cli.hardware.eager import eager_memory, layer_bytes_per_token
from scaling_cli.hardware.gpus import get_gpu
from scaling_cli.hardware.hf_config import shape_from_config
from scaling_cli.hardware.memory import Layout, training_memory
from scaling_cli.hardware.memory_changes import least_changes
from scaling_cli.hardware.shape import Shape

DATA = json.loads((Path(__file__).parent / "data" / "memory_torch.json").read_text())
RUNS = [run for run in DATA["measurements"] if not run["oom"]]


def _shape(name: str, tmp_path: Path) -> Shape:
    """The measured config, read as a user's config.json is."""
    spec = dict(DATA["configs"][name])
    spec["model_type"] = spec.pop("arch")
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    return shape_from_config(path)


def _layout(run: dict) -> Layout:
    return Layout(micro_batch=run["micro_batch"], seq=run["seq"], recompute="full" if run["checkpointing"] else "none", framework="pytorch")


def test_the_data_covers_what_the_issue_names():
    assert {run["micro_batch"] for run in RUNS} == {1, 2, 4, 8, 16}
    assert {run["seq"] for run in RUNS} == {1024, 2048, 4096, 8192}
    assert {run["checkpointing"] for run in RUNS} == {False, True}
    assert len({run["config"] for run in RUNS if not run["checkpointing"]}) == 5
    assert len({run["config"] for run in RUNS if run["checkpointing"]}) == 7
    assert "H200" in DATA["environment"]["device"]


@pytest.mark.parametrize("name", sorted(DATA["configs"]))
def test_shape_counts_the_measured_parameters(name, tmp_path):
    """The shape read from the config counts exactly the parameters torch built."""
    measured = {run["params"] for run in DATA["measurements"] if run["config"] == name}
    assert {_shape(name, tmp_path).params} == measured


@pytest.mark.parametrize("name", sorted(DATA["configs"]))
def test_peak_within_10_percent_of_the_measured_peak(name, tmp_path):
    """Every measured step (micro-batch 1-16, 1k-8k tokens, checkpointing on and off): the
    predicted peak is within 10 % of torch.cuda.max_memory_allocated."""
    shape = _shape(name, tmp_path)
    runs = [run for run in RUNS if run["config"] == name]
    assert len(runs) >= 15
    for run in runs:
        predicted = eager_memory(shape.params, shape, _layout(run)).total_bytes
        assert predicted / run["peak_bytes"] == pytest.approx(1.0, abs=0.10), run


def test_resident_state_is_weights_and_moments():
    """Between steps fp32 weights (4) and AdamW's moments (8) stay, 12 bytes per parameter, and
    under 100 MB besides (buffers, cuBLAS workspaces: not counted)."""
    for run in RUNS:
        assert 0 <= run["state_bytes"] - 12 * run["params"] < 100e6, run


@pytest.mark.parametrize("name", sorted({run["config"] for run in RUNS if not run["checkpointing"]}))
def test_saved_activations_match_the_tensor_count(name, tmp_path):
    """Without checkpointing, what autograd saved (saved_tensors_hooks, unique storages) is the
    per-tensor count: layers x layer_bytes_per_token, plus the final norm, lm_head and loss."""
    shape = _shape(name, tmp_path)
    # The first run told weight copies by shape: at a token count equal to a weight's rows a 2-D
    # view of an activation looked like one (the data's "runs" field), so those points are left out.
    widths = {shape.d_model, shape.d_ff, shape.heads * shape.dim_head, shape.n_kv_heads * shape.dim_head, shape.vocab}
    for run in (run for run in RUNS if run["config"] == name and not run["checkpointing"]):
        tokens = run["micro_batch"] * run["seq"]
        if tokens in widths:
            continue
        layers = tokens * shape.layers * layer_bytes_per_token(shape)
        outside = tokens * (10 * shape.d_model + 4 * shape.vocab + 16) + 8 * shape.dim_head * run["seq"]
        assert (layers + outside) / run["saved_bytes"] == pytest.approx(1.0, abs=0.01), run


def test_ran_out_of_memory_where_the_formula_says(tmp_path):
    """The five steps that ran out of memory on the H200 are predicted beyond its capacity."""
    capacity = DATA["environment"]["capacity_bytes"]
    failed = [run for run in DATA["measurements"] if run["oom"]]
    assert len(failed) == 5
    for run in failed:
        shape = _shape(run["config"], tmp_path)
        assert eager_memory(shape.params, shape, _layout(run)).total_bytes > capacity, run


def test_megatron_undercounts_eager_training(tmp_path):
    """The reason for the framework: Megatron's count is well under the measured eager peak
    without checkpointing (issue #26: 20-40 % low at micro-batches 4-16)."""
    shape = _shape("tinyllama-1.1b", tmp_path)
    run = next(r for r in RUNS if r["config"] == "tinyllama-1.1b" and r["micro_batch"] == 4 and r["seq"] == 4096 and not r["checkpointing"])
    megatron = training_memory(shape.params, shape, get_gpu("h200"), Layout(micro_batch=4, seq=4096, flash_attention=True))
    eager = training_memory(shape.params, shape, get_gpu("h200"), _layout(run))
    assert megatron.total_bytes < 0.8 * run["peak_bytes"] < eager.total_bytes


def test_library_result_names_the_framework_and_the_peak(tmp_path):
    shape = _shape("llama-3.2-1b", tmp_path)
    memory = training_memory(shape.params, shape, get_gpu("h200"), Layout(micro_batch=4, seq=4096, framework="pytorch"))
    assert memory.framework == "pytorch" and memory.peak == "loss"
    assert memory.total_bytes == pytest.approx(
        memory.weights_bytes + memory.optimizer_bytes + memory.weight_copies_bytes + memory.activations_bytes + memory.transient_bytes
    )
    assert any("framework pytorch" in note for note in memory.notes)
    # The largest micro-batch is the largest that fits, by the same count.
    largest = memory.largest_micro_batch
    fits = [
        eager_memory(shape.params, shape, Layout(micro_batch=b, seq=4096, framework="pytorch")).total_bytes <= memory.gpu_memory_bytes
        for b in (largest, largest + 1)
    ]
    assert fits == [True, False]


def test_a_big_model_peaks_after_the_backward_pass(tmp_path):
    """With few tokens and many parameters the gradients (4 bytes each) outweigh the weight copies
    and activations: the peak is weights + gradients + moments, 16 bytes per parameter."""
    shape = Shape(layers=32, d_model=4096, heads=32, kv_heads=8, d_ff=14336, vocab=128256)
    memory = eager_memory(shape.params, shape, Layout(micro_batch=1, seq=1024, framework="pytorch"))
    assert memory.peak == "after backward"
    assert memory.total_bytes == pytest.approx(16 * shape.params)


def test_zero_shards_the_state_and_fewest_gpus_fit(tmp_path):
    shape = Shape(layers=32, d_model=4096, heads=32, kv_heads=8, d_ff=14336, vocab=128256)
    gpu = get_gpu("h100-sxm")
    alone = training_memory(shape.params, shape, gpu, Layout(micro_batch=1, seq=4096, recompute="full", framework="pytorch"))
    assert not alone.fits
    fewest = alone.fewest_gpus
    assert fewest is not None
    fitted = training_memory(
        shape.params, shape, gpu, Layout(dp=fewest.dp, zero=fewest.zero, micro_batch=1, seq=4096, recompute="full", framework="pytorch")
    )
    assert fitted.fits
    if fewest.dp > 1:
        fewer = Layout(dp=fewest.dp - 1, zero=fewest.zero, micro_batch=1, seq=4096, recompute="full", framework="pytorch")
        assert not training_memory(shape.params, shape, gpu, fewer).fits
    changes = least_changes(alone)
    assert changes and not any(c.change.startswith(("--tp", "--pp", "--cp", "--flash")) for c in changes)


@pytest.mark.parametrize(
    ("layout", "shape", "message"),
    [
        (Layout(tp=2, framework="pytorch"), None, "tensor, pipeline"),
        (Layout(recompute="selective", framework="pytorch"), None, "selective"),
        (Layout(optimizer="sgd", framework="pytorch"), None, "AdamW"),
        (Layout(framework="pytorch"), Shape(layers=12, d_model=768, heads=12, d_ff=3072, vocab=50257, style="gpt2"), "Llama-style"),
    ],
)
def test_what_the_eager_count_does_not_cover_is_an_error(layout, shape, message):
    shape = shape or Shape(layers=16, d_model=2048, heads=32, kv_heads=8, d_ff=8192, vocab=128256)
    with pytest.raises(ScaleError, match=message):
        eager_memory(shape.params, shape, layout)


LLAMA_8B = str(Path(__file__).parent / "data" / "configs" / "llama-3.1-8b.json")


def test_memory_command_names_the_framework(cli):
    data = cli.json("memory", "--config", LLAMA_8B, "--framework", "pytorch", "--dp", "8", "--zero", "3", "--gpu", "h100-sxm")
    assert data["framework"] == "pytorch" and data["layout"]["framework"] == "pytorch"
    assert data["layout"]["recompute"] == "none"  # eager PyTorch's default: no checkpointing
    assert data["peak"] in {"loss", "forward end", "recompute", "after backward"}
    assert data["single_gpu_methods"] == []
    megatron = cli.json("memory", "--config", LLAMA_8B, "--dp", "8", "--zero", "3", "--gpu", "h100-sxm")
    assert megatron["framework"] == "megatron" and megatron["peak"] is None
    assert data["total_bytes"] > megatron["total_bytes"]


def test_memory_command_exit_codes(cli):
    cli.json("memory", "--config", LLAMA_8B, "--framework", "pytorch", "--micro-batch", "4", "--gpu", "h100-sxm", expect_exit=1)
    assert "--framework" in cli.error("memory", "--config", LLAMA_8B, "--framework", "jax")
    assert "selective" in cli.error("memory", "--config", LLAMA_8B, "--framework", "pytorch", "--recompute", "selective")
    assert "tensor, pipeline" in cli.error("memory", "--config", LLAMA_8B, "--framework", "pytorch", "--tp", "2")


def test_plan_run_section_under_eager_pytorch(cli):
    data = cli.json("plan", "--flops", "1e21", "--gpus", "8", "--framework", "pytorch")
    run = data["run"]
    assert run["layout"]["framework"] == "pytorch" and run["layout"]["tp"] == 1 and run["layout"]["dp"] == 8
    assert run["memory"]["framework"] == "pytorch" and run["fits"]
    assert "--framework" in cli.error("plan", "--flops", "1e21", "--gpus", "8", "--framework", "jax")


def test_budget_file_layout_takes_the_framework(cli, tmp_path):
    path = tmp_path / "run.toml"
    path.write_text(f'config = "{LLAMA_8B}"\ntokens = "1T"\n[layout]\ndp = 8\nzero = 3\nframework = "pytorch"\nmicro_batch = 1\n')
    eager = cli.json("check", path, expect_exit=0)
    path.write_text(f'config = "{LLAMA_8B}"\ntokens = "1T"\n[layout]\ndp = 8\nzero = 3\nmicro_batch = 1\nflash_attention = true\n')
    megatron = cli.json("check", path, expect_exit=0)
    first, second = eager["files"][0]["values"], megatron["files"][0]["values"]
    assert first["memory_per_gpu_bytes"] > second["memory_per_gpu_bytes"]
