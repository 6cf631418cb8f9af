"""`scale sweep`: the IsoFLOP grid a team trains, and its round trip through `scale fit`."""

import csv
import itertools

import numpy as np
import pytest
from conftest import EPOCH

from scaling_cli import load_law, sweep
from scaling_cli.core.errors import ScaleError
from scaling_cli.fitting import fit, read_runs
from scaling_cli.laws import Law


def test_sweep_grid_spends_each_budget_exactly():
    result = sweep(1e17, 1e19, budgets=5, sizes=7)
    assert result.budgets == pytest.approx(np.geomspace(1e17, 1e19, 5))
    assert len(result.runs) == 35
    for run in result.runs:
        assert 6 * run.params * run.tokens == pytest.approx(run.flops, rel=1e-12)
        assert run.heads * (128 if run.d_model >= 1024 else 64) == run.d_model
    ratios = sorted({round(run.size_ratio, 9) for run in result.runs})
    assert ratios[0] == pytest.approx(0.25) and ratios[-1] == pytest.approx(4.0)
    assert result.total_flops == pytest.approx(7 * sum(result.budgets))


def test_sweep_shapes_land_near_their_targets_where_a_shape_can():
    result = sweep(1e19, 1e21, budgets=3, sizes=5)
    law = load_law()
    for run in result.runs:
        target = law.optimal(run.flops)[0] * run.size_ratio
        assert run.shape_error == pytest.approx(run.params / target - 1)
        assert run.shape_fits == (abs(run.shape_error) <= 0.02 and 32 <= run.d_model / run.layers <= 256)
    assert sum(run.shape_fits for run in result.runs) >= 12  # all but the tiniest fit 2 %


def test_small_sweeps_say_when_embeddings_dominate():
    result = sweep(1e17, 1e19, budgets=3, sizes=5)
    assert any(not run.shape_fits for run in result.runs)
    assert any("embeddings" in note for note in result.notes)


def test_sweep_csv_round_trips_through_fit(cli, tmp_path):
    # Design a sweep, "train" it under a known law (fill in each loss), fit it back.
    path = tmp_path / "sweep.csv"
    out = cli.json("sweep", "--min-flops", "1e18", "--max-flops", "1e20", "--budgets", "5", "--sizes", "7", "--csv", str(path))
    assert len(out["runs"]) == 35 and out["schema_version"] == 2
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:4] == ["params", "tokens", "flops", "loss"] and rows[0]["loss"] == ""
    truth = Law(name="truth", title="t", kind="parametric", citation="test", loss={"form": "chinchilla", **EPOCH})
    for row in rows:
        row["loss"] = repr(truth.predict_loss(float(row["params"]), float(row["tokens"])))
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=rows[0].keys())
        writer.writeheader()
        writer.writerows(rows)
    result = fit(read_runs(path), method="isoflop", bootstrap=0)
    assert result.a.value == pytest.approx(truth.params_exponent, abs=0.01)
    assert len(result.buckets) == 5


def test_sweep_table_and_errors(cli):
    words = " ".join(cli("sweep", "--min-flops", "1e18", "--max-flops", "1e20", "--budgets", "3", "--sizes", "5").stdout.split())
    assert "IsoFLOP sweep" in words and "GPU-hours" in words
    assert "below min_flops" in cli.error("sweep", "--min-flops", "1e20", "--max-flops", "1e18")
    assert "at least 3 sizes" in cli.error("sweep", "--min-flops", "1e18", "--max-flops", "1e20", "--sizes", "2")
    assert "--min-flops" in cli.error("sweep", "--min-flops", "abc", "--max-flops", "1e20")
    assert "span" in cli.error("sweep", "--min-flops", "1e18", "--max-flops", "1e20", "--span", "0.5")
    assert "Missing option" in cli.error("sweep", "--min-flops", "1e18")
    with pytest.raises(ScaleError):
        sweep(1e18, 1e18, budgets=3)


def test_a_sweep_is_one_family_of_shapes_growing_in_depth_and_width():
    # #17: shapes jumped around within a budget (4, 2, 14, 10, 20 layers at 1e18) and --span 8
    # gave two rows with the same model.
    from scaling_cli.planning.sweeps import sweep

    result = sweep(1e18, 1e20, budgets=3, sizes=9, span=8.0)
    for flops in result.budgets:
        runs = [r for r in result.runs if r.flops == flops]
        assert all(a.layers <= b.layers and a.d_model <= b.d_model and a.params < b.params for a, b in itertools.pairwise(runs)), flops
    assert any("embeddings are" in note for note in result.notes)
