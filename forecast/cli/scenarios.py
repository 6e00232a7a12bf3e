"""``forecast scenarios``: from a saved fit, every combination of the measures per fase, written as a set.

:func:`write_scenarios` writes the scenario result (what ``forecast report`` renders) with its
tables (and, with ``--target``, the combinations that meet a policy target); ``forecast run`` uses it
too.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forecast.cli.common import (
    EXIT_OK,
    BadInput,
    check_writable,
    load_fit,
    measures_from_args,
    phase_draws,
    progress_setting,
    scenario_engine,
)
from forecast.cli.options import add_common, add_scenario_options, add_target_option
from forecast.cli.targets import TARGET_FILES, answer, answer_files, targets_from_args

if TYPE_CHECKING:
    import xarray as xr

    from forecast.model import ChainModel
    from forecast.scenarios import ScenarioEngine, ScenarioResult, Target


def write_scenarios(
    model: ChainModel,
    engine: ScenarioEngine,
    draws: xr.Dataset,
    dest: Path,
    *,
    verbose: bool = True,
    progress: bool | None = None,
    targets: Sequence[Target] = (),
) -> ScenarioResult:
    """Write the scenario result and its tables to ``dest`` as one set, and print the main numbers.

    Parameters
    ----------
    model : ChainModel
        The fitted model.
    engine : ScenarioEngine
        The engine that ran the grid.
    draws : xarray.Dataset
        What the grid gave (:func:`forecast.cli.common.phase_draws`).
    dest : pathlib.Path
        The folder, ``OUT/scenarios``.
    verbose : bool, optional
        Also print the bundles' need per fase and each measure's contribution (default True).
    progress : bool or None, optional
        A bar over the summaries (:func:`forecast.cli.common.progress_setting`; default: in a terminal).
    targets : sequence of Target, optional
        Policy targets (:func:`forecast.cli.targets.targets_from_args`): when given, the answer
        (:meth:`ScenarioResult.meeting`) is printed last and written to the set as
        ``target_met.csv`` and ``target_minimal.csv``.

    Returns
    -------
    ScenarioResult
        The result, as saved.
    """
    import xarray as xr

    from forecast import atomic
    from forecast.model.io import save_tree
    from forecast.scenarios import RESULT_FILE, scenario_result

    result = scenario_result(model, engine, draws, progress=progress)
    table = result.table(measures=True)  # a 0/1 column per measure next to the scenario key
    need_c = result.contribution_table("need_mean")
    cost_c = result.contribution_table("cost_eur")
    found = answer(result, targets) if targets else None
    # one set: an error or Ctrl-C leaves the previous set of files, never a mix of old and new
    with atomic.output_set(dest, command="scenarios") as stage:
        (stage / "phase_summary.csv").write_text(
            table.to_csv(float_format=atomic.csv_number), encoding="utf-8"
        )
        (stage / "contributions_need.csv").write_text(
            need_c.to_csv(float_format=atomic.csv_number), encoding="utf-8"
        )
        (stage / "contributions_cost.csv").write_text(
            cost_c.to_csv(float_format=atomic.csv_number), encoding="utf-8"
        )
        save_tree(xr.DataTree(result.summary), stage / "phase_summary.nc")
        save_tree(xr.DataTree(result.contributions), stage / "contributions.nc")
        save_tree(xr.DataTree(result.monthly), stage / "bundles_monthly.nc")
        result.save(stage / RESULT_FILE)
        if found is not None:
            for name, text in answer_files(found).items():
                (stage / name).write_text(text, encoding="utf-8")
    persons = "{:,.0f}".format
    share = "{:.2f}".format
    if verbose:
        with_cols = ["need_median", "need_p10", "need_p90", "p_need_exceeds_capacity", "cost_meur_mean"]
        print("\nReception need per fase (persons, mean over the fase's months; 80 % band) for the bundles")
        fmt = {c: share if c.startswith("p_") else persons for c in with_cols}
        print(table.loc[list(engine.measures.bundles)][with_cols].to_string(formatters=fmt))
        print("\nEach measure's contribution to mean need (persons; Shapley, mean and 80 % band)")
        cols = ["mean", "p10", "p90", "p_negative"]
        print(need_c[cols].to_string(formatters={c: share if c == "p_negative" else persons for c in cols}))
        print(f"\ncapacity: {engine.capacity.description}\ncosts: {engine.costs.description}")
        print(f"forecast conditioned on: {engine.provenance['conditioning']}")
    print(
        f"saved {dest}/: {RESULT_FILE} (what `forecast report` reads), phase_summary.csv/.nc, "
        "contributions_need.csv, contributions_cost.csv, contributions.nc, bundles_monthly.nc"
        + ("" if found is None else f", {', '.join(TARGET_FILES)}"),
        flush=True,
    )
    if found is not None:
        print(f"\nWhat it takes\n{found}", flush=True)
    return result


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from forecast.scenarios import load_phases

    out = Path(args.out)
    check_writable(out / "scenarios")
    measures = measures_from_args(args)
    targets = targets_from_args(args, (measures.phases or load_phases()).names)  # before any work
    model = load_fit(args, out)
    engine = scenario_engine(args, model, measures)
    for t in targets:
        if not len(engine.phase_months[t.fase]):
            raise BadInput(f"--target {str(t)!r}: the fase {t.fase} has no forecast months in this run")
    draws = phase_draws(args, engine)
    write_scenarios(model, engine, draws, out / "scenarios", progress=progress_setting(args), targets=targets)
    return EXIT_OK


def add_scenarios_parser(sub: Any) -> None:
    """Add the ``scenarios`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    scen = sub.add_parser(
        "scenarios",
        help="forecast every combination of the policy measures from a saved fit, per fase",
        description="Continue the fitted chain to the horizon under every combination of the measures "
        "(priors/policy/measures.toml) and the named bundles; write per-fase summaries (need, P(need > "
        "capacity), noodopvang, cost, statushouder share), each measure's Shapley contribution and "
        "monthly bands of the bundles to OUT/scenarios/. With --target, also list the combinations "
        "that meet a policy target, cheapest first (target_met.csv, target_minimal.csv).",
    )
    add_scenario_options(scen, fit=True)
    add_target_option(scen)
    add_common(scen)
    scen.set_defaults(func=_cmd_scenarios)
