"""The two kinds of Rich table every renderer uses: a key/value summary and a titled data table."""

from __future__ import annotations

from rich import box
from rich.table import Table


def summary_table(title: str) -> Table:
    """Two borderless columns, a dim label and its value, under a bold title."""
    # min_width: a title longer than the table's columns does not wrap (Rich wraps a title at the
    # table's width); the console's own width still bounds it.
    table = Table(
        title=title, title_justify="left", title_style="bold", box=box.SIMPLE, show_header=False, pad_edge=False, min_width=len(title)
    )
    table.add_column(style="dim")
    table.add_column()
    return table


def data_table(title: str | None = None, caption: str | None = None, **options) -> Table:
    """A table with a head rule, its title and caption left-aligned."""
    options.setdefault("min_width", len(title) if title else None)
    return Table(title=title, title_justify="left", caption=caption, caption_justify="left", box=box.SIMPLE_HEAD, **options)


def print_warnings(console, warnings, notes=()) -> None:
    """Each warning in bold yellow, then each note dimmed, one line each."""
    from rich.text import Text

    for warning in warnings:
        console.print(Text(f"Warning: {warning}.", style="bold yellow"))
    for note in notes:
        console.print(Text(f"Note: {note}.", style="dim"))
