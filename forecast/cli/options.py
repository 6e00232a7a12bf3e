"""The option groups several ``forecast`` commands share: the history, the fit, the scenarios, common.

Each function adds one group of options to a subcommand's parser, with the value types of
:mod:`forecast.cli.values`, so that every command spells, checks and documents them alike.
"""

from __future__ import annotations

import argparse

from forecast.cli import values as V
from forecast.names import DEFAULT_SEED, LANGUAGES


def add_history_options(p: argparse.ArgumentParser) -> None:
    """Add ``--history``, ``--replace``, ``--overwrite`` and ``--as-of``: which history to use.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    """
    p.add_argument(
        "--history",
        metavar="FILE",
        help="your observations CSV (bundled schema), merged onto the bundled history",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="use --history on its own instead of merging it onto the bundled history",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="when merging, let rows of --history replace bundled rows they contradict",
    )
    p.add_argument("--as-of", type=V.date, metavar="DATE", help="only what was known on DATE (YYYY-MM-DD)")


def add_fit_options(p: argparse.ArgumentParser) -> None:
    """Add the options of a fit: priors, draws, tuning steps, chains, target acceptance, sampler,
    ``--strict``, ``--quiet``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    """
    p.add_argument(
        "--priors", metavar="DIR", help="folder of prior TOML files (default: the bundled priors/)"
    )
    p.add_argument(
        "--draws", type=V.positive_int, metavar="N", help="draws per chain after tuning, >= 1 (default 1000)"
    )
    p.add_argument(
        "--tune", type=V.non_negative_int, metavar="N", help="tuning steps per chain, >= 0 (default 300)"
    )
    p.add_argument("--chains", type=V.positive_int, metavar="N", help="number of chains, >= 1 (default 4)")
    p.add_argument(
        "--target-accept",
        type=V.target_accept,
        metavar="P",
        help="target acceptance rate of NUTS's step size adaptation, in (0, 1) (default 0.8); higher: "
        "smaller steps, fewer divergences, a slower fit",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke-run preset: 2 chains x 200 draws after 300 tuning steps (diagnostics will not pass)",
    )
    p.add_argument("--sampler", choices=("nutpie", "pymc"), default="nutpie", help="default nutpie")
    p.add_argument(
        "--strict", action="store_true", help="exit with code 3 when the fit fails the diagnostics gate"
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bars, of the fit or the scenario grid (shown only in a terminal anyway)",
    )


#: Prior draws saved with a fit by ``forecast fit`` and ``forecast run`` (the ``prior`` and
#: ``prior_predictive`` groups of ``fit.nc``): two to three seconds on two cores.
DEFAULT_PRIOR_DRAWS = 500


def add_prior_option(p: argparse.ArgumentParser) -> None:
    """Add ``--prior-draws``: how many prior draws to save with the fit.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The parser of a subcommand that saves a fit.
    """
    p.add_argument(
        "--prior-draws",
        type=V.non_negative_int,
        default=DEFAULT_PRIOR_DRAWS,
        metavar="N",
        help=f"prior draws saved with the fit (0: none; default {DEFAULT_PRIOR_DRAWS})",
    )


def add_scenario_options(p: argparse.ArgumentParser, *, fit: bool) -> None:
    """Add the options of the scenario grid: measures, capacity, horizon, chunks, a dask scheduler.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    fit : bool
        Also add ``--fit FILE``, the saved fit the scenarios start from, and ``--quiet`` (a command
        with a fit of its own has ``--quiet`` from :func:`add_fit_options`).
    """
    if fit:
        p.add_argument("--fit", metavar="FILE", help="the saved fit (default OUT/fit.nc from `forecast fit`)")
        p.add_argument(
            "--quiet", action="store_true", help="no progress bars (shown only in a terminal anyway)"
        )
    p.add_argument("--measures", metavar="FILE", help="your own measures TOML (default: the bundled one)")
    p.add_argument(
        "--capacity",
        type=V.capacity,
        metavar="PLACES|FILE",
        help="regular COA places: a positive whole number, digits only (75000, not 75.000 or 75,000), or "
        "a CSV with columns month (YYYY-MM), places (one line per forecast month) "
        "(default: the latest regular places, coa_capacity_regular, in the inputs as known, held flat)",
    )
    p.add_argument(
        "--horizon-end",
        type=V.month_or_date,
        metavar="DATE",
        help="last forecast month, YYYY-MM or a day in it (default: end of the last fase)",
    )
    p.add_argument(
        "--chunk-draws",
        type=V.positive_int,
        default=500,
        metavar="N",
        help="posterior draws per chunk, >= 1 (memory; default 500)",
    )
    p.add_argument(
        "--scheduler",
        type=V.scheduler,
        metavar="ADDRESS",
        help="run the chunks on a dask cluster (scheduler address)",
    )


def add_target_option(p: argparse.ArgumentParser) -> None:
    """Add ``--target TEXT`` (repeatable): a policy target whose combinations of measures are listed.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    """
    p.add_argument(
        "--target",
        action="append",
        metavar="TEXT",
        help="a policy target, QUANTITY OP VALUE @ FASE with OP one of <=, <, >=, > (quote it), e.g. "
        "'p_need_exceeds_capacity <= 0.10 @ normalisatie' or 'noodopvang_person_months_mean <= 20000 "
        "@ implementatie'; QUANTITY a column of phase_summary.csv, a probability or share also as 10%%. "
        "Repeat it, or join targets with ' and ': all must hold. Lists the combinations of the measures "
        "that meet it, cheapest first, and the smallest sets of measures that do (or, when none does, "
        "the closest), in target_met.csv and target_minimal.csv",
    )


def add_common(p: argparse.ArgumentParser, *, lang: bool = False, seed: bool = True) -> None:
    """Add ``--seed`` and ``--out``, and for commands that write report pages ``--lang`` and ``--templates``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        A subcommand's parser.
    lang : bool, optional
        Add ``--lang`` and ``--templates`` (default False).
    seed : bool, optional
        Add ``--seed`` (default True).
    """
    if seed:
        p.add_argument(
            "--seed",
            type=V.seed,
            default=DEFAULT_SEED,
            metavar="N",
            help=f"random seed, 0 .. {V.MAX_SEED} (default {DEFAULT_SEED})",
        )
    p.add_argument("--out", metavar="DIR", default="out", help="output folder (default ./out)")
    if lang:
        p.add_argument("--lang", choices=LANGUAGES, default="nl", help="report language: nl (default) or en")
        p.add_argument(
            "--templates",
            type=V.templates,
            metavar="DIR",
            help="your own page.html and/or style.css for the report pages (default: the bundled ones)",
        )
