"""The ``forecast`` command line. It only wires the library's layers together.

Commands
--------
``forecast run``
    The main job: fit on the history, run every scenario, write every report, in one go.
``forecast data``
    Print the history summary: coverage per series and year, counts per
    definition and quality, the last observation per series.
``forecast fit``
    Fit the chain model to the history, run the diagnostics gate, print the
    in-sample coverage and save the result (netCDF) to ``--out``.
``forecast scenarios``
    From a saved fit, forecast every combination of the policy measures and
    write per-fase summaries, contributions and monthly bands.
``forecast report [--fase FASE]``
    Render the saved scenario result (``OUT/scenarios``) as the HTML reports: every fase page
    (``--fase all``, the default) or one, and the index page; no fit or scenario grid is run again.
``forecast evaluate --fase FASE --in-force MEASURE ...``
    The phase gate: refit with the measures in force and report what they did.
``forecast backtest``
    Rolling-origin backtests on the real history, scored against baselines.

Every option is checked before any work starts (before a model is compiled or fitted, a scenario
computed or a folder made): what argparse can check alone (numbers, dates, the ``--capacity`` value or
file) it checks while parsing; what needs the data (``--as-of`` against the history, the measures
of ``--in-force``, ``--horizon-end`` against the fitted months, a capacity path that must cover the
forecast months, the window of the earliest backtest origin) is checked next, still before any fit.
No command makes its output folder before that: the folders appear with their first file.

Exit codes: 0 success; 1 an unexpected error (a bug: Python's traceback, not a message); 2 bad
input (the message names the option, or the file and line); 3 a failed diagnostics gate with
``--strict``; 130 interrupted (Ctrl-C). Every output is written to a temporary name and renamed,
so an error or Ctrl-C leaves no half-written file.

The package: :mod:`~forecast.cli.values` (the options' value types), :mod:`~forecast.cli.options`
(the option groups commands share), :mod:`~forecast.cli.common` (exit codes, bad input and the
steps commands share), and one module per command: :mod:`~forecast.cli.run`,
:mod:`~forecast.cli.data`, :mod:`~forecast.cli.fit`, :mod:`~forecast.cli.scenarios`,
:mod:`~forecast.cli.report`, :mod:`~forecast.cli.evaluate`, :mod:`~forecast.cli.backtest`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from forecast import __version__
from forecast.cli.backtest import add_backtest_parser
from forecast.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DIAGNOSTICS_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    INTERRUPTED,
    BadInput,
)
from forecast.cli.data import add_data_parser
from forecast.cli.evaluate import add_evaluate_parser
from forecast.cli.fit import add_fit_parser
from forecast.cli.report import ALL_FASES, add_report_parser
from forecast.cli.run import add_run_parser
from forecast.cli.scenarios import add_scenarios_parser
from forecast.cli.values import MAX_CAPACITY_FILE_BYTES, MAX_SEED
from forecast.data import DataValidationError, MergeConflictError
from forecast.extras import MissingExtraError

__all__ = [
    "ALL_FASES",
    "EXIT_BAD_INPUT",
    "EXIT_DIAGNOSTICS_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "INTERRUPTED",
    "MAX_CAPACITY_FILE_BYTES",
    "MAX_SEED",
    "BadInput",
    "build_parser",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``forecast`` command.

    Returns
    -------
    argparse.ArgumentParser
        The parser with one subcommand per command (``run``, ``data``, ``fit``, ``scenarios``,
        ``report``, ``evaluate``, ``backtest``); each subcommand sets ``func``, the function that
        runs it.
    """
    parser = argparse.ArgumentParser(
        prog="forecast",
        description="Probabilistic forecasts of reception need (opvangbehoefte) in the Dutch asylum chain.",
        epilog="Exit codes: 0 ok, 1 unexpected error (a bug), 2 bad input, 3 failed diagnostics gate "
        "(with --strict), 130 interrupted (Ctrl-C).",
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_run_parser(sub)
    add_data_parser(sub)
    add_fit_parser(sub)
    add_scenarios_parser(sub)
    add_report_parser(sub)
    add_evaluate_parser(sub)
    add_backtest_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``forecast`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments without the program name, e.g. ``["fit", "--quick"]``; default
        ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 success; 2 bad input (invalid data, priors, measures, saved fit or
        options: one of the library's input errors, whose message goes to stderr; or an option
        that needs an extra that is not installed, :class:`~forecast.extras.MissingExtraError`,
        whose message names it); 3 a fit that
        failed the diagnostics gate under ``--strict``; 130 interrupted by Ctrl-C (one line,
        :data:`INTERRUPTED`, goes to stderr).

    Raises
    ------
    SystemExit
        From :mod:`argparse`, for ``--help`` and ``--version`` (status 0) and for arguments it
        cannot parse or that break their rule, e.g. ``--draws 0`` (status 2).
    Exception
        Anything else, unchanged: a ``KeyError`` or ``ValueError`` that is not one of the input
        errors is a programming error and must look like one (a traceback, exit status 1).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if not isinstance(exc, _input_errors()):
            raise
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


#: The library's input-error classes outside :mod:`forecast.data`, by defining module. Only loaded
#: modules are asked: an error of a module that was never imported cannot have been raised (and
#: importing the model layer just to print a data error would take seconds).
_INPUT_ERRORS = (
    ("forecast.priors.config", "PriorConfigError"),
    ("forecast.scenarios.files", "PolicyConfigError"),
    ("forecast.scenarios.engine", "ScenarioError"),
    ("forecast.model.io", "SavedFitError"),
    ("forecast.evaluation.phase_gate", "PhaseEvaluationError"),
)


def _input_errors() -> tuple[type[Exception], ...]:
    """The exception classes that mean bad input (exit code 2): the library's own, nothing wider."""
    found: list[type[Exception]] = [BadInput, DataValidationError, MergeConflictError, MissingExtraError]
    for module, name in _INPUT_ERRORS:
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)
