"""Compare backtest runs on the same held-out figures, with a bootstrap over origins; prints a table.

Usage::

    .venv/bin/python benchmarks/compare_backtests.py v2=out/backtest/forecasts.csv \
        v1=out/backtest_v1/forecasts.csv --set development

The first run is the one judged; it is compared with every other run and with the baselines
(persistence, seasonal naive, ETS) on the figures that all of them forecast. ``difference`` is the
judged run's mean log CRPS minus the other's (< 0: the judged run is better), with a 90 % block
bootstrap interval over origins (forecast/evaluation/comparison.py). Develop on ``development``; look
at ``confirmation`` once, at the end.
"""

from __future__ import annotations

import argparse

import pandas as pd

from forecast.evaluation.comparison import combine_runs, crps_differences

BASELINES = ("persistence", "seasonal_naive", "ets")


def main(argv: list[str] | None = None) -> None:
    """Read the runs, compare, print one markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="LABEL=path/to/forecasts.csv; the first is judged")
    ap.add_argument("--set", default="development", choices=("development", "confirmation"))
    ap.add_argument("--boot", type=int, default=2000, help="bootstrap resamples of the origins")
    ap.add_argument("--skip", nargs="*", default=["first_applications"], help="series left out of the table")
    args = ap.parse_args(argv)
    runs = {}
    for item in args.runs:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            ap.error(f"a run is LABEL=path/to/forecasts.csv, got {item!r}")
        runs[label] = pd.read_csv(path)
    labels = list(runs)
    frame = combine_runs(runs)
    d = crps_differences(frame, labels[0], [*labels[1:], *BASELINES], n_boot=args.boot)
    d = d[(d["set"] == args.set) & ~d["series"].isin(args.skip)]
    if d.empty:
        raise SystemExit(f"no figures of the {args.set} set in these runs")
    print(f"{labels[0]} against the others, {args.set} origins, mean log CRPS (lower is better)\n")
    print(
        "| series | horizon | vs | n | origins | crps | other | difference [90 % interval] "
        "| PIT mean | cover 80 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in d.itertuples():
        mark = " **better**" if r.better else (" worse" if r.lo > 0 else "")
        print(
            f"| {r.series} | {r.horizon_bucket} | {r.other} | {r.n} | {r.origins} | {r.crps:.3f} | "
            f"{r.crps_other:.3f} | {r.difference:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]{mark} | "
            f"{r.pit_mean:.2f} | {r.cover_80:.2f} |"
        )


if __name__ == "__main__":
    main()
