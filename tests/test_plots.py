"""--plot: valid images of the expected size, the optimum where --json says, a clear line without matplotlib."""

import re
import struct
import sys

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the plot extra (scaling-cli[plot]) is not installed; the test extra installs it")

from conftest import synthetic_runs, write_runs_csv

from scaling_cli import load_law, plan
from scaling_cli.plots.figures import DPI, FIGSIZE, FIGSIZE_CHECK, plot_plan, tick_label


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_size(path):
    head = path.read_text()[:2000]
    assert "<svg" in head
    width = float(re.search(r'width="([\d.]+)pt"', head).group(1))
    height = float(re.search(r'height="([\d.]+)pt"', head).group(1))
    return width, height


def pdf_size(path):
    data = path.read_bytes()
    assert data[:5] == b"%PDF-"
    box = re.search(rb"/MediaBox \[ ?0 0 ([\d.]+) ([\d.]+) ?\]", data)
    return float(box.group(1)), float(box.group(2))


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_each_command_writes_a_valid_image_of_the_expected_size(cli, tmp_path, suffix):
    runs = write_runs_csv(tmp_path / "runs.csv", synthetic_runs(seed=0, sizes=6))
    commands = {
        "plan": ["plan", "--flops", "1e23"],
        "overtrain": ["overtrain", "--params", "7e9"],
        "fit": ["fit", str(runs), "--bootstrap", "20", "--holdout", "3", "--at", "1e23"],
        "isoflop": ["fit", str(runs), "--method", "isoflop", "--bootstrap", "20"],
    }
    if suffix != ".png":  # the writer is one savefig for every format: each figure size once is enough here
        commands = {name: commands[name] for name in ("plan", "fit")}
    for name, argv in commands.items():
        path = tmp_path / f"{name}{suffix}"
        result = cli(*argv, "--plot", str(path))
        assert result.exit_code == 0, result.stderr
        assert result.stderr.startswith(f"scale: wrote {path}: ") and result.stderr.count("\n") == 1  # one line: what, where
        size = FIGSIZE_CHECK if name == "fit" else FIGSIZE  # a parametric fit adds the scaling check's panels
        if suffix == ".png":
            assert png_size(path) == (round(size[0] * DPI), round(size[1] * DPI))
        elif suffix == ".svg":
            assert svg_size(path) == pytest.approx((size[0] * 72, size[1] * 72))
        else:
            assert pdf_size(path) == pytest.approx((size[0] * 72, size[1] * 72))


def test_the_plotted_optimum_sits_where_json_says(cli, tmp_path):
    out = cli.json("plan", "--flops", "3e22", "--plot", str(tmp_path / "plan.png"))
    figure = plot_plan(plan(3e22), load_law(), tmp_path / "again.png")
    marker = next(line for axes in figure.axes for line in axes.get_lines() if line.get_gid() == "optimum")
    (x,), (y,) = marker.get_xdata(), marker.get_ydata()
    assert x == pytest.approx(out["params"], rel=1e-12)
    assert y == pytest.approx(out["loss"], rel=1e-12)
    assert figure.axes[0].get_xscale() == "log"
    assert "Chinchilla" in figure._suptitle.get_text()


def test_plot_errors_are_one_line(cli, tmp_path):
    assert "expected a file ending in .png, .svg, .pdf" in cli.error("plan", "--flops", "1e23", "--plot", str(tmp_path / "x.gif"))
    assert "no such directory" in cli.error("plan", "--flops", "1e23", "--plot", str(tmp_path / "nope" / "x.png"))
    assert "no loss form" in cli.error("plan", "--flops", "1e23", "--law", "llama3", "--plot", str(tmp_path / "x.png"))


