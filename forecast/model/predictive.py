"""What a fitted chain predicts: its latents, the chain continued forward, the posterior predictive.

:class:`ChainPredictions` is the predicting half of :class:`~forecast.model.chain_model.ChainModel`
(which builds, fits, saves and loads): the latent chain over the fitted months, the chain simulated
forward (:class:`~forecast.model.forward.Forward`), the first-applications outlook, the posterior
predictive of the observation rows and its coverage. Its helpers take the model's scale to what is
reported: :func:`back_transform` maps observation rows from their model scale (log, logit, identity)
back to the natural one, :func:`planning_occupancy_rate` converts reception need in persons to
places, and the ``*_dataset`` functions shape the results as xarray datasets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.data import History
from forecast.model import build as B
from forecast.model.anchor import HALFLIFE_PRIOR, stock_anchor
from forecast.model.forward import Forward
from forecast.model.io import with_units


def planning_occupancy_rate(history: History, months: pd.DatetimeIndex) -> np.ndarray:
    """The planning occupancy rate in force in each month (places = persons ÷ rate).

    Each ``planning_occupancy_rate`` input applies from its date (``period_end``) until the next
    one; months before the first known rate use the first. In the bundled inputs: 96 % from
    the capacity decision of November 2022, 91 % from January 2025 (the autumn-2023 plan).

    Parameters
    ----------
    history : History
        Its ``planning_occupancy_rate`` inputs are read.
    months : pandas.DatetimeIndex
        The months (month starts); a rate applies to a month when its date is on or before the
        month's end.

    Returns
    -------
    numpy.ndarray
        The rate (a fraction) per month, shape ``(len(months),)``.

    Raises
    ------
    ValueError
        When the history holds no planning occupancy rate.
    """
    rows = history.input_series("planning_occupancy_rate").sort_values(N.PERIOD_END)
    if rows.empty:
        raise ValueError("the history has no planning_occupancy_rate input: cannot convert persons to places")
    dates = rows[N.PERIOD_END].to_numpy(dtype="datetime64[ns]")
    values = rows[N.VALUE].to_numpy(dtype=float)
    month_ends = (months + pd.offsets.MonthEnd(0)).to_numpy(dtype="datetime64[ns]")
    idx = np.searchsorted(dates, month_ends, side="right") - 1
    return values[np.clip(idx, 0, len(values) - 1)]


def back_transform(values: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Map rows from their model scale back to the natural scale.

    Parameters
    ----------
    values : numpy.ndarray
        Values on the model scale, rows along the last axis.
    transform : numpy.ndarray
        Per row, ``"log"``, ``"logit"`` or ``"identity"`` (the ``transform`` of
        :func:`~forecast.model.build.row_predictions`).

    Returns
    -------
    numpy.ndarray
        A new array of the same shape: ``exp`` of the log rows, the logistic function of the logit
        rows, the identity rows unchanged.
    """
    out = np.array(values, dtype=float, copy=True)
    log = transform == "log"
    logit = transform == "logit"
    with np.errstate(over="ignore"):
        out[..., log] = np.exp(values[..., log])
        out[..., logit] = 1.0 / (1.0 + np.exp(-values[..., logit]))
    return out


def monthly_dataset(
    latents: dict[str, np.ndarray],
    months: pd.DatetimeIndex,
    chains: np.ndarray | None = None,
    draws: np.ndarray | None = None,
) -> xr.Dataset:
    """The latent flows and stocks over months as one dataset.

    Parameters
    ----------
    latents : dict of str to numpy.ndarray
        Latents (:func:`forecast.model.build.posterior_latents`); those with dims (chain, draw, month)
        are kept.
    months : pandas.DatetimeIndex
        The months (month starts).
    chains, draws : numpy.ndarray, optional
        The chain and draw labels (default: none, positions).

    Returns
    -------
    xarray.Dataset
        Every latent with dims (chain, draw, month).
    """
    coords = {} if chains is None else {N.DIM_CHAIN: chains, N.DIM_DRAW: draws}
    return xr.Dataset(
        {k: ((N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH), v) for k, v in latents.items() if np.ndim(v) == 3},
        coords={**coords, N.DIM_MONTH: months},
    )


