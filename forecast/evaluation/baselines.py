r"""Baseline forecasts for the backtests: what a forecaster without the chain model would say.

Every baseline sees only the history known at the forecast origin (a :meth:`forecast.History.until`
cut) and forecasts the same target rows as the model: one observed figure of one series and
definition over one period (a flow) or at one date (a stock). Each returns ``n`` predictive draws
per target on the **log scale**, so that the model and the baselines are scored by the same
sample-based scores (:mod:`forecast.evaluation.scores`). All time gaps are in months of
:data:`forecast.names.MONTH_DAYS` days.

``persistence`` (random walk)
    The last observed figure of the same series and definition (for a flow: of the same frequency
    if there is one, as a rate per month times the target's length), with a log-normal spread that
    grows like a random walk:

    .. math::

        \log \hat y = \log y_{\text{last}} + \sigma\sqrt{g}\,z, \qquad
        \hat\sigma^2 = \frac1K \sum_{k} \frac{(\Delta \log y_k)^2}{g_k},

    ``g`` the months from the last figure to the target's end, the sum over consecutive figures of
    the same series, definition (and frequency) in the ten years before the origin (pooled over the
    series' definitions when there are fewer than two pairs; :data:`DEFAULT_SIGMA` when even the
    pooled pairs are fewer than two).

``seasonal_naive`` (flows only)
    The same period one year earlier (or ``k`` years earlier, the most recent one known at the
    origin) of the same series, definition and frequency, with the spread of a seasonal random
    walk: :math:`\log \hat y = \log y_{t-12k} + \sigma_s \sqrt{k}\, z`, :math:`\hat\sigma_s^2` the
    mean squared year-on-year log change. NaN for stocks and where no such period was observed.

``ets``
    For flows: a local-level model with a fixed monthly seasonal pattern on the log of the monthly
    figures (statsmodels ``UnobservedComponents(level="llevel", seasonal=12,
    stochastic_seasonal=False)``, i.e. simple exponential smoothing with additive seasonality,
    ETS(A,N,A) with a fixed season; the local level is ARIMA(0,1,1) in reduced form), fitted by
    maximum likelihood on the series' own history in the ten years before the origin
    (:func:`monthly_log_rates`: each month the finest figure covering it, as a rate per month, from
    the target's definition, else the reference definition, else another one; the published monthly
    figures alone are scattered months; months without any figure are missing values of the Kalman
    filter). At least :data:`MIN_MONTHLY` months must be known, and 36 for the seasonal part.
    Predictive paths are simulated from the month before the origin and summed over each target
    period: :math:`\hat y = \sum_t w_t \exp(\ell_t)`, ``w_t`` the share of month ``t`` in the period.
    For stocks (irregular dates): a random walk **with drift** in log on the observed points,
    :math:`\log \hat y = \log y_{\text{last}} + \hat\beta g + \sigma\sqrt g\, z`, the drift
    :math:`\hat\beta` the least-squares slope of the log figures of the last 24 months (zero with
    fewer than three figures there) - the trend extrapolation a planner would draw.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.data import History
from forecast.extras import require
from forecast.model.mapping import MAPPING

PERSISTENCE = "persistence"
SEASONAL_NAIVE = "seasonal_naive"
ETS = "ets"
#: The baselines, in the order of the tables.
BASELINES: tuple[str, ...] = (PERSISTENCE, SEASONAL_NAIVE, ETS)

#: Random-walk sd of the log per sqrt(month) when a series has no history to estimate it from.
DEFAULT_SIGMA = 0.1
#: Year-on-year sd of the log when a series has no two figures a year apart.
DEFAULT_SEASONAL_SIGMA = 0.3
#: Only the figures of the last this many years before the origin estimate a spread or fit a model.
WINDOW_YEARS = 10
#: The fewest months with a known figure (of any frequency) the ETS baseline is fitted on.
MIN_MONTHLY = 24
#: The drift of the stock baseline is the slope of the log figures of this many months before the last one.
DRIFT_MONTHS = 24
#: Months of ETS paths simulated from the origin on (longer when a target ends later).
ETS_MONTHS = 24
#: Smallest gap (months) between two figures that enters a spread estimate (revisions of one date are not
#: changes).
MIN_GAP = 0.25

#: The columns a target frame needs.
TARGET_COLUMNS = (N.SERIES, N.DEFINITION, N.FREQUENCY, N.PERIOD_START, N.PERIOD_END)


def reference_definition(series: str) -> str | None:
    """The definition the chain model's latent quantity is defined by (bias 0), or None.

    Parameters
    ----------
    series : str
        An observation series, e.g. ``"first_applications"``.

    Returns
    -------
    str or None
        The reference definition of the series in :data:`forecast.model.mapping.MAPPING` (e.g.
        ``"ind"`` for first applications), or None when the series has none.
    """
    for (s, d), m in MAPPING.items():
        if s == series and m[3]:
            return d
    return None


def _months(delta: pd.Timedelta | np.ndarray) -> np.ndarray | float:
    return np.asarray(pd.to_timedelta(delta) / pd.Timedelta(days=1)) / N.MONTH_DAYS


def _length(ps: pd.Series | pd.Timestamp, pe: pd.Series | pd.Timestamp) -> np.ndarray | float:
    """Length of a period in months (inclusive end)."""
    return _months(pe - ps + pd.Timedelta(days=1))


def _log_figure(rows: pd.DataFrame, flow: bool) -> np.ndarray:
    """Log of each figure: of the rate per month for a flow, of the value for a stock."""
    v = np.log(rows[N.VALUE].to_numpy(float))
    if flow:
        v = v - np.log(_length(rows[N.PERIOD_START], rows[N.PERIOD_END]))
    return v


def _is_flow(series: str) -> bool:
    return N.OBSERVATION_SERIES[series].kind == N.FLOW


def _log_scaled(figure: pd.Series, target: pd.Series) -> float:
    """Log of a flow's figure scaled from the length of its period to that of the target's."""
    loc = float(np.log(figure[N.VALUE]))
    loc += float(np.log(_length(target[N.PERIOD_START], target[N.PERIOD_END])))
    loc -= float(np.log(_length(figure[N.PERIOD_START], figure[N.PERIOD_END])))
    return loc


class _Known:
    """The observations of the scored series known at the origin, positive values only."""

    def __init__(self, history: History, origin: pd.Timestamp) -> None:
        obs = history.observations
        obs = obs[(obs[N.PERIOD_END] <= origin) & (obs[N.VALUE] > 0)]
        self.origin = origin
        self.window_start = origin - pd.DateOffset(years=WINDOW_YEARS)
        self.rows = obs.sort_values([N.PERIOD_END, N.PERIOD_START]).reset_index(drop=True)
        self._cache: dict = {}

    def of(self, series: str, definition: str | None = None, frequency: str | None = None) -> pd.DataFrame:
        r = self.rows[self.rows[N.SERIES] == series]
        if definition is not None:
            r = r[r[N.DEFINITION] == definition]
        if frequency is not None:
            r = r[r[N.FREQUENCY] == frequency]
        return r

    def memo(self, key: tuple, make: Callable[[], object]) -> object:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def _rw_pairs(rows: pd.DataFrame, flow: bool, window_start: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Log changes and gaps (months) of consecutive figures (per frequency for flows)."""
    rows = rows[rows[N.PERIOD_END] >= window_start]
    d, g = [], []
    groups = rows.groupby(N.FREQUENCY) if flow else [(None, rows)]
    for _, r in groups:
        r = r.sort_values(N.PERIOD_END)
        if len(r) < 2:
            continue
        x = _log_figure(r, flow)
        gap = _months(r[N.PERIOD_END].diff().iloc[1:].to_numpy())
        ok = gap >= MIN_GAP
        d.append(np.diff(x)[ok])
        g.append(gap[ok])
    if not d:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(d), np.concatenate(g)


