"""``scale fit --metric COLUMN --via COLUMN``: a benchmark score from loss, in two chained steps.

Step 1 fits the via-column (a task loss, or Gadre et al.'s C4 loss) from params and tokens, one
point per run (the mean of its last ``average_last`` rows: the ladder's last-5 average of
checkpoints); step 2 fits the metric against the via-column on every row (checkpoints included,
as the ladder's step 2 does). ``--predict N,D`` chains them: step 2 at step 1's prediction.

The interval is a joint bootstrap: each resample draws whole runs, and the same draw refits both
steps, so the two steps' errors stay paired; a new model's scatter is added at both steps
(Student's t, as ``form_fit.py``). The forms: ``ladder`` (task loss in the Chinchilla form,
Huber on log; the sigmoid, least squares, with the ideal point L = 0, Acc = 1 for accuracies)
or ``gadre`` (Gadre et al.'s one-exponent loss law and Err(L) = eps - k exp(-gamma L), least
squares both, as the authors fit them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from ...core.errors import ScaleError
from ...laws.base import form_named
from ..bootstrap import Estimate, check_bootstrap, estimate, group_weights
from ..check.error_model import point_rng
from ..runs.records import Rows, _listing, _value, read_records
from ..solvers.form_solver import WARM_ITERATIONS, FormObjective, fit_best, solve
from ..threads import one_blas_thread

CHAINS = {"ladder": ("chinchilla", "huber", "task-accuracy"), "gadre": ("gadre-loss", "lsq", "gadre-error")}
CHANCE_MARGIN = 0.02
"""A metric within 2 points of its chance level carries no signal (the rows above it must be at
least 3 for a fit): ranked-classification accuracies scatter by about that much between seeds."""
MIN_ABOVE_CHANCE = 3


class StepFit(BaseModel):
    form: str
    objective: str
    n_points: int
    parameters: dict[str, Estimate]
    rmse: float


class TaskPrediction(BaseModel):
    params: float
    tokens: float
    via: Estimate
    metric: Estimate
    warnings: list[str] = []


class TaskFitResult(BaseModel):
    method: str = "task"
    form: str
    metric: str
    via: str
    source: str
    n_runs: int
    n_rows: int
    bootstrap: int
    bootstrap_failures: int
    seed: int
    chance: float | None
    step1: StepFit | None
    step2: StepFit
    predictions: list[TaskPrediction]
    fitted_range: dict[str, tuple[float, float]]
    warnings: list[str]
    notes: list[str]


def read_task_rows(
    path: str | Path,
    metric: str,
    via: str,
    columns: dict[str, str] | None = None,
    exclude: Rows | None = None,
    run: str | None = None,
    where: list[str] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, str, list[str]]:
    """(params, tokens, via, metric, run labels) arrays from a runs file; params/tokens may be None."""
    records, source, note = read_records(path, exclude, where)
    columns = columns or {}
    present = set().union(*(r.keys() for _, _, r in records)) if records else set()
    for name in (metric, via):
        if name not in present:
            raise ScaleError(f"{source}: no column {name!r} (found: {_listing(present)})")
    names = {"params": columns.get("params", "params"), "tokens": columns.get("tokens", "tokens")}
    for key, column in names.items():
        if key in columns and column not in present:
            raise ScaleError(f"{source}: --columns maps {key} to {column!r}, but there is no such column (found: {_listing(present)})")
    run = run if run is not None else ("run" if "run" in present else None)
    if run is not None and run not in present:
        raise ScaleError(f"{source}: --run-column {run!r} is not a column (found: {_listing(present)})")
    has_size = all(column in present for column in names.values())

    def values(column: str, positive: bool = True) -> np.ndarray:
        return np.array([_value(r.get(column), source, number, line, column, positive) for number, line, r in records])

    data = {"via": values(via), "metric": values(metric, positive=False)}
    if has_size:
        data["params"], data["tokens"] = values(names["params"]), values(names["tokens"])
    labels = np.array([str(r.get(run)) for _, _, r in records]) if run else np.array([str(n) for n, _, _ in records])
    return data, labels, source, [] if note is None else [note]


def _per_run(data: dict[str, np.ndarray], labels: np.ndarray, last: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Step 1's points: per run, its size and final tokens, and the mean via-value of its last rows."""
    order = list(dict.fromkeys(labels.tolist()))
    rows = {label: np.flatnonzero(labels == label) for label in order}
    params = np.array([data["params"][rows[k][-1]] for k in order])
    tokens = np.array([data["tokens"][rows[k][-1]] for k in order])
    via = np.array([data["via"][rows[k][-last:]].mean() for k in order])
    return params, tokens, via, order


