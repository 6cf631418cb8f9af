"""Memory on one GPU by training method, and the least changes that make a run fit (issue 11)."""

from __future__ import annotations

import pytest

from scaling_cli import get_gpu
from scaling_cli.hardware.memory import Layout, training_memory
from scaling_cli.hardware.memory_changes import least_changes
from scaling_cli.hardware.shape import Shape, suggest_shapes
from scaling_cli.hardware.single_gpu import adapter_params, single_gpu_methods

LLAMA2_7B = Shape(layers=32, d_model=4096, heads=32, d_ff=11008, vocab=32000)
LLAMA_65B = Shape(layers=80, d_model=8192, heads=64, d_ff=22016, vocab=32000)
LAYOUT = Layout(seq=2048, recompute="selective", flash_attention=True)


def by_method(rows):
    return {row.method: row for row in rows}


def test_lora_adapters_count_as_peft_prints_them():
    # PEFT's print_trainable_parameters for 7B models of Llama-2-7B's shape (Llama-2-7B, Qwen1.5-7B,
    # OLMo-7B) with r = 8 on q, k, v, o, gate, up and down: "trainable params: 19,988,480".
    assert LLAMA2_7B.params == 6_738_415_616  # the HF checkpoint's total (facts.md E)
    assert adapter_params(LLAMA2_7B, 8) == 19_988_480
    assert adapter_params(LLAMA2_7B, 64) == 8 * 19_988_480


def test_each_method_keeps_its_published_bytes_on_the_gpu():
    rows = by_method(single_gpu_methods(7e9, suggest_shapes(7e9)[0], get_gpu("a100-80gb"), LAYOUT))
    assert rows["full"].state_bytes == pytest.approx(16 * 7e9)  # ZeRO §3.1: 2 + 2 + 12
    assert rows["full-8bit-adam"].state_bytes == pytest.approx(10 * 7e9)  # EleutherAI cookbook: 6 of 8-bit Adam
    assert rows["full-bf16"].state_bytes == pytest.approx(8 * 7e9)
    # DeepSpeed's estimate_zero2_model_states_mem_needs(7e9, cpu_offload=True): GPU 2 x N, CPU 16 x N x 1.5.
    assert rows["zero-offload"].state_bytes == pytest.approx(14e9)
    assert rows["zero-offload"].host_bytes == pytest.approx(168e9)
    assert not rows["full"].fits and rows["full"].largest_micro_batch == 0
    # Every method stores the same activations; the frozen-base methods hold far less state.
    assert len({row.activation_bytes_per_sequence for row in rows.values()}) == 1
    assert rows["qlora"].state_bytes < rows["lora"].state_bytes < rows["full-bf16"].state_bytes
    assert rows["lora"].largest_micro_batch > rows["full-bf16"].largest_micro_batch


def test_qlora_puts_a_65b_model_under_48_gb():
    # Dettmers et al. 2023 (QLoRA), abstract: finetuning a 65B model from >780 GB of GPU memory to
    # <48 GB, with r = 64 adapters on every linear layer. Its base: NF4 at 4 bits plus 0.127 bits of
    # double-quantised constants per weight; embeddings and head stay bf16; bf16 adapters with
    # 32-bit Adam moments (the authors' qlora.py): 12 bytes per adapter parameter.
    rows = by_method(single_gpu_methods(LLAMA_65B.params, LLAMA_65B, get_gpu("a100-80gb"), LAYOUT, lora_rank=64))
    linear = sum(a * b * c for a, b, c in LLAMA_65B.linear_matrices())
    frozen = 4.127 / 8 * linear + 2 * (LLAMA_65B.params - linear)
    assert rows["qlora"].state_bytes == pytest.approx(frozen + 12 * adapter_params(LLAMA_65B, 64))
    assert rows["qlora"].state_bytes < 48e9
    assert rows["lora"].state_bytes > 2 * 48e9  # a bf16 base alone is 130 GB
    assert rows["full"].state_bytes > 780e9