def random_walk_sigma(known: _Known, series: str, definition: str) -> float:
    """Random-walk sd of the log per sqrt(month) of one series and definition (pooled if too few).

    Parameters
    ----------
    known : _Known
        The positive observations known at the origin (period end on or before it), with the start
        of the :data:`WINDOW_YEARS` window and a per-origin cache.
    series : str
        An observation series.
    definition : str
        Its definition code.

    Returns
    -------
    float
        ``sqrt(mean(d**2 / g))``, ``d`` the log change between consecutive figures (of one frequency,
        rates per month, for a flow) in the window and ``g`` their gap in months (at least
        :data:`MIN_GAP`); pooled over the series' definitions when the definition has fewer than two
        pairs, and :data:`DEFAULT_SIGMA` when the pooled pairs are fewer than two.
    """

    def make() -> float:
        flow = _is_flow(series)
        d, g = _rw_pairs(known.of(series, definition), flow, known.window_start)
        if len(d) < 2:
            parts = [
                _rw_pairs(known.of(series, dd), flow, known.window_start)
                for dd in known.of(series)[N.DEFINITION].unique()
            ]
            d = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
            g = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
        if len(d) < 2:
            return DEFAULT_SIGMA
        return float(np.sqrt(np.mean(d**2 / g)))

    return float(known.memo(("rw_sigma", series, definition), make))


