"""Keep the README's worked examples honest: every ```console block is real output.

Each block holds `$ scale ...` lines followed by what that command prints (at 100 columns).
`--write` reruns every command and rewrites the blocks; `--check` (the test suite's
tests/test_readme.py) fails when the README no longer matches the tool.

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
    text = README.read_text()
    if args.write:
        README.write_text(BLOCK.sub(lambda m: f"```console\n{render_block(m.group(1))}```", text))
        return 0
    stale = [old.splitlines()[0] for old, new in blocks(text) if numbers(old) != numbers(new)]
    for first in stale:
        print(f"stale README example: {first}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
