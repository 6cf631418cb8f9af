"""``scale fit``: the L(N, D) fit of a team's runs, its bootstrap, its report and its law file.

Owns: :mod:`core` (``fit``), :mod:`parametric_fit` (Approach 3 and its scaling check),
:mod:`law_report` (what it says of its law), :mod:`allocation` (Approaches 1 and 2), :mod:`regime`,
:mod:`envelope_law`, :mod:`outside`, :mod:`summary`, :mod:`result` (the report's models),
:mod:`save` (a fit as a law file).

May import: ``core``, ``laws``, and ``fitting``'s ``solvers``, ``runs``, ``check`` and shared modules.
"""
