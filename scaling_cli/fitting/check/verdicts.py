"""What the scaling check reports: predictions with their interval's parts, backtests, the error
model, and held-out verdicts (pydantic models, base units, intervals as [low, high])."""

from __future__ import annotations

from pydantic import BaseModel

from ..bootstrap import PredictedValue


class HoldoutRun(BaseModel):
    params: float
    tokens: float
    flops: float
    loss: float
    predicted: float
    pi95: tuple[float, float] | None
    """95 % prediction interval: bootstrap parameters, out-of-sample scatter and the
    extrapolation error (see :class:`Prediction`). JSON ``pi95`` (schema 2; ``ci95`` before)."""
    error: float
    """Relative error of the prediction: predicted / loss - 1."""
    inside: bool | None
    extrapolation: float = 1.0
    """This run's compute over the largest fitted compute."""

    @property
    def ci95(self) -> tuple[float, float] | None:
        return self.pi95


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
    """The systematic extrapolation error, tau per decade times the decades beyond the fit."""
    cross_study: float = 0.0
    """Its cross-study part: how far real laws missed at this distance (``configs/extrapolation.toml``)."""
    backtests: float = 0.0
    """Its part from this sweep's own backtests (0 when they show no more than the bootstrap and scatter)."""


class Prediction(BaseModel):
    params: float
    tokens: float
    flops: float
    extrapolation: float
    """Compute over the largest fitted compute."""
    loss: PredictedValue
    """The predicted loss with its 80/95 % prediction intervals (JSON ``pi80``/``pi95``)."""
    interval_parts: IntervalParts | None = None
    compute_optimal: bool = False
    """True for --predict-flops: the fitted law's compute-optimal model at ``flops``."""
    envelope: PredictedValue | None = None
    """The compute-envelope law L(C) = E + A C^-gamma at ``flops`` (--predict-flops only)."""
    warnings: list[str] = []


class BacktestErrors(BaseModel):
    """A backtest's predicted runs as three columns, one entry per run: a ladder's checkpoint
    file predicts 350,000 across its backtests (schema 2: columns, not an object per run)."""

    flops: list[float] = []
    extrapolation: list[float] = []
    """Each run's compute over the backtest's largest fitted compute."""
    error: list[float] = []
    """Each run's relative error, predicted / observed - 1."""


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
    errors: BacktestErrors = BacktestErrors()


class ScalingCheck(BaseModel):
    """The out-of-sample error model behind every interval of a parametric fit."""

    resample: str
    scatter: float
    """Standard deviation of out-of-sample log errors (run-to-run noise)."""
    scatter_source: str
    extrapolation_per_decade: float
    """tau: the systematic error's standard deviation per decade beyond the fitted compute, the
    cross-study error updated by this sweep's backtests: what every interval uses."""
    backtest_per_decade: float | None = None
    """tau from the backtests alone; None without backtests (``evidence`` says why)."""
    cross_study_per_decade: float = 0.0
    """tau_0, how far real laws missed per decade across studies (``configs/extrapolation.toml``)."""
    cross_study_weight: float = 0.0
    """k_0: the weight of that evidence, in backtests' worth of squared decades."""
    drift_per_decade: float | None
    """Slope of the backtests' log errors against decades of extrapolation."""
    drift: bool
    mean_standardized_error: float | None
    evidence: str
    backtest_excess: float | None = None
    """What the backtests show beyond the bootstrap and the scatter: per backtest the mean of
    e^2 - var_param - scatter^2 (log errors), summed over backtests (None without backtests or a
    bootstrap)."""
    backtest_weight: float = 0.0
    """Per backtest the mean of x^2 (x: decades beyond its fitted compute), summed: how much
    extrapolation the backtests have seen. ``backtest_excess / backtest_weight`` is their tau^2."""