def test_a_7b_model_on_one_a100_in_one_table(cli):
    # The source article: a 7B model "takes 15-20 GB" and full training "only fits batch 4". Under
    # mixed-precision Adam nothing fits; a frozen bf16 base is what takes ~15-20 GB.
    result = cli("memory", "--params", "7e9", "--gpu", "a100-80gb", "--seq", "512")
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    for title in ("Full, AdamW", "Full, 8-bit Adam", "Full, bf16 AdamW", "ZeRO-Offload", "LoRA", "QLoRA"):
        assert title in text
    out = cli.json("memory", "--params", "7e9", "--gpu", "a100-80gb", "--seq", "512", expect_exit=1)
    rows = {row["method"]: row for row in out["single_gpu_methods"]}
    assert 15e9 <= rows["lora"]["total_bytes"] <= 20e9
    assert rows["full"]["largest_micro_batch"] == 0
    # More than one GPU: no single-GPU table.
    assert cli.json("memory", "--params", "7e9", "--dp", "8", "--zero", "3")["single_gpu_methods"] == []


@pytest.mark.parametrize(
    "flags",
    [
        ["--params", "7e9", "--gpu", "a100-80gb"],
        ["--params", "7e9", "--gpu", "a100-80gb", "--dp", "4", "--micro-batch", "4", "--recompute", "none", "--no-flash-attention"],
        ["--params", "70e9", "--dp", "8", "--seq", "32768"],
    ],
)
def test_every_least_change_it_names_fits_when_applied(cli, flags):
    out = cli.json("memory", *flags, expect_exit=1)
    changes = out["least_changes"]
    assert changes, "a run that does not fit names at least one change"
    assert [c["gpus"] for c in changes] == sorted(c["gpus"] for c in changes)
    for change in changes:
        applied = cli.json("memory", *apply(flags, change["change"].split()))
        assert applied["fits"] and applied["gpus"] == change["gpus"]
        assert applied["total_bytes"] == pytest.approx(change["total_bytes"])


def apply(flags, changes):
    """The command line with each changed flag set to its new value (switches replace their negation)."""

    def options(words):
        parsed, i = {}, 0
        while i < len(words):
            if i + 1 < len(words) and not words[i + 1].startswith("--"):
                parsed[words[i]], i = words[i + 1], i + 2
            else:
                parsed[words[i].replace("--no-", "--")], i = None, i + 1
        return parsed

    merged = {**options(flags), **options(changes)}
    words = []
    for name, value in merged.items():
        if value is None:
            words.append("--flash-attention" if name in changes else "--no-flash-attention")
        else:
            words += [name, value]
    return words


def test_a_run_that_fits_needs_no_change():
    shape = suggest_shapes(1e9)[0]
    memory = training_memory(shape.params, shape, get_gpu("h100-sxm"), LAYOUT)
    assert memory.fits and least_changes(memory) == []


def test_a_method_is_one_kind_of_training():
    from scaling_cli.core.configs import validate
    from scaling_cli.core.errors import ScaleError
    from scaling_cli.hardware.single_gpu import Method

    with pytest.raises(ScaleError, match="exactly one of"):
        validate(Method, {"name": "x", "title": "x", "source": "x", "optimizer": "adamw", "frozen_bytes": 2}, "memory.toml [methods.x]")


def test_zero_is_offered_over_context_parallel_ranks_alone():
    # ZeRO shards over dp x cp, so a run on one data-parallel rank and 16 context-parallel ones
    # can still shard its optimizer state (Megatron-Core's data-parallel-with-context group).
    shape = Shape(layers=80, d_model=8192, heads=64, kv_heads=8, d_ff=28672, vocab=128256)
    layout = Layout(dp=1, tp=8, cp=16, seq=131072, recompute="selective", flash_attention=True)
    memory = training_memory(shape.params, shape, get_gpu("h100-sxm"), layout)
    assert not memory.fits
    zero = [c for c in least_changes(memory) if c.change.startswith("--zero")]
    assert zero and zero[0].gpus == 128
