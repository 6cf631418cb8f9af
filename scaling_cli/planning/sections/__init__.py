"""The optional sections of a plan, one module each, each computed from its small request.

Owns: :mod:`data` (limited unique data, Muennighoff et al. 2023), :mod:`inference` (an inference
demand, Sardana et al. 2024), :mod:`run` (a shape, a parallel layout, batch size and learning
rate), :mod:`vocab` (the vocabulary the budget implies), :mod:`experts` (a mixture of experts,
Clark et al. 2022), :mod:`tasks` (benchmark scores), :mod:`costs` (serving costs and days).

May import: ``core``, ``laws``, ``hardware``, and each other. Never :mod:`..planner` (the planner
calls its sections, not the other way round).
"""
