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
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from forecast import __version__
from forecast import names as N
from forecast.data import DataValidationError, History, MergeConflictError, load_history
from forecast.extras import MissingExtraError, require
from forecast.names import LANGUAGES, PHASES

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS_FAILED = 3
EXIT_INTERRUPTED = 130

INTERRUPTED = "forecast: interrupted; outputs already written are complete, nothing half-written was left"
"""The one line printed to stderr on Ctrl-C (exit code :data:`EXIT_INTERRUPTED`)."""

MAX_SEED = 2**32 - 1
#: ``forecast report --fase all``: every fase page.
ALL_FASES = "all"
"""The largest ``--seed`` (the samplers and numpy take seeds up to this size)."""

MAX_CAPACITY_FILE_BYTES = 1_000_000
"""A ``--capacity`` file larger than this (1 MB) is refused: one line per month is a few kB."""


class _BadInput(Exception):
    """Raised by the preparation steps: the message goes to stderr with exit code 2."""


# --------------------------------------------------------------------------- argparse types
# Each raises argparse.ArgumentTypeError, so argparse prints "argument --draws: <message>" and
# exits with code 2 before any work starts.
def _int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    parse.__name__ = f"int_at_least_{minimum}"
    return parse


_positive_int = _int_at_least(1)
_non_negative_int = _int_at_least(0)
_seed = _int_at_least(0, MAX_SEED)


def _scheduler(text: str) -> str:
    """A dask scheduler address; refused at once when the ``cluster`` extra is not installed."""
    try:
        require("distributed", "cluster", "--scheduler (a dask cluster)")
    except MissingExtraError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _templates(text: str) -> str:
    """A folder of report templates; refused at once when it is not one or a template does not parse."""
    import jinja2

    from forecast.reports.render import PageRenderer

    try:
        PageRenderer(text)
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"{text}: not a folder") from None
    except jinja2.TemplateSyntaxError as exc:
        raise argparse.ArgumentTypeError(f"{exc.filename}, line {exc.lineno}: {exc.message}") from None
    return text


_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def _parse_date(text: str, *, month_ok: bool) -> dt.date:
    """``YYYY-MM-DD`` (or ``YYYY-MM`` when ``month_ok``, for the first of that month) as a date."""
    form = "YYYY-MM-DD or YYYY-MM" if month_ok else "YYYY-MM-DD"
    m = _DATE.fullmatch(text.strip())
    if m is None or (m.group(3) is None and not month_ok):
        raise argparse.ArgumentTypeError(f"must be a date {form}, got {text!r}")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date ({exc})") from None


def _date(text: str) -> str:
    """A day, ``YYYY-MM-DD``: returned in ISO form."""
    return _parse_date(text, month_ok=False).isoformat()


def _month_or_date(text: str) -> str:
    """Any day of a month, ``YYYY-MM-DD``, or the month itself, ``YYYY-MM`` (its first day)."""
    return _parse_date(text, month_ok=True).isoformat()


def _month_start(text: str) -> str:
    """The first day of a month: ``YYYY-MM-01`` or ``YYYY-MM``."""
    day = _parse_date(text, month_ok=True)
    if day.day != 1:
        raise argparse.ArgumentTypeError(
            f"must be the first day of a month (YYYY-MM-01 or YYYY-MM), got {text!r}"
        )
    return day.isoformat()


def _series(text: str) -> str:
    """An observed series name."""
    if text not in N.OBSERVATION_SERIES:
        raise argparse.ArgumentTypeError(
            f"unknown series {text!r}; known: {', '.join(sorted(N.OBSERVATION_SERIES))}"
        )
    return text


def _ended(text: str) -> tuple[str, str]:
    """``MEASURE=YYYY-MM``: a measure and the first month without it."""
    measure, sep, month = text.partition("=")
    if not sep or not measure.strip() or not month.strip():
        raise argparse.ArgumentTypeError(
            f"expected MEASURE=YYYY-MM (the first month without the measure), got {text!r}"
        )
    try:
        first = _month_start(month)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: the month {exc}") from None
    return measure.strip(), first[:7]


