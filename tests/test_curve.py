"""``scale curve``: the multi-power loss-curve law (Luo et al. 2025), its fit, predictions and tracking (#32)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from conftest import shared_data

from scaling_cli.core.errors import ScaleError
from scaling_cli.fitting.curves.curve_fit import fit_constants, fit_curves
from scaling_cli.fitting.curves.curve_runs import CurveRun, read_curves
from scaling_cli.laws.curves.multipower import drops, predict, predict_exact, predict_with_gradient
from scaling_cli.laws.curves.schedule import Schedule

# The repository's fitted constants (thu-yao-01-luo/MultiPowerLaw @ 8da9f19, src/config.py, PARAMS),
# in the law's order L0, A, alpha, B, C, beta, gamma.
PUBLISHED = {
    "25M": [3.04045406, 0.52468604, 0.50786857, 363.78751622, 2.06560812, 0.58279013, 0.64142257],
    "100M": [2.6514477, 0.60115152, 0.45295811, 437.9464276, 2.13245612, 0.59785199, 0.65523644],
    "400M": [2.37474466, 0.65421216, 0.42878731, 523.42464371, 2.02462735, 0.59350493, 0.63472457],
}
# The repository's README: test-set PredE (mean relative error) of 25M / 100M / 400M.
REPORTED_PREDE = {"25M": 0.00110, "100M": 0.00142, "400M": 0.00168}
TRAIN = ("cosine_24000", "constant_24000", "wsdcon_9")
SCHEDULES = [
    Schedule(shape="wsd", total=24000, peak=3e-4, warmup=2160, final=3e-5, decay_start=20000),
    Schedule(shape="cosine", total=72000, peak=3e-4, warmup=2160, final=3e-5),
    Schedule(shape="step", total=16000, peak=3e-4, warmup=2160, final=9e-5, decay_start=8000),
    Schedule(shape="wsd-linear", total=24000, peak=3e-4, warmup=2160, final=0, decay_start=20000),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: s.shape)
def test_the_blocked_sum_matches_the_authors_step_by_step_sum(schedule):
    theta = np.array(PUBLISHED["400M"])
    steps = np.arange(2160, schedule.total, 128)
    exact = predict_exact(theta, schedule.rates(), steps)
    run = drops(schedule.rates(), steps)
    assert np.max(np.abs(predict(theta, run) - exact)) < 6e-5  # the source's losses are rounded to 1e-4
    values, gradient = predict_with_gradient(theta, run)
    assert np.allclose(values, predict(theta, run))
    for i in range(7):
        step = np.zeros(7)
        step[i] = 1e-6 * max(abs(theta[i]), 1e-3)
        numeric = (predict(theta + step, run) - predict(theta - step, run)) / (2 * step[i])
        assert np.allclose(gradient[:, i], numeric, rtol=1e-4, atol=1e-6 * np.abs(numeric).max())  # central differences


def test_the_exact_sum_reproduces_the_repositorys_logged_errors():
    """../shared/data/README.md section 11: with the repository's 400M constants and schedules, the
    RMSEs of logs/400.log: cosine_72000 0.006914, constant_72000 0.005413, wsd_20000_24000 0.008001."""
    rows = list(csv.DictReader(shared_data("mpl_luo2025_curves.csv").read_text().splitlines()))
    theta = np.array(PUBLISHED["400M"])
    for name, schedule, logged in (
        ("cosine_72000", Schedule(shape="cosine", total=72000, peak=3e-4, warmup=2160, final=3e-5), 0.006914),
        ("constant_72000", Schedule(shape="constant", total=72000, peak=3e-4, warmup=2160), 0.005413),
        ("wsd_20000_24000", SCHEDULES[0], 0.008001),
    ):
        mine = [r for r in rows if r["run"] == f"400M/{name}" and int(r["step"]) < schedule.total]
        steps = np.array([int(r["step"]) for r in mine])
        loss = np.array([float(r["loss"]) for r in mine])
        rmse = float(np.sqrt(np.mean((predict_exact(theta, schedule.rates(), steps) - loss) ** 2)))
        assert rmse == pytest.approx(logged, abs=1e-6), name


@pytest.mark.parametrize("model", sorted(PUBLISHED))
def test_the_authors_protocol_reproduces_their_test_errors(model):
    """Fit on cosine_24000, constant_24000 and wsdcon_9, test on the other six (the repository's
    protocol). The published constants, read through the file's own learning-rate column, give the
    README's PredE within 3e-5; our converged fit reaches a lower objective and is no more than
    0.01 points worse on the test runs (it does better at 100M)."""
    runs, _ = read_curves(str(shared_data("mpl_luo2025_curves.csv")), where=[f"model={model}"])
    train = [run for run in runs if run.name.split("/")[1] in TRAIN]
    test = [run for run in runs if run.name.split("/")[1] not in TRAIN]
    assert len(train) == 3 and len(test) == 6

    def prede(theta):
        return float(np.mean([np.mean(np.abs(predict(theta, run.law_inputs) / run.loss - 1)) for run in test]))

    def objective(theta):
        from scipy.special import huber

        return sum(float(huber(1e-3, np.log(run.loss) - np.log(predict(theta, run.law_inputs))).sum()) for run in train)

    published = np.array(PUBLISHED[model])
    assert prede(published) == pytest.approx(REPORTED_PREDE[model], abs=3e-5)
    theta, _ = fit_constants(train)
    assert objective(theta) < objective(published)
    assert prede(theta) <= REPORTED_PREDE[model] + 1e-4


def _synthetic(seed: int, cut: float = 0.3) -> tuple[list[CurveRun], float]:
    """Four runs of the 400M law with 0.1 % log noise; the last (cosine to 60k) cut at ``cut``, and
    its final loss as observed (noise included)."""
    rng = np.random.default_rng(seed)
    theta = np.array(PUBLISHED["400M"])
    plans = [
        Schedule(shape="constant", total=24000, peak=3e-4, warmup=2000),
        Schedule(shape="cosine", total=24000, peak=3e-4, warmup=2000, final=3e-5),
        Schedule(shape="wsd", total=24000, peak=3e-4, warmup=2000, final=3e-5, decay_start=19000),
        Schedule(shape="cosine", total=60000, peak=3e-4, warmup=2000, final=3e-5),
    ]
    runs = []
    for i, plan in enumerate(plans):
        steps = np.arange(2000, plan.total + 1, 1000)
        truth = predict(theta, drops(plan.rates(), steps))
        loss = truth * np.exp(rng.normal(0, 0.001, len(steps)))
        keep = len(steps) if i < 3 else int(len(steps) * cut)
        runs.append(CurveRun(name=f"r{i}", rates=plan.rates(), steps=steps[:keep], loss=loss[:keep]))
    return runs, float(loss[-1])  # the final loss as it would be logged: a prediction interval holds observations


def test_seeded_curves_end_inside_their_interval():
    """Seeded curves of a known law: the cut run's final loss within its 95 % interval in at least
    4 of 5 repetitions (more, and other cuts, in bench/curves.py)."""
    inside = 0
    for seed in range(5):
        runs, truth = _synthetic(seed)
        prediction = fit_curves(runs).predictions[0]
        assert prediction.run == "r3" and prediction.loss.pi95 is not None
        low, high = prediction.loss.pi95
        inside += low <= truth <= high
    assert inside >= 4


def _write(path, runs, drop_loss_after=None):
    with open(path, "w") as out:
        out.write("run,step,lr,loss\n")
        for run in runs:
            for step, loss in zip(run.steps, run.loss):
                out.write(f"{run.name},{step},{float(run.rates[step])!r},{float(loss)!r}\n")
            for step in range(int(run.steps[-1]) + 1000, run.end + 1, 1000):
                out.write(f"{run.name},{step},{float(run.rates[step])!r},\n")


def test_curve_cli_predicts_tracks_and_writes_the_curve(cli, tmp_path):
    runs, _ = _synthetic(1)
    path = tmp_path / "curves.csv"
    _write(path, runs)
    out = tmp_path / "band.csv"
    result = cli.json(
        "curve", str(path), "--curve-out", str(out), "--schedule", "plan=wsd:total=40000,warmup=2000,peak=3e-4,final=3e-5,decay_start=32000"
    )
    assert [p["run"] for p in result["predictions"]] == ["r3", "plan"]
    assert result["predictions"][1]["observed_until"] is None and result["predictions"][1]["loss"]["pi95"] is not None
    assert set(result["constants"]) == {"L0", "A", "alpha", "B", "C", "beta", "gamma"}
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert {row["run"] for row in rows} == {"r0", "r1", "r2", "r3", "plan"}
    # A run that goes on as the law says stays on its curve; one whose loss jumps 2 % leaves it (exit 1).
    assert cli.json("curve", str(path), "--track", "r1")["tracking"]["left_band"] is False
    broken = [
        run if run.name != "r1" else CurveRun(run.name, run.rates, run.steps, run.loss * np.where(run.steps > 20000, 1.02, 1.0))
        for run in runs
    ]
    _write(path, broken)
    tracking = cli.json("curve", str(path), "--track", "r1", expect_exit=1)["tracking"]
    assert tracking["left_band"] and tracking["left_at"] > 20000 and tracking["by"] > 0.01


@pytest.mark.parametrize(
    "body, expected",
    [
        ("run,step,lr,loss\na,100,1e-4,3.0\na,50,1e-4,2.9\n", "step 50 (row 2) follows step 100"),
        ("run,step,lr,loss\na,100,,3.0\n", "run 'a', step 100: no learning rate"),
        ("run,step,lr,loss\na,100,-1e-4,3.0\n", "learning rate -0.0001 is negative"),
        ("run,step,lr,loss\na,100,1e-4,3.0\na,200,1e-4,2.9\n", "2 observed points: the multi-power law has 7 constants"),
        ("run,step,loss\na,100,3.0\n", "missing column 'lr'"),
    ],
)
def test_curve_refuses_bad_curves_in_one_line(cli, tmp_path, body, expected):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    assert expected in cli.error("curve", str(path))


def test_schedule_descriptions_are_checked(cli, tmp_path):
    runs, _ = _synthetic(2)
    path = tmp_path / "curves.csv"
    _write(path, runs)
    assert "wsd needs decay_start" in cli.error("curve", str(path), "--schedule", "x=wsd:total=1000,peak=3e-4,final=3e-5")
    assert "expected NAME=SHAPE" in cli.error("curve", str(path), "--schedule", "cosine")


def test_curve_plot_draws_points_curves_band_and_schedule(tmp_path):
    """#32 --plot: the observed points, the predicted part dashed with its 95 % band, the schedule
    on a second axis; the legend inside the axes; written and described in one line."""
    pytest.importorskip("matplotlib")
    from scaling_cli.plots.curves import plot_curves

    runs, _ = _synthetic(3)
    fit = fit_curves(runs)
    path = tmp_path / "curves.png"
    figure = plot_curves(fit, runs, path)
    top, bottom = figure.axes
    assert path.stat().st_size > 0
    assert len(top.collections) >= 5  # four runs' points and the cut run's band
    dashed = [line for line in top.get_lines() if line.get_linestyle() == "--" and len(line.get_xdata())]
    assert dashed and min(dashed[0].get_xdata()) > runs[3].steps[-1]  # predicted only beyond the last observed step
    assert len(bottom.get_lines()) == 4 and bottom.get_ylabel() == "learning rate"
    legend = top.get_legend()
    box, axes = legend.get_window_extent(), top.get_window_extent()
    assert axes.x0 <= box.x0 and box.x1 <= axes.x1 and axes.y0 <= box.y0 and box.y1 <= axes.y1


def test_scale_laws_lists_the_loss_curve_form(cli):
    listed = cli.json("laws")["curve_forms"]
    assert [f["name"] for f in listed] == ["multi-power"] and "2503.12811" in listed[0]["citation"]
    shown = cli.json("laws", "multi-power")["curve_forms"][0]
    assert shown["constants"] == ["L0", "A", "alpha", "B", "C", "beta", "gamma"]


def test_losses_in_warmup_are_left_out_with_a_note(tmp_path):
    """The law describes training after warmup: a W&B export that starts inside warmup (OLMo's
    ladder exports start at step 200 of a ~370-step warmup) fits from the peak on, and says so;
    rounding jitter in a constant rate does not move the peak to the end."""
    rows = ["run,step,lr,loss"]
    for step in range(100, 3001, 100):
        lr = 3e-4 * min(step / 1000, 1.0) * (1 + (1e-6 if step == 3000 else 0.0))
        rows.append(f"a,{step},{lr},{3.0 + 2.0 * (step / 100) ** -0.4:.5f}")
    path = tmp_path / "warm.csv"
    path.write_text("\n".join(rows) + "\n")
    (run,), _ = read_curves(str(path))
    assert run.steps[0] == 1000 and len(run.steps) == 21
    assert any("9 loss(es) in warmup (steps 100-900" in note for note in run.notes)
    ahead = [",".join(row.split(",")[:3]) + "," for row in rows[5:]]  # the schedule ahead, no losses yet
    path.write_text("\n".join(rows[:5] + ahead) + "\n")
    with pytest.raises(ScaleError, match=r"run 'a': every loss is in warmup \(the learning rate still climbs at step 400\)"):
        read_curves(str(path))


def test_a_run_that_ends_before_every_finished_run_anneals_is_warned_about():
    """On the OLMo ladder the 0.5x-Chinchilla runs, cut beside longer finished runs, ended 0.5-1 %
    below their prediction (bench/curves.py): a run whose schedule area ends below every finished
    run's is an extrapolation of the annealing term, and the result says so."""
    runs, _ = _synthetic(0, 0.3)
    short = Schedule(shape="cosine", total=12000, peak=3e-4, warmup=2000, final=3e-5)
    steps = np.arange(2000, 6001, 1000)
    cut = CurveRun("short", short.rates(), steps, predict(np.array(PUBLISHED["400M"]), drops(short.rates(), steps)))
    warned = fit_curves([*runs[:3], cut], backtest=False).warnings
    assert any("'short' ends at 50% of the schedule area of the shortest finished run" in w for w in warned)
    assert not any("anneal that early" in w for w in fit_curves(runs, backtest=False).warnings)  # the 60k run ends later
