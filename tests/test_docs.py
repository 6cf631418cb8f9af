"""#29: the documentation site builds strictly, lists every page, and its generated pages are current."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT, load_script


def _pages_script():
    return load_script("scripts/docs_pages.py")


def test_the_generated_pages_are_current():
    """docs/index.md is README with site-relative links; docs/reference/cli.md every command's help."""
    module = _pages_script()
    assert module.INDEX.read_text() == module.index_page(), "python scripts/docs_pages.py --write"
    assert module.CLI.read_text() == module.cli_page(), "python scripts/docs_pages.py --write"
    from scaling_cli.cli.app import COMMANDS

    assert all(f"## scale {name}\n" in module.CLI.read_text() for name, _ in COMMANDS)


def test_every_page_is_in_the_navigation_and_every_readme_link_resolves():
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {path.relative_to(ROOT / "docs").as_posix() for path in (ROOT / "docs").rglob("*.md")}
    listed = set(re.findall(r":\s*([\w/.-]+\.md)\s*$", nav, re.MULTILINE))
    assert pages == listed, (pages - listed, listed - pages)
    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_the_site_builds_strictly(tmp_path):
    """What CI runs (`mkdocs build --strict`): a broken link, a page outside the navigation's
    files or a docstring mkdocstrings cannot read fails the build."""
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed: pip install '.[docs]' (CI installs it)")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "library" / "index.html").is_file()
