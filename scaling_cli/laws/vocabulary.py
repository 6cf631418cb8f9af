"""Vocabulary: the compute-optimal vocabulary parameters grow slower than the rest (Tao et al. 2024).

"Scaling Laws with Vocabulary: Larger Models Deserve Larger Vocabularies" (arXiv:2407.13623),
Approach 1 (IsoFLOP optima), as the authors' ``optimal_Nv_predict.py`` (sail-sg/scaling-with-vocab)
applies it::

    N_v  = exp(-1.58903) · C^0.41636      (vocabulary parameters V·d)
    N_nv = exp(-2.48465) · C^0.5          (non-vocabulary parameters)

so the vocabulary a budget implies is V = N_v / d for the model's width d. The form fitted here is
the power law N_v = k · C^gamma on a team's own IsoFLOP optima (columns ``flops``, ``vocab_params``).
"""

from __future__ import annotations

from .base import Constants, Form, Inputs, Parameter, Values, Variable


def _predict(p: Constants, x: Inputs) -> Values:
    return p["k"] * x["flops"] ** p["gamma"]


def vocab_for_budget(flops: float, d_model: int, k: float, gamma: float) -> tuple[int, float]:
    """(vocabulary size, vocabulary parameters) the law implies for ``flops`` at width ``d_model``."""
    vocab_params = k * flops**gamma
    return max(round(vocab_params / d_model), 1), vocab_params


FORMS = (
    Form(
        name="vocabulary",
        title="compute-optimal vocabulary parameters N_v(C)",
        equation="N_v = k C^gamma (N_v = V d)",
        citation="Tao et al. 2024, 'Scaling Laws with Vocabulary', NeurIPS 2024, arXiv:2407.13623, Approach 1; "
        "sail-sg/scaling-with-vocab optimal_Nv_predict.py",
        variables=(Variable("flops", "training compute C (FLOPs)"),),
        target=Variable("vocab_params", "compute-optimal vocabulary parameters V·d"),
        parameters=(
            Parameter("k", (1e-12, 1e12), (1e-3, 0.2, 10.0), log=True),
            Parameter("gamma", (0.0, 2.0), (0.3, 0.5, 0.7)),
        ),
        predict=_predict,
        scale="flops",
        questions=("vocabulary size for a budget and width",),
        objectives=("log-lsq", "huber", "lsq"),
        presets="tao-vocab (the authors' optimal_Nv_predict.py constants)",
    ),
)