def forward_dataset(fw, out: dict[str, np.ndarray]) -> xr.Dataset:
    """A forward simulation's flat draws as a dataset with chain and draw.

    Parameters
    ----------
    fw : Forward
        The draws simulated forward (:class:`forecast.model.forward.Forward`).
    out : dict of str to numpy.ndarray
        Its simulation (:meth:`~forecast.model.forward.Forward.simulate`): ``(n, H)`` per variable,
        or broadcastable to it.

    Returns
    -------
    xarray.Dataset
        Every variable with dims (chain, draw, month) over the forecast months.
    """
    H = len(fw.months)
    return xr.Dataset(
        {
            k: ((N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH), np.broadcast_to(v, (fw.n, H)).reshape(*fw.shape, H))
            for k, v in out.items()
        },
        coords={N.DIM_CHAIN: fw.chains, N.DIM_DRAW: fw.draws, N.DIM_MONTH: fw.months},
    )


def with_places(ds: xr.Dataset, history: History, months: pd.DatetimeIndex, *, with_rate: bool) -> xr.Dataset:
    """Add reception need in places: persons ÷ the planning occupancy rate in force.

    Parameters
    ----------
    ds : xarray.Dataset
        Holds :data:`forecast.names.OPVANGBEHOEFTE` (persons) along ``month``; changed in place.
    history : History
        Its planning occupancy rates are read (:func:`planning_occupancy_rate`).
    months : pandas.DatetimeIndex
        The months of ``ds``.
    with_rate : bool
        Also add the rate itself as ``planning_occupancy_rate``.

    Returns
    -------
    xarray.Dataset
        ``ds``, with :data:`forecast.names.OPVANGBEHOEFTE_PLACES` when the history holds a planning
        occupancy rate (a history cut before the first, 2022-12, gives persons only).
    """
    try:
        rates = planning_occupancy_rate(history, months)
    except ValueError:  # a history cut before the first planning occupancy rate: persons only
        return ds
    rate = xr.DataArray(rates, coords={N.DIM_MONTH: months})
    ds[N.OPVANGBEHOEFTE_PLACES] = ds[N.OPVANGBEHOEFTE] / rate
    if with_rate:
        ds["planning_occupancy_rate"] = rate
    return ds


#: The observation rows' coordinates along ``row`` in ``observed_data``, ``posterior_predictive`` and
#: ``log_likelihood``: select one series and definition before comparing draws with data.
ROW_COORDINATES: tuple[str, ...] = (N.SERIES, N.DEFINITION, N.QUALITY, N.SOURCE_FILE, N.LINE)


def row_coordinates(rows: pd.DataFrame) -> dict[str, tuple[str, np.ndarray]]:
    """The coordinates of the observation rows along ``row``.

    Parameters
    ----------
    rows : pandas.DataFrame
        The design's used rows (:attr:`forecast.model.design.Design.rows`).

    Returns
    -------
    dict
        :data:`ROW_COORDINATES` as text, and ``period_start``, ``period_end`` as dates, each
        ``("row", values)``.
    """
    rows = rows.reset_index(drop=True)
    coords = {c: ("row", rows[c].astype(str).to_numpy()) for c in ROW_COORDINATES}
    coords["period_start"] = ("row", rows[N.PERIOD_START].to_numpy())
    coords["period_end"] = ("row", rows[N.PERIOD_END].to_numpy())
    return coords


