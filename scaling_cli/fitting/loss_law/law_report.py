"""What a parametric fit says about its law: the coefficients of every resample, the compute-optimal
model at chosen budgets with intervals, the return of the next 10x of compute, the largest
residuals, and the other objective's allocation as a sensitivity check."""

from __future__ import annotations

import numpy as np

from ..bootstrap import Estimate, estimate, estimates
from ..runs.runs import Runs
from ..solvers.parametric import Objective, ParametricFit, optimal
from .result import AtBudget, LossComparison, Residual


def coefficient_samples(thetas: np.ndarray) -> dict[str, np.ndarray]:
    a, b, e, alpha, beta = thetas.T
    return {
        "E": np.exp(e),
        "A": np.exp(a),
        "B": np.exp(b),
        "alpha": alpha,
        "beta": beta,
        "a": beta / (alpha + beta),
        "b": alpha / (alpha + beta),
    }


def parametric_at(theta: np.ndarray, thetas: np.ndarray | None, budgets: list[float]) -> list[AtBudget]:
    """The compute-optimal model at each of ``budgets``, with the bootstrap's intervals."""
    points = [[float(x[0]) for x in optimal(theta, flops)] for flops in budgets]  # (params, tokens, loss) each
    columns: dict[str, list[np.ndarray]] = {"params": [], "tokens": [], "loss": [], "tpp": []}
    if thetas is not None:
        for flops in budgets:
            p, t, loss = optimal(thetas, flops)
            for name, values in zip(columns, (p, t, loss, t / p)):
                columns[name].append(values)
    sample: dict[str, np.ndarray | None] = {name: np.column_stack(values) if values else None for name, values in columns.items()}
    params = estimates([point[0] for point in points], sample["params"])
    tokens = estimates([point[1] for point in points], sample["tokens"])
    tpp = estimates([point[1] / point[0] for point in points], sample["tpp"])
    losses = estimates([point[2] for point in points], sample["loss"])
    return [
        AtBudget(flops=flops, params=params[i], tokens=tokens[i], tokens_per_param=tpp[i], loss=losses[i])
        for i, flops in enumerate(budgets)
    ]


def marginal_return(theta: np.ndarray, thetas: np.ndarray | None, flops: float) -> Estimate:
    """Loss the next 10x of compute buys on the fitted frontier, from ``flops``."""

    def gain(t: np.ndarray) -> np.ndarray:
        return optimal(t, flops)[2] - optimal(t, 10 * flops)[2]

    return estimate(float(gain(theta)[0]), None if thetas is None else gain(thetas))


def reducible_at(theta: np.ndarray, flops: float) -> float:
    _, _, loss = optimal(theta, flops)
    return float(loss[0] - np.exp(theta[2]))


def largest_residuals(runs: Runs, predicted_log: np.ndarray, count: int = 5) -> list[Residual]:
    residual = predicted_log - np.log(runs.loss)
    worst = np.argsort(-np.abs(residual), kind="stable")[:count]
    return [
        Residual(
            row=runs.rows[i] if runs.rows else int(i) + 1,
            line=runs.lines[i] if runs.lines else None,
            params=float(runs.params[i]),
            tokens=float(runs.tokens[i]),
            loss=float(runs.loss[i]),
            predicted=float(np.exp(predicted_log[i])),
            residual_log=float(residual[i]),
        )
        for i in worst
    ]


def objective_comparison(objective: Objective, best: ParametricFit, flops: float) -> LossComparison:
    """Tokens/param at ``flops`` under both objectives. The other objective's fit starts from the
    main fit's refined points (the work already done), not from a second full screen."""
    from ..solvers.solver import solve

    other = "lsq" if objective.kind == "huber" else "huber"
    alternative = Objective(objective.log_params, objective.log_tokens, objective.loss, other)
    starts = np.array([theta for _, theta in best.refined])
    thetas, values = solve(alternative, starts, np.ones_like(objective.loss), fits=np.zeros(len(starts), dtype=int))
    tpp = {}
    for name, theta in ((objective.kind, best.theta), (other, thetas[np.nanargmin(values)])):
        params, tokens, _ = optimal(theta, flops)
        tpp[name] = float(tokens[0] / params[0])
    return LossComparison(
        flops=flops,
        huber=tpp["huber"],
        lsq=tpp["lsq"],
        relative_difference=abs(tpp["huber"] - tpp["lsq"]) / min(tpp["huber"], tpp["lsq"]),
    )
