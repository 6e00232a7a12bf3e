"""A forecast conditioned on the state's own estimates that are already set for the coming months.

The state sets each half-year's taakstelling from the IND's forecast of the permits it will grant and
the nareizigers expected (:func:`forecast.model.mapping.estimate_rows`). The fit reads every
taakstelling of its window as evidence on that half-year's grants plus nareis arrivals:

.. math::

    \\log TS_h \\sim t_5\\big(\\log \\textstyle\\sum_{t \\in h} (G_t + N_t) + b_{TS},\\ s\\big),
    \\qquad s = \\sqrt{0.3^2 + e_q^2}

(``OBS_TYPES["estimate"]``, the quality noise ``e_q`` of the row, the bias ``b_TS`` learned by the
fit). A taakstelling that is set for a half-year *after* the fitted window is the same evidence on
the forecast: at an origin the coming half-year's figure is usually known.
:meth:`Forward.condition <forecast.model.forward.Forward.condition>` weighs
every forecast draw by that likelihood, evaluated on the draw's own simulated grants and nareis under
current policy,

.. math::

    w_i \\propto \\prod_h t_5\\Big(\\frac{\\log TS_h - \\log \\sum_{t \\in h}(G_{it} + N_{it})
    - b_{TS,i}}{s}\\Big),

and resamples the draws by seeded systematic resampling (:func:`systematic_resample`): the draws of a
conditioned forecast are draws of the unconditioned one, some repeated, some left out
(:meth:`Forward.take <forecast.model.forward.Forward.take>`). Only half-years that lie wholly in the
forecast months are used; the policy measures of the scenario engine then act on the resampled
draws, so every scenario is conditioned on the same evidence (common random numbers are kept).

Anything that pairs the forecast's draws with the posterior's, draw by draw (the fitted latents, the
observation biases, an evaluated effect's posterior draws), must take the same draws:
:attr:`Forward.index <forecast.model.forward.Forward.index>`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from forecast.model import build as B
from forecast.model import mapping

#: Seed stream of the resampling (``[random_seed, RESAMPLE_STREAM]``), apart from the future's and the
#: anchor's random numbers.
RESAMPLE_STREAM = 3


@dataclass(frozen=True)
class Conditioning:
    """What a conditioned forecast was conditioned on.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per estimate used: ``series``, ``definition``, ``period_start``, ``period_end``,
        ``value``, and ``median_before`` / ``median_after``, the forecast's median of the estimated
        flow (grants plus nareis over the period) before and after conditioning.
    ess : float
        Effective sample size of the weights, ``1 / sum(w**2)``, out of ``n``.
    n : int
        The number of draws.
    """

    rows: pd.DataFrame
    ess: float
    n: int

    def __str__(self) -> str:
        parts = [
            f"{r.series} {pd.Timestamp(r.period_start):%Y-%m}..{pd.Timestamp(r.period_end):%Y-%m} "
            f"{r.value:,.0f} (forecast median {r.median_before:,.0f} -> {r.median_after:,.0f})"
            for r in self.rows.itertuples()
        ]
        return f"{'; '.join(parts)}; effective sample size {self.ess:,.0f} of {self.n:,}"


def set_estimates(history, months: pd.DatetimeIndex) -> pd.DataFrame:
    """The estimate inputs known in ``history`` whose period lies wholly in ``months``.

    Parameters
    ----------
    history : History
        The fitted history (its inputs, as known at its cut).
    months : pandas.DatetimeIndex
        The forecast months (first days).

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`~forecast.model.mapping.estimate_rows` whose first month is at or after
        ``months[0]`` and whose last month is at or before ``months[-1]``, sorted by period.
    """
    rows = mapping.estimate_rows(history)
    if rows.empty or len(months) == 0:
        return rows
    start = pd.to_datetime(rows["period_start"]).dt.to_period("M")
    end = pd.to_datetime(rows["period_end"]).dt.to_period("M")
    first, last = pd.Period(months[0], "M"), pd.Period(months[-1], "M")
    keep = ((start >= first) & (end <= last)).to_numpy()
    return rows.loc[keep].sort_values("period_start").reset_index(drop=True)


def estimate_bias(posterior, priors, rows: pd.DataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """Each draw's bias of each estimate row (:func:`forecast.model.build.bias_draws`).

    Parameters
    ----------
    posterior : xarray.Dataset
        The fitted posterior (``obs_bias`` with a ``bias`` coordinate of ``bias__<series>__<definition>``).
    priors : PriorConfig
        The bias priors, for a series the fit did not see.
    rows : pandas.DataFrame
        From :func:`set_estimates`.
    n : int
        The number of draws (chains x draws, flattened chain-major).
    rng : numpy.random.Generator
        Draws the bias of a series the fit did not see.

    Returns
    -------
    numpy.ndarray
        ``(n, len(rows))``.

    Raises
    ------
    ValueError
        When a bias the fit did not see has no Normal prior, or no prior at all.
    """
    names = [f"bias__{r.series}__{r.definition}" for r in rows.itertuples()]
    biases = B.bias_draws(posterior, priors, list(dict.fromkeys(names)), (n,), rng)
    missing = [name for name in names if name not in biases]
    if missing:
        raise ValueError(f"{missing}: an estimate needs a bias, from the posterior or a prior")
    return np.stack([biases[name] for name in names], axis=-1).reshape(n, len(names))


def period_totals(flows: np.ndarray, months: pd.DatetimeIndex, rows: pd.DataFrame) -> np.ndarray:
    """Each draw's total of ``flows`` over the period of each row.

    Parameters
    ----------
    flows : numpy.ndarray
        ``(n, H)`` the estimated flow per draw and forecast month (grants plus nareis arrivals).
    months : pandas.DatetimeIndex
        The ``H`` forecast months.
    rows : pandas.DataFrame
        From :func:`set_estimates`.

    Returns
    -------
    numpy.ndarray
        ``(n, len(rows))``.
    """
    period = pd.DatetimeIndex(months).to_period("M")
    out = np.empty((flows.shape[0], len(rows)))
    for j, r in enumerate(rows.itertuples()):
        inside = (period >= pd.Period(r.period_start, "M")) & (period <= pd.Period(r.period_end, "M"))
        out[:, j] = flows[:, inside].sum(axis=-1)
    return out


def estimate_log_weights(totals: np.ndarray, rows: pd.DataFrame, bias: np.ndarray) -> np.ndarray:
    """The log likelihood of the estimates under each draw's forecast (up to a constant).

    Parameters
    ----------
    totals : numpy.ndarray
        ``(n, len(rows))`` each draw's estimated flow over each row's period (:func:`period_totals`).
    rows : pandas.DataFrame
        From :func:`set_estimates`.
    bias : numpy.ndarray
        ``(n, len(rows))`` from :func:`estimate_bias`.

    Returns
    -------
    numpy.ndarray
        ``(n,)``: the sum over rows of the fit's likelihood of each row.
    """
    fixed, scale_of_type = mapping.OBS_TYPES["estimate"]["fixed"], mapping.OBS_TYPES["estimate"]["scale"]
    scale = np.hypot(fixed, rows["quality"].map(mapping.QUALITY_SD).to_numpy(float) * scale_of_type)
    with np.errstate(divide="ignore"):
        z = (np.log(rows["value"].to_numpy(float)) - np.log(totals) - bias) / scale
    return stats.t.logpdf(z, mapping.OBS_NU).sum(axis=-1)


def used_rows(rows: pd.DataFrame, totals: np.ndarray, index: np.ndarray) -> pd.DataFrame:
    """The estimates used, with the forecast's median of the estimated flow before and after.

    Parameters
    ----------
    rows : pandas.DataFrame
        From :func:`set_estimates`.
    totals : numpy.ndarray
        ``(n, len(rows))`` from :func:`period_totals`, before resampling.
    index : numpy.ndarray
        The resampled draws.

    Returns
    -------
    pandas.DataFrame
        :attr:`Conditioning.rows`.
    """
    return rows[["series", "definition", "period_start", "period_end", "value"]].assign(
        median_before=np.median(totals, axis=0), median_after=np.median(totals[index], axis=0)
    )


def systematic_resample(log_weights: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Indices of ``n`` draws resampled in proportion to their weights (systematic resampling).

    Parameters
    ----------
    log_weights : numpy.ndarray
        ``(n,)`` unnormalised log weights; ``-inf`` never drawn.
    rng : numpy.random.Generator
        One uniform number.

    Returns
    -------
    index : numpy.ndarray
        ``(n,)`` sorted draw indices.
    ess : float
        The weights' effective sample size ``1 / sum(w**2)``.

    Raises
    ------
    ValueError
        When no weight is positive.
    """
    lw = np.asarray(log_weights, dtype=float)
    if not np.isfinite(lw).any():
        raise ValueError("no forecast draw is compatible with the estimates (every weight is 0)")
    w = np.exp(lw - np.max(lw[np.isfinite(lw)]))
    w = np.where(np.isfinite(lw), w, 0.0)
    w /= w.sum()
    n = len(w)
    points = (rng.uniform() + np.arange(n)) / n
    edges = np.cumsum(w)
    edges[-1] = 1.0  # no rounding gap at the top: the last point falls in a draw with weight
    index = np.searchsorted(edges, points, side="right")
    return index, float(1.0 / np.sum(w**2))