def rows_dataset(
    sims: np.ndarray, transform: np.ndarray, chains: np.ndarray, draws: np.ndarray, rows: pd.DataFrame
) -> xr.Dataset:
    """Simulated observation rows on their model scale and on the natural scale, as one dataset.

    Parameters
    ----------
    sims : numpy.ndarray
        Simulated rows on their model scale, (chain, draw, row).
    transform : numpy.ndarray
        Per row, its transform (:func:`back_transform`).
    chains, draws : numpy.ndarray
        The chain and draw labels.
    rows : pandas.DataFrame
        The design's used rows: their :func:`row_coordinates` label ``row``.

    Returns
    -------
    xarray.Dataset
        ``value`` (natural scale, the unit of each row's series) and ``transformed`` (the row's
        model scale) with dims (chain, draw, row).
    """
    dims = (N.DIM_CHAIN, N.DIM_DRAW, "row")
    ds = xr.Dataset(
        {"value": (dims, back_transform(sims, transform)), "transformed": (dims, sims)},
        coords={N.DIM_CHAIN: chains, N.DIM_DRAW: draws, **row_coordinates(rows)},
    )
    ds["value"].attrs["units"] = N.ROW_UNITS
    ds["transformed"].attrs["units"] = "1"
    ds["transformed"].attrs["long_name"] = "the value on the row's model scale (log, logit or identity)"
    return ds


def pointwise_log_likelihood(
    loc: np.ndarray, scale: np.ndarray, nu: float, observed: np.ndarray
) -> np.ndarray:
    r"""The log density of every observed row under each posterior draw.

    Each row's observation model is a Student-t on the row's model scale (:mod:`forecast.model.obslik`):

    .. math::

        \log p(y_i \mid \theta) = \log\Gamma\big(\tfrac{\nu+1}{2}\big)
        - \log\Gamma\big(\tfrac{\nu}{2}\big) - \tfrac12 \log(\nu\pi) - \log s_i
        - \tfrac{\nu+1}{2} \log\Big(1 + \tfrac{(y_i - \mu_i)^2}{\nu s_i^2}\Big)

    Parameters
    ----------
    loc, scale : numpy.ndarray
        :math:`\mu_i` and :math:`s_i` per draw and row (:func:`forecast.model.build.row_predictions`).
    nu : float
        Degrees of freedom.
    observed : numpy.ndarray
        :math:`y_i`, the observed rows on their model scale.

    Returns
    -------
    numpy.ndarray
        Same shape as ``loc``; summed over rows, the model's log-likelihood of the draw.
    """
    from scipy.stats import t as student_t

    return student_t.logpdf(observed, nu, loc=loc, scale=scale)


def coverage_table(sims: np.ndarray, design, levels: tuple[float, ...]) -> pd.DataFrame:
    """The in-sample coverage of central posterior-predictive intervals per (series, definition).

    The rows are compared on their own scale (a monotone transform leaves central intervals intact);
    residual rows (a coarse figure minus its finer rows) are compared as residuals.

    Parameters
    ----------
    sims : numpy.ndarray
        Simulated rows on their model scale, rows along the last axis.
    design : Design
        The observation design (:class:`forecast.model.design.Design`) the rows belong to.
    levels : tuple of float
        Probabilities of the central intervals.

    Returns
    -------
    pandas.DataFrame
        One row per (series, definition): ``n`` and the share of observations inside the central
        interval of each level (``cover_50``, ``cover_90``, ...).
    """
    flat = sims.reshape(-1, sims.shape[-1])
    obs = np.asarray(design.y_transformed, dtype=float)
    out = pd.DataFrame(
        {
            N.SERIES: design.rows[N.SERIES].to_numpy(),
            N.DEFINITION: design.rows[N.DEFINITION].to_numpy(),
        }
    )
    for level in levels:
        lo, hi = np.quantile(flat, [(1 - level) / 2, (1 + level) / 2], axis=0)
        out[f"cover_{round(level * 100)}"] = (obs >= lo) & (obs <= hi)
    grouped = out.groupby([N.SERIES, N.DEFINITION])
    table = grouped.mean()
    table.insert(0, "n", grouped.size())
    return table


