"""The `scale` commands through Typer's test runner: outputs, JSON contracts, every error path."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, TEST_DATA

from scaling_cli.cli.app import app

PLAN_KEYS = {"law", "flops", "params", "tokens", "tokens_per_param", "loss", "gpu", "mfu", "gpu_hours", "variants"}
VARIANT_KEYS = {"params", "tokens", "tokens_per_param", "loss", "loss_penalty", "compute_overhead"}
OVERTRAIN_KEYS = {"params", "law", "loss_floor", "rows"}
ROW_KEYS = {
    "tokens",
    "tokens_per_param",
    "flops",
    "gpu_hours",
    "loss",
    "optimal_params",
    "optimal_tokens",
    "optimal_flops",
    "compute_overhead",
    "breakeven_inference_tokens",
}


def test_plan_json_contract(cli):
    out = cli.json("plan", "--flops", "1e23")
    assert out["schema_version"] == 2
    assert set(out) >= PLAN_KEYS
    assert out["law"] == "chinchilla" and out["gpu"] == "h100-sxm" and out["mfu"] == 0.4
    assert out["flops"] == 1e23
    assert 6 * out["params"] * out["tokens"] == pytest.approx(1e23)
    assert len(out["variants"]) == 6
    for variant in out["variants"]:
        assert set(variant) >= VARIANT_KEYS
    assert out["variants"][0]["compute_overhead"] is None  # unreachable: JSON null


def test_plan_table_shows_the_answer(cli):
    result = cli("plan", "--flops", "1e23")
    assert result.exit_code == 0
    words = " ".join(result.stdout.split())  # Rich wraps long lines at the terminal width
    # 76.2k GPU-hours: 6ND alone is 70.2k; MFU's FLOPs add attention at 4,096-token sequences (+8.5 %, #26)
    for text in ("29.5B", "565B", "19.2", "2.0315", "76.2k", "h100-sxm", "unreachable", "de Vries"):
        assert text in words
    assert result.stderr == ""


def test_plan_budget_forms_agree(cli):
    by_flops = cli.json("plan", "--flops", "1e23")
    hours = by_flops["gpu_hours"]
    by_hours = cli.json("plan", "--gpu-hours", str(hours))
    assert by_hours["flops"] == pytest.approx(1e23)
    by_days = cli.json("plan", "--gpus", "1000", "--days", str(hours / 1000 / 24))
    # GPUs x days is a time budget, as GPU-hours are: every plan counts what MFU counts (attention
    # too, #26), for the same shape here, so the same hours buy the same run.
    assert by_days["days"] == pytest.approx(hours / 1000 / 24, rel=1e-6)
    assert by_days["model_flops"] == pytest.approx(by_flops["model_flops"], rel=1e-6)
    assert by_days["flops"] == pytest.approx(1e23, rel=1e-4)
    assert by_flops["model_flops"] > 1.03e23


def test_plan_days_and_cost(cli):
    out = cli.json("plan", "--flops", "1e23", "--gpus", "512", "--price", "2.5", "--gpu", "a100-80gb", "--mfu", "45%")
    assert out["mfu"] == 0.45
    # With GPUs the plan has a shape and counts what MFU counts (matmuls and attention).
    assert out["gpu_hours"] == pytest.approx(out["model_flops"] / (312e12 * 0.45 * 3600))
    without = cli.json("plan", "--flops", "1e23", "--gpu", "a100-80gb", "--mfu", "45%")  # a default shape's count (#26)
    assert without["gpu_hours"] == pytest.approx(without["model_flops"] / (312e12 * 0.45 * 3600)) and without["model_flops"] > 1e23
    assert out["days"] == pytest.approx(out["gpu_hours"] / 512 / 24)
    assert out["cost"] == pytest.approx(out["gpu_hours"] * 2.5)


def test_plan_under_an_allocation_law_has_null_loss(cli):
    out = cli.json("plan", "--flops", "3.8e25", "--law", "llama3")
    assert out["loss"] is None
    assert out["tokens"] == pytest.approx(16.29e12, rel=2e-3)  # Fig. 3's fitted line
    table = cli("plan", "--flops", "3.8e25", "--law", "llama3").stdout
    assert "no loss form" in table


def test_plan_with_a_law_file(cli):
    out = cli.json("plan", "--flops", "1e22", "--law", str(TEST_DATA / "devries.toml"))
    assert out["law"] == "devries"


def test_overtrain_json_contract(cli):
    out = cli.json("overtrain", "--params", "7e9")
    assert out["schema_version"] == 2
    assert set(out) >= OVERTRAIN_KEYS
    assert [row["tokens_per_param"] for row in out["rows"]] == pytest.approx([20, 50, 100, 200, 500, 1000])
    for row in out["rows"]:
        assert set(row) >= ROW_KEYS
    assert out["rows"][0]["breakeven_inference_tokens"] is None  # 20 tokens/param: not the smaller model


def test_overtrain_ratios_tokens_and_target(cli):
    out = cli.json("overtrain", "--params", "7B", "--ratios", "10,100")
    assert [row["tokens"] for row in out["rows"]] == pytest.approx([70e9, 700e9])
    out = cli.json("overtrain", "--params", "7B", "--tokens", "1T,2.5T", "--target-loss", "2.1")
    assert len(out["rows"]) == 3 and out["target_loss"] == 2.1
    target = next(row for row in out["rows"] if row["tokens"] == out["target_tokens"])
    assert target["loss"] == pytest.approx(2.1)
    table = cli("overtrain", "--params", "7e9").stdout
    assert "Loss floor" in table and "1.9983" in table


def test_loss_json_maps_each_law(cli):
    out = cli.json("loss", "--params", "7e9", "--tokens", "2e12")
    assert out.pop("schema_version") == 2
    assert out["llama3"] is None and out["deepseek"] is None
    assert out["chinchilla"] == pytest.approx(2.0642, abs=1e-4)
    only = cli.json("loss", "--params", "7e9", "--tokens", "2e12", "--law", "kaplan")
    assert set(only) == {"schema_version", "kaplan", "warnings"}
    assert any("kaplan was fitted on" in w for w in only["warnings"])  # 7e9 > its 1.5e9 non-embedding params
    table = " ".join(cli("loss", "--params", "7e9", "--tokens", "2e12").stdout.split())
    assert "no loss form" in table and "non-embedding" in table


def test_laws_and_gpus(cli):
    laws = cli.json("laws")["laws"]
    assert next(law["name"] for law in laws) == "chinchilla"
    assert all(law["citation"] for law in laws)
    assert "Epoch" in cli("laws").stdout
    detail = cli("laws", "hoffmann-approach3")
    assert detail.exit_code == 0 and "Table 3" in detail.stdout
    gpus = {gpu["name"]: gpu for gpu in cli.json("gpus")["gpus"]}
    required = {"a100-40gb", "a100-80gb", "h100-sxm", "h100-pcie", "h200", "b200", "mi300x", "tpu-v5p"}
    assert required <= set(gpus)
    assert gpus["h100-sxm"]["peak_flops"] == 989.4e12  # dense, not the 1,979 sparse figure
    assert all(gpu["source"] for gpu in gpus.values())
    assert "989.4" in cli("gpus").stdout


@pytest.mark.parametrize(
    "args, needle",
    [
        (["plan", "--flops", "0"], "'--flops'"),
        (["plan", "--flops", "-1"], "got '-1'"),
        (["plan", "--flops", "nan"], "'nan'"),
        (["plan", "--flops", "inf"], "'inf'"),
        (["plan", "--flops", "banana"], "'banana'"),
        (["plan", "--flops", "1e400"], "finite"),
        (["plan"], "exactly one budget"),
        (["plan", "--flops", "1e23", "--gpu-hours", "10"], "exactly one budget"),
        (["plan", "--days", "3"], "--days needs --gpus"),
        (["plan", "--flops", "1e23", "--law", "nope"], "unknown law 'nope'"),
        (["plan", "--flops", "1e23", "--gpu", "tpu-v99"], "unknown GPU 'tpu-v99'"),
        (["plan", "--flops", "1e23", "--mfu", "1.5"], "'--mfu'"),
        (["plan", "--flops", "1e23", "--mfu", "0"], "'--mfu'"),
        (["plan", "--flops", "1e23", "--gpus", "2.5"], "whole number"),
        (["plan", "--flops", "1e23", "--price", "-3"], "'--price'"),
        (["plan", "--flops", "1e23", "--law", "/nonexistent/law.toml"], "no such file"),
        (["plan", "--flops"], "requires an argument"),
        (["plan", "--bogus"], "No such option"),
        (["overtrain"], "Missing option '--params'"),
        (["overtrain", "--params", "0"], "'--params'"),
        (["overtrain", "--params", "7e9", "--ratios", "20,,50"], "--ratios"),
        (["overtrain", "--params", "7e9", "--ratios", "20,-5"], "--ratios"),
        (["overtrain", "--params", "7e9", "--ratios", "20", "--tokens", "1T"], "not both"),
        (["overtrain", "--params", "7e9", "--target-loss", "1.5"], "unreachable"),
        (["overtrain", "--params", "7e9", "--target-loss", "2", "--law", "llama3"], "no loss form"),
        (["loss", "--params", "7e9"], "Missing option '--tokens'"),
        (["loss", "--params", "7e9", "--tokens", "-1"], "'--tokens'"),
        (["laws", "nope"], "unknown law"),
        (["frobnicate"], "No such command"),
    ],
)
def test_every_bad_input_is_one_line_and_exit_2(cli, args, needle):
    assert needle in cli.error(*args)


def test_malformed_law_file_through_the_cli(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "x"\ntitle = "x"\nkind = "parametric"\ncitation = "c"\n[loss]\nform = "chinchilla"\nE = 1\nA = 1\nB = 1\nalpha = 0.3\n'
    )
    line = cli.error("plan", "--flops", "1e23", "--law", str(path))
    assert str(path) in line and "missing key 'loss.beta'" in line


def test_help_works_everywhere(cli):
    for command in ([], ["plan"], ["overtrain"], ["loss"], ["laws"], ["gpus"]):
        result = cli(*command, "--help")
        assert result.exit_code == 0 and "Usage" in result.stdout


def _installed_scale():
    found = shutil.which("scale", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    if found is None:
        pytest.skip("the `scale` console script is not installed: run `pip install .` first")
    return found


def test_installed_scale_runs_as_a_subprocess():
    scale = _installed_scale()
    done = subprocess.run([scale, "plan", "--flops", "1e23", "--json"], capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # exactly one JSON object on stdout
    assert out["law"] == "chinchilla" and 15 < out["tokens_per_param"] < 25
    bad = subprocess.run([scale, "plan", "--flops", "banana"], capture_output=True, text=True, timeout=60, cwd="/")
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "banana" in bad.stderr


def test_python_dash_m_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "scaling_cli", "gpus", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gpus"]


def test_version_help_examples_and_markup(cli):
    from scaling_cli import __version__

    assert cli("--version").stdout.strip() == f"scale {__version__}"
    for command in (
        "plan",
        "overtrain",
        "loss",
        "laws",
        "gpus",
        "fit",
        "sweep",
        "shape",
        "memory",
        "mfu",
        "check",
        "pattern",
        "compare",
        "curve",
    ):
        text = cli(command, "--help").stdout
        assert "Examples:" in text and f"scale {command}" in text, command
        assert "<bool>" not in text, command  # --help included
    assert "start here" in cli("--help").stdout
    plan_help = " ".join(cli("plan", "--help").stdout.split())
    assert "'.[plot]'" in plan_help and "[default: chinchilla" in plan_help  # square brackets survive Rich markup


def test_check_prints_its_example_file(cli):
    from conftest import ROOT

    out = cli("check", "--example")
    assert out.exit_code == 0 and out.stdout == (ROOT / "configs" / "budget.example.toml").read_text()
    assert "budget file" in cli.error("check")


def test_shell_completion_offers_values(cli):
    # Typer's completion protocol, as the script `scale --install-completion` installs calls it:
    # once through the installed console script, the rest in-process (the same protocol, by env).
    def protocol(words: str) -> dict[str, str]:
        cword = len(words.split()) - (0 if words.endswith(" ") else 1)
        return {"_SCALE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}

    def complete(words: str) -> list[str]:
        result = cli.runner.invoke(app, [], env=protocol(words), prog_name="scale")
        assert result.exit_code == 0, result.stderr
        return result.stdout.split()

    assert {"h100-sxm", "h100-pcie", "h100-nvl"} <= set(complete("scale plan --gpu h1"))
    assert complete("scale plan --law chin") == ["chinchilla"]
    assert set(complete("scale fit runs.csv --method ")) == {"parametric", "isoflop", "envelope"}
    assert complete("scale plan --task mm") == ["mmlu"] and complete("scale fit x.csv --form rou") == ["routed"]
    assert "clark-sbase" in complete("scale laws clark")
    # Files: no values, so the shell's own file-name completion runs (bash -o default, zsh _files).
    assert complete("scale fit ru") == [] and complete("scale plan --law ./my") == []
    scale = shutil.which("scale", path=os.path.dirname(sys.executable))
    if scale is None:
        pytest.skip("the scale console script is not installed beside this interpreter")
    installed = subprocess.run([scale], env={**os.environ, **protocol("scale plan --gpu h1")}, capture_output=True, text=True)
    assert installed.stdout.split() == complete("scale plan --gpu h1")


def test_plan_and_fit_print_markdown_for_ci_summaries(cli, tmp_path):
    out = cli("plan", "--flops", "1e23", "--task", "mmlu", "--max-gpu-hours", "1e4", "--format", "markdown")
    assert out.exit_code == 1  # the limit fails, as in text output
    assert "### Compute-optimal plan under `chinchilla`" in out.stdout and "| Budget | 1.00e23 FLOPs |" in out.stdout
    assert "| `max_gpu_hours` |" in out.stdout and "**FAIL**" in out.stdout and "ladder-mmlu" in out.stdout
    from scaling_cli.fitting.simulate import synthetic_runs

    runs = synthetic_runs(seed=1)
    path = tmp_path / "runs.csv"
    path.write_text("params,tokens,loss\n" + "".join(f"{n},{d},{loss}\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss)))
    fit = cli("fit", path, "--bootstrap", "50", "--holdout", "4", "--predict-flops", "1e21", "--format", "markdown", "-q")
    assert fit.exit_code == 0, fit.stderr
    assert "| alpha |" in fit.stdout and "**Held-out check:**" in fit.stdout and "(compute-optimal)" in fit.stdout
    assert "not both" in cli.error("plan", "--flops", "1e23", "--format", "markdown", "--json")
    assert "expected text or markdown" in cli.error("plan", "--flops", "1e23", "--format", "html")


def test_titles_do_not_wrap_before_the_terminal_does():
    # #17: "under\nmuennighoff" at 110 columns: Rich wrapped a title at its table's width.
    from typer.testing import CliRunner

    out = CliRunner().invoke(app, ["overtrain", "--params", "7e9", "--unique-tokens", "1e11"], env={"COLUMNS": "110"}).stdout
    assert "Over-training a 7.00B-parameter model under muennighoff\n" in out


def test_precision_fp8_plans_at_the_datasheet_fp8_peak(cli):
    # H100 SXM datasheet: FP8 3,958 TFLOPS with sparsity, 1,979 dense (../shared/reference/facts.md, NVIDIA table).
    bf16 = cli.json("plan", "--flops", "1e23")
    fp8 = cli.json("plan", "--flops", "1e23", "--precision", "fp8")
    assert fp8["precision"] == "fp8" and bf16["precision"] == "bf16"
    assert bf16["gpu_hours"] / fp8["gpu_hours"] == pytest.approx(1978.9 / 989.4)
    assert any("FP8 peak" in note for note in fp8["notes"])
    # A time budget buys twice the FLOPs at the FP8 peak, at the same MFU.
    assert (
        cli.json("plan", "--gpus", "64", "--days", "10", "--precision", "fp8")["flops"]
        > 1.9 * cli.json("plan", "--gpus", "64", "--days", "10")["flops"]
    )
    assert "no FP8 peak" in cli.error("plan", "--flops", "1e23", "--gpu", "a100-80gb", "--precision", "fp8")
    assert cli.json("overtrain", "--params", "7e9", "--precision", "fp8")["precision"] == "fp8"
    assert "expected bf16 or fp8" in cli.error("plan", "--flops", "1e23", "--precision", "fp4")


def test_memory_names_the_real_cause_when_no_micro_batch_fits(cli):
    # #11: `memory --pp 4` on a model whose states fit and whose activations do not said "the
    # model states alone fill the GPU".
    out = " ".join(cli("memory", "--params", "7e9", "--pp", "4", "--gpu", "a100-40gb", "--micro-batch", "16").stdout.split())
    # The suggested 7B shape has 33 layers: pp 4 gives stages of up to 9, the fullest holding
    # 9 x 4 / 33 of a quarter of the 112 GB of state.
    states = 112 / 4 * 9 * 4 / 33
    assert f"the model states ({states:.1f} GB) leave {40 - states:.1f} GB, less than one sequence's activations" in out
    assert "the model states alone" not in out
    big = " ".join(cli("memory", "--params", "70e9", "--gpu", "a100-40gb").stdout.split())
    assert "the model states alone (1,120.0 GB) fill the GPU" in big


def test_json_writes_every_non_finite_float_as_null(capsys):
    """A model's typed float, a tuple's and a list's, and a plain float: NaN and infinities are
    null in the one JSON object (json.dumps would refuse them: allow_nan=False)."""
    import math
    from typing import Any

    from pydantic import BaseModel

    from scaling_cli.cli.output import emit_json

    class Result(BaseModel):
        value: float = math.nan
        anything: Any = math.inf
        interval: tuple[float, float] | None = (math.nan, 1.0)
        samples: list[float] = [-math.inf, 2.0]

    emit_json({"result": Result(), "plain": math.nan, "results": [Result()]})
    out = json.loads(capsys.readouterr().out)
    expected = {"value": None, "anything": None, "interval": [None, 1.0], "samples": [None, 2.0]}
    assert out["result"] == expected and out["results"] == [expected] and out["plain"] is None


def test_a_command_named_first_imports_only_its_own_module():
    """`scale plan ...` imports cli/commands/plan.py, not fit's, curve's or check's (#30, start-up);
    `scale --help` and a typo still see every command."""
    code = (
        "import sys\nfrom scaling_cli.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('scaling_cli.cli.commands.')), file=sys.stderr)"
    )
    one = subprocess.run([sys.executable, "-c", code, "plan", "--flops", "1e23", "--json"], capture_output=True, text=True)
    assert json.loads(one.stdout)["flops"] == 1e23
    assert one.stderr.strip() == "['plan']"
    typo = subprocess.run([sys.executable, "-c", code, "plna"], capture_output=True, text=True)
    assert "Did you mean 'plan'?" in typo.stderr and "'fit'" in typo.stderr and "'curve'" in typo.stderr


MARKDOWN_CASES = {
    "overtrain": ["--params", "7e9"],
    "loss": ["--params", "7e9", "--tokens", "1.4e12"],
    "laws": [],
    "gpus": [],
    "sweep": ["--min-flops", "1e18", "--max-flops", "1e20", "--budgets", "2", "--sizes", "3"],
    "shape": ["--params", "7e9"],
    "memory": ["--params", "7e9"],
    "mfu": ["--params", "7e9", "--tokens-per-second", "1e5", "--gpus", "8"],
    "example": [],
}


@pytest.mark.parametrize("command", sorted(MARKDOWN_CASES))
def test_every_table_command_speaks_markdown(cli, command):
    """#29: --format markdown on every command with tables: Markdown tables, no box drawing, every
    warning and note kept (the plan, fit and check summaries are tested with their commands)."""
    args = [command, *MARKDOWN_CASES[command]]
    text, markdown = cli(*args), cli(*args, "--format", "markdown")
    assert markdown.exit_code == text.exit_code
    assert "|---|" in markdown.stdout and not any(box in markdown.stdout for box in "┏━┃│└─")
    for line in text.stdout.splitlines():
        if line.startswith(("Warning:", "Note:")):
            assert line.split(":", 1)[1].split()[0] in markdown.stdout
    assert cli(*args, "--format", "markdown", "--json").exit_code == 2


def test_every_command_with_tables_has_the_format_option():
    from typer.main import get_command

    from scaling_cli.cli.app import app

    with_format = {name for name, command in get_command(app).commands.items() if any("--format" in p.opts for p in command.params)}
    assert set(MARKDOWN_CASES) | {"plan", "fit", "check", "pattern", "compare", "curve"} == with_format


@pytest.mark.parametrize(
    "args",
    [
        *([name, *rest] for name, rest in sorted(MARKDOWN_CASES.items())),
        ["plan", "--flops", "1e23", "--gpus", "64"],
        [
            "fit",
            str(ROOT / "configs" / "examples" / "gadre2024_openlm.csv"),
            "--columns",
            "loss=loss_c4_val",
            "--where",
            "train_dataset=rpj",
        ]
        + ["--holdout", "3", "--bootstrap", "50", "--predict-flops", "1e22", "--predict", "1e9,2e10"],
    ],
    ids=lambda args: args[0],
)
def test_an_80_column_terminal_never_cuts_a_value(args):
    """#29: at 80 columns nothing is cut with an ellipsis; a table too wide loses whole columns in
    its stated order, named in its caption (the held-out check: Tokens, then FLOPs)."""
    from typer.testing import CliRunner

    from scaling_cli.cli.app import app

    result = CliRunner().invoke(app, args, env={"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code in (0, 1), result.stderr
    assert "…" not in result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    if args[0] == "fit":
        assert "Left out at 80 columns: Tokens, FLOPs" in result.stdout


def test_help_names_every_value_and_argument_plainly():
    """#29: no `<str>` type labels, no `{RUNS}` in the usage line: values are named (FORMAT, RUNS)."""
    from conftest import load_script

    reference = load_script("scripts/docs_pages.py").cli_page()
    assert "<str>" not in reference and "<float>" not in reference and "<int>" not in reference
    assert "{RUNS}" not in reference and "Usage: scale fit [OPTIONS] RUNS" in reference
    assert "Usage: scale check [OPTIONS] [BUDGET...]\n" in reference


