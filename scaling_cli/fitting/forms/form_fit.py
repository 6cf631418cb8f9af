"""``scale fit --form NAME``: any registered law form fitted to a team's runs, with its check.

The same steps as the Chinchilla fit, on the form's own variables: a multi-start fit
(``form_solver.py``), a bootstrap over runs (warm-started refits, all batched), the form's
planner question answered for every replicate (so it has an interval), predictions whose
intervals add the fit's scatter to the parameters' uncertainty, backtests along the form's
scale variable (fit on the smaller runs, predict the larger) and the joint held-out test of
``predict.py`` on the K largest runs.

Errors live in the objective's space: ln of the target for ``huber``, log10 for ``log-lsq``
(reported as relative errors), the target itself for ``lsq`` (absolute errors).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from ...core.errors import ScaleError
from ...laws.base import Form, Inputs
from ..bootstrap import Estimate, PredictedValue, check_bootstrap, estimate, resample_weights
from ..bootstrap import predicted as predicted_value
from ..check.error_model import point_rng
from ..check.predict import INTERPOLATION_RATIO, TOO_WIDE, joint_test, outcome_of
from ..check.verdicts import Bias, HeldOutVerdict
from ..progress import Progress
from ..solvers.form_solver import WARM_ITERATIONS, FormObjective, fit_best, solve
from ..threads import one_blas_thread
from .form_runs import FormRuns

MAX_BACKTESTS = 4
"""Rolling origins, the largest first: each is a from-scratch multi-start fit."""


class FormPrediction(BaseModel):
    inputs: dict[str, float]
    value: PredictedValue
    """The predicted value with its prediction intervals (fit + scatter; JSON ``pi80``/``pi95``)."""
    extrapolation: float
    """The point's scale variable over the largest fitted one (> 1: beyond the runs)."""
    warnings: list[str] = []


class FormHoldoutRun(BaseModel):
    inputs: dict[str, float]
    observed: float
    predicted: float
    pi95: tuple[float, float] | None
    error: float
    """Relative (predicted / observed - 1) for log objectives, absolute for lsq."""
    inside: bool | None

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.pi95


class FormHoldout(HeldOutVerdict):
    runs: list[FormHoldoutRun]


class FormBacktest(BaseModel):
    fitted_up_to: float
    """The largest scale value the backtest fit saw."""
    runs: int
    extrapolation: float
    median_error: float


class FormFitResult(BaseModel):
    method: str = "form"
    form: str
    equation: str
    citation: str
    target: str
    """The target column (loss, gold_reward, vocab_params)."""
    objective: str
    error_kind: str
    """'relative' (log objectives) or 'absolute' (lsq): how errors and the bias are stated."""
    source: str
    n_runs: int
    n_holdout: int
    bootstrap: int
    bootstrap_failures: int
    seed: int
    parameters: dict[str, Estimate]
    rmse: float
    """RMSE of the residuals in the objective's space (ln, log10 or the target's units)."""
    residual_space: str
    answers: dict[str, Estimate]
    predictions: list[FormPrediction]
    holdout: FormHoldout | None
    backtests: list[FormBacktest]
    scale: str
    fitted_range: dict[str, tuple[float, float]]
    warnings: list[str]
    notes: list[str]


def _space(kind: str) -> str:
    return {"huber": "ln", "log-lsq": "log10", "lsq": "target"}[kind]


def _to_error(kind: str, r: np.ndarray) -> np.ndarray:
    """A residual (prediction minus observation) as the error users read."""
    if kind == "huber":
        return np.expm1(r)
    if kind == "log-lsq":
        return np.expm1(r * math.log(10))
    return r


