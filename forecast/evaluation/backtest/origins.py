"""Forecast origins, seeds and settings of the rolling-origin backtests, and the names of their tables.

The origins (:func:`default_origins`, :func:`as_origins`), each origin's seed from the run's seed and
the origin's date alone (:func:`origin_seed`), the horizon buckets (:func:`horizon_bucket`), the
settings of a run (:class:`BacktestSettings`) and the column names and targets shared by the scoring
(:mod:`forecast.evaluation.backtest.scoring`), the result (:mod:`forecast.evaluation.backtest.result`)
and the runner (:mod:`forecast.evaluation.backtest.runner`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.evaluation import scores as S
from forecast.evaluation.baselines import BASELINES
from forecast.model import Thresholds
from forecast.model.sampler import DEFAULT_TARGET_ACCEPT, SamplerSettings

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


def buckets_to(max_horizon: int) -> tuple[tuple[int, int], ...]:
    """The horizon buckets up to ``max_horizon`` months: :data:`BUCKETS`, then one per further year.

    Parameters
    ----------
    max_horizon : int
        The longest scored horizon in months, at least the end of the last default bucket (24).

    Returns
    -------
    tuple of tuple of (int, int)
        :data:`BUCKETS`, then ``(25, 36)``, ``(37, 48)``, ... with the last one ending at
        ``max_horizon``.

    Raises
    ------
    ValueError
        When ``max_horizon`` ends before the last default bucket.

    Examples
    --------
    >>> buckets_to(48)
    ((3, 6), (7, 12), (13, 24), (25, 36), (37, 48))
    >>> buckets_to(30)[-1]
    (25, 30)
    """
    last = BUCKETS[-1][1]
    if max_horizon < last:
        raise ValueError(
            f"max_horizon must be at least {last} months (the last default bucket), got {max_horizon}"
        )
    return BUCKETS + tuple((m, min(m + 11, max_horizon)) for m in range(last + 1, max_horizon + 1, 12))


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
    out = [check_origin(o) for o in (default_origins() if origins is None else origins)]
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
        Sampler settings of each origin's fit (default: the model's, 4 chains x 1000 draws after 300
        tuning steps; the 12 development origins took 10-12 minutes on two idle cores, two at a time).
    random_seed : int
        The run's seed; each origin's seed follows from it and the origin (:func:`origin_seed`).
    sampler : {"nutpie", "pymc"}
        The sampler of each fit.
    target_accept : float
        Target acceptance rate of each fit's step size adaptation (default: the model's, 0.8). A
        higher one takes smaller steps (fewer divergences, more steps per draw); the posterior it
        samples is the same.
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
    anchored : bool
        Carry each counted stock's gap from the chain on from its last counts
        (:mod:`forecast.model.anchor`; default True, as the model forecasts). False scores the
        chain's own stocks, for a comparison of the two on the same fits.
    conditioned : bool
        Condition each origin's forecast on the taakstellingen set at the origin for its months
        (:mod:`forecast.model.conditioning`; default True, as the model forecasts). False scores the
        unconditioned forecast of the same fits.
    fits : str, optional
        A folder of saved fits, one per origin (``fit_YYYY-MM.nc``): an origin whose file exists is
        read back instead of fitted (it must have been fitted with these settings on what was known
        at the origin), and a new fit is saved there. Rescoring a run (another ``anchored``, other
        horizons) then costs seconds per origin instead of a fit. Default: fit every origin, save
        nothing.

    Raises
    ------
    ValueError
        For horizons out of order or beyond the last bucket, an unknown series or sampler, or a
        target acceptance rate outside (0, 1): when the settings are made, before any origin is
        fitted.
    """

    draws: int = 1000
    tune: int = 300
    chains: int = 4
    random_seed: int = N.DEFAULT_SEED
    sampler: str = "nutpie"
    target_accept: float = DEFAULT_TARGET_ACCEPT
    start: str = "2014-01"
    min_horizon: int = 3
    max_horizon: int = 24
    series: tuple[str, ...] = SCORED_SERIES
    n_samples: int = 1000
    thresholds: Thresholds | None = None
    buckets: tuple[tuple[int, int], ...] = BUCKETS
    priors: str | None = None
    anchored: bool = True
    conditioned: bool = True
    fits: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.min_horizon <= self.max_horizon:
            raise ValueError(
                f"need 1 <= min_horizon <= max_horizon, got {self.min_horizon}, {self.max_horizon}"
            )
        if self.max_horizon > max(hi for _, hi in self.buckets):
            raise ValueError(
                f"max_horizon {self.max_horizon} lies beyond the last horizon bucket "
                f"({bucket_label(*self.buckets[-1])}): its figures would be scored and left out of "
                f"every table; pass buckets=buckets_to({self.max_horizon})"
            )
        unknown = [s for s in self.series if s not in N.OBSERVATION_SERIES]
        if unknown:
            raise ValueError(f"unknown series {unknown}")
        # the sampler and its target acceptance, checked here, before any origin is fitted
        SamplerSettings(sampler=self.sampler, target_accept=self.target_accept)
        object.__setattr__(self, "series", tuple(self.series))
        object.__setattr__(self, "buckets", tuple(tuple(b) for b in self.buckets))

    def sampler_settings(self, origin: pd.Timestamp | str) -> SamplerSettings:
        """How the fit at ``origin`` samples.

        Parameters
        ----------
        origin : pandas.Timestamp or str
            The forecast origin.

        Returns
        -------
        SamplerSettings
            :attr:`sampler`, :attr:`draws`, :attr:`tune`, :attr:`chains` and :attr:`target_accept`, with
            the origin's seed :func:`origin_seed` ``(random_seed, origin)``.
        """
        return SamplerSettings(
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            random_seed=origin_seed(self.random_seed, origin),
            sampler=self.sampler,
            target_accept=self.target_accept,
        )


def origin_month(ts: pd.Timestamp | str) -> pd.Period:
    """The month of a date, e.g. of a forecast origin.

    Parameters
    ----------
    ts : pandas.Timestamp or str
        A date.

    Returns
    -------
    pandas.Period
        Its month (frequency ``"M"``).
    """
    return pd.Period(pd.Timestamp(ts), "M")


def check_origin(origin: Any) -> pd.Timestamp:
    """A forecast origin as a timestamp, refused unless it is the first day of a month.

    Parameters
    ----------
    origin : date-like
        The forecast origin.

    Returns
    -------
    pandas.Timestamp
        The origin.

    Raises
    ------
    ValueError
        When ``origin`` is not the first day of a month.
    """
    o = pd.Timestamp(origin)
    if o != o.to_period("M").to_timestamp():
        raise ValueError(f"a forecast origin must be the first day of a month, got {o.date()}")
    return o


def forecast_months(max_horizon: int) -> int:
    """Months forecast at each origin: the largest scored horizon, at least :data:`MIN_FORECAST_MONTHS`.

    Parameters
    ----------
    max_horizon : int
        The largest scored horizon in months.

    Returns
    -------
    int
        ``max(max_horizon, MIN_FORECAST_MONTHS)``.
    """
    return max(int(max_horizon), MIN_FORECAST_MONTHS)
