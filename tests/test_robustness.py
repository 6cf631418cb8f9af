"""Never break, never lie, never lose a file: hostile files, bad library calls, bounded work, atomic writes.

Each case is a class of failure the hostile-input campaign found; each must end in exit 2 (or a
``ScaleError`` from the library) with one line naming the value, never exit 3 or a traceback.
"""

import os

import numpy as np
import pytest
from conftest import synthetic_runs, write_runs_csv

from scaling_cli import ScaleError, load_law, plan
from scaling_cli.fitting import Runs, fit, read_runs
from scaling_cli.fitting.runs import runs as runs_module

GOOD_LAW = 'name = "x"\ntitle = "x"\nkind = "parametric"\ncitation = "c"\n[loss]\nform = "chinchilla"\nE = 1.7\nA = 400.0\nB = 410.0\nalpha = 0.34\nbeta = 0.28\n'


def one_line(cli, *argv, input=None) -> str:
    result = cli(*argv, input=input)
    assert result.exit_code == 2, (argv, result.exit_code, result.stdout[-500:], result.stderr[-500:])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 1000, result.stderr[:300]
    return result.stderr


@pytest.mark.parametrize(
    "text, needle",
    [
        ("params,tokens,loss\n1e9,2e10," + "9" * 200_000 + "\n", "characters"),
        ('params,tokens,loss\n1e9,2e10,"2.5\r\n"\n', "fewer than the 5"),  # a CR inside a field: read, not a crash
        ("\ufeffparams,tokens,loss\n1e9,2e10,2.5\n", None),  # a BOM is accepted
        ("params,tokens,loss\n1e9,2e10,true\n", "expected a number"),
        ("params,tokens,loss\n1e9,2e10,١.٥\n", "expected a number"),
    ],
)
def test_hostile_csv_files_are_one_line(cli, tmp_path, text, needle):
    path = tmp_path / "runs.csv"
    path.write_text(text, encoding="utf-8")
    assert needle is None or needle in one_line(cli, "fit", "-", input=text)  # the same on stdin
    if needle is None:
        with pytest.raises(ScaleError, match="fewer than the 5 parameters"):
            fit(read_runs(path), bootstrap=0)
        return
    assert needle in one_line(cli, "fit", str(path), "--bootstrap", "0")


@pytest.mark.parametrize(
    "line, needle",
    [
        ('{"params": 1e9, "tokens": 2e10, "loss": ' + "9" * 400 + "}", "too large"),
        ('{"params": ' + "[" * 100_000 + "]" * 100_000 + "}", "not valid JSON"),
        ('{"params": 1e9, "tokens": 2e10, "loss": {"a": 1}}', "expected a number"),
    ],
)
def test_hostile_jsonl_files_are_one_line(cli, tmp_path, line, needle):
    path = tmp_path / "runs.jsonl"
    path.write_text(line + "\n")
    assert needle in one_line(cli, "fit", str(path), "--bootstrap", "0")


def test_excluded_rows_are_not_validated(cli, tmp_path):
    runs = synthetic_runs(seed=0, sizes=6)
    path = write_runs_csv(tmp_path / "runs.csv", runs)
    lines = path.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ","  # row 3: an empty loss, as in a sweep still running
    path.write_text("\n".join(lines) + "\n")
    assert "row 3" in one_line(cli, "fit", str(path), "--bootstrap", "0")
    out = cli.json("fit", str(path), "--bootstrap", "0", "--exclude", "3")
    assert out["n_runs"] == len(runs) - 1 and any("1 row excluded: 3" in n for n in out["notes"])


def test_exclude_ranges_are_ranges_checked_against_the_file(cli, tmp_path):
    path = write_runs_csv(tmp_path / "runs.csv", synthetic_runs(seed=0, sizes=6))
    line = one_line(cli, "fit", str(path), "--exclude", "1-300000000")  # not expanded into a list
    assert "has rows 1 to 36" in line
    assert "has rows 1 to 36" in one_line(cli, "fit", str(path), "--exclude", "1" * 30)  # no OverflowError
    assert "expected row numbers" in one_line(cli, "fit", str(path), "--exclude", "5-2")
    assert cli.json("fit", str(path), "--bootstrap", "0", "--exclude", "1-3,2-5,30")["n_runs"] == 30


