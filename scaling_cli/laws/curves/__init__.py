"""Loss-curve laws: the loss along one run as a function of its learning-rate schedule.

Owns the schedules a run can describe (:mod:`.schedule`) and the multi-power law of Luo et al.
2025 (:mod:`.multipower`). May import: ``core``.
"""
