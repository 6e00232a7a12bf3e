"""``forecast data``: print the history summary (coverage, definitions, last observation per series)."""

from __future__ import annotations

import argparse
from typing import Any

from forecast.cli import values as V
from forecast.cli.common import EXIT_OK, history_from_args
from forecast.cli.options import add_history_options


def _cmd_data(args: argparse.Namespace) -> int:
    history = history_from_args(args)
    if args.series:
        history = history.select(args.series)
    print(history.summary())
    return EXIT_OK


def add_data_parser(sub: Any) -> None:
    """Add the ``data`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    data = sub.add_parser(
        "data",
        help="summarise the history: coverage, definitions, last observation per series",
        description="Print the history summary of the bundled data, or of your own merged onto it.",
    )
    add_history_options(data)
    data.add_argument("--series", type=V.series, nargs="+", metavar="SERIES", help="only these series")
    data.set_defaults(func=_cmd_data)
