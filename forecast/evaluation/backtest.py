r"""Rolling-origin backtests: would the model have forecast what happened next?

For every forecast origin :math:`o` (by default every half year from 2017-01-01 to 2024-07-01,
:func:`default_origins`) the chain model is fitted on **what was known at** :math:`o` only
(:meth:`forecast.History.until`, leak-free: observations with ``period_end <= o``, inputs announced by
then, events started by then with unknown ends blanked), on the months 2014-01 to the month before
:math:`o`. It is then continued under the policy in force (:meth:`ChainModel.forward
<forecast.model.ChainModel.forward>`, no new measure) for :data:`BacktestSettings.max_horizon`
months and compared with every figure of the **full** history that was published later.

Like with like
--------------
A published figure is not a latent quantity: it has its own definition (CBS persons vs IND counts,
COA "recht op opvang" vs "personen in opvang"), its own period or date, and noise by its quality
flag. The backtest therefore predicts each figure through the model's own observation model
(:mod:`forecast.model.design`, :func:`forecast.model.build.row_predictions`):

1. :func:`scoring_design` maps every figure of the full history onto the monthly grid from
   ``start`` to the last origin plus the horizon (one design for all origins, so every origin is
   scored on the same figures). Each used row :math:`i` measures a sum
   :math:`a_i = \sum_e w_e Z_{k_e}` of the latent vector
   :math:`Z = [\text{flows}\ (F T),\ \text{stocks with their initial state}\ (S (T + 1))]`.
2. :func:`continued_latents` builds that vector per posterior draw: the fitted months
   (:meth:`ChainModel.latents <forecast.model.ChainModel.latents>`), then the forecast months
   (:meth:`Forward.simulate <forecast.model.Forward.simulate>`), then zeros up to the design's end
   (rows there are beyond the horizon and never scored). The layout depends only on the grid start
   and length, so the fitted months reproduce the fit's own row predictions exactly (a test checks).
3. Each figure's predictive draw is :math:`g^{-1}(\mu_i + s_i\,t_\nu)` with
   :math:`\mu_i = \log a_i + b_{d(i)}` (the definition's bias :math:`b`, 0 for the reference
   definition) and :math:`s_i^2 = \sigma_{\text{type}}^2 + \epsilon_{q(i)}^2` (learned discrepancy
   plus quality noise), exactly the fit's likelihood. A definition first published after the
   origin (e.g. Eurostat's IND backlog from 2022) has no posterior bias: its bias is drawn from
   its prior.

Targets
-------
The used, non-residual rows of the series in :data:`SCORED_SERIES` (every definition) whose latent
months all lie at or after the origin month (a flow period that straddles the origin is partly
known and is not scored) and whose **horizon** :math:`h` is between ``min_horizon`` and
``max_horizon`` months, where :math:`h` counts the months from the origin month to the last latent
month the figure measures, inclusive (a monthly flow for the origin month has :math:`h = 1`; a
stock dated 31 March for a 1 January origin has :math:`h = 3`). Figures that the design drops as
nested in finer figures of the same definition, and residual rows (a coarse figure minus its finer
rows), are not scored.

Scores and baselines
--------------------
Per target and method (the model and the baselines of :mod:`forecast.evaluation.baselines`), from
predictive draws on the log scale (:mod:`forecast.evaluation.scores`): the CRPS (log scale, the
headline; natural scale too), the pinball loss of the 90 % quantile (under-forecasting reception
need is the costlier error), the PIT value and whether the central 50/80/95 % intervals hold the
figure. :meth:`BacktestResult.scores` aggregates them per series, horizon bucket
(:data:`BUCKETS`) and method.

Parallel
--------
Each origin is one independent task (:func:`run_origin`), seeded from the run's seed and the
origin's date alone (:func:`origin_seed`), so the result does not depend on where or in which
order the origins run: :func:`backtest` runs them in this process one after the other (default),
on a local ``dask.distributed`` cluster (``parallel=True``), or on a user's ``Client`` (a real
cluster), with equal results.
"""

from __future__ import annotations

import io
import os
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import atomic
from forecast import names as N
from forecast.data import History, load_history
from forecast.evaluation import scores as S
from forecast.evaluation.baselines import BASELINES, SEASONAL_NAIVE, TARGET_COLUMNS, baseline_samples
from forecast.extras import require
from forecast.model import ChainModel, FitDiagnosticsWarning, ModelSettings, Thresholds
from forecast.model import build as B
from forecast.model import dynamics as dyn
from forecast.model.design import Design, build_design

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# --------------------------------------------------------------------------- names (columns)
ORIGIN = "origin"
HORIZON = "horizon"
BUCKET = "horizon_bucket"
METHOD = "method"
OBSERVED = "observed"
REFERENCE = "reference"
ROW = "row"
MODEL = "model"
#: Every method of the tables: the chain model, then the baselines.
METHODS: tuple[str, ...] = (MODEL, *BASELINES)

CRPS_LOG = "crps_log"
CRPS = "crps"
PINBALL = "pinball90_log"
PIT = "pit"
#: Coverage column per central interval level (1.0 inside, 0.0 outside).
COVER = {level: f"cover_{round(level * 100)}" for level in S.LEVELS}
#: Predictive quantiles kept per target and method (natural scale).
QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


def quantile_column(q: float) -> str:
    """Column of a predictive quantile: ``q50`` for the median, ``q2.5`` for the 2.5 % quantile.

    Parameters
    ----------
    q : float
        The quantile level in (0, 1).

    Returns
    -------
    str
        ``"q"`` followed by the level in percent, without trailing zeros.

    Examples
    --------
    >>> quantile_column(0.025), quantile_column(0.5)
    ('q2.5', 'q50')
    """
    return f"q{100 * q:g}"


