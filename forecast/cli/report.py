"""``forecast report``: render the saved scenario result as the HTML reports, every fase or one.

:func:`write_reports` writes the pages and their tables; ``forecast run`` uses it too.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.cli.common import EXIT_OK, BadInput, check_writable
from forecast.cli.options import add_common, add_target_option
from forecast.cli.targets import TARGET_FILES, answer, answer_files, targets_from_args
from forecast.names import PHASES

if TYPE_CHECKING:
    from forecast.scenarios import ScenarioResult

#: ``forecast report --fase all``: every fase page.
ALL_FASES = "all"


def write_reports(
    args: argparse.Namespace, result: ScenarioResult, out: Path, fases: Sequence[str] | None = None
) -> None:
    """Write the report pages of ``result`` to ``out/reports`` and say which.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``lang`` and ``templates``.
    result : ScenarioResult
        The scenario result.
    out : pathlib.Path
        The output folder (its ``backtest/`` folder, where there is one, feeds the validation).
    fases : sequence of str, optional
        The fase pages to write (default: every fase); the index is always written.
    """
    from forecast.reports import build_reports

    files = build_reports(
        result,
        out / "reports",
        lang=args.lang,
        fases=fases,
        validation=out / "backtest",
        templates=args.templates,
    )
    pages = sorted(p.name for p in files if p.suffix == ".html")
    print(f"saved {out / 'reports'}/: {', '.join(pages)}, tables/*.csv, scenario_summary.nc", flush=True)


def _load_result(args: argparse.Namespace, out: Path) -> ScenarioResult:
    from forecast.scenarios import ScenarioResult, ScenarioResultError

    folder = Path(args.scenarios) if args.scenarios else out / "scenarios"
    try:
        return ScenarioResult.load(folder)
    except ScenarioResultError as exc:
        raise BadInput(f"{exc} (forecast report renders a saved scenario result: --scenarios DIR)") from None


def _cmd_report(args: argparse.Namespace) -> int:
    from forecast import atomic

    out = Path(args.out)
    check_writable(out / "reports")
    result = _load_result(args, out)
    found = answer(result, targets_from_args(args, result.fase_names())) if args.target else None
    write_reports(args, result, out, fases=None if args.fase == ALL_FASES else [args.fase])
    if found is not None:  # next to the pages, outside their set (forecast scenarios --target: in its set)
        for name, text in answer_files(found).items():
            atomic.write_text(out / "reports" / name, text)
        print(f"saved {out / 'reports'}/: {', '.join(TARGET_FILES)}\n\nWhat it takes\n{found}", flush=True)
    return EXIT_OK


def add_report_parser(sub: Any) -> None:
    """Add the ``report`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    rep = sub.add_parser(
        "report",
        help="write the HTML reports (every fase, or one) from the saved scenario result",
        description="Render OUT/reports/index.html and the fase pages (self-contained, readable offline) "
        "with their tables as CSV from the scenario result that `forecast scenarios` or `forecast run` "
        "saved (OUT/scenarios/scenario_result.nc): no fit and no scenario grid is run again. With "
        "--target, also list the combinations that meet a policy target, cheapest first "
        "(OUT/reports/target_met.csv, target_minimal.csv).",
    )
    rep.add_argument(
        "--fase",
        default=ALL_FASES,
        choices=(*PHASES, ALL_FASES),
        help=f"which fase page: {', '.join(PHASES)}, or {ALL_FASES} (default); the index is always written",
    )
    rep.add_argument(
        "--scenarios",
        metavar="DIR",
        help="folder of the saved scenario result (default OUT/scenarios)",
    )
    add_target_option(rep)
    add_common(rep, lang=True, seed=False)
    rep.set_defaults(func=_cmd_report)