class ModelNotFittedError(RuntimeError):
    """A method needs a fitted model; call :meth:`ChainModel.fit` or :meth:`ChainModel.load` first."""


class ChainPredictions:
    """What a fitted chain predicts: its latents, the chain continued forward, the posterior predictive.

    The predicting half of :class:`~forecast.model.chain_model.ChainModel`, which fits and saves; its
    methods read the model's ``idata`` (the fit), ``design``, ``inputs``, ``history``, ``settings``,
    ``priors`` and ``effects``.
    """

    idata: xr.DataTree | None

    def require_fit(self) -> xr.DataTree:
        """The fitted result, or an error that says how to get one.

        Returns
        -------
        xarray.DataTree
            :attr:`idata`.

        Raises
        ------
        ModelNotFittedError
            When the model is not fitted.
        """
        if self.idata is None:
            raise ModelNotFittedError("the model is not fitted: call fit() or ChainModel.load() first")
        return self.idata

    def latents(self) -> dict[str, np.ndarray]:
        """Recompute every latent flow and stock for each posterior draw.

        Returns
        -------
        dict of str to numpy.ndarray
            Arrays (chain, draw, month) over the fitted months
            (:func:`forecast.model.build.posterior_latents`).

        Raises
        ------
        ModelNotFittedError
            When the model is not fitted.
        """
        idata = self.require_fit()
        return B.posterior_latents(idata["posterior"].to_dataset(), self.design, self.inputs, self.effects)

    def latent_dataset(self) -> xr.Dataset:
        """Return the latent flows and stocks over the fitted months as an xarray Dataset.

        Besides every flow and stock of the chain it holds ``opvangbehoefte_places``:
        reception need in places, persons ÷ the planning occupancy rate in force
        (:func:`planning_occupancy_rate`), when the history holds one (a history cut before the
        first, 2022-12, gives persons only, as :meth:`forecast` does).

        Returns
        -------
        xarray.Dataset
            Every latent of :meth:`latents` with dims (chain, draw, month), plus
            ``opvangbehoefte_places`` and ``planning_occupancy_rate`` (dim month) when a planning
            occupancy rate is known.

        Raises
        ------
        ModelNotFittedError
            When the model is not fitted.
        """
        lat = self.latents()
        months = self.fitted_months()
        post = self.require_fit()["posterior"]
        ds = monthly_dataset(lat, months, post[N.DIM_CHAIN].values, post[N.DIM_DRAW].values)
        return with_units(with_places(ds, self.history, months, with_rate=True))

    def fitted_months(self) -> pd.DatetimeIndex:
        """Return the modelled months.

        Returns
        -------
        pandas.DatetimeIndex
            Month starts from ``settings.start`` to ``settings.end``.
        """
        return pd.period_range(self.settings.start, self.settings.end, freq="M").to_timestamp()

    def forward(
        self,
        horizon_end: Any = N.DEFAULT_HORIZON_END,
        random_seed: int = N.DEFAULT_SEED,
        condition: bool = True,
    ) -> Forward:
        """Every posterior draw, ready to be simulated forward to ``horizon_end``.

        The same :func:`~forecast.model.dynamics.simulate_chain` as the fit, continued from each
        draw's state at the last fitted month; see :mod:`forecast.model.forward` for what keeps
        moving (first applications, repeat share, grant rate, IND capacity, housing realisation) and
        how the taakstelling is set where it is not yet known. Where a taakstelling is already set
        for a half-year of the forecast, the draws are conditioned on it as the fit is on the
        taakstellingen of its window (:mod:`forecast.model.conditioning`; ``Forward.index`` then
        says which posterior draw each forecast draw is). The last result is cached: a
        second call with the same horizon end (date), seed and ``condition`` on the same posterior
        returns the same object, and the conditioned forecast is the cached plain one resampled (a new
        fit, or a new ``idata``, builds them anew).

        Parameters
        ----------
        horizon_end : str or date-like, optional
            The last forecast month: any date in it (default
            :data:`forecast.names.DEFAULT_HORIZON_END`).
        random_seed : int, optional
            Seed of the future's random numbers (default :data:`forecast.names.DEFAULT_SEED`).
        condition : bool, optional
            Condition on the taakstellingen set for the forecast months (default True).

        Returns
        -------
        Forward
            The posterior draws with their state at the last fitted month and the future's
            random numbers, over the months after the last fitted one up to ``horizon_end``.

        Raises
        ------
        ModelNotFittedError
            When the model is not fitted.
        ValueError
            When ``horizon_end`` lies before the first month after the fitted ones.
        """
        idata = self.require_fit()
        key = (str(pd.Timestamp(horizon_end).date()), int(random_seed))
        # the cached Forwards belong to one posterior object: a refit must not reuse the old draws;
        # the conditioned one is the plain one resampled, so both are kept for one horizon and seed
        cached = self.__dict__.get("_forward_cache")
        if cached is None or cached[0] is not idata or cached[1] != key:
            cached = self.__dict__["_forward_cache"] = (idata, key, {})
        forwards = cached[2]
        if bool(condition) in forwards:
            return forwards[bool(condition)]
        post = idata["posterior"].to_dataset()
        if False not in forwards:
            latents = self.latents()
            anchor = stock_anchor(
                post,
                latents,
                self.design,
                self.priors[HALFLIFE_PRIOR],
                np.random.default_rng([random_seed, 2]),
            )
            forwards[False] = Forward(
                post,
                latents,
                self.inputs,
                self.history,
                self.fitted_months(),
                self.priors,
                horizon_end=horizon_end,
                random_seed=random_seed,
                anchor=anchor,
            )
        if condition and True not in forwards:
            forwards[True] = forwards[False].condition(self.history, post, self.priors)
        return forwards[bool(condition)]

    def forecast(
        self, horizon_end: Any = N.DEFAULT_HORIZON_END, random_seed: int = N.DEFAULT_SEED
    ) -> xr.Dataset:
        """The chain continued under current policy: every flow and stock per draw and forecast month.

        This is the posterior predictive of the chain beyond the data, with no policy measure
        applied; the stocks that COA and the IND count (need, statushouders, the two backlogs) carry
        their gap from the last counts (:mod:`forecast.model.anchor`), and the draws are conditioned
        on the taakstellingen set for the forecast months (:mod:`forecast.model.conditioning`). The scenario
        ``geen_maatregelen`` of :mod:`forecast.scenarios.engine` gives exactly these numbers for the
        same seed.

        Parameters
        ----------
        horizon_end : str or date-like, optional
            The last forecast month: any date in it (default
            :data:`forecast.names.DEFAULT_HORIZON_END`).
        random_seed : int, optional
            Seed of the future's random numbers (default :data:`forecast.names.DEFAULT_SEED`).

        Returns
        -------
        xarray.Dataset
            Every variable of :data:`forecast.model.forward.FORECAST_VARIABLES` plus
            ``opvangbehoefte_places`` (only when the history holds a planning occupancy rate: a
            history cut before the first one, 2022-12, gives persons only), dims (chain, draw, month).
        """
        fw = self.forward(horizon_end, random_seed)
        ds = with_places(forward_dataset(fw, fw.simulate()), self.history, fw.months, with_rate=False)
        ds.attrs.update({"random_seed": int(random_seed), "policy": "current policy (no measures)"})
        return with_units(ds)

    def instroom_outlook(self, months: int = 24, random_seed: int = N.DEFAULT_SEED) -> xr.DataArray:
        """First applications projected ``months`` ahead by the fitted instroom process.

        The log level continues the fitted process, an AR(1) around the draw's mean level with
        Student-t innovations (the draw's half-life, scale and degrees of freedom; heavy tails stand
        for shocks like the 2015 surge or the 2020 closures, which cannot be dated in advance), plus
        the draw's seasonal pattern. No policy measure is applied: this is the current-policy outlook
        of inflow; its bands widen over the first year or two and then stay at the process's
        stationary width. It is the ``instroom`` of :meth:`forecast` for the same seed.

        Parameters
        ----------
        months : int, optional
            Number of months after the last fitted month (default 24).
        random_seed : int, optional
            Seed of the future's random numbers (default :data:`forecast.names.DEFAULT_SEED`).

        Returns
        -------
        xarray.DataArray
            Persons per month, dims (chain, draw, month).

        Raises
        ------
        ValueError
            When ``months`` is less than 1.
        """
        if months < 1:
            raise ValueError(f"months must be at least 1, got {months}")
        end = pd.Period(self.settings.end, "M") + months
        return self.forecast(end.to_timestamp(how="end"), random_seed)["instroom"]

    def sample_posterior_predictive(self, random_seed: int = N.DEFAULT_SEED) -> xr.Dataset:
        """Simulate every used observation row from the posterior (noise included).

        Each row is drawn from its observation model: on the row's scale (log for
        counts, logit for rates and shares, identity for the signed taakstelling
        backlog) ``loc + scale * t(nu)``, then transformed back.

        Parameters
        ----------
        random_seed : int, optional
            Seed of the observation noise (default :data:`forecast.names.DEFAULT_SEED`).

        Returns
        -------
        xarray.Dataset
            ``value`` (natural scale) and ``transformed`` with dims (chain, draw,
            row), the rows labelled by :func:`row_coordinates`; also stored as the
            ``posterior_predictive`` group of :attr:`idata`, with the pointwise
            log-likelihood of every observed row (:func:`pointwise_log_likelihood`) as its
            ``log_likelihood`` group (``az.loo`` reads it).
        """
        idata = self.require_fit()
        rng = np.random.default_rng(random_seed)
        posterior = idata["posterior"].to_dataset()
        loc, scale, nu, transform = B.row_predictions(posterior, self.latents(), self.design, self.inputs)
        sims = loc + scale * rng.standard_t(nu, size=loc.shape)
        post = idata["posterior"]
        chains, draws = post[N.DIM_CHAIN].values, post[N.DIM_DRAW].values
        rows = self.design.rows
        ds = rows_dataset(sims, transform, chains, draws, rows)
        idata["posterior_predictive"] = xr.DataTree(ds)
        observed = np.asarray(self.design.y_transformed, dtype=float)
        loglik = pointwise_log_likelihood(loc, scale, nu, observed)
        ll = xr.Dataset(
            {"value": ((N.DIM_CHAIN, N.DIM_DRAW, "row"), loglik)},
            coords={N.DIM_CHAIN: chains, N.DIM_DRAW: draws, **row_coordinates(rows)},
        )
        ll["value"].attrs.update(units="1", long_name="log density of the observed row on its model scale")
        idata["log_likelihood"] = xr.DataTree(ll)
        return ds

    def coverage(self, levels: tuple[float, ...] = (0.5, 0.9)) -> pd.DataFrame:
        """Measure the in-sample coverage of central posterior-predictive intervals.

        Without a posterior predictive yet, :meth:`sample_posterior_predictive` is run first
        (default seed).

        Parameters
        ----------
        levels : tuple of float, optional
            Probabilities of the central intervals (default 50 % and 90 %).

        Returns
        -------
        pandas.DataFrame
            One row per (series, definition): ``n`` and the share of observations
            inside the central interval of each level (``cover_50``, ``cover_90``, ...).
        """
        idata = self.require_fit()
        if "posterior_predictive" not in idata.children:
            self.sample_posterior_predictive()
        # compared on the rows' own scale (a monotone transform leaves central intervals intact);
        # residual rows (a coarse figure minus its finer rows) are compared as residuals
        sims = idata["posterior_predictive"]["transformed"].values
        return coverage_table(sims, self.design, levels)
