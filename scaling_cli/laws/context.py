"""Context length: validation loss against the context a model sees (Xiong et al. 2023).

"Effective Long-Context Scaling of Foundation Models" (arXiv:2309.16039), the power law they fit to validation loss against context length:
L(c) = (alpha / c)^beta + gamma for a model of fixed size. The paper does not tabulate its constants per
size: no preset ships; the form is here to fit (columns ``context``, ``loss``).
"""

from __future__ import annotations

from .base import Constants, Form, Inputs, Parameter, Values, Variable
from .chinchilla import LOSS


def _predict(p: Constants, x: Inputs) -> Values:
    return (p["alpha"] / x["context"]) ** p["beta"] + p["gamma"]


def _answer(p: Constants, x: Inputs) -> dict[str, Values]:
    """What doubling the context buys, at the longest context of the runs (loss now minus loss at 2c)."""
    import numpy as np

    longest = float(np.max(x["context"]))
    now, doubled = _predict(p, {"context": longest}), _predict(p, {"context": 2 * longest})
    return {f"loss_gain_doubling_context_at_{longest:.0f}": now - doubled}


FORMS = (
    Form(
        name="context",
        title="loss against context length L(c)",
        equation="L = (alpha / c)^beta + gamma",
        citation="Xiong et al. 2023, 'Effective Long-Context Scaling of Foundation Models', arXiv:2309.16039, the power law of validation loss against context length",
        variables=(Variable("context", "context length c (tokens)"),),
        target=LOSS,
        parameters=(
            Parameter("alpha", (1e-6, 1e12), (1.0, 1e2, 1e4), log=True),
            Parameter("beta", (1e-3, 5.0), (0.1, 0.5, 1.0)),
            Parameter("gamma", (1e-6, 100.0), (0.5, 1.0, 2.0), log=True, description="the loss with unlimited context"),
        ),
        predict=_predict,
        scale="context",
        questions=("loss at a context length", "what doubling the context buys"),
        answer=_answer,
        presets="none: no tabulated constants; fit your own runs",
    ),
)
