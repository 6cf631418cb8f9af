"""Beyond loss: benchmark scores from loss, chained from a model's size and tokens.

Two published chains:

* The ladder's two steps (Bhagia et al. 2024, "Establishing Task Scaling Laws via
  Compute-Efficient Model Ladders", arXiv:2412.04403, §2; Llama 3 §3.2.1 does the same): the task
  loss (bits per byte of the correct answer) L_task(N, D) = A/N^alpha + B/D^beta + E, with N the
  non-embedding parameters, then accuracy as a sigmoid of it,
  Acc(L) = a / (1 + exp(-k (L - L0))) + b (a < 0: from b at L = 0 down to a + b, chance, as L grows).
* Gadre et al. 2024 ("Language models scale reliably with over-training and on downstream
  tasks", arXiv:2403.08540): the C4 loss L(N, D) = E + a N^-alpha + b 6^(-alpha/2) D^-alpha (their
  (M N)^-alpha with M = D/N), then the average top-1 error Err(L) = eps - k exp(-gamma L).

Each step is a form to fit (``task-accuracy``, ``gadre-loss``, ``gadre-error``); the chains
(``task-chain``, ``gadre-chain``) are the forms of the shipped presets, evaluated from (N, D).
"""

from __future__ import annotations

from .base import Constants, Form, Inputs, Parameter, Values, Variable
from .chinchilla import LOSS

BPB = Variable("task_loss", "task loss: bits per byte of the correct continuation")
ACCURACY = Variable("accuracy", "the task's accuracy, a fraction", positive=False)
ERROR = Variable("error", "average top-1 error, a fraction", positive=False)
C4_LOSS = Variable("loss", "C4 validation loss (nats/token)")
NON_EMBEDDING = Variable("params", "non-embedding parameters N (the ladder's count)")
TOTAL = Variable("params", "parameters N, embeddings included (Gadre et al.'s count)")
TOKENS = Variable("tokens", "training tokens D")
LADDER = "Bhagia et al. 2024, 'Establishing Task Scaling Laws via Compute-Efficient Model Ladders', arXiv:2412.04403, §2"
GADRE = "Gadre et al. 2024, 'Language models scale reliably with over-training and on downstream tasks', arXiv:2403.08540"


def sigmoid(p: Constants, task_loss: Values) -> Values:
    import numpy as np

    return p["a"] / (1.0 + np.exp(-p["k"] * (task_loss - p["L0"]))) + p["b"]


def _accuracy(p: Constants, x: Inputs) -> Values:
    return sigmoid(p, x["task_loss"])


def _task_loss(p: Constants, x: Inputs) -> Values:
    return p["A"] / x["params"] ** p["alpha"] + p["B"] / x["tokens"] ** p["beta"] + p["E"]


def _task_chain(p: Constants, x: Inputs) -> Values:
    return sigmoid(p, _task_loss(p, x))


def _gadre_loss(p: Constants, x: Inputs) -> Values:
    return p["E"] + p["a"] * x["params"] ** -p["alpha"] + p["b"] * 6.0 ** (-p["alpha"] / 2) * x["tokens"] ** -p["alpha"]


def _gadre_error(p: Constants, x: Inputs) -> Values:
    import numpy as np

    return p["eps"] - p["k"] * np.exp(-p["gamma"] * x["loss"])


def _gadre_chain(p: Constants, x: Inputs) -> Values:
    return _gadre_error(p, {"loss": _gadre_loss(p, x)})


