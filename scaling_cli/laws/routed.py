"""Mixture of experts: the unified scaling law of routed language models (Clark et al. 2022).

    log10 L(N, E) = a log10 N + b log10 Ê + c log10 N log10 Ê + d                 (eq. 1-2)
    1/Ê = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max     (the saturating expert count)

N counts the parameters a token uses (the dense model's), E the experts per routed layer; the law
is L(N, E) at the paper's fixed ~250k-step budget (its runs have no token column). c > 0: the
benefit of experts shrinks as N grows. The effective dense size of (N, E), the N' with
L(N', E=1) = L(N, E), is the authors' ``effective_param_count`` (example.ipynb)::

    N' = N^((a + c log10 Ê) / (a + c log10 E_start)) · (Ê / E_start)^(b / (a + c log10 E_start))

since Ê(1) = E_start.
"""

from __future__ import annotations

from .base import Constants, Form, Inputs, Parameter, Values, Variable
from .chinchilla import LOSS


def expert_count(experts: Values, e_start: Values, e_max: Values) -> Values:
    """Ê: the saturating transform of the expert count (Ê(1) = E_start, Ê -> E_max as E grows)."""
    return 1.0 / (1.0 / (experts - 1.0 + 1.0 / (1.0 / e_start - 1.0 / e_max)) + 1.0 / e_max)


def _log10(x: Values) -> Values:
    import numpy as np

    return np.log10(x)


def _predict(p: Constants, x: Inputs) -> Values:
    log_n, log_e = _log10(x["params"]), _log10(expert_count(x["experts"], p["E_start"], p["E_max"]))
    return 10.0 ** (p["a"] * log_n + p["b"] * log_e + p["c"] * log_n * log_e + p["d"])


def effective_params(params: Values, experts: Values, a: Values, b: Values, c: Values, d: Values, E_start: Values, E_max: Values) -> Values:
    """The dense size with the loss of ``params`` per token and ``experts`` experts (works on arrays)."""
    e_hat = expert_count(experts, E_start, E_max)
    slope_e, slope_1 = a + c * _log10(e_hat), a + c * _log10(E_start)
    return params ** (slope_e / slope_1) * (e_hat / E_start) ** (b / slope_1)


def _answer(p: Constants, x: Inputs) -> dict[str, Values]:
    """The effective dense size of 8 experts, as a multiple of N, at the largest N of the runs."""
    import numpy as np

    largest = float(np.max(x["params"]))
    ratio = effective_params(largest, 8.0, **p) / largest
    return {f"effective_params_ratio_8_experts_at_{largest:.3g}": ratio}


FORMS = (
    Form(
        name="routed",
        title="mixture of experts L(N, E) at a fixed step budget",
        equation="log10 L = a log10 N + b log10 Ê + c log10 N log10 Ê + d, Ê saturating in E (E_start, E_max)",
        citation="Clark et al. 2022, 'Unified Scaling Laws for Routed Language Models', ICML 2022, arXiv:2202.01169, eq. 1-2; "
        "deepmind/scaling_laws_for_routing example.ipynb",
        variables=(
            Variable("params", "parameters used per token N (the dense model's)"),
            Variable("experts", "experts per routed layer E (1: dense)"),
        ),
        target=LOSS,
        parameters=(
            Parameter("a", (-1.0, 1.0), (-0.1, -0.05)),
            Parameter("b", (-2.0, 2.0), (-0.2, -0.1, 0.0)),
            Parameter("c", (-1.0, 1.0), (0.0, 0.01, 0.02)),
            Parameter("d", (-5.0, 5.0), (0.8, 1.1, 1.4)),
            Parameter("E_start", (1.0001, 1e3), (1.5, 3.0, 6.0), log=True, description="Ê at E = 1"),
            Parameter("E_max", (1.01, 1e7), (100.0, 500.0, 2000.0), log=True, description="where Ê saturates (weakly identified)"),
        ),
        predict=_predict,
        scale="params",
        questions=("loss of (N, E)", "effective dense size of N with E experts", "the '8 experts ~ 2x dense' claim at a size"),
        answer=_answer,
        objectives=("log-lsq", "huber", "lsq"),
        presets="clark-sbase, clark-rlr, clark-hash: the constants the authors' example.ipynb procedure recovers from "
        "their released runs (223 runs, CC-BY-4.0)",
    ),
)


def dense_equivalent_note(ratio: float, experts: float) -> str:
    """The source's claim ("with 8 experts a model performs about like a dense model twice its size") at this size."""
    verdict = "holds" if 1.6 <= ratio <= 2.5 else ("is generous here" if ratio < 1.6 else "understates the gain here")
    return (
        f"{experts:g} experts act like a dense model {ratio:.2f}x the size under Clark et al.'s law: the '8 experts ~ 2x' "
        f"rule of thumb {verdict}"
        if experts == 8
        else f"{experts:g} experts act like a dense model {ratio:.2f}x the size"
    )