def test_run_files_beyond_the_limit_are_refused_up_front(cli, tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    rows = runs_module.MAX_RUNS + 1  # (written fast: the refusal comes before any parsing of values)
    path.write_text("params,tokens,loss\n" + "1e9,2e10,2.5\n" * rows)
    assert f"more than {runs_module.MAX_RUNS:,} runs" in one_line(cli, "fit", str(path))
    runs = synthetic_runs(seed=0, sizes=6)
    with pytest.raises(ScaleError, match="resampled runs"):
        fit(Runs.from_arrays(np.tile(runs.params, 500), np.tile(runs.tokens, 500), np.tile(runs.loss, 500)), bootstrap=5000)


@pytest.mark.parametrize(
    "args", [["fit", "{fifo}"], ["check", "{fifo}"], ["shape", "--config", "{fifo}"], ["plan", "--flops", "1e23", "--law", "{fifo}"]]
)
def test_a_named_pipe_without_a_writer_does_not_hang(cli, tmp_path, monkeypatch, args):
    """#28: every input goes through one bounded reader (core.files.read_bounded)."""
    import scaling_cli.core.files as files_module

    fifo = tmp_path / "input.toml"
    os.mkfifo(fifo)
    monkeypatch.setattr(files_module, "WAIT", 0.3)
    line = one_line(cli, *[a.format(fifo=fifo) for a in args])
    assert "pipe" in line and str(fifo) in line


@pytest.mark.parametrize(
    "args",
    [["fit", "/dev/zero"], ["check", "/dev/zero"], ["shape", "--config", "/dev/zero"], ["plan", "--flops", "1e23", "--law", "/dev/zero"]],
)
def test_an_endless_device_is_read_no_further_than_a_file_can_be(cli, args, monkeypatch):
    import scaling_cli.core.files as files_module

    monkeypatch.setattr(files_module, "MAX_INPUT_BYTES", 1_000_000)  # the cap is 64 MB; a small one keeps the test fast
    assert "not read further" in one_line(cli, *args)


@pytest.mark.parametrize(
    "edit, needle",
    [
        (lambda t: t.replace("alpha = 0.34", "alpha = true"), "expected a number"),
        (lambda t: t.replace("E = 1.7", "E = nan"), "key 'loss.E'"),
        (lambda t: t.replace("A = 400.0", "A = inf"), "key 'loss.A'"),
        (lambda t: t + "x = " + "[" * 5000 + "]" * 5000 + "\n", "invalid TOML"),
        (lambda t: t.replace('kind = "parametric"', 'kind = "magic"\ncolour = 1'), "unknown key 'colour' (line 4)"),  # every problem
    ],
)
def test_hostile_law_files_are_one_line(cli, tmp_path, edit, needle):
    path = tmp_path / "law.toml"
    path.write_text(edit(GOOD_LAW))
    assert needle in one_line(cli, "plan", "--flops", "1e23", "--law", str(path))


@pytest.mark.parametrize(
    "text, needle",
    [
        ('params = true\ntokens = "1T"\ngpus = 8\n', "expected a number"),
        ('params = inf\ntokens = "1T"\ngpus = 8\n', "params"),
        ('params = "7B"\ntokens = "1T"\ngpus = 8\n[limits]\nmax_flops = true\n', "max_flops"),
    ],
)
def test_hostile_budget_files_are_one_line(cli, tmp_path, text, needle):
    path = tmp_path / "budget.toml"
    path.write_text(text)
    assert needle in one_line(cli, "check", str(path))


def test_mfu_reads_a_percentage_in_files_as_on_the_command_line(cli, tmp_path):
    path = tmp_path / "budget.toml"
    path.write_text('params = "7B"\ntokens = "1T"\ngpus = 8\nmfu = "40%"\n')
    assert cli.json("check", str(path))["files"][0]["ok"] is True


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["plan", "--flops", "4e-324"], "sensible size"),
        (["plan", "--flops", "1"], "--flops"),
        (["plan", "--gpu-hours", "1e300"], "--gpu-hours"),
        (["plan", "--flops", "1e23", "--law", "x" * 5000], "unknown law"),
        (["plan", "--flops", "١e23"], "expected a number"),
        (["plan", "--flops", "1e23", "--flops", "1e24"], "given twice"),
        (["overtrain", "--params", "1e-300"], "params"),
        (["overtrain", "--params", "7e9", "--unique-tokens", "1e9", "--law", "llama3"], "no terms for repeated data"),
        (["plan", "--target-loss", "1.8170"], "beyond the 1e+32"),
        (["memory", "--params", "7e9", "--micro-batch", "1e308"], "micro"),
        (["sweep", "--min-flops", "1e18", "--max-flops", "1e20", "--span", "1e308"], "span"),
    ],
)
def test_hostile_values_are_one_line_naming_the_value(cli, argv, needle):
    assert needle in one_line(cli, *argv)


