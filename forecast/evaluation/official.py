r"""The official forecast as a baseline: model vs the forecast of the time vs persistence.

A ministry modeller's first question is "how does this compare with the MPP?". This module answers it
on every official forecast of :func:`forecast.data.load_official_forecasts` (the MPP, budget, IND
planning and COA capacity decisions of 2014-2024) whose outcome the history holds.

For each official forecast :math:`f`, made on :math:`m_f`, of a target :math:`g_f`:

1. **The outcome** is a published figure of the full history (:func:`official_targets`):

   * ``total_inflow`` and ``first_applications`` (a year's total): the figure of that series over
     exactly the target period, from the first definition of :data:`OUTCOME_DEFINITIONS` that has
     one (the IND's count first, the definition the official forecasts use);
   * ``coa_places_needed`` (places at a date, planning buffer included): the COA occupancy (persons)
     nearest the date, at most :data:`STOCK_TOLERANCE_DAYS` days away; the official places are
     converted to persons with the planning occupancy rate in force at the date
     (:func:`forecast.model.planning_occupancy_rate`: persons = places x rate);
   * ``coa_statushouders`` (persons at a date): the COA count nearest the date, as above.

   A forecast whose outcome is not in the history (a later year, or no count near the date) is
   listed with the reason and not scored.
2. **The model** is fitted on what was known at the origin :math:`o_f`, the first day of the month
   of :math:`m_f` (:func:`forecast.evaluation.backtest.fit_at_origin`: ``history.until(o_f)``, so the
   model knows at most what the forecaster knew) and continued from there; the outcome figure is
   predicted through the model's observation model, its definition's bias and noise included
   (:func:`forecast.evaluation.backtest.model_samples`). A year that had begun at :math:`o_f` is
   predicted as the posterior of its known months plus the forecast of the rest, as the official
   in-year forecasts also knew the months behind them.
3. **Persistence** (:func:`forecast.evaluation.baselines.persistence_samples` at ``z = 0``, its
   median) continues the last figure of the outcome's series, definition and frequency known at
   :math:`o_f` (a year's total: the last year's).

Scores per forecast (:func:`score_official`): the absolute percentage error of the model's median,
of the official point (``mid``; the midpoint of ``low`` and ``high`` when only they are given; the
one value otherwise) and of the persistence median, and whether the model's central 80 % band and
the official bracket (``low`` .. ``high``, where the source gives both) held the outcome.
:meth:`OfficialComparison.summary` gives, per target, the median of each absolute percentage error
and the hit counts.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import atomic
from forecast import names as N
from forecast.data import History, load_history, load_official_forecasts
from forecast.evaluation.backtest import (
    BacktestSettings,
    fit_at_origin,
    model_samples,
    origin_seed,
)
from forecast.evaluation.baselines import persistence_samples
from forecast.model import FitDiagnosticsWarning, planning_occupancy_rate
from forecast.model.design import build_design

#: The observation series that holds each official target's outcome.
OUTCOME_SERIES: dict[str, str] = {
    N.FORECAST_TOTAL_INFLOW: "total_inflow",
    N.FORECAST_FIRST_APPLICATIONS: "first_applications",
    N.FORECAST_COA_PLACES_NEEDED: "coa_occupancy",
    N.FORECAST_COA_STATUSHOUDERS: "coa_statushouders",
}
#: The outcome's definitions, in order of preference: the IND's own counts first (the official
#: inflow forecasts are the IND's first + repeat + nareis applications), then the ministry's weekly
#: counter and CBS; for COA occupancy the persons in COA reception first.
OUTCOME_DEFINITIONS: dict[str, tuple[str, ...]] = {
    N.FORECAST_TOTAL_INFLOW: ("ind", "ministry_weekly", "cbs"),
    N.FORECAST_FIRST_APPLICATIONS: ("ind", "eurostat", "cbs", "aida"),
    N.FORECAST_COA_PLACES_NEEDED: ("coa_personen_in_opvang", "coa_recht_op_opvang", "coa_in_coa_locatie"),
    N.FORECAST_COA_STATUSHOUDERS: ("coa",),
}
#: Targets at a date (stocks): their outcome is the count nearest the date, at most this many days away.
STOCK_TARGETS = (N.FORECAST_COA_PLACES_NEEDED, N.FORECAST_COA_STATUSHOUDERS)
STOCK_TOLERANCE_DAYS = 15
#: The forecast months from each origin (the model is continued this far; a later target is not scored).
FORECAST_MONTHS = 24
#: The target dates compared: official targets whose period ends from 2016-01-01 to 2025-01-01 (a
#: stock on 1 January 2025 is the end of 2024); earlier ones were made before the model's fits could
#: start (the bundled history begins in 2014-01).
TARGET_DATES = (pd.Timestamp("2016-01-01"), pd.Timestamp("2025-01-01"))
#: The fewest fitted months before an origin (the shortest window the model forecasts from).
MIN_FIT_MONTHS = 24
#: The central band of the model whose hits are counted.
BAND = (0.1, 0.9)

#: The official forecast's columns kept in every row of :func:`official_targets`.
FORECAST_COLUMNS: tuple[str, ...] = (
    N.EDITION,
    N.MADE_ON,
    N.FORECAST_TARGET,
    N.TARGET_PERIOD_START,
    N.TARGET_PERIOD_END,
    N.LOW,
    N.MID,
    N.HIGH,
    N.UNIT,
    N.SOURCE_URL,
)


def origin_of(made_on: pd.Timestamp) -> pd.Timestamp:
    """The model's origin for an official forecast: the first day of the month it was made in.

    Parameters
    ----------
    made_on : pandas.Timestamp
        The date the official forecast was made.

    Returns
    -------
    pandas.Timestamp
        The first day of that month.

    Examples
    --------
    >>> origin_of(pd.Timestamp("2023-04-28"))
    Timestamp('2023-04-01 00:00:00')
    """
    return pd.Timestamp(made_on).to_period("M").to_timestamp()


def official_point(low: float, mid: float, high: float) -> tuple[float, str]:
    """The official point forecast and how it was read from the scenario values.

    Parameters
    ----------
    low, mid, high : float
        The source's scenario values (NaN where it gives none; at least one is given).

    Returns
    -------
    tuple of (float, str)
        ``mid`` (``"mid"``); else the midpoint of ``low`` and ``high`` (``"midpoint"``); else the
        one value given (``"low only"`` or ``"high only"``).

    Examples
    --------
    >>> official_point(float("nan"), 58000.0, float("nan"))
    (58000.0, 'mid')
    >>> official_point(48200.0, float("nan"), 55700.0)
    (51950.0, 'midpoint')
    """
    if np.isfinite(mid):
        return float(mid), "mid"
    if np.isfinite(low) and np.isfinite(high):
        return (float(low) + float(high)) / 2.0, "midpoint"
    if np.isfinite(high):
        return float(high), "high only"
    return float(low), "low only"


def _outcome(history: History, target: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
    obs = history.observations
    rows = obs[obs[N.SERIES] == OUTCOME_SERIES[target]]
    order = OUTCOME_DEFINITIONS[target]
    rows = rows[rows[N.DEFINITION].isin(order)]
    if target in STOCK_TARGETS:
        gap = (rows[N.PERIOD_END] - end).abs().dt.days
        rows = rows.assign(_gap=gap)[gap <= STOCK_TOLERANCE_DAYS]
    else:
        rows = rows[(rows[N.PERIOD_START] == start) & (rows[N.PERIOD_END] == end)].assign(_gap=0)
    if rows.empty:
        return None
    rank = rows[N.DEFINITION].map({d: i for i, d in enumerate(order)})
    best = rows.assign(_rank=rank).sort_values(["_gap", "_rank"], kind="stable").iloc[0]
    return best.drop(labels=["_gap", "_rank"])


def _months_between(a: pd.Timestamp, b: pd.Timestamp) -> int:
    """Calendar months from the month of ``a`` to the month of ``b``."""
    return (b.year - a.year) * 12 + (b.month - a.month)


def official_targets(
    history: History | None = None, official: pd.DataFrame | None = None, fit_start: str = "2014-01"
) -> pd.DataFrame:
    """Every official forecast with its outcome in the history, in persons.

    Parameters
    ----------
    history : History, optional
        The full history (default :func:`forecast.load_history`); its figures are the outcomes.
    official : pandas.DataFrame, optional
        Official forecasts as :func:`forecast.data.load_official_forecasts` returns them (default
        the bundled ones).
    fit_start : str, optional
        First month of the model's fits (``YYYY-MM``); an official forecast made less than
        :data:`MIN_FIT_MONTHS` months after it is not scored.

    Returns
    -------
    pandas.DataFrame
        One row per official forecast, in file order: the forecast's columns
        (:data:`FORECAST_COLUMNS`), ``origin`` (:func:`origin_of`), ``rate`` (the planning occupancy
        rate that converts places to persons; 1 for targets in persons), ``official_point``,
        ``official_low``, ``official_high`` (persons; NaN where the source gives none),
        ``point_from`` (:func:`official_point`), the outcome figure (``series``, ``definition``,
        ``period_start``, ``period_end``, ``observed``, ``quality``, ``source_file``, ``line``),
        and ``scored`` with ``reason`` (why a forecast without outcome is not scored).
    """
    history = history if history is not None else load_history()
    official = official if official is not None else load_official_forecasts()
    out = []
    for _, f in official.iterrows():
        target = f[N.FORECAST_TARGET]
        start, end = pd.Timestamp(f[N.TARGET_PERIOD_START]), pd.Timestamp(f[N.TARGET_PERIOD_END])
        row = {c: f[c] for c in FORECAST_COLUMNS}
        row["origin"] = origin_of(f[N.MADE_ON])
        rate = 1.0
        if target == N.FORECAST_COA_PLACES_NEEDED:
            rate = float(
                planning_occupancy_rate(history, pd.DatetimeIndex([start.to_period("M").to_timestamp()]))[0]
            )
        row["rate"] = rate
        point, point_from = official_point(f[N.LOW], f[N.MID], f[N.HIGH])
        row["official_point"] = point * rate
        row["official_low"] = f[N.LOW] * rate
        row["official_high"] = f[N.HIGH] * rate
        row["point_from"] = point_from
        hit = _outcome(history, target, start, end)
        months = _months_between(row["origin"], end) + 1
        fitted = _months_between(pd.Timestamp(f"{fit_start}-01"), row["origin"])
        if not TARGET_DATES[0] <= end <= TARGET_DATES[1]:
            reason = f"the target period ends outside {TARGET_DATES[0].date()}..{TARGET_DATES[1].date()}"
        elif fitted < MIN_FIT_MONTHS:
            reason = f"made {fitted} months after the model's first month, fewer than {MIN_FIT_MONTHS}"
        elif hit is None:
            reason = (
                f"no {OUTCOME_SERIES[target]} count within {STOCK_TOLERANCE_DAYS} days of {start.date()}"
                if target in STOCK_TARGETS
                else f"no {OUTCOME_SERIES[target]} figure for {start.date()}..{end.date()}"
            )
        elif months > FORECAST_MONTHS:
            reason = f"{months} months after the origin, beyond the {FORECAST_MONTHS} forecast months"
        else:
            reason = ""
        for col in (N.SERIES, N.DEFINITION, N.PERIOD_START, N.PERIOD_END, N.QUALITY, N.SOURCE_FILE, N.LINE):
            row[col] = hit[col] if hit is not None else None
        row["observed"] = float(hit[N.VALUE]) if hit is not None else np.nan
        row["scored"] = not reason
        row["reason"] = reason
        out.append(row)
    return pd.DataFrame(out)


def _outcome_history(history: History, targets: pd.DataFrame) -> History:
    """The full history's inputs and events with only the outcome figures as observations."""
    obs = history.observations
    keys = set(zip(targets[N.SOURCE_FILE], targets[N.LINE], strict=True))
    mask = [k in keys for k in zip(obs[N.SOURCE_FILE], obs[N.LINE], strict=True)]
    return History(obs[mask], history.input_vintages, history.events)


