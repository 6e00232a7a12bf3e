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
``forecast report --fase FASE``
    From a saved fit, write the HTML report of one fase (and the index page).
``forecast evaluate --fase FASE --in-force MEASURE ...``
    The phase gate: refit with the measures in force and report what they did.
``forecast backtest``
    Rolling-origin backtests on the real history, scored against baselines.

Exit codes: 0 success, 2 bad input (the message names the file and line), 3 a failed
diagnostics gate with ``--strict``. Every output is written to a temporary name and renamed,
so an error or Ctrl-C leaves no half-written file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from forecast import __version__
from forecast.data import DataValidationError, History, MergeConflictError, load_history
from forecast.names import PHASES

LANGUAGES = ("nl", "en")

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


class _BadInput(Exception):
    """Raised by the preparation steps: the message goes to stderr with exit code 2."""


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".forecast-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise _BadInput(f"cannot write to --out {out}: {exc.strerror}") from None


def _model(args: argparse.Namespace, history: History):
    from forecast.model import ChainModel  # the model layer is heavy; import it only when needed
    from forecast.priors import PriorConfigError

    try:
        return ChainModel(history, args.priors)
    except PriorConfigError as exc:
        raise _BadInput(str(exc)) from None


def _runs(args: argparse.Namespace) -> dict:
    runs = dict(QUICK) if args.quick else {"draws": 1000, "tune": 1000, "chains": 4}
    for key in runs:
        if getattr(args, key, None) is not None:
            runs[key] = getattr(args, key)
    return runs


def _fit(args: argparse.Namespace, model, out: Path, *, verbose: bool = True):
    runs = _runs(args)
    print(
        f"fitting: {runs['chains']} chains x {runs['draws']} draws after {runs['tune']} tuning steps, "
        f"sampler {args.sampler}, seed {args.seed} ...",
        flush=True,
    )
    model.fit(sampler=args.sampler, random_seed=args.seed, **runs)
    print(model.diagnostics, flush=True)
    model.sample_posterior_predictive(random_seed=args.seed)
    if verbose:
        cov = model.coverage()
        print("\nIn-sample coverage of the posterior predictive (share of observations inside the interval)")
        print(cov.to_string(float_format=lambda v: f"{v:.2f}"))
    path = model.save(out / "fit.nc")
    print(f"saved {path}", flush=True)
    return model


def _cmd_fit(args: argparse.Namespace) -> int:
    history = _history(args)
    model = _model(args, history)
    out = Path(args.out)
    _writable(out)
    print(model, flush=True)
    _fit(args, model, out)
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


def _load_fit(args: argparse.Namespace, out: Path):
    from forecast.model import ChainModel
    from forecast.model.io import SavedFitError

    fit_path = Path(args.fit) if getattr(args, "fit", None) else out / "fit.nc"
    if not fit_path.exists():
        raise _BadInput(
            f"no fitted model at {fit_path}: run `forecast fit --out {out}` first, or pass --fit FILE"
        )
    try:
        return ChainModel.load(fit_path)
    except SavedFitError as exc:
        raise _BadInput(str(exc)) from None


def _measures(args: argparse.Namespace):
    from forecast.scenarios import PolicyConfigError, load_measures

    try:
        return load_measures(args.measures) if getattr(args, "measures", None) else load_measures()
    except (PolicyConfigError, OSError) as exc:
        raise _BadInput(str(exc)) from None


def _engine(args: argparse.Namespace, model, measures):
    from forecast.scenarios import ScenarioEngine, ScenarioError

    if model.diagnostics is not None and not model.diagnostics.passed:
        print(
            "WARNING: the fit failed its diagnostics gate: the scenario numbers inherit its problems.",
            flush=True,
        )
    try:
        return ScenarioEngine(
            model,
            measures,
            capacity=_capacity(args),
            horizon_end=getattr(args, "horizon_end", None),
            random_seed=args.seed,
        )
    except ScenarioError as exc:
        raise _BadInput(str(exc)) from None


