"""Plans: what a budget buys, and the decisions around it, from the laws and the hardware.

Owns: :mod:`planner` (``plan``: the budget and its compute-optimal allocation, then the optional
sections; ``loss_table``), :mod:`request` (``PlanRequest``: one validated request of every
section), ``sections/`` (one module a section), :mod:`overtraining`, :mod:`sweeps` (the IsoFLOP
sweep to train), :mod:`budget` (budget files checked in CI).

May import: ``core``, ``laws``, ``hardware``. Nothing of ``fitting``, ``plots`` or ``cli``.
"""
