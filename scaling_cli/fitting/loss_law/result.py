"""What ``scale fit`` reports: pydantic models, base units, intervals as [low, high]."""

from __future__ import annotations

from pydantic import BaseModel

from ..bootstrap import Estimate
from ..check.verdicts import Backtest, Holdout, Prediction, ScalingCheck  # the scaling check's part of the report
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
