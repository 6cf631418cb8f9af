"""Reward-model over-optimisation: gold reward against the distance the policy moved (Gao et al. 2023).

"Scaling Laws for Reward Model Overoptimization" (ICML 2023, arXiv:2210.10760), eq. 1-2, with
d = sqrt(KL(policy || initial policy)):

    best-of-n:  R(d) = d (alpha - beta d)          maximum at d* = alpha / (2 beta)
    RL:         R(d) = d (alpha - beta ln d)       maximum at d* = exp(alpha / beta - 1)

and for best-of-n, KL = ln n - (n - 1)/n, so the best n follows from d*^2. The constants depend
on the policy and reward model sizes: none ship; the forms are here to fit on a team's
measurements (columns ``kl_distance``, or ``kl`` for d = sqrt(kl), and ``gold_reward``).
"""

from __future__ import annotations

from .base import Answer, Constants, Form, Inputs, Parameter, Predict, Values, Variable


def _sqrt(values: Values) -> Values:
    import numpy as np

    return np.sqrt(values)


DISTANCE = Variable(
    "kl_distance",
    "d = sqrt(KL(policy || initial)), nats^(1/2); a 'kl' column is read as d = sqrt(kl)",
    positive=False,
    alias="kl",
    from_alias=_sqrt,
    alias_note="d = sqrt(KL) (Gao et al. 2023)",
)
GOLD = Variable("gold_reward", "the gold reward model's score", positive=False)


def _bon(p: Constants, x: Inputs) -> Values:
    d = x["kl_distance"]
    return d * (p["alpha"] - p["beta"] * d)


def _rl(p: Constants, x: Inputs) -> Values:
    import numpy as np

    d = x["kl_distance"]
    return d * (p["alpha"] - p["beta"] * np.log(np.maximum(d, 1e-300)))


def best_of_n_for_kl(kl: float) -> float:
    """The n whose best-of-n KL, ln n - (n-1)/n, is ``kl`` (bisection in ln n; 1 for kl <= 0)."""
    import math

    if not kl > 0:
        return 1.0
    low, high = 0.0, max(2.0, kl + 2.0)  # KL(n) < ln n, and > ln n - 1
    for _ in range(200):
        mid = (low + high) / 2
        n = math.exp(mid)
        low, high = (mid, high) if mid - (n - 1) / n < kl else (low, mid)
    return math.exp((low + high) / 2)


def _bon_answer(p: Constants, x: Inputs) -> dict[str, Values]:
    import numpy as np

    d = p["alpha"] / (2 * p["beta"])
    kl = d * d
    n = np.vectorize(best_of_n_for_kl)(np.asarray(kl, dtype=float))
    return {"best_kl": kl, "best_kl_distance": d, "best_gold_reward": p["alpha"] ** 2 / (4 * p["beta"]), "best_of_n": n}


def _rl_answer(p: Constants, x: Inputs) -> dict[str, Values]:
    import numpy as np

    d = np.exp(p["alpha"] / p["beta"] - 1.0)
    return {"best_kl": d * d, "best_kl_distance": d, "best_gold_reward": p["beta"] * d}


_PARAMETERS = (
    Parameter("alpha", (0.0, 1e4), (0.1, 1.0, 10.0), description="initial slope of the gold reward"),
    Parameter("beta", (1e-9, 1e4), (0.01, 0.1, 1.0), description="how fast over-optimisation sets in"),
)


def _form(name: str, policy: str, equation: str, number: int, predict: Predict, answer: Answer, question: str) -> Form:
    return Form(
        name=name,
        title=f"gold reward under {policy} R(d)",
        equation=equation,
        citation=f"Gao, Schulman & Hilton 2023, 'Scaling Laws for Reward Model Overoptimization', ICML 2023, arXiv:2210.10760, eq. {number}",
        variables=(DISTANCE,),
        target=GOLD,
        parameters=_PARAMETERS,
        predict=predict,
        scale="kl_distance",
        questions=("gold reward at a KL", question),
        answer=answer,
        objectives=("lsq",),
        presets="none: the constants depend on the policy and reward model; fit your own measurements",
    )


FORMS = (
    _form(
        "reward-bon",
        "best-of-n",
        "R = d (alpha - beta d), d = sqrt(KL)",
        1,
        _bon,
        _bon_answer,
        "the KL and best-of-n n that maximise gold reward",
    ),
    _form("reward-rl", "RL", "R = d (alpha - beta ln d), d = sqrt(KL)", 2, _rl, _rl_answer, "the KL that maximises gold reward"),
)
