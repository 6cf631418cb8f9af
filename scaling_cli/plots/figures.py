"""Scaling laws as pictures: IsoFLOP curves, fitted laws against runs, over-training trade-offs.

matplotlib is optional (``pip install 'scaling-cli[plot]'``) and imported only here, only when
a plot is asked for. Each function draws a figure, saves it in the format its file extension
names (.png, .svg, .pdf) and returns the figure, so callers (and tests) can read what was drawn.
Axes are logarithmic with human tick labels (1B, 10B; 1e21).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..core.errors import ScaleError
from ..core.units import article, format_count, format_sci
from ..laws import Law
from .canvas import DPI, FIGSIZE, FORMATS, _human_axis, _pyplot, _save, check_path, described, private_cache_dir, tick_label

__all__ = [  # the drawing helpers live in canvas.py; these names have always been importable here
    "DPI",
    "FIGSIZE",
    "FIGSIZE_CHECK",
    "FORMATS",
    "check_path",
    "described",
    "plot_fit",
    "plot_overtrain",
    "plot_plan",
    "private_cache_dir",
    "tick_label",
]

FIGSIZE_CHECK = (16.5, 4.6)
"""A parametric fit's three panels: the runs, the law against compute, the backtests."""
BUDGET_STEPS = (-2, -1, 0, 1, 2)
"""IsoFLOP curves at the budget and at 10x and 100x either side of it."""


def _unit(law: Law) -> str:
    return "parameters" if law.params_counted == "total" else f"parameters, {law.params_counted}"


def plot_plan(result, law: Law, path: str | Path):
    """IsoFLOP curves (loss against params) around the plan's budget, their optima, and the frontier."""
    path = check_path(path)
    if not law.has_loss:
        raise ScaleError(f"--plot draws predicted losses, and law {law.name!r} has no loss form")
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=FIGSIZE, layout="constrained")
    unique = result.unique_tokens
    optima = []
    for step in BUDGET_STEPS:
        flops = result.flops * 10.0**step
        best_n, best_d = law.optimal(flops, unique)
        sizes = best_n * np.geomspace(1 / 30, 30, 200)
        losses = [law.predict_loss(n, flops / (6 * n), unique) for n in sizes]
        main = step == 0
        (line,) = axes.plot(sizes, losses, lw=2.4 if main else 1.2, alpha=1 if main else 0.7, label=f"{format_sci(flops)} FLOPs")
        best_loss = law.predict_loss(best_n, best_d, unique)
        marker = axes.plot([best_n], [best_loss], "o", color=line.get_color(), ms=8 if main else 5, zorder=3)[0]
        if main:
            marker.set_gid("optimum")
            axes.annotate(
                f"{format_count(best_n)} params\n{format_count(best_d)} tokens",
                (best_n, best_loss),
                textcoords="offset points",
                xytext=(14, -40),
                fontsize=10,
                color=line.get_color(),
                arrowprops={"arrowstyle": "-", "color": line.get_color(), "lw": 1},
                bbox={"boxstyle": "round", "fc": "white", "alpha": 0.9, "lw": 0},
                gid="optimum-label",
            )  # below-right, tied to its own optimum by a line: clear of the frontier
        optima.append((best_n, best_loss))
    frontier = np.array(optima)
    axes.plot(frontier[:, 0], frontier[:, 1], "k--", lw=1, label="compute-optimal frontier")
    fitted = law.fitted_range.params if law.fitted_range is not None else None
    if fitted is not None:
        axes.axvspan(*fitted, color="tab:green", alpha=0.08, label="model sizes the law was fitted on", gid="fitted-range")
    axes.set_xscale("log")
    _human_axis(axes.xaxis, "count")
    axes.set_xlabel(f"Model size ({_unit(law)})")
    axes.set_ylabel("Predicted final loss (nats/token)")
    top = max(frontier[:, 1]) + 0.6 * (max(frontier[:, 1]) - min(frontier[:, 1]) + 0.05)
    axes.set_ylim(min(frontier[:, 1]) - 0.05, top)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=9, title="IsoFLOP budget", title_fontsize=9, loc="best")
    data = "" if unique is None else f", {format_count(unique)} unique tokens"
    return _save(figure, path, f"IsoFLOP curves under {law.title}{data}")


