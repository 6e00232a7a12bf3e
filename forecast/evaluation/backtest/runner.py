"""Running a backtest: fit at each origin, score it, and gather the origins, here or on a dask cluster.

:func:`fit_at_origin` fits the chain model on what was known at an origin; :func:`run_origin` fits,
forecasts and scores one origin (one independent task, seeded from the run's seed and the origin
alone); :func:`backtest` runs every origin one after the other in this process, on a local
``dask.distributed`` cluster or on a user's client, with equal results.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.data import History, load_history
from forecast.evaluation.backtest.origins import (
    METHODS,
    MODEL,
    ORIGIN,
    BacktestSettings,
    as_origins,
    check_origin,
    origin_month,
    origin_seed,
)
from forecast.evaluation.backtest.result import BacktestResult, OriginResult
from forecast.evaluation.backtest.scoring import model_samples, score_frame, scoring_design, target_rows
from forecast.evaluation.baselines import TARGET_COLUMNS, baseline_samples
from forecast.extras import require
from forecast.model import ChainModel, FitDiagnosticsWarning, ModelSettings
from forecast.model.design import Design
from forecast.model.sampler import DEFAULT_TARGET_ACCEPT
from forecast.priors import default_priors_dir
from forecast.progress import progress_bar


def fit_at_origin(
    history: History, origin: pd.Timestamp | str, settings: BacktestSettings | None = None
) -> ChainModel:
    """Fit the chain model on what was known at ``origin``: ``history.until(origin)``.

    The fitted window runs from ``settings.start`` to the month before the origin (the model's
    ``settings.end``), whatever the last figure's date: the forecast starts at the origin month.
    The fit's diagnostics gate warns (:class:`~forecast.model.FitDiagnosticsWarning`) but is not
    silenced here; :func:`run_origin` records the verdict.

    Parameters
    ----------
    history : History
        The full history; only ``history.until(origin)`` is fitted.
    origin : pandas.Timestamp or str
        The forecast origin, the first day of a month.
    settings : BacktestSettings, optional
        Sampler, window and scoring settings (default ``BacktestSettings()``).

    Returns
    -------
    ChainModel
        Fitted (MCMC) on ``settings.start`` to the month before the origin, with the seed
        :func:`origin_seed` of the origin.

    Raises
    ------
    ValueError
        When ``origin`` is not the first day of a month.
    """
    settings = settings or BacktestSettings()
    origin = check_origin(origin)
    cut = history.until(origin)
    end = origin_month(origin) - 1
    model = ChainModel(cut, settings.priors, ModelSettings(start=settings.start, end=f"{end}"))
    model.fit(settings=settings.sampler_settings(origin), thresholds=settings.thresholds)
    return model


def fit_file(folder: str | Path, origin: pd.Timestamp | str) -> Path:
    """The saved fit of ``origin`` in a folder of fits (:attr:`BacktestSettings.fits`).

    Parameters
    ----------
    folder : str or Path
        The folder of fits.
    origin : pandas.Timestamp or str
        The forecast origin, the first day of a month.

    Returns
    -------
    Path
        ``folder / "fit_YYYY-MM.nc"`` (the origin's month).
    """
    return Path(folder) / f"fit_{origin_month(check_origin(origin))}.nc"


def saved_or_fitted(history: History, origin: pd.Timestamp | str, settings: BacktestSettings) -> ChainModel:
    """The model fitted at ``origin``: read from :attr:`BacktestSettings.fits` when saved there, else fitted.

    A fit that is fitted here is saved to the folder (when one is set), atomically.

    Parameters
    ----------
    history : History
        The full history; the fit sees ``history.until(origin)``.
    origin : pandas.Timestamp or str
        The forecast origin.
    settings : BacktestSettings
        The run's settings; a saved fit must match its sampler settings, priors and the history
        known at the origin.

    Returns
    -------
    ChainModel
        Fitted at ``origin``.

    Raises
    ------
    ValueError
        When a saved fit was made with other sampler settings (draws, tuning steps, chains, seed,
        sampler, target acceptance) or on other data than ``history.until(origin)``; the message
        names the file.
    SavedFitError
        When the saved file cannot be read as a fit, or its priors differ from the run's
        (``settings.priors``, the bundled ones by default).
    """
    if settings.fits is None:
        return fit_at_origin(history, origin, settings)
    path = fit_file(settings.fits, origin)
    if not path.exists():
        model = fit_at_origin(history, origin, settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
        return model
    # the run's priors, the bundled ones by default: a fit saved under others is refused (config hash)
    model = ChainModel.load(path, priors=settings.priors or default_priors_dir())
    run = settings.sampler_settings(origin)
    attrs, post = model.idata.attrs, model.idata["posterior"]
    saved = {
        "sampler": str(attrs.get("sampler")),
        "draws": int(attrs.get("draws", -1)),
        "tune": int(attrs.get("tune", -1)),
        "chains": int(post.sizes[N.DIM_CHAIN]),
        "random_seed": int(attrs.get("random_seed", -1)),
        # fits saved before 2026-11-30 do not record it: they were sampled at the default
        "target_accept": float(attrs.get("target_accept", DEFAULT_TARGET_ACCEPT)),
    }
    wanted = {k: getattr(run, k) for k in saved}
    if saved != wanted:
        differ = ", ".join(f"{k} {saved[k]} (the run's {wanted[k]})" for k in saved if saved[k] != wanted[k])
        raise ValueError(
            f"{path}: the saved fit was sampled with other settings: {differ}; move it away to refit"
        )
    if model.history.data_hash != history.until(origin).data_hash:
        raise ValueError(
            f"{path}: the saved fit was made on other data than what was known at {origin_month(origin)}; "
            "move it away to refit"
        )
    return model


def run_origin(
    origin: pd.Timestamp | str,
    history: History,
    design: Design,
    settings: BacktestSettings,
    *,
    model: ChainModel | None = None,
    keep_model: bool = False,
) -> OriginResult:
    """Fit at one origin, forecast, and score the model and the baselines on the later figures.

    Parameters
    ----------
    origin : date-like
        First day of the first forecast month.
    history : History
        The **full** history: the fit and the baselines only see ``history.until(origin)``; the
        later figures are the targets.
    design : Design
        :func:`scoring_design` of the full history.
    settings : BacktestSettings
        Sampler, window and scoring settings.
    model : ChainModel, optional
        An already fitted model for this origin (skips the fit; it must have been fitted on
        ``history.until(origin)`` up to the month before the origin).
    keep_model : bool
        Return the fitted model too (in memory only; a distributed run returns none).

    Returns
    -------
    OriginResult
        The scored forecasts of the model and every baseline, and the fit record.

    Raises
    ------
    ValueError
        When ``origin`` is not the first day of a month, or ``model`` does not end in the month
        before it.
    """
    origin = check_origin(origin)
    seed = origin_seed(settings.random_seed, origin)
    t0 = time.perf_counter()
    if model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitDiagnosticsWarning)  # recorded below, small fits fail the gate
            model = saved_or_fitted(history, origin, settings)
    fit_s = time.perf_counter() - t0
    expected_end = f"{origin_month(origin) - 1}"
    if model.settings.end != expected_end:
        raise ValueError(
            f"the model at origin {origin.date()} ends in {model.settings.end}, not {expected_end}"
        )
    targets = target_rows(design, origin, settings)
    cut = model.history
    samples = {
        MODEL: model_samples(
            model,
            design,
            targets,
            origin,
            seed,
            settings.max_horizon,
            anchored=settings.anchored,
            conditioned=settings.conditioned,
        )
    }
    samples.update(
        baseline_samples(
            history.until(origin),
            targets[list(TARGET_COLUMNS)],
            origin,
            settings.n_samples,
            np.random.default_rng([seed, 3]),
        )
    )
    rng = np.random.default_rng([seed, 5])
    frames = [score_frame(targets, m, samples[m], rng) for m in METHODS]
    diag = model.diagnostics
    fit = {
        ORIGIN: origin,
        "fit_start": model.settings.start,
        "fit_end": model.settings.end,
        "last_observation": cut.last_date,
        "last_input_start": cut.inputs[N.PERIOD_START].max(),
        "last_event_start": cut.events[N.EVENT_START].max() if len(cut.events) else pd.NaT,
        "input_vintage_hash": cut.input_vintage_hash,
        "fit_rows_last_end": model.design.rows[N.PERIOD_END].max(),
        "observations_used": len(model.design.rows),
        "targets": len(targets),
        "seed": seed,
        "diagnostics_passed": bool(diag.passed) if diag else False,
        "max_rhat": diag.max_rhat if diag else np.nan,
        "min_ess_bulk": diag.min_ess_bulk if diag else np.nan,
        "divergences": diag.divergences if diag else -1,
        "seconds": round(time.perf_counter() - t0, 1),
        "fit_seconds": round(fit_s, 1),
    }
    forecasts = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return OriginResult(origin, forecasts, fit, model if keep_model else None)


class _Progress:
    """One line per finished origin, and in a terminal a bar with the time left at the pace so far."""

    def __init__(self, total: int, shown: bool) -> None:
        self.total, self.done, self.t0, self.shown = total, 0, time.perf_counter(), shown
        self.bar = progress_bar(total, "backtest origins", None if shown else False, unit="origin")

    def report(self, result: OriginResult) -> None:
        self.done += 1
        self.bar.update(1)
        if not self.shown:
            return
        fit = result.fit
        verdict = "passed" if fit["diagnostics_passed"] else f"FAILED (max R-hat {fit['max_rhat']:.3f})"
        elapsed = time.perf_counter() - self.t0
        left = elapsed / self.done * (self.total - self.done)
        eta = f", about {left / 60:.0f} min left" if self.done < self.total else ""
        self.bar.write(
            f"  [{self.done}/{self.total}] origin {result.origin:%Y-%m}: {fit['targets']} figures scored, "
            f"fit {fit['fit_seconds']:.0f} s, total {fit['seconds']:.0f} s, diagnostics {verdict}{eta}",
            file=sys.stdout,
        )
        sys.stdout.flush()
        if self.done == self.total:
            self.bar.close()


def _on_client(
    client: Any,
    origins: list[pd.Timestamp],
    history: History,
    design: Design,
    settings: BacktestSettings,
    progress: bool,
) -> list[OriginResult]:
    from dask.distributed import as_completed  # installed: the caller has a dask Client

    h, d = client.scatter([history, design], broadcast=True)
    futures = [client.submit(run_origin, o, h, d, settings, pure=False) for o in origins]
    if progress:
        shown = _Progress(len(futures), progress)
        for future in as_completed(futures):
            shown.report(future.result())
    return client.gather(futures)


def backtest(
    origins: Iterable[Any] | None = None,
    history: History | None = None,
    *,
    settings: BacktestSettings | None = None,
    client: Any = None,
    parallel: bool = False,
    n_workers: int | None = None,
    keep_models: bool = False,
    progress: bool = False,
    **overrides: Any,
) -> BacktestResult:
    """Rolling-origin backtest of the chain model and the baselines.

    Parameters
    ----------
    origins : iterable of date-like, optional
        Forecast origins, first days of months (default :func:`default_origins`: every half year
        2017-01-01 .. 2024-07-01).
    history : History, optional
        The full history (default: the bundled one). Each origin sees ``history.until(origin)``.
    settings : BacktestSettings, optional
        Sampler, window and scoring settings (default ``BacktestSettings()``).
    client : dask.distributed.Client, optional
        Run the origins as tasks on this client (a real cluster).
    parallel : bool
        Without a client: run the origins on a local ``dask.distributed`` cluster (one worker
        process per origin, at most ``n_workers`` or the CPU count) instead of one by one here.
    n_workers : int, optional
        Workers of the local cluster.
    keep_models : bool
        Keep each origin's fitted model in :attr:`BacktestResult.models` (in-process runs only).
    progress : bool
        Print one line per finished origin (how many are done, figures scored, seconds,
        diagnostics verdict and the time left at the pace so far) and, in a terminal, a bar over
        the origins (:mod:`forecast.progress`).
    **overrides
        Fields of :class:`BacktestSettings` (``draws=150``, ``chains=2``, ...), replacing those of
        ``settings``.

    Returns
    -------
    BacktestResult
        The scored forecasts of every origin and method, one fit record per origin (sorted by
        origin), the settings used and the wall time.

    Raises
    ------
    ValueError
        For a bad origin, or ``keep_models`` with a client or ``parallel=True``.
    MissingExtraError
        Before any fit, when statsmodels (the ETS baseline; ``forecast[backtest]``) or, with
        ``parallel=True``, dask (``forecast[cluster]``) is not installed.
    """
    t0 = time.perf_counter()
    require("statsmodels", "backtest", "the ETS baseline of the backtests")
    if parallel and client is None:
        require("dask.distributed", "cluster", "a parallel backtest (parallel=True)")
    settings = settings or BacktestSettings()
    if overrides:
        settings = BacktestSettings(**{**asdict(settings), **overrides})
    origins = as_origins(origins)
    history = history if history is not None else load_history()
    design = scoring_design(history, origins, settings)
    if client is None and not parallel:
        results = []
        shown = _Progress(len(origins), progress)
        for o in origins:
            results.append(run_origin(o, history, design, settings, keep_model=keep_models))
            shown.report(results[-1])
    elif keep_models:
        raise ValueError("keep_models needs the in-process run (no client, parallel=False)")
    elif client is not None:
        results = _on_client(client, origins, history, design, settings, progress)
    else:
        from dask.distributed import Client, LocalCluster  # installed: checked on entry

        workers = n_workers or min(len(origins), os.cpu_count() or 1)
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                memory_limit=0,
            ) as cluster,
            Client(cluster) as own,
        ):
            results = _on_client(own, origins, history, design, settings, progress)
    results = sorted(results, key=lambda r: r.origin)
    forecasts = pd.concat([r.forecasts for r in results], ignore_index=True)
    fits = pd.DataFrame([r.fit for r in results])
    models = {r.origin: r.model for r in results if r.model is not None}
    return BacktestResult(forecasts, fits, settings, models, time.perf_counter() - t0)
