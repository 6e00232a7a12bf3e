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
in :mod:`forecast.model.design`, and the PyMC graph in :mod:`forecast.model.build`. This module
builds, fits, saves and loads; what a fitted chain predicts (its latents, the forecast, the posterior
predictive) is :class:`forecast.model.predictive.ChainPredictions`, which :class:`ChainModel` extends;
how to sample is :class:`forecast.model.sampler.SamplerSettings`.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from collections.abc import Sequence
from dataclasses import asdict
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
from forecast.model import predictive as P
from forecast.model import saved_fit as S
from forecast.model.diagnostics import FitDiagnostics, FitDiagnosticsWarning, Thresholds, check_fit
from forecast.model.io import (
    ATTR_CONFIG_HASH,
    ATTR_VERSION,
    ConfigMismatchError,
    SavedFitError,
    check_config_hash,
    load_tree,
    machine,
    save_tree,
    versions,
    with_units,
)
from forecast.model.predictive import (  # noqa: F401  (public names of this module before they moved)
    ChainPredictions,
    ModelNotFittedError,
    back_transform,
    planning_occupancy_rate,
)
from forecast.model.sampler import SamplerSettings
from forecast.model.settings import ModelSettings
from forecast.priors import PriorConfig, PriorConfigError, load_priors

#: Bump when the model's equations change, so old results are not mistaken for new ones.
MODEL_STRUCTURE_VERSION = "chain-2"


def _fingerprint(
    priors: PriorConfig, settings: ModelSettings, effects: Sequence[B.ModelEffect] | None = None
) -> str:
    data = {"structure": MODEL_STRUCTURE_VERSION, "priors": priors.to_dict(), "settings": asdict(settings)}
    if effects is not None:  # only then: the hash of a model without effects is unchanged
        data["effects"] = [e.to_dict() for e in effects]
    payload = json.dumps(data, sort_keys=True)
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


