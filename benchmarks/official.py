"""Model vs the official forecasts of the time vs persistence, on every official target with an outcome.

Usage::

    .venv/bin/python benchmarks/official.py                       # fit at every forecast's month, save, print
    .venv/bin/python benchmarks/official.py --from benchmarks/results/official   # print a saved run

Each official forecast (the MPP, budget, IND and COA figures of 2016-2024 in
``forecast/data/bundled/official_forecasts.csv``) is compared with the model fitted on what was known
on the first day of the month it was made in, and with persistence; see
``forecast/evaluation/official.py``. One fit per distinct month (11 with the bundled data): 37-159 s
each, 1,138 s in all on two cores with the default sampler settings (measured 2026-11-29).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from forecast.evaluation import BacktestSettings
from forecast.evaluation.official import OfficialComparison, compare_with_official

RESULTS = Path(__file__).parent / "results" / "official"


def _n(x: float) -> str:
    return "—" if pd.isna(x) else f"{x:,.0f}"


def _pct(x: float) -> str:
    return "—" if pd.isna(x) else f"{100 * x:.0f} %"


def print_tables(forecasts: pd.DataFrame, summary: pd.DataFrame) -> None:
    """Print the per-forecast table and the summary as markdown."""
    head = [
        "official forecast", "made", "target", "outcome", "official (bracket)", "model median [80 %]",
        "persistence", "abs. error: official", "model", "persistence",
    ]  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for _, r in forecasts.iterrows():
        bracket = (
            f" ({_n(r.official_low)}–{_n(r.official_high)})"
            if pd.notna(r.official_low) and pd.notna(r.official_high)
            else ""
        )
        when = pd.Timestamp(r.target_period_end)
        target = (
            f"{r.target} {when.year}"
            if r.target in ("total_inflow", "first_applications")
            else f"{r.target} {when.date()}"
        )
        cells = [
            r.edition, f"{pd.Timestamp(r.made_on):%Y-%m}", target,
            f"{_n(r.observed)} ({r.definition}, {pd.Timestamp(r.period_end).date()})",
            f"{_n(r.official_point)}{bracket}",
            f"{_n(r.model_q50)} [{_n(r.model_q10)}–{_n(r.model_q90)}]",
            _n(r.persistence_q50), _pct(r.ape_official), _pct(r.ape_model), _pct(r.ape_persistence),
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    print()
    head = [
        "target",
        "n",
        "median abs. error: official",
        "model",
        "persistence",
        "model 80 % band held",
        "official bracket held",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for target, r in summary.iterrows():
        cells = [
            str(target), str(int(r.n)), _pct(r.median_ape_official), _pct(r.median_ape_model),
            _pct(r.median_ape_persistence), f"{int(r.model_band_hits)}/{int(r.n)}",
            f"{int(r.official_bracket_hits)}/{int(r.official_brackets)}",
        ]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    """Run (or read) the comparison and print it."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--from", dest="source", type=Path, help="print a saved run (a folder) instead of fitting"
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"where to save the run (default {RESULTS})")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args(argv)
    if args.source is not None:
        forecasts = pd.read_csv(args.source / "forecasts.csv")
        summary = pd.read_csv(args.source / "summary.csv").set_index("target")
    else:
        settings = BacktestSettings(
            draws=args.draws, tune=args.tune, chains=args.chains, random_seed=args.seed
        )
        t0 = time.perf_counter()
        result: OfficialComparison = compare_with_official(settings=settings)
        result.save(args.out)
        print(f"{len(result.fits)} fits in {time.perf_counter() - t0:.0f} s; saved to {args.out}\n")
        forecasts, summary = result.forecasts, result.summary()
    print_tables(forecasts, summary)


if __name__ == "__main__":
    main()
