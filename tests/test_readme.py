"""The README tells the truth: its examples are real output, its test command is CI's."""

import importlib.util
import re

from conftest import ROOT, shared_data


def _readme_examples():
    spec = importlib.util.spec_from_file_location("readme_examples", ROOT / "scripts" / "readme_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_readme_example_is_current_output():
    module = _readme_examples()
    text = module.README.read_text()
    if "../shared/data/" in text:
        shared_data("chinchilla_epoch_svg.csv")  # skips, saying why, where the published runs are absent
    pairs = module.blocks(text)
    assert len(pairs) >= 5
    for old, new in pairs:
        assert module.numbers(old) == module.numbers(new), f"stale README example: {old.splitlines()[0]}"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, re.DOTALL)
    test_command = next(command for command in commands if "pytest" in command)
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == test_command
    assert any("scale plan --flops 1e23" in command for command in commands)
