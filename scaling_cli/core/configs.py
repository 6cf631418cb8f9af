"""Finding, reading and validating the TOML files in ``configs/``.

The files live at the top of the repository and ship inside the wheel as
``scaling_cli/configs/`` (see ``pyproject.toml``); a source checkout or an editable install
reads them where they are. Every problem with a file becomes one ``ScaleError`` line that
names the file, the key and (for TOML syntax) the line: pydantic's raw dumps never reach a user.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ScaleError

if TYPE_CHECKING:
    from pydantic import BaseModel

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_PACKAGE = Path(__file__).resolve().parent.parent  # scaling_cli/, where the wheel puts configs/

Model = TypeVar("Model", bound="BaseModel")


def config_dir() -> Path:
    """The directory holding ``laws/`` and ``hardware.toml``."""
    for candidate in (_PACKAGE / "configs", _PACKAGE.parent / "configs"):
        if (candidate / "hardware.toml").is_file():
            return candidate
    raise ScaleError(f"cannot find the configs directory (looked in {_PACKAGE / 'configs'}): reinstall scaling-cli")


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file into (data, text); a missing file or a syntax error is a one-line ``ScaleError``."""
    from .files import read_text

    text = read_text(path, "a TOML file")  # a BOM is accepted, as in run files
    return parse_toml(text, str(path)), text


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML ``text`` read from ``source`` (a path, or ``<stdin>``); a syntax error is one line."""
    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as error:
        raise ScaleError(f"{source}: invalid TOML: {error}") from None
    except RecursionError:
        raise ScaleError(f"{source}: invalid TOML: nested too deeply") from None


def load_toml(model: type[Model], path: Path, source: str | None = None) -> Model:
    """Read a TOML file and validate it as ``model``; errors name the file, the key and its line."""
    data, text = read_toml(path)
    return validate(model, data, source or str(path), text=text)


def validate(model: type[Model], data: Any, source: str, text: str | None = None) -> Model:
    """Validate ``data`` as ``model``; a failure names the source, the key and what was expected.

    Given the file's ``text``, the message also names the line where the key stands.
    """
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as error:
        tags: frozenset[str] = getattr(model, "union_tags", frozenset())
        if error.error_count() == 1:  # one problem: "file, line N: what"
            line = _line_of(text, error.errors()[0]["loc"]) if text else None
            where = f"{source}, line {line}" if line else source
            raise ScaleError(f"{where}: {describe_validation_error(error, tags)}") from None
        raise ScaleError(f"{source}: {describe_validation_error(error, tags, text)}") from None


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line of a TOML file where the key at ``loc`` is set (or its table begins)."""
    import re

    keys = [str(part) for part in loc if isinstance(part, str)]
    for key in reversed(keys):
        pattern = re.compile(rf"^\s*(\[\s*)?{re.escape(key)}\s*(=|\])", re.MULTILINE)
        found = pattern.search(text)
        if found:
            return text.count("\n", 0, found.start()) + 1
    return None


MAX_PROBLEMS = 5
"""A file is fixed in one pass: up to this many problems are listed, each with its key and line."""


def describe_validation_error(error: Any, union_tags: frozenset[str] = frozenset(), text: str | None = None) -> str:
    """Every problem of a pydantic ``ValidationError`` (up to ``MAX_PROBLEMS``) as readable clauses.

    ``union_tags`` are the tags of discriminated unions (a law's loss ``form``), which pydantic
    puts in the error's location but which are not keys of the file. Given the file's ``text``,
    each problem names the line where its key stands.
    """
    problems = error.errors(include_url=False)
    clauses = [_clause(problem, union_tags, text) for problem in problems[:MAX_PROBLEMS]]
    more = len(problems) - len(clauses)
    return "; ".join(clauses) + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def _clause(problem: Mapping[str, Any], union_tags: frozenset[str], text: str | None) -> str:
    from .units import shorten

    key = ".".join(str(part) for part in problem["loc"] if part not in union_tags)
    tags = [str(part) for part in problem["loc"] if part in union_tags]
    context = f" (for form '{tags[0]}')" if tags else ""
    line = _line_of(text, problem["loc"]) if text else None
    at = f" (line {line})" if line else ""
    kind = problem["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{key}'{at}{context}"
    if kind == "missing":
        return f"missing key '{key}'{context}"
    message = problem["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    got = problem.get("input")
    where = f"key '{key}'{at}: " if key else ""
    shown = "" if isinstance(got, (dict, list)) or got is None or "got " in message else f" (got {shorten(got)})"
    return f"{where}{message[0].lower() + message[1:]}{shown}{context}"


def reject_bools(model: type[BaseModel], data: Any) -> Any:
    """A before-validator: a boolean is never a number (pydantic's lax mode reads true as 1)."""
    if not isinstance(data, dict):
        return data
    for name, field in model.model_fields.items():
        value = data.get(field.alias or name, data.get(name))
        if isinstance(value, bool) and "bool" not in str(field.annotation):
            raise ValueError(f"key '{name}': expected a number, got {str(value).lower()}")
    return data
