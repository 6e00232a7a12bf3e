"""The ``forecast`` command line. It only wires the library's layers together.

Commands
--------
``forecast data``
    Print the history summary: coverage per series and year, counts per
    definition and quality, the last observation per series.
``forecast fit``
    Fit the chain model to the history, run the diagnostics gate, print the
    in-sample coverage and save the result (netCDF) to ``--out``.
``forecast scenarios``
    From a saved fit, forecast every combination of the policy measures and
    write per-fase summaries, contributions and monthly bands.
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
EXIT_DIAGNOSTICS_FAILED = 3


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


QUICK = {"draws": 200, "tune": 300, "chains": 2}
"""The ``--quick`` preset: a smoke run that finishes fast (its diagnostics will not pass)."""


def _cmd_fit(args: argparse.Namespace) -> int:
    from forecast.model import ChainModel  # the model layer is heavy; import it only when needed
    from forecast.priors import PriorConfigError

    history = _history(args)
    try:
        model = ChainModel(history, args.priors)
    except PriorConfigError as exc:
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".forecast-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        print(f"forecast: error: cannot write to --out {out}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    runs = dict(QUICK) if args.quick else {"draws": 1000, "tune": 1000, "chains": 4}
    for key in runs:
        if getattr(args, key) is not None:
            runs[key] = getattr(args, key)
    print(model, flush=True)
    print(
        f"fitting: {runs['chains']} chains x {runs['draws']} draws after {runs['tune']} tuning steps, "
        f"sampler {args.sampler}, seed {args.seed} ...",
        flush=True,
    )
    model.fit(sampler=args.sampler, random_seed=args.seed, **runs)
    print(model.diagnostics, flush=True)
    model.sample_posterior_predictive(random_seed=args.seed)
    cov = model.coverage()
    print("\nIn-sample coverage of the posterior predictive (share of observations inside the interval)")
    print(cov.to_string(float_format=lambda v: f"{v:.2f}"))
    path = model.save(out / "fit.nc")
    print(f"\nsaved {path}")
    if args.strict and not model.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def _capacity(args: argparse.Namespace):
    """``--capacity`` as a number of places, or a CSV file with columns month, places."""
    if args.capacity is None:
        return None
    try:
        return float(args.capacity)
    except ValueError:
        pass
    import pandas as pd

    path = Path(args.capacity)
    if not path.is_file():
        raise ValueError(f"--capacity {args.capacity}: neither a number of places nor a CSV file")
    frame = pd.read_csv(path)
    missing = {"month", "places"} - set(frame.columns)
    if missing:
        raise ValueError(
            f"{path}: the capacity file needs the columns month, places (missing {sorted(missing)})"
        )
    for i, row in frame.iterrows():
        try:
            pd.Timestamp(row["month"])
            float(row["places"])
        except (ValueError, TypeError):
            raise ValueError(
                f"{path}, line {i + 2}: cannot read month {row['month']!r} / places {row['places']!r}"
            ) from None
    return pd.Series(frame["places"].to_numpy(float), index=pd.to_datetime(frame["month"]))


def _cmd_scenarios(args: argparse.Namespace) -> int:
    import xarray as xr

    from forecast.data.history import atomic_write_text
    from forecast.model import ChainModel
    from forecast.model.io import SavedFitError, save_tree
    from forecast.scenarios import (
        ScenarioEngine,
        ScenarioError,
        contribution_table,
        load_measures,
        phase_table,
    )

    out = Path(args.out)
    fit_path = Path(args.fit) if args.fit else out / "fit.nc"
    if not fit_path.exists():
        print(
            f"forecast: error: no fitted model at {fit_path}: run `forecast fit --out {out}` first, "
            "or pass --fit FILE",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        model = ChainModel.load(fit_path)
        measures = load_measures(args.measures) if args.measures else load_measures()
        engine = ScenarioEngine(
            model,
            measures,
            capacity=_capacity(args),
            horizon_end=args.horizon_end,
            random_seed=args.seed,
        )
    except (SavedFitError, ScenarioError) as exc:
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if model.diagnostics is not None and not model.diagnostics.passed:
        print(
            "WARNING: the fit failed its diagnostics gate: these scenario numbers inherit its problems.\n"
            + str(model.diagnostics),
            flush=True,
        )
    dest = out / "scenarios"
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"forecast: error: cannot write to {dest}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    k = len(engine.measures)
    print(
        f"scenarios: 2**{k} = {2**k} combinations + {len(engine.measures.bundles)} bundles x "
        f"{engine.forward.n} draws x {len(engine.months)} months ({engine.provenance['horizon']}) ...",
        flush=True,
    )
    client = None
    if args.scheduler:
        from distributed import Client

        client = Client(args.scheduler)
    try:
        draws = engine.phase_draws(chunk_draws=args.chunk_draws, client=client)
    finally:
        if client is not None:
            client.close()
    summary = engine.summarise(draws)
    contrib = engine.contributions(draws, statistics=("need_mean", "noodopvang_person_months", "cost_eur"))
    monthly = engine.monthly_summary(list(engine.measures.bundles))
    table = phase_table(summary)
    bundles = table.loc[list(engine.measures.bundles)]
    need_c = contribution_table(contrib, "need_mean")
    cost_c = contribution_table(contrib, "cost_eur")
    # every file via a temporary name and a rename: an error or Ctrl-C leaves no half-written file
    atomic_write_text(dest / "phase_summary.csv", table.to_csv(float_format="%.6g"))
    atomic_write_text(dest / "contributions_need.csv", need_c.to_csv(float_format="%.6g"))
    atomic_write_text(dest / "contributions_cost.csv", cost_c.to_csv(float_format="%.6g"))
    save_tree(xr.DataTree(summary), dest / "phase_summary.nc")
    save_tree(
        xr.DataTree(contrib.drop_vars(["need_mean", "noodopvang_person_months", "cost_eur"])),
        dest / "contributions.nc",
    )
    save_tree(xr.DataTree(monthly), dest / "bundles_monthly.nc")
    with_cols = ["need_median", "need_p10", "need_p90", "p_need_exceeds_capacity", "cost_meur_mean"]
    print("\nReception need per fase (persons, mean over the fase's months; 80 % band) for the bundles")
    persons = "{:,.0f}".format
    share = "{:.2f}".format
    fmt = {c: share if c.startswith("p_") else persons for c in with_cols}
    print(bundles[with_cols].to_string(formatters=fmt))
    print("\nEach measure's contribution to mean need (persons; Shapley, mean and 80 % band)")
    cols = ["mean", "p10", "p90", "p_negative"]
    print(need_c[cols].to_string(formatters={c: share if c == "p_negative" else persons for c in cols}))
    print(f"\ncapacity: {engine.capacity.description}\ncosts: {engine.costs.description}")
    print(
        f"\nsaved {dest}/: phase_summary.csv/.nc, contributions_need.csv, contributions_cost.csv, "
        "contributions.nc, bundles_monthly.nc"
    )
    return EXIT_OK


def _add_history_options(p: argparse.ArgumentParser) -> None:
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
    p.add_argument("--as-of", metavar="DATE", help="only what was known on DATE (YYYY-MM-DD)")


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
    _add_history_options(data)
    data.add_argument("--series", nargs="+", metavar="SERIES", help="only these series")
    data.set_defaults(func=_cmd_data)

    fit = sub.add_parser(
        "fit",
        help="fit the chain model, check its diagnostics and save the posterior",
        description="Fit the Bayesian stock-flow model to the history (bundled, or yours merged onto it), "
        "run the diagnostics gate (R-hat, ESS, divergences, E-BFMI), print the in-sample coverage per "
        "series and save the result to OUT/fit.nc.",
    )
    _add_history_options(fit)
    fit.add_argument(
        "--priors", metavar="DIR", help="folder of prior TOML files (default: the bundled priors/)"
    )
    fit.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    fit.add_argument("--out", metavar="DIR", default="out", help="output folder (default ./out)")
    fit.add_argument("--draws", type=int, help="draws per chain after tuning (default 1000)")
    fit.add_argument("--tune", type=int, help="tuning steps per chain (default 1000)")
    fit.add_argument("--chains", type=int, help="number of chains (default 4)")
    fit.add_argument(
        "--quick",
        action="store_true",
        help="smoke-run preset: 2 chains x 200 draws after 300 tuning steps (diagnostics will not pass)",
    )
    fit.add_argument("--sampler", choices=("nutpie", "pymc"), default="nutpie")
    fit.add_argument(
        "--strict", action="store_true", help="exit with code 3 when the fit fails the diagnostics gate"
    )
    fit.set_defaults(func=_cmd_fit)

    scen = sub.add_parser(
        "scenarios",
        help="forecast every combination of the policy measures from a saved fit, per fase",
        description="Continue the fitted chain to the horizon under every combination of the measures "
        "(priors/policy/measures.toml) and the named bundles; write per-fase summaries (need, P(need > "
        "capacity), noodopvang, cost, statushouder share), each measure's Shapley contribution and "
        "monthly bands of the bundles to OUT/scenarios/.",
    )
    scen.add_argument("--fit", metavar="FILE", help="the saved fit (default OUT/fit.nc from `forecast fit`)")
    scen.add_argument("--out", metavar="DIR", default="out", help="output folder (default ./out)")
    scen.add_argument("--measures", metavar="FILE", help="your own measures TOML (default: the bundled one)")
    scen.add_argument(
        "--capacity",
        metavar="PLACES|FILE",
        help="regular COA places: a number (e.g. 75000) or a CSV with columns month, places "
        "(default: the latest coa_capacity in the inputs, held flat)",
    )
    scen.add_argument(
        "--horizon-end", metavar="DATE", help="last forecast month (default: end of the last fase)"
    )
    scen.add_argument("--seed", type=int, default=2026, help="random seed of the future draws (default 2026)")
    scen.add_argument("--chunk-draws", type=int, default=500, help="posterior draws per chunk (memory)")
    scen.add_argument(
        "--scheduler", metavar="ADDRESS", help="run the chunks on a dask cluster (scheduler address)"
    )
    scen.set_defaults(func=_cmd_scenarios)
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
