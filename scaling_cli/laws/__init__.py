"""Scaling laws as data: one module per law family, presets as TOML in ``configs/laws/``.

* ``base.py``: what a family declares (:class:`Form`: variables, parameters with bounds and a
  starting grid, its function, the questions it answers) and the registry of forms;
* ``law.py``: the planner's :class:`Law` (a preset of an L(N, D) form or an allocation law) and
  loading; ``preset.py``: presets of the other families (:class:`FormPreset`);
* one module per family: ``chinchilla``, ``kaplan``, ``data_constrained`` (wraps the Chinchilla
  form), ``allocation``, ``routed`` (mixture of experts), ``vocabulary``, ``finetune``,
  ``context``, ``reward``.

Importing this package loads the planner's forms only (plain arithmetic: no numpy, no scipy);
the registry imports every family module when it is first asked for the forms.

May import: ``core``. Nothing of ``hardware``, ``planning``, ``fitting``, ``plots`` or ``cli``.
"""

from .allocation import Allocation, CalibrationPoint
from .base import Form, Parameter, Variable, form_named, forms
from .chinchilla import ChinchillaLoss, chinchilla_optimal, frontier_scale
from .data_constrained import DataConstrainedLoss, Repetition
from .kaplan import KaplanLoss
from .law import DEFAULT_LAW, FittedRange, Law, LossForm, Provenance, load_law, load_presets, preset_names

__all__ = [
    "DEFAULT_LAW",
    "Allocation",
    "CalibrationPoint",
    "ChinchillaLoss",
    "DataConstrainedLoss",
    "FittedRange",
    "Form",
    "KaplanLoss",
    "Law",
    "LossForm",
    "Parameter",
    "Provenance",
    "Repetition",
    "Variable",
    "chinchilla_optimal",
    "form_named",
    "forms",
    "frontier_scale",
    "load_law",
    "load_presets",
    "preset_names",
]
