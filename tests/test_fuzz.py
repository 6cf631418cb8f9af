"""A tool that never breaks: random argv and random budget files thrown at every command.

The suite runs 300 seeded argv (derandomized: the same cases every run); bench/fuzz.py runs a
longer campaign (SCALE_FUZZ_EXAMPLES=5000).

Whatever comes in: the exit code is 0, 1 or 2; nothing prints a traceback; and with --json,
an exit of 0 or 1 leaves exactly one JSON object on stdout.
"""

import json
import os

import pytest
from conftest import ROOT, TEST_DATA, synthetic_runs, write_runs_csv, write_small_curves_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VALUES = [
    "1e23",
    "7e9",
    "7B",
    "1.4T",
    "300M",
    "2.5k",
    "1_000_000",
    "0",
    "-1",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "1e-30",
    "banana",
    "",
    " ",
    "0.4",
    "40%",
    "150%",
    "2",
    "3",
    "8",
    "1e6",
    "1e9",
    "20,50,100",
    "1T,2T",
    ",,",
    "chinchilla",
    "kaplan",
    "llama3",
    "muennighoff",
    "h100-sxm",
    "a100-80gb",
    "nope",
    "huber",
    "lsq",
    "isoflop",
    "envelope",
    "selective",
    "full",
    "adamw-8bit",
    "int4",
    "1-5",
    "params=x",
    str(TEST_DATA / "devries.toml"),
    str(TEST_DATA / "configs" / "mixtral-8x7b.json"),
    str(ROOT / "configs" / "budget.example.toml"),
    "/nonexistent",
    str(ROOT),
    "☃",
    # The hostile campaign's classes: denormal, huge and overlong numbers, other scripts' digits,
    # ranges too long to expand, names longer than a file name may be.
    "4e-324",
    "1e-300",
    "1e308",
    "9" * 30,
    "١e23",
    "１e23",
    "1-300000000",
    "1-10000000",
    "x" * 300,
    "true",
    "7B,",
]


@pytest.fixture(autouse=True, scope="module")
def _in_a_scratch_folder(tmp_path_factory):
    """Random argv name output files (`--curve-out 40%`): they land in a scratch folder, not the checkout."""
    before = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(before)


def _runs_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "runs.csv"
    return str(write_runs_csv(path, synthetic_runs(seed=0, sizes=6)))


def assert_well_behaved(result, argv):
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, output[-2000:])
    assert "Traceback" not in output, (argv, output[-2000:])
    if "--json" in argv and "--help" not in argv and result.exit_code in (0, 1):
        assert isinstance(json.loads(result.stdout), dict), argv
    if result.exit_code == 2:
        assert result.stderr.strip().count("\n") == 0, (argv, result.stderr)
        assert len(result.stderr) < 1000, (argv, result.stderr[:200])