def test_without_matplotlib_plot_says_how_to_install(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    line = cli.error("plan", "--flops", "1e23", "--plot", str(tmp_path / "x.png"))
    assert "pip install '.[plot]' from a checkout" in line and "'scaling-cli[plot]'" in line
    assert cli("plan", "--flops", "1e23").exit_code == 0  # everything else works without it


def test_tick_labels_are_human():
    assert [tick_label(v, "count") for v in (1e8, 1e9, 1e10, 1e12)] == ["100M", "1B", "10B", "1T"]
    assert tick_label(1e21, "sci") == "1e21"


def test_fit_curves_are_drawn_at_the_runs_budgets(tmp_path):
    # Each IsoFLOP curve of the fit picture passes through its own runs: one curve per budget the
    # runs have, at that budget's compute (not at evenly spaced budgets between them).
    from scaling_cli.fitting import fit
    from scaling_cli.plots.figures import _curve_budgets, plot_fit

    runs = synthetic_runs(seed=0, sizes=6)
    result = fit(runs, bootstrap=20, holdout=3, compare_losses=False, predict_flops=[1e22])
    budgets = 10 ** np.unique(np.round(np.log10(runs.flops), 6))  # the six budgets of the grid
    assert _curve_budgets(result, runs) == pytest.approx(budgets.tolist(), rel=1e-6)
    figure = plot_fit(result, runs, tmp_path / "fit.png")
    left, middle, right = figure.axes[:3]
    assert len([line for line in left.get_lines() if len(line.get_xdata()) > 10]) == len(budgets)
    assert "scaling check" in middle.get_title() and "Backtests" in right.get_title()
    assert len(right.collections) >= len(result.backtests)


def test_matplotlibs_folder_is_private_and_a_planted_one_is_not_used(tmp_path, monkeypatch):
    """On a shared host, a folder someone else made under the fixed name (with a matplotlibrc of
    their choosing) is not used: the per-user folder is 0700 and owned by us, or a fresh one is made."""
    import os
    import stat

    from scaling_cli.plots import figures

    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    folder = figures.private_cache_dir()
    info = os.lstat(folder)
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077
    assert figures.private_cache_dir() == folder  # kept between runs: matplotlib's font cache stays
    os.chmod(folder, 0o777)  # as a folder someone else left writable for all
    (tmp_path / "planted").mkdir()
    other = figures.private_cache_dir()
    assert other != folder and not os.lstat(other).st_mode & 0o077
    os.rmdir(other)
    os.chmod(folder, 0o700)
    os.rmdir(folder)
    os.symlink(tmp_path / "planted", folder)  # a link to a folder of someone else's choosing
    assert figures.private_cache_dir() != folder


def _inside(legend, axes) -> bool:
    figure = axes.figure
    figure.canvas.draw()
    box, frame = legend.get_window_extent(), axes.get_window_extent()
    return frame.x0 - 1 <= box.x0 and box.x1 <= frame.x1 + 1 and frame.y0 - 1 <= box.y0 and box.y1 <= frame.y1 + 1


def test_the_plan_plot_labels_its_own_optimum_and_marks_the_fitted_range(tmp_path):
    """#29: the label sat beside another curve, and nothing said where the law was fitted."""
    law = load_law()
    result = plan(1e23)
    figure = plot_plan(result, law, tmp_path / "plan.png")
    axes = figure.axes[0]
    label = next(text for text in axes.texts if text.get_gid() == "optimum-label")
    assert label.xy == pytest.approx((result.params, result.loss), rel=1e-9)  # its arrow ends on the plan's optimum
    assert label.arrow_patch is not None and "29.5B params" in label.get_text()
    span = next(patch for patch in axes.patches if patch.get_gid() == "fitted-range")
    low, high = law.fitted_range.params
    box = span.get_bbox() if hasattr(span, "get_bbox") else None
    xs = [box.x0, box.x1] if box is not None else [x for x, _ in span.get_xy()]
    assert min(xs) == pytest.approx(low) and max(xs) == pytest.approx(high)
    assert _inside(axes.get_legend(), axes)


def test_the_overtraining_plot_is_against_compute_with_the_break_even(cli, tmp_path):
    """#29: models were drawn against tokens, and the break-even was missing."""
    from scaling_cli import overtrain
    from scaling_cli.plots.figures import plot_overtrain

    result = overtrain(7e9)
    figure = plot_overtrain(result, load_law(), tmp_path / "ot.png")
    left, right, twin = figure.axes
    assert left.get_xlabel() == "Training compute (FLOPs)"
    rows = next(line for line in left.get_lines() if line.get_label() == "the table's rows")
    assert list(rows.get_xdata()) == pytest.approx([r.flops for r in result.rows])
    even = next(line for line in twin.get_lines() if line.get_gid() == "break-even")
    expected = [(r.tokens_per_param, r.breakeven_inference_tokens) for r in result.rows if r.breakeven_inference_tokens]
    assert list(even.get_xdata()) == pytest.approx([x for x, _ in expected])
    assert list(even.get_ydata()) == pytest.approx([y for _, y in expected])
    assert _inside(right.get_legend(), right) and _inside(left.get_legend(), left)


def test_the_fit_plot_is_readable(tmp_path):
    """#29: small fonts, legends over points and clipped, unlabelled prediction diamonds, tick
    styles that differ between panels, an empty third panel for a small fit."""
    from scaling_cli.fitting import fit
    from scaling_cli.plots.figures import plot_fit

    runs = synthetic_runs(seed=0, budgets=(1e18, 1e19, 1e20), sizes=6)  # too few budgets for backtests
    result = fit(runs, bootstrap=20, holdout=2, compare_losses=False, predict_flops=[1e22])
    assert not result.backtests
    figure = plot_fit(result, runs, tmp_path / "fit.png")
    panels = [axes for axes in figure.axes if axes.get_title()]
    assert len(panels) == 2  # no empty backtest panel
    for axes in panels:
        assert axes.title.get_fontsize() >= 11 and axes.xaxis.label.get_fontsize() >= 10
        assert _inside(axes.get_legend(), axes)
        figure.canvas.draw()
        assert not any(label.get_text() for label in axes.xaxis.get_minorticklabels())  # one tick style: decades only
    labels = [text.get_text() for text in panels[1].texts if text.get_gid() == "prediction-label"]
    assert len(labels) == len(result.predictions) and all(":" in label for label in labels)
    bar = next(axes for axes in figure.axes if not axes.get_title() and axes.get_ylabel() == "Training compute (FLOPs)")
    figure.canvas.draw()
    assert all(label.get_text().startswith("1e") for label in bar.yaxis.get_majorticklabels() if label.get_text())


def test_the_compare_plot_names_its_loss(tmp_path):
    from scaling_cli.fitting.compare.compare import compare
    from scaling_cli.plots.compare import plot_compare

    sets = [("a", synthetic_runs(seed=0, sizes=6)), ("b", synthetic_runs(seed=1, sizes=6))]
    figure = plot_compare(compare(sets, bootstrap=0), sets, tmp_path / "compare.png")
    assert figure.axes[0].get_ylabel() == "Final loss (nats/token)"
