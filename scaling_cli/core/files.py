"""Reading and writing the tool's files, every failure one ``ScaleError`` line.

Reading: :func:`read_text` (through :func:`read_bounded`) is the one way in for run files, law,
budget and GPU files and HF configs, and standard input: a size cap and a timeout for any kind of
file (regular, a named pipe, a device), and a missing file, a directory, bytes that are not UTF-8,
a permission or a byte-order mark each one line.

Writing: the text goes to a temporary file in the target's own directory, is flushed to disk,
and then renamed over the target (``os.replace`` is atomic on POSIX and Windows): a reader sees
the old file or the new one, never half of one; on failure the old file is intact and the
temporary one removed.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import ScaleError

MAX_INPUT_BYTES = 64_000_000
"""The most any input (a law, budget, GPU or config file) may hold: 64 MB; run files have their
own, larger cap. Past it the reading stops, whatever the file is (a device, a pipe, stdin)."""
WAIT = 30.0
"""Seconds a pipe, device or stdin may stay silent before the read gives up."""


def read_bounded(path: str | Path, expected: str, limit: int | None = None) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them, for any kind of file: a regular file is
    refused by its size; a named pipe, a device or a socket is read in chunks, each within
    ``WAIT`` seconds, and refused past ``limit`` (``/dev/zero`` never ends, a pipe with no writer
    never starts). ``-`` is standard input, read the same way. Every failure is one line (#28)."""
    import select
    import stat
    import time

    limit = MAX_INPUT_BYTES if limit is None else limit
    name = str(path)
    if name == "-":
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        try:
            handle, close = stream.fileno(), False
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # replaced by an in-memory stream
            data = stream.read(limit + 1)
            data = data.encode("utf-8") if isinstance(data, str) else data
            if len(data) > limit:
                raise ScaleError(
                    f"standard input: more than {limit / 1e6:,.0f} MB, more than {expected} can be: not read further"
                ) from None
            return bytes(data)
    else:
        try:
            status = os.stat(name)
        except FileNotFoundError:
            raise ScaleError(f"{name}: no such file") from None
        except OSError as error:
            raise ScaleError(f"{name}: cannot read: {error.strerror or error}") from None
        if stat.S_ISDIR(status.st_mode):
            raise ScaleError(f"{name}: is a directory, expected {expected}")
        if stat.S_ISREG(status.st_mode):
            if status.st_size > limit:
                raise ScaleError(f"{name}: {status.st_size / 1e6:,.1f} MB is more than {expected} can be ({limit / 1e6:,.0f} MB)")
            try:
                return Path(name).read_bytes()
            except OSError as error:
                raise ScaleError(f"{name}: cannot read: {error.strerror or error}") from None
        try:
            handle, close = os.open(name, os.O_RDONLY | os.O_NONBLOCK), True
        except OSError as error:
            raise ScaleError(f"{name}: cannot read: {error.strerror or error}") from None
    shown = "standard input" if name == "-" else name
    try:
        chunks: list[bytes] = []
        size, quiet, started = 0, 0.0, False
        while True:
            ready, _, _ = select.select([handle], [], [], WAIT - quiet)
            if not ready:
                raise ScaleError(f"{shown}: nothing to read in {WAIT:g} s (a pipe with no writer?): start its writer first")
            chunk = os.read(handle, 1 << 16)
            if not chunk:
                if started or name == "-":
                    break
                time.sleep(0.05)  # a named pipe's writer has not opened it yet
                quiet += 0.05
                if quiet >= WAIT:
                    raise ScaleError(f"{shown}: a named pipe with no writer in {WAIT:g} s: start its writer first")
                continue
            started, quiet = True, 0.0
            size += len(chunk)
            if size > limit:
                raise ScaleError(f"{shown}: more than {limit / 1e6:,.0f} MB, more than {expected} can be: not read further")
            chunks.append(chunk)
    except OSError as error:
        raise ScaleError(f"{shown}: cannot read: {error.strerror or error}") from None
    finally:
        if close:
            os.close(handle)
    return b"".join(chunks)


def read_text(path: str | Path, expected: str, data: bytes | None = None, limit: int | None = None) -> str:
    """The UTF-8 text of ``path`` (a leading BOM dropped), read through :func:`read_bounded`, or of
    ``data`` read from it already; ``expected`` names what the file should be, for the error lines."""
    try:
        raw = read_bounded(path, expected, limit) if data is None else data
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


def _link(handle: int, name: Path) -> None:
    """Give the unnamed file ``handle`` the name ``name``: linkat(2) with AT_SYMLINK_FOLLOW
    through /proc (Python's os.link does not follow /proc's magic link)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, at_symlink_follow = -100, 0x400
    if libc.linkat(at_fdcwd, f"/proc/self/fd/{handle}".encode(), at_fdcwd, os.fsencode(name), at_symlink_follow) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


@contextlib.contextmanager
def _removed_on_failure(temporary: str | Path, path: Path, option: str) -> Iterator[None]:
    """Remove ``temporary`` on every way out that fails; an OSError is one line naming ``option``."""
    try:
        yield
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ScaleError(f"{option} {path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _fill(handle: int, path: Path, write: Callable[[BinaryIO], object]) -> int:
    """Write, flush and fsync the file open at ``handle``; the mode ``path``'s new file takes (its
    old one's, else what ``open`` would give; a directory at ``path`` is refused)."""
    with os.fdopen(handle, "wb", closefd=False) as file:
        write(file)
        file.flush()
        os.fsync(handle)
    if path.exists() and not path.is_file():
        raise IsADirectoryError(21, "Is a directory")
    return path.stat().st_mode & 0o7777 if path.exists() and not path.is_symlink() else _default_mode()


def _write_unnamed(path: Path, directory: Path, write: Callable[[BinaryIO], object], option: str) -> bool:
    """Linux: write into an unnamed file of ``directory`` (``O_TMPFILE``), which a kill while
    writing leaves nowhere; it gets a (dot) name only for the instant before the rename. False
    where the system or the file system has no such files (the caller writes a named one)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        handle = os.open(directory, flag | os.O_WRONLY, 0o600)
    except OSError:
        return False
    temporary = directory / f".{path.name}.{os.getpid()}.{id(write):x}.tmp"
    try:
        with _removed_on_failure(temporary, path, option):
            os.fchmod(handle, _fill(handle, path, write))
            try:
                _link(handle, temporary)
            except OSError:
                return False  # no linkat through /proc here (a sandbox): the caller writes a named file
            os.replace(temporary, path)
    finally:
        os.close(handle)
    return True


def write_file_atomically(path: str | Path, write: Callable[[BinaryIO], object], option: str) -> None:
    """The one way out for every file the tool writes (``--save``, ``--csv``, ``--plot``):
    ``write(file)`` fills a temporary file in ``path``'s own directory, which is flushed to disk
    and renamed over ``path``. A reader sees the old file or the new one, never part of one; a
    symbolic link at ``path`` is replaced, not written through. On Linux the file is unnamed
    until the rename (a kill while writing leaves nothing); elsewhere it is a dot file, removed on
    every way out that Python sees (an error, Ctrl-C), left only by a kill."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if _write_unnamed(path, directory, write, option):
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise ScaleError(f"{option} {path}: cannot write: {error.strerror or error}") from None
    try:
        with _removed_on_failure(temporary, path, option):
            os.fchmod(handle, _fill(handle, path, write))
            os.replace(temporary, path)
    finally:
        os.close(handle)
