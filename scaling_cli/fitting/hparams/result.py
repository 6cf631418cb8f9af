"""What ``scale fit --form lr-batch`` reports (pydantic models, base units)."""

from __future__ import annotations

from pydantic import BaseModel

from ..bootstrap import Estimate, PredictedValue


class CellOptimum(BaseModel):
    params: float
    tokens: float
    runs: int
    used: int
    """Runs that shaped the surface."""
    lr: Estimate
    batch_tokens: Estimate
    best_loss: float
    lr_residual: float | None = None
    """log(lr* / the law's lr at this cell)."""
    batch_residual: float | None = None
    cost_lr_2x: float
    """Relative loss at 2x (or 1/2x, the worse) the optimal learning rate, at the optimal batch."""
    cost_batch_2x: float
    warnings: list[str] = []


class PowerLawFit(BaseModel):
    coefficient: Estimate
    exponents: dict[str, Estimate]
    scatter: float
    """Residual standard deviation across cells, in log units."""


class CellCheck(BaseModel):
    params: float
    tokens: float
    lr_ratio: float
    """The law refitted without this cell, its lr over the cell's optimum."""
    batch_ratio: float
    cost: float
    """Relative loss of that suggestion on the cell's surface."""
    nearest_grid_cost: float = 0.0
    """Relative loss of the cell's run nearest that suggestion (what a team with the grid would pick)."""


class AgainstCell(BaseModel):
    params: float
    tokens: float
    lr: float
    batch_tokens: float
    surface_cost: float
    nearest_grid_cost: float


class Against(BaseModel):
    law: str
    cells: list[AgainstCell]
    median_surface_cost: float
    median_nearest_grid_cost: float


class LrBatchPrediction(BaseModel):
    params: float
    tokens: float
    lr: PredictedValue
    batch_tokens: PredictedValue


class LrBatchFit(BaseModel):
    method: str = "lr-batch"
    source: str
    n_runs: int
    n_cells: int
    cells: list[CellOptimum]
    learning_rate: PowerLawFit
    batch_size_tokens: PowerLawFit
    leave_one_cell_out: list[CellCheck]
    median_loco_cost: float | None
    median_loco_nearest_grid_cost: float | None = None
    median_cost_lr_2x: float
    median_cost_batch_2x: float
    predictions: list[LrBatchPrediction] = []
    against: list[Against] = []
    fitted_range: dict[str, tuple[float, float]] = {}
    warnings: list[str] = []
    notes: list[str] = []
