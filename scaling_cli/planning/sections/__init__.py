"""The sections of a plan, one module each, each computed from the request's own part of it.

Owns: :mod:`allocation` (the budget and its compute-optimal allocation, every plan's first
section), then the optional ones in the order ``planner.SECTIONS`` runs them: :mod:`data`
(limited unique data, Muennighoff et al. 2023), :mod:`inference` (an inference demand, Sardana
et al. 2024), :mod:`run` (a shape, a parallel layout, batch size and learning rate; with
:mod:`vocab`, the vocabulary the budget implies), :mod:`experts` (a mixture of experts, Clark et
al. 2022), :mod:`costs` (serving costs and days), :mod:`tasks` (benchmark scores).

Each optional section is ``section(draft, request) -> None``: it returns at once when its request
is absent, else adds its fields, notes and warnings to the draft.

May import: ``core``, ``laws``, ``hardware``, ``planning``'s ``request``, ``draft`` and ``result``,
and each other. Never :mod:`..planner` (the planner calls its sections, not the other way round).
"""