# thousands separators as people write them: 75.000 (Dutch), 75,000, 75 000, 75'000, 75_000
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[.,' _\u00a0]\d{3})+")
_NUMBER_LIKE = re.compile(
    r"[+-]?(?=[^a-zA-Z]*\d)[\d.,' _\u00a0]+(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.I
)
_WHOLE = re.compile(r"\d+")
_PLACES_RULE = "a positive whole number of places, digits only (e.g. 75000)"


def _places(text: str) -> int:
    """A positive whole number of places, digits only; ``ValueError`` with the reason otherwise."""
    text = text.strip()
    if _THOUSANDS.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        raise ValueError(
            f"{text!r} looks like a number with a thousands separator, which Dutch and English read "
            f"differently (75.000 is 75 in English): write {digits}, digits only"
        )
    if not _WHOLE.fullmatch(text) or int(text) <= 0:
        raise ValueError(f"{text!r} is not {_PLACES_RULE}")
    return int(text)


def _capacity(text: str) -> float | pd.Series:
    """``--capacity PLACES|FILE``: a flat number of places, or a CSV file with columns month, places.

    The number and every ``places`` of the file are positive whole numbers written with digits only
    (``75.000`` or ``75,000`` is refused: Dutch and English read them differently). The file is
    UTF-8 text of at most :data:`MAX_CAPACITY_FILE_BYTES`, one line per month (``YYYY-MM`` or the
    first of the month), no month twice; an error names the file, the line and the reason.
    """
    if _NUMBER_LIKE.fullmatch(text.strip()):
        try:
            return float(_places(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    path = Path(text)
    if not path.is_file():
        why = "a folder" if path.is_dir() else "no such file"
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a number of places nor a CSV file ({why}); give {_PLACES_RULE}, "
            "or a CSV file with columns month, places"
        )
    try:
        return _capacity_file(path)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _capacity_file(path: Path) -> pd.Series:
    """Read and check a capacity CSV (columns month, places); ``ValueError`` naming file and line."""
    try:
        size = path.stat().st_size
        if size > MAX_CAPACITY_FILE_BYTES:
            raise ValueError(
                f"{path}: {size:,} bytes, more than the {MAX_CAPACITY_FILE_BYTES:,} a capacity file may "
                "have (one line per month is a few kB): is it the right file?"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from None
    what = "not a UTF-8 text file (a binary file?); a capacity file is a CSV with columns month, places"
    bad = [data.find(b"\0")]  # a NUL byte: valid UTF-8, but no text file holds one
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad.append(exc.start)
    bad = [offset for offset in bad if offset >= 0]
    if bad:
        raise ValueError(f"{path}, line {_line_of(data, min(bad))}: {what}")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    months: dict[pd.Timestamp, int] = {}
    values: list[float] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                missing = [c for c in ("month", "places") if c not in header]
                if missing:
                    raise ValueError(
                        f"{path}, line {line}: the header must name the columns month, places "
                        f"(missing {', '.join(missing)}; found {', '.join(map(repr, row))})"
                    )
                continue
            if len(row) != len(header):
                hint = (
                    " (a thousands separator such as 75,000? write 75000)" if len(row) > len(header) else ""
                )
                raise ValueError(
                    f"{path}, line {line}: {len(row)} field(s) where the header has {len(header)}{hint}"
                )
            cells = dict(zip(header, row, strict=True))
            month = _capacity_month(cells["month"])
            if month is None:
                raise ValueError(
                    f"{path}, line {line}: month {cells['month'].strip()!r} is not a month: write YYYY-MM "
                    "(or the first of the month, YYYY-MM-01)"
                )
            if month in months:
                raise ValueError(
                    f"{path}, line {line}: month {month:%Y-%m} is given twice (first on line {months[month]})"
                )
            try:
                places = _places(cells["places"])
            except ValueError as exc:
                raise ValueError(f"{path}, line {line}: places {exc}") from None
            months[month] = line
            values.append(float(places))
    except csv.Error as exc:
        raise ValueError(f"{path}, line {reader.line_num}: not a readable CSV ({exc})") from None
    if header is None:
        raise ValueError(
            f"{path}, line 1: the file is empty; expected the header month,places and a line per month"
        )
    if not values:
        raise ValueError(f"{path}, line {reader.line_num + 1}: no months after the header month,places")
    series = pd.Series(values, index=pd.DatetimeIndex(list(months)), name="places").sort_index()
    series.attrs["file"] = str(path)
    return series


def _line_of(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def _capacity_month(text: str) -> pd.Timestamp | None:
    """``YYYY-MM`` or ``YYYY-MM-01`` as the month's first day; None for anything else."""
    m = _DATE.fullmatch(text.strip())
    if m is None or m.group(3) not in (None, "01") or not 1 <= int(m.group(2)) <= 12:
        return None
    return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)


# --------------------------------------------------------------------------- preparation
def _history(args: argparse.Namespace) -> History:
    if args.history is None and (args.replace or args.overwrite):
        raise _BadInput(f"{'--replace' if args.replace else '--overwrite'} needs --history FILE")
    if args.replace and args.overwrite:
        raise _BadInput("--overwrite says how to merge and --replace does not merge: give one of them")
    history = load_history()
    if args.history is not None:
        own = History.from_csv(Path(args.history))
        history = own if args.replace else history.merge(own, overwrite=args.overwrite)
    if args.as_of is not None:
        history = _until(history, args.as_of, "--as-of")
    return history


def _until(history: History, date: str, option: str) -> History:
    """``history.until(date)``, refused (naming ``option``) where nothing of the history was known."""
    first = history.observations[N.PERIOD_END].min()
    try:
        cut = history.until(date)
    except ValueError as exc:  # History.until: a date it cannot cut at (before the history, say)
        raise _BadInput(f"{option} {date}: {exc}") from None
    if len(cut) == 0:
        raise _BadInput(
            f"{option} {date}: nothing of the history was known by then (its first observation ends "
            f"on {pd.Timestamp(first):%Y-%m-%d})"
        )
    return cut


def _cmd_data(args: argparse.Namespace) -> int:
    history = _history(args)
    if args.series:
        history = history.select(args.series)
    print(history.summary())
    return EXIT_OK


QUICK = {"draws": 200, "tune": 300, "chains": 2}
"""The ``--quick`` preset: a smoke run that finishes fast (its diagnostics will not pass)."""


def _writable(out: Path) -> None:
    """Check that the folder ``out`` can be made and written to, without making anything.

    The folder itself appears with its first file (every writer makes its folder): a command
    refused later, or interrupted before it writes, leaves no empty folder behind.
    """
    try:
        existing = out.absolute()
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise _BadInput(f"cannot write to --out {out}: {existing} is a file, not a folder")
        with tempfile.TemporaryFile(dir=existing):  # unnamed where the OS can (O_TMPFILE)
            pass
    except OSError as exc:
        raise _BadInput(f"cannot write to --out {out}: {exc.strerror or exc}") from None


def _model(args: argparse.Namespace, history: History, settings=None, *, window: str = ""):
    """The (unfitted) chain model; ``window`` says, in an error, where its fitted window came from."""
    from forecast.model import ChainModel  # the model layer is heavy; import it only when needed
    from forecast.priors import PriorConfigError

    try:
        return ChainModel(history, args.priors, settings)
    except PriorConfigError as exc:
        raise _BadInput(str(exc)) from None
    except ValueError as exc:  # documented by ChainModel (no effects given): a window under 24 months
        if not window and args.as_of:
            window = f"the history as known on --as-of {args.as_of}"
        raise _BadInput(f"{exc} ({window})" if window else str(exc)) from None


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
    model.fit(sampler=args.sampler, random_seed=args.seed, progressbar=False if args.quiet else None, **runs)
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
    out = Path(args.out)
    _writable(out)
    history = _history(args)
    model = _model(args, history)
    print(model, flush=True)
    _fit(args, model, out)
    if args.strict and not model.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


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


def _check_scenario_input(args: argparse.Namespace, history: History, last: pd.Timestamp, measures) -> None:
    """Refuse, before any work, a horizon or a capacity path the scenario engine cannot use.

    ``last`` is the last fitted month (of a saved fit, or the one a fit of ``history`` will have).
    """
    from forecast.model import planning_occupancy_rate
    from forecast.model.forward import forecast_months
    from forecast.scenarios import ScenarioError, capacity_path, load_phases, reception_costs

    first = pd.Period(last, "M") + 1
    if args.horizon_end is None:
        end = (measures.phases or load_phases()).end - pd.Timedelta(days=1)
        if pd.Period(end, "M") < first:
            raise _BadInput(
                f"the fitted months run to {last:%Y-%m}, past the end of the last fase ({end:%Y-%m}): "
                f"pass --horizon-end {first} or later"
            )
    else:
        end = pd.Timestamp(args.horizon_end)
        if pd.Period(end, "M") < first:
            raise _BadInput(
                f"--horizon-end {args.horizon_end} lies before the first forecast month {first} "
                f"(the fitted months run to {last:%Y-%m})"
            )
    months = forecast_months(last, end)
    try:
        capacity_path(history, months, args.capacity)
    except ScenarioError as exc:
        if args.capacity is None:  # the history's own capacity: no option to name
            raise
        source = f" {args.capacity.attrs['file']}" if isinstance(args.capacity, pd.Series) else ""
        raise _BadInput(
            f"--capacity{source}: {exc} (the forecast months are {first} to {months[-1]:%Y-%m})"
        ) from None
    try:
        planning_occupancy_rate(history, months)
    except ValueError as exc:  # the history holds no planning occupancy rate
        raise _BadInput(str(exc)) from None
    reception_costs(history)  # ScenarioError: the history lacks a cost series


def _engine(args: argparse.Namespace, model, measures):
    from forecast.scenarios import ScenarioEngine

    _check_scenario_input(args, model.history, model.fitted_months()[-1], measures)
    if model.diagnostics is not None and not model.diagnostics.passed:
        print(
            "WARNING: the fit failed its diagnostics gate: the scenario numbers inherit its problems.",
            flush=True,
        )
    # ScenarioError (bad input the check above did not foresee) is reported by main()
    return ScenarioEngine(
        model,
        measures,
        capacity=args.capacity,
        horizon_end=args.horizon_end,
        random_seed=args.seed,
    )


def _phase_draws(args: argparse.Namespace, engine):
    k = len(engine.measures)
    print(
        f"scenarios: 2**{k} = {2**k} combinations + {len(engine.measures.bundles)} bundles x "
        f"{engine.forward.n} draws x {len(engine.months)} months ({engine.provenance['horizon']}) ...",
        flush=True,
    )
    client = None
    if getattr(args, "scheduler", None):
        from distributed import Client  # installed: --scheduler was checked while parsing (_scheduler)

        client = Client(args.scheduler)
    try:
        return engine.phase_draws(chunk_draws=args.chunk_draws, client=client)
    finally:
        if client is not None:
            client.close()


def _write_scenarios(model, engine, draws, dest: Path, *, verbose: bool = True):
    import xarray as xr

    from forecast import atomic
    from forecast.model.io import save_tree
    from forecast.scenarios import RESULT_FILE, scenario_result

    result = scenario_result(model, engine, draws)
    table = result.table()
    need_c = result.contribution_table("need_mean")
    cost_c = result.contribution_table("cost_eur")
    # one set: an error or Ctrl-C leaves the previous set of files, never a mix of old and new
    with atomic.output_set(dest, command="scenarios") as stage:
        (stage / "phase_summary.csv").write_text(table.to_csv(float_format="%.6g"), encoding="utf-8")
        (stage / "contributions_need.csv").write_text(need_c.to_csv(float_format="%.6g"), encoding="utf-8")
        (stage / "contributions_cost.csv").write_text(cost_c.to_csv(float_format="%.6g"), encoding="utf-8")
        save_tree(xr.DataTree(result.summary), stage / "phase_summary.nc")
        save_tree(xr.DataTree(result.contributions), stage / "contributions.nc")
        save_tree(xr.DataTree(result.monthly), stage / "bundles_monthly.nc")
        result.save(stage / RESULT_FILE)
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
        f"saved {dest}/: {RESULT_FILE} (what `forecast report` reads), phase_summary.csv/.nc, "
        "contributions_need.csv, contributions_cost.csv, contributions.nc, bundles_monthly.nc",
        flush=True,
    )
    return result


def _cmd_scenarios(args: argparse.Namespace) -> int:
    out = Path(args.out)
    _writable(out / "scenarios")
    measures = _measures(args)
    model = _load_fit(args, out)
    engine = _engine(args, model, measures)
    draws = _phase_draws(args, engine)
    _write_scenarios(model, engine, draws, out / "scenarios")
    return EXIT_OK


def _write_reports(args: argparse.Namespace, result, out: Path, fases=None) -> None:
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


def _load_result(args: argparse.Namespace, out: Path):
    from forecast.scenarios import ScenarioResult, ScenarioResultError

    folder = Path(args.scenarios) if args.scenarios else out / "scenarios"
    try:
        return ScenarioResult.load(folder)
    except ScenarioResultError as exc:
        raise _BadInput(f"{exc} (forecast report renders a saved scenario result: --scenarios DIR)") from None


def _cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    _writable(out / "reports")
    result = _load_result(args, out)
    _write_reports(args, result, out, fases=None if args.fase == ALL_FASES else [args.fase])
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from forecast.evaluation import PhaseEvaluationError, PhaseGate, evaluate_phase
    from forecast.reports.phase_gate import effects_table

    # everything that can be wrong with the input is checked before the (long) refit, and before
    # any folder is made
    out = Path(args.out)
    dest = out / "evaluation"
    _writable(dest)
    _writable(out / "reports")
    history = _history(args)
    measures = _measures(args)
    unknown = [m for m in args.in_force if m not in measures]
    if unknown:
        raise _BadInput(
            f"--in-force: unknown measure(s) {', '.join(unknown)}; the measures are {', '.join(measures.ids)}"
        )
    ended = {}
    for measure, month in args.ended or ():
        if measure not in args.in_force:
            raise _BadInput(f"--ended {measure}={month}: {measure!r} is not in --in-force")
        if measure in ended:
            raise _BadInput(f"--ended names {measure!r} twice")
        ended[measure] = month
    # the rest as evaluate_phase will check it (a measure in force that acts in the fase, ...)
    PhaseGate(args.in_force, args.fase, measures=measures, ended=ended or None)
    _model(args, history)  # the priors and the fitted window
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
    except PhaseEvaluationError as exc:  # e.g. a --fit to reuse that belongs to other data
        raise _BadInput(str(exc)) from None
    if ev.model is reuse:
        print(f"no measure acts in the fitted months: nothing to refit, {args.fit} reused", flush=True)
    print(ev.model, flush=True)
    table = effects_table(ev)
    print(f"\nFase {args.fase}: {ev.months_observed_in_phase()} fitted month(s) in the fase")
    verdict = "verdict_nl" if args.lang == "nl" else "verdict"
    for _, row in table.iterrows():
        print(
            f"  {row['effect']}: prior {row['prior_mean']:+.3g} (sd {row['prior_sd']:.3g}) -> posterior "
            f"{row['posterior_mean']:+.3g} (sd {row['posterior_sd']:.3g}); "
            f"contraction {row['contraction']:.2f}; {row[verdict]}"
        )
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
    _write_evaluation(args, ev, table, outlook, out)
    if args.strict and ev.diagnostics is not None and not ev.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def _write_evaluation(
    args: argparse.Namespace, ev, table: pd.DataFrame, outlook: pd.DataFrame | None, out: Path
) -> None:
    """Write a phase evaluation: the effects, the outlook and the dataset as one set per fase, and the
    report page (the verdicts in words and the figure from :mod:`forecast.reports.phase_gate`)."""
    import xarray as xr

    from forecast import atomic
    from forecast.model.io import save_tree
    from forecast.reports.phase_gate import effects_table, evaluation_page

    dest = out / "evaluation"
    written = [f"{args.fase}_effects.csv", *([f"{args.fase}_outlook.csv"] if outlook is not None else [])]
    written.append(f"{args.fase}.nc")
    # one set per fase: an error or Ctrl-C leaves the previous files, never a mix of old and new
    with atomic.output_set(dest, keep=True, command="evaluate", fase=args.fase) as stage:
        (stage / written[0]).write_text(table.to_csv(index=False, float_format="%.6g"), encoding="utf-8")
        if outlook is not None:
            (stage / f"{args.fase}_outlook.csv").write_text(
                outlook.to_csv(float_format="%.6g"), encoding="utf-8"
            )
        dataset = ev.to_dataset(table=effects_table(ev, all_effects=True))
        save_tree(xr.DataTree(dataset), stage / f"{args.fase}.nc")
    page = out / "reports" / f"evaluatie_{args.fase}.html"
    atomic.write_text(page, evaluation_page(ev, args.lang, outlook, templates=args.templates))
    print(f"saved {dest}/: {', '.join(written)}; the report page {page}", flush=True)


def _cmd_backtest(args: argparse.Namespace) -> int:
    from forecast.evaluation import backtest as B
    from forecast.model import ModelSettings
    from forecast.reports.backtest import figure_files

    out = Path(args.out) / "backtest"
    _writable(out)
    if args.origins and (args.first or args.last or args.step):
        raise _BadInput("--origins lists the origins: leave out --first, --last and --step")
    history = _history(args)
    if args.origins:
        if len(set(args.origins)) != len(args.origins):
            raise _BadInput(f"--origins: an origin is given twice ({' '.join(args.origins)})")
        origins = B.as_origins(args.origins)
    else:
        first = args.first or B.DEFAULT_FIRST_ORIGIN
        last = args.last or B.DEFAULT_LAST_ORIGIN
        if first > last:  # ISO dates compare as text
            raise _BadInput(f"--first {first} lies after --last {last}: no origins")
        origins = B.as_origins(B.default_origins(first, last, args.step or B.DEFAULT_STEP_MONTHS))
    runs = _runs(args)
    settings = B.BacktestSettings(random_seed=args.seed, sampler=args.sampler, priors=args.priors, **runs)
    # the earliest origin's model, built here (not in a worker, after the others have fitted): its
    # priors, and a fitted window of at least 24 months
    earliest = min(origins)
    cut = _until(history, f"{earliest:%Y-%m-%d}", "the origin")
    window = ModelSettings(start=settings.start, end=f"{pd.Period(earliest, 'M') - 1}")
    _model(args, cut, window, window=f"the fit at the earliest origin, {earliest:%Y-%m-%d}: pick a later one")
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
        from dask.distributed import Client  # installed: --scheduler was checked while parsing

        with Client(args.scheduler) as client:
            result = B.backtest(origins, history, settings=settings, client=client, progress=True)
    else:
        result = B.backtest(
            origins,
            history,
            settings=settings,
            parallel=not args.serial,
            n_workers=args.workers,
            progress=True,
        )
    paths = result.save(out, figures=figure_files(result))
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
    from forecast.model import ModelSettings

    # everything that can be wrong with the input is checked before anything is computed or written
    out = Path(args.out)
    _writable(out)
    history = _history(args)
    measures = _measures(args)
    # the fit will end in the month of the last observation: check the scenarios' input first (fast)
    last = pd.Timestamp(ModelSettings().resolve(history).end)
    _check_scenario_input(args, history, last, measures)
    model = _model(args, history)
    steps = _Steps(4)
    steps.start("the history")
    print(history.summary().split("\n\n")[0], flush=True)
    steps.start("fitting the chain model (about two minutes for the full fit on two cores)")
    print(model, flush=True)
    _fit(args, model, out, verbose=False)
    steps.start("every combination of the measures, to the end of the last fase")
    engine = _engine(args, model, measures)
    draws = _phase_draws(args, engine)
    result = _write_scenarios(model, engine, draws, out / "scenarios")
    steps.start(f"the reports ({args.lang})")
    _write_reports(args, result, out)
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
    p.add_argument("--as-of", type=_date, metavar="DATE", help="only what was known on DATE (YYYY-MM-DD)")


def _add_fit_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--priors", metavar="DIR", help="folder of prior TOML files (default: the bundled priors/)"
    )
    p.add_argument(
        "--draws", type=_positive_int, metavar="N", help="draws per chain after tuning, >= 1 (default 1000)"
    )
    p.add_argument(
        "--tune", type=_non_negative_int, metavar="N", help="tuning steps per chain, >= 0 (default 1000)"
    )
    p.add_argument("--chains", type=_positive_int, metavar="N", help="number of chains, >= 1 (default 4)")
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
        help="no progress bar during the fit (shown only in a terminal anyway)",
    )


