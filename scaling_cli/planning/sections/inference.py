"""Inference demand: the model that minimises training plus serving compute (Sardana et al. 2024).

"Beyond Chinchilla-Optimal: Accounting for Inference in Language Model Scaling Laws"
(arXiv:2401.00448): a model that will serve T tokens over its life costs 6·N·D to train and
2·N·T to serve. For a quality (a loss) the question is::

    minimise  6·N·D + 2·N·T   subject to  L(N, D) = loss

Along the constraint D is a function of N (:meth:`Law.tokens_for_loss`); training compute is
least at the compute-optimal size N_ref and grows both ways, while serving compute grows with N,
so the answer lies between the smallest N that can reach the loss at all and N_ref. The search
is a grid over log N on that bracket, refined by bounded Brent. As T grows, the best model
shrinks and trains longer.
"""

from __future__ import annotations

import math

from ...core.compute import FLOPS_PER_PARAM_TOKEN, INFERENCE_FLOPS_PER_PARAM_TOKEN
from ...core.errors import ScaleError
from ...laws import Law

GRID_POINTS = 400


def smallest_params_for_loss(law: Law, loss: float, reference_params: float, unique_tokens: float | None = None) -> float:
    """The size below which no number of tokens reaches ``loss`` (its floor crosses it)."""
    from scipy.optimize import brentq

    def gap(log_n: float) -> float:
        return law.loss_floor(math.exp(log_n), unique_tokens) - loss  # type: ignore[operator]

    high = math.log(reference_params)
    low = high - 60.0
    if gap(low) <= 0:
        return math.exp(low)
    return math.exp(brentq(gap, low, high, xtol=1e-12, rtol=1e-14))


def total_flops(law: Law, params: float, loss: float, inference_tokens: float, unique_tokens: float | None = None) -> float:
    """Training plus serving compute of ``params`` trained to ``loss`` (inf if it cannot reach it)."""
    tokens = law.tokens_for_loss(params, loss, unique_tokens)
    return FLOPS_PER_PARAM_TOKEN * params * tokens + INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens


def inference_optimal(
    law: Law, loss: float, inference_tokens: float, reference_params: float, unique_tokens: float | None = None
) -> tuple[float, float]:
    """The (params, tokens) reaching ``loss`` with the least training-plus-serving compute.

    ``reference_params`` is the compute-optimal size for that loss, the search's upper end.
    """
    from scipy.optimize import minimize_scalar

    if law.loss is None:
        raise ScaleError(f"law {law.name!r} has no loss form: it cannot say which smaller model matches a quality")
    if inference_tokens == 0:
        return reference_params, law.tokens_for_loss(reference_params, loss, unique_tokens)  # type: ignore[return-value]
    floor = smallest_params_for_loss(law, loss, reference_params, unique_tokens)
    low, high = math.log(floor) + 1e-9, math.log(reference_params)
    step = (high - low) / (GRID_POINTS - 1)
    grid = [low + i * step for i in range(GRID_POINTS)]
    values = [total_flops(law, math.exp(x), loss, inference_tokens, unique_tokens) for x in grid]
    best = min(range(GRID_POINTS), key=values.__getitem__)
    if not math.isfinite(values[best]):
        raise ScaleError(f"no model size reaches loss {loss:g} under {law.name}")
    bracket = (grid[max(best - 1, 0)], grid[min(best + 1, GRID_POINTS - 1)])
    found = minimize_scalar(
        lambda x: total_flops(law, math.exp(x), loss, inference_tokens, unique_tokens),
        bounds=bracket, method="bounded", options={"xatol": 1e-10},
    )
    if not found.success:
        raise ScaleError(f"the inference-optimal search did not converge: {found.message}")
    params = math.exp(found.x)
    return params, law.tokens_for_loss(params, loss, unique_tokens)  # type: ignore[return-value]
