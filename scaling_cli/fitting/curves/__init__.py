"""``scale curve``: fit a loss-curve law on the curves of one model's runs, predict where each
run ends, and track a run against the band its own earlier part and the other runs predict.

Owns reading curve files (:mod:`.curve_runs`), the fit and its error model (:mod:`.curve_fit`).
May import: ``core``, ``laws``, ``fitting.runs`` (the records reader), ``fitting.threads``.
"""
