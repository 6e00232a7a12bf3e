r"""The stock anchor: a count's gap from the chain persists, so a forecast starts where the counts are.

The chain's stocks are what its flows imply. COA's counts of its residents and of the statushouders
it houses, and the IND's count of its backlog, differ from them by a gap that lasts for months: people
in COA whom no modelled flow represents, housing that runs ahead of or behind the supply the chain
expects. The fit treats each count's discrepancy as independent, so at the end of the fitted window
the chain can sit thousands of persons away from the last counts (at the 2020-07 origin of the
backtest COA counted 27,305 residents on 1 June 2020, 12 % above the fitted chain), and a forecast
started from the chain's own stock ignores where the counts put it. Here the gap is a state of its
own.

**The gap.** For a stock series :math:`s` (observation type ``"stock"``), the residual of a count
:math:`i` on the log scale, :math:`e_i = y_i - \mu_i` (:math:`\mu_i` the chain's prediction with the
definition's bias, :func:`~forecast.model.build.row_predictions`), is a persistent gap
:math:`\delta` plus the count's own fixed noise (variance :math:`v_i`, its quality flag):

.. math::

    e_i = \delta(t_i) + \varepsilon_i, \quad \varepsilon_i \sim N(0, v_i), \qquad
    \delta(t + \Delta) = \rho^{\Delta} \delta(t) + \sqrt{1 - \rho^{2\Delta}}\, \sigma_s \eta, \quad
    \eta \sim N(0, 1),

a stationary AR(1) in continuous time (:math:`\Delta` in months, irregular between counts) with the
series' discrepancy sd :math:`\sigma_s` as its stationary sd and monthly persistence
:math:`\rho = 2^{-1/h}` (:math:`h` the half-life).

**Estimation (a cut posterior).** For every posterior draw a Kalman filter runs over the series'
counts in the fitted window, on a grid of half-lives (:data:`HALFLIFE_GRID`). Each draw's half-life
is drawn from its conditional posterior on the grid (the prior ``discrepancy_halflife`` times the
filter's likelihood of the draw's residuals), and the filter gives the gap at the last count,
:math:`N(m_s, P_s)`. The fit itself is not changed: the anchor is a second stage that reads the
fit's draws and never feeds back into them (a "cut" of the joint model, Plummer 2015), so the
persistence is learned from the residuals without re-sampling the chain.

**Forecast.** :math:`\Delta` months after the last count, the gap is
:math:`N(\rho^{\Delta} m_s,\ \rho^{2\Delta} P_s + (1 - \rho^{2\Delta}) \sigma_s^2)`: it starts at
the last counts and fades to the chain's own level with the half-life. A predicted count
(:meth:`StockAnchor.rows`) adds it to the chain's prediction in place of the independent
discrepancy; a forecast stock (:meth:`StockAnchor.paths`) is the chain's stock times
``exp(gap)``, with the gap simulated month by month as the same AR(1). The latents the anchor
carries are :data:`ANCHORED_LATENTS`: reception need (``opvangbehoefte``) follows COA's count of
its residents, so it is no longer exactly ``B + W + R`` in a forecast: the difference is the gap.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.model import build as B
from forecast.model.design import Design

#: The observation type whose series carry a persistent gap.
ANCHORED_TYPE = "stock"
#: The latent stock that each anchored series counts by its reference definition: a forecast of that
#: stock is multiplied by ``exp(gap)`` of the series.
ANCHORED_LATENTS: dict[str, str] = {
    "coa_occupancy": N.OPVANGBEHOEFTE,
    "coa_statushouders": "statushouders",
    "ind_backlog": "ind_backlog",
    "nareis_backlog": "nareis_backlog",
}
#: The prior of the gap's half-life in months (``priors/chain.toml``).
HALFLIFE_PRIOR = "discrepancy_halflife"
#: Half-lives (months) on which each draw's half-life is drawn: 0.25 months to 40 years, log-spaced.
HALFLIFE_GRID = np.geomspace(0.25, 480.0, 64)


def months_between(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Months from ``start`` to ``end``, fractional: ``days / (365.25 / 12)``.

    Parameters
    ----------
    start, end : numpy.ndarray
        Dates (datetime64, broadcastable against each other).

    Returns
    -------
    numpy.ndarray
        The months between them (negative where ``end`` is before ``start``).
    """
    days = (np.asarray(end, dtype="datetime64[D]") - np.asarray(start, dtype="datetime64[D]")).astype(float)
    return days / N.MONTH_DAYS


