"""The batched solvers every fit runs on: numbers in, parameters out, no files or reports.

Owns: :mod:`parametric` (the L(N, D) objective and its multi-start fit), :mod:`solver` (many
L(N, D) fits at once), :mod:`form_solver` (any registered form), :mod:`damped` (the bounded
Levenberg-Marquardt step both share), :mod:`huber` (the Huber weights).

May import: ``core``, ``laws``, numpy and scipy. Nothing else of ``fitting``.
"""