def _seasonal_pairs(rows: pd.DataFrame, window_start: pd.Timestamp) -> np.ndarray:
    rows = rows[rows[N.PERIOD_END] >= window_start]
    key = {
        (f, ps.to_period("M"), pe.to_period("M")): np.log(v)
        for f, ps, pe, v in zip(
            rows[N.FREQUENCY], rows[N.PERIOD_START], rows[N.PERIOD_END], rows[N.VALUE], strict=True
        )
    }
    d = [v - key[(f, a - 12, b - 12)] for (f, a, b), v in key.items() if (f, a - 12, b - 12) in key]
    return np.asarray(d, dtype=float)


def seasonal_sigma(known: _Known, series: str, definition: str) -> float:
    """Year-on-year sd of the log of one series and definition (pooled over definitions if too few).

    Parameters
    ----------
    known : _Known
        The positive observations known at the origin (period end on or before it), with the start
        of the :data:`WINDOW_YEARS` window and a per-origin cache.
    series : str
        An observation series (a flow).
    definition : str
        Its definition code.

    Returns
    -------
    float
        The root mean square of the log change between figures of one frequency whose periods lie
        exactly twelve months apart, in the window; pooled over definitions when fewer than two,
        and :data:`DEFAULT_SEASONAL_SIGMA` when the pooled changes are fewer than two.
    """

    def make() -> float:
        d = _seasonal_pairs(known.of(series, definition), known.window_start)
        if len(d) < 2:
            d = np.concatenate(
                [
                    _seasonal_pairs(known.of(series, dd), known.window_start)
                    for dd in known.of(series)[N.DEFINITION].unique()
                ]
                or [np.zeros(0)]
            )
        return float(np.sqrt(np.mean(d**2))) if len(d) >= 2 else DEFAULT_SEASONAL_SIGMA

    return float(known.memo(("seasonal_sigma", series, definition), make))


# ------------------------------------------------------------------------------------------ persistence
def _own_rows(known: _Known, series: str, definition: str) -> pd.DataFrame:
    """The figures of the definition; when it has none yet (a definition first published after the
    origin), those of the definition of the series' latest figure: a forecaster uses what there is,
    but never mixes the levels of two definitions in one random walk or trend."""
    rows = known.of(series, definition)
    if len(rows):
        return rows
    rows = known.of(series)
    return rows[rows[N.DEFINITION] == rows[N.DEFINITION].iloc[-1]] if len(rows) else rows


def _last_figure(known: _Known, target: pd.Series) -> pd.Series | None:
    rows = _own_rows(known, target[N.SERIES], target[N.DEFINITION])
    if _is_flow(target[N.SERIES]):
        same = rows[rows[N.FREQUENCY] == target[N.FREQUENCY]]
        rows = same if len(same) else rows
    if rows.empty:
        return None
    last = rows[rows[N.PERIOD_END] == rows[N.PERIOD_END].max()]
    span = last[N.PERIOD_END] - last[N.PERIOD_START]
    return last.loc[span.idxmin()]


