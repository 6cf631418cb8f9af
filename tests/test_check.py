"""`scale check` and the limit flags: exit 0 within budget, 1 over it, 2 for an invalid file."""

import json
from pathlib import Path

import pytest
from conftest import ROOT

from scaling_cli.planning.budget import BudgetFile, evaluate, load_budget

EXAMPLE = str(ROOT / "configs" / "budget.example.toml")
RUN = 'params = "7B"\ntokens = "1.4T"\ngpu = "h100-sxm"\ngpus = 256\nmfu = 0.4\nprice_per_gpu_hour = 2.5\n'


def _write(tmp_path, text, name="budget.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_the_annotated_example_passes(cli):
    result = cli("check", EXAMPLE)
    assert result.exit_code == 0, result.stdout
    out = cli.json("check", EXAMPLE)
    assert out["ok"] is True and out["schema_version"] == 2
    names = {c["name"] for c in out["checks"]}
    assert {"max_flops", "max_gpu_hours", "max_days", "max_cost", "max_loss", "max_memory_per_gpu"} <= names
    for check in out["checks"]:
        assert set(check) >= {"name", "limit", "value", "ok"} and check["file"] == EXAMPLE


def test_planned_values_are_the_planners():
    values = evaluate(load_budget(EXAMPLE)).values
    assert values["flops"] == pytest.approx(6 * 7e9 * 1.4e12)
    # GPU-hours divide the FLOPs MFU counts (PaLM App. B: 6 x matmul parameters + attention at
    # the layout's 4,096 tokens), for the shape the run is laid out with, as `plan --gpus` does.
    from scaling_cli import get_gpu
    from scaling_cli.planning.sections.run import run_plan

    shape = run_plan(7e9, values["flops"], get_gpu("h100-sxm"), 256).shape
    assert values["model_flops"] == pytest.approx(1.4e12 * shape.flops_per_token(4096) * 7e9 / shape.params)
    assert 1.0 < values["model_flops"] / values["flops"] < 1.2
    assert values["gpu_hours"] == pytest.approx(values["model_flops"] / (989.4e12 * 0.4 * 3600))
    assert values["days"] == pytest.approx(values["gpu_hours"] / 256 / 24)
    assert values["cost"] == pytest.approx(values["gpu_hours"] * 2.5)
    assert values["tokens_per_param"] == pytest.approx(200)
    assert 0 < values["compute_overhead"] < 1


def test_an_exceeded_limit_exits_1_and_says_which(cli, tmp_path):
    path = _write(tmp_path, RUN + "[limits]\nmax_gpu_hours = 10_000\nmax_loss = 2.5\n")
    result = cli("check", path)
    assert result.exit_code == 1
    words = " ".join(result.stdout.split())
    assert "OVER BUDGET" in words and "FAIL" in words and "max_gpu_hours" in words
    out = json.loads(cli("check", path, "--json").stdout)
    assert out["ok"] is False
    failed = [c for c in out["checks"] if not c["ok"]]
    assert [c["name"] for c in failed] == ["max_gpu_hours"] and failed[0]["margin"] < 0


def test_several_files_fail_if_any_fails(cli, tmp_path):
    good = _write(tmp_path, RUN + "[limits]\nmax_days = 30\n", "good.toml")
    bad = _write(tmp_path, RUN + "[limits]\nmin_tokens_per_param = 500\n", "bad.toml")
    assert cli("check", good).exit_code == 0
    result = cli("check", good, bad, "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert [f["ok"] for f in out["files"]] == [True, False]
    assert {c["file"] for c in out["checks"]} == {good, bad}


def test_warnings_fail_only_when_strict(cli, tmp_path):
    path = _write(tmp_path, 'params = "70B"\ntokens = "300B"\ngpus = 8\nmfu = 0.7\nunique_tokens = "50B"\n[limits]\nmax_flops = 1e30\n')
    result = cli("check", path)
    assert result.exit_code == 0
    words = " ".join(result.stdout.split())
    assert "far from compute-optimal" in words and "epochs" in words and "MFU 70%" in words and "does not fit" in words
    assert cli("check", path, "--strict").exit_code == 1
    out = json.loads(cli("check", path, "--json").stdout)
    warnings = out["files"][0]["warnings"]
    # The four above, and two range warnings: 70B parameters and 4.2e22 FLOPs are beyond the 182
    # runs Muennighoff et al. fitted their repetition terms on (8.67e9 parameters, 9.26e21 FLOPs).
    assert len(warnings) == 6
    assert sum("decades of extrapolation" in w and "muennighoff was fitted on" in w for w in warnings) == 2


def test_data_limits_use_the_data_constrained_law(cli, tmp_path):
    path = _write(tmp_path, RUN + 'unique_tokens = "200B"\n[limits]\nmax_epochs = 4\n')
    assert load_budget(path).law is None
    out = json.loads(cli("check", path, "--json").stdout)
    assert out["checks"][0]["value"] == pytest.approx(7.0) and out["ok"] is False


@pytest.mark.parametrize(
    "text, needle",
    [
        (RUN + "colour = 3\n", "line 7: unknown key 'colour'"),
        (RUN + "[limits]\nmax_speed = 3\n", "line 8: unknown key 'limits.max_speed'"),
        (RUN.replace("gpus = 256", 'gpus = "many"'), "line 4: key 'gpus'"),
        (RUN.replace("mfu = 0.4", "mfu = 1.5"), "line 5: key 'mfu'"),
        (RUN.replace("gpus = 256\n", "") + "[limits]\nmax_days = 30\n", "max_days: needs a GPU count"),  # gpus only where a limit needs it
        (RUN.replace('tokens = "1.4T"\n', ""), "exactly one of 'tokens' and 'flops'"),
        (RUN + "flops = 1e22\n", "exactly one of 'tokens' and 'flops'"),
        (RUN.replace("params =", "params = ="), "invalid TOML"),
        (RUN + "[limits]\nmax_cost = -5\n", "key 'limits.max_cost'"),
        (RUN.replace("price_per_gpu_hour = 2.5\n", "") + "[limits]\nmax_cost = 5\n", "needs a price per GPU-hour"),
        (RUN.replace('gpu = "h100-sxm"', 'gpu = "h900"'), "unknown GPU 'h900'"),
        (RUN + 'law = "nope"\n', "unknown law 'nope'"),
        (RUN + "[layout]\ntp = 0\n", "key 'layout.tp'"),
    ],
)
def test_invalid_budget_files_exit_2_with_file_and_key(cli, tmp_path, text, needle):
    path = _write(tmp_path, text)
    line = cli.error("check", path)
    assert path in line and needle in line
    assert "pydantic" not in line and "validation error" not in line.lower()


def test_missing_file_and_no_file(cli, tmp_path):
    assert "no such file" in cli.error("check", str(tmp_path / "absent.toml"))
    assert "give one or more budget files" in cli.error("check")


def test_limit_flags_on_plan_and_overtrain(cli):
    result = cli("plan", "--flops", "1e23", "--max-gpu-hours", "50000", "--json")
    assert result.exit_code == 1
    out = json.loads(result.stdout)  # still exactly one JSON object on stdout
    assert out["ok"] is False and out["checks"][0]["name"] == "max_gpu_hours"
    assert cli("plan", "--flops", "1e23", "--max-gpu-hours", "1e6", "--max-loss", "2.1").exit_code == 0
    assert "--price" in cli.error("plan", "--flops", "1e23", "--max-cost", "1000")
    assert "--gpus" in cli.error("plan", "--flops", "1e23", "--max-days", "10")
    over = cli("overtrain", "--params", "7e9", "--ratios", "20,200", "--max-compute-overhead", "0.5", "--json")
    assert over.exit_code == 1
    rows = {c["row"]: c["ok"] for c in json.loads(over.stdout)["checks"]}
    assert rows == {1: True, 2: False}
    assert cli("overtrain", "--params", "7e9", "--tokens", "140B", "--max-compute-overhead", "0.5").exit_code == 0
    mem = cli.json("plan", "--flops", "1e24", "--gpus", "1024", "--max-memory-per-gpu", "80e9")
    assert mem["ok"] is True


def test_budget_model_accepts_cli_number_forms():
    budget = BudgetFile(params="7B", tokens="1.4T", gpus="2k")
    assert (budget.params, budget.tokens, budget.gpus) == (7e9, 1.4e12, 2000)


def test_a_layout_that_disagrees_with_the_gpu_count_is_refused(cli, tmp_path):
    path = tmp_path / "budget.toml"
    path.write_text('params = "7B"\ntokens = "1T"\ngpus = 8\n[layout]\ndp = 256\ntp = 8\n')
    line = cli.error("check", str(path))
    assert str(path) in line and "2,048 GPUs" in line and "gpus = 8" in line


def test_check_in_markdown_for_a_ci_summary(cli, tmp_path):
    path = _write(tmp_path, 'params = "7B"\ntokens = "1T"\ngpus = 8\n[limits]\nmax_flops = 1e23\nmax_gpu_hours = 10\n')
    result = cli("check", path, "--format", "markdown")
    assert result.exit_code == 1  # max_gpu_hours is exceeded
    lines = result.stdout.splitlines()
    assert "| Limit | Allowed | Planned | Margin | Result |" in lines and "|---|---:|---:|---:|---|" in lines
    assert any(line.startswith("| `max_gpu_hours` |") and "**FAIL**" in line for line in lines)
    assert lines[-1].startswith("**1 budget file(s): a limit is exceeded")


def test_check_reports_every_file_and_reads_stdin(cli, tmp_path):
    good = _write(tmp_path, 'params = "7B"\ntokens = "1T"\n[limits]\nmax_flops = 1e23\n')  # no gpus: none needed here
    (tmp_path / "broken.toml").write_text("params = true\n")
    result = cli("check", good, str(tmp_path / "broken.toml"))
    assert result.exit_code == 2 and "max_flops" in result.stdout  # the good file is still reported
    assert "broken.toml" in result.stderr and result.stderr.count("\n") == 1
    piped = cli("check", "-", "--json", input=(tmp_path / "budget.toml").read_text())
    assert piped.exit_code == 0 and json.loads(piped.stdout)["files"][0]["file"] == "<stdin>"


def test_check_without_limits_says_so_and_strict_fails(cli, tmp_path):
    path = _write(tmp_path, 'params = "7B"\ntokens = "1T"\n')
    result = cli("check", path)
    assert result.exit_code == 0 and "no limits" in result.stdout
    assert cli("check", path, "--strict").exit_code == 1


def test_memory_limits_take_byte_units_and_refuse_a_bare_b(cli, tmp_path):
    gb = _write(tmp_path, 'params = "7B"\ntokens = "1T"\ngpus = 8\n[limits]\nmax_memory_per_gpu = "80GB"\n')
    assert json.loads(cli("check", gb, "--json").stdout)["checks"][0]["limit"] == 80e9
    (tmp_path / "gib.toml").write_text('params = "7B"\ntokens = "1T"\ngpus = 8\n[limits]\nmax_memory_per_gpu = "80GiB"\n')
    assert json.loads(cli("check", str(tmp_path / "gib.toml"), "--json").stdout)["checks"][0]["limit"] == 80 * 2**30
    (tmp_path / "b.toml").write_text('params = "7B"\ntokens = "1T"\ngpus = 8\n[limits]\nmax_memory_per_gpu = "80B"\n')
    assert "B alone means billions" in cli.error("check", str(tmp_path / "b.toml"))


def test_an_invalid_file_never_reads_as_all_limits_hold(cli, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[run]\nparams = 1\n")
    out = cli("check", broken)
    assert out.exit_code == 2 and "all limits hold" not in out.stdout and "could be checked" in out.stdout


LLAMA_8B_SHAPE = "[shape]\nlayers = 32\nd_model = 4096\nheads = 32\nkv_heads = 8\nd_ff = 14336\nvocab = 128256\n"


def test_a_budget_describes_the_model_as_users_have_it(cli, tmp_path):
    # Llama 3.1 8B's config.json: 8,030,261,248 parameters (facts.md E), untied 128K vocabulary.
    config = {
        "model_type": "llama",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "intermediate_size": 14336,
        "vocab_size": 128256,
        "tie_word_embeddings": False,
    }
    (tmp_path / "llama").mkdir()
    (tmp_path / "llama" / "config.json").write_text(json.dumps(config))
    run = 'tokens = "15T"\ngpus = 64\n[limits]\nmax_memory_per_gpu = "80GB"\n'
    by_config = evaluate(
        load_budget(_write(tmp_path, 'config = "llama/config.json"\n' + run, "config.toml")), str(tmp_path / "config.toml")
    )
    by_table = evaluate(
        load_budget(_write(tmp_path, LLAMA_8B_SHAPE.replace("[shape]", run.split("[limits]")[0] + "[shape]") + "[limits]\n", "table.toml"))
    )
    suggested = evaluate(load_budget(_write(tmp_path, "params = 8030261248\n" + run, "params.toml")))
    assert by_config.values["params"] == by_table.values["params"] == 8_030_261_248
    assert by_config.values["memory_per_gpu_bytes"] == pytest.approx(by_table.values["memory_per_gpu_bytes"])
    # The memory check lays out the real shape (128K vocabulary, GQA), not a suggested 32K one.
    from scaling_cli import get_gpu
    from scaling_cli.hardware.shape import Shape
    from scaling_cli.planning.sections.run import run_plan

    llama = Shape(layers=32, d_model=4096, heads=32, kv_heads=8, d_ff=14336, vocab=128256)
    flops = by_config.values["flops"]
    assert (
        by_config.values["memory_per_gpu_bytes"] == run_plan(llama.params, flops, get_gpu("h100-sxm"), 64, shape=llama).memory.total_bytes
    )
    assert suggested.values["memory_per_gpu_bytes"] == run_plan(llama.params, flops, get_gpu("h100-sxm"), 64).memory.total_bytes
    assert by_config.values["memory_per_gpu_bytes"] != suggested.values["memory_per_gpu_bytes"]
    # A rounded "8B" agrees with the shape; 7B does not, and says both numbers.
    assert (
        cli("check", _write(tmp_path, 'params = "8B"\n' + LLAMA_8B_SHAPE.replace("[shape]", 'tokens = "1T"\n[shape]'), "ok.toml")).exit_code
        == 0
    )
    message = cli.error("check", _write(tmp_path, 'params = "7B"\ntokens = "1T"\n' + LLAMA_8B_SHAPE, "bad.toml"))
    assert "params = 7e+09" in message and "8.03e+09" in message
    both = cli.error("check", _write(tmp_path, 'tokens = "1T"\nconfig = "x.json"\n' + LLAMA_8B_SHAPE, "both.toml"))
    assert "not both" in both
    missing = cli.error("check", _write(tmp_path, 'tokens = "1T"\n', "none.toml"))
    assert "give 'params'" in missing


def test_a_mixture_of_experts_budget_holds_every_expert(tmp_path):
    # Mixtral 8x7B's shape: 46.7B held, 12.9B active (its config.json). The law's N is the active
    # count; memory holds all 46.7B.
    text = (
        'tokens = "1T"\n[shape]\nlayers = 32\nd_model = 4096\nheads = 32\nkv_heads = 8\nd_ff = 14336\nvocab = 32000\n'
        'experts = 8\nexperts_per_token = 2\n[layout]\ndp = 8\nzero = 3\nrecompute = "selective"\nflash_attention = true\n'
    )
    values = evaluate(load_budget(_write(tmp_path, text, "moe.toml"))).values
    from scaling_cli import get_gpu
    from scaling_cli.hardware.memory import Layout, training_memory
    from scaling_cli.hardware.shape import Shape

    moe = Shape(layers=32, d_model=4096, heads=32, kv_heads=8, d_ff=14336, vocab=32000, experts=8, experts_per_token=2)
    assert values["params"] == moe.active_params
    layout = Layout(dp=8, zero=3, recompute="selective", flash_attention=True)
    assert values["memory_per_gpu_bytes"] == training_memory(moe.params, moe, get_gpu("h100-sxm"), layout).total_bytes


def test_paths_in_a_budget_file_resolve_against_the_file_wherever_check_runs(cli, tmp_path, monkeypatch):
    """#28: law, gpu and config are read from the budget file's folder, from any current
    directory; a relative path that leaves that folder is refused (give it absolutely)."""
    project = tmp_path / "proj"
    (project / "laws").mkdir(parents=True)
    (project / "budgets").mkdir()
    law = project / "laws" / "mine.toml"
    law.write_text((ROOT / "configs" / "laws" / "chinchilla.toml").read_text().replace('name = "chinchilla"', 'name = "mine"'))
    inside = project / "budgets" / "inside.toml"
    (project / "budgets" / "laws").mkdir()
    (project / "budgets" / "laws" / "mine.toml").write_text(law.read_text())
    inside.write_text('law = "laws/mine.toml"\nparams = "7B"\ntokens = "1T"\n')
    for where in (project / "budgets", tmp_path, Path("/")):
        monkeypatch.chdir(where)
        assert cli.json("check", inside)["ok"] is True
    outside = project / "budgets" / "outside.toml"
    outside.write_text('law = "../laws/mine.toml"\nparams = "7B"\ntokens = "1T"\n')
    assert "leaves the budget file's folder" in cli.error("check", outside)
    outside.write_text(f'law = "{law}"\nparams = "7B"\ntokens = "1T"\n')  # absolutely: allowed
    assert cli.json("check", outside)["ok"] is True