def _phase_draws(args: argparse.Namespace, engine):
    k = len(engine.measures)
    print(
        f"scenarios: 2**{k} = {2**k} combinations + {len(engine.measures.bundles)} bundles x "
        f"{engine.forward.n} draws x {len(engine.months)} months ({engine.provenance['horizon']}) ...",
        flush=True,
    )
    client = None
    if getattr(args, "scheduler", None):
        from distributed import Client

        client = Client(args.scheduler)
    try:
        return engine.phase_draws(chunk_draws=getattr(args, "chunk_draws", 500), client=client)
    finally:
        if client is not None:
            client.close()


def _write_scenarios(engine, draws, dest: Path, *, verbose: bool = True) -> None:
    import xarray as xr

    from forecast.data.history import atomic_write_text
    from forecast.model.io import save_tree
    from forecast.scenarios import contribution_table, phase_table

    dest.mkdir(parents=True, exist_ok=True)
    summary = engine.summarise(draws)
    contrib = engine.contributions(draws, statistics=("need_mean", "noodopvang_person_months", "cost_eur"))
    monthly = engine.monthly_summary(list(engine.measures.bundles))
    table = phase_table(summary)
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
    print(
        f"saved {dest}/: phase_summary.csv/.nc, contributions_need.csv, contributions_cost.csv, "
        "contributions.nc, bundles_monthly.nc",
        flush=True,
    )


def _cmd_scenarios(args: argparse.Namespace) -> int:
    out = Path(args.out)
    model = _load_fit(args, out)
    engine = _engine(args, model, _measures(args))
    _writable(out / "scenarios")
    draws = _phase_draws(args, engine)
    _write_scenarios(engine, draws, out / "scenarios")
    return EXIT_OK


def _write_reports(args: argparse.Namespace, model, engine, draws, out: Path, fases=None) -> None:
    from forecast.reports import build_reports

    files = build_reports(
        model, engine, out / "reports", lang=args.lang, fases=fases, draws=draws, validation=out / "backtest"
    )
    pages = sorted(p.name for p in files if p.suffix == ".html")
    print(f"saved {out / 'reports'}/: {', '.join(pages)}, tables/*.csv, scenario_summary.nc", flush=True)


