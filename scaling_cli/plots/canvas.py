"""matplotlib set up for files: its private folder, the Agg backend, the formats a path may
name, human tick labels, and saving through the tool's one atomic writer."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ScaleError
from ..core.units import format_count, format_sci

FORMATS = (".png", ".svg", ".pdf")
FIGSIZE = (11.0, 4.6)
"""Inches; at DPI below a PNG is 1650 x 690 pixels: readable on a slide or in a paper."""
DPI = 150


def private_cache_dir() -> str:
    """matplotlib's cache and config folder for this user: ``scaling-cli-matplotlib-<uid>`` in the
    temporary directory, created with mode 0700, and used only while it is a real folder that this
    user owns and nobody else may write (on a shared host whoever made a fixed-name folder first
    would otherwise choose, through its ``matplotlibrc``, how everyone's plots look, or break them
    with ``text.usetex``). Failing that, a fresh folder of this process's own."""
    import os
    import stat
    import tempfile

    uid = os.getuid() if hasattr(os, "getuid") else None
    folder = os.path.join(tempfile.gettempdir(), f"scaling-cli-matplotlib-{uid if uid is not None else 'user'}")
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return tempfile.mkdtemp(prefix="scaling-cli-matplotlib-")
    try:
        info = os.lstat(folder)
    except OSError:
        return tempfile.mkdtemp(prefix="scaling-cli-matplotlib-")
    ours = stat.S_ISDIR(info.st_mode) and (uid is None or info.st_uid == uid) and not info.st_mode & 0o022
    return folder if ours else tempfile.mkdtemp(prefix="scaling-cli-matplotlib-")


def _pyplot():
    import os
    import warnings

    # matplotlib caches fonts under ~/.cache/matplotlib, and warns twice when $HOME is not
    # writable: keep its cache in a private temporary folder unless the user chose one.
    if "MPLCONFIGDIR" not in os.environ:
        os.environ["MPLCONFIGDIR"] = private_cache_dir()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import matplotlib
    except ImportError:
        raise ScaleError("--plot needs matplotlib: pip install '.[plot]' from a checkout, or 'scaling-cli[plot]' from an index") from None
    matplotlib.use("Agg")  # files only: no display is needed or wanted
    import matplotlib.pyplot as plt

    return plt


def check_path(path: str | Path) -> Path:
    """The plot's path, if its extension names a format we write."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ScaleError(f"--plot {path}: expected a file ending in {', '.join(FORMATS)} (the format follows the extension)")
    if not path.parent.exists():
        raise ScaleError(f"--plot {path}: no such directory {path.parent}")
    return path


def tick_label(value: float, kind: str) -> str:
    """A tick's label: counts as 1B, 10B, 2.5T; compute as 1e21."""
    text = format_count(value)
    if kind == "sci" or "e" in text:
        return format_sci(value, 1)
    number = text.rstrip("kMBT")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number + text[len(text.rstrip("kMBT")) :]


def _human_axis(axis, kind: str) -> None:
    """Decades labelled as people write them (1B, 1e21), the minor ticks unlabelled: every log axis
    of every panel (colour bars and twin axes included) in one style."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10))
    axis.set_major_formatter(FuncFormatter(lambda value, _: tick_label(value, kind)))
    axis.set_minor_formatter(NullFormatter())


def _save(figure, path: Path, title: str):
    """The figure, titled, written atomically (``core/files.py``): a killed or failed plot leaves
    the old file, never a torn one."""
    from ..core.files import write_file_atomically

    figure.suptitle(title, fontsize=12)
    write_file_atomically(path, lambda file: figure.savefig(file, dpi=DPI, format=path.suffix[1:].lower()), "--plot")
    return figure


def described(figure, path) -> str:
    """The one line a command prints on stderr after a plot: what it drew, where."""
    return f"scale: wrote {path}: {figure._suptitle.get_text() if figure._suptitle else 'the plot'}"