def test_a_closed_pipe_or_a_full_disk_are_not_budget_failures(tmp_path):
    import subprocess
    import sys

    head = subprocess.run(
        f"{sys.executable} -m scaling_cli plan --flops 1e23 | head -1",
        shell=True,
        capture_output=True,
        text=True,
        executable="/bin/bash",
        env={**os.environ, "COLUMNS": "100"},
    )
    assert head.returncode == 0 and head.stderr == ""
    status = subprocess.run(
        f"{sys.executable} -m scaling_cli plan --flops 1e23 | head -1; echo ${{PIPESTATUS[0]}}",
        shell=True,
        capture_output=True,
        text=True,
        executable="/bin/bash",
    )
    assert status.stdout.strip().splitlines()[-1] == "0"
    if os.path.exists("/dev/full"):
        full = subprocess.run(
            f"{sys.executable} -m scaling_cli plan --flops 1e23 --json > /dev/full",
            shell=True,
            capture_output=True,
            text=True,
            executable="/bin/bash",
        )
        assert full.returncode == 2 and full.stderr.count("\n") == 1 and "No space left" in full.stderr


BAD_CALLS = [
    (lambda: plan(True), "flops"),
    (lambda: plan(law=5, flops=1e23), "law"),
    (lambda: plan(-1), "flops"),
    (lambda: plan(1e23, mfu=True), "mfu"),
    (lambda: fit("file.csv"), "expected runs"),
    (lambda: fit(synthetic_runs(), bootstrap=1.5), "--bootstrap"),
    (lambda: fit(synthetic_runs(), seed=-1), "--seed"),
    (lambda: fit(synthetic_runs(), at="1e24"), "--at"),
    (lambda: read_runs(5), "expected a file path"),
    (lambda: __import__("scaling_cli").get_gpu(None), "gpu"),
    (lambda: __import__("scaling_cli").Shape(layers=True, d_model=4096, heads=32, d_ff=11008, vocab=32000), "layers"),
    (lambda: __import__("scaling_cli.hardware.memory", fromlist=["Layout"]).Layout(zero=5), "zero"),
    (lambda: load_law(None), "law"),
]


@pytest.mark.parametrize("call, needle", BAD_CALLS)
def test_bad_library_calls_raise_one_line_scale_errors(call, needle):
    with pytest.raises(ScaleError) as raised:
        call()
    message = str(raised.value)
    assert needle in message and "\n" not in message and len(message) < 600


def test_library_numbers_read_like_the_command_line():
    assert plan("7e22").params == pytest.approx(plan(7e22).params)
    assert plan("70000B").flops == 7e13