NUMBERS = ["1e23", "7e9", "7B", "1.4T", "300M", "1e18", "1e20", "1e26", "5e21", "2", "100", "2.5k"]
LOSSES = ["1.5", "1.9", "2.05", "2.1", "2.5", "3"]
COUNTS = ["1", "2", "4", "8", "16", "64", "1024"]
FRACTIONS = ["0.3", "0.4", "50%", "1"]
TYPED = {
    "--flops": NUMBERS,
    "--gpu-hours": NUMBERS,
    "--days": ["1", "30", "0.5"],
    "--gpus": COUNTS,
    "--price": ["2.5", "0.1"],
    "--law": ["chinchilla", "kaplan", "llama3", "deepseek", "muennighoff", "hoffmann-approach3", str(TEST_DATA / "sardana.toml")],
    "--gpu": ["h100-sxm", "a100-80gb", "tpu-v5p", "mi300x"],
    "--mfu": FRACTIONS,
    "--target-loss": LOSSES,
    "--unique-tokens": ["1e9", "25e9", "1e12"],
    "--inference-tokens": ["0", "1e12", "1e14"],
    "--synthetic-price": ["2"],
    "--seq": ["512", "2048", "8192"],
    "--params": NUMBERS,
    "--tokens": NUMBERS + ["1T,2T"],
    "--ratios": ["20,50", "1,1000", "0.5"],
    "--min-flops": ["1e17", "1e18"],
    "--max-flops": ["1e19", "1e20"],
    "--budgets": ["1", "2", "3"],
    "--sizes": ["3", "5"],
    "--span": ["2", "4"],
    "--vocab": ["32000", "128256", "1000"],
    "--method": ["parametric", "isoflop", "envelope"],
    "--loss": ["huber", "lsq"],
    "--holdout": ["0", "2", "5"],
    "--at": NUMBERS,
    "--buckets": ["2", "4"],
    "--columns": ["params=params", "loss=loss"],
    "--exclude": ["1-3", "2"],
    "--layers": ["2", "32", "80"],
    "--d-model": ["256", "4096", "8192"],
    "--heads": ["4", "32", "64"],
    "--kv-heads": ["1", "8"],
    "--d-ff": ["1024", "11008"],
    "--experts": ["1", "8", "64", "0"],
    "--experts-per-token": ["1", "2"],
    "--config": [str(TEST_DATA / "configs" / "llama-3.1-8b.json")],
    "--zero": ["0", "1", "3"],
    "--dp": COUNTS,
    "--tp": ["1", "2", "8"],
    "--pp": ["1", "4"],
    "--micro-batch": ["1", "4"],
    "--recompute": ["none", "selective", "full"],
    "--optimizer": ["adamw", "adamw-8bit", "sgd"],
    "--batch": ["1", "32"],
    "--weights": ["bf16", "fp8", "int4"],
    "--tokens-per-second": ["1e5", "3800"],
    "--tokens-per-second-per-gpu": ["380"],
    "--max-gpu-hours": NUMBERS,
    "--max-cost": NUMBERS,
    "--max-loss": LOSSES,
    "--min-tokens-per-param": ["10"],
    "--max-compute-overhead": ["0", "0.5"],
    "--max-memory-per-gpu": ["80e9"],
    "--max-epochs": ["4"],
    "--max-days": ["10"],
    "--router": ["s-base", "hash", "nope"],
    "--top-k": ["1", "2", "9"],
    "--task": ["mmlu", "gadre-avg17", "piqa", "nope"],
    "--ep": ["1", "2", "8"],
    "--form": ["routed", "context", "chinchilla", "nope"],
    "--where": ["params=1", "x", "loss=a,b"],
    "--x": ["flops", "params", "nope"],
    "--direction": ["up", "down", "sideways"],
    "--cp": ["1", "2", "16", "3"],
    "--lora-rank": ["1", "8", "64"],
    "--inference-mfu": ["0.05", "20%", "1"],
    "--slow": ["0.01", "-1"],
    "--chance": ["0", "0.25", "-1"],
    "--by": ["params", "nope"],
    "--label": ["a", "b"],
    "--metric": ["loss", "nope"],
    "--via": ["loss", "params"],
    "--fix": ["E=1", "x=", "a=b"],
}


def _option_table() -> tuple[dict[str, list[str]], list[str]]:
    """Every command's options that take a value, and every switch, read off the app itself
    (#28: the fuzz covers every command and option, a new one included without an edit here)."""
    from typer.main import get_command

    from scaling_cli.cli.app import app

    options: dict[str, list[str]] = {}
    switches: set[str] = set()
    for name, command in get_command(app).commands.items():
        taking = []
        for param in command.params:
            if param.param_type_name != "option":
                continue
            if param.is_flag:
                switches.update(param.opts + param.secondary_opts)
            else:
                taking.append(max(param.opts, key=len))
        options[name] = sorted(taking)
    return options, sorted(switches - {"-h"}) + ["--help"]


OPTIONS, SWITCHES = _option_table()
SLOW_COMMANDS = {"curve"}
"""Seconds a call (its backtests): fuzzed by their own test, with fewer examples."""
COMMANDS = sorted(set(OPTIONS) - SLOW_COMMANDS)
FLAGS = sorted({flag for flags in OPTIONS.values() for flag in flags}) + ["--bogus", "-x"]
BASE = {
    "plan": ["--flops", "1e23"],
    "overtrain": ["--params", "7e9"],
    "loss": ["--params", "7e9", "--tokens", "2e12"],
    "sweep": ["--min-flops", "1e18", "--max-flops", "1e20", "--budgets", "2", "--sizes", "3"],
    "shape": ["--params", "7e9"],
    "memory": ["--params", "7e9"],
    "mfu": ["--params", "7e9", "--tokens-per-second", "1e5"],
    "check": [str(ROOT / "configs" / "budget.example.toml")],
}


