"""``forecast run``: the main job, fit on the history, run every scenario, write every report, in one go."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.cli.common import (
    EXIT_DIAGNOSTICS_FAILED,
    EXIT_OK,
    Steps,
    chain_model,
    check_scenario_input,
    check_writable,
    fit_and_save,
    history_from_args,
    measures_from_args,
    phase_draws,
    progress_setting,
    scenario_engine,
)
from forecast.cli.options import (
    add_common,
    add_fit_options,
    add_history_options,
    add_prior_option,
    add_scenario_options,
)
from forecast.cli.report import write_reports
from forecast.cli.scenarios import write_scenarios


def _cmd_run(args: argparse.Namespace) -> int:
    from forecast.model import ModelSettings

    # everything that can be wrong with the input is checked before anything is computed or written
    out = Path(args.out)
    check_writable(out)
    history = history_from_args(args)
    measures = measures_from_args(args)
    # the fit will end in the month of the last observation: check the scenarios' input first (fast)
    last = pd.Timestamp(ModelSettings().resolve(history).end)
    check_scenario_input(args, history, last, measures)
    model = chain_model(args, history)
    steps = Steps(4)
    steps.start("the history")
    print(history.summary().split("\n\n")[0], flush=True)
    steps.start("fitting the chain model (about 90 s for the full fit on two cores)")
    print(model, flush=True)
    fit_and_save(args, model, out, verbose=False)
    steps.start("every combination of the measures, to the end of the last fase")
    engine = scenario_engine(args, model, measures)
    draws = phase_draws(args, engine)
    result = write_scenarios(model, engine, draws, out / "scenarios", progress=progress_setting(args))
    steps.start(f"the reports ({args.lang})")
    write_reports(args, result, out)
    steps.done()
    if args.strict and not model.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def add_run_parser(sub: Any) -> None:
    """Add the ``run`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    run = sub.add_parser(
        "run",
        help="the main job: fit, every scenario, every report, in one go",
        description="Fit the chain model on the history (bundled, or yours merged onto it), run every "
        "combination of the policy measures to the end of the last fase, and write the HTML reports per "
        "fase with their tables: OUT/fit.nc, OUT/scenarios/, OUT/reports/index.html.",
    )
    add_history_options(run)
    add_fit_options(run)
    add_prior_option(run)
    add_scenario_options(run, fit=False)
    add_common(run, lang=True)
    run.set_defaults(func=_cmd_run)
