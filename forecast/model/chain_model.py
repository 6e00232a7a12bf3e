"""The user-facing model of the reception chain: build, fit, check, predict, save, load.

In the spirit of pymc-marketing's model classes::

    import forecast
    from forecast.model import ChainModel

    model = ChainModel(forecast.load_history())
    result = model.fit(random_seed=2026)          # nutpie by default; the diagnostics gate runs
    print(model.diagnostics)                      # R-hat, ESS, divergences, E-BFMI: PASSED/FAILED
    model.sample_posterior_predictive(random_seed=1)
    print(model.coverage())                       # in-sample 50 % / 90 % coverage per series
    model.save("fit.nc")
    again = ChainModel.load("fit.nc")             # refuses another version or prior config

The chain's dynamics live in :mod:`forecast.model.dynamics` (one definition for
fitting and for simulating forward), the mapping of observations onto the chain
in :mod:`forecast.model.design`, and the PyMC graph in :mod:`forecast.model.build`.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.data import History, load_history
from forecast.model import build as B
from forecast.model import design as D
from forecast.model import fitcache
from forecast.model.diagnostics import FitDiagnostics, FitDiagnosticsWarning, Thresholds, check_fit
from forecast.model.forward import Forward
from forecast.model.io import (
    ATTR_CONFIG_HASH,
    ATTR_VERSION,
    ConfigMismatchError,
    SavedFitError,
    check_config_hash,
    load_tree,
    save_tree,
    versions,
)
from forecast.priors import PriorConfig, PriorConfigError, load_priors

#: Bump when the model's equations change, so old results are not mistaken for new ones.
MODEL_STRUCTURE_VERSION = "chain-2"

SAMPLERS = ("nutpie", "pymc")

#: The latent stock that is reception need (persons in COA reception).
OPVANGBEHOEFTE = N.OPVANGBEHOEFTE


class ModelNotFittedError(RuntimeError):
    """A method needs a fitted model; call :meth:`ChainModel.fit` or :meth:`ChainModel.load` first."""


@dataclass(frozen=True)
class ModelSettings:
    """Settings that shape the model (they enter the config hash).

    Parameters
    ----------
    start : str
        First modelled month (``YYYY-MM``).
    end : str or None
        Last modelled month; default the month of the last observation.
    """

    start: str = "2014-01"
    end: str | None = None

    def resolve(self, history: History) -> ModelSettings:
        """Fill in ``end`` from the history.

        Parameters
        ----------
        history : History
            The data to be fitted.

        Returns
        -------
        ModelSettings
            These settings when ``end`` is set; otherwise a copy whose ``end`` is the month of the
            history's last observation (one dated on the first of a month, a stock on 1 January
            say, counts to the month before).
        """
        if self.end is not None:
            return self
        last = history.last_date
        # an observation dated on the first of a month (a stock on 1 Jan) belongs to the previous month end
        month = (last - pd.Timedelta(days=1)) if last.day == 1 else last
        return ModelSettings(self.start, f"{month:%Y-%m}")


def _fingerprint(
    priors: PriorConfig, settings: ModelSettings, effects: Sequence[B.ModelEffect] | None = None
) -> str:
    data = {"structure": MODEL_STRUCTURE_VERSION, "priors": priors.to_dict(), "settings": asdict(settings)}
    if effects is not None:  # only then: the hash of a model without effects is unchanged
        data["effects"] = [e.to_dict() for e in effects]
    payload = json.dumps(data, sort_keys=True)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


class ChainModel:
    """Bayesian stock-flow model of the reception chain, fitted to the history.

    Parameters
    ----------
    history : History, optional
        The data to fit (default: the bundled real history).
    priors : PriorConfig or str or Path, optional
        The prior configuration, or a folder of prior TOML files (default: the
        bundled ``priors/``).
    settings : ModelSettings, optional
        The modelled window (default :class:`ModelSettings`: from 2014-01 to the month of the last
        observation).
    effects : sequence of ModelEffect, optional
        Policy effects to estimate in the fit (:class:`forecast.model.build.ModelEffect`: one free
        parameter per effect multiplying its target flow or rate over the fitted months, ramps of
        length T; the phase-gate evaluation of :mod:`forecast.evaluation` builds them). They enter
        the config hash and the saved fit. Beyond the fitted months (:meth:`forward`,
        :meth:`forecast`) no effect is applied: a measure still in force is applied by the scenario
        engine. Default ``None``: the model without effects, exactly.

    Attributes
    ----------
    idata : xarray.DataTree or None
        The fitted result: ``posterior``, ``sample_stats``, ``observed_data``,
        ``fit_data`` and (after :meth:`sample_posterior_predictive`)
        ``posterior_predictive``; provenance in ``idata.attrs``.
    diagnostics : FitDiagnostics or None
        The diagnostics gate's verdict on the fit.

    Raises
    ------
    PriorConfigError
        When the priors are invalid, do not define exactly the model's parameters, or put mass
        outside a parameter's domain (:data:`forecast.model.build.PARAMETER_DOMAINS`).
    ValueError
        When the window is shorter than 24 months or an effect is invalid.
    """

    def __init__(
        self,
        history: History | None = None,
        priors: PriorConfig | str | Path | None = None,
        settings: ModelSettings | None = None,
        effects: Sequence[B.ModelEffect] | None = None,
    ) -> None:
        self.history = history if history is not None else load_history()
        if isinstance(priors, PriorConfig):
            self.priors = priors.require(B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
        else:
            self.priors = load_priors(priors, required=B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
        self.idata: xr.DataTree | None = None
        self.diagnostics: FitDiagnostics | None = None
        self._use_history(self.history, settings or ModelSettings())
        self.effects = B.check_effects(effects, self.inputs) if effects is not None else None

    def _use_history(self, history: History, settings: ModelSettings) -> None:
        """Derive the settings, the observation design and the inputs from ``history``."""
        self.history = history
        self.settings = settings.resolve(history)
        self.design = D.build_design(history, self.settings.start, self.settings.end)
        self.inputs = D.build_inputs(history, self.settings.start, self.settings.end)
        self._model = None

    # ------------------------------------------------------------------ identity
    @property
    def config_hash(self) -> str:
        """Hash of the prior configuration, the settings, the model structure (and the effects, if any)."""
        return _fingerprint(self.priors, self.settings, self.effects)

    def unused_observations(self) -> pd.DataFrame:
        """List every observation the model does not use, with the reason.

        Returns
        -------
        pandas.DataFrame
            One row per unused observation (source file and line, series, definition, period,
            value, quality) with ``reason``, sorted by file and line.
        """
        return self.design.unused.copy()

    # ------------------------------------------------------------------ building
    def build_model(self):
        """Build the PyMC model (once; later calls reuse it).

        Returns
        -------
        pymc.Model
            The model of :func:`forecast.model.build.build_model` for this history, priors and
            effects.
        """
        if self._model is None:
            self._model = B.build_model(self.design, self.inputs, self.priors, effects=self.effects)
        return self._model

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        history: History | None = None,
        *,
        sampler: str = "nutpie",
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int = 2026,
        thresholds: Thresholds | None = None,
        progressbar: bool | None = None,
    ) -> xr.DataTree:
        """Sample the posterior and run the diagnostics gate.

        Parameters
        ----------
        history : History, optional
            Refit on other data (rebuilds the design); default: the model's history.
        sampler : {"nutpie", "pymc"}
            nutpie (numba backend) by default; PyMC's own NUTS as the alternative.
        draws : int
            Draws per chain after tuning (default 1000).
        tune : int
            Tuning steps per chain (default 1000).
        chains : int
            Number of chains (default 4).
        random_seed : int
            The same seed and data give the same numbers.
        thresholds : Thresholds, optional
            Limits of the diagnostics gate (default: R-hat <= 1.01, ESS >= 400,
            no divergences, E-BFMI >= 0.3).
        progressbar : bool, optional
            Show the sampler's progress bar; default: when standard error is a terminal. It does
            not change the draws (nor the fit cache's key).

        Returns
        -------
        xarray.DataTree
            Also kept as :attr:`idata`. A fit that fails the gate warns loudly
            (:class:`~forecast.model.diagnostics.FitDiagnosticsWarning`) and is
            marked ``diagnostics_passed = 0`` in what it saves and prints.

        Raises
        ------
        ValueError
            For an unknown sampler, or a new history whose fitted months differ from the
            effects' ramps.
        """
        if sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
        if history is not None:
            T = self.design.T
            self._use_history(history, ModelSettings(self.settings.start))
            if self.effects is not None and self.design.T != T:
                raise ValueError(
                    "the effects' ramps cover the old fitted months: build a new ChainModel with effects "
                    "for the new history"
                )
        model = self.build_model()
        run = {"sampler": sampler, "draws": draws, "tune": tune, "chains": chains, "random_seed": random_seed}
        key = fitcache.fit_key(self.config_hash, self.history.data_hash, run)
        with fitcache.locked(key):  # a parallel process sampling the same key: wait and read its draws
            tree = fitcache.load(key)
            if tree is None:  # the same key gives the same draws: sample only what is not in the cache
                show = sys.stderr.isatty() if progressbar is None else bool(progressbar)
                tree = B.sample(model, **run, progressbar=show)
                fitcache.store(key, tree)
        free = [rv.name for rv in model.free_RVs]
        self.diagnostics = check_fit(tree, var_names=free, thresholds=thresholds)
        self.idata = self._attach(tree, sampler=sampler, random_seed=random_seed, draws=draws, tune=tune)
        return self.idata

    def _attach(self, tree: xr.DataTree, **run: Any) -> xr.DataTree:
        groups = {name: tree[name].to_dataset() for name in tree.children}
        groups["observed_data"] = self._observed_dataset()
        groups["fit_data/observations"] = _frame_dataset(self.history.observations, N.DIM_OBSERVATION)
        groups["fit_data/inputs"] = _frame_dataset(self.history.inputs, "input")
        groups["fit_data/events"] = _frame_dataset(self.history.events, "event_row")
        out = xr.DataTree.from_dict(groups)
        out.attrs.update(
            {
                ATTR_VERSION: versions()["forecast"],
                ATTR_CONFIG_HASH: self.config_hash,
                "model_structure": MODEL_STRUCTURE_VERSION,
                "versions": json.dumps(versions(), sort_keys=True),
                "priors": self.priors.to_json(),
                "settings": json.dumps(asdict(self.settings), sort_keys=True),
                "data_hash": self.history.data_hash,
                "diagnostics": self.diagnostics.to_json() if self.diagnostics else "",
                "diagnostics_passed": int(bool(self.diagnostics and self.diagnostics.passed)),
                **{k: str(v) for k, v in run.items()},
            }
        )
        if self.effects is not None:
            out.attrs["effects"] = json.dumps([e.to_dict() for e in self.effects], sort_keys=True)
        return out

    def _observed_dataset(self) -> xr.Dataset:
        rows = self.design.rows.reset_index(drop=True)
        ds = xr.Dataset(
            {"value": ("row", rows[N.VALUE].to_numpy(dtype=float))},
            coords={
                c: ("row", rows[c].astype(str).to_numpy())
                for c in (N.SERIES, N.DEFINITION, N.QUALITY, N.SOURCE_FILE, N.LINE)
            },
        )
        ds = ds.assign_coords(
            period_start=("row", rows[N.PERIOD_START].to_numpy()),
            period_end=("row", rows[N.PERIOD_END].to_numpy()),
        )
        return ds

    # ------------------------------------------------------------------ prior predictive
    def prior_predictive(self, draws: int = 500, random_seed: int = 2026) -> xr.Dataset:
        """Simulate the latent flows and stocks under the priors alone (no data).

        The prior predictive check: parameter values are drawn from the priors with PyMC (the
        observation likelihood is ignored) and pushed through the same dynamics as the fit.

        Parameters
        ----------
        draws : int, optional
            Number of prior draws (default 500).
        random_seed : int, optional
            Seed of the draws (default 2026).

        Returns
        -------
        xarray.Dataset
            Every latent flow and stock with dims (chain=1, draw, month).
        """
        import pymc as pm

        model = self.build_model()
        names = [v.name for v in (*model.free_RVs, *model.deterministics)]
        with model:
            values = pm.draw([model[n] for n in names], draws=draws, random_seed=random_seed)
        data = {}
        for name, val in zip(names, values, strict=True):
            dims = (N.DIM_CHAIN, N.DIM_DRAW, *(model.named_vars_to_dims.get(name) or ()))
            data[name] = (dims, np.asarray(val)[None, ...])
        prior = xr.Dataset(data)
        lat = B.posterior_latents(prior, self.design, self.inputs, self.effects)
        months = pd.period_range(self.settings.start, self.settings.end, freq="M").to_timestamp()
        return xr.Dataset(
            {k: ((N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH), v) for k, v in lat.items() if np.ndim(v) == 3},
            coords={N.DIM_MONTH: months},
        )

    # ------------------------------------------------------------------ predicting
    def _require_fit(self) -> xr.DataTree:
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
        idata = self._require_fit()
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
        months = pd.period_range(self.settings.start, self.settings.end, freq="M").to_timestamp()
        post = self._require_fit()["posterior"]
        coords = {
            N.DIM_CHAIN: post[N.DIM_CHAIN].values,
            N.DIM_DRAW: post[N.DIM_DRAW].values,
            N.DIM_MONTH: months,
        }
        ds = xr.Dataset(
            {k: ((N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH), v) for k, v in lat.items() if np.ndim(v) == 3},
            coords=coords,
        )
        try:
            rates = planning_occupancy_rate(self.history, months)
        except ValueError:  # a history cut before the first planning occupancy rate: persons only
            return ds
        rate = xr.DataArray(rates, coords={N.DIM_MONTH: months})
        ds[N.OPVANGBEHOEFTE_PLACES] = ds[OPVANGBEHOEFTE] / rate
        ds["planning_occupancy_rate"] = rate
        return ds

    def fitted_months(self) -> pd.DatetimeIndex:
        """Return the modelled months.

        Returns
        -------
        pandas.DatetimeIndex
            Month starts from ``settings.start`` to ``settings.end``.
        """
        return pd.period_range(self.settings.start, self.settings.end, freq="M").to_timestamp()

    def forward(self, horizon_end: Any = N.DEFAULT_HORIZON_END, random_seed: int = 2026) -> Forward:
        """Every posterior draw, ready to be simulated forward to ``horizon_end``.

        The same :func:`~forecast.model.dynamics.simulate_chain` as the fit, continued from each
        draw's state at the last fitted month; see :mod:`forecast.model.forward` for what keeps
        moving (first applications, repeat share, grant rate, IND capacity, housing realisation) and
        how the taakstelling is set where it is not yet known. The last result is cached: a
        second call with the same horizon end (date) and seed on the same posterior returns the
        same object (a new fit, or a new ``idata``, builds it anew).

        Parameters
        ----------
        horizon_end : str or date-like, optional
            The last forecast month: any date in it (default
            :data:`forecast.names.DEFAULT_HORIZON_END`).
        random_seed : int, optional
            Seed of the future's random numbers (default 2026).

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
        idata = self._require_fit()
        key = (str(pd.Timestamp(horizon_end).date()), int(random_seed))
        cache = self.__dict__.setdefault("_forward_cache", {})
        # the cached Forward belongs to one posterior object: a refit must not reuse the old draws
        if key not in cache or cache[key][0] is not idata:
            cache.clear()
            post = idata["posterior"].to_dataset()
            cache[key] = (
                idata,
                Forward(
                    post,
                    self.latents(),
                    self.inputs,
                    self.history,
                    self.fitted_months(),
                    self.priors,
                    horizon_end=horizon_end,
                    random_seed=random_seed,
                ),
            )
        return cache[key][1]

    def forecast(self, horizon_end: Any = N.DEFAULT_HORIZON_END, random_seed: int = 2026) -> xr.Dataset:
        """The chain continued under current policy: every flow and stock per draw and forecast month.

        This is the posterior predictive of the latent chain beyond the data, with no policy
        measure applied (the scenario ``geen_maatregelen`` of :mod:`forecast.scenarios.engine`
        gives exactly these numbers for the same seed).

        Parameters
        ----------
        horizon_end : str or date-like, optional
            The last forecast month: any date in it (default
            :data:`forecast.names.DEFAULT_HORIZON_END`).
        random_seed : int, optional
            Seed of the future's random numbers (default 2026).

        Returns
        -------
        xarray.Dataset
            Every variable of :data:`forecast.model.forward.FORECAST_VARIABLES` plus
            ``opvangbehoefte_places`` (only when the history holds a planning occupancy rate: a
            history cut before the first one, 2022-12, gives persons only), dims (chain, draw, month).
        """
        fw = self.forward(horizon_end, random_seed)
        out = fw.simulate()
        coords = {N.DIM_CHAIN: fw.chains, N.DIM_DRAW: fw.draws, N.DIM_MONTH: fw.months}
        ds = xr.Dataset(
            {
                k: (
                    (N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH),
                    np.broadcast_to(v, (fw.n, len(fw.months))).reshape(*fw.shape, len(fw.months)),
                )
                for k, v in out.items()
            },
            coords=coords,
        )
        try:
            rates = planning_occupancy_rate(self.history, fw.months)
        except ValueError:  # a history cut before the first planning occupancy rate: persons only
            rates = None
        if rates is not None:
            rate = xr.DataArray(rates, coords={N.DIM_MONTH: fw.months})
            ds[N.OPVANGBEHOEFTE_PLACES] = ds[OPVANGBEHOEFTE] / rate
        ds.attrs.update({"random_seed": int(random_seed), "policy": "current policy (no measures)"})
        return ds

    def instroom_outlook(self, months: int = 24, random_seed: int = 2026) -> xr.DataArray:
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
            Seed of the future's random numbers (default 2026).

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

    def sample_posterior_predictive(self, random_seed: int = 2026) -> xr.Dataset:
        """Simulate every used observation row from the posterior (noise included).

        Each row is drawn from its observation model: on the row's scale (log for
        counts, logit for rates and shares, identity for the signed taakstelling
        backlog) ``loc + scale * t(nu)``, then transformed back.

        Parameters
        ----------
        random_seed : int, optional
            Seed of the observation noise (default 2026).

        Returns
        -------
        xarray.Dataset
            ``value`` (natural scale) and ``transformed`` with dims (chain, draw,
            row); also stored as the ``posterior_predictive`` group of :attr:`idata`.
        """
        idata = self._require_fit()
        rng = np.random.default_rng(random_seed)
        posterior = idata["posterior"].to_dataset()
        loc, scale, nu, transform = B.row_predictions(posterior, self.latents(), self.design, self.inputs)
        sims = loc + scale * rng.standard_t(nu, size=loc.shape)
        natural = back_transform(sims, transform)
        post = idata["posterior"]
        dims = (N.DIM_CHAIN, N.DIM_DRAW, "row")
        ds = xr.Dataset(
            {"value": (dims, natural), "transformed": (dims, sims)},
            coords={N.DIM_CHAIN: post[N.DIM_CHAIN].values, N.DIM_DRAW: post[N.DIM_DRAW].values},
        )
        idata["posterior_predictive"] = xr.DataTree(ds)
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
        idata = self._require_fit()
        if "posterior_predictive" not in idata.children:
            self.sample_posterior_predictive()
        # compared on the rows' own scale (a monotone transform leaves central intervals intact);
        # residual rows (a coarse figure minus its finer rows) are compared as residuals
        sims = idata["posterior_predictive"]["transformed"].values
        flat = sims.reshape(-1, sims.shape[-1])
        obs = np.asarray(self.design.y_transformed, dtype=float)
        out = pd.DataFrame(
            {
                N.SERIES: self.design.rows[N.SERIES].to_numpy(),
                N.DEFINITION: self.design.rows[N.DEFINITION].to_numpy(),
            }
        )
        for level in levels:
            lo, hi = np.quantile(flat, [(1 - level) / 2, (1 + level) / 2], axis=0)
            out[f"cover_{round(level * 100)}"] = (obs >= lo) & (obs <= hi)
        grouped = out.groupby([N.SERIES, N.DEFINITION])
        table = grouped.mean()
        table.insert(0, "n", grouped.size())
        return table

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted result to ``*.nc`` (netCDF) or ``*.zarr``, atomically.

        The file holds the posterior, sample stats, observed rows, the fit data
        (observations, inputs, events), the prior configuration, the settings,
        the versions, the config and data hashes and the diagnostics verdict.

        Parameters
        ----------
        path : str or Path
            A ``*.nc`` file or ``*.zarr`` store; an existing one is replaced.

        Returns
        -------
        Path
            ``path``.

        Raises
        ------
        ModelNotFittedError
            When the model is not fitted.
        SavedFitError
            When ``path`` ends in neither ``.nc`` nor ``.zarr``.
        """
        return save_tree(self._require_fit(), path)

    @classmethod
    def load(
        cls,
        path: str | Path,
        priors: PriorConfig | str | Path | None = None,
        *,
        check_version: bool = True,
    ) -> ChainModel:
        """Read a saved fit, check it, and rebuild the model around it.

        Every part of the file is checked before it is used: the version (with ``check_version``),
        the groups (``posterior`` and the fit data), the saved settings, priors and effects
        against the config hash, the fit data against the data hash, and the diagnostics
        verdict. ``diagnostics_passed`` is the verdict: a fit saved with ``diagnostics_passed = 0``
        loads with ``diagnostics.passed`` False and warns
        (:class:`~forecast.model.diagnostics.FitDiagnosticsWarning`), with or without the
        ``diagnostics`` details.

        Parameters
        ----------
        path : str or Path
            A ``*.nc`` file or ``*.zarr`` store written by :meth:`save`.
        priors : PriorConfig or folder, optional
            When given, the saved fit must have been made under exactly these
            priors (otherwise :class:`~forecast.model.io.ConfigMismatchError`).
            When omitted, the priors saved with the fit are used.
        check_version : bool
            Refuse a fit saved by another ``forecast`` version
            (:class:`~forecast.model.io.VersionMismatchError`).

        Returns
        -------
        ChainModel
            The fitted model: its history, settings, priors and effects as saved, with
            :attr:`idata` and :attr:`diagnostics`.

        Raises
        ------
        SavedFitError
            Naming the file and what is wrong: a missing or unreadable file, not a forecast
            result, another version (with ``check_version``; :class:`VersionMismatchError`),
            other priors than ``priors`` or saved priors, settings or effects that do not match
            the config hash (:class:`ConfigMismatchError`), a missing ``posterior`` or fit data
            group, a missing or invalid ``settings``, ``priors``, ``effects``, ``data_hash``,
            ``diagnostics`` or ``diagnostics_passed`` attribute, or fit data that do not match
            their recorded hash (the file was edited or damaged).
        PriorConfigError
            When ``priors`` is invalid (a folder of invalid prior files, or priors outside the
            model's parameter domains).

        Warns
        -----
        FitDiagnosticsWarning
            When the saved fit failed the diagnostics gate (``diagnostics_passed = 0``).
        """
        tree = load_tree(path, check_version=check_version)
        for group in _SAVED_GROUPS:
            if not isinstance(_group(tree, group), xr.DataTree):
                raise SavedFitError(f"{path}: no {group!r} group: not a saved fit, or a damaged one")
        settings = _saved_settings(tree, path)
        saved_priors = _saved_priors(tree, path)
        effects = _saved_effects(tree, path)
        if priors is None:
            config = saved_priors
            if _fingerprint(config, settings, effects) != tree.attrs[ATTR_CONFIG_HASH]:
                raise ConfigMismatchError(
                    f"{path}: the priors, settings and effects saved in it do not match its config hash "
                    f"{tree.attrs[ATTR_CONFIG_HASH]}: the file was edited or damaged"
                )
        else:
            if isinstance(priors, PriorConfig):
                config = priors
            else:
                config = load_priors(priors, required=B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
            check_config_hash(tree, path, _fingerprint(config, settings, effects))
        history = _saved_history(tree, path)
        diagnostics = _saved_diagnostics(tree, path)
        try:
            model = cls(history, config, settings, effects=effects)
        except PriorConfigError:
            raise  # the caller's priors (the saved ones were checked above)
        except (ValueError, KeyError, TypeError) as exc:
            raise SavedFitError(f"{path}: the saved fit cannot be rebuilt into a model: {exc}") from exc
        model.idata = tree
        model.diagnostics = diagnostics
        if not diagnostics.passed:
            warnings.warn(
                f"FIT FAILED THE DIAGNOSTICS GATE: {path} holds a fit that failed it "
                f"({'; '.join(diagnostics.failures)}); do not use its numbers",
                FitDiagnosticsWarning,
                stacklevel=2,
            )
        return model

    def __repr__(self) -> str:
        state = "not fitted" if self.idata is None else str(self.diagnostics)
        effects = f", {len(self.effects)} policy effect(s)" if self.effects else ""
        return (
            f"ChainModel({self.settings.start}..{self.settings.end}, "
            f"{len(self.design.rows)} observations used, {len(self.design.unused)} unused{effects}, "
            f"config {self.config_hash[:19]})\n{state}"
        )


# ------------------------------------------------------------------ reading a saved fit back
#: Groups every saved fit must hold.
_SAVED_GROUPS = ("posterior", "fit_data/observations", "fit_data/inputs", "fit_data/events")


def _group(tree: xr.DataTree, path: str) -> object:
    """The node at ``path`` of ``tree``, or None."""
    try:
        return tree[path]
    except KeyError:
        return None


def _attr(tree: xr.DataTree, path: str | Path, name: str, what: str) -> Any:
    """The root attribute ``name`` of a saved fit; a SavedFitError naming the file when it is missing."""
    if name not in tree.attrs:
        raise SavedFitError(f"{path}: no {name!r} attribute ({what}): the file was edited or damaged")
    return tree.attrs[name]


def _json_attr(tree: xr.DataTree, path: str | Path, name: str, what: str) -> Any:
    """A root attribute holding JSON text, parsed; a SavedFitError naming the file when it cannot be."""
    text = _attr(tree, path, name, what)
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SavedFitError(f"{path}: the {name!r} attribute ({what}) is not valid JSON: {exc}") from None


def _saved_settings(tree: xr.DataTree, path: str | Path) -> ModelSettings:
    """The saved :class:`ModelSettings`, checked key by key."""
    data = _json_attr(tree, path, "settings", "the model settings")
    known = [f.name for f in fields(ModelSettings)]
    if not isinstance(data, dict):
        raise SavedFitError(f"{path}: the saved settings are not a table of {', '.join(known)}")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SavedFitError(
            f"{path}: unknown key(s) {', '.join(map(repr, unknown))} in the saved settings "
            f"(known: {', '.join(known)}): the file was edited or damaged"
        )
    start, end = data.get("start", ModelSettings.start), data.get("end")
    if not isinstance(start, str) or not (end is None or isinstance(end, str)):
        raise SavedFitError(f"{path}: the saved settings start {start!r} / end {end!r} are not months")
    return ModelSettings(start, end)


def _saved_priors(tree: xr.DataTree, path: str | Path) -> PriorConfig:
    """The saved prior configuration, validated like prior files (names and domains included)."""
    data = _json_attr(tree, path, "priors", "the prior configuration")
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SavedFitError(f"{path}: the saved priors are not a table of priors")
    try:
        config = PriorConfig.from_dict(data, file=str(path))
        return config.require(B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
    except PriorConfigError as exc:
        raise SavedFitError(f"{path}: the saved priors are invalid: {exc}") from None


def _saved_effects(tree: xr.DataTree, path: str | Path) -> list[B.ModelEffect] | None:
    """The policy effects estimated in the saved fit, or None for a fit without effects."""
    if not tree.attrs.get("effects"):
        return None
    data = _json_attr(tree, path, "effects", "the policy effects estimated in the fit")
    try:
        return [B.ModelEffect.from_dict(d) for d in data]
    except (KeyError, TypeError, ValueError) as exc:  # PriorConfigError is a ValueError
        raise SavedFitError(f"{path}: the saved effects are invalid: {exc}") from None


def _saved_history(tree: xr.DataTree, path: str | Path) -> History:
    """The fit data as a History, checked against the data hash recorded with the fit."""
    recorded = _attr(tree, path, "data_hash", "the hash of the fit data")
    try:
        history = History(
            _dataset_frame(tree["fit_data/observations"].to_dataset()),
            _dataset_frame(tree["fit_data/inputs"].to_dataset()),
            _dataset_frame(tree["fit_data/events"].to_dataset()),
        )
        actual = history.data_hash
    except Exception as exc:  # damaged tables fail in many ways
        raise SavedFitError(f"{path}: the fit data cannot be read back ({exc})") from exc
    if actual != recorded:
        raise SavedFitError(
            f"the fit data in {path} do not match their recorded hash: the file was edited or damaged "
            f"(recorded {recorded}, recomputed {actual})"
        )
    return history


def _saved_diagnostics(tree: xr.DataTree, path: str | Path) -> FitDiagnostics:
    """The diagnostics of a saved fit; ``diagnostics_passed`` is the verdict.

    The ``diagnostics`` details, when present, must agree with it; without them the numbers are NaN
    and a failed verdict says so in ``failures``.
    """
    raw = _attr(tree, path, "diagnostics_passed", "the diagnostics gate's verdict")
    value = np.asarray(raw)
    if value.shape != () or value.dtype.kind not in "iub" or int(value) not in (0, 1):
        raise SavedFitError(f"{path}: 'diagnostics_passed' must be 0 or 1, got {raw!r}")
    passed = bool(int(value))
    text = tree.attrs.get("diagnostics", "")
    if isinstance(text, str) and not text:
        post = tree["posterior"]
        nan = math.nan
        reason = (
            f"the fit failed the gate when it was made ({path} records diagnostics_passed = 0; "
            "the details were not saved)"
        )
        return FitDiagnostics(
            max_rhat=nan,
            worst_rhat="unknown (details not saved)",
            min_ess_bulk=nan,
            min_ess_tail=nan,
            divergences=-1,
            min_bfmi=nan,
            draws=int(post.sizes.get("draw", 0)),
            chains=int(post.sizes.get("chain", 0)),
            passed=passed,
            failures=() if passed else (reason,),
        )
    try:
        diagnostics = FitDiagnostics.from_json(text)
    except (KeyError, TypeError, ValueError) as exc:
        raise SavedFitError(f"{path}: the 'diagnostics' attribute cannot be read ({exc})") from None
    if diagnostics.passed != passed:
        raise SavedFitError(
            f"{path}: its 'diagnostics' say the gate {'passed' if diagnostics.passed else 'failed'}, but "
            f"'diagnostics_passed' = {int(passed)}: the file was edited or damaged"
        )
    return diagnostics


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


def _frame_dataset(df: pd.DataFrame, dim: str) -> xr.Dataset:
    """A DataFrame as a Dataset along ``dim`` (strings as str, dates as datetime64)."""
    data = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            data[col] = (dim, s.to_numpy(dtype="datetime64[ns]"))
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            data[col] = (dim, s.to_numpy())
        else:
            data[col] = (dim, s.fillna("").astype(str).to_numpy(dtype=object))
    return xr.Dataset(data)


def _dataset_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Inverse of :func:`_frame_dataset`."""
    df = pd.DataFrame({name: ds[name].values for name in ds.data_vars})
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = df[col].astype("datetime64[s]")
    return df
