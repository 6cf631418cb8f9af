"""The commands beyond the planner's own: each parses its options, calls the library, renders.

Each module defines plain functions; ``cli/app.py`` registers them on the Typer app, so that no
command imports the app back.

May import: every core package, ``plots``, and ``cli``'s ``options``, ``output``, ``progress``, ``render``.
"""
