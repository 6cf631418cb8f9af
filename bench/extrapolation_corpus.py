"""A corpus of real extrapolations: how far fitted scaling laws miss beyond their sweep (#25).

For every real sweep in ``../shared/data/`` (Chinchilla, Epoch's file; datablations' single-epoch
runs; Gadre et al.'s three training sets; the OLMo ladder with its 7B and 13B targets; Llama 3's
IsoFLOP points; Porian et al.'s 15 configurations) and every cut (fit the runs up to a compute,
predict every run above it, as ``scale fit --holdout`` does), this fits the Chinchilla form with
the tool and records, per predicted run, its log error, its distance in decades beyond the fitted
compute, the interval's parts (bootstrap, scatter) and what the sweep itself shows (budgets,
scatter, its own backtests' excess error and weight, drift).

    python bench/extrapolation_corpus.py                  # writes tests/data/extrapolation_corpus.csv (errors only, no run data)
    python bench/extrapolation_corpus.py --bootstrap 200 --out corpus.csv

``bench/extrapolation_error.py`` fits the cross-study error model on that file, validates it
leave-one-study-out and writes ``scaling_cli/configs/extrapolation.toml``.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scaling_cli.fitting import Runs, fit
from scaling_cli.fitting.check.cross_study import CrossStudy

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "tests" / "data" / "extrapolation_corpus.csv"
CUTS = (0.5, 0.6, 0.7, 0.8, 0.9)
"""Where each sweep is cut: the fitted runs reach this share of its log-compute range."""
MIN_FITTED = 8
"""Fewest runs a cut fits (5 constants)."""
CUT_GAP = 0.02
"""A cut falls between compute levels at least this many decades apart (never inside a budget)."""


def _rows(name: str) -> list[dict[str, str]]:
    with open(SHARED / name, newline="") as file:
        return list(csv.DictReader(file))


def _runs(params, tokens, loss, source: str) -> Runs:
    return Runs.from_arrays(np.asarray(params, float), np.asarray(tokens, float), np.asarray(loss, float), source=source)


def sweeps() -> list[tuple[str, str, Runs, Runs | None]]:
    """(study, sweep, runs, targets beyond the sweep that are always predicted, never fitted)."""
    out: list[tuple[str, str, Runs, Runs | None]] = []
    rows = _rows("chinchilla_epoch_svg.csv")
    loss = np.array([float(r["loss"]) for r in rows])
    keep = loss < np.sort(loss)[-5]  # the authors' filter: the 5 highest-loss rows out
    n = np.array([float(r["Model Size"]) for r in rows])[keep]
    c = np.array([float(r["Training FLOP"]) for r in rows])[keep]
    out.append(("chinchilla", "chinchilla", _runs(n, c / (6 * n), loss[keep], "chinchilla"), None))
    rows = [r for r in _rows("datablations_c4_runs.csv") if float(r["tokens"]) <= float(r["unique_tokens"])]
    out.append(
        (
            "datablations",
            "datablations-single-epoch",
            _runs([r["params"] for r in rows], [r["tokens"] for r in rows], [r["val_loss"] for r in rows], "datablations"),
            None,
        )
    )
    by_set = defaultdict(list)
    for r in _rows("gadre2024_overtraining_runs.csv"):
        by_set[r["dataset"]].append(r)
    for dataset, rows in sorted(by_set.items()):
        out.append(
            (
                "gadre",
                f"gadre-{dataset}",
                _runs([r["N"] for r in rows], [r["D"] for r in rows], [r["loss_c4_val"] for r in rows], dataset),
                None,
            )
        )
    rows = _rows("olmo_ladder_final.csv")
    ladder = [r for r in rows if r["role"] == "ladder" and r["is_rerun"] == "0"]
    targets = [r for r in rows if r["role"] == "target"]
    out.append(
        (
            "olmo",
            "olmo-ladder",
            _runs([r["non_embedding_params"] for r in ladder], [r["tokens"] for r in ladder], [r["loss_c4_en"] for r in ladder], "olmo"),
            _runs([r["non_embedding_params"] for r in targets], [r["tokens"] for r in targets], [r["loss_c4_en"] for r in targets], "olmo"),
        )
    )
    rows = _rows("llama3_isoflops_extracted.csv")
    c = np.array([float(r["compute_budget"]) for r in rows])
    d = np.array([float(r["training_tokens"]) for r in rows])
    out.append(("llama3", "llama3", _runs(c / (6 * d), d, [r["validation_loss"] for r in rows], "llama3"), None))
    configs = defaultdict(list)
    keys = ("dataset", "hparams", "warmup", "decay", "param_count", "loss_source", "label", "source_file")
    for r in _rows("porian2024_isoflop_points.csv"):
        configs[tuple(r[k] for k in keys)].append(r)
    for index, (key, rows) in enumerate(sorted(configs.items())):
        name = f"porian-{index:02d}-{key[0]}-{key[6]}".replace(" ", "_")
        out.append(("porian", name, _runs([r["N"] for r in rows], [r["D"] for r in rows], [r["loss"] for r in rows], name), None))
    return out


def cuts(flops: np.ndarray) -> list[float]:
    """The fitted compute of each cut: the largest run at or below each share of the log range,
    moved down to a gap between compute levels."""
    log = np.sort(np.log10(flops))
    found = []
    for share in CUTS:
        limit = log[0] + share * (log[-1] - log[0])
        below = log[log <= limit]
        above = log[log > limit]
        while len(below) and len(above) and above[0] - below[-1] < CUT_GAP:
            above = np.concatenate([[below[-1]], above])
            below = below[:-1]
        if len(below) >= MIN_FITTED and len(above) and 10 ** below[-1] not in found:
            found.append(float(10 ** below[-1]))
    return found


# What is recorded: the tool's own errors and interval parts, not the runs themselves (several
# sources carry no licence to redistribute their data; ../shared/data/ keeps them).
FIELDS = [
    "study",
    "sweep",
    "cut_flops",
    "n_fitted",
    "n_predicted",
    "fitted_budgets",
    "log_error",
    "decades",
    "parameters_sd",
    "scatter_sd",
    "own_tau",
    "backtests",
    "backtest_excess",
    "backtest_weight",
    "backtest_reach",
    "drift",
    "outcome",
    "joint_p",
    "target",
]


def corpus(
    bootstrap: int,
    seed: int,
    cross_study: Callable[[str], CrossStudy] | None = None,
    quiet: bool = False,
    only: Callable[[str, float], bool] | None = None,
) -> list[dict]:
    """Every cut of every sweep (``only(sweep, cut)``: those it accepts). ``cross_study(study)``:
    the cross-study error its fits use (the shipped one by default); each record also says whether
    the tool's own 95 % prediction interval held the run (``inside``) and its log half-width."""
    records = []
    for study, name, runs, targets in sweeps():
        for cut in cuts(runs.flops):
            if only is not None and not only(name, cut):
                continue
            fitted = np.flatnonzero(runs.flops <= cut)
            held = np.flatnonzero(runs.flops > cut)
            both = runs.subset(np.concatenate([fitted, held]))
            extra = [] if targets is None else list(zip(targets.params.tolist(), targets.tokens.tolist()))
            points = list(zip(runs.params[held].tolist(), runs.tokens[held].tolist())) + extra
            started = time.perf_counter()
            prior = None if cross_study is None else cross_study(study)
            result = fit(both, holdout=len(held), bootstrap=bootstrap, seed=seed, compare_losses=False, predict=points, cross_study=prior)
            check, holdout = result.check, result.holdout
            assert check is not None and holdout is not None
            observed = np.concatenate([runs.loss[held], [] if targets is None else targets.loss])
            is_target = [False] * len(held) + [True] * len(extra)
            budgets = len({round(float(np.log10(f)), 1) for f in runs.flops[fitted]})
            for prediction, loss, target in zip(result.predictions, observed, is_target):
                parts = prediction.interval_parts
                records.append(
                    dict(
                        study=study,
                        sweep=name,
                        cut_flops=cut,
                        n_fitted=len(fitted),
                        n_predicted=len(held),
                        fitted_budgets=budgets,
                        params=prediction.params,
                        tokens=prediction.tokens,
                        flops=prediction.flops,
                        loss=float(loss),
                        predicted=prediction.loss.value,
                        log_error=float(np.log(prediction.loss.value / loss)),
                        decades=float(np.log10(prediction.flops / cut)),
                        parameters_sd=None if parts is None else parts.parameters,
                        scatter_sd=check.scatter,
                        own_tau=check.extrapolation_per_decade if result.backtests else None,
                        backtests=len(result.backtests),
                        backtest_excess=check.backtest_excess,
                        backtest_weight=check.backtest_weight,
                        backtest_reach=max((float(np.log10(b.max_extrapolation)) for b in result.backtests), default=None),
                        drift=check.drift,
                        outcome=holdout.outcome,
                        joint_p=holdout.joint_p_value,
                        target=target,
                        inside=None if prediction.loss.pi95 is None else bool(prediction.loss.pi95[0] <= loss <= prediction.loss.pi95[1]),
                        half_width=None
                        if prediction.loss.pi95 is None
                        else float(np.log(prediction.loss.pi95[1] / prediction.loss.pi95[0]) / 2),
                    )
                )
            if not quiet:
                print(
                    f"{name:<40} cut {cut:9.3g}: {len(fitted):>4} fitted, {len(points):>4} predicted, "
                    f"median |error| {np.median(np.abs([r['log_error'] for r in records[-len(points) :]])):.2%}, "
                    f"{holdout.outcome}, {time.perf_counter() - started:.1f} s",
                    flush=True,
                )
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"{SHARED} is absent: the published sweeps live beside the project")
    started = time.perf_counter()
    records = corpus(args.bootstrap, args.seed)
    with open(args.out, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow({k: ("" if v is None else f"{v:.6g}" if isinstance(v, float) else v) for k, v in record.items() if k in FIELDS})
    print(
        f"{len(records)} predictions from {len({r['sweep'] for r in records})} sweeps -> {args.out} ({time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