SIGMOID = (
    Parameter("a", (-1.0, 0.0), (-0.9, -0.6, -0.3), description="the drop from b to chance (a + b)"),
    Parameter("L0", (0.0, 10.0), (0.5, 1.0, 1.5), description="the task loss at the midpoint"),
    Parameter("k", (0.0, 200.0), (2.0, 5.0, 12.0), description="steepness"),
    Parameter("b", (0.0, 1.0), (0.9, 1.0), description="accuracy as the task loss goes to 0"),
)
TASK_LOSS = (
    Parameter("A", (1e-9, 1e12), (10.0, 1e3, 1e5), log=True),
    Parameter("B", (1e-9, 1e12), (10.0, 1e3, 1e5), log=True),
    Parameter("alpha", (0.0, 3.0), (0.1, 0.3, 0.6)),
    Parameter("beta", (0.0, 3.0), (0.1, 0.3, 0.6)),
    Parameter("E", (0.0, 10.0), (0.0, 0.5, 1.0), description="irreducible task loss"),
)
GADRE_LOSS = (
    Parameter("a", (1e-6, 1e8), (1e2, 3e2, 1e3, 3e3), log=True),
    Parameter("b", (1e-6, 1e8), (1e2, 3e2, 1e3, 3e3), log=True),
    Parameter("alpha", (0.0, 3.0), (0.1, 0.3)),
    Parameter("E", (0.0, 20.0), (0.0, 1.0, 2.0, 10.0), description="irreducible loss"),
)
GADRE_ERROR = (
    Parameter("eps", (0.0, 2.0), (0.8, 0.9, 1.0), description="the error as the loss grows (near chance)"),
    Parameter("k", (0.0, 1e3), (0.5, 2.0, 8.0)),
    Parameter("gamma", (0.0, 20.0), (0.3, 0.8, 2.0)),
)

FORMS = (
    Form(
        name="task-accuracy",
        title="accuracy from task loss Acc(L) (step 2)",
        equation="Acc = a / (1 + exp(-k (L - L0))) + b",
        citation=LADDER + ", step 2; Llama 3 (arXiv:2407.21783) §3.2.1",
        variables=(BPB,),
        target=ACCURACY,
        parameters=SIGMOID,
        predict=_accuracy,
        scale="task_loss",
        questions=("accuracy at a task loss",),
        objectives=("lsq",),
        presets="ladder-* (the chains: step 1 and step 2 together)",
    ),
    Form(
        name="task-chain",
        title="task accuracy from size and tokens (steps 1 and 2)",
        equation="Acc(L_task(N, D)), L_task = A/N^alpha + B/D^beta + E",
        citation=LADDER,
        variables=(NON_EMBEDDING, TOKENS),
        target=ACCURACY,
        parameters=TASK_LOSS + SIGMOID,
        predict=_task_chain,
        scale="flops",
        questions=("a task's accuracy for (N, D)",),
        objectives=("lsq",),
        presets="ladder-mmlu, ladder-hellaswag, ladder-arc-challenge, ladder-arc-easy, ladder-piqa, ladder-csqa, "
        "ladder-socialiqa, ladder-openbookqa (the authors' procedure on their ladder runs)",
    ),
    Form(
        name="gadre-loss",
        title="C4 loss L(N, D), one exponent (Gadre et al.)",
        equation="L = E + a N^-alpha + b 6^(-alpha/2) D^-alpha",
        citation=GADRE + " (scaling/laws.py)",
        variables=(TOTAL, TOKENS),
        target=LOSS,
        parameters=GADRE_LOSS,
        predict=_gadre_loss,
        scale="flops",
        questions=("loss of (N, D)",),
        objectives=("lsq", "huber", "log-lsq"),
        presets="gadre-avg17, gadre-avg46 (with the error law)",
    ),
    Form(
        name="gadre-error",
        title="average top-1 error from loss Err(L) (Gadre et al.)",
        equation="Err = eps - k exp(-gamma L)",
        citation=GADRE + " (scaling/laws.py)",
        variables=(C4_LOSS,),
        target=ERROR,
        parameters=GADRE_ERROR,
        predict=_gadre_error,
        scale="loss",
        questions=("error at a loss",),
        objectives=("lsq",),
        presets="gadre-avg17, gadre-avg46 (the chains)",
    ),
    Form(
        name="gadre-chain",
        title="average top-1 error from size and tokens (Gadre et al.)",
        equation="Err(L(N, D))",
        citation=GADRE,
        variables=(TOTAL, TOKENS),
        target=ERROR,
        parameters=GADRE_LOSS + GADRE_ERROR,
        predict=_gadre_chain,
        scale="flops",
        questions=("average top-1 error for (N, D)",),
        objectives=("lsq",),
        presets="gadre-avg17, gadre-avg46 (RedPajama; the authors' points and starts)",
    ),
)