def plot_fit(result, runs, path: str | Path):
    """The runs (coloured by compute) with the fitted IsoFLOP curves at the runs' own budgets; for a
    parametric fit, the scaling check beside them (loss against compute with the fitted frontier,
    held-out runs and predictions with their 95 % intervals; backtest errors against the
    extrapolation ratio), else the fitted N_opt(C) with its 95 % band."""
    path = check_path(path)
    plt = _pyplot()
    from matplotlib.colors import LogNorm

    check = result.method == "parametric"
    # The backtest panel only where there are backtests: a small fit's third panel was empty.
    panel_count = 3 if check and result.backtests else 2
    figure, panels = plt.subplots(1, panel_count, figsize=FIGSIZE_CHECK if panel_count == 3 else FIGSIZE, layout="constrained")
    left = panels[0]
    norm = LogNorm(vmin=runs.flops.min(), vmax=runs.flops.max())
    is_held = _held_mask(result, runs)
    cmap = plt.get_cmap("viridis")
    points = left.scatter(runs.params[~is_held], runs.loss[~is_held], c=runs.flops[~is_held], cmap=cmap, norm=norm, s=18, label="runs")
    if is_held.any():
        left.scatter(
            runs.params[is_held],
            runs.loss[is_held],
            c=runs.flops[is_held],
            cmap=cmap,
            norm=norm,
            s=70,
            marker="*",
            edgecolors="red",
            linewidths=1.0,
            label="held out",
        )
    for flops in _curve_budgets(result, runs):
        sizes, losses = _fitted_curve(result, flops, runs)
        if sizes is not None:
            left.plot(sizes, losses, color=cmap(norm(flops)), lw=1.2)
    span = runs.loss.max() - runs.loss.min()
    left.set_ylim(runs.loss.min() - 0.1 * span, runs.loss.max() + 0.25 * span)
    left.set_xscale("log")
    _human_axis(left.xaxis, "count")
    left.set_xlabel("Model size (parameters)")
    left.set_ylabel("Final loss (nats/token)")
    left.set_title("Runs and the fitted IsoFLOP curves at their budgets", fontsize=11)
    left.grid(True, alpha=0.3)
    left.legend(fontsize=9, loc="best")
    bar = figure.colorbar(points, ax=left, label="Training compute (FLOPs)")
    _human_axis(bar.ax.yaxis, "sci")
    if check:
        _frontier_panel(panels[1], result, runs, is_held)
        if panel_count == 3:
            _backtest_panel(panels[2], result)
    else:
        _allocation_panel(panels[1], result, runs)
    method = {"parametric": "Parametric fit", "isoflop": "IsoFLOP fit", "envelope": "Envelope fit"}[result.method]
    return _save(figure, path, f"{method} of {result.n_runs} runs ({Path(result.source).name})")


def _held_mask(result, runs) -> np.ndarray:
    held = {(h.params, h.tokens) for h in (result.holdout.runs if result.holdout else [])}
    return np.array([(n, d) in held for n, d in zip(runs.params.tolist(), runs.tokens.tolist())])


def _frontier_panel(axes, result, runs, is_held) -> None:
    """Loss against compute: the runs, the fitted frontier and its band, held-out runs and predictions."""
    axes.scatter(runs.flops[~is_held], runs.loss[~is_held], s=10, color="0.55", label="fitted runs")
    points = result.frontier + [p for p in [result.at] if p is not None]
    points = sorted(points, key=lambda f: f.flops)
    flops = np.array([f.flops for f in points])
    axes.plot(flops, [f.loss.value for f in points], "k-", lw=1.6, label="fitted frontier (compute-optimal loss)")
    if points[0].loss.ci95 is not None:
        axes.fill_between(
            flops,
            [f.loss.ci95[0] for f in points],
            [f.loss.ci95[1] for f in points],
            color="0.6",
            alpha=0.3,
            label="95 % band of the law (bootstrap)",
        )
    if result.holdout is not None:
        held = result.holdout.runs
        axes.scatter([h.flops for h in held], [h.loss for h in held], marker="*", s=90, color="tab:red", zorder=4, label="held-out runs")
        with_ci = [h for h in held if h.ci95 is not None]
        if with_ci:
            axes.errorbar(
                [h.flops for h in with_ci],
                [h.predicted for h in with_ci],
                yerr=np.array([[h.predicted - h.ci95[0], h.ci95[1] - h.predicted] for h in with_ci]).T,
                fmt="_",
                color="tab:red",
                alpha=0.7,
                capsize=3,
                label="their predictions, 95 % intervals",
            )
    predicted = [p for p in result.predictions if p.loss.ci95 is not None]
    if predicted:
        axes.errorbar(
            [p.flops for p in predicted],
            [p.loss.value for p in predicted],
            yerr=np.array([[p.loss.value - p.loss.ci95[0], p.loss.ci95[1] - p.loss.value] for p in predicted]).T,
            fmt="D",
            color="tab:blue",
            capsize=4,
            label="predictions, 95 % intervals",
        )
        for p in predicted:  # each diamond says what it predicts
            axes.annotate(
                f"{format_count(p.params)} on {format_count(p.tokens)}: {p.loss.value:.3f}",
                (p.flops, p.loss.value),
                textcoords="offset points",
                xytext=(-8, 8),
                ha="right",
                fontsize=8,
                color="tab:blue",
                gid="prediction-label",
            )
    axes.axvline(runs.flops[~is_held].max(), color="tab:green", ls=":", lw=1, label="largest fitted compute")
    axes.set_xscale("log")
    _human_axis(axes.xaxis, "sci")
    axes.set_xlabel("Training compute (FLOPs)")
    axes.set_ylabel("Final loss (nats/token)")
    axes.set_title("The scaling check: the law against compute", fontsize=11)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, loc="best")