def _cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    model = _load_fit(args, out)
    engine = _engine(args, model, _measures(args))
    _writable(out / "reports")
    draws = _phase_draws(args, engine)
    _write_reports(args, model, engine, draws, out, fases=[args.fase])
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import xarray as xr

    from forecast.data.history import atomic_write_text
    from forecast.evaluation import PhaseEvaluationError, evaluate_phase
    from forecast.model.io import save_tree
    from forecast.priors import PriorConfigError
    from forecast.reports.pages import evaluation_page

    # everything that can be wrong with the input is checked before the (long) refit
    history = _history(args)
    measures = _measures(args)
    ended = {}
    for item in args.ended or ():
        measure, sep, month = item.partition("=")
        if not sep or not measure or not month:
            raise _BadInput(f"--ended {item!r}: expected MEASURE=YYYY-MM (the first month without it)")
        ended[measure] = month
    out = Path(args.out)
    dest = out / "evaluation"
    _writable(dest)
    _writable(out / "reports")
    reuse = _load_fit(args, out) if args.fit else None
    runs = _runs(args)
    print(
        f"evaluating fase {args.fase} with in force: {', '.join(args.in_force)}; the refit with their "
        f"effects free, if any acts in the data: {runs['chains']} chains x {runs['draws']} draws after "
        f"{runs['tune']} tuning steps, seed {args.seed} ...",
        flush=True,
    )
    try:
        ev = evaluate_phase(
            history,
            args.in_force,
            args.fase,
            measures=measures,
            priors=args.priors,
            ended=ended or None,
            model=reuse,
            sampler=args.sampler,
            random_seed=args.seed,
            **runs,
        )
    except (PhaseEvaluationError, PriorConfigError) as exc:
        raise _BadInput(str(exc)) from None
    if ev.model is reuse:
        print(f"no measure acts in the fitted months: nothing to refit, {args.fit} reused", flush=True)
    print(ev.model, flush=True)
    table = ev.table()
    print(f"\nFase {args.fase}: {ev.months_observed_in_phase()} fitted month(s) in the fase")
    verdict = "verdict_nl" if args.lang == "nl" else "verdict"
    for _, row in table.iterrows():
        print(
            f"  {row['effect']}: prior {row['prior_mean']:+.3g} (sd {row['prior_sd']:.3g}) -> posterior "
            f"{row['posterior_mean']:+.3g} (sd {row['posterior_sd']:.3g}); "
            f"contraction {row['contraction']:.2f}; {row[verdict]}"
        )
    # every file via a temporary name and a rename: an error or Ctrl-C leaves no half-written file
    written = [f"{args.fase}_effects.csv"]
    atomic_write_text(dest / written[0], table.to_csv(index=False, float_format="%.6g"))
    outlook = None
    if ev.gate.next_fase is not None:
        try:
            outlook = ev.outlook()
        except PhaseEvaluationError as exc:  # the data reach beyond the next fase
            print(f"\nno outlook: {exc}")
        else:
            in_force = ", ".join(outlook.attrs["measures_in_force"]) or "no measures"
            print(f"\nNext fase {outlook.attrs['fase']} under {in_force}:")
            print(outlook.to_string(float_format=lambda v: f"{v:,.3f}"))
            written.append(f"{args.fase}_outlook.csv")
            atomic_write_text(dest / written[-1], outlook.to_csv(float_format="%.6g"))
    save_tree(xr.DataTree(ev.to_dataset()), dest / f"{args.fase}.nc")
    written.append(f"{args.fase}.nc")
    page = out / "reports" / f"evaluatie_{args.fase}.html"
    atomic_write_text(page, evaluation_page(ev, args.lang, outlook))
    print(f"saved {dest}/: {', '.join(written)}; the report page {page}", flush=True)
    if args.strict and ev.diagnostics is not None and not ev.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def _cmd_backtest(args: argparse.Namespace) -> int:
    from forecast.evaluation.backtest import BacktestSettings, as_origins, backtest, default_origins

    history = _history(args)
    out = Path(args.out) / "backtest"
    _writable(out)
    origins = as_origins(args.origins or default_origins(args.first, args.last, args.step))
    runs = _runs(args)
    settings = BacktestSettings(random_seed=args.seed, sampler=args.sampler, priors=args.priors, **runs)
    if args.scheduler:
        where = f"on the dask cluster {args.scheduler}"
    else:
        where = "one after the other" if args.serial else "on a local dask cluster"
    print(
        f"backtest: {len(origins)} origin(s) {where}, each fitted with {runs['chains']} chains x "
        f"{runs['draws']} draws after {runs['tune']} tuning steps, seed {args.seed} ...",
        flush=True,
    )
    if args.scheduler:
        from dask.distributed import Client

        with Client(args.scheduler) as client:
            result = backtest(origins, history, settings=settings, client=client, progress=True)
    else:
        result = backtest(
            origins,
            history,
            settings=settings,
            parallel=not args.serial,
            n_workers=args.workers,
            progress=True,
        )
    paths = result.save(out)
    print(result.summary())
    print(f"saved {', '.join(p.name for p in paths.values())} to {out}/")
    if args.strict and not result.fits["diagnostics_passed"].all():
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


class _Steps:
    """Numbered progress lines with the time each step took."""

    def __init__(self, n: int) -> None:
        self.n, self.i, self.t0 = n, 0, None

    def start(self, text: str) -> None:
        import time

        self.done()
        self.i += 1
        self.t0 = time.perf_counter()
        print(f"\n[{self.i}/{self.n}] {text}", flush=True)

    def done(self) -> None:
        import time

        if self.t0 is not None:
            print(f"[{self.i}/{self.n}] done in {time.perf_counter() - self.t0:.0f} s", flush=True)
            self.t0 = None