def _add_scenario_options(p: argparse.ArgumentParser, *, fit: bool) -> None:
    if fit:
        p.add_argument("--fit", metavar="FILE", help="the saved fit (default OUT/fit.nc from `forecast fit`)")
    p.add_argument("--measures", metavar="FILE", help="your own measures TOML (default: the bundled one)")
    p.add_argument(
        "--capacity",
        type=_capacity,
        metavar="PLACES|FILE",
        help="regular COA places: a positive whole number, digits only (75000, not 75.000 or 75,000), or "
        "a CSV with columns month (YYYY-MM), places (one line per forecast month) "
        "(default: the latest regular places, coa_capacity_regular, in the inputs as known, held flat)",
    )
    p.add_argument(
        "--horizon-end",
        type=_month_or_date,
        metavar="DATE",
        help="last forecast month, YYYY-MM or a day in it (default: end of the last fase)",
    )
    p.add_argument(
        "--chunk-draws",
        type=_positive_int,
        default=500,
        metavar="N",
        help="posterior draws per chunk, >= 1 (memory; default 500)",
    )
    p.add_argument(
        "--scheduler",
        type=_scheduler,
        metavar="ADDRESS",
        help="run the chunks on a dask cluster (scheduler address)",
    )


def _add_common(p: argparse.ArgumentParser, *, lang: bool = False, seed: bool = True) -> None:
    if seed:
        p.add_argument(
            "--seed",
            type=_seed,
            default=2026,
            metavar="N",
            help=f"random seed, 0 .. {MAX_SEED} (default 2026)",
        )
    p.add_argument("--out", metavar="DIR", default="out", help="output folder (default ./out)")
    if lang:
        p.add_argument("--lang", choices=LANGUAGES, default="nl", help="report language: nl (default) or en")
        p.add_argument(
            "--templates",
            type=_templates,
            metavar="DIR",
            help="your own page.html and/or style.css for the report pages (default: the bundled ones)",
        )


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
    data.add_argument("--series", type=_series, nargs="+", metavar="SERIES", help="only these series")
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
        help="write the HTML reports (every fase, or one) from the saved scenario result",
        description="Render OUT/reports/index.html and the fase pages (self-contained, readable offline) "
        "with their tables as CSV from the scenario result that `forecast scenarios` or `forecast run` "
        "saved (OUT/scenarios/scenario_result.nc): no fit and no scenario grid is run again.",
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
    _add_common(rep, lang=True, seed=False)
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
        type=_ended,
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
        type=_month_start,
        nargs="+",
        metavar="DATE",
        help="forecast origins, first days of months, YYYY-MM-01 (default: --first .. --last every "
        "--step months)",
    )
    backtest.add_argument(
        "--first", type=_month_start, metavar="DATE", help="first origin, YYYY-MM-01 (default 2017-01-01)"
    )
    backtest.add_argument(
        "--last",
        type=_month_start,
        metavar="DATE",
        help="last possible origin, YYYY-MM-01 (default 2024-07-01)",
    )
    backtest.add_argument(
        "--step", type=_positive_int, metavar="MONTHS", help="months between origins, >= 1 (default 6)"
    )
    where = backtest.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="processes of the local dask cluster, >= 1 (default: one per core)",
    )
    where.add_argument(
        "--serial", action="store_true", help="fit the origins one after the other in this process"
    )
    where.add_argument(
        "--scheduler",
        type=_scheduler,
        metavar="ADDRESS",
        help="run the origins on a running dask cluster (scheduler address)",
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
    found: list[type[Exception]] = [_BadInput, DataValidationError, MergeConflictError, MissingExtraError]
    for module, name in _INPUT_ERRORS:
        if module in sys.modules:
            found.append(getattr(sys.modules[module], name))
    return tuple(found)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
