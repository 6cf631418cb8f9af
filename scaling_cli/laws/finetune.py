"""Fine-tuning: the multiplicative joint law of a scaled factor and fine-tuning data (Zhang et al. 2024).

"When Scaling Meets LLM Finetuning: The Effect of Data, Model and Finetuning Method" (ICLR 2024,
arXiv:2402.17193), the multiplicative joint scaling law::

    L(X, D_f) = A / X^alpha / D_f^beta + E

X is the factor scaled (model size, pre-training tokens, or PEFT parameters), D_f the
fine-tuning tokens. The paper fits it per task and method; no constants are shipped (they
depend on the team's task and base model): the form is here to fit.
"""

from __future__ import annotations

from .base import Constants, Form, Inputs, Parameter, Values, Variable
from .chinchilla import LOSS


def _predict(p: Constants, x: Inputs) -> Values:
    return p["A"] / x["factor"] ** p["alpha"] / x["finetune_tokens"] ** p["beta"] + p["E"]


def _answer(p: Constants, x: Inputs) -> dict[str, Values]:
    """What doubling each input buys: the share of the reducible loss it removes (1 - 2^-exponent)."""
    return {"factor_doubling_cuts_reducible": 1.0 - 2.0 ** -p["alpha"], "data_doubling_cuts_reducible": 1.0 - 2.0 ** -p["beta"]}


FORMS = (
    Form(
        name="finetune",
        title="fine-tuning loss L(X, D_f)",
        equation="L = A / X^alpha / D_f^beta + E",
        citation="Zhang et al. 2024, 'When Scaling Meets LLM Finetuning', ICLR 2024, arXiv:2402.17193, the multiplicative joint scaling law",
        variables=(
            Variable("factor", "the scaled factor X: model size, pre-training tokens or PEFT parameters"),
            Variable("finetune_tokens", "fine-tuning tokens D_f"),
        ),
        target=LOSS,
        parameters=(
            Parameter("A", (1e-9, 1e30), (1.0, 1e2, 1e4, 1e6), log=True),
            Parameter("alpha", (0.0, 5.0), (0.05, 0.2, 0.5)),
            Parameter("beta", (0.0, 5.0), (0.02, 0.1, 0.3)),
            Parameter("E", (1e-6, 100.0), (0.5, 1.0, 2.0), log=True),
        ),
        predict=_predict,
        scale="factor",
        questions=("loss of (X, D_f)", "what doubling X or D_f buys"),
        answer=_answer,
        presets="none: the paper's constants are per task and base model; fit your own runs",
    ),
)
