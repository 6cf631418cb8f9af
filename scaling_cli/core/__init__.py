"""The small core every other folder stands on: units, errors, argument validation, configs, files, compute.

Owns: :mod:`errors` (``ScaleError``, ``BudgetExceeded``), :mod:`units` (numbers as people write
them), :mod:`validation` (the public functions' argument checks), :mod:`configs` (the TOML files in
``configs/``), :mod:`files` (reading and writing, every failure one line), :mod:`compute`
(FLOPs, GPU-hours).

May import: the standard library, pydantic, numpy (lazily). Nothing else of ``scaling_cli``.
"""