def persistence(known: _Known, target: pd.Series, z: np.ndarray) -> np.ndarray:
    """Log draws of the persistence (random walk) baseline for one target (NaN if nothing is known).

    Parameters
    ----------
    known : _Known
        The positive observations known at the origin (period end on or before it), with the start
        of the :data:`WINDOW_YEARS` window and a per-origin cache.
    target : pandas.Series
        One target row with the columns of :data:`TARGET_COLUMNS`.
    z : numpy.ndarray
        Standard normal draws, shape ``(n,)``; shared by the baselines of one target.

    Returns
    -------
    numpy.ndarray
        Shape of ``z``: ``log y_last + sigma sqrt(g) z`` (a flow's last figure scaled to the
        target's length; ``g`` the months to the target's end, at least 1); all NaN when no figure
        of the series is known.
    """
    last = _last_figure(known, target)
    if last is None:
        return np.full(z.shape, np.nan)
    loc = _log_scaled(last, target) if _is_flow(target[N.SERIES]) else float(np.log(last[N.VALUE]))
    gap = max(float(_months(target[N.PERIOD_END] - last[N.PERIOD_END])), 1.0)
    sigma = random_walk_sigma(known, target[N.SERIES], target[N.DEFINITION])
    return loc + sigma * np.sqrt(gap) * z


# ------------------------------------------------------------------------------------------ seasonal naive
def seasonal_naive(known: _Known, target: pd.Series, z: np.ndarray) -> np.ndarray:
    """Log draws of the seasonal naive baseline (same period ``k`` years before; NaN for stocks).

    Parameters
    ----------
    known : _Known
        The positive observations known at the origin (period end on or before it), with the start
        of the :data:`WINDOW_YEARS` window and a per-origin cache.
    target : pandas.Series
        One target row with the columns of :data:`TARGET_COLUMNS`.
    z : numpy.ndarray
        Standard normal draws, shape ``(n,)``; shared by the baselines of one target.

    Returns
    -------
    numpy.ndarray
        Shape of ``z``: the log of the same period ``k`` years earlier (``k`` up to
        :data:`WINDOW_YEARS`, the most recent; the target's definition first, else another) plus
        ``sigma_s sqrt(k) z``; all NaN for a stock or when no such period is known.
    """
    series, definition = target[N.SERIES], target[N.DEFINITION]
    if not _is_flow(series):
        return np.full(z.shape, np.nan)
    a, b = target[N.PERIOD_START].to_period("M"), target[N.PERIOD_END].to_period("M")
    others = [d for d in known.of(series)[N.DEFINITION].unique() if d != definition]
    for d in (definition, *others):  # the same definition first; else another one with that period
        rows = known.of(series, d, target[N.FREQUENCY])
        ps = rows[N.PERIOD_START].dt.to_period("M")
        pe = rows[N.PERIOD_END].dt.to_period("M")
        for k in range(1, WINDOW_YEARS + 1):
            hit = rows[(ps == a - 12 * k) & (pe == b - 12 * k)]
            if len(hit):
                loc = _log_scaled(hit.iloc[-1], target)
                return loc + seasonal_sigma(known, series, d) * np.sqrt(k) * z
    return np.full(z.shape, np.nan)