def test_help_at_80_columns_cuts_no_option_name():
    """#29: Rich's help panels cut names at 80 columns (`--no-flash-att…`); below 100 columns the
    help is click's plain text, wrapped whole; at 100 and more, the panels."""
    from typer.testing import CliRunner

    from scaling_cli.cli.app import COMMANDS, app

    for name, _ in COMMANDS:
        narrow = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"})
        assert narrow.exit_code == 0 and "…" not in narrow.stdout, name
        assert all(len(line) <= 80 for line in narrow.stdout.splitlines()), name
    wide = CliRunner().invoke(app, ["memory", "--help"], env={"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"})
    assert "╭─ Options" in wide.stdout and "--no-flash-attention" in wide.stdout
    narrow = CliRunner().invoke(app, ["memory", "--help"], env={"COLUMNS": "80", "NO_COLOR": "1", "TERM": "dumb"})
    assert "--flash-attention / --no-flash-attention" in narrow.stdout


def test_every_cross_reference_in_the_help_names_a_real_command_and_option():
    """#29: `fit --help` pointed at `scale laws --forms`, an option that did not exist."""
    import re

    from conftest import load_script
    from typer.main import get_command

    from scaling_cli.cli.app import app

    commands = get_command(app).commands
    reference = load_script("scripts/docs_pages.py").cli_page()
    found = re.findall(r"`scale ([a-z-]+)([^`]*)`", reference)
    assert len(found) >= 5
    for name, rest in found:
        assert name in commands, name
        options = {opt for param in commands[name].params for opt in (*param.opts, *param.secondary_opts)}
        for option in re.findall(r"(?<!\S)(--?[a-z][a-z-]*)", rest):
            assert option in options, f"`scale {name}{rest}`: {option}"