def predict_at_origin(
    history: History, targets: pd.DataFrame, origin: pd.Timestamp, settings: BacktestSettings
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Fit at ``origin`` and draw the model's and persistence's forecasts of the outcome figures.

    Parameters
    ----------
    history : History
        The full history.
    targets : pandas.DataFrame
        Scored rows of :func:`official_targets` with this origin.
    origin : pandas.Timestamp
        The first day of the month the official forecasts were made in.
    settings : BacktestSettings
        Sampler settings and seed of the fit (:func:`~forecast.evaluation.backtest.fit_at_origin`).

    Returns
    -------
    tuple of (ndarray, ndarray, dict)
        Natural-scale draws of the model ``(len(targets), chains x draws)``, the persistence point
        forecast (its median, ``(len(targets),)``), and the fit record (origin, window, input vintage
        hash, diagnostics, seconds).
    """
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitDiagnosticsWarning)  # recorded below
        model = fit_at_origin(history, origin, settings)
    fit_s = time.perf_counter() - t0
    last = max(
        pd.Timestamp(targets[N.PERIOD_END].max()).to_period("M"),
        origin.to_period("M") + FORECAST_MONTHS - 1,
    )
    design = build_design(_outcome_history(history, targets), settings.start, f"{last}")
    rows = design.rows.reset_index(drop=True)
    index = {k: i for i, k in enumerate(zip(rows[N.SOURCE_FILE], rows[N.LINE], strict=True))}
    missing = [k for k in zip(targets[N.SOURCE_FILE], targets[N.LINE], strict=True) if k not in index]
    if missing:
        raise ValueError(f"outcome figures {missing} are not rows of the model's design")
    frame = targets.assign(row=[index[k] for k in zip(targets[N.SOURCE_FILE], targets[N.LINE], strict=True)])
    seed = origin_seed(settings.random_seed, origin)
    model_draws = np.exp(model_samples(model, design, frame, origin, seed, FORECAST_MONTHS))
    frame = frame.assign(**{N.FREQUENCY: rows.loc[frame["row"], N.FREQUENCY].to_numpy()})
    point = np.exp(persistence_samples(history.until(origin), frame, origin, np.zeros(1)))[:, 0]
    diag = model.diagnostics
    fit = {
        "origin": origin,
        "fit_start": model.settings.start,
        "fit_end": model.settings.end,
        "input_vintage_hash": model.history.input_vintage_hash,
        "targets": len(targets),
        "seed": seed,
        "diagnostics_passed": bool(diag.passed),
        "max_rhat": diag.max_rhat,
        "divergences": diag.divergences,
        "fit_seconds": round(fit_s, 1),
    }
    return model_draws, point, fit


def score_official(targets: pd.DataFrame, model: np.ndarray, persistence: np.ndarray) -> pd.DataFrame:
    """Point errors and band hits of the model, the official forecast and persistence.

    Parameters
    ----------
    targets : pandas.DataFrame
        Scored rows of :func:`official_targets`.
    model : numpy.ndarray
        Natural-scale draws of the model per target, shape ``(len(targets), m)``.
    persistence : numpy.ndarray
        The persistence point forecast (median) per target, shape ``(len(targets),)``.

    Returns
    -------
    pandas.DataFrame
        ``targets`` with ``model_q10``, ``model_q50``, ``model_q90``, ``persistence_q50``, the
        absolute percentage errors ``ape_model``, ``ape_official`` and ``ape_persistence``
        (|point - observed| / observed), ``model_band_hit`` (the central 80 % band holds the
        outcome) and ``official_bracket_hit`` (``low <= observed <= high``; NaN without a bracket).

    Examples
    --------
    >>> t = pd.DataFrame({"observed": [100.0], "official_point": [120.0],
    ...                   "official_low": [90.0], "official_high": [110.0]})
    >>> s = score_official(t, np.full((1, 10), 100.0), np.array([80.0]))
    >>> s[["ape_model", "ape_official", "ape_persistence", "official_bracket_hit"]].round(2).values.tolist()
    [[0.0, 0.2, 0.2, 1.0]]
    """
    out = targets.copy()
    y = out["observed"].to_numpy(float)
    q10, q50, q90 = np.quantile(model, (BAND[0], 0.5, BAND[1]), axis=-1)
    out["model_q10"], out["model_q50"], out["model_q90"] = q10, q50, q90
    out["persistence_q50"] = np.asarray(persistence, dtype=float)
    out["ape_model"] = np.abs(q50 - y) / y
    out["ape_official"] = np.abs(out["official_point"].to_numpy(float) - y) / y
    out["ape_persistence"] = np.abs(out["persistence_q50"].to_numpy(float) - y) / y
    out["model_band_hit"] = ((q10 <= y) & (y <= q90)).astype(float)
    lo, hi = out["official_low"].to_numpy(float), out["official_high"].to_numpy(float)
    bracket = np.isfinite(lo) & np.isfinite(hi)
    out["official_bracket_hit"] = np.where(bracket, ((lo <= y) & (y <= hi)).astype(float), np.nan)
    return out


@dataclass
class OfficialComparison:
    """The model, the official forecasts and persistence on every official target with an outcome.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        :func:`score_official` of every scored official forecast.
    unscored : pandas.DataFrame
        The official forecasts without an outcome in the history, with the reason.
    fits : pandas.DataFrame
        One row per origin: the fit record of :func:`predict_at_origin`.
    settings : BacktestSettings
        The fits' settings.
    """

    forecasts: pd.DataFrame
    unscored: pd.DataFrame
    fits: pd.DataFrame
    settings: BacktestSettings = field(default_factory=BacktestSettings)

    def summary(self) -> pd.DataFrame:
        """Per target and in all: the median absolute percentage errors and the hits.

        Returns
        -------
        pandas.DataFrame
            Index: the targets, then ``all``. Columns ``n``, ``median_ape_model``,
            ``median_ape_official``, ``median_ape_persistence``, ``model_band_hits`` (outcomes
            inside the model's 80 % band), ``official_brackets`` (forecasts with a bracket) and
            ``official_bracket_hits``.
        """
        f = self.forecasts

        def one(g: pd.DataFrame) -> pd.Series:
            return pd.Series(
                {
                    "n": len(g),
                    "median_ape_model": g["ape_model"].median(),
                    "median_ape_official": g["ape_official"].median(),
                    "median_ape_persistence": g["ape_persistence"].median(),
                    "model_band_hits": int(g["model_band_hit"].sum()),
                    "official_brackets": int(g["official_bracket_hit"].notna().sum()),
                    "official_bracket_hits": int(g["official_bracket_hit"].sum()),
                }
            )

        rows = {t: one(g) for t, g in f.groupby(N.FORECAST_TARGET, sort=False)}
        rows["all"] = one(f)
        return pd.DataFrame(rows).T

    def save(self, directory: str | Path) -> None:
        """Write ``forecasts.csv``, ``unscored.csv``, ``fits.csv`` and ``summary.csv``, each atomically.

        Parameters
        ----------
        directory : str or Path
            The folder (created when missing).
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tables = {
            "forecasts.csv": self.forecasts,
            "unscored.csv": self.unscored,
            "fits.csv": self.fits,
            "summary.csv": self.summary().rename_axis(N.FORECAST_TARGET).reset_index(),
        }
        for name, table in tables.items():
            atomic.write_text(directory / name, table.to_csv(index=False))


def compare_with_official(
    history: History | None = None,
    official: pd.DataFrame | None = None,
    settings: BacktestSettings | None = None,
) -> OfficialComparison:
    """Fit at the month of every official forecast and score the model, the forecast and persistence.

    Parameters
    ----------
    history : History, optional
        The full history (default :func:`forecast.load_history`).
    official : pandas.DataFrame, optional
        Official forecasts (default the bundled ones, :func:`forecast.data.load_official_forecasts`).
    settings : BacktestSettings, optional
        Sampler settings and seed of each fit (default ``BacktestSettings()``: the model's, 4 chains x
        1000 draws, seed 2026).

    Returns
    -------
    OfficialComparison
        The scored forecasts, the ones without an outcome, and one fit record per origin.
    """
    history = history if history is not None else load_history()
    settings = settings or BacktestSettings()
    targets = official_targets(history, official, settings.start)
    scored = targets[targets["scored"]].reset_index(drop=True)
    frames, fits = [], []
    for origin, group in scored.groupby("origin", sort=True):
        model, pers, fit = predict_at_origin(history, group, pd.Timestamp(origin), settings)
        frames.append(score_official(group, model, pers))
        fits.append(fit)
    forecasts = (
        pd.concat(frames, ignore_index=True)
        if frames
        else score_official(scored, np.empty((0, 1)), np.empty(0))
    )
    forecasts = forecasts.sort_values([N.FORECAST_TARGET, N.TARGET_PERIOD_END, N.MADE_ON], kind="stable")
    return OfficialComparison(
        forecasts=forecasts.reset_index(drop=True),
        unscored=targets[~targets["scored"]].reset_index(drop=True),
        fits=pd.DataFrame(fits),
        settings=settings,
    )
