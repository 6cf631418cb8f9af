"""``scale fit --form lr-batch``: a learning-rate / batch-size law from a team's own grid of runs.

May import: ``core``, ``laws``, and ``fitting``'s ``runs`` and shared modules.
"""
