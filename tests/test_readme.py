"""The README tells the truth: its examples are real output, its test command is CI's."""

import re

from conftest import ROOT, load_script, shared_data


def _readme_examples():
    return load_script("scripts/readme_examples.py")


def test_every_readme_and_docs_example_is_current_output():
    module = _readme_examples()
    pages = module.pages()
    assert len(pages) >= 10 and module.README in pages
    if any("../shared/data/" in page.read_text() for page in pages):
        shared_data("chinchilla_epoch_svg.csv")  # skips, saying why, where the published runs are absent
    count = 0
    for page in pages:
        for old, new in module.blocks(page.read_text()):
            count += 1
            assert module.numbers(old) == module.numbers(new), f"stale example in {page.name}: {old.splitlines()[0]}"
    assert count >= 30


def test_readme_is_a_front_page():
    """#29: what it is, set-up, three tasks with output, the runs file, exit codes and JSON, links:
    at most 400 lines; the rest is the documentation site."""
    readme = (ROOT / "README.md").read_text()
    assert readme.count("\n") <= 400
    for heading in ("## Set up", "## Three tasks", "## Your runs file", "## Exit codes and JSON", "## Documentation"):
        assert heading in readme, heading


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, re.DOTALL)
    test_command = next(command for command in commands if "pytest" in command)
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == test_command
    assert any("scale plan --flops 1e23" in command for command in commands)