def _cmd_run(args: argparse.Namespace) -> int:
    # everything that can be wrong with the input is checked before anything is computed or written
    history = _history(args)
    model = _model(args, history)
    measures = _measures(args)
    _capacity(args)
    out = Path(args.out)
    _writable(out)
    steps = _Steps(4)
    steps.start("the history")
    print(history.summary().split("\n\n")[0], flush=True)
    steps.start("fitting the chain model (about a minute for the full fit on two cores)")
    print(model, flush=True)
    _fit(args, model, out, verbose=False)
    steps.start("every combination of the measures, to the end of the last fase")
    engine = _engine(args, model, measures)
    draws = _phase_draws(args, engine)
    _write_scenarios(engine, draws, out / "scenarios")
    steps.start(f"the reports ({args.lang})")
    _write_reports(args, model, engine, draws, out)
    steps.done()
    if args.strict and not model.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
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


def _add_fit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--priors", metavar="DIR", help="folder of prior TOML files (default: the bundled priors/)"
    )
    p.add_argument("--draws", type=int, help="draws per chain after tuning (default 1000)")
    p.add_argument("--tune", type=int, help="tuning steps per chain (default 1000)")
    p.add_argument("--chains", type=int, help="number of chains (default 4)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke-run preset: 2 chains x 200 draws after 300 tuning steps (diagnostics will not pass)",
    )
    p.add_argument("--sampler", choices=("nutpie", "pymc"), default="nutpie", help="default nutpie")
    p.add_argument(
        "--strict", action="store_true", help="exit with code 3 when the fit fails the diagnostics gate"
    )


def _add_scenario_options(p: argparse.ArgumentParser, *, fit: bool) -> None:
    if fit:
        p.add_argument("--fit", metavar="FILE", help="the saved fit (default OUT/fit.nc from `forecast fit`)")
    p.add_argument("--measures", metavar="FILE", help="your own measures TOML (default: the bundled one)")
    p.add_argument(
        "--capacity",
        metavar="PLACES|FILE",
        help="regular COA places: a number (e.g. 75000) or a CSV with columns month, places "
        "(default: the latest coa_capacity in the inputs, held flat)",
    )
    p.add_argument(
        "--horizon-end", metavar="DATE", help="last forecast month (default: end of the last fase)"
    )
    p.add_argument(
        "--chunk-draws", type=int, default=500, help="posterior draws per chunk (memory; default 500)"
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run the chunks on a dask cluster (scheduler address)"
    )