def _backtest_panel(axes, result) -> None:
    """Each backtest's errors against how far it extrapolated, and the error model's 95 % band."""
    if not result.backtests:
        axes.text(0.5, 0.5, "no backtest: too few compute budgets", ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    cmap = _pyplot().get_cmap("plasma")
    for number, backtest in enumerate(result.backtests):
        axes.scatter(
            backtest.errors.extrapolation,
            [100 * e for e in backtest.errors.error],
            s=10,
            color=cmap(number / max(len(result.backtests) - 1, 1)),
            alpha=0.7,
            label=f"fitted up to {format_sci(backtest.fitted_up_to_flops)}",
        )
    reach = max(b.max_extrapolation for b in result.backtests)
    ratio = np.geomspace(1, max(reach, 1.01), 50)
    check = result.check
    half = 100 * 1.96 * np.sqrt(check.scatter**2 + (check.extrapolation_per_decade * np.log10(ratio)) ** 2)
    axes.fill_between(ratio, -half, half, color="0.6", alpha=0.25, label="95 %: scatter + extrapolation error")
    axes.axhline(0, color="k", lw=0.8)
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(_pyplot().FuncFormatter(lambda value, _: f"{value:g}x"))  # ratios, as the other panels' human ticks
    axes.set_xlabel("Extrapolation (run compute / largest fitted compute)")
    axes.set_ylabel("Error of the prediction (%; > 0: over-predicts)")
    axes.set_title("Backtests: fit the smaller budgets, predict the larger", fontsize=11)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8, ncol=2, loc="best")


def _allocation_panel(right, result, runs) -> None:
    frontier = result.frontier
    flops = np.array([f.flops for f in frontier])
    right.plot(flops, [f.params.value for f in frontier], "k-", lw=1.8, label=f"fitted N_opt ∝ C^{result.a.value:.3f}")
    if frontier[0].params.ci95 is not None:
        right.fill_between(
            flops,
            [f.params.ci95[0] for f in frontier],
            [f.params.ci95[1] for f in frontier],
            color="0.6",
            alpha=0.35,
            label="95 % bootstrap band",
        )
    if result.buckets:
        right.scatter(
            [b.flops for b in result.buckets], [b.params for b in result.buckets], color="tab:orange", zorder=3, label="bucket optima"
        )
    if result.at is not None:
        right.plot([result.at.flops], [result.at.params.value], "D", color="tab:red", zorder=4, label=f"at {format_sci(result.at.flops)}")
    right.axvspan(runs.flops.min(), runs.flops.max(), color="tab:green", alpha=0.06, label="range of the runs")
    right.set_xscale("log")
    right.set_yscale("log")
    _human_axis(right.xaxis, "sci")
    _human_axis(right.yaxis, "count")
    right.set_xlabel("Training compute (FLOPs)")
    right.set_ylabel("Compute-optimal model size (parameters)")
    right.grid(True, which="major", alpha=0.3)
    right.legend(fontsize=9)


def _curve_budgets(result, runs) -> list[float]:
    """The budgets the runs have (detected IsoFLOP budgets, else bins of their compute), so that
    each curve passes through its own runs."""
    if result.buckets:
        return [b.flops for b in result.buckets]
    from ..fitting.loss_law.regime import regime_buckets

    return [float(np.median(runs.flops[index])) for index in regime_buckets(runs)]


