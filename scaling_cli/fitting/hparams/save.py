"""A fitted learning-rate / batch-size law as a file ``--hparams-law FILE`` reads back."""

from __future__ import annotations

import math

from .result import LrBatchFit, PowerLawFit


def law_toml(result: LrBatchFit, name: str) -> str:
    """The fitted laws as a hyperparameter law file that ``--hparams-law FILE`` reads back."""

    def exponents(fit: PowerLawFit) -> str:
        return "{ " + ", ".join(f"{k} = {v.value:.6g}" for k, v in fit.exponents.items()) + " }" if fit.exponents else "{ flops = 0.0 }"

    checks = result.leave_one_cell_out

    def spread(ratios: list[float]) -> str:
        # The leave-one-cell-out errors: how far a new cell's optimum falls from the law.
        if len(ratios) < 2:
            return ""
        sd = math.sqrt(sum(math.log(r) ** 2 for r in ratios) / len(ratios))
        return f"prediction_sd = {sd:.6g}\nevidence = {len(ratios)}\n"

    ranges = "\n".join(f"{k} = [{lo:.6g}, {hi:.6g}]" for k, (lo, hi) in result.fitted_range.items())
    return f"""# A learning-rate / batch-size law fitted by `scale fit --form lr-batch` on {result.source}.
name = "{name}"
title = "{name}: fitted on {result.n_cells} cells of {result.source}"
citation = "fitted by scale fit --form lr-batch on {result.source} ({result.n_runs} runs, {result.n_cells} cells)"
note = "Per-cell optima from quadratic surfaces over (log lr, log batch); least squares across cells. Scatter across cells: lr {result.learning_rate.scatter:.3g}, batch {result.batch_size_tokens.scatter:.3g} (log units)."
counts = "N = the grid's params column as given, D = its tokens"

[learning_rate]
coefficient = {result.learning_rate.coefficient.value:.6g}
exponents = {exponents(result.learning_rate)}
{spread([c.lr_ratio for c in checks])}
[batch_size_tokens]
coefficient = {result.batch_size_tokens.coefficient.value:.6g}
exponents = {exponents(result.batch_size_tokens)}
{spread([c.batch_ratio for c in checks])}
[fitted_range]
{ranges}
"""