@one_blas_thread
def fit_form(
    runs: FormRuns,
    form: Form,
    objective: str | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    holdout: int = 0,
    predict: list[tuple[float, ...]] | None = None,
    fixed: dict[str, float] | None = None,
    progress: Progress | None = None,
) -> FormFitResult:
    """Fit ``form`` to ``runs`` (``objective``: the form's default, its paper's, when None);
    ``fixed`` holds some constants at given values (a base law from elsewhere, as Muennighoff
    et al. fitted R_D* and R_N* with the five C4 constants frozen)."""
    check_bootstrap(bootstrap, len(runs.target))
    fixed = dict(fixed or {})
    unknown = sorted(set(fixed) - set(form.parameter_names))
    if unknown:
        raise ScaleError(f"--fix {unknown[0]}: form {form.name} has the constants {', '.join(form.parameter_names)}")
    for parameter in form.parameters:
        if parameter.name in fixed and not parameter.bounds[0] <= fixed[parameter.name] <= parameter.bounds[1]:
            raise ScaleError(
                f"--fix {parameter.name}={fixed[parameter.name]:g}: expected a value in [{parameter.bounds[0]:g}, {parameter.bounds[1]:g}]"
            )
    if len(fixed) == len(form.parameters):
        raise ScaleError(f"--fix holds every constant of form {form.name}: nothing is left to fit")
    kind = objective or form.objectives[0]
    if kind not in form.objectives:
        raise ScaleError(f"--loss {kind}: form {form.name} takes {', '.join(form.objectives)}")
    if kind != "lsq" and not np.all(runs.target > 0):
        raise ScaleError(f"{runs.source}: {form.target.name} must be > 0 for --loss {kind} (log space); use --loss lsq")
    count = len(form.parameters) - len(fixed)
    scale = runs.scale(form)
    order = np.argsort(scale, kind="stable")
    held_index = order[len(runs) - holdout :] if holdout else np.array([], dtype=int)
    train_index = order[: len(runs) - holdout]
    if len(train_index) < count + 1:
        raise ScaleError(
            f"{runs.source}: {len(train_index)} runs to fit; form {form.name} has {count} parameters and needs at "
            f"least {count + 1} (more runs, or a smaller --holdout)"
        )
    train = runs.subset(train_index)
    fitted = FormObjective(form, train.variables, train.target, kind, fixed)
    theta, _value = fit_best(fitted)
    residual = fitted.residuals(theta[None])[0]
    scatter, dof = fitted.scatter(theta)
    warnings, notes = list(_bound_warnings(fitted, theta)), list(runs.notes)

    thetas, failures = None, 0
    if bootstrap:
        if progress:
            progress("bootstrap", 0, bootstrap)
        rng = np.random.default_rng(seed)
        weights = resample_weights(len(train), bootstrap, rng)
        thetas, values = solve(fitted, np.repeat(theta[None], bootstrap, axis=0), weights, WARM_ITERATIONS)
        good = np.isfinite(values)
        failures = int(np.sum(~good))
        thetas = fitted.widen(theta, thetas[good])
        if progress:
            progress("bootstrap", bootstrap, bootstrap)
        if failures:
            warnings.append(f"{failures} of {bootstrap} bootstrap refits failed and were dropped")

    point = {k: float(v[0, 0]) for k, v in fitted.constants(theta[None]).items()}
    samples = None if thetas is None else {k: v[:, 0] for k, v in fitted.constants(thetas).items()}
    parameters = {k: estimate(point[k], None if samples is None or k in fixed else samples[k]) for k in point}
    if fixed:
        notes.append(f"held fixed: {', '.join(f'{k} = {v:g}' for k, v in fixed.items())}")
    answers = {}
    if form.answer is not None:
        with np.errstate(all="ignore"):
            best = form.answer(point, train.variables)
            spread = None if samples is None else form.answer(samples, train.variables)
        answers = {k: estimate(float(v), None if spread is None else np.asarray(spread[k], dtype=float)) for k, v in best.items()}

    fitted_max = float(np.max(train.scale(form)))
    uncertainty = _Uncertainty(fitted, theta, thetas, scatter, dof)
    predictions = [_prediction(uncertainty, point_values, form, fitted_max, seed) for point_values in predict or []]
    held = None
    if holdout:
        held = _holdout(uncertainty, runs.subset(held_index), form, fitted_max, seed)
    backtests = _backtests(train, form, kind, fixed) if len(np.unique(train.scale(form))) >= 3 else []
    if not backtests:
        notes.append(f"no backtests: they need at least 3 distinct values of {form.scale} with enough runs below each")
    return FormFitResult(
        form=form.name,
        equation=form.equation,
        citation=form.citation,
        target=form.target.name,
        objective=kind,
        error_kind="absolute" if kind == "lsq" else "relative",
        source=runs.source,
        n_runs=len(train),
        n_holdout=holdout,
        bootstrap=bootstrap,
        bootstrap_failures=failures,
        seed=seed,
        parameters=parameters,
        rmse=float(np.sqrt(np.mean(residual**2))),
        residual_space=_space(kind),
        answers=answers,
        predictions=predictions,
        holdout=held,
        backtests=backtests,
        scale=form.scale,
        fitted_range={name: (float(v.min()), float(v.max())) for name, v in train.variables.items()},
        warnings=warnings,
        notes=notes,
    )