# ------------------------------------------------------------------------------------------ ETS
def monthly_log_rates(known: _Known, series: str, definitions: Sequence[str]) -> pd.Series:
    """Log figures per month of a flow series in the window before the origin (NaN where none is known).

    Each month takes the finest figure covering it (a monthly figure; else a quarter's, half-year's or
    year's as a rate per month), from the first of ``definitions`` that has one: the published monthly
    figures alone are scattered months (the bundled IND first applications have about five a year).

    Parameters
    ----------
    known : _Known
        The positive observations known at the origin (period end on or before it), with the start
        of the :data:`WINDOW_YEARS` window and a per-origin cache.
    series : str
        A flow series.
    definitions : sequence of str
        Definition codes in order of preference.

    Returns
    -------
    pandas.Series
        Indexed by monthly ``pandas.Period`` from the window start to the month before the origin:
        the log of the figure per month, NaN for months that no figure covers.
    """
    first = known.window_start.to_period("M")
    index = pd.period_range(first, known.origin.to_period("M") - 1, freq="M")
    out = pd.Series(np.nan, index=index)
    for d in definitions:
        rows = known.of(series, d)
        rows = rows[rows[N.PERIOD_END] >= known.window_start]
        rows = rows.assign(_span=rows[N.PERIOD_END] - rows[N.PERIOD_START]).sort_values("_span")
        for ps, pe, rate in zip(
            rows[N.PERIOD_START], rows[N.PERIOD_END], _log_figure(rows, flow=True), strict=True
        ):
            months = pd.period_range(max(ps.to_period("M"), first), pe.to_period("M"), freq="M")
            fill = [m for m in months if m in out.index and np.isnan(out[m])]
            out.loc[fill] = rate
    return out


