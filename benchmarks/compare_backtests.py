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

from forecast.evaluation.comparison import ORIGIN_SETS, combine_runs, crps_differences

BASELINES = ("persistence", "seasonal_naive", "ets")


def _wide(d: pd.DataFrame, judged: str, others: list[str], set_: str) -> None:
    """One row per series and horizon: the judged run's CRPS, each other's, and the differences."""
    print(f"mean log CRPS, {set_} origins (lower is better)")
    print(f"difference = {judged} minus other [90 % interval], bold where the whole interval is below 0\n")
    shown = [o for o in others if (d["other"] == o).any()]
    head = ["series", "horizon", "n", judged, *shown, *[f"{judged} − {o}" for o in shown]]
    head += ["PIT mean", "cover 80"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for (series, bucket), g in d.groupby(["series", "horizon_bucket"], observed=True, sort=True):
        g = g.set_index("other")
        first = g.iloc[0]
        cells = [series, str(bucket), str(int(g["n"].min())), f"{first.crps:.3f}"]
        cells += [f"{g.loc[o, 'crps_other']:.3f}" if o in g.index else "—" for o in shown]
        for o in shown:
            if o not in g.index:
                cells.append("—")
                continue
            r = g.loc[o]
            mark = "**" if r.better else ""
            cells.append(f"{mark}{r.difference:+.3f}{mark} [{r.lo:+.2f}, {r.hi:+.2f}]")
        cells += [f"{first.pit_mean:.2f}", f"{first.cover_80:.2f}"]
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> None:
    """Read the runs, compare, print one markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="LABEL=path/to/forecasts.csv; the first is judged")
    ap.add_argument(
        "--set",
        default="development",
        choices=ORIGIN_SETS,
        help="which origins (forecast.evaluation.comparison.origin_set); fresh: from 2025-01 on",
    )
    ap.add_argument("--boot", type=int, default=2000, help="bootstrap resamples of the origins")
    ap.add_argument("--skip", action="append", default=[], help="a series to leave out (repeatable)")
    ap.add_argument("--wide", action="store_true", help="one row per series and horizon, a column per method")
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
    if args.wide:
        _wide(d, labels[0], [*labels[1:], *BASELINES], args.set)
        return
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