@one_blas_thread
def fit_task(
    data: dict[str, np.ndarray],
    labels: np.ndarray,
    source: str,
    metric: str,
    via: str,
    form: str = "ladder",
    bootstrap: int = 1000,
    seed: int = 0,
    predict: list[tuple[float, float]] | None = None,
    chance: float | None = None,
    average_last: int = 1,
    notes: list[str] | None = None,
) -> TaskFitResult:
    check_bootstrap(bootstrap, len(labels))
    if form not in CHAINS:
        raise ScaleError(f"--form {form!r} with --metric: expected one of {', '.join(CHAINS)}")
    loss_name, loss_objective, metric_name = CHAINS[form]
    loss_form, metric_form = form_named(loss_name), form_named(metric_name)
    notes, warnings = list(notes or []), []
    y, x = data["metric"], data["via"]
    if chance is not None:
        above = int(np.sum(y > chance + CHANCE_MARGIN)) if form == "ladder" else int(np.sum(y < chance - CHANCE_MARGIN))
        if above < MIN_ABOVE_CHANCE:
            raise ScaleError(
                f"{metric} is at chance ({chance:g}) in all but {above} of {len(y)} rows: no signal to fit or extrapolate "
                "(see `scale pattern`)"
            )
    # Step 2 on every row (plus the ladder's ideal point for accuracies).
    ideal = form == "ladder" and np.all((y >= 0) & (y <= 1))
    x2, y2 = (np.append(x, 0.0), np.append(y, 1.0)) if ideal else (x, y)
    if ideal:
        notes.append("step 2 includes the ideal point (task loss 0, accuracy 1), as the ladder fits it")
    objective2 = FormObjective(metric_form, {metric_form.variables[0].name: x2}, y2, "lsq")
    if len(x2) < len(metric_form.parameters) + 1:
        raise ScaleError(f"{source}: {len(x2)} rows for step 2; its law has {len(metric_form.parameters)} constants")
    theta2, _ = fit_best(objective2)
    has_size = "params" in data
    step1 = theta1 = objective1 = None
    if has_size:
        params, tokens, via_points, runs = _per_run(data, labels, average_last)
        if average_last > 1:
            notes.append(f"step 1 fits each run's mean {via} over its last {average_last} rows")
        objective1 = FormObjective(loss_form, {"params": params, "tokens": tokens}, via_points, loss_objective)
        if len(runs) < len(loss_form.parameters) + 1:
            raise ScaleError(f"{source}: {len(runs)} runs for step 1; its law has {len(loss_form.parameters)} constants")
        theta1, _ = fit_best(objective1)
    elif predict:
        raise ScaleError("--predict N,D needs params and tokens columns for step 1 (map yours with --columns)")
    else:
        runs = list(dict.fromkeys(labels.tolist()))

    # Joint bootstrap: whole runs, the same draw for both steps.
    thetas1 = thetas2 = None
    failures = 0
    if bootstrap:
        rng = np.random.default_rng(seed)
        run_index = {label: i for i, label in enumerate(runs)}
        groups = [np.flatnonzero(labels == label) for label in runs]
        draws = group_weights([np.array([i]) for i in range(len(runs))], len(runs), bootstrap, rng)
        rows2 = np.zeros((bootstrap, len(x2)))
        for label, members in zip(runs, groups):
            rows2[:, members] = draws[:, [run_index[label]]]
        if ideal:
            rows2[:, -1] = 1.0
        thetas2, values2 = solve(objective2, np.repeat(theta2[None], bootstrap, axis=0), rows2, WARM_ITERATIONS)
        good = np.isfinite(values2)
        if has_size:
            assert objective1 is not None and theta1 is not None  # step 1 was fitted above
            thetas1, values1 = solve(objective1, np.repeat(theta1[None], bootstrap, axis=0), draws, WARM_ITERATIONS)
            good &= np.isfinite(values1)
            thetas1 = thetas1[good]
        thetas2 = thetas2[good]
        failures = int(np.sum(~good))
        # Few points per constant: the bootstrap is narrow; widen as form_fit does (sqrt(n / (n - p))).
        thetas2 = objective2.widen(theta2, thetas2)
        if has_size:
            assert objective1 is not None and theta1 is not None and thetas1 is not None
            thetas1 = objective1.widen(theta1, thetas1)
        if failures:
            warnings.append(f"{failures} of {bootstrap} bootstrap refits failed and were dropped")
    step2 = _step(metric_form.name, "lsq", objective2, theta2, thetas2)
    if has_size:
        assert objective1 is not None and theta1 is not None
        step1 = _step(loss_form.name, loss_objective, objective1, theta1, thetas1)
    predictions = []
    if predict:
        assert objective1 is not None and theta1 is not None  # a prediction needs step 1 (refused above without sizes)
        predictions = [_predict(objective1, theta1, thetas1, objective2, theta2, thetas2, n, d, seed, loss_form.name) for n, d in predict]
    fitted = {"via": (float(x.min()), float(x.max())), "metric": (float(y.min()), float(y.max()))}
    if has_size:
        fitted |= {"params": (float(params.min()), float(params.max())), "tokens": (float(tokens.min()), float(tokens.max()))}
        for p in predictions:
            for key, value in (("params", p.params), ("tokens", p.tokens)):
                ratio = value / fitted[key][1]
                if ratio > 1.12:
                    p.warnings.append(
                        f"{key} {value:.3g} is {ratio:.3g}x the largest fitted ({fitted[key][1]:.3g}), "
                        f"{math.log10(ratio):.1f} decades of extrapolation"
                    )
    return TaskFitResult(
        form=form,
        metric=metric,
        via=via,
        source=source,
        n_runs=len(runs),
        n_rows=len(x),
        bootstrap=bootstrap,
        bootstrap_failures=failures,
        seed=seed,
        chance=chance,
        step1=step1,
        step2=step2,
        predictions=predictions,
        fitted_range=fitted,
        warnings=warnings,
        notes=notes,
    )


