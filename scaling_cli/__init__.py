"""scaling_cli: plan compute-optimal LLM training from published neural scaling laws.

The planner core is a library; the ``scale`` command is a thin layer over it::

    >>> from scaling_cli import plan
    >>> result = plan(1e23)                      # the default law: chinchilla (Epoch AI refit)
    >>> round(result.tokens_per_param, 1)
    19.2

Every law, GPU and constant is data in ``configs/`` with its source.
"""

from .core.errors import BudgetExceeded, ScaleError

# Every other name is imported on first use: `import scaling_cli` stays cheap, and numpy and scipy
# stay out of `scale plan`'s start-up (bench/startup.py).
_LAZY = {
    "gpu_hours": "scaling_cli.core.compute",
    "training_flops": "scaling_cli.core.compute",
    "Gpu": "scaling_cli.hardware.gpus",
    "get_gpu": "scaling_cli.hardware.gpus",
    "load_gpus": "scaling_cli.hardware.gpus",
    "Law": "scaling_cli.laws",
    "load_law": "scaling_cli.laws",
    "load_presets": "scaling_cli.laws",
    "preset_names": "scaling_cli.laws",
    "overtrain": "scaling_cli.planning.overtraining",
    "loss_table": "scaling_cli.planning.planner",
    "plan": "scaling_cli.planning.planner",
    "format_count": "scaling_cli.core.units",
    "parse_number": "scaling_cli.core.units",
    "fit": "scaling_cli.fitting",
    "read_runs": "scaling_cli.fitting",
    "Runs": "scaling_cli.fitting",
    "sweep": "scaling_cli.planning.sweeps",
    "Shape": "scaling_cli.hardware.shape",
    "suggest_shapes": "scaling_cli.hardware.shape",
    "curve": "scaling_cli.fitting.curves.curve",
    "track": "scaling_cli.fitting.curves.curve",
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
