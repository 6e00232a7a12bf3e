"""All measures, bundles and stress entries of a measures file, with their effect paths and prior draws.

:class:`MeasureSet` is what :func:`forecast.scenarios.measures.load_measures` returns: the measures in
file order (the ``measure`` dimension of the scenario grid), the named bundles, the stress entries and
the phases they were checked against. It turns a selection of measures into activity rows, the
effects into ramps and effect paths (:mod:`forecast.scenarios.effects` has the semantics) and draws
the effects from their priors.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.priors.config import PriorConfig
from forecast.scenarios.effects import Bundle, Effect, Measure
from forecast.scenarios.files import PolicyConfigError, month_index
from forecast.scenarios.phases import PhaseSchedule


@dataclass(frozen=True)
class MeasureSet:
    """All measures and bundles; use :func:`load_measures` to read them.

    Parameters
    ----------
    measures : tuple of Measure
        In file order (the order of the ``measure`` dimension).
    bundles : dict of str to Bundle
        Named scenarios.
    phases : PhaseSchedule or None
        The phases the measures were checked against (``None`` when not known).
    file : str
        The file they were read from.
    stress : dict of str to Measure
        Optional stress scenarios (``[[stress]]`` tables) by id: not part of :attr:`measures`,
        the grid or any bundle; the engine applies them on request.

    Raises
    ------
    PolicyConfigError
        When more than one effect (of all measures together) switches a switch target, or a stress
        scenario carries a switch effect.
    """

    measures: tuple[Measure, ...]
    bundles: dict[str, Bundle] = field(default_factory=dict)
    phases: PhaseSchedule | None = None
    file: str = ""
    stress: dict[str, Measure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for target in N.SWITCH_TARGETS:
            by = [e.measure for e in self.effects if e.target == target]
            if len(by) > 1:
                raise PolicyConfigError(
                    f"{self.file or '<measures>'}: measures {', '.join(repr(m) for m in by)} all switch "
                    f"{target!r}; a switch target takes one switch effect (of all measures together): "
                    "merge them into one measure or drop all but one"
                )
        for m in self.stress.values():
            bad = [e.target for e in m.effects if e.kind == N.EFFECT_SWITCH]
            if bad:
                raise PolicyConfigError(
                    f"{self.file or '<measures>'} [{m.id}]: a stress scenario cannot carry a switch effect "
                    f"(on {', '.join(repr(t) for t in bad)}); give it log_multiplier or places effects"
                )

    # ------------------------------------------------------------------ access
    def __iter__(self) -> Iterator[Measure]:
        return iter(self.measures)

    def __len__(self) -> int:
        return len(self.measures)

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self.ids

    def __getitem__(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(f"no measure {measure_id!r}; the measures are {list(self.ids)}")

    @property
    def ids(self) -> tuple[str, ...]:
        """Measure ids in file order."""
        return tuple(m.id for m in self.measures)

    @property
    def effects(self) -> tuple[Effect, ...]:
        """Every effect of every measure, in file order."""
        return tuple(e for m in self.measures for e in m.effects)

    @property
    def effect_names(self) -> tuple[str, ...]:
        """Names (``"<measure>.<target>"``) of every effect: the keys :meth:`effect_paths` needs."""
        return tuple(e.name for e in self.effects)

    def switch(self, target: str) -> Effect | None:
        """The switch effect on a switch target, or None when no measure switches it.

        Parameters
        ----------
        target : str
            One of :data:`forecast.names.SWITCH_TARGETS`, e.g. ``"housing_obligation"``.

        Returns
        -------
        Effect or None
            The one effect of kind ``"switch"`` on ``target`` (a measure set holds at most one). Its
            draws (``draws[effect.name]``) are the share that sets the switched chain (for
            ``housing_obligation`` the voluntary share); :meth:`effect_paths` gives the switch path.

        Raises
        ------
        ValueError
            When ``target`` is not a switch target.

        Examples
        --------
        >>> from forecast.scenarios import load_measures
        >>> load_measures().switch("housing_obligation").measure
        'afschaffing_huisvestingstaakstelling'
        """
        if target not in N.SWITCH_TARGETS:
            raise ValueError(f"{target!r} is not a switch target; the switch targets are {N.SWITCH_TARGETS}")
        return next((e for e in self.effects if e.target == target), None)

    @property
    def priors(self) -> PriorConfig:
        """The effect priors as a :class:`~forecast.priors.PriorConfig` keyed by effect name."""
        return PriorConfig({e.name: e.prior for e in self.effects})

    def bundle(self, bundle_id: str) -> Bundle:
        """A named bundle.

        Parameters
        ----------
        bundle_id : str
            The bundle's id, e.g. ``"kabinetsbeleid"``.

        Returns
        -------
        Bundle
            The bundle with that id.

        Raises
        ------
        KeyError
            When there is no bundle with that id.
        """
        try:
            return self.bundles[bundle_id]
        except KeyError:
            raise KeyError(f"no bundle {bundle_id!r}; the bundles are {sorted(self.bundles)}") from None

    def active(self, selection: Any = None) -> np.ndarray:
        """A boolean activity vector or matrix over the measures (last axis in file order).

        Parameters
        ----------
        selection : None, str, iterable of str, array-like of bool or xarray.DataArray
            ``None``: every measure; a bundle id; measure ids; a boolean array
            of shape ``(measure,)`` or ``(scenario, measure)``; or a DataArray
            with a ``measure`` dimension (e.g. from
            :func:`forecast.scenarios.grid.scenario_grid`), reordered to file order.

        Returns
        -------
        numpy.ndarray of bool
            Shape ``(measure,)`` or ``(scenario, measure)``.
        """
        k = len(self.measures)
        if selection is None:
            return np.ones(k, dtype=bool)
        if isinstance(selection, str):
            selection = self.bundle(selection).measures
        if isinstance(selection, xr.DataArray):
            if N.DIM_MEASURE not in selection.dims:
                raise ValueError(f"the activity DataArray has no {N.DIM_MEASURE!r} dimension")
            labels = [str(v) for v in selection[N.DIM_MEASURE].values]
            unknown = sorted(set(labels) - set(self.ids))
            missing = [i for i in self.ids if i not in labels]
            if unknown or missing:
                raise ValueError(f"activity measures do not match: unknown {unknown}, missing {missing}")
            return np.asarray(
                selection.sel({N.DIM_MEASURE: list(self.ids)}).transpose(..., N.DIM_MEASURE), bool
            )
        arr = np.asarray(list(selection) if not isinstance(selection, np.ndarray) else selection)
        if arr.dtype.kind in "USO":
            unknown = sorted(set(arr.tolist()) - set(self.ids))
            if unknown:
                raise KeyError(f"unknown measure(s) {unknown}; the measures are {list(self.ids)}")
            return np.isin(np.array(self.ids), arr)
        if arr.size == 0:
            return np.zeros(k, dtype=bool)
        if arr.dtype != bool:
            raise ValueError(f"an activity array must be boolean, got dtype {arr.dtype}")
        if arr.ndim not in (1, 2) or arr.shape[-1] != k:
            raise ValueError(
                f"an activity array must have shape (measure,) or (scenario, measure) with {k} measures"
            )
        return arr

    # ------------------------------------------------------------------ effect paths
    def ramps(self, months: Any) -> np.ndarray:
        """Every effect's ramp over ``months``: shape ``(effect, month)``, in :attr:`effect_names` order.

        Parameters
        ----------
        months : Any
            Any month index :func:`forecast.scenarios.files.month_index` reads.

        Returns
        -------
        numpy.ndarray
            Shape ``(effect, month)``, values in [0, 1]; each row is :meth:`Measure.ramp` of
            the effect's measure with the effect's own ramp length. With no effects, shape
            ``(0, month)``.
        """
        return (
            np.stack([self[e.measure].ramp(months, e) for e in self.effects])
            if self.effects
            else np.zeros((0, len(month_index(months))))
        )

    def effect_paths(
        self, draws: Mapping[str, Any], months: Any, active: Any = None, capacity: Any = None
    ) -> dict[str, np.ndarray]:
        """The time-varying effect on every target, for draws of the effects and one or many scenarios.

        Parameters
        ----------
        draws : mapping of str to array-like
            One array of draws per effect name (:attr:`effect_names`), all of one
            broadcastable shape ``(...)`` (e.g. ``(chain, draw)``); extra keys are
            ignored, so an xarray posterior Dataset can be passed as is.
        months : month index
            The forecast months.
        active : see :meth:`active`, optional
            Which measures are on: default all. A ``(scenario, measure)`` matrix
            gives every scenario at once.
        capacity : array-like, optional
            Regular places before any measure, shape ``(month,)`` (or a number): the path a
            ``level`` effect raises (see the module docstring). Default 0.

        Returns
        -------
        dict of str to numpy.ndarray
            For every target of :data:`forecast.names.EFFECT_TARGETS`: the
            multiplier ``exp(x_T)`` (log-multiplier targets; 1 = no effect), the
            places added ``x_T`` (places targets; 0 = no effect; a ``level`` effect adds
            ``ramp * max(0, level - capacity)``) or the switch path ``active x ramp`` in
            [0, 1] (switch targets; 0 = not switched; it does not depend on the draws, which
            are the share of the switched chain: ``draws[self.switch(target).name]``), of
            shape ``(..., month)``, or ``(..., scenario, month)`` for a scenario matrix.

        Raises
        ------
        KeyError
            When ``draws`` lacks an effect.
        """
        missing = [n for n in self.effect_names if n not in draws]
        if missing:
            raise KeyError(f"no draws for effect(s) {missing}")
        act = self.active(active)
        values = np.broadcast_arrays(*[np.asarray(draws[n], dtype=float) for n in self.effect_names])
        batch = values[0].shape if values else ()
        ramps = self.ramps(months)
        n_months = ramps.shape[1]
        col = {mid: j for j, mid in enumerate(self.ids)}
        base = np.broadcast_to(np.asarray(0.0 if capacity is None else capacity, dtype=float), (n_months,))
        out: dict[str, np.ndarray] = {}
        for target, kind in N.EFFECT_TARGETS.items():
            shape = (*batch, *act.shape[:-1], n_months)
            if kind == N.EFFECT_SWITCH:  # the switch path: how far it is turned (at most one effect)
                switched = np.zeros(shape)
                for i, e in enumerate(self.effects):
                    if e.target == target:
                        a = act[..., col[e.measure]].astype(float).reshape(*act.shape[:-1], 1)  # ([s,] 1)
                        switched = np.maximum(switched, a * ramps[i])
                out[target] = switched
                continue
            idx = [i for i, e in enumerate(self.effects) if e.target == target and not e.level]
            if not idx:
                x = np.zeros(shape)
            else:
                d = np.stack([values[i] for i in idx], axis=-1)  # (..., e)
                a = act[..., [col[self.effects[i].measure] for i in idx]].astype(float)  # ([s,] e)
                r = ramps[idx]  # (e, t)
                x = np.einsum("...e,se,et->...st" if act.ndim == 2 else "...e,e,et->...t", d, a, r)
            raised = np.zeros(shape)
            for i, e in enumerate(self.effects):
                if e.target != target or not e.level:
                    continue
                lvl = values[i].reshape(*batch, *(1,) * (act.ndim - 1), 1)  # (..., [1,] 1)
                a = act[..., col[e.measure]].astype(float).reshape(*act.shape[:-1], 1)  # ([s,] 1)
                raised = np.maximum(raised, a * ramps[i] * np.maximum(lvl - base, 0.0))
            x = x + raised
            out[target] = np.exp(x) if kind == N.EFFECT_LOG_MULTIPLIER else x
        return out

    def sample_prior(self, draws: int, seed: int | None = None) -> dict[str, np.ndarray]:
        """Draws from every effect prior (PyMC's ``pm.draw``; no MCMC): ``{effect name: (draws,)}``.

        Parameters
        ----------
        draws : int
            Number of draws per effect.
        seed : int, optional
            Random seed passed to ``pm.draw``; ``None`` draws a fresh one.

        Returns
        -------
        dict of str to numpy.ndarray
            For every effect name (:attr:`effect_names`), a float array of shape ``(draws,)``
            in the prior's unit (log multiplier, places or, for a switch, a share in [0, 1]);
            empty when there are no effects.
        """
        import pymc as pm

        rvs = [getattr(pm, e.prior.distribution).dist(**e.prior.params) for e in self.effects]
        if not rvs:
            return {}
        values = pm.draw(rvs, draws=draws, random_seed=seed)
        return {e.name: np.asarray(v, dtype=float) for e, v in zip(self.effects, values, strict=True)}

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """One row per effect: measure, phase, start, ramp, target, kind, prior, mean, sd, sources.

        Returns
        -------
        pandas.DataFrame
            One row per effect, measures in file order, with columns ``measure``, ``name_nl``,
            ``name_en``, ``phase``, ``start``, ``ramp_months`` (the effect's), ``target``, ``kind``,
            ``side_effect``, ``level`` (a places level, not places added), ``distribution``,
            ``parameters`` (``"name=value, ..."``), the
            prior's ``mean`` and ``sd``, ``unit``, ``rationale`` and ``source``.
        """
        rows = []
        for m in self.measures:
            for e in m.effects:
                mean, sd = e.prior.mean_sd()
                rows.append(
                    {
                        "measure": m.id,
                        "name_nl": m.name_nl,
                        "name_en": m.name_en,
                        "phase": m.phase,
                        "start": m.start,
                        "ramp_months": e.ramp_months,
                        "target": e.target,
                        "kind": e.kind,
                        "side_effect": e.side_effect,
                        "level": e.level,
                        "distribution": e.prior.distribution,
                        "parameters": ", ".join(f"{k}={v:g}" for k, v in e.prior.params.items()),
                        "mean": mean,
                        "sd": sd,
                        "unit": e.prior.unit,
                        "rationale": e.prior.rationale,
                        "source": e.prior.source,
                    }
                )
        return pd.DataFrame(rows)
