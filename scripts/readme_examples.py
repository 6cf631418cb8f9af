"""Keep the worked examples honest: every ```console block of README and of the documentation's
pages (``docs/``, but for the two generated ones) is real output.

Each block holds `$ scale ...` lines followed by what that command prints (at 100 columns).
`--write` reruns every command and rewrites the blocks; without it (the test suite's
tests/test_readme.py) it fails when a page no longer matches the tool.

    python scripts/readme_examples.py --write
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
GENERATED = {ROOT / "docs" / "index.md", ROOT / "docs" / "reference" / "cli.md"}
"""Pages scripts/docs_pages.py writes from README and the app: checked there, not rerun here."""


def pages() -> list[Path]:
    """README and every hand-written page of the documentation site."""
    return [README] + sorted(path for path in (ROOT / "docs").rglob("*.md") if path not in GENERATED)


BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
WIDTH = "100"


def run(command: str) -> str:
    """The output of one `scale ...` command line, as a user at a 100-column terminal sees it."""
    from typer.testing import CliRunner

    from scaling_cli.cli.app import app

    args = shlex.split(command)
    assert args[0] == "scale", command
    here = os.getcwd()
    os.chdir(ROOT)  # paths in the README are relative to the repository's root
    try:
        result = CliRunner().invoke(app, args[1:], env={"COLUMNS": WIDTH, "NO_COLOR": "1", "TERM": "dumb"})
    finally:
        os.chdir(here)
    text = result.stdout + result.stderr
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def render_block(body: str) -> str:
    commands = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
    return "".join(f"$ {command}\n{run(command)}\n" for command in commands)


def blocks(text: str) -> list[tuple[str, str]]:
    """(current body, freshly rendered body) for every console block."""
    return [(match.group(1), render_block(match.group(1))) for match in BLOCK.finditer(text)]


def numbers(text: str) -> list[str]:
    """The figures of an output, in order: what must match, whatever Rich's layout does."""
    return re.findall(r"[\w.+%$-]*\d[\w.+%$-]*", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the README's console blocks")
    args = parser.parse_args()
    stale = []
    for page in pages():
        text = page.read_text()
        if args.write:
            page.write_text(BLOCK.sub(lambda m: f"```console\n{render_block(m.group(1))}```", text))
            continue
        stale += [f"{page.relative_to(ROOT)}: {old.splitlines()[0]}" for old, new in blocks(text) if numbers(old) != numbers(new)]
    for first in stale:
        print(f"stale example: {first}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
