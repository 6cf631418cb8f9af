"""Fit the cross-study extrapolation error on the corpus of real extrapolations, and validate it
leave-one-study-out (#25).

Reads ``tests/data/extrapolation_corpus.csv`` (``bench/extrapolation_corpus.py`` regenerates it
from ``../shared/data/``), estimates each study's tau_s and their pooled tau_0
(``scaling_cli/fitting/check/cross_study.py``), chooses the weight k_0 of that evidence against
a sweep's own backtests leave-one-study-out, prints coverage, median |error| and median 95 %
half-width per distance bucket, and writes ``configs/extrapolation.toml``.

    python bench/extrapolation_error.py            # prints the table, writes the config
    python bench/extrapolation_error.py --dry-run  # prints only

The intervals here are Gaussian (sd^2 = bootstrap^2 + scatter^2 + tau^2 x^2), as the held-out
check's covariance is; the tool's own intervals draw the scatter from its residuals instead.
"""

from __future__ import annotations

import argparse
import csv
import itertools
from collections import defaultdict
from pathlib import Path

import numpy as np

from scaling_cli.fitting.check.cross_study import CrossStudy, pooled_tau, study_tau

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "extrapolation_corpus.csv"
CONFIG = ROOT / "configs" / "extrapolation.toml"
BUCKETS = ((1.0, 1.5), (1.5, 3.0), (3.0, 10.0), (10.0, float("inf")))
WEIGHTS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""k_0 candidates, in backtests' worth of squared decades."""
Z95 = 1.959963984540054


class Corpus:
    """The corpus's columns as arrays, one entry per predicted run."""

    def __init__(self, path: Path) -> None:
        with open(path, newline="") as file:
            rows = list(csv.DictReader(file))

        def column(name: str, missing: float = np.nan) -> np.ndarray:
            return np.array([float(r[name]) if r[name] != "" else missing for r in rows])

        self.study = np.array([r["study"] for r in rows])
        self.cut = np.array([f"{r['sweep']}|{r['cut_flops']}" for r in rows])
        self.error, self.decades = column("log_error"), column("decades")
        self.param_var, self.scatter_var = column("parameters_sd", 0.0) ** 2, column("scatter_sd") ** 2
        self.excess, self.weight = column("backtest_excess"), column("backtest_weight", 0.0)
        self.reach = column("backtest_reach")
        self.excess[self.weight <= 0] = np.nan  # backtests at no distance carry no evidence (as error_model.py)
        self.studies = sorted(set(self.study))

    def study_taus(self, studies: list[str]) -> dict[str, float]:
        taus = {}
        for study in studies:
            cuts = []
            for cut in sorted(set(self.cut[self.study == study])):
                m = self.cut == cut
                cuts.append((self.error[m], self.param_var[m], self.scatter_var[m], self.decades[m]))
            taus[study] = study_tau(cuts)
        return taus

    def half_width(self, prior: CrossStudy, mask: np.ndarray) -> np.ndarray:
        excess, weight, reach, x = self.excess[mask], self.weight[mask], self.reach[mask], self.decades[mask]
        tau = np.array([prior.combined(None if np.isnan(e) else float(e), float(w)) for e, w in zip(excess, weight)])
        # Beyond the backtests' reach the cross-study error is the only evidence (ErrorModel.extra_sd).
        beyond = np.where(np.isnan(excess), 0.0, np.maximum(x - np.nan_to_num(reach), 0.0))
        systematic = (tau * x) ** 2 + (prior.tau_per_decade * beyond) ** 2
        return Z95 * np.sqrt(self.param_var[mask] + self.scatter_var[mask] + systematic)

    def leave_one_study_out(self, weight: float) -> np.ndarray:
        half = np.zeros(len(self.error))
        for study in self.studies:
            others = self.study_taus([s for s in self.studies if s != study])
            prior = CrossStudy(tau_per_decade=pooled_tau(others), prior_weight=weight)
            mask = self.study == study
            half[mask] = self.half_width(prior, mask)
        return half

    def table(self, half: np.ndarray) -> list[tuple[str, int, float, float, float]]:
        ratio, rows = 10**self.decades, []
        for low, high in BUCKETS:
            m = (ratio > low) & (ratio <= high)
            if m.any():
                label = f"<= {high:g}x" if low == 1.0 else f"> {low:g}x" if high == float("inf") else f"{low:g}-{high:g}x"
                rows.append(
                    (
                        label,
                        int(m.sum()),
                        float(np.mean(np.abs(self.error[m]) <= half[m])),
                        float(np.median(np.abs(self.error[m]))),
                        float(np.median(half[m])),
                    )
                )
        return rows


