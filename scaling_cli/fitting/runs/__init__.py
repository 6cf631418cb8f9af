"""Runs as data: records from CSV or JSONL files (or stdin), the runs they hold, budgets.

Owns: :mod:`records` (rows before any field is read), :mod:`runs` (final losses of training
runs), :mod:`buckets` (grouping runs by compute; log-log power laws).

May import: ``core``. Nothing else of ``fitting``.
"""