def _bound_warnings(objective: FormObjective, theta: np.ndarray) -> Iterator[str]:
    for i, parameter in enumerate(objective.free):
        span = objective.upper[i] - objective.lower[i]
        if min(theta[i] - objective.lower[i], objective.upper[i] - theta[i]) < 1e-6 * span:
            yield (
                f"{parameter.name} sits at the edge of its search range {list(parameter.bounds)}: the runs do not pin it "
                "down, and answers that depend on it are not to be trusted"
            )


@dataclass
class _Uncertainty:
    """What a prediction's interval holds: the (widened) bootstrap replicates and the scatter as
    Student's t with n - p degrees of freedom, since its sd is itself estimated from n runs.
    Measured by bench/forms.py: with normal scatter, 9-run fits raised twice the false alarms."""

    objective: FormObjective
    theta: np.ndarray
    thetas: np.ndarray | None
    scatter: float
    dof: int

    def replicates(self, variables: Inputs) -> np.ndarray | None:
        return None if self.thetas is None else self.objective.predicted(self.thetas, variables)

    def draws(self, variables: Inputs, rng: np.random.Generator) -> np.ndarray | None:
        replicate = self.replicates(variables)
        return None if replicate is None else replicate + self.scatter * rng.standard_t(self.dof, size=replicate.shape)

    def covariance(self, variables: Inputs) -> np.ndarray:
        replicate = self.replicates(variables)
        assert replicate is not None  # asked only with a bootstrap
        t_variance = self.dof / (self.dof - 2) if self.dof > 2 else 3.0
        return np.atleast_2d(np.cov(replicate, rowvar=False)) + self.scatter**2 * t_variance * np.eye(replicate.shape[1])


def _prediction(uncertainty: _Uncertainty, values: tuple[float, ...], form: Form, fitted_max: float, seed: int) -> FormPrediction:
    objective = uncertainty.objective
    names = [v.name for v in form.variables]
    variables = {name: np.array([float(x)]) for name, x in zip(names, values)}
    point = float(form.predict(objective.constants(uncertainty.theta[None]), variables)[0, 0])
    draws = uncertainty.draws(variables, point_rng(seed, *values))
    scale = FormRuns(variables, np.array([1.0]), "", (0,)).scale(form)[0]
    ratio = float(scale / fitted_max)
    warnings = []
    if ratio > INTERPOLATION_RATIO:
        warnings.append(
            f"{form.scale} = {scale:.3g} is {ratio:.3g}x the largest fitted ({fitted_max:.3g}), "
            f"{math.log10(ratio):.1f} decades of extrapolation: the interval holds the parameters' uncertainty and "
            "the scatter, not a systematic error beyond the runs (the backtests show how large that was)"
        )
    value = predicted_value(point, None if draws is None else objective.back(draws[:, 0]))
    return FormPrediction(inputs=dict(zip(names, map(float, values))), value=value, extrapolation=ratio, warnings=warnings)


def _holdout(uncertainty: _Uncertainty, held: FormRuns, form: Form, fitted_max: float, seed: int) -> FormHoldout:
    objective = uncertainty.objective
    names = [v.name for v in form.variables]
    observed_t = objective.transform(held.target)
    point_t = objective.predicted(uncertainty.theta[None], held.variables)[0]
    r = point_t - observed_t
    errors = _to_error(objective.kind, r)
    predicted = objective.back(point_t)
    ratio = held.scale(form) / fitted_max
    kind = "extrapolation" if np.any(ratio > INTERPOLATION_RATIO) else "interpolation"
    intervals: list[tuple[float, float] | None] = [None] * len(held)
    covariance = None
    if uncertainty.thetas is not None:
        draws = uncertainty.draws(held.variables, point_rng(seed, *held.target.tolist()))
        assert draws is not None  # a bootstrap (thetas) gives draws
        low, high = np.percentile(objective.back(draws), [2.5, 97.5], axis=0)
        intervals = list(zip(low.tolist(), high.tolist()))
        covariance = uncertainty.covariance(held.variables)
    runs = [
        FormHoldoutRun(
            inputs={n: float(held.variables[n][i]) for n in names},
            observed=float(held.target[i]),
            predicted=float(predicted[i]),
            pi95=intervals[i],
            error=float(errors[i]),
            inside=None if (interval := intervals[i]) is None else bool(interval[0] <= held.target[i] <= interval[1]),
        )
        for i in range(len(held))
    ]
    if covariance is None:
        return FormHoldout(
            runs=runs,
            kind=kind,
            passed=None,
            outcome=None,
            verdict=f"largest error {np.max(np.abs(errors)):.3g}; no intervals without a bootstrap (--bootstrap 0)",
        )
    return _verdict(runs, r, covariance, kind, objective.kind, ratio, form.scale)


