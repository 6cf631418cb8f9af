"""``scale compare``: is an idea worth scaling? Two scaling curves as a compute multiplier.

May import: ``core``, ``laws``, and ``fitting``'s ``solvers``, ``runs`` and shared modules.
"""
