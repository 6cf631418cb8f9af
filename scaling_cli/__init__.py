"""scaling_cli: plan compute-optimal LLM training from published neural scaling laws.

The planner core is a library; the ``scale`` command is a thin layer over it::

    >>> from scaling_cli import plan
    >>> result = plan(1e23)                      # the default law: chinchilla (Epoch AI refit)
    >>> round(result.tokens_per_param, 1)
    19.2

Every law, GPU and constant is data in ``configs/`` with its source.
"""

from .compute import gpu_hours, training_flops
from .errors import BudgetExceeded, ScaleError
from .hardware import Gpu, get_gpu, load_gpus
from .laws import Law, load_law, load_presets, preset_names
from .overtraining import overtrain
from .planner import loss_table, plan
from .units import format_count, parse_number

# Imported on first use: numpy and scipy stay out of `scale plan`'s start-up (bench/startup.py).
_LAZY = {
    "fit": "scaling_cli.fitting",
    "read_runs": "scaling_cli.fitting",
    "Runs": "scaling_cli.fitting",
    "sweep": "scaling_cli.sweeps",
    "Shape": "scaling_cli.shape",
    "suggest_shapes": "scaling_cli.shape",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scaling_cli' has no attribute {name!r}")


__all__ = [
    "BudgetExceeded",
    "Gpu",
    "Law",
    "Runs",
    "ScaleError",
    "Shape",
    "fit",
    "format_count",
    "get_gpu",
    "gpu_hours",
    "load_gpus",
    "load_law",
    "load_presets",
    "loss_table",
    "overtrain",
    "parse_number",
    "plan",
    "preset_names",
    "read_runs",
    "suggest_shapes",
    "sweep",
    "training_flops",
]

__version__ = "0.1.0"
