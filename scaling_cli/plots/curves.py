"""The picture of ``scale curve``: each run's observed losses, the fitted and predicted curve with
its 95 % band, and the learning-rate schedule on a second axis below."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .canvas import FIGSIZE, _pyplot, _save, check_path


def plot_curves(fit, runs, path: str | Path):
    """Top: loss against step, every observed point, each run's curve from the law (solid where
    observed, dashed ahead) and its 95 % band ahead. Bottom: each run's learning rate."""
    from ..fitting.curves.curve import drawn_steps
    from ..fitting.curves.curve_fit import curve_band

    path = check_path(path)
    plt = _pyplot()
    figure, (top, bottom) = plt.subplots(2, 1, figsize=FIGSIZE, layout="constrained", sharex=True, height_ratios=(3, 1))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for number, run in enumerate(runs):
        color = colors[number % len(colors)]
        steps = drawn_steps(run, runs, 300)
        values, low, high = curve_band(fit, run, steps)
        last = run.observed_end or 0
        seen = steps <= last
        if len(run.steps):
            top.scatter(run.steps, run.loss, s=6, alpha=0.5, color=color, label=f"{run.name} observed")
        top.plot(steps[seen], values[seen], color=color, linewidth=1.5)
        top.plot(
            steps[~seen],
            values[~seen],
            color=color,
            linewidth=1.5,
            linestyle="--",
            label=f"{run.name} predicted" if (~seen).any() else None,
        )
        if low is not None and high is not None and (~seen).any():
            top.fill_between(steps[~seen], low[~seen], high[~seen], color=color, alpha=0.2)
        bottom.plot(np.arange(len(run.rates)), run.rates, color=color, linewidth=1)
    top.set_ylabel("loss (dashed: predicted, band: 95 %)")
    top.legend(fontsize=8, loc="upper right")
    bottom.set_xlabel("step")
    bottom.set_ylabel("learning rate")
    return _save(figure, path, f"Multi-power law (Luo et al. 2025) on {fit.n_runs} runs: where each run ends")