def _add_common(p: argparse.ArgumentParser, *, lang: bool = False) -> None:
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    p.add_argument("--out", metavar="DIR", default="out", help="output folder (default ./out)")
    if lang:
        p.add_argument("--lang", choices=LANGUAGES, default="nl", help="report language: nl (default) or en")


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
        epilog="Exit codes: 0 ok, 2 bad input, 3 failed diagnostics gate (with --strict).",
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="the main job: fit, every scenario, every report, in one go",
        description="Fit the chain model on the history (bundled, or yours merged onto it), run every "
        "combination of the policy measures to the end of the last fase, and write the HTML reports per "
        "fase with their tables: OUT/fit.nc, OUT/scenarios/, OUT/reports/index.html.",
    )
    _add_history_options(run)
    _add_fit_options(run)
    _add_scenario_options(run, fit=False)
    _add_common(run, lang=True)
    run.set_defaults(func=_cmd_run)

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
    _add_fit_options(fit)
    _add_common(fit)
    fit.set_defaults(func=_cmd_fit)

    scen = sub.add_parser(
        "scenarios",
        help="forecast every combination of the policy measures from a saved fit, per fase",
        description="Continue the fitted chain to the horizon under every combination of the measures "
        "(priors/policy/measures.toml) and the named bundles; write per-fase summaries (need, P(need > "
        "capacity), noodopvang, cost, statushouder share), each measure's Shapley contribution and "
        "monthly bands of the bundles to OUT/scenarios/.",
    )
    _add_scenario_options(scen, fit=True)
    _add_common(scen)
    scen.set_defaults(func=_cmd_scenarios)

    rep = sub.add_parser(
        "report",
        help="write the HTML report of one fase (and the index page) from a saved fit",
        description="From a saved fit, run the scenarios and write OUT/reports/<fase>.html and "
        "OUT/reports/index.html (self-contained, readable offline) with their tables as CSV.",
    )
    rep.add_argument("--fase", required=True, choices=PHASES, help="which fase: " + ", ".join(PHASES))
    _add_scenario_options(rep, fit=True)
    _add_common(rep, lang=True)
    rep.set_defaults(func=_cmd_report)

    evaluate = sub.add_parser(
        "evaluate",
        help="phase gate: refit with the measures in force and judge what they did in a fase",
        description="Refit the chain model on the history (bundled, or yours merged onto it) with the "
        "effects of the measures in force as free parameters, and report per effect prior vs posterior, "
        "P(at least as large as planned), the contraction and a verdict, plus how the next fase's need "
        "changes: OUT/evaluation/<fase>_effects.csv, <fase>_outlook.csv, <fase>.nc and the report page "
        "OUT/reports/evaluatie_<fase>.html.",
    )
    evaluate.add_argument("--fase", required=True, choices=PHASES, help="which fase: " + ", ".join(PHASES))
    evaluate.add_argument(
        "--in-force",
        required=True,
        nargs="+",
        metavar="MEASURE",
        help="the measure ids actually in force (see priors/policy/measures.toml)",
    )
    evaluate.add_argument(
        "--ended",
        nargs="+",
        metavar="MEASURE=YYYY-MM",
        help="measures that stopped acting, with the first month without them",
    )
    evaluate.add_argument(
        "--measures", metavar="FILE", help="your own measures TOML (default: the bundled one)"
    )
    evaluate.add_argument(
        "--fit",
        metavar="FILE",
        help="a saved fit of the same history, reused when no measure acts in the fitted months "
        "(then there is nothing to refit)",
    )
    _add_history_options(evaluate)
    _add_fit_options(evaluate)
    _add_common(evaluate, lang=True)
    evaluate.set_defaults(func=_cmd_evaluate)

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
        nargs="+",
        metavar="DATE",
        help="forecast origins, first days of months (default: --first .. --last every --step months)",
    )
    backtest.add_argument(
        "--first", default="2017-01-01", metavar="DATE", help="first origin (default 2017-01-01)"
    )
    backtest.add_argument(
        "--last", default="2024-07-01", metavar="DATE", help="last origin (default 2024-07-01)"
    )
    backtest.add_argument(
        "--step", type=int, default=6, metavar="MONTHS", help="months between origins (default 6)"
    )
    where = backtest.add_mutually_exclusive_group()
    where.add_argument(
        "--workers", type=int, metavar="N", help="processes of the local dask cluster (default: one per core)"
    )
    where.add_argument(
        "--serial", action="store_true", help="fit the origins one after the other in this process"
    )
    where.add_argument(
        "--scheduler", metavar="ADDRESS", help="run the origins on a running dask cluster (scheduler address)"
    )
    _add_history_options(backtest)
    _add_fit_options(backtest)
    _add_common(backtest)
    backtest.set_defaults(func=_cmd_backtest)
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
        The exit code: 0 success, 2 bad input (invalid data, priors, measures or options; the
        message goes to stderr), 3 a fit that failed the diagnostics gate under ``--strict``.

    Raises
    ------
    SystemExit
        From :mod:`argparse`, for ``--help`` and ``--version`` (status 0) and for arguments it
        cannot parse (status 2).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except _BadInput as exc:
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DataValidationError, MergeConflictError) as exc:
        print(f"forecast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (KeyError, ValueError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"forecast: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