def _step(name: str, kind: str, objective: FormObjective, theta: np.ndarray, thetas: np.ndarray | None) -> StepFit:
    point = {k: float(v[0, 0]) for k, v in objective.constants(theta[None]).items()}
    samples = None if thetas is None else {k: v[:, 0] for k, v in objective.constants(thetas).items()}
    residual = objective.residuals(theta[None])[0]
    return StepFit(
        form=name,
        objective=kind,
        n_points=len(objective.target),
        parameters={k: estimate(point[k], None if samples is None else samples[k]) for k in point},
        rmse=float(np.sqrt(np.mean(residual**2))),
    )


def _predict(
    objective1: FormObjective,
    theta1: np.ndarray,
    thetas1: np.ndarray | None,
    objective2: FormObjective,
    theta2: np.ndarray,
    thetas2: np.ndarray | None,
    n: float,
    d: float,
    seed: int,
    loss_form: str,
) -> TaskPrediction:
    point = {"params": np.array([n]), "tokens": np.array([d])}
    via = float(objective1.back(objective1.predicted(theta1[None], point))[0, 0])
    name = objective2.form.variables[0].name
    metric = float(objective2.predicted(theta2[None], {name: np.array([via])})[0, 0])
    if thetas1 is None:
        return TaskPrediction(params=n, tokens=d, via=Estimate(value=via), metric=Estimate(value=metric))
    assert thetas2 is not None  # both steps are bootstrapped together
    rng = point_rng(seed, n, d)
    scatter1, dof1 = objective1.scatter(theta1)
    scatter2, dof2 = objective2.scatter(theta2)
    via_draws = objective1.back(objective1.predicted(thetas1, point)[:, 0] + scatter1 * rng.standard_t(dof1, len(thetas1)))
    constants = objective2.constants(thetas2)
    metric_draws = objective2.form.predict(constants, {name: via_draws[:, None]})[:, 0] + scatter2 * rng.standard_t(dof2, len(thetas2))
    return TaskPrediction(params=n, tokens=d, via=estimate(via, via_draws), metric=estimate(metric, metric_draws))