def _fitted_curve(result, flops: float, runs):
    """A fitted IsoFLOP curve: the parametric law at this compute, or the bucket's parabola."""
    if result.coefficients:
        c = {name: estimate.value for name, estimate in result.coefficients.items()}
        sizes = np.geomspace(runs.params.min() / 2, runs.params.max() * 2, 150)
        tokens = flops / (6 * sizes)
        return sizes, c["E"] + c["A"] / sizes ** c["alpha"] + c["B"] / tokens ** c["beta"]
    bucket = next((b for b in result.buckets or [] if b.flops == flops and b.parabola), None)
    if bucket is None:
        return None, None
    c0, c1, c2 = bucket.parabola
    x = np.linspace(math.log(bucket.params) - 1.5, math.log(bucket.params) + 1.5, 100)
    return np.exp(x), c0 + c1 * x + c2 * x**2


def plot_overtrain(result, law: Law, path: str | Path):
    """Loss against training compute for the fixed model and for the compute-optimal models; and
    what the smaller model costs: its extra training compute and the inference tokens after which
    its cheaper serving pays that back (the break-even), against tokens per parameter."""
    path = check_path(path)
    if not law.has_loss:
        raise ScaleError(f"--plot draws predicted losses, and law {law.name!r} has no loss form")
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE, layout="constrained")
    n, unique = result.params, result.unique_tokens
    ratios = np.geomspace(
        min(5.0, min(r.tokens_per_param for r in result.rows)), max(2000.0, max(r.tokens_per_param for r in result.rows)), 80
    )
    tokens = n * ratios
    flops = 6 * n * tokens
    losses = np.array([law.predict_loss(n, d, unique) for d in tokens])
    left.plot(flops, losses, lw=2.2, label=f"{format_count(n)} parameters, more and more tokens")
    frontier_flops = np.geomspace(flops[0] / 50, flops[-1], 80)
    frontier = [law.optimal(c, unique) for c in frontier_flops]
    left.plot(
        frontier_flops, [law.predict_loss(p, d, unique) for p, d in frontier], "k--", lw=1.2, label="compute-optimal models (other sizes)"
    )
    left.plot([r.flops for r in result.rows], [r.loss for r in result.rows], "o", color="tab:blue", label="the table's rows")
    if result.loss_floor is not None:
        left.axhline(result.loss_floor, color="tab:red", lw=1, ls=":", label=f"floor of {format_count(n)}: {result.loss_floor:.3f}")
    left.set_xscale("log")
    _human_axis(left.xaxis, "sci")
    left.set_xlabel("Training compute (FLOPs)")
    left.set_ylabel("Predicted final loss (nats/token)")
    left.set_title("Loss against training compute", fontsize=11)
    left.set_ylim(min(result.loss_floor or losses.min(), losses.min()) - 0.03, losses.max() + 0.05)
    left.grid(True, alpha=0.3)
    left.legend(fontsize=9, loc="best")

    overheads = []
    for d, loss in zip(tokens, losses):
        optimum = law.optimal_for_loss(loss, unique)
        overheads.append(np.nan if optimum is None else 100 * (6 * n * d / (6 * optimum[0] * optimum[1]) - 1))
    right.plot(ratios, overheads, lw=2.2, label="extra training compute (left axis)")
    right.plot(
        [r.tokens_per_param for r in result.rows],
        [100 * r.compute_overhead if r.compute_overhead is not None else np.nan for r in result.rows],
        "o",
        color="tab:blue",
    )
    right.axhline(0, color="0.4", lw=0.8)
    right.set_xscale("log")
    right.xaxis.set_major_formatter(plt.FuncFormatter(lambda value, _: f"{value:g}"))
    right.set_xlabel("Tokens per parameter")
    right.set_ylabel("Extra training compute over the\ncompute-optimal model of equal loss (%)")
    right.set_title("What the smaller model costs, and when serving repays it", fontsize=11)
    right.grid(True, alpha=0.3)
    even = [(r.tokens_per_param, r.breakeven_inference_tokens) for r in result.rows if r.breakeven_inference_tokens]
    if even:
        twin = right.twinx()
        twin.plot(*zip(*even), "s--", color="tab:orange", lw=1.2, label="break-even inference tokens (right axis)", gid="break-even")
        twin.set_yscale("log")
        _human_axis(twin.yaxis, "count")
        twin.set_ylabel("Inference tokens after which the smaller model has paid off", color="tab:orange")
        handles = right.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
        right.legend(handles=handles, fontsize=9, loc="upper left")
    data = "" if unique is None else f", {format_count(unique)} unique tokens"
    return _save(figure, path, f"Over-training {article(format_count(n))}-parameter model under {law.title}{data}")