#: The series whose later figures the backtest scores: instroom, nareis, the IND backlog, reception
#: need (COA occupancy) and the statushouders in COA.
SCORED_SERIES: tuple[str, ...] = (
    "first_applications",
    "nareis",
    "ind_backlog",
    "coa_occupancy",
    "coa_statushouders",
)
#: Horizon buckets (months, inclusive).
BUCKETS: tuple[tuple[int, int], ...] = ((3, 6), (7, 12), (13, 24))
#: The fewest months a forecast runs (:class:`~forecast.model.Forward` builds the inputs of the forecast
#: window with :func:`~forecast.model.design.build_inputs`, which needs at least 24 months).
MIN_FORECAST_MONTHS = 24
DEFAULT_FIRST_ORIGIN = "2017-01-01"
DEFAULT_LAST_ORIGIN = "2024-07-01"
DEFAULT_STEP_MONTHS = 6

#: Issue #6's targets: 80 % intervals cover 70-90 % of held-out figures at 6-12 months (every series);
#: at 12 months (bucket 7-12) the model's CRPS beats every baseline for these series.
TARGET_COVERAGE_HORIZONS = (6, 12)
TARGET_COVERAGE_RANGE = (0.70, 0.90)
TARGET_CRPS_BUCKET = "7-12"
TARGET_CRPS_SERIES = ("coa_occupancy", "first_applications")


def bucket_label(lo: int, hi: int) -> str:
    """Label of a horizon bucket, ``"7-12"``.

    Parameters
    ----------
    lo : int
        First horizon of the bucket (months, inclusive).
    hi : int
        Last horizon of the bucket (months, inclusive).

    Returns
    -------
    str
        ``"<lo>-<hi>"``.
    """
    return f"{lo}-{hi}"


def horizon_bucket(horizon: int, buckets: Sequence[tuple[int, int]] = BUCKETS) -> str | None:
    """The bucket label of a horizon in months (None outside every bucket).

    Parameters
    ----------
    horizon : int
        Months from the origin month to the last month a figure measures, inclusive.
    buckets : sequence of tuple of (int, int), optional
        Horizon buckets ``(lo, hi)`` in months, inclusive; default :data:`BUCKETS`.

    Returns
    -------
    str or None
        :func:`bucket_label` of the first bucket that holds ``horizon``, or None.

    Examples
    --------
    >>> horizon_bucket(6), horizon_bucket(13), horizon_bucket(2)
    ('3-6', '13-24', None)
    """
    for lo, hi in buckets:
        if lo <= horizon <= hi:
            return bucket_label(lo, hi)
    return None


def default_origins(
    first: str | pd.Timestamp = DEFAULT_FIRST_ORIGIN,
    last: str | pd.Timestamp = DEFAULT_LAST_ORIGIN,
    step_months: int = DEFAULT_STEP_MONTHS,
) -> list[pd.Timestamp]:
    """Forecast origins (first days of months) every ``step_months`` from ``first`` to ``last``.

    Parameters
    ----------
    first : str or pandas.Timestamp, optional
        The first origin; any day stands for its month (default 2017-01-01).
    last : str or pandas.Timestamp, optional
        The last possible origin, inclusive; any day stands for its month (default 2024-07-01).
    step_months : int, optional
        Months between origins (default 6).

    Returns
    -------
    list of pandas.Timestamp
        The first days of the months ``first``, ``first + step_months``, ... up to ``last``.

    Raises
    ------
    ValueError
        When ``step_months`` is less than 1.

    Examples
    --------
    >>> [f"{o:%Y-%m-%d}" for o in default_origins("2017-01-01", "2018-01-01")]
    ['2017-01-01', '2017-07-01', '2018-01-01']
    >>> len(default_origins())
    16
    """
    if step_months < 1:
        raise ValueError(f"step_months must be at least 1, got {step_months}")
    a = pd.Period(pd.Timestamp(first), "M")
    b = pd.Period(pd.Timestamp(last), "M")
    return [p.to_timestamp() for p in pd.period_range(a, b, freq=f"{step_months}M")]


def as_origins(origins: Iterable[Any] | None = None) -> list[pd.Timestamp]:
    """Forecast origins as Timestamps, checked: first days of months, none twice, at least one.

    Parameters
    ----------
    origins : iterable of date-like, optional
        The origins; ``None`` gives :func:`default_origins`.

    Returns
    -------
    list of pandas.Timestamp
        The origins in the order given.

    Raises
    ------
    ValueError
        When an origin is not the first day of a month (the message names the first such origin),
        an origin is given twice, or there is none.

    Examples
    --------
    >>> as_origins(["2017-01-01", pd.Timestamp("2017-07-01")])
    [Timestamp('2017-01-01 00:00:00'), Timestamp('2017-07-01 00:00:00')]
    """
    out = [_check_origin(o) for o in (default_origins() if origins is None else origins)]
    if not out:
        raise ValueError("no forecast origins")
    if len(set(out)) != len(out):
        raise ValueError("an origin is given twice")
    return out


def origin_seed(random_seed: int, origin: pd.Timestamp | str) -> int:
    """The seed of one origin: from the run's seed and the origin's month only (not its position).

    Parameters
    ----------
    random_seed : int
        The run's seed (:attr:`BacktestSettings.random_seed`).
    origin : pandas.Timestamp or str
        The forecast origin; only its year and month count.

    Returns
    -------
    int
        A seed in ``0 .. 2**31 - 1`` from ``numpy.random.SeedSequence([random_seed, year, month])``.

    Examples
    --------
    >>> origin_seed(1, "2017-01-01") == origin_seed(1, pd.Timestamp("2017-01-01"))
    True
    """
    o = pd.Timestamp(origin)
    return int(np.random.SeedSequence([int(random_seed), o.year, o.month]).generate_state(1)[0] >> 1)


