"""What ``scale fit`` reports: pydantic models, base units, intervals as [low, high]."""

from __future__ import annotations

from pydantic import BaseModel

from ..bootstrap import Estimate
from .envelope_law import EnvelopeLaw
from .regime import Regime


class AtBudget(BaseModel):
    """The fitted law's compute-optimal allocation at one budget (loss: parametric only)."""

    flops: float
    params: Estimate
    tokens: Estimate
    tokens_per_param: Estimate
    loss: Estimate | None = None


class Residual(BaseModel):
    """One run's misfit, for the 'largest residuals' list."""

    row: int
    line: int | None
    params: float
    tokens: float
    loss: float
    predicted: float
    residual_log: float
    """log(predicted) - log(loss)."""


class HoldoutRun(BaseModel):
    params: float
    tokens: float
    flops: float
    loss: float
    predicted: float
    ci95: tuple[float, float] | None
    """95 % prediction interval: bootstrap parameters, out-of-sample scatter and the backtests'
    extrapolation error (see :class:`Prediction`)."""
    error: float
    """Relative error of the prediction: predicted / loss - 1."""
    inside: bool | None
    extrapolation: float = 1.0
    """This run's compute over the largest fitted compute."""


class Bias(BaseModel):
    value: float
    """Mean relative error of the held-out predictions (predicted / observed - 1): > 0 over-predicts."""
    ci95: tuple[float, float] | None = None


class HeldOutVerdict(BaseModel):
    """What the held-out check concludes (predict.joint_test, outcome_of): shared by the
    Chinchilla check (:class:`Holdout`) and the form fits' (``form_fit.FormHoldout``)."""

    verdict: str
    bias: Bias | None = None
    kind: str = "extrapolation"
    """'extrapolation' when some held-out run lies beyond the fitted compute, else 'interpolation'."""
    passed: bool | None = None
    """The joint test: neither the mean error nor the standardized residuals reject the law at 5 %."""
    outcome: str | None = None
    """'extrapolates', 'interpolates', 'biased', 'does not extrapolate' or 'too few runs to tell'."""
    joint_p_value: float | None = None
    bias_p_value: float | None = None


class Holdout(HeldOutVerdict):
    runs: list[HoldoutRun]
    all_inside: bool | None


class IntervalParts(BaseModel):
    """Standard deviations (in log loss, ~relative) of the three parts of a prediction interval."""

    parameters: float
    """The bootstrap spread of the fitted law's prediction."""
    scatter: float
    """Run-to-run noise, measured out of sample (leave-one-budget-out)."""
    extrapolation: float
    """The systematic error the backtests measured, tau per decade times the decades beyond the fit."""


class Prediction(BaseModel):
    params: float
    tokens: float
    flops: float
    extrapolation: float
    """Compute over the largest fitted compute."""
    loss: Estimate
    interval_parts: IntervalParts | None = None
    compute_optimal: bool = False
    """True for --predict-flops: the fitted law's compute-optimal model at ``flops``."""
    envelope: Estimate | None = None
    """The compute-envelope law L(C) = E + A C^-gamma at ``flops`` (--predict-flops only)."""
    warnings: list[str] = []


class BacktestError(BaseModel):
    flops: float
    extrapolation: float
    error: float


class Backtest(BaseModel):
    fitted_up_to_flops: float
    n_fitted: int
    runs: int
    """Runs predicted (every run above the fitted budgets)."""
    extrapolation: float
    """The median extrapolation ratio of the predicted runs."""
    max_extrapolation: float
    median_error: float
    """Median relative error (predicted / observed - 1) of the predicted runs."""
    errors: list[BacktestError] = []


class ScalingCheck(BaseModel):
    """The out-of-sample error model behind every interval of a parametric fit."""

    resample: str
    scatter: float
    """Standard deviation of out-of-sample log errors (run-to-run noise)."""
    scatter_source: str
    extrapolation_per_decade: float
    """tau: the systematic error's standard deviation per decade beyond the fitted compute."""
    drift_per_decade: float | None
    """Slope of the backtests' log errors against decades of extrapolation."""
    drift: bool
    mean_standardized_error: float | None
    evidence: str


class OutsideRegime(BaseModel):
    """Runs likely outside the law's regime, and what leaving them out does at the reference budget."""

    rows: list[int]
    reasons: list[str]
    loss_at_reference: float | None = None
    loss_at_reference_without: float | None = None
    shift: float | None = None
    """Relative change of the predicted loss at the reference budget without them."""


class Bucket(BaseModel):
    """One compute bucket's optimum (isoflop: the parabola's vertex; envelope: its best run)."""

    flops: float
    params: float
    tokens: float
    loss: float
    n_runs: int
    parabola: tuple[float, float, float] | None = None
    """isoflop: loss = c0 + c1 ln N + c2 (ln N)^2 over the bucket's runs, as (c0, c1, c2)."""


class LossComparison(BaseModel):
    """Tokens per parameter under both objectives: peer tools disagree ~3x on the same runs."""

    flops: float
    huber: float
    lsq: float
    relative_difference: float
    """|huber - lsq| / min(huber, lsq)."""


class FitResult(BaseModel):
    method: str
    loss: str | None
    """The objective of a parametric fit: 'huber' (log space, delta 1e-3) or 'lsq' (loss space)."""
    source: str
    n_runs: int
    n_holdout: int
    bootstrap: int
    bootstrap_failures: int
    seed: int
    coefficients: dict[str, Estimate] | None
    a: Estimate
    """N_opt grows as C^a."""
    b: Estimate
    """D_opt grows as C^b."""
    k_params: Estimate | None
    k_tokens: Estimate | None
    objective: float | None
    n_starts: int | None
    n_refined: int | None
    rmse_log: float
    """parametric: RMSE of log-loss residuals; isoflop/envelope: of log N_opt around its power law."""
    reference: AtBudget
    """The allocation at ``at`` if given, else at the largest run's compute."""
    at: AtBudget | None
    allocation: list[AtBudget]
    frontier: list[AtBudget]
    """The fitted compute-optimal frontier from the smallest run's compute to the largest, ``at``,
    a held-out run or a --predict-flops budget (whichever is furthest), log-spaced: what a plot
    draws with its 95 % band."""
    largest_residuals: list[Residual]
    buckets: list[Bucket] | None
    skipped_buckets: list[str]
    holdout: Holdout | None
    regime: Regime
    loss_comparison: LossComparison | None
    warnings: list[str]
    notes: list[str]
    predictions: list[Prediction] = []
    backtests: list[Backtest] = []
    check: ScalingCheck | None = None
    outside_regime: OutsideRegime | None = None
    resample: str = "runs"
    fitted_range: dict[str, tuple[float, float]] = {}
    """The compute, params and tokens per parameter of the fitted runs (min, max)."""
    envelope_law: EnvelopeLaw | None = None
    """The compute-envelope law L(C) = E + A C^-gamma on the frontier (parametric fits)."""