def test_a_failed_save_leaves_the_old_law_file_intact(cli, tmp_path, monkeypatch):
    path = write_runs_csv(tmp_path / "runs.csv", synthetic_runs(seed=0, sizes=6))
    law = tmp_path / "law.toml"
    law.write_text(GOOD_LAW)
    import scaling_cli.core.files as files

    def torn(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", torn)
    assert "No space left" in one_line(cli, "fit", str(path), "--bootstrap", "0", "--save", str(law))
    assert law.read_text() == GOOD_LAW
    assert sorted(p.name for p in tmp_path.iterdir()) == ["law.toml", "runs.csv"]  # no temporary file left
    monkeypatch.undo()
    assert cli("fit", str(path), "--bootstrap", "0", "--save", str(law)).exit_code == 0
    assert load_law(str(law)).fitted_range.flops[1] == pytest.approx(3e20, rel=1e-6)


@pytest.mark.parametrize(
    "edit, needle",
    [
        ({"tie_word_embeddings": "false"}, "tie_word_embeddings: expected true or false"),  # a string is never a boolean
        ({"num_hidden_layers": True}, "num_hidden_layers: expected a whole number"),  # true is not 1 layer
        ({"num_local_experts": -8}, "num_local_experts: expected a whole number >= 1"),  # never silently dense
        ({"num_local_experts": "8"}, "num_local_experts: expected a whole number"),
        ({"mlp_only_layers": "abc"}, "mlp_only_layers"),
        ({"model_type": None, "text_config": {"model_type": "llama"}}, "text_config"),
    ],
)
def test_hostile_hf_configs_name_the_files_own_key(cli, tmp_path, edit, needle):
    import json

    from conftest import TEST_DATA

    config = json.loads((TEST_DATA / "configs" / "llama-3.1-8b.json").read_text())
    config.update(edit)
    if edit.get("model_type", "x") is None:
        del config["model_type"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    assert needle in one_line(cli, "shape", "--config", str(path))


def test_a_model_folder_holding_config_json_is_accepted(cli, tmp_path):
    from conftest import TEST_DATA

    (tmp_path / "config.json").write_text((TEST_DATA / "configs" / "llama-3.1-8b.json").read_text())
    out = cli.json("shape", "--config", str(tmp_path))
    assert out["shapes"][0]["params"] == pytest.approx(8.03e9, rel=0.01)


def test_runs_exclude_in_the_library_takes_rows_and_ranges():
    runs = synthetic_runs(seed=0, sizes=6)
    kept = runs.exclude([1, (3, 5)])
    assert len(kept) == len(runs) - 4 and kept.rows[:2] == (2, 6)
    assert kept.notes[-1] == "4 rows excluded: 1, 3-5"
    assert runs.exclude([2]).notes[-1] == "1 row excluded: 2"
    with pytest.raises(ScaleError, match="has rows 1 to 36"):
        runs.exclude([(30, 40)])


def test_a_flops_column_that_contradicts_6nd_is_a_warning(cli, tmp_path):
    runs = synthetic_runs(seed=0, sizes=6)
    path = tmp_path / "runs.csv"
    path.write_text(
        "params,tokens,flops,loss\n"
        + "".join(
            f"{n!r},{d!r},{2 * n * d!r},{loss!r}\n" for n, d, loss in zip(runs.params.tolist(), runs.tokens.tolist(), runs.loss.tolist())
        )
    )
    out = cli.json("fit", str(path), "--bootstrap", "0")
    warning = next(w for w in out["warnings"] if "6·N·D" in w)
    assert "0.333x" in warning and "2ND" in warning and "the fit uses params and tokens" in warning


def test_law_constants_beyond_their_meaning_are_refused(cli, tmp_path):
    path = tmp_path / "law.toml"
    path.write_text(GOOD_LAW.replace("alpha = 0.34", "alpha = 1e300"))
    assert "key 'loss.alpha'" in one_line(cli, "plan", "--flops", "1e23", "--law", str(path))


def test_every_resampling_command_has_the_one_bootstrap_cap(cli, tmp_path):
    """One declared limit (resamples x runs, fitting/bootstrap.py) on fit, fit --form, fit --metric
    and compare: refused at once, one line naming the value and the most allowed, exit 2."""
    import time

    from scaling_cli.fitting.bootstrap import MAX_RESAMPLED_RUNS, MAX_RESAMPLES, check_bootstrap

    assert check_bootstrap(1000, 240) == 1000
    with pytest.raises(ScaleError, match=f"pass --bootstrap {MAX_RESAMPLED_RUNS // 20_000:,} or fewer"):
        check_bootstrap(MAX_RESAMPLES, 20_000)
    with pytest.raises(ScaleError, match="expected a whole number"):
        check_bootstrap(MAX_RESAMPLES + 1, 10)
    runs = synthetic_runs(budgets=np.geomspace(1e18, 1e21, 10), sizes=60, seed=2)  # 600 runs: 600 x 99,999 > the cap
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_runs_csv(a, runs)
    write_runs_csv(b, runs)
    start = time.perf_counter()
    for argv in (
        ("compare", a, b, "--bootstrap", "2000000"),
        ("compare", a, b, "--bootstrap", "1000000000"),
        ("compare", a, b, "--bootstrap", "50000"),
        ("fit", a, "--bootstrap", "99999"),
        ("fit", a, "--form", "chinchilla", "--bootstrap", "99999"),
    ):
        message = cli.error(*argv)
        assert "--bootstrap" in message and "\n" not in message.strip(), argv
    assert time.perf_counter() - start < 30  # refused before any resample is drawn (1e9 would need 200+ GiB)


def test_one_atomic_writer_keeps_the_old_file_on_every_failure(tmp_path):
    """An error or a Ctrl-C while writing leaves the old file whole and no temporary file behind;
    a symbolic link at the target is replaced, not written through (--save, --csv, --plot alike)."""
    from scaling_cli.core.files import write_atomically, write_file_atomically

    target = tmp_path / "law.toml"
    target.write_text("old\n")
    for failure in (OSError(28, "No space left on device"), KeyboardInterrupt()):

        def torn(file, failure=failure):
            file.write(b"half of a new fi")
            raise failure

        with pytest.raises((ScaleError, KeyboardInterrupt)):
            write_file_atomically(target, torn, "--save")
        assert target.read_text() == "old\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["law.toml"]
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text("not ours\n")
    link = tmp_path / "link.toml"
    link.symlink_to(elsewhere)
    write_atomically(link, "new\n", "--save")
    assert not link.is_symlink() and link.read_text() == "new\n" and elsewhere.read_text() == "not ours\n"


def test_a_plot_that_fails_midway_leaves_the_old_picture(cli, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.figure

    picture = tmp_path / "plan.png"
    assert cli("plan", "--flops", "1e22", "--plot", str(picture)).exit_code == 0
    before = picture.read_bytes()
    assert before.startswith(b"\x89PNG")

    def broken(self, file, **options):
        file.write(b"\x89PNG torn")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    assert "No space left on device" in cli.error("plan", "--flops", "1e22", "--plot", str(picture))
    assert picture.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["plan.png"]


# -- #28, round three: numbers that are not answers, the JSON contract ---------------------------


def test_one_resample_is_refused_not_printed_as_nan(cli, tmp_path):
    from scaling_cli.fitting.simulate import synthetic_runs

    path = tmp_path / "runs.csv"
    runs = synthetic_runs(seed=0)
    path.write_text("params,tokens,loss\n" + "".join(f"{n},{d},{loss}\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss)))
    line = cli.error("fit", path, "--bootstrap", "1", "--holdout", "3")
    assert "--bootstrap 1" in line and "at least 10" in line
    assert cli.json("fit", path, "--bootstrap", "0", "--holdout", "3")["holdout"]["verdict"]


def test_a_target_loss_no_real_run_trains_to_is_refused(cli):
    line = cli.error("plan", "--target-loss", "1e6")
    assert "--target-loss" in line and "below the 1e+10" in line
    assert cli.json("plan", "--target-loss", "2.1")["flops"] > 1e20


def test_check_example_keeps_the_json_contract(cli):
    out = cli.json("check", "--example")
    assert set(out) == {"schema_version", "example"} and out["example"].startswith("#")
    assert "--format" in cli.error("check", "--example", "--format", "junk")


def test_a_plan_on_a_data_constrained_plateau_is_its_own_inference_optimum(cli):
    """#28: with heavy repetition no smaller model reaches the plan's own loss: the plan itself is
    the inference-optimal model (it said 'no model size reaches loss 2.26529', the plan's loss)."""
    out = cli.json("plan", "--flops", "1e26", "--unique-tokens", "1e10", "--inference-tokens", "1e12")
    best = out["inference_optimal"]
    assert best["params"] == pytest.approx(out["params"]) and best["tokens"] == pytest.approx(out["tokens"])
    assert best["train_gpu_hours"] == pytest.approx(out["gpu_hours"], rel=1e-9)  # the same model, counted the same way


def test_a_law_whose_optimum_is_no_trainable_model_is_refused(cli, tmp_path):
    """#28: a law file with alpha = 1e-9 planned 9e-7 parameters on 2e28 tokens, exit 0."""
    path = tmp_path / "flat.toml"
    path.write_text(
        'name = "flat"\ntitle = "flat"\nkind = "parametric"\ncitation = "test"\n'
        '[loss]\nform = "chinchilla"\nE = 1.7\nA = 400\nB = 400\nalpha = 1e-9\nbeta = 0.3\n'
    )
    line = cli.error("plan", "--flops", "1e23", "--law", path)
    assert "flat's optimum" in line and "parameters" in line


def test_ctrl_c_during_a_long_fit_is_one_line_and_exit_130(tmp_path):
    """#28: Typer turns Ctrl-C into a silent exit 130; the README promises one line."""
    import signal
    import subprocess
    import sys
    import time

    from scaling_cli.fitting.simulate import synthetic_runs

    runs = synthetic_runs(seed=0, sizes=200)
    path = tmp_path / "runs.csv"
    path.write_text("params,tokens,loss\n" + "".join(f"{n},{d},{loss}\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss)))
    process = subprocess.Popen(
        [sys.executable, "-m", "scaling_cli", "fit", str(path), "--bootstrap", "20000"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    time.sleep(3.0)  # past start-up, inside the fit
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err.decode().strip().splitlines() == ["scale: error: interrupted"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["memory", "--params", "7e9", "--lora-rank", "1e308"], "--lora-rank"),
        (["memory", "--layers", "2e9", "--d-model", "4096", "--heads", "32", "--d-ff", "11008"], "--layers"),
        (["shape", "--params", "1e17"], "--params"),
        (["shape", "--params", "100"], "--params"),
        (["overtrain", "--params", "1e2"], "--params"),
        (["sweep", "--min-flops", "1e9", "--max-flops", "1e12"], "--min-flops"),
        (["sweep", "--min-flops", "1e20", "--max-flops", "1e33"], "--max-flops"),
        (["fit", "/dev/null", "--predict-flops", "1e5"], "--predict-flops"),
        (["fit", "/dev/null", "--predict", "1e17,1e12"], "--predict"),
    ],
)
def test_values_just_outside_a_declared_domain_are_refused(cli, args, option):
    """#28: the CLI's parsers enforce the library's own declared domains (core.validation), once."""
    line = cli.error(*args)
    assert option in line and "expected" in line


def test_the_cli_domains_are_the_librarys():
    import typer

    from scaling_cli.cli.options import count, flops_value, params_value
    from scaling_cli.core.validation import COUNT_RANGE, FLOPS_RANGE, PARAMS_RANGE

    assert count(str(COUNT_RANGE[1])) == COUNT_RANGE[1]
    assert flops_value(str(FLOPS_RANGE[0])) == FLOPS_RANGE[0] and params_value(str(PARAMS_RANGE[1])) == PARAMS_RANGE[1]
    for parse, beyond in ((count, COUNT_RANGE[1] + 1), (flops_value, FLOPS_RANGE[1] * 10), (params_value, PARAMS_RANGE[0] / 10)):
        with pytest.raises(typer.BadParameter):
            parse(str(beyond))


def test_a_writer_killed_mid_write_leaves_the_old_file_and_no_temporary(tmp_path):
    """#28: SIGKILL while a file is being written (here: a writer that stalls halfway) leaves the
    old file whole and no temporary file beside it (Linux: the new file has no name until the rename)."""
    import signal
    import subprocess
    import sys
    import time

    target = tmp_path / "out.csv"
    target.write_text("old\n")
    script = (
        "import time\n"
        "from scaling_cli.core.files import write_file_atomically\n"
        "def slow(file):\n"
        "    file.write(b'new, half')\n"
        "    file.flush()\n"
        "    print('writing', flush=True)\n"
        "    time.sleep(30)\n"
        f"write_file_atomically({str(target)!r}, slow, '--csv')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "writing"
    time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert target.read_text() == "old\n"
    if sys.platform.startswith("linux"):
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_the_writer_falls_back_to_a_named_temporary_where_linkat_is_refused(tmp_path, monkeypatch):
    import scaling_cli.core.files as files

    def refused(handle, name):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(files, "_link", refused)
    target = tmp_path / "out.txt"
    files.write_atomically(target, "new\n", "--save")
    assert target.read_text() == "new\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_ctrl_c_while_the_command_starts_is_one_line():
    """#28: a SIGINT after the package's first import, while Typer and click still load, is one
    line and exit 130 (a library importing scaling_cli.cli keeps Python's own handler)."""
    import subprocess
    import sys

    code = (
        "import sys, os, signal, time\nsys.argv = ['scale']\nimport scaling_cli.cli\nos.kill(os.getpid(), signal.SIGINT)\ntime.sleep(5)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 130 and done.stderr == "scale: error: interrupted\n"
    library = "import signal\nimport scaling_cli.cli\nassert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
    assert subprocess.run([sys.executable, "-c", library], capture_output=True, timeout=60).returncode == 0