@dataclass(frozen=True)
class BacktestSettings:
    """How each origin is fitted, forecast and scored.

    Parameters
    ----------
    draws, tune, chains : int
        Sampler settings of each origin's fit (default: the model's, 4 chains x 1000 draws after 1000
        tuning steps; the 16 origins take about 7 minutes on two idle cores, two at a time).
    random_seed : int
        The run's seed; each origin's seed follows from it and the origin (:func:`origin_seed`).
    sampler : {"nutpie", "pymc"}
        The sampler of each fit.
    start : str
        First modelled month of every fit (``YYYY-MM``).
    min_horizon, max_horizon : int
        Scored horizons in months (inclusive).
    series : tuple of str
        Scored series (every definition of each).
    n_samples : int
        Predictive draws of each baseline per target (the model uses its chains x draws).
    thresholds : Thresholds, optional
        The fit's diagnostics gate; a failed gate is recorded in :attr:`BacktestResult.fits`, not
        raised (default: the model's gate).
    buckets : tuple of (int, int)
        Horizon buckets of the score tables.
    priors : str, optional
        A folder of prior TOML files for every fit (default: the bundled ``priors/``).
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    random_seed: int = 2026
    sampler: str = "nutpie"
    start: str = "2014-01"
    min_horizon: int = 3
    max_horizon: int = 24
    series: tuple[str, ...] = SCORED_SERIES
    n_samples: int = 1000
    thresholds: Thresholds | None = None
    buckets: tuple[tuple[int, int], ...] = BUCKETS
    priors: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.min_horizon <= self.max_horizon:
            raise ValueError(
                f"need 1 <= min_horizon <= max_horizon, got {self.min_horizon}, {self.max_horizon}"
            )
        unknown = [s for s in self.series if s not in N.OBSERVATION_SERIES]
        if unknown:
            raise ValueError(f"unknown series {unknown}")
        object.__setattr__(self, "series", tuple(self.series))
        object.__setattr__(self, "buckets", tuple(tuple(b) for b in self.buckets))


# =========================================================================== one origin
def _month(ts: pd.Timestamp) -> pd.Period:
    return pd.Period(pd.Timestamp(ts), "M")


def _check_origin(origin: Any) -> pd.Timestamp:
    o = pd.Timestamp(origin)
    if o != o.to_period("M").to_timestamp():
        raise ValueError(f"a forecast origin must be the first day of a month, got {o.date()}")
    return o


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
    origin = _check_origin(origin)
    cut = history.until(origin)
    end = _month(origin) - 1
    model = ChainModel(cut, settings.priors, ModelSettings(start=settings.start, end=f"{end}"))
    model.fit(
        sampler=settings.sampler,
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        random_seed=origin_seed(settings.random_seed, origin),
        thresholds=settings.thresholds,
    )
    return model


def scoring_design(
    history: History, origins: Iterable[pd.Timestamp], settings: BacktestSettings | None = None
) -> Design:
    """The observation design of the full history on ``settings.start`` .. the last origin + horizon
    (at least :data:`MIN_FORECAST_MONTHS`).

    Parameters
    ----------
    history : History
        The full history, whose later figures are the targets.
    origins : iterable of pandas.Timestamp
        The forecast origins; the latest one sets the design's end.
    settings : BacktestSettings, optional
        Sampler, window and scoring settings (default ``BacktestSettings()``).

    Returns
    -------
    Design
        One design for all origins, on the months from ``settings.start`` to the last origin's
        month plus ``max(settings.max_horizon, MIN_FORECAST_MONTHS) - 1``.
    """
    settings = settings or BacktestSettings()
    last = max(_month(o) for o in origins) + _forecast_months(settings.max_horizon) - 1
    return build_design(history, settings.start, f"{last}")


def _forecast_months(max_horizon: int) -> int:
    return max(int(max_horizon), MIN_FORECAST_MONTHS)


def _row_months(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """First and last latent month (index from ``design.start``) that each row's numerator measures.

    Read from the design's own index into the latent vector: a flow entry ``k < F T`` is month
    ``k mod T``; a stock entry is the end of month ``(k - F T) mod (T + 1) - 1`` (index 0 being the
    initial state, the end of the month before the start).
    """
    T, F = design.T, len(dyn.FLOWS)
    z = design.z_index
    month = np.where(z < F * T, z % T, (z - F * T) % (T + 1) - 1)
    first = np.empty(len(design.num_agg), dtype=np.int64)
    last = np.empty(len(design.num_agg), dtype=np.int64)
    for i, a in enumerate(design.num_agg):
        m = month[design.agg_start[a] : design.agg_end[a] + 1]
        first[i], last[i] = m.min(), m.max()
    return first, last


def target_rows(
    design: Design, origin: pd.Timestamp | str, settings: BacktestSettings | None = None
) -> pd.DataFrame:
    """The figures scored at ``origin``: one row each, with its horizon and bucket.

    Kept are the used, non-residual log-scale (count) rows of ``settings.series`` that measure no
    month before the origin month, end after the origin and have a horizon from
    ``settings.min_horizon`` to ``settings.max_horizon``.

    Parameters
    ----------
    design : Design
        :func:`scoring_design` of the full history.
    origin : pandas.Timestamp or str
        The forecast origin, the first day of a month.
    settings : BacktestSettings, optional
        Sampler, window and scoring settings (default ``BacktestSettings()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``series``, ``definition``, ``reference``, ``frequency``,
        ``period_start``, ``period_end``, ``horizon``, ``horizon_bucket``, ``observed``,
        ``quality``, ``source_file``, ``line`` and ``row`` (the row's position in ``design``);
        sorted by series, definition, period end and period start.

    Raises
    ------
    ValueError
        When ``origin`` is not the first day of a month.
    """
    settings = settings or BacktestSettings()
    origin = _check_origin(origin)
    rows = design.rows.reset_index(drop=True)
    first, last = _row_months(design)
    t0 = (_month(origin) - _month(design.start)).n
    horizon = last - t0 + 1
    keep = (
        rows[N.SERIES].isin(settings.series).to_numpy()
        & (rows["residual_of"] == "").to_numpy()
        & (rows["transform"] == "log").to_numpy()
        & (first >= t0)
        & (rows[N.PERIOD_END] > origin).to_numpy()
        & (horizon >= settings.min_horizon)
        & (horizon <= settings.max_horizon)
    )
    out = rows.loc[keep, [N.SERIES, N.DEFINITION, "reference", N.FREQUENCY, N.PERIOD_START, N.PERIOD_END]]
    out = out.rename(columns={"reference": REFERENCE})
    out.insert(0, ORIGIN, origin)
    out[HORIZON] = horizon[keep]
    out[BUCKET] = [horizon_bucket(int(h), settings.buckets) for h in horizon[keep]]
    out[OBSERVED] = rows.loc[keep, N.VALUE].to_numpy(float)
    for col in (N.QUALITY, N.SOURCE_FILE, N.LINE):
        out[col] = rows.loc[keep, col].to_numpy()
    out[ROW] = np.nonzero(keep)[0]
    return out.sort_values([N.SERIES, N.DEFINITION, N.PERIOD_END, N.PERIOD_START]).reset_index(drop=True)


def continued_latents(
    model: ChainModel, horizon_end: pd.Timestamp, random_seed: int, total_months: int
) -> dict[str, np.ndarray]:
    """The latent flows and stocks over the fitted months, then the forecast, then zeros.

    Parameters
    ----------
    model : ChainModel
        Fitted.
    horizon_end : Timestamp
        Last forecast month.
    random_seed : int
        Seed of the forecast (:meth:`ChainModel.forward <forecast.model.ChainModel.forward>`).
    total_months : int
        Length of the returned paths (the scoring design's ``T``); months after ``horizon_end`` are 0.

    Returns
    -------
    dict of str to ndarray
        Every flow of :data:`forecast.model.dynamics.FLOWS` and stock of
        :data:`~forecast.model.dynamics.STOCKS`, shape ``(chain, draw, total_months)``. The
        taakstelling backlog is not forecast (NaN in the forecast months; it is not scored).

    Raises
    ------
    ValueError
        When ``total_months`` is shorter than the fitted plus the forecast months.
    """
    fitted = model.latents()
    fw = model.forward(horizon_end, random_seed)
    future = fw.simulate()
    c, d = fw.shape
    H = len(fw.months)
    out = {}
    for name in (*dyn.FLOWS, *dyn.STOCKS):
        past = np.asarray(fitted[name], dtype=float)
        T = past.shape[-1]
        pad = total_months - T - H
        if pad < 0:
            raise ValueError(
                f"the scoring design has {total_months} months, fewer than {T} fitted + {H} forecast"
            )
        if name in future:
            ahead = np.broadcast_to(np.asarray(future[name], dtype=float), (fw.n, H)).reshape(c, d, H)
        else:
            ahead = np.full((c, d, H), np.nan)
        out[name] = np.concatenate([past, ahead, np.zeros((c, d, pad))], axis=-1)
    return out


def scoring_posterior(model: ChainModel, design: Design, rng: np.random.Generator) -> xr.Dataset:
    """What :func:`~forecast.model.build.row_predictions` reads, for every bias group of ``design``.

    The initial stocks and discrepancy scales are the posterior's. Biases of definitions the fit
    saw are the posterior's; a definition without posterior draws (first published after the
    origin) gets draws from its prior; reference definitions have none (0).

    Parameters
    ----------
    model : ChainModel
        The fitted model of one origin.
    design : Design
        The scoring design, whose bias groups need a bias.
    rng : numpy.random.Generator
        Draws the biases of definitions the fit did not see from their priors.

    Returns
    -------
    xarray.Dataset
        Dims ``(chain, draw)``: the posterior's initial stocks (:data:`forecast.model.build.INITIAL_STATE`),
        ``discrepancy`` with a ``scale`` dimension for the design's learned scales (a series the fit
        did not see drawn around its type's sd), and ``obs_bias`` with a ``bias`` dimension (names
        ``bias__<series>__<definition>``) for the design's bias groups.

    Raises
    ------
    ValueError
        When the model is not fitted, or a bias prior that must be drawn is not Normal.
    """
    if model.idata is None:
        raise ValueError("the model is not fitted")
    post = model.idata["posterior"].to_dataset()
    c, d = post.sizes[N.DIM_CHAIN], post.sizes[N.DIM_DRAW]
    have: dict[str, np.ndarray] = {}
    if "obs_bias" in post:
        for j, name in enumerate(post["obs_bias"].coords["bias"].values):
            have[str(name)] = np.asarray(post["obs_bias"].values[..., j])
    names, values = [], []
    for s, dd in design.groups:
        name = f"bias__{s}__{dd}"
        if name in have:
            values.append(have[name])
        elif name in model.priors:
            prior = model.priors[name]
            if prior.distribution != "Normal":
                raise ValueError(f"{name}: observation biases must have a Normal prior")
            values.append(prior.params["mu"] + prior.params["sigma"] * rng.standard_normal((c, d)))
        else:
            continue
        names.append(name)
    ds = post[[k for k in B.INITIAL_STATE.values() if k in post]]
    # each learned series' discrepancy sd; a series the fit did not see (first published after the
    # origin) draws its own around its type's, as the model's partial pooling does
    learned = [sc for sc in design.scales if ":" in sc]
    fitted = list(post["discrepancy"].coords["scale"].values) if "discrepancy" in post else []
    sds = []
    for sc in learned:
        if sc in fitted:
            sds.append(np.asarray(post["discrepancy"].sel(scale=sc).values))
        else:
            kind = sc.split(":", 1)[0]
            z = rng.standard_normal((c, d))
            sds.append(
                np.asarray(post[f"discrepancy_{kind}"].values)
                * np.exp(np.asarray(post["discrepancy_spread"].values) * z)
            )
    if learned:
        ds = ds.assign(discrepancy=((N.DIM_CHAIN, N.DIM_DRAW, "scale"), np.stack(sds, axis=-1)))
        ds = ds.assign_coords(scale=learned)
    if names:
        ds = ds.assign(obs_bias=((N.DIM_CHAIN, N.DIM_DRAW, "bias"), np.stack(values, axis=-1)))
        ds = ds.assign_coords(bias=names)
    return ds


def model_samples(
    model: ChainModel,
    design: Design,
    targets: pd.DataFrame,
    origin: pd.Timestamp,
    seed: int,
    max_horizon: int = 24,
) -> np.ndarray:
    """Log predictive draws of the target figures from the fitted model: ``(len(targets), chains x draws)``.

    The model's posterior is continued ``max_horizon`` (at least :data:`MIN_FORECAST_MONTHS`) months
    from the origin month
    (:func:`continued_latents`), mapped onto every figure by the observation model
    (:func:`~forecast.model.build.row_predictions` on ``design``) and drawn as
    ``loc + scale * t(nu)`` on the log scale.

    Parameters
    ----------
    model : ChainModel
        The model fitted at ``origin``.
    design : Design
        :func:`scoring_design` of the full history.
    targets : pandas.DataFrame
        The figures to forecast, from :func:`target_rows` (its ``row`` column indexes ``design``).
    origin : pandas.Timestamp
        The forecast origin.
    seed : int
        Seed of the forecast's future, the draws of unseen biases and the observation noise.
    max_horizon : int, optional
        Forecast months from the origin month (default 24; at least :data:`MIN_FORECAST_MONTHS`).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(targets), chains x draws)``: log predictive draws of each figure.

    Raises
    ------
    ValueError
        When a target is not on the log scale, or the design is too short for the forecast.
    """
    rng = np.random.default_rng([seed, 2])
    horizon_end = (_month(origin) + _forecast_months(max_horizon) - 1).to_timestamp()
    latents = continued_latents(model, horizon_end, seed + 1, design.T)
    post = scoring_posterior(model, design, np.random.default_rng([seed, 4]))
    with np.errstate(all="ignore"):  # rows beyond the horizon see zero latents; they are not scored
        loc, scale, nu, transform = B.row_predictions(post, latents, design)
    rows = targets[ROW].to_numpy()
    if np.any(transform[rows] != "log"):
        raise ValueError("only figures on the log scale (counts) are scored")
    loc, scale = loc[..., rows], scale[..., rows]
    draws = loc + scale * rng.standard_t(nu, size=loc.shape)
    return draws.reshape(-1, len(rows)).T


def score_frame(
    targets: pd.DataFrame, method: str, log_samples: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Quantiles and scores of one method's log draws ``(len(targets), m)`` against the observed figures.

    Parameters
    ----------
    targets : pandas.DataFrame
        The scored figures, from :func:`target_rows` (with ``observed`` and ``row``).
    method : str
        The method's name (one of :data:`METHODS`), written to the ``method`` column.
    log_samples : numpy.ndarray
        Shape ``(len(targets), m)``: predictive draws of the log figures; a row with a NaN is a
        missing forecast.
    rng : numpy.random.Generator
        For the randomised PIT.

    Returns
    -------
    pandas.DataFrame
        ``targets`` without ``row``, with ``method`` after ``observed``, the predictive quantiles
        (:data:`QUANTILES`, natural scale), ``crps_log``, ``crps`` (natural scale),
        ``pinball90_log``, ``pit`` and ``cover_50`` / ``cover_80`` / ``cover_95``; NaN where the
        forecast is missing.
    """
    y = np.log(targets[OBSERVED].to_numpy(float))
    x = np.asarray(log_samples, dtype=float)
    out = targets.drop(columns=[ROW]).copy()
    out.insert(out.columns.get_loc(OBSERVED) + 1, METHOD, method)
    ok = np.all(np.isfinite(x), axis=-1)
    with np.errstate(all="ignore"):
        q = np.quantile(np.where(ok[:, None], x, 0.0), QUANTILES, axis=-1)
        for level, values in zip(QUANTILES, q, strict=True):
            out[quantile_column(level)] = np.where(ok, np.exp(values), np.nan)
        out[CRPS_LOG] = S.crps_ensemble(x, y)
        out[CRPS] = S.crps_ensemble(np.exp(x), np.exp(y))
    out[PINBALL] = S.pinball_loss(x, y, S.UPPER_TAIL)
    out[PIT] = S.pit_values(x, y, rng)
    for level, col in COVER.items():
        out[col] = S.interval_coverage(x, y, level)
    return out