def _verdict(
    runs: list[FormHoldoutRun], r: np.ndarray, covariance: np.ndarray, kind: str, objective_kind: str, ratio: np.ndarray, scale: str
) -> FormHoldout:
    """The same joint test and outcomes as the Chinchilla fit's (``predict.py``), in the form's error units."""
    count = len(r)
    mean, sd, bias_p, joint_p = joint_test(r, covariance)
    half = 1.96 * sd
    relative = objective_kind != "lsq"

    def shown(x: float) -> str:
        return f"{float(_to_error(objective_kind, np.array(x))):+.2%}" if relative else f"{x:+.4g}"

    bias = Bias(
        value=float(_to_error(objective_kind, np.array(mean))),
        ci95=(float(_to_error(objective_kind, np.array(mean - half))), float(_to_error(objective_kind, np.array(mean + half)))),
    )
    span = f"mean error {shown(mean)} (95 % interval [{shown(mean - half)}, {shown(mean + half)}])"
    where = (
        f"{count} held-out run{'s' * (count > 1)} up to {ratio.max():.3g}x the largest fitted {scale}"
        if kind == "extrapolation"
        else f"{count} held-out run{'s' * (count > 1)}, none beyond the largest fitted {scale}"
    )
    tests = f"joint test p = {joint_p:.2g}, bias test p = {bias_p:.2g}"
    wide = relative and float(_to_error(objective_kind, np.array(half))) > TOO_WIDE
    outcome, passed = outcome_of(bias_p, joint_p, wide, kind)
    verdict = {
        "biased": f"biased ({'over' if mean > 0 else 'under'}-predicts the {where}; {span}; {tests})",
        "does not extrapolate": f"does not {'extrapolate' if kind == 'extrapolation' else 'fit'}: the {where} scatter more than the "
        f"intervals allow ({tests}; {span})",
        "too few runs to tell": f"too few runs to tell: the mean error's 95 % interval is wider than +-{TOO_WIDE:.0%} ({span})",
        "interpolates": f"interpolates: the {where} agree with the fit ({span}; {tests}); hold out larger runs to test extrapolation",
        "extrapolates": f"extrapolates: the {where} agree with the fit ({span}; {tests})",
    }[outcome]
    return FormHoldout(
        runs=runs, kind=kind, passed=passed, outcome=outcome, verdict=verdict, bias=bias, joint_p_value=joint_p, bias_p_value=bias_p
    )


def _backtests(train: FormRuns, form: Form, kind: str, fixed: dict[str, float]) -> list[FormBacktest]:
    """Rolling origins along the scale variable: fit below each level, predict it and everything above."""
    scale = train.scale(form)
    levels = np.unique(scale)
    need = len(form.parameters) - len(fixed) + 2
    found: list[FormBacktest] = []
    for level in levels[2:][::-1]:
        below = np.flatnonzero(scale < level)
        if len(below) < need or len(found) == MAX_BACKTESTS:
            continue
        part = train.subset(below)
        objective = FormObjective(form, part.variables, part.target, kind, fixed)
        theta, _ = fit_best(objective)
        above = np.flatnonzero(scale >= level)
        ahead = train.subset(above)
        r = objective.predicted(theta[None], ahead.variables)[0] - objective.transform(ahead.target)
        errors = np.abs(_to_error(kind, r))
        fitted_up_to = float(np.max(scale[below]))
        found.append(
            FormBacktest(
                fitted_up_to=fitted_up_to,
                runs=len(above),
                extrapolation=float(np.max(scale[above]) / fitted_up_to),
                median_error=float(np.median(errors)),
            )
        )
    return found[::-1]