def _monthly_ets_paths(
    known: _Known, series: str, definition: str, months: int, n: int, rng: np.random.Generator
) -> np.ndarray | None:
    """``(months, n)`` simulated log monthly figures from the origin month on, or None (too few figures)."""
    others = list(known.of(series)[N.DEFINITION].unique())
    order = [d for d in dict.fromkeys((definition, reference_definition(series), *others)) if d is not None]
    y = monthly_log_rates(known, series, order)
    y = y.loc[y.first_valid_index() :] if y.notna().any() else y
    if y.notna().sum() < MIN_MONTHLY:
        return None
    structural = require(
        "statsmodels.tsa.statespace.structural", "backtest", "the ETS baseline of the backtests"
    )
    UnobservedComponents = structural.UnobservedComponents

    seasonal = 12 if len(y) >= 36 else None
    model = UnobservedComponents(
        y.to_numpy(), level="llevel", seasonal=seasonal, stochastic_seasonal=not seasonal
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser; the fit is still usable
        res = model.fit(disp=False)
        sims = res.simulate(nsimulations=months, repetitions=n, anchor="end", rng=rng)
    # the path starts after the last month of y, which is the month before the origin
    return np.asarray(sims).reshape(months, n)


def _month_weights(origin: pd.Timestamp, ps: pd.Timestamp, pe: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Month offsets from the origin month and the share of each month inside [ps, pe]."""
    months = pd.period_range(ps.to_period("M"), pe.to_period("M"), freq="M")
    idx, w = [], []
    for m in months:
        m0, m1 = m.start_time.normalize(), m.end_time.normalize()
        overlap = (min(m1, pe) - max(m0, ps)).days + 1
        idx.append((m - origin.to_period("M")).n)
        w.append(max(overlap, 0) / m.days_in_month)
    return np.asarray(idx), np.asarray(w)


def ets(known: _Known, target: pd.Series, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Log draws of the ETS baseline (flows) or the log random walk with drift (stocks).

    Parameters
    ----------
    known : _Known
        The positive observations known at the origin (period end on or before it), with the start
        of the :data:`WINDOW_YEARS` window and a per-origin cache.
    target : pandas.Series
        One target row with the columns of :data:`TARGET_COLUMNS`.
    z : numpy.ndarray
        Standard normal draws, shape ``(n,)``; used for stocks (for flows only their number).
    rng : numpy.random.Generator
        Generator of the simulated ETS paths (shared by the targets of one origin).

    Returns
    -------
    numpy.ndarray
        Shape ``(n,)``, log scale: for a flow, the log of the simulated monthly figures summed over
        the target period; for a stock, ``log y_last + beta g + sigma sqrt(g) z``. All NaN when
        nothing is known, a flow target starts before the origin month, or fewer than
        :data:`MIN_MONTHLY` months are known.
    """
    series, definition = target[N.SERIES], target[N.DEFINITION]
    if not _is_flow(series):
        rows = _own_rows(known, series, definition)
        if rows.empty:
            return np.full(z.shape, np.nan)
        last = rows.iloc[-1]
        recent = rows[rows[N.PERIOD_END] >= last[N.PERIOD_END] - pd.DateOffset(months=DRIFT_MONTHS)]
        slope = 0.0
        if len(recent) >= 3:
            t = _months(recent[N.PERIOD_END] - last[N.PERIOD_END])
            slope = float(np.polyfit(t, np.log(recent[N.VALUE].to_numpy(float)), 1)[0])
        gap = max(float(_months(target[N.PERIOD_END] - last[N.PERIOD_END])), 1.0)
        sigma = random_walk_sigma(known, series, definition)
        return float(np.log(last[N.VALUE])) + slope * gap + sigma * np.sqrt(gap) * z
    idx, w = _month_weights(known.origin, target[N.PERIOD_START], target[N.PERIOD_END])
    if idx.min() < 0:
        return np.full(z.shape, np.nan)
    months = max(int(idx.max()) + 1, ETS_MONTHS)
    paths = known.memo(
        ("ets", series, definition, months),
        lambda: _monthly_ets_paths(known, series, definition, months, z.shape[-1], rng),
    )
    if paths is None:
        return np.full(z.shape, np.nan)
    return np.log(np.sum(w[:, None] * np.exp(paths[idx]), axis=0))


# ------------------------------------------------------------------------------------------ all baselines
def baseline_samples(
    history: History,
    targets: pd.DataFrame,
    origin: pd.Timestamp | str,
    n: int = 1000,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """Log predictive draws of every baseline for every target row.

    Parameters
    ----------
    history : History
        The history known at the origin (``full.until(origin)``); later figures are ignored anyway.
    targets : pandas.DataFrame
        One row per target with the columns of :data:`TARGET_COLUMNS`; flows must start on or after
        the origin.
    origin : date-like
        The forecast origin (the first day of a month).
    n : int
        Draws per target.
    rng : numpy.random.Generator, optional
        Seeded generator (default seed 0).

    Returns
    -------
    dict of str to ndarray
        ``{baseline: (len(targets), n)}`` on the log scale; rows of NaN where a baseline has
        nothing to go on.
    """
    origin = pd.Timestamp(origin)
    rng = rng if rng is not None else np.random.default_rng(0)
    known = _Known(history, origin)
    out = {b: np.full((len(targets), n), np.nan) for b in BASELINES}
    # one ETS generator per origin, independent of the target order's effect on the other draws
    ets_rng = np.random.default_rng(rng.integers(2**63))
    for i, (_, t) in enumerate(targets.reset_index(drop=True).iterrows()):
        z = rng.standard_normal(n)
        out[PERSISTENCE][i] = persistence(known, t, z)
        out[SEASONAL_NAIVE][i] = seasonal_naive(known, t, z)
        out[ETS][i] = ets(known, t, z, ets_rng)
    return out


def persistence_samples(
    history: History, targets: pd.DataFrame, origin: pd.Timestamp | str, z: np.ndarray
) -> np.ndarray:
    """Log draws of the persistence baseline alone, for targets that may have begun before the origin.

    Unlike :func:`baseline_samples`, a flow target may have begun before the origin (an official
    in-year forecast): persistence continues the last figure of the same frequency whatever the
    target's start. ``z = 0`` gives the point forecast (the median) exactly.

    Parameters
    ----------
    history : History
        The history known at the origin (``full.until(origin)``).
    targets : pandas.DataFrame
        One row per target with the columns of :data:`TARGET_COLUMNS`.
    origin : date-like
        The forecast origin.
    z : numpy.ndarray
        Standard normal draws, shape ``(n,)``, shared by every target.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(targets), n)`` on the log scale; a row of NaN where nothing is known.
    """
    z = np.asarray(z, dtype=float)
    known = _Known(history, pd.Timestamp(origin))
    rows = [persistence(known, t, z) for _, t in targets.reset_index(drop=True).iterrows()]
    return np.stack(rows) if rows else np.empty((0, z.size))
