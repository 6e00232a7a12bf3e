"""Benchmark: the full rolling-origin backtest of the chain model against the baselines.

usage: python benchmarks/backtest.py [--first 2017-01-01] [--last 2024-07-01] [--step 6]
                                     [--draws 1000] [--tune 300] [--chains 4] [--target-accept 0.8]
                                     [--seed 2026]
                                     [--workers 2 | --serial | --scheduler ADDRESS] [--out out/backtest]
                                     [--fits FOLDER] [--no-anchor] [--no-condition] [--max-horizon 24]

Fits the model at every origin (default: every half year 2017-01 .. 2024-07, 16 origins) on the
history known then, forecasts 3-24 months ahead under the policy in force and scores the model and
the baselines (persistence, seasonal naive, ETS) on every figure published later
(:mod:`forecast.evaluation.backtest`). Prints the fits (diagnostics, seconds), the model's interval
coverage, the mean log CRPS and 90 % pinball loss per series, horizon bucket and method, the CRPS
skill against each baseline, issue #6's targets and the wall time; writes the tables and the two
figures to ``--out``.

With ``--fits FOLDER`` each origin's fit is saved there (``fit_YYYY-MM.nc``) and read back on the next
run, so a second scoring of the same fits (``--no-anchor``: the chain's own stocks, without the gap
from the last counts of :mod:`forecast.model.anchor`; ``--no-condition``: forecasts not conditioned
on the taakstellingen set at the origin, :mod:`forecast.model.conditioning`; ``--max-horizon 48``:
the same forecasts scored up to four years ahead, in yearly buckets after 24 months) takes about 5 s
per origin.

Each origin is fitted with the model's default sampler settings (4 chains x 1000 draws after 300
tuning steps); the origins run on a local dask cluster of 2 worker processes. Measured on 2 idle
cores (2026-11-30): 605 s wall for the 12 development origins 2017-01 .. 2022-07, 34-168 s per origin
fit two at a time (the nutpie compile, about 25 s of it, is single-threaded, so two origins at a time
nearly halve the wall time); 702 s once the taakstelling became evidence on the grants (fits of
71-159 s); with 1000 tuning steps the same origins took about 25 min.
"""

from __future__ import annotations

import argparse
import time

from forecast.cli import values as V


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--first", default="2017-01-01", help="first origin (first day of a month)")
    ap.add_argument("--last", default="2024-07-01", help="last origin")
    ap.add_argument("--step", type=int, default=6, help="months between origins")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument(
        "--target-accept",
        type=V.target_accept,  # the rule of forecast's own option: strictly between 0 and 1
        default=0.8,
        help="NUTS step size adaptation's target (default 0.8)",
    )
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--samples", type=int, default=1000, help="baseline draws per target")
    ap.add_argument(
        "--max-horizon",
        type=V.int_at_least(24),
        default=24,
        help="longest scored horizon in months, >= 24 (default 24); beyond 24 months one bucket per "
        "further year (25-36, 37-48, ...)",
    )
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--workers", type=int, default=2, help="local dask worker processes")
    mode.add_argument("--serial", action="store_true", help="one origin after the other in this process")
    mode.add_argument("--scheduler", default=None, help="address of a running dask scheduler")
    ap.add_argument("--out", default="out/backtest", help="folder for the tables and figures")
    ap.add_argument(
        "--fits",
        default=None,
        help="folder of saved fits (fit_YYYY-MM.nc): read back where saved, else fitted and saved",
    )
    ap.add_argument(
        "--no-anchor",
        action="store_true",
        help="score the chain's own stocks, without the gap from the last counts",
    )
    ap.add_argument(
        "--no-condition",
        action="store_true",
        help="score the forecast not conditioned on the taakstellingen set at the origin",
    )
    a = ap.parse_args(argv)

    t0 = time.perf_counter()
    from forecast.evaluation.backtest import backtest, buckets_to, default_origins
    from forecast.reports.backtest import figure_files

    origins = default_origins(a.first, a.last, a.step)
    run = {
        "draws": a.draws,
        "tune": a.tune,
        "chains": a.chains,
        "target_accept": a.target_accept,
        "random_seed": a.seed,
        "n_samples": a.samples,
        "max_horizon": a.max_horizon,
        "buckets": buckets_to(a.max_horizon),
        "anchored": not a.no_anchor,
        "conditioned": not a.no_condition,
        "fits": a.fits,
        "progress": True,
    }
    if a.scheduler:
        from dask.distributed import Client

        with Client(a.scheduler) as client:
            result = backtest(origins, client=client, **run)
        where = f"dask scheduler {a.scheduler}"
    elif a.serial:
        result = backtest(origins, **run)
        where = "in process, serial"
    else:
        result = backtest(origins, parallel=True, n_workers=a.workers, **run)
        where = f"local dask cluster, {a.workers} worker processes"
    paths = result.save(a.out, figures=figure_files(result))
    wall = time.perf_counter() - t0
    print(result.summary())
    print()
    print(f"origins: {len(origins)} ({origins[0]:%Y-%m} .. {origins[-1]:%Y-%m}), {where}")
    print(f"{'wall time (s)':28s} {wall:8.1f}")
    print(f"{'  sum of per-origin (s)':28s} {result.fits['seconds'].sum():8.1f}")
    print(f"written to {paths['summary'].parent}/")


if __name__ == "__main__":
    main()