def kalman_gap(
    e: np.ndarray, v: np.ndarray, dt: np.ndarray, sigma: np.ndarray, rho: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Filter the gap of one series through its counts, for many draws and persistences at once.

    Parameters
    ----------
    e : numpy.ndarray
        Residuals, shape ``(n, k)``: ``n`` draws, ``k`` counts in time order.
    v : numpy.ndarray
        Each count's fixed noise variance, shape ``(k,)``.
    dt : numpy.ndarray
        Months from each count to the next, shape ``(k - 1,)`` (0 for two counts of one date).
    sigma : numpy.ndarray
        The gap's stationary sd per draw, shape ``(n,)``.
    rho : numpy.ndarray
        Monthly persistences, shape ``(g,)``.

    Returns
    -------
    loglik : numpy.ndarray
        Gaussian log-likelihood of each draw's residuals under each persistence, shape ``(n, g)``.
    mean, var : numpy.ndarray
        The gap at the last count given all counts, shape ``(n, g)``.

    Notes
    -----
    The state starts at its stationary distribution :math:`N(0, \sigma^2)`; between counts it
    moves as :math:`m \leftarrow a m`, :math:`P \leftarrow a^2 P + (1 - a^2)\sigma^2`,
    :math:`a = \rho^{\Delta}`; a count updates it with gain :math:`P / (P + v)`.
    """
    k = e.shape[1]
    s2 = (np.asarray(sigma, dtype=float) ** 2)[:, None] + np.zeros((1, len(rho)))
    m = np.zeros_like(s2)
    P = s2.copy()
    ll = np.zeros_like(s2)
    for i in range(k):
        if i > 0:
            a = np.asarray(rho, dtype=float)[None, :] ** dt[i - 1]
            m = a * m
            P = a * a * P + (1.0 - a * a) * s2
        S = P + v[i]
        r = e[:, i : i + 1] - m
        ll = ll - 0.5 * (np.log(2.0 * np.pi * S) + r * r / S)
        K = P / S
        m = m + K * r
        P = (1.0 - K) * P
    return ll, m, P


@dataclass(frozen=True)
class StockAnchor:
    """The gap of every anchored stock series at its last count, for every posterior draw.

    Build it with :func:`stock_anchor`. Draws are flattened chain-major (``n = chains x draws``),
    as in :class:`~forecast.model.forward.Forward`.

    Parameters
    ----------
    series : tuple of str
        The anchored series that the fit counted (type ``"stock"``, with a learned discrepancy).
    last_count : numpy.ndarray
        The date of each series' last count in the fitted window (datetime64[D]), shape ``(S,)``.
    mean, var : numpy.ndarray
        The gap (log scale) at the last count given the counts, shape ``(n, S)``.
    sd : numpy.ndarray
        The gap's stationary sd (the series' discrepancy sd), shape ``(n, S)``.
    halflife : numpy.ndarray
        Each draw's half-life of the gap in months, shape ``(n, S)``.
    """

    series: tuple[str, ...]
    last_count: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    sd: np.ndarray
    halflife: np.ndarray

    def take(self, index: np.ndarray) -> StockAnchor:
        """The anchor of the draws ``index`` (a conditioned forecast's, :meth:`Forward.take
        <forecast.model.forward.Forward.take>`).

        Parameters
        ----------
        index : numpy.ndarray
            ``(n,)`` draw indices.

        Returns
        -------
        StockAnchor
            The same series and last counts; every per-draw array re-indexed.
        """
        return dataclasses.replace(
            self,
            mean=self.mean[index],
            var=self.var[index],
            sd=self.sd[index],
            halflife=self.halflife[index],
        )

    @property
    def persistence(self) -> np.ndarray:
        """Monthly persistence ``2^(-1/halflife)``, shape ``(n, S)``."""
        return 0.5 ** (1.0 / self.halflife)

    def moments(self, j: int, months_after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of series ``j``'s gap ``months_after`` its last count.

        Parameters
        ----------
        j : int
            Index into :attr:`series`.
        months_after : numpy.ndarray
            Months after the last count, shape ``(k,)`` (at least 0).

        Returns
        -------
        mean, var : numpy.ndarray
            Shape ``(n, k)``.
        """
        a = self.persistence[:, j : j + 1] ** np.maximum(np.asarray(months_after, dtype=float), 0.0)[None, :]
        s2 = self.sd[:, j : j + 1] ** 2
        return a * self.mean[:, j : j + 1], a * a * self.var[:, j : j + 1] + (1.0 - a * a) * s2

    def rows(self, loc: np.ndarray, scale: np.ndarray, design: Design) -> tuple[np.ndarray, np.ndarray]:
        """The predictive location and scale of ``design``'s rows, with the gap carried on.

        Every row of an anchored series dated after its last count gets the gap's mean added to its
        location, and the gap's variance in place of the independent discrepancy in its scale
        (``scale^2 = gap variance + the row's fixed noise variance``). Other rows are unchanged.

        Parameters
        ----------
        loc, scale : numpy.ndarray
            From :func:`~forecast.model.build.row_predictions` on ``design``, shape ``(..., rows)``
            with ``n`` draws in the leading axes (chain-major).
        design : Design
            The rows' design (any window: the forecast's rows lie after the fit's last counts).

        Returns
        -------
        loc, scale : numpy.ndarray
            New arrays of the same shapes.
        """
        lead = loc.shape[:-1]
        loc = np.array(loc, dtype=float).reshape(-1, loc.shape[-1])
        scale = np.array(scale, dtype=float).reshape(-1, scale.shape[-1])
        rows = design.rows
        ends = rows[N.PERIOD_END].to_numpy(dtype="datetime64[D]")
        v = B.observation_data(design)[B.OBS_NOISE_VAR]
        for j, s in enumerate(self.series):
            idx = np.flatnonzero((rows[N.SERIES].to_numpy() == s) & (ends > self.last_count[j]))
            if not len(idx):
                continue
            mean, var = self.moments(j, months_between(self.last_count[j], ends[idx]))
            loc[:, idx] += mean
            scale[:, idx] = np.sqrt(var + v[idx])
        return loc.reshape(*lead, -1), scale.reshape(*lead, -1)

    def paths(self, months: pd.DatetimeIndex, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Simulate each anchored latent's gap over forecast months, as multipliers ``exp(gap)``.

        The gap is drawn at the end of the first month from its moments, then moves month by month as
        the AR(1) (end of month to end of month), so every month has exactly the moments of
        :meth:`moments`.

        Parameters
        ----------
        months : pandas.DatetimeIndex
            The forecast months (month starts); the gap is taken at each month's end.
        rng : numpy.random.Generator
            The random numbers (one standard normal per draw, series and month).

        Returns
        -------
        dict of str to numpy.ndarray
            Per latent of :data:`ANCHORED_LATENTS` whose series the fit counted: ``exp(gap)``,
            shape ``(n, H)``.
        """
        ends = (months + pd.offsets.MonthEnd(0)).to_numpy(dtype="datetime64[D]")
        n, H = self.mean.shape[0], len(ends)
        z = rng.standard_normal((len(self.series), n, H))
        out = {}
        for j, s in enumerate(self.series):
            first = months_between(self.last_count[j], ends[:1])
            m0, v0 = self.moments(j, first)
            gap = np.empty((n, H))
            gap[:, 0] = m0[:, 0] + np.sqrt(v0[:, 0]) * z[j, :, 0]
            if H > 1:
                a = self.persistence[:, j : j + 1] ** np.diff(months_between(ends[0], ends))[None, :]
                noise = np.sqrt(1.0 - a * a) * self.sd[:, j : j + 1] * z[j, :, 1:]
                for t in range(1, H):
                    gap[:, t] = a[:, t - 1] * gap[:, t - 1] + noise[:, t - 1]
            if s in ANCHORED_LATENTS:
                out[ANCHORED_LATENTS[s]] = np.exp(gap)
        return out


def stock_anchor(posterior, latents: dict, design: Design, prior, rng: np.random.Generator) -> StockAnchor:
    """Estimate the gap of every anchored stock series at its last count in the fitted window.

    Parameters
    ----------
    posterior : xarray.Dataset or xarray.DataTree
        The fitted posterior (dims chain, draw).
    latents : dict of str to numpy.ndarray
        The fitted latent paths (:func:`~forecast.model.build.posterior_latents`).
    design : Design
        The fit's observation design.
    prior : Prior
        The half-life's prior (``discrepancy_halflife``, LogNormal in months).
    rng : numpy.random.Generator
        Draws each draw's half-life from its grid posterior.

    Returns
    -------
    StockAnchor
        Over the series of type ``"stock"`` with a learned discrepancy that the fit counted.

    Raises
    ------
    ValueError
        When the prior is not LogNormal.
    """
    if prior.distribution != "LogNormal":
        raise ValueError(
            f"{HALFLIFE_PRIOR} must be LogNormal (a half-life in months), not {prior.distribution}"
        )
    loc, scale, _, _ = B.row_predictions(posterior, latents, design)
    n = int(np.prod(loc.shape[:-1]))
    loc = loc.reshape(n, -1)
    scale = scale.reshape(n, -1)
    y = design.y_transformed
    v = B.observation_data(design)[B.OBS_NOISE_VAR]
    rows = design.rows
    ends = rows[N.PERIOD_END].to_numpy(dtype="datetime64[D]")
    log_h = np.log(HALFLIFE_GRID)
    log_prior = -0.5 * ((log_h - prior.params["mu"]) / prior.params["sigma"]) ** 2
    rho = 0.5 ** (1.0 / HALFLIFE_GRID)
    series, last, means, variances, sds, halflives = [], [], [], [], [], []
    for sc in design.scales:
        kind, _, s = sc.partition(":")
        if kind != ANCHORED_TYPE or not s:
            continue
        idx = np.flatnonzero(rows.scale_index.to_numpy() == design.scales.index(sc))
        idx = idx[np.argsort(ends[idx], kind="stable")]
        sigma = np.sqrt(np.maximum(scale[:, idx[0]] ** 2 - v[idx[0]], 1e-12))
        e = y[idx][None, :] - loc[:, idx]
        ll, m, P = kalman_gap(e, v[idx], months_between(ends[idx][:-1], ends[idx][1:]), sigma, rho)
        g = np.argmax(ll + log_prior[None, :] + rng.gumbel(size=ll.shape), axis=1)
        pick = np.arange(n)
        series.append(s)
        last.append(ends[idx][-1])
        means.append(m[pick, g])
        variances.append(P[pick, g])
        sds.append(sigma)
        halflives.append(HALFLIFE_GRID[g])
    stack = (lambda xs: np.stack(xs, axis=1)) if series else (lambda xs: np.zeros((n, 0)))
    return StockAnchor(
        series=tuple(series),
        last_count=np.array(last, dtype="datetime64[D]"),
        mean=stack(means),
        var=stack(variances),
        sd=stack(sds),
        halflife=stack(halflives),
    )
