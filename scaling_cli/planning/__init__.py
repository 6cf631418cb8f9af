"""Plans: what a budget buys, and the decisions around it, from the laws and the hardware.

Owns: :mod:`planner` (``plan``, ``plan_for``: the budget section, then the optional sections in
order; ``loss_table``), :mod:`request` (``PlanRequest``: one validated request, with a small
request model per section), :mod:`draft` (the plan while sections build it), :mod:`result` (the
``Plan`` a request answers), ``sections/`` (one module a section), :mod:`overtraining`,
:mod:`sweeps` (the IsoFLOP sweep to train), :mod:`budget` (budget files checked in CI).

May import: ``core``, ``laws``, ``hardware``. Nothing of ``fitting``, ``plots`` or ``cli``.
"""