class ChainModel(ChainPredictions):
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
        settings: SamplerSettings | None = None,
        sampler: str | None = None,
        draws: int | None = None,
        tune: int | None = None,
        chains: int | None = None,
        random_seed: int | None = None,
        target_accept: float | None = None,
        thresholds: Thresholds | None = None,
        progressbar: bool | None = None,
    ) -> xr.DataTree:
        """Sample the posterior and run the diagnostics gate.

        How to sample is ``settings``; each keyword given (not None) overrides its field.

        Parameters
        ----------
        history : History, optional
            Refit on other data (rebuilds the design); default: the model's history.
        settings : SamplerSettings, optional
            How to sample (default :class:`~forecast.model.sampler.SamplerSettings`: nutpie,
            4 chains of 300 tuning steps and 1000 draws, seed :data:`forecast.names.DEFAULT_SEED`).
        sampler : {"nutpie", "pymc"}, optional
            nutpie (numba backend) by default; PyMC's own NUTS as the alternative.
        draws : int, optional
            Draws per chain after tuning (default 1000).
        tune : int, optional
            Tuning steps per chain (default 300).
        chains : int, optional
            Number of chains (default 4).
        random_seed : int, optional
            The same seed and data give the same numbers (default :data:`forecast.names.DEFAULT_SEED`).
        target_accept : float, optional
            Target acceptance rate of the step size adaptation (default 0.8).
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
        run_settings = (settings or SamplerSettings()).override(
            sampler=sampler,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            progressbar=progressbar,
        )
        if history is not None:
            T = self.design.T
            self._use_history(history, ModelSettings(self.settings.start))
            if self.effects is not None and self.design.T != T:
                raise ValueError(
                    "the effects' ramps cover the old fitted months: build a new ChainModel with effects "
                    "for the new history"
                )
        model = self.build_model()
        run = run_settings.run_key()
        key = fitcache.fit_key(self.config_hash, self.history.data_hash, run)
        with fitcache.locked(key):  # a parallel process sampling the same key: wait and read its draws
            tree = fitcache.load(key)
            if tree is None:  # the same key gives the same draws: sample only what is not in the cache
                show = run_settings.progressbar
                show = sys.stderr.isatty() if show is None else bool(show)
                tree = B.sample(model, **run, progressbar=show)
                fitcache.store(key, tree)
        free = [rv.name for rv in model.free_RVs]
        self.diagnostics = check_fit(tree, var_names=free, thresholds=thresholds)
        recorded = {
            k: getattr(run_settings, k) for k in ("sampler", "random_seed", "draws", "tune", "target_accept")
        }
        self.idata = self._attach(tree, **recorded)
        return self.idata

    def _attach(self, tree: xr.DataTree, **run: Any) -> xr.DataTree:
        """The sampled tree with the observed rows, the fit data and the provenance of this fit."""
        return S.fit_tree(
            tree,
            self.history,
            self.design.rows,
            {
                ATTR_VERSION: versions()["forecast"],
                ATTR_CONFIG_HASH: self.config_hash,
                "model_structure": MODEL_STRUCTURE_VERSION,
                "versions": json.dumps(versions(), sort_keys=True),
                "machine": json.dumps(machine(), sort_keys=True),
                "priors": self.priors.to_json(),
                "settings": json.dumps(asdict(self.settings), sort_keys=True),
                "data_hash": self.history.data_hash,
                "diagnostics": self.diagnostics.to_json() if self.diagnostics else "",
                "diagnostics_passed": int(bool(self.diagnostics and self.diagnostics.passed)),
                **{k: str(v) for k, v in run.items()},
            },
            effects=None if self.effects is None else [e.to_dict() for e in self.effects],
            months=self.fitted_months(),
        )

    # ------------------------------------------------------------------ the priors alone
    def prior_draws(self, draws: int = 500, random_seed: int = N.DEFAULT_SEED) -> xr.Dataset:
        """Draw the model's parameters from their priors alone (no data).

        PyMC draws every free parameter and every deterministic of the model, as the posterior holds
        them, from a graph compiled for drawing only (PyTensor's ``FAST_COMPILE`` mode: 1-2 s for 500
        draws on two cores, where the default numba compilation takes 12-16 s).

        Parameters
        ----------
        draws : int, optional
            Number of prior draws (default 500).
        random_seed : int, optional
            Seed of the draws (default :data:`forecast.names.DEFAULT_SEED`): the same seed gives the
            same draws.

        Returns
        -------
        xarray.Dataset
            The posterior's variables with its dims and coordinates (months as dates), chain 1.

        Raises
        ------
        ValueError
            When ``draws`` is less than 1.
        """
        import pymc as pm

        if draws < 1:
            raise ValueError(f"draws must be at least 1, got {draws}")
        model = self.build_model()
        names = [v.name for v in (*model.free_RVs, *model.deterministics)]
        with model, warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # object-mode notes of the compiler
            values = pm.draw(
                [model[n] for n in names], draws=draws, random_seed=random_seed, mode="FAST_COMPILE"
            )
        coords = {N.DIM_CHAIN: [0], N.DIM_DRAW: np.arange(draws)}
        data = {}
        for name, val in zip(names, values, strict=True):
            dims = tuple(model.named_vars_to_dims.get(name) or ())
            coords.update({d: model.coords[d] for d in dims})
            val = np.asarray(val)
            if draws == 1:  # pm.draw drops a single draw's axis
                val = val[None]
            data[name] = ((N.DIM_CHAIN, N.DIM_DRAW, *dims), val[None])
        coords = {d: list(c) if isinstance(c, tuple) else c for d, c in coords.items()}
        if N.DIM_MONTH in coords:
            coords[N.DIM_MONTH] = self.fitted_months()
        return with_units(xr.Dataset(data, coords=coords))

    def sample_prior(self, draws: int = 500, random_seed: int = N.DEFAULT_SEED) -> xr.Dataset:
        """Add the ``prior`` and ``prior_predictive`` groups to the fit (ArviZ's prior groups).

        ``prior`` holds :meth:`prior_draws`: every variable of the ``posterior`` with its dims and
        coordinates, so that ``az.plot_dist`` or ``az.plot_prior_posterior`` set the two side by
        side. ``prior_predictive`` simulates every used observation row from those draws as
        :meth:`sample_posterior_predictive` does from the posterior (the same dynamics, the same
        observation model and noise), rows labelled the same way. Both are saved with the fit.

        Parameters
        ----------
        draws : int, optional
            Number of prior draws (default 500).
        random_seed : int, optional
            Seed of the draws and of the observation noise (default
            :data:`forecast.names.DEFAULT_SEED`).

        Returns
        -------
        xarray.Dataset
            The ``prior`` group.

        Raises
        ------
        ModelNotFittedError
            When the model is not fitted (the groups belong to a fit).
        ValueError
            When ``draws`` is less than 1.
        """
        idata = self.require_fit()
        prior = self.prior_draws(draws, random_seed)
        lat = B.posterior_latents(prior, self.design, self.inputs, self.effects)
        loc, scale, nu, transform = B.row_predictions(prior, lat, self.design, self.inputs)
        rng = np.random.default_rng(random_seed)
        with np.errstate(all="ignore"):  # a prior draw far from the data may overflow its row's scale
            sims = loc + scale * rng.standard_t(nu, size=loc.shape)
            predictive = P.rows_dataset(
                sims, transform, prior[N.DIM_CHAIN].values, prior[N.DIM_DRAW].values, self.design.rows
            )
        idata["prior"] = xr.DataTree(prior)
        idata["prior_predictive"] = xr.DataTree(predictive)
        idata.attrs["prior_draws"] = int(draws)
        idata.attrs["prior_random_seed"] = int(random_seed)
        return prior

    def prior_predictive(self, draws: int = 500, random_seed: int = N.DEFAULT_SEED) -> xr.Dataset:
        """Simulate the latent flows and stocks under the priors alone (no data).

        The prior predictive check: parameter values are drawn from the priors with PyMC
        (:meth:`prior_draws`; the observation likelihood is ignored) and pushed through the same
        dynamics as the fit.

        Parameters
        ----------
        draws : int, optional
            Number of prior draws (default 500).
        random_seed : int, optional
            Seed of the draws (default :data:`forecast.names.DEFAULT_SEED`).

        Returns
        -------
        xarray.Dataset
            Every latent flow and stock with dims (chain=1, draw, month).
        """
        prior = self.prior_draws(draws, random_seed)
        lat = B.posterior_latents(prior, self.design, self.inputs, self.effects)
        return P.monthly_dataset(lat, self.fitted_months())

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
        return save_tree(self.require_fit(), path)

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
        S.check_saved_groups(tree, path)
        settings = S.saved_settings(tree, path)
        saved_priors = S.saved_priors(tree, path)
        effects = S.saved_effects(tree, path)
        if priors is None:
            config = saved_priors
            if (
                _fingerprint(S.as_saved(config, tree, path), settings, effects)
                != tree.attrs[ATTR_CONFIG_HASH]
            ):
                raise ConfigMismatchError(
                    f"{path}: the priors, settings and effects saved in it do not match its config hash "
                    f"{tree.attrs[ATTR_CONFIG_HASH]}: the file was edited or damaged"
                )
        else:
            if isinstance(priors, PriorConfig):
                config = priors
            else:
                config = load_priors(priors, required=B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
            check_config_hash(tree, path, _fingerprint(S.as_saved(config, tree, path), settings, effects))
        history = S.saved_history(tree, path)
        diagnostics = S.saved_diagnostics(tree, path)
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