@dataclass
class OriginResult:
    """The forecasts and scores of one origin, and what its fit saw.

    Parameters
    ----------
    origin : pandas.Timestamp
        The forecast origin.
    forecasts : pandas.DataFrame
        :func:`score_frame` of every method of :data:`METHODS`, stacked.
    fit : dict of str to Any
        The fit record (one row of :attr:`BacktestResult.fits`): fitted window, last dates the fit
        saw, the hash of the input vintages it used (``input_vintage_hash``), rows used, targets,
        seed, diagnostics and seconds.
    model : ChainModel or None
        The fitted model, when it was kept.
    """

    origin: pd.Timestamp
    forecasts: pd.DataFrame
    fit: dict[str, Any]
    model: ChainModel | None = None


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
    origin = _check_origin(origin)
    seed = origin_seed(settings.random_seed, origin)
    t0 = time.perf_counter()
    if model is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitDiagnosticsWarning)  # recorded below, small fits fail the gate
            model = fit_at_origin(history, origin, settings)
    fit_s = time.perf_counter() - t0
    expected_end = f"{_month(origin) - 1}"
    if model.settings.end != expected_end:
        raise ValueError(
            f"the model at origin {origin.date()} ends in {model.settings.end}, not {expected_end}"
        )
    targets = target_rows(design, origin, settings)
    cut = model.history
    samples = {MODEL: model_samples(model, design, targets, origin, seed, settings.max_horizon)}
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


