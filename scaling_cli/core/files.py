"""Reading and writing the tool's files, every failure one ``ScaleError`` line.

Reading: :func:`read_text` is the one way in for run files, law and budget files and HF configs
(a missing file, a directory, bytes that are not UTF-8, a permission, a byte-order mark).

Writing: the text goes to a temporary file in the target's own directory, is flushed to disk,
and then renamed over the target (``os.replace`` is atomic on POSIX and Windows): a reader sees
the old file or the new one, never half of one; on failure the old file is intact and the
temporary one removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import ScaleError


def read_text(path: str | Path, expected: str, data: bytes | None = None) -> str:
    """The UTF-8 text of ``path`` (a leading BOM dropped), or of ``data`` read from it already;
    ``expected`` names what the file should be, for the error lines."""
    try:
        raw = Path(path).read_bytes() if data is None else data
    except FileNotFoundError:
        raise ScaleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ScaleError(f"{path}: is a directory, expected {expected}") from None
    except OSError as error:
        raise ScaleError(f"{path}: cannot read: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScaleError(f"{path}: not a UTF-8 text file ({error.reason})") from None


def _default_mode() -> int:
    """What ``open(path, "w")`` would give a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomically(path: str | Path, text: str, option: str) -> None:
    """Write ``text`` to ``path`` atomically; errors are one line naming ``option`` and the path."""
    write_file_atomically(path, lambda file: file.write(text.encode("utf-8")), option)


def write_file_atomically(path: str | Path, write: Callable[[BinaryIO], object], option: str) -> None:
    """The one way out for every file the tool writes (``--save``, ``--csv``, ``--plot``):
    ``write(file)`` fills a temporary file in ``path``'s own directory, which is flushed to disk
    and renamed over ``path``. A reader sees the old file or the new one, never part of one; a
    symbolic link at ``path`` is replaced, not written through. The temporary file is removed on
    every way out that Python sees (an error, Ctrl-C); only a kill leaves it (a dot file)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise ScaleError(f"{option} {path}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if path.exists() and not path.is_file():
            raise IsADirectoryError(21, "Is a directory")
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() and not path.is_symlink() else _default_mode())
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ScaleError(f"{option} {path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
