"""#29: the surface a new user meets: a CI recipe that passes a sane budget, names that suggest,
a bare command that fails, markdown that carries every warning."""

from __future__ import annotations

from conftest import ROOT

from scaling_cli.cli.app import app


def test_the_example_budget_passes_strict_and_a_real_problem_still_fails(cli, tmp_path):
    example = (ROOT / "configs" / "budget.example.toml").read_text()
    path = tmp_path / "b.toml"
    path.write_text(example)
    result = cli.json("check", str(path), "--strict")
    evaluation = result["files"][0]
    assert result["ok"] and evaluation["warning_kinds"] == ["extrapolation"] and evaluation["warnings_accepted"] == [True]
    # Two decades beyond the fit: more than the file's max_extrapolation_decades (1.0) accepts.
    path.write_text(example.replace('params = "7B"', 'params = "70B"').replace('tokens = "1.4T"', 'tokens = "15T"'))
    far = cli.json("check", str(path), "--strict", expect_exit=1)["files"][0]
    assert "extrapolation" in far["warning_kinds"] and not all(far["warnings_accepted"])
    # Without accept, the same extrapolation fails --strict; an unknown kind is refused.
    path.write_text(example.replace('accept = ["extrapolation"]', "accept = []"))
    assert cli.json("check", str(path), "--strict", expect_exit=1)["files"][0]["warnings_accepted"] == [False]
    path.write_text(example.replace('accept = ["extrapolation"]', 'accept = ["everything"]'))
    assert "'everything' is not a warning kind" in cli.error("check", str(path))


def test_bare_scale_is_a_usage_error_with_the_help_on_stderr(cli):
    result = cli()
    assert result.exit_code == 2 and result.stdout == "" and "Usage: scale" in result.stderr


def test_unknown_names_suggest_the_near_ones(cli):
    assert "did you mean 'chinchilla'" in cli.error("plan", "--flops", "1e23", "--law", "chinchila")
    assert "did you mean 'h100-sxm' or 'h100-pcie' or 'h100-nvl'" in cli.error("memory", "--params", "7e9", "--gpu", "h100")
    assert "did you mean 'routed'" in cli.error("laws", "--form", "routd")


def test_laws_name_shows_the_preset_and_form_shows_the_form(cli):
    preset = cli.json("laws", "chinchilla")
    assert [law["name"] for law in preset["laws"]] == ["chinchilla"] and preset["forms"] == []
    form = cli.json("laws", "--form", "chinchilla")
    assert form["laws"] == [] and [f["name"] for f in form["forms"]] == ["chinchilla"]
    help_text = " ".join(cli.runner.invoke(app, ["fit", "--help"], env={"COLUMNS": "300"}).stdout.split())
    assert "`scale laws --form NAME`" in help_text


def test_markdown_carries_the_tasks_warnings(cli):
    text = cli("plan", "--flops", "1e25", "--task", "ladder-mmlu", "--format", "markdown").stdout
    assert "(see its warning)" in text and "- Warning: ladder-mmlu: " in text


def test_check_markdown_puts_the_verdict_in_its_own_paragraph(cli, tmp_path):
    good = tmp_path / "b.toml"
    good.write_text((ROOT / "configs" / "budget.example.toml").read_text())
    bad = tmp_path / "bad.toml"
    bad.write_text("params = 'x'\n")
    text = cli("check", str(good), str(bad), "--format", "markdown").stdout
    lines = text.rstrip("\n").splitlines()
    assert lines[-1].startswith("**") and lines[-2] == "" and lines[-3].startswith("- Error: ")


def test_every_shipped_example_runs_its_own_try_command(cli, tmp_path):
    """#29: the examples ship with the package, and the command each suggests runs on it (exit 0)."""
    import shlex

    from scaling_cli.fitting.examples import example, examples

    listed = cli.json("example")["examples"]
    assert [e["name"] for e in listed] == [e.name for e in examples()] and all(e["licence"] for e in listed)
    for entry in examples():
        first, second = entry.try_.split(" && ")
        words = shlex.split(first)
        assert words[:3] == ["scale", "example", entry.name] and words[3] == ">"
        path = tmp_path / words[4]
        path.write_text(example(entry.name))
        argv = [str(path) if word == words[4] else word for word in shlex.split(second)[1:]]
        result = cli(*argv)
        assert result.exit_code == 0, (entry.name, result.stderr)
    assert "did you mean 'olmo-ladder'" in cli.error("example", "olmo")


def test_the_shipped_real_examples_are_the_shared_files_verbatim():
    from conftest import shared_data

    from scaling_cli.fitting.examples import example, examples

    for entry in examples():
        if entry.file is not None:
            assert example(entry.name) == shared_data(entry.file).read_text(), entry.name


def test_memory_limits_take_byte_units_on_the_command_line_as_in_budget_files(cli):
    """#29: `--max-memory-per-gpu 80GB` (1e9 bytes) and 80GiB (2^30) as a budget file takes them;
    '80B' is refused (B alone means billions elsewhere)."""

    def checks(value):
        return {c["name"]: c for c in cli.json("plan", "--flops", "1e23", "--gpus", "64", "--max-memory-per-gpu", value)["checks"]}

    assert checks("80GB")["max_memory_per_gpu"]["limit"] == 80e9
    assert checks("80GiB")["max_memory_per_gpu"]["limit"] == 80 * 2**30
    assert "B alone means billions" in cli.error("plan", "--flops", "1e23", "--gpus", "64", "--max-memory-per-gpu", "80B")


def test_piped_tables_have_no_trailing_spaces(cli):
    """#29: Rich pads each table line to the width; piped (not a terminal), the lines are trimmed."""
    for argv in (("plan", "--flops", "1e23"), ("laws",), ("gpus",), ("example",)):
        text = cli(*argv).stdout
        assert text and not [line for line in text.splitlines() if line.endswith(" ")], argv
