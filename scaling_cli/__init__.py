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
    # One function for each command, of the command's name (#29); "module:function" where the
    # function has its own name there. `scale laws` is load_presets: `laws` is the law package.
    "loss": "scaling_cli.planning.planner:loss_table",
    "gpus": "scaling_cli.hardware.gpus:load_gpus",
    "shape": "scaling_cli.hardware.shape:suggest_shapes",
    "memory": "scaling_cli.hardware.memory:training_memory",
    "mfu": "scaling_cli.core.compute:model_flops_utilization",
    "pattern": "scaling_cli.fitting.pattern.pattern:classify",
    "compare": "scaling_cli.fitting.compare.compare:compare",
    "check": "scaling_cli.planning.budget:check",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, _, attribute = _LAZY[name].partition(":")
        return getattr(importlib.import_module(module), attribute or name)
    raise AttributeError(f"module 'scaling_cli' has no attribute {name!r}")


__all__ = [
    "BudgetExceeded",
    "Gpu",
    "Law",
    "Runs",
    "ScaleError",
    "Shape",
    "check",
    "compare",
    "curve",
    "fit",
    "format_count",
    "get_gpu",
    "gpu_hours",
    "gpus",
    "load_gpus",
    "load_law",
    "load_presets",
    "loss",
    "loss_table",
    "memory",
    "mfu",
    "overtrain",
    "parse_number",
    "pattern",
    "plan",
    "preset_names",
    "read_runs",
    "shape",
    "suggest_shapes",
    "sweep",
    "track",
    "training_flops",
]

__version__ = "0.1.0"