# =========================================================================== many origins
#: Columns of :attr:`BacktestResult.fits` that depend on the machine (left out of comparisons).
TIMING_COLUMNS = ("seconds", "fit_seconds")


@dataclass
class BacktestResult:
    """Forecasts, scores and fit records of a backtest over many origins.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        One row per (origin, target figure, method): the figure's keys, ``horizon``,
        ``horizon_bucket``, ``observed``, ``method``, the predictive quantiles
        (:data:`QUANTILES`, natural scale), ``crps_log``, ``crps``, ``pinball90_log``, ``pit``
        and ``cover_50`` / ``cover_80`` / ``cover_95``.
    fits : pandas.DataFrame
        One row per origin: the fitted window, the last dates the fit saw (the leak check), the
        diagnostics verdict and the seconds taken.
    settings : BacktestSettings
        The settings of the run.
    models : dict of pandas.Timestamp to ChainModel
        Origin -> fitted :class:`~forecast.model.ChainModel` (only with ``keep_models=True``).
    wall_seconds : float
        Wall time of the whole run in seconds (NaN when not measured).
    """

    forecasts: pd.DataFrame
    fits: pd.DataFrame
    settings: BacktestSettings
    models: dict[pd.Timestamp, ChainModel] = field(default_factory=dict)
    wall_seconds: float = float("nan")

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """One row per (origin, figure): observed, the model's quantiles and each baseline's median / 90 %.

        Returns
        -------
        pandas.DataFrame
            The figure's keys (origin, series, definition, frequency, period, horizon, bucket) and
            ``observed``, then ``model_q<level>`` for every level of :data:`QUANTILES` and
            ``<baseline>_q50``, ``<baseline>_q90`` for each baseline (natural scale).
        """
        keys = [
            ORIGIN,
            N.SERIES,
            N.DEFINITION,
            N.FREQUENCY,
            N.PERIOD_START,
            N.PERIOD_END,
            HORIZON,
            BUCKET,
            OBSERVED,
        ]
        f = self.forecasts
        model = f[f[METHOD] == MODEL].set_index(keys)[[quantile_column(q) for q in QUANTILES]]
        model.columns = [f"{MODEL}_{c}" for c in model.columns]
        parts = [model]
        for b in BASELINES:
            part = f[f[METHOD] == b].set_index(keys)[[quantile_column(0.5), quantile_column(0.9)]]
            part.columns = [f"{b}_{c}" for c in part.columns]
            parts.append(part)
        return pd.concat(parts, axis=1).reset_index()

    def common(self) -> pd.DataFrame:
        """The forecasts on the figures that every method applicable to the series forecast.

        The seasonal naive baseline applies to flows only; a figure enters the comparison when
        the model and every applicable baseline have a forecast for it.

        Returns
        -------
        pandas.DataFrame
            The rows of :attr:`forecasts` of those figures (a figure is its origin, source file and
            line), for the applicable methods only.
        """
        f = self.forecasts
        key = [ORIGIN, N.SOURCE_FILE, N.LINE]
        flow = f[N.SERIES].map(lambda s: N.OBSERVATION_SERIES[s].kind == N.FLOW)
        applicable = flow | (f[METHOD] != SEASONAL_NAIVE)
        missing = applicable & f[CRPS_LOG].isna()
        bad = f.loc[missing, key].drop_duplicates()
        merged = f.merge(bad.assign(_bad=True), on=key, how="left")
        return f[(merged["_bad"].isna().to_numpy()) & applicable.to_numpy()]

    def scores(self, common: bool = True, by: Sequence[str] = (N.SERIES, BUCKET)) -> pd.DataFrame:
        """Aggregated scores per ``by`` and method: n, coverage 50/80/95, mean CRPS (log and natural),
        mean 90 % pinball loss (log) and the PIT's mean.

        Parameters
        ----------
        common : bool
            Score every method on the same figures (:meth:`common`, default); False: each method
            on every figure it forecast.
        by : sequence of str
            Grouping columns besides the method (default series and horizon bucket).

        Returns
        -------
        pandas.DataFrame
            One row per group and method: the ``by`` columns, ``method``, ``n`` (figures),
            ``cover_50`` / ``cover_80`` / ``cover_95``, ``crps_log``, ``crps``, ``pinball90_log`` and
            ``pit_mean``; sorted by the groups (buckets in settings order) and :data:`METHODS`.
        """
        f = self.common() if common else self.forecasts.dropna(subset=[CRPS_LOG])
        cols = [*COVER.values(), CRPS_LOG, CRPS, PINBALL, PIT]
        g = f.groupby([*by, METHOD], sort=False)
        out = g[cols].mean()
        out.insert(0, "n", g.size())
        out = out.rename(columns={PIT: "pit_mean"})
        order = {m: i for i, m in enumerate(METHODS)}
        bucket_order = {bucket_label(*b): i for i, b in enumerate(self.settings.buckets)}
        out = out.reset_index()
        out["_m"] = out[METHOD].map(order)
        sort = [*by, "_m"]
        if BUCKET in by:
            out["_b"] = out[BUCKET].map(bucket_order)
            sort = [c if c != BUCKET else "_b" for c in sort]
        return (
            out.sort_values(sort).drop(columns=[c for c in ("_m", "_b") if c in out]).reset_index(drop=True)
        )

    def skill(self) -> pd.DataFrame:
        """Mean log CRPS per series and bucket on the common figures: each method's, and the model's
        relative to each baseline (``skill_<baseline> = 1 - CRPS_model / CRPS_baseline``; > 0: the
        model is better).

        Returns
        -------
        pandas.DataFrame
            One row per (series, horizon bucket): ``n`` (the model's common figures),
            ``crps_<method>`` for every method, ``skill_<baseline>`` for every baseline and
            ``model_beats_all`` (the model's mean log CRPS is below every baseline's).
        """
        s = self.scores(common=True)
        wide = s.pivot_table(index=[N.SERIES, BUCKET], columns=METHOD, values=CRPS_LOG, sort=False)
        n = s[s[METHOD] == MODEL].set_index([N.SERIES, BUCKET])["n"]
        out = pd.DataFrame({"n": n})
        for m in METHODS:
            if m in wide:
                out[f"crps_{m}"] = wide[m]
        for b in BASELINES:
            if b in wide:
                out[f"skill_{b}"] = 1.0 - wide[MODEL] / wide[b]
        base = [f"crps_{b}" for b in BASELINES if f"crps_{b}" in out]
        out["model_beats_all"] = out[f"crps_{MODEL}"] < out[base].min(axis=1, skipna=True)
        return out.reset_index()

    def issue_targets(self) -> pd.DataFrame:
        """Issue #6's targets, met or not.

        * per series: the share of held-out figures at horizons of 6-12 months inside the model's
          central 80 % interval must lie in 70-90 %;
        * for COA occupancy and first applications: the model's mean log CRPS in the 7-12 month
          bucket must be below every baseline's (on the common figures).

        Returns
        -------
        pandas.DataFrame
            One row per target and series: ``target`` (in words), ``series``, ``value`` (the
            coverage share or the model's mean log CRPS), ``n`` (figures) and ``met`` (True/False,
            None when there are no figures).
        """
        rows = []
        f = self.forecasts[self.forecasts[METHOD] == MODEL]
        lo_h, hi_h = TARGET_COVERAGE_HORIZONS
        lo, hi = TARGET_COVERAGE_RANGE
        for s in self.settings.series:
            sel = f[(f[N.SERIES] == s) & f[HORIZON].between(lo_h, hi_h)]
            cov = float(sel[COVER[0.8]].mean()) if len(sel) else np.nan
            rows.append(
                {
                    "target": f"80 % coverage at {lo_h}-{hi_h} months in [{lo:.0%}, {hi:.0%}]",
                    N.SERIES: s,
                    "value": cov,
                    "n": len(sel),
                    "met": bool(lo <= cov <= hi) if len(sel) else None,
                }
            )
        sk = self.skill()
        for s in TARGET_CRPS_SERIES:
            r = sk[(sk[N.SERIES] == s) & (sk[BUCKET] == TARGET_CRPS_BUCKET)]
            if s not in self.settings.series:
                continue
            rows.append(
                {
                    "target": f"{TARGET_CRPS_BUCKET} month log CRPS below every baseline",
                    N.SERIES: s,
                    "value": float(r[f"crps_{MODEL}"].iloc[0]) if len(r) else np.nan,
                    "n": int(r["n"].iloc[0]) if len(r) else 0,
                    "met": bool(r["model_beats_all"].iloc[0]) if len(r) else None,
                }
            )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ figures
    def plot_pit(self, path: str | Path | None = None) -> Figure:
        """Histogram of the model's PIT values per series (10 bins; flat = calibrated).

        Parameters
        ----------
        path : str or pathlib.Path, optional
            Also write the figure to this file (110 dpi; format from the suffix).

        Returns
        -------
        matplotlib.figure.Figure
            One panel per scored series and one for all series: the model's PIT density (bars) and
            each baseline's (lines), with the uniform density 1 dashed.
        """
        from matplotlib.figure import Figure

        f = self.forecasts
        series = [s for s in self.settings.series if (f[N.SERIES] == s).any()]
        fig = Figure(figsize=(3.2 * (len(series) + 1), 3.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(series) + 1, sharey=True))
        bins = np.linspace(0, 1, 11)
        for ax, s in zip(axes, [*series, None], strict=True):
            sel = f[(f[METHOD] == MODEL) & ((f[N.SERIES] == s) if s else True)][PIT].dropna()
            ax.hist(sel, bins=bins, density=True, color="#0072B2", alpha=0.8, edgecolor="white")
            for b, colour in zip(BASELINES, ("#D55E00", "#009E73", "#CC79A7"), strict=True):
                other = f[(f[METHOD] == b) & ((f[N.SERIES] == s) if s else True)][PIT].dropna()
                if len(other):
                    ax.hist(other, bins=bins, density=True, histtype="step", color=colour, label=b)
            ax.axhline(1.0, color="#555555", ls="--", lw=1)
            ax.set_title(f"{s or 'all series'} (n={len(sel)})", fontsize=9)
            ax.set_xlabel("PIT")
        axes[0].set_ylabel("density")
        axes[-1].legend(fontsize=7, loc="upper center")
        fig.suptitle("PIT of held-out figures: model (bars) and baselines (lines)", fontsize=10)
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    def plot_crps(self, path: str | Path | None = None) -> Figure:
        """Mean log CRPS per series and horizon bucket: the model against each baseline (common figures).

        Parameters
        ----------
        path : str or pathlib.Path, optional
            Also write the figure to this file (110 dpi; format from the suffix).

        Returns
        -------
        matplotlib.figure.Figure
            One panel per scored series, one bar per method and horizon bucket.
        """
        from matplotlib.figure import Figure

        s = self.scores(common=True)
        series = [x for x in self.settings.series if (s[N.SERIES] == x).any()]
        fig = Figure(figsize=(3.4 * max(len(series), 1), 3.2), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, max(len(series), 1)))
        labels = [bucket_label(*b) for b in self.settings.buckets]
        width = 0.8 / len(METHODS)
        colours = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
        for ax, name in zip(axes, series, strict=False):
            sel = s[s[N.SERIES] == name]
            for j, (m, colour) in enumerate(zip(METHODS, colours, strict=True)):
                vals = [sel[(sel[METHOD] == m) & (sel[BUCKET] == b)][CRPS_LOG] for b in labels]
                y = [float(v.iloc[0]) if len(v) else np.nan for v in vals]
                ax.bar(np.arange(len(labels)) + (j - 1.5) * width, y, width, color=colour, label=m)
            ax.set_xticks(np.arange(len(labels)), labels)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("horizon (months)")
        axes[0].set_ylabel("mean CRPS (log scale)")
        axes[-1].legend(fontsize=7)
        fig.suptitle("CRPS of held-out figures, lower is better", fontsize=10)
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """A plain-text report: the run, the fits, coverage, CRPS skill and the issue's targets.

        Returns
        -------
        str
            The report, lines joined by newlines (no final newline).
        """
        pd_opts = {"display.width": 200, "display.max_columns": 30, "display.max_rows": 200}
        with pd.option_context(*[x for kv in pd_opts.items() for x in kv]):
            fits = self.fits.drop(
                columns=["last_input_start", "last_event_start", "input_vintage_hash", "fit_start"],
                errors="ignore",
            )
            st = self.settings
            sc = self.scores(common=False)
            cov = sc[sc[METHOD] == MODEL][[N.SERIES, BUCKET, "n", *COVER.values()]]
            lines = [
                f"backtest: {len(self.fits)} origins, {st.chains} chains x {st.draws} draws "
                f"(+{st.tune} tune), seed {st.random_seed}, wall {self.wall_seconds:.0f} s",
                "",
                "fits:",
                fits.to_string(index=False),
                "",
                "model coverage of central intervals (all scored figures):",
                cov.round(3).to_string(index=False),
                "",
                "mean log CRPS and 90 % pinball loss (common figures):",
                self.scores(common=True)[[N.SERIES, BUCKET, METHOD, "n", *COVER.values(), CRPS_LOG, PINBALL]]
                .round(3)
                .to_string(index=False),
                "",
                "CRPS skill of the model vs each baseline (1 - CRPS_model / CRPS_baseline, > 0: better):",
                self.skill().round(3).to_string(index=False),
                "",
                "issue #6 targets:",
                self.issue_targets().round(3).to_string(index=False),
            ]
        return "\n".join(lines)

    def save(self, directory: str | Path) -> dict[str, Path]:
        """Write ``forecasts.csv``, ``fits.csv``, ``scores.csv``, ``skill.csv``, ``summary.txt``,
        ``pit.png`` and ``crps.png`` to ``directory`` as one set (:func:`forecast.atomic.output_set`:
        staged first, renamed into place together, listed in ``MANIFEST.json``); returns the paths.

        Parameters
        ----------
        directory : str or pathlib.Path
            The output folder (created if missing); existing files of these names are replaced.

        Returns
        -------
        dict of str to pathlib.Path
            The path of each file by its name without suffix (``"forecasts"``, ``"fits"``,
            ``"scores"``, ``"skill"``, ``"summary"``, ``"pit"``, ``"crps"``).
        """
        d = Path(directory)
        texts = {
            "forecasts.csv": self.forecasts.to_csv(index=False),
            "fits.csv": self.fits.to_csv(index=False),
            "scores.csv": self.scores().to_csv(index=False),
            "skill.csv": self.skill().to_csv(index=False),
            "summary.txt": self.summary() + "\n",
        }
        images = {}
        for name, plot in (("pit.png", self.plot_pit), ("crps.png", self.plot_crps)):
            buf = io.BytesIO()
            plot().savefig(buf, format="png", dpi=110, metadata={"Software": None})
            images[name] = buf.getvalue()
        # one set: an error or Ctrl-C leaves the previous backtest's files, never a mix
        with atomic.output_set(d, command="backtest") as stage:
            for name, text in texts.items():
                (stage / name).write_text(text, encoding="utf-8")
            for name, data in images.items():
                (stage / name).write_bytes(data)
        paths = {name.split(".")[0]: d / name for name in (*texts, *images)}
        return paths


def _report(result: OriginResult) -> None:
    fit = result.fit
    verdict = "passed" if fit["diagnostics_passed"] else f"FAILED (max R-hat {fit['max_rhat']:.3f})"
    print(
        f"  origin {result.origin:%Y-%m}: {fit['targets']} figures scored, fit {fit['fit_seconds']:.0f} s, "
        f"total {fit['seconds']:.0f} s, diagnostics {verdict}",
        flush=True,
    )


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
        for future in as_completed(futures):
            _report(future.result())
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
        Print one line per finished origin (figures scored, seconds, diagnostics verdict).
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
        for o in origins:
            results.append(run_origin(o, history, design, settings, keep_model=keep_models))
            if progress:
                _report(results[-1])
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