@st.composite
def argv_for_a_command(draw):
    """Mostly valid flags of the command with mostly typed values, so that runs get past parsing;
    and now and then a junk flag, a junk value, or a missing base option."""
    command = draw(st.sampled_from(COMMANDS))
    argv = [command] + (list(BASE.get(command, [])) if draw(st.integers(0, 9)) else [])
    for _ in range(draw(st.integers(0, 4))):
        flag = draw(st.sampled_from(OPTIONS[command])) if OPTIONS[command] and draw(st.integers(0, 9)) else draw(st.sampled_from(FLAGS))
        typed = TYPED.get(flag)
        value = draw(st.sampled_from(typed)) if typed and draw(st.integers(0, 6)) else draw(st.sampled_from(VALUES))
        argv += [flag, value]
    argv += draw(st.lists(st.sampled_from(SWITCHES), max_size=2))
    return argv


KEYS = [
    "law",
    "params",
    "tokens",
    "flops",
    "gpu",
    "gpus",
    "mfu",
    "price_per_gpu_hour",
    "unique_tokens",
    "inference_tokens",
    "config",
    "colour",
]
LIMIT_KEYS = [
    "max_flops",
    "max_gpu_hours",
    "max_days",
    "max_cost",
    "max_loss",
    "min_tokens_per_param",
    "max_tokens_per_param",
    "max_compute_overhead",
    "max_memory_per_gpu",
    "max_epochs",
    "max_speed",
]
TOML_VALUES = [
    '"7B"',
    '"1.4T"',
    "7e9",
    "1.4e12",
    "256",
    "0.4",
    "-3",
    "0",
    '"banana"',
    "true",
    "[1, 2]",
    '"h100-sxm"',
    '"chinchilla"',
    '"nope"',
    "1e400",
    "nan",
    "inf",
    "{ a = 1 }",
    "= 3",
]


@settings(
    max_examples=int(os.environ.get("SCALE_FUZZ_EXAMPLES", 300)),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=argv_for_a_command())
def test_random_argv_never_break(cli, tmp_path_factory, argv):
    if argv[0] == "fit" and (len(argv) == 1 or argv[1].startswith("-")):
        argv = ["fit", _runs_file(tmp_path_factory), "--bootstrap", "0", "-q"] + argv[1:]
    if argv[0] == "pattern":
        argv = ["pattern", _runs_file(tmp_path_factory), "--metric", "loss"] + argv[1:]
    if argv[0] == "compare":
        argv = ["compare", _runs_file(tmp_path_factory), _runs_file(tmp_path_factory), "--bootstrap", "0"] + argv[1:]
    assert_well_behaved(cli(*argv), argv)


def _curves_file(tmp_path_factory):
    return str(write_small_curves_csv(tmp_path_factory.mktemp("fuzz") / "curves.csv"))


CURVE_VALUES = ["a", "c", "nope", "step=step", "run=run,loss=loss", "cosine:total=9000,peak=3e-4", "p=cosine:total=9000,peak=3e-4"]


@settings(
    max_examples=int(os.environ.get("SCALE_FUZZ_EXAMPLES", 300)) // 25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    options=st.lists(st.tuples(st.sampled_from(OPTIONS["curve"] + ["--bogus"]), st.sampled_from(CURVE_VALUES + VALUES)), max_size=3),
    switches=st.lists(st.sampled_from(SWITCHES), max_size=2),
)
def test_random_curve_argv_never_break(cli, tmp_path_factory, options, switches):
    """`scale curve` (seconds a call: its backtests), with fewer examples than the other commands."""
    argv = ["curve", _curves_file(tmp_path_factory)] + [part for pair in options for part in pair] + switches
    assert_well_behaved(cli(*argv), argv)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    run=st.dictionaries(st.sampled_from(KEYS), st.sampled_from(TOML_VALUES), max_size=8),
    limits=st.dictionaries(st.sampled_from(LIMIT_KEYS), st.sampled_from(TOML_VALUES), max_size=4),
    base=st.booleans(),
    json_out=st.booleans(),
)
def test_random_budget_files_never_break(cli, tmp_path_factory, run, limits, base, json_out):
    if base:  # start from a valid run, so that the limits are reached too
        run = {"params": '"7B"', "tokens": '"1.4T"', "gpus": "256", "price_per_gpu_hour": "2.5", **run}
    text = "".join(f"{key} = {value}\n" for key, value in run.items())
    if limits:
        text += "[limits]\n" + "".join(f"{key} = {value}\n" for key, value in limits.items())
    path = tmp_path_factory.mktemp("budget") / "budget.toml"
    path.write_text(text)
    argv = ["check", str(path)] + (["--json"] if json_out else [])
    assert_well_behaved(cli(*argv), argv)
