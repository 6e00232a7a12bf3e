"""``forecast fit``: fit the chain model, run the diagnostics gate, print the coverage, save the fit."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from forecast.cli.common import (
    EXIT_DIAGNOSTICS_FAILED,
    EXIT_OK,
    chain_model,
    check_writable,
    fit_and_save,
    history_from_args,
)
from forecast.cli.options import add_common, add_fit_options, add_history_options, add_prior_option


def _cmd_fit(args: argparse.Namespace) -> int:
    out = Path(args.out)
    check_writable(out)
    history = history_from_args(args)
    model = chain_model(args, history)
    print(model, flush=True)
    fit_and_save(args, model, out)
    if args.strict and not model.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def add_fit_parser(sub: Any) -> None:
    """Add the ``fit`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    fit = sub.add_parser(
        "fit",
        help="fit the chain model, check its diagnostics and save the posterior",
        description="Fit the Bayesian stock-flow model to the history (bundled, or yours merged onto it), "
        "run the diagnostics gate (R-hat, ESS, divergences, E-BFMI), print the in-sample coverage per "
        "series and save the result to OUT/fit.nc.",
    )
    add_history_options(fit)
    add_fit_options(fit)
    add_prior_option(fit)
    add_common(fit)
    fit.set_defaults(func=_cmd_fit)