def print_table(rows, title: str) -> None:
    print(title)
    print(f"  {'extrapolation':<14} {'runs':>5} {'inside 95 %':>12} {'median |error|':>15} {'median half-width':>18} {'ratio':>6}")
    for label, n, coverage, error, half in rows:
        print(f"  {label:<14} {n:>5} {coverage:>12.1%} {error:>15.2%} {half:>18.2%} {half / error:>6.2f}")


LOSO = ROOT / "tests" / "data" / "extrapolation_loso.csv"
LOSO_FIELDS = ["study", "sweep", "cut_flops", "decades", "log_error", "inside", "half_width"]
"""What ``--tool`` records per held-out run (tests/test_extrapolation_error.py reads it, and refits
a few cuts to check that the tool still gives the same)."""


def tool_table(corpus: Corpus, weight: float, out: Path | None = None) -> np.ndarray:
    """Leave one study out with the tool's own intervals: every cut refitted by ``scale fit`` with
    tau_0 estimated without its study (draws: bootstrap replicates, scatter residuals, the
    extrapolation term), and each held-out run inside its 95 % prediction interval or not."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("extrapolation_corpus", Path(__file__).parent / "extrapolation_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    priors = {
        study: CrossStudy(tau_per_decade=pooled_tau(corpus.study_taus([s for s in corpus.studies if s != study])), prior_weight=weight)
        for study in corpus.studies
    }
    records = module.corpus(100, 0, cross_study=priors.__getitem__, quiet=True)
    if out is not None:
        with open(out, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=LOSO_FIELDS)
            writer.writeheader()
            for r in records:
                writer.writerow({k: f"{r[k]:.6g}" if isinstance(r[k], float) else r[k] for k in LOSO_FIELDS})
        print(f"wrote {out}")
    ratio = np.array([10 ** r["decades"] for r in records])
    inside = np.array([bool(r["inside"]) for r in records])
    error = np.abs(np.array([r["log_error"] for r in records]))
    half = np.array([r["half_width"] for r in records])
    print("Leave one study out, the tool's own 95 % prediction intervals:")
    print(f"  {'extrapolation':<14} {'runs':>5} {'inside 95 %':>12} {'median |error|':>15} {'median half-width':>18} {'ratio':>6}")
    for low, high in BUCKETS:
        m = (ratio > low) & (ratio <= high)
        label = f"<= {high:g}x" if low == 1.0 else f"> {low:g}x" if high == float("inf") else f"{low:g}-{high:g}x"
        print(
            f"  {label:<14} {m.sum():>5} {inside[m].mean():>12.1%} {np.median(error[m]):>15.2%} {np.median(half[m]):>18.2%} {np.median(half[m]) / np.median(error[m]):>6.2f}"
        )
    studies = np.array([r["study"] for r in records])
    print("  by study: " + ", ".join(f"{s} {inside[studies == s].mean():.0%}" for s in corpus.studies))
    return half


def plot(corpus: Corpus, half: np.ndarray, path: Path) -> None:
    """Each held-out run's error against its distance, coloured by study, with the median
    leave-one-study-out 95 % half-width per distance bin as the band a prediction promises (the
    tool's own with ``--tool``, else the Gaussian ones)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratio = 10**corpus.decades
    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=120)
    for study in corpus.studies:
        m = corpus.study == study
        axes.scatter(ratio[m], 100 * np.expm1(corpus.error[m]), s=4, alpha=0.35 if study == "porian" else 0.8, label=study)
    edges = np.geomspace(ratio.min(), ratio.max(), 14)
    centres, bands = [], []
    for low, high in itertools.pairwise(edges):
        m = (ratio >= low) & (ratio < high)
        if m.sum() >= 5:
            centres.append(np.sqrt(low * high))
            bands.append(100 * np.median(half[m]))
    axes.fill_between(centres, -np.array(bands), bands, color="grey", alpha=0.2, label="median 95 % half-width (leave one study out)")
    axes.axhline(0, color="black", linewidth=0.6)
    axes.set_xscale("log")
    axes.set_ylim(-25, 25)
    axes.set_xlabel("compute of the predicted run / largest fitted compute")
    axes.set_ylabel("error of the prediction (%)")
    axes.set_title("Real extrapolations: 2,711 predictions from 107 cuts of 22 published sweeps", fontsize=10)
    axes.legend(fontsize=7, markerscale=3, loc="lower left")
    figure.tight_layout()
    figure.savefig(path)
    print(f"drew {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--plot", type=Path, help="also draw the errors and the leave-one-study-out intervals to this PNG")
    parser.add_argument(
        "--tool", action="store_true", help="also refit every cut with the tool, tau_0 without its study: its own intervals"
    )
    args = parser.parse_args()
    corpus = Corpus(args.corpus)
    taus = corpus.study_taus(corpus.studies)
    print("per study tau_s (per decade): " + ", ".join(f"{s} {t:.4f}" for s, t in taus.items()))
    tau0 = pooled_tau(taus)
    print(f"tau_0 = {tau0:.4f} per decade (root mean square over {len(taus)} studies)")
    scores = {}
    for weight in WEIGHTS:
        rows = corpus.table(corpus.leave_one_study_out(weight))
        scores[weight] = min(coverage for _, _, coverage, _, _ in rows)
        print(f"k_0 = {weight:g}: leave-one-study-out coverage by bucket " + ", ".join(f"{r[0]} {r[2]:.1%}" for r in rows))
    best = max(WEIGHTS, key=lambda w: (scores[w], -w))
    print(f"k_0 = {best:g}: the best worst-bucket coverage")
    print_table(corpus.table(corpus.leave_one_study_out(best)), "Leave one study out (tau_0 refitted without the study predicted):")
    per_study = defaultdict(list)
    half = corpus.leave_one_study_out(best)
    for study in corpus.studies:
        m = corpus.study == study
        per_study[study] = [float(np.mean(np.abs(corpus.error[m]) <= half[m])), int(m.sum())]
    print("  by study: " + ", ".join(f"{s} {c:.0%} of {n}" for s, (c, n) in per_study.items()))
    if args.tool:
        # The tool's own half-widths replace the Gaussian ones in the picture (same runs, same order).
        half = tool_table(corpus, best, None if args.dry_run else LOSO)
    if args.plot:
        plot(corpus, half, args.plot)
    if args.dry_run:
        return
    lines = [
        "# The cross-study extrapolation error (issue #25): how far real scaling laws miss beyond their sweep.",
        "# Fitted by bench/extrapolation_error.py on tests/data/extrapolation_corpus.csv, which",
        "# bench/extrapolation_corpus.py regenerates from ../shared/data/ (see fitting/check/cross_study.py).",
        f"tau_per_decade = {tau0:.6f}",
        f"prior_weight = {best:g}",
        f"cuts = {len(set(corpus.cut))}",
        f"predictions = {len(corpus.error)}",
        'command = "python bench/extrapolation_corpus.py && python bench/extrapolation_error.py"',
        'source = "Chinchilla (Epoch AI file), datablations single-epoch runs, Gadre et al. 2024 (3 training sets), '
        "OLMo ladder with its 7B/13B targets, Llama 3 IsoFLOP points, Porian et al. 2024 (15 configurations): each cut at "
        '50-90 % of its log-compute range, the Chinchilla form fitted below and every run above predicted"',
        "",
        "[studies]",
        *(f"{study} = {tau:.6f}" for study, tau in taus.items()),
        "",
    ]
    CONFIG.write_text("\n".join(lines))
    print(f"wrote {CONFIG}")


if __name__ == "__main__":
    main()
