"""The ``forecast`` command line. It only wires the library's layers together.

Commands
--------
``forecast data``
    Print the history summary: coverage per series and year, counts per
    definition and quality, the last observation per series.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from forecast import __version__
from forecast.data import DataValidationError, History, MergeConflictError, load_history

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def _history(args: argparse.Namespace) -> History:
    history = load_history()
    if args.history is not None:
        own = History.from_csv(Path(args.history))
        history = own if args.replace else history.merge(own, overwrite=args.overwrite)
    if args.as_of is not None:
        history = history.until(args.as_of)
    return history


def _cmd_data(args: argparse.Namespace) -> int:
    history = _history(args)
    if args.series:
        history = history.select(args.series)
    print(history.summary())
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``forecast`` command."""
    parser = argparse.ArgumentParser(
        prog="forecast",
        description="Probabilistic forecasts of reception need (opvangbehoefte) in the Dutch asylum chain.",
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    data = sub.add_parser(
        "data",
        help="summarise the history: coverage, definitions, last observation per series",
        description="Print the history summary of the bundled data, or of your own merged onto it.",
    )
    data.add_argument(
        "--history",
        metavar="FILE",
        help="your observations CSV (bundled schema), merged onto the bundled history",
    )
    data.add_argument(
        "--replace",
        action="store_true",
        help="use --history on its own instead of merging it onto the bundled history",
    )
    data.add_argument(
        "--overwrite",
        action="store_true",
        help="when merging, let rows of --history replace bundled rows they contradict",
    )
    data.add_argument("--as-of", metavar="DATE", help="only what was known on DATE (YYYY-MM-DD)")
    data.add_argument("--series", nargs="+", metavar="SERIES", help="only these series")
    data.set_defaults(func=_cmd_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (DataValidationError, MergeConflictError) as exc:
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyError, ValueError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"forecast: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
