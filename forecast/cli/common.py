"""What several ``forecast`` commands share: the exit codes, bad input, and the steps from options to work.

Each step reads the parsed options, checks them against the data before any work starts (raising
:class:`BadInput`, exit code 2, with a message that names the option) and returns what the next
step needs: the history, the measures, the unfitted or saved chain model, the sampler settings, the
scenario engine. The model and scenario layers are heavy to import: they are imported only inside
the steps that need them, so ``forecast data`` or ``forecast --help`` never load them.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecast import names as N
from forecast.data import History, load_history

if TYPE_CHECKING:
    import xarray as xr

    from forecast.model import ChainModel, ModelSettings, SamplerSettings
    from forecast.scenarios import MeasureSet, ScenarioEngine

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_DIAGNOSTICS_FAILED = 3
EXIT_INTERRUPTED = 130

INTERRUPTED = "forecast: interrupted; outputs already written are complete, nothing half-written was left"
"""The one line printed to stderr on Ctrl-C (exit code :data:`EXIT_INTERRUPTED`)."""


class BadInput(Exception):
    """Raised by the preparation steps: the message goes to stderr with exit code 2."""


def history_from_args(args: argparse.Namespace) -> History:
    """The history the options ask for: bundled, yours merged onto it or on its own, cut at ``--as-of``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``history``, ``replace``, ``overwrite`` and ``as_of``.

    Returns
    -------
    History
        The history to work on.

    Raises
    ------
    BadInput
        For ``--replace`` or ``--overwrite`` without ``--history``, both together, or an ``--as-of``
        the history cannot be cut at.
    """
    if args.history is None and (args.replace or args.overwrite):
        raise BadInput(f"{'--replace' if args.replace else '--overwrite'} needs --history FILE")
    if args.replace and args.overwrite:
        raise BadInput("--overwrite says how to merge and --replace does not merge: give one of them")
    history = load_history()
    if args.history is not None:
        own = History.from_csv(Path(args.history))
        history = own if args.replace else history.merge(own, overwrite=args.overwrite)
    if args.as_of is not None:
        history = history_until(history, args.as_of, "--as-of")
    return history


def history_until(history: History, date: str, option: str) -> History:
    """``history.until(date)``, refused (naming ``option``) where nothing of the history was known.

    Parameters
    ----------
    history : History
        The history to cut.
    date : str
        The day, ``YYYY-MM-DD``.
    option : str
        What the date came from, for the message (``"--as-of"``, ``"the origin"``).

    Returns
    -------
    History
        What was known on ``date``.

    Raises
    ------
    BadInput
        For a date the history cannot be cut at, or one before its first observation ended.
    """
    first = history.observations[N.PERIOD_END].min()
    try:
        cut = history.until(date)
    except ValueError as exc:  # History.until: a date it cannot cut at (before the history, say)
        raise BadInput(f"{option} {date}: {exc}") from None
    if len(cut) == 0:
        raise BadInput(
            f"{option} {date}: nothing of the history was known by then (its first observation ends "
            f"on {pd.Timestamp(first):%Y-%m-%d})"
        )
    return cut


def check_writable(out: Path) -> None:
    """Check that the folder ``out`` can be made and written to, without making anything.

    The folder itself appears with its first file (every writer makes its folder): a command
    refused later, or interrupted before it writes, leaves no empty folder behind.

    Parameters
    ----------
    out : pathlib.Path
        The output folder.

    Raises
    ------
    BadInput
        When a file stands where a folder should be, or the nearest existing folder is not writable.
    """
    try:
        existing = out.absolute()
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise BadInput(f"cannot write to --out {out}: {existing} is a file, not a folder")
        with tempfile.TemporaryFile(dir=existing):  # unnamed where the OS can (O_TMPFILE)
            pass
    except OSError as exc:
        raise BadInput(f"cannot write to --out {out}: {exc.strerror or exc}") from None


def chain_model(
    args: argparse.Namespace, history: History, settings: ModelSettings | None = None, *, window: str = ""
) -> ChainModel:
    """The (unfitted) chain model of ``history`` with the priors of ``--priors``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``priors`` and ``as_of``.
    history : History
        The data.
    settings : ModelSettings, optional
        The modelled window (default: the model's own).
    window : str, optional
        Where the fitted window came from, for the message of a window too short.

    Returns
    -------
    ChainModel
        The model, not fitted.

    Raises
    ------
    BadInput
        For priors that do not hold, or a fitted window under 24 months.
    """
    from forecast.model import ChainModel  # the model layer is heavy; import it only when needed
    from forecast.priors import PriorConfigError

    try:
        return ChainModel(history, args.priors, settings)
    except PriorConfigError as exc:
        raise BadInput(str(exc)) from None
    except ValueError as exc:  # documented by ChainModel (no effects given): a window under 24 months
        if not window and args.as_of:
            window = f"the history as known on --as-of {args.as_of}"
        raise BadInput(f"{exc} ({window})" if window else str(exc)) from None


def quick_settings() -> SamplerSettings:
    """The ``--quick`` preset: a smoke run that finishes fast (its diagnostics will not pass).

    Returns
    -------
    SamplerSettings
        2 chains x 200 draws after 300 tuning steps, the default seed and sampler.
    """
    from forecast.model import SamplerSettings

    return SamplerSettings(draws=200, tune=300, chains=2)


def sampler_settings(args: argparse.Namespace) -> SamplerSettings:
    """How to sample, from the options: the preset (``--quick`` or the full fit) and what is given.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``quick``, ``draws``, ``tune``, ``chains``, ``target_accept``, ``sampler``,
        ``seed`` and ``quiet``.

    Returns
    -------
    SamplerSettings
        The preset with each option given (not None) in its place; ``--quiet`` turns the progress
        bar off.
    """
    from forecast.model import SamplerSettings

    preset = quick_settings() if args.quick else SamplerSettings()
    return preset.override(
        draws=args.draws,
        tune=args.tune,
        chains=args.chains,
        target_accept=args.target_accept,
        sampler=args.sampler,
        random_seed=args.seed,
        progressbar=False if args.quiet else None,
    )


def fit_and_save(
    args: argparse.Namespace, model: ChainModel, out: Path, *, verbose: bool = True
) -> ChainModel:
    """Fit ``model`` as the options say, print its diagnostics, and save it to ``out/fit.nc``.

    The saved fit holds the posterior predictive and (``--prior-draws``, default 500) the prior and
    prior predictive, seeded with ``--seed``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed fit options (see :func:`sampler_settings`) and ``prior_draws``.
    model : ChainModel
        The unfitted model.
    out : pathlib.Path
        The output folder.
    verbose : bool, optional
        Also print the in-sample coverage (default True).

    Returns
    -------
    ChainModel
        ``model``, fitted, with its posterior predictive.
    """
    settings = sampler_settings(args)
    print(
        f"fitting: {settings.chains} chains x {settings.draws} draws after {settings.tune} tuning steps, "
        f"sampler {args.sampler}, seed {args.seed} ...",
        flush=True,
    )
    model.fit(settings=settings)
    print(model.diagnostics, flush=True)
    model.sample_posterior_predictive(random_seed=args.seed)
    if args.prior_draws:  # the prior beside the posterior in fit.nc, seeded like the fit
        model.sample_prior(args.prior_draws, random_seed=args.seed)
    if verbose:
        cov = model.coverage()
        print("\nIn-sample coverage of the posterior predictive (share of observations inside the interval)")
        print(cov.to_string(float_format=lambda v: f"{v:.2f}"))
    path = model.save(out / "fit.nc")
    print(f"saved {path}", flush=True)
    return model


def load_fit(args: argparse.Namespace, out: Path) -> ChainModel:
    """The saved fit of ``--fit FILE``, or of ``out/fit.nc``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``fit``, where the command has it).
    out : pathlib.Path
        The output folder.

    Returns
    -------
    ChainModel
        The fitted model, read back.

    Raises
    ------
    BadInput
        When there is no such file, or it is not a saved fit that holds.
    """
    from forecast.model import ChainModel
    from forecast.model.io import SavedFitError

    fit_path = Path(args.fit) if getattr(args, "fit", None) else out / "fit.nc"
    if not fit_path.exists():
        raise BadInput(
            f"no fitted model at {fit_path}: run `forecast fit --out {out}` first, or pass --fit FILE"
        )
    try:
        return ChainModel.load(fit_path)
    except SavedFitError as exc:
        raise BadInput(str(exc)) from None


def measures_from_args(args: argparse.Namespace) -> MeasureSet:
    """The policy measures: those of ``--measures FILE``, or the bundled ones.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``measures``, where the command has it).

    Returns
    -------
    MeasureSet
        The measures.

    Raises
    ------
    BadInput
        For a measures file that cannot be read or does not hold.
    """
    from forecast.scenarios import PolicyConfigError, load_measures

    try:
        return load_measures(args.measures) if getattr(args, "measures", None) else load_measures()
    except (PolicyConfigError, OSError) as exc:
        raise BadInput(str(exc)) from None


def check_scenario_input(
    args: argparse.Namespace, history: History, last: pd.Timestamp, measures: MeasureSet
) -> None:
    """Refuse, before any work, a horizon or a capacity path the scenario engine cannot use.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``horizon_end`` and ``capacity``.
    history : History
        The data of the fit.
    last : pandas.Timestamp
        The last fitted month (of a saved fit, or the one a fit of ``history`` will have).
    measures : MeasureSet
        The measures (their fases end the default horizon).

    Raises
    ------
    BadInput
        For a horizon before the first forecast month, a ``--capacity`` path that does not cover the
        forecast months, or a history without a planning occupancy rate.
    forecast.scenarios.ScenarioError
        For a history whose own capacity or costs do not cover the forecast.
    """
    from forecast.model import planning_occupancy_rate
    from forecast.model.forward import forecast_months
    from forecast.scenarios import ScenarioError, capacity_path, load_phases, reception_costs

    first = pd.Period(last, "M") + 1
    if args.horizon_end is None:
        end = (measures.phases or load_phases()).end - pd.Timedelta(days=1)
        if pd.Period(end, "M") < first:
            raise BadInput(
                f"the fitted months run to {last:%Y-%m}, past the end of the last fase ({end:%Y-%m}): "
                f"pass --horizon-end {first} or later"
            )
    else:
        end = pd.Timestamp(args.horizon_end)
        if pd.Period(end, "M") < first:
            raise BadInput(
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
        raise BadInput(
            f"--capacity{source}: {exc} (the forecast months are {first} to {months[-1]:%Y-%m})"
        ) from None
    try:
        planning_occupancy_rate(history, months)
    except ValueError as exc:  # the history holds no planning occupancy rate
        raise BadInput(str(exc)) from None
    reception_costs(history)  # ScenarioError: the history lacks a cost series


def scenario_engine(args: argparse.Namespace, model: ChainModel, measures: MeasureSet) -> ScenarioEngine:
    """The scenario engine of a fitted model, its input checked first (:func:`check_scenario_input`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed scenario options and ``seed``.
    model : ChainModel
        The fitted model (a warning is printed when it failed its diagnostics gate).
    measures : MeasureSet
        The measures.

    Returns
    -------
    ScenarioEngine
        The engine, ready to run the grid.
    """
    from forecast.scenarios import ScenarioEngine

    check_scenario_input(args, model.history, model.fitted_months()[-1], measures)
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


def progress_setting(args: argparse.Namespace) -> bool | None:
    """The progress bars a command shows: none with ``--quiet``, else in a terminal only.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``quiet`` where the command has it).

    Returns
    -------
    bool or None
        ``False`` with ``--quiet``, else ``None`` (:func:`forecast.progress.shown`: a terminal only).
    """
    return False if getattr(args, "quiet", False) else None


def phase_draws(args: argparse.Namespace, engine: ScenarioEngine) -> xr.Dataset:
    """Run every combination of the measures, in chunks, here or on the dask cluster of ``--scheduler``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``chunk_draws``, ``scheduler`` and ``quiet`` (no progress bar).
    engine : ScenarioEngine
        The engine.

    Returns
    -------
    xarray.Dataset
        Per-fase statistics for every scenario and posterior draw
        (:meth:`~forecast.scenarios.engine.ScenarioEngine.phase_draws`).
    """
    k = len(engine.measures)
    print(
        f"scenarios: 2**{k} = {2**k} combinations + {len(engine.measures.bundles)} bundles x "
        f"{engine.forward.n} draws x {len(engine.months)} months ({engine.provenance['horizon']}) ...",
        flush=True,
    )
    client = None
    if getattr(args, "scheduler", None):
        from distributed import Client  # installed: --scheduler was checked while parsing

        client = Client(args.scheduler)
    try:
        shown = progress_setting(args)
        return engine.phase_draws(chunk_draws=args.chunk_draws, client=client, progress=shown)
    finally:
        if client is not None:
            client.close()


class Steps:
    """Numbered progress lines with the time each step took.

    Parameters
    ----------
    n : int
        The number of steps.
    """

    def __init__(self, n: int) -> None:
        self.n, self.i, self.t0 = n, 0, None

    def start(self, text: str) -> None:
        """End the step under way (printing its time) and start the next.

        Parameters
        ----------
        text : str
            What the step does.
        """
        import time

        self.done()
        self.i += 1
        self.t0 = time.perf_counter()
        print(f"\n[{self.i}/{self.n}] {text}", flush=True)

    def done(self) -> None:
        """End the step under way, if any, printing how long it took."""
        import time

        if self.t0 is not None:
            print(f"[{self.i}/{self.n}] done in {time.perf_counter() - self.t0:.0f} s", flush=True)
            self.t0 = None
