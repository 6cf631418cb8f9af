"""The picture of ``scale compare``: each set's runs and fitted frontier, and the multiplier with its band."""

from __future__ import annotations

from pathlib import Path

from .canvas import FIGSIZE, _human_axis, _pyplot, _save, check_path


def plot_compare(result, sets, path: str | Path):
    """Left: loss against compute, every run and each set's compute-optimal frontier. Right: the
    multiplier of each set over the first against compute, its 95 % band, the shared compute
    shaded apart from the extrapolated ends, and 1x (no difference) dashed."""
    path = check_path(path)
    plt = _pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=FIGSIZE, layout="constrained")
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for number, ((label, runs), summary) in enumerate(zip(sets, result.sets)):
        color = colors[number % len(colors)]
        left.scatter(runs.flops, runs.loss, s=12, alpha=0.45, color=color, label=f"{label} runs")
        flops, loss = zip(*summary.frontier)
        left.plot(flops, loss, color=color, linewidth=2, label=f"{label} frontier")
    left.set_xscale("log")
    left.set_xlabel("training compute (FLOPs)")
    left.set_ylabel("Final loss (nats/token)")
    _human_axis(left.xaxis, "sci")
    left.legend(fontsize=8)
    for number, comparison in enumerate(result.comparisons, start=1):
        color = colors[number % len(colors)]
        points = [m for m in comparison.curve if m.value is not None]
        multiplier_flops = [m.flops for m in points]
        right.plot(
            multiplier_flops, [m.value for m in points], color=color, linewidth=2, label=f"{comparison.label} over {comparison.baseline}"
        )
        banded = [m for m in points if m.ci95 is not None]
        if banded:
            right.fill_between([m.flops for m in banded], [m.ci95[0] for m in banded], [m.ci95[1] for m in banded], color=color, alpha=0.2)
        if comparison.shared_flops:
            right.axvspan(*comparison.shared_flops, color="0.9", zorder=0)
    right.axhline(1.0, color="0.3", linestyle="--", linewidth=1)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("training compute (FLOPs); grey: compute both sets cover")
    right.set_ylabel("compute multiplier (95 % band)")
    _human_axis(right.xaxis, "sci")
    right.legend(fontsize=8)
    from matplotlib.ticker import FuncFormatter

    right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}x"))
    baseline = result.sets[0].label
    return _save(figure, path, f"Compute multiplier over {baseline}: the frontiers, and what {baseline} would need to match them")
