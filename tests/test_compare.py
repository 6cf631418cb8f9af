"""Is an idea worth scaling (#15): the compute multiplier of one scaling curve over another.

Seeded synthetic pairs with a known multiplier (bench/compare.py runs more repetitions and prints
the rates), and Gadre et al.'s three training corpora at identical sizes and token counts, all
evaluated on the C4 validation loss (../shared/data/README.md section 7).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import shared_data

from scaling_cli.fitting.compare.compare import compare, multipliers
from scaling_cli.fitting.simulate import EPOCH, repeat, synthetic_runs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from compare import TRUTHS, theta, trend_word


def test_a_constant_multiplier_is_exact_under_the_law():
    truth, _ = TRUTHS["constant 2x"]
    values = multipliers(theta(EPOCH), theta(truth), [1e18, 1e20, 1e24])[0]
    assert values == pytest.approx([2.0, 2.0, 2.0], rel=1e-9)


def _multiplier_trial(seed: int) -> bool:
    """Does one seeded pair's 95 % interval of the multiplier hold the true 2x?"""
    truth, _ = TRUTHS["constant 2x"]
    result = compare(
        [("A", synthetic_runs(seed=2 * seed)), ("B", synthetic_runs(truth=truth, seed=2 * seed + 1))], bootstrap=200, seed=seed
    )
    low, high = result.comparisons[0].reference.ci95
    return bool(low <= 2.0 <= high)


def test_the_multiplier_interval_covers_the_truth_in_seeded_pairs():
    trials = 20
    covered = sum(repeat(_multiplier_trial, [dict(seed=seed) for seed in range(trials)]))
    assert covered / trials >= 0.9


@pytest.mark.parametrize("name", ["growing", "fading"])
def test_the_trend_verdict_is_right_when_the_trend_is_clear(name):
    truth, expected = TRUTHS[name]
    right, trials = 0, 10
    for seed in range(trials):
        result = compare(
            [("A", synthetic_runs(seed=2 * seed)), ("B", synthetic_runs(truth=truth, seed=2 * seed + 1))], bootstrap=200, seed=seed
        )
        right += trend_word(result.verdict) == expected
    assert right / trials >= 0.9
    if name == "fading":
        assert result.comparisons[0].advantage_ends is not None  # where the gain is gone, said


def test_no_difference_between_two_draws_of_one_law():
    result = compare([("A", synthetic_runs(seed=1)), ("B", synthetic_runs(seed=2))], bootstrap=200)
    assert result.verdict.startswith("no difference these runs can measure")


def test_compare_the_gadre_corpora(cli, tmp_path):
    data = cli.json(
        "compare", shared_data("gadre2024_openlm.csv"), "--by", "train_dataset", "--columns", "loss=loss_c4_val", "--bootstrap", "100"
    )
    assert [s["label"] for s in data["sets"]] == ["c4_original", "rpj", "rw_original"]
    assert [s["n_runs"] for s in data["sets"]] == [34, 35, 35]
    assert {"flops", "value", "ci80", "ci95", "extrapolated"} <= set(data["multipliers"][0])
    assert {"value", "ci80", "ci95"} <= set(data["trend"]) and data["verdict"] and "warnings" in data
    assert len(data["comparisons"]) == 2
    # Evaluated on C4, the models trained on C4 are the cheapest there: both others need more compute.
    for comparison in data["comparisons"]:
        assert comparison["reference"]["value"] < 1 and comparison["reference"]["ci95"][1] < 1
        assert comparison["raw"]  # the evidence beside the law
    at = cli.json(
        "compare",
        shared_data("gadre2024_openlm.csv"),
        "--by",
        "train_dataset",
        "--columns",
        "loss=loss_c4_val",
        "--bootstrap",
        "0",
        "--at",
        "1e21",
    )
    assert at["comparisons"][0]["at"]["flops"] == 1e21


def test_compare_refuses_what_it_cannot_compare(cli, tmp_path):
    runs = synthetic_runs(seed=3)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("params,tokens,loss,eval\n" + "".join(f"{n},{d},{loss},c4\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss)))
    b.write_text("params,tokens,loss,eval\n" + "".join(f"{n},{d},{loss},pile\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss)))
    assert "different evaluations" in cli.error("compare", a, b, "--bootstrap", "0")
    assert "at least two" in cli.error("compare", a)
    assert "labels for" in cli.error("compare", a, a, "--label", "x")
    assert "one value" in cli.error("compare", a, "--by", "eval")
    c = tmp_path / "c.csv"
    c.write_text(
        "params,tokens,loss,tokenizer\n" + "".join(f"{n},{d},{loss},gpt2\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss))
    )
    e = tmp_path / "e.csv"
    e.write_text(
        "params,tokens,loss,tokenizer\n" + "".join(f"{n},{d},{loss},llama\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss))
    )
    assert any("tokenizers" in w for w in cli.json("compare", c, e, "--bootstrap", "0")["warnings"])


def test_compare_plot(cli, tmp_path):
    pytest.importorskip("matplotlib")
    runs = synthetic_runs(seed=4)
    a = tmp_path / "a.csv"
    a.write_text("params,tokens,loss\n" + "".join(f"{n},{d},{loss}\n" for n, d, loss in zip(runs.params, runs.tokens, runs.loss)))
    b = tmp_path / "b.csv"
    other = synthetic_runs(truth=TRUTHS["growing"][0], seed=5)
    b.write_text("params,tokens,loss\n" + "".join(f"{n},{d},{loss}\n" for n, d, loss in zip(other.params, other.tokens, other.loss)))
    out = tmp_path / "cmp.png"
    result = cli("compare", a, b, "--bootstrap", "50", "--plot", out)
    assert result.exit_code == 0, result.stderr
    assert out.stat().st_size > 10_000 and "wrote" in result.stderr


def test_compare_keeps_blas_to_one_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    from scaling_cli.fitting.solvers import solver

    inside, original = [], solver._solve

    def spy(*args, **kwargs):
        inside.append(max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1))
        return original(*args, **kwargs)

    with threadpool_limits(limits=2, user_api="blas"):
        solver._solve = spy
        try:
            compare([("A", synthetic_runs(seed=1)), ("B", synthetic_runs(seed=2))], bootstrap=20)
        finally:
            solver._solve = original
    assert inside and max(inside) == 1


def test_compare_refuses_what_fit_refuses(cli, tmp_path):
    """#28: 30 copies of one run are no sweep for `fit`, nor for `compare`."""
    path = tmp_path / "same.csv"
    path.write_text("params,tokens,loss\n" + "1e8,2e9,3.0\n" * 30)
    for argv in (("fit", str(path), "--bootstrap", "0"), ("compare", str(path), str(path), "--bootstrap", "0")):
        result = cli(*argv)
        assert result.exit_code == 2 and "alpha is unidentifiable" in result.stderr, argv


def test_compare_by_reads_standard_input_once(cli, tmp_path):
    """#29: `compare - --by` said "empty file": it read standard input once per set."""
    a, b = synthetic_runs(seed=0, sizes=6), synthetic_runs(seed=1, sizes=6)
    rows = ["params,tokens,loss,set"] + [
        f"{n},{d},{loss},{name}" for name, runs in (("a", a), ("b", b)) for n, d, loss in zip(runs.params, runs.tokens, runs.loss)
    ]
    out = cli.json("compare", "-", "--by", "set", "--bootstrap", "0", input="\n".join(rows) + "\n")
    assert [s["label"] for s in out["sets"]] == ["a", "b"] and all(s["n_runs"] == len(a) for s in out["sets"])
