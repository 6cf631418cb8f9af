"""Rendering results for people: Rich tables and GitHub-flavoured Markdown, one module a command family.

May import: ``core``, ``laws``, ``hardware``, ``planning``, ``fitting`` (their results, to read them),
Rich. Never Typer, and never ``cli.commands`` or ``cli.app``.
"""
