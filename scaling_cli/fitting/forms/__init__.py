"""``scale fit --form NAME``: any registered law form fitted to a team's runs, with its check.

Owns: :mod:`form_fit` (the fit, bootstrap and held-out check), :mod:`form_runs` (the columns a
form reads), :mod:`save` (a fitted form as a preset file).

May import: ``core``, ``laws``, and ``fitting``'s ``solvers``, ``runs``, ``check``, ``loss_law``.
"""
