"""``forecast backtest``: rolling-origin backtests on the real history, scored against baselines.

The command checks the origins and the earliest origin's model before any fit, runs the origins
here, on a local dask cluster or on a running one, and saves the tables, summary and figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.cli import values as V
from forecast.cli.common import (
    EXIT_DIAGNOSTICS_FAILED,
    EXIT_OK,
    BadInput,
    chain_model,
    check_writable,
    history_from_args,
    history_until,
    sampler_settings,
)
from forecast.cli.options import add_common, add_fit_options, add_history_options


def _origins(args: argparse.Namespace) -> pd.DatetimeIndex:
    """The origins of ``--origins``, or of ``--first`` .. ``--last`` every ``--step`` months."""
    from forecast.evaluation import backtest as B

    if args.origins:
        if len(set(args.origins)) != len(args.origins):
            raise BadInput(f"--origins: an origin is given twice ({' '.join(args.origins)})")
        return B.as_origins(args.origins)
    first = args.first or B.DEFAULT_FIRST_ORIGIN
    last = args.last or B.DEFAULT_LAST_ORIGIN
    if first > last:  # ISO dates compare as text
        raise BadInput(f"--first {first} lies after --last {last}: no origins")
    return B.as_origins(B.default_origins(first, last, args.step or B.DEFAULT_STEP_MONTHS))


def _cmd_backtest(args: argparse.Namespace) -> int:
    from forecast.evaluation import backtest as B
    from forecast.model import ModelSettings
    from forecast.reports.backtest import figure_files

    out = Path(args.out) / "backtest"
    check_writable(out)
    if args.origins and (args.first or args.last or args.step):
        raise BadInput("--origins lists the origins: leave out --first, --last and --step")
    history = history_from_args(args)
    origins = _origins(args)
    runs = sampler_settings(args)
    settings = B.BacktestSettings(
        random_seed=args.seed,
        sampler=args.sampler,
        priors=args.priors,
        draws=runs.draws,
        tune=runs.tune,
        chains=runs.chains,
        target_accept=runs.target_accept,
        anchored=not args.no_anchor,
        conditioned=not args.no_condition,
        fits=args.fits,
        max_horizon=args.max_horizon,
        buckets=B.buckets_to(args.max_horizon),
    )
    # the earliest origin's model, built here (not in a worker, after the others have fitted): its
    # priors, and a fitted window of at least 24 months
    earliest = min(origins)
    cut = history_until(history, f"{earliest:%Y-%m-%d}", "the origin")
    window = ModelSettings(start=settings.start, end=f"{pd.Period(earliest, 'M') - 1}")
    chain_model(
        args, cut, window, window=f"the fit at the earliest origin, {earliest:%Y-%m-%d}: pick a later one"
    )
    if args.scheduler:
        where = f"on the dask cluster {args.scheduler}"
    else:
        where = "one after the other" if args.serial else "on a local dask cluster"
    print(
        f"backtest: {len(origins)} origin(s) {where}, each fitted with {runs.chains} chains x "
        f"{runs.draws} draws after {runs.tune} tuning steps, seed {args.seed} ...",
        flush=True,
    )
    if args.scheduler:
        from dask.distributed import Client  # installed: --scheduler was checked while parsing

        with Client(args.scheduler) as client:
            result = B.backtest(origins, history, settings=settings, client=client, progress=not args.quiet)
    else:
        result = B.backtest(
            origins,
            history,
            settings=settings,
            parallel=not args.serial,
            n_workers=args.workers,
            progress=not args.quiet,
        )
    paths = result.save(out, figures=figure_files(result))
    print(result.summary())
    print(f"saved {', '.join(p.name for p in paths.values())} to {out}/")
    if args.strict and not result.fits["diagnostics_passed"].all():
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def add_backtest_parser(sub: Any) -> None:
    """Add the ``backtest`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    backtest = sub.add_parser(
        "backtest",
        help="rolling-origin backtest: refit at past dates, score the forecasts against later figures",
        description="At every origin (default every half year 2017-01-01 .. 2024-07-01) fit the chain model "
        "on the history known then (History.until), forecast 3-24 months under the policy in force, and "
        "score it and the baselines (persistence, seasonal naive, ETS) against every figure published "
        "later: coverage of the 50/80/95 % intervals, CRPS (log scale), 90 % pinball loss, PIT. The origins "
        "run on a local dask cluster (--workers), one after the other (--serial) or on a running dask "
        "cluster (--scheduler), with the same numbers. Writes OUT/backtest/forecasts.csv, fits.csv, "
        "scores.csv, skill.csv, summary.txt, pit.png and crps.png.",
    )
    backtest.add_argument(
        "--origins",
        type=V.month_start,
        nargs="+",
        metavar="DATE",
        help="forecast origins, first days of months, YYYY-MM-01 (default: --first .. --last every "
        "--step months)",
    )
    backtest.add_argument(
        "--first", type=V.month_start, metavar="DATE", help="first origin, YYYY-MM-01 (default 2017-01-01)"
    )
    backtest.add_argument(
        "--last",
        type=V.month_start,
        metavar="DATE",
        help="last possible origin, YYYY-MM-01 (default 2024-07-01)",
    )
    backtest.add_argument(
        "--step", type=V.positive_int, metavar="MONTHS", help="months between origins, >= 1 (default 6)"
    )
    where = backtest.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=V.positive_int,
        metavar="N",
        help="processes of the local dask cluster, >= 1 (default: one per core)",
    )
    where.add_argument(
        "--serial", action="store_true", help="fit the origins one after the other in this process"
    )
    where.add_argument(
        "--scheduler",
        type=V.scheduler,
        metavar="ADDRESS",
        help="run the origins on a running dask cluster (scheduler address)",
    )
    backtest.add_argument(
        "--fits",
        type=V.fits_folder,
        metavar="FOLDER",
        help="keep each origin's fit in FOLDER (fit_YYYY-MM.nc): an origin fitted before with the same "
        "settings and data is read back instead of fitted again, so a second scoring takes seconds",
    )
    backtest.add_argument(
        "--max-horizon",
        type=V.int_at_least(24),
        default=24,
        metavar="N",
        help="score up to N months ahead, >= 24 (default 24); beyond 24 months one horizon bucket per "
        "further year (25-36, 37-48, ...). With --fits the same fits are scored again in seconds",
    )
    backtest.add_argument(
        "--no-anchor",
        action="store_true",
        help="score the chain's own stocks, without the gap from the last counts that the forecast "
        "carries on (forecast.model.anchor): the same fits, for a comparison",
    )
    backtest.add_argument(
        "--no-condition",
        action="store_true",
        help="score forecasts not conditioned on the taakstellingen set at each origin "
        "(forecast.model.conditioning): the same fits, for a comparison",
    )
    add_history_options(backtest)
    add_fit_options(backtest)
    add_common(backtest)
    backtest.set_defaults(func=_cmd_backtest)
