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


def narrowing(table: Table, *headers: str) -> Table:
    """State the order in which ``table``'s columns go when a terminal is too narrow for all of
    them (first named, first left out): values are never cut, columns are (#29)."""
    table.drop_order = list(headers)  # type: ignore[attr-defined]
    return table


def fit_width(table: object, console) -> object:
    """``table`` without the columns of its stated order (:func:`narrowing`) that a console this
    narrow cannot show whole, the ones left out named in its caption; anything else unchanged."""
    order = list(getattr(table, "drop_order", ()))
    if not isinstance(table, Table) or not order:
        return table
    left_out = []
    while order and _width_uncut(console, table) > console.width:
        header = order.pop(0)
        index = next((i for i, column in enumerate(table.columns) if column.header == header), None)
        if index is not None:
            del table.columns[index]
            left_out.append(header)
    if left_out:
        note = f"Left out at {console.width} columns: {', '.join(left_out)} (a wider terminal or --json shows them)."
        table.caption = f"{table.caption} {note}" if table.caption else note
        table.caption_justify = "left"
    return table


def _width_uncut(console, table: Table) -> int:
    """The width ``table`` needs to show every value whole, its headers wrapped at their words."""
    from rich.measure import Measurement
    from rich.text import Text

    headers = [column.header for column in table.columns]
    try:
        for column in table.columns:
            words = (column.header.plain if isinstance(column.header, Text) else str(column.header)).split()
            column.header = max(words, key=len) if words else ""
        # The natural width, not clamped to the console's.
        return Measurement.get(console, console.options.update_width(10_000), table).maximum
    finally:
        for column, header in zip(table.columns, headers):
            column.header = header


def print_warnings(console, warnings, notes=()) -> None:
    """Each warning in bold yellow, then each note dimmed, one line each."""
    from rich.text import Text

    for warning in warnings:
        console.print(Text(f"Warning: {warning}.", style="bold yellow"))
    for note in notes:
        console.print(Text(f"Note: {note}.", style="dim"))
