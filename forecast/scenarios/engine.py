"""The scenario engine: opvangbehoefte under every combination of policy measures, per fase.

For every posterior draw of a fitted :class:`~forecast.model.ChainModel`, the chain is continued
to the horizon (:mod:`forecast.model.forward`: the same dynamics as the fit, future instroom and the
other moving paths drawn anew) under each scenario, a set of active measures. One effect draw per
measure effect and posterior draw comes from the measure's prior
(``priors/policy/measures.toml``); a measure multiplies the flow or rate it targets by
``exp(ramp(t) x effect)``, adds ``ramp(t) x effect`` regular places, or turns a structural switch of
the chain (``housing_obligation``: abolishing the taakstelling, passed to
:meth:`forecast.model.forward.Forward.simulate` as ``obligation_off = ramp(t)`` where the measure is
active and ``voluntary_share = effect``; scenarios without it get exactly the chain with the
obligation) (:meth:`forecast.scenarios.MeasureSet.effect_paths` has the semantics). All random
numbers are shared by the scenarios (common random numbers), so two scenarios differ only by their
measures.

Capacity, noodopvang and cost
-----------------------------
Need in places is persons ÷ the planning occupancy rate in force
(:func:`forecast.model.planning_occupancy_rate`). For a regular capacity path ``C_t`` (regular,
non-emergency places; default: the latest ``coa_capacity_regular`` in the inputs as known, held flat;
or a user's number or path; never the total COA capacity, which includes noodopvang) plus the
measures' places (a ``level`` effect raises ``C_t`` to at least its level, so that no place is counted
twice; see :mod:`forecast.scenarios.measures`):

.. math::

    \\text{tekort}_t = \\max(0, \\text{need\\_places}_t - C_t), \\qquad
    \\text{noodopvang}_t = \\max(0, \\text{need}_t - C_t), \\qquad
    \\text{cost}_t = \\frac{(\\text{need}_t - \\text{noodopvang}_t)\\, c_r + \\text{noodopvang}_t\\, c_e}{12}

with ``need`` in persons: the planning buffer makes need in places exceed the capacity before
anyone is in noodopvang (the regular places are filled up first), and ``c_r``, ``c_e`` the latest
regular and emergency cost *per resident* per year of the inputs (``cost_per_resident_*``, nominal euros
of the year they cover; per-place costs, ``cost_per_place_*``, are not used because need and
noodopvang count persons), held flat (not indexed).

Stress scenarios
----------------
``ScenarioEngine(model, stress=("einde_tijdelijke_bescherming",))`` applies the named stress entries
of the measures file (``[[stress]]``, e.g. an extra inflow when the temporary protection of displaced
Ukrainians ends) to *every* scenario, with their own effect draws from their priors (a separate
random stream). The grid, the bundles and the default numbers (no stress) are unchanged.

Vectorised over the whole grid
------------------------------
The ``2**k`` combinations are laid out as a hypercube, one axis of length 2 per measure: each
quantity then carries only the axes of the measures that act on it (first applications depend on
the two measures that target instroom, the statushouders on those that act upstream of them or on
housing, capacity and cost on all), so the chain runs once per *distinct* sub-scenario, with no
Python loop per draw or per scenario. Draws are processed in chunks (``chunk_draws``), in memory or
on a dask cluster (``client=``); a chunk gives exactly its rows of the whole.

Per-fase statistics (per scenario and draw)
-------------------------------------------
For every fase of ``priors/policy/phases.toml`` (the months of the forecast in it):
``need_mean``/``need_peak`` (persons), ``places_mean``/``places_peak`` (places),
``exceeds_capacity`` (1 if need in places exceeds the capacity in any month of the fase),
``noodopvang_person_months``, ``cost_eur`` (sum), ``statushouder_share`` (mean), and the
fase's totals of ``instroom``, ``nareis``, ``grants`` and ``housed``.
:meth:`ScenarioEngine.summarise` turns them into means, probabilities and 50/80/95 % bands;
:meth:`ScenarioEngine.contributions` into each measure's Shapley contribution with its posterior
bands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.extras import require
from forecast.model import planning_occupancy_rate
from forecast.model.forward import FORECAST_VARIABLES
from forecast.scenarios.grid import bundle_grid, scenario_grid
from forecast.scenarios.measures import MeasureSet, load_measures
from forecast.scenarios.phases import PhaseSchedule, load_phases
from forecast.scenarios.shapley import shapley

#: central interval levels of the summaries
LEVELS = (0.5, 0.8, 0.95)
#: quantiles of the summaries (the bounds of :data:`LEVELS` and the median)
QUANTILES = (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975)

#: Per-draw statistics of a fase (see the module docstring), with their unit.
PHASE_STATISTICS = {
    "need_mean": "persons (mean over the fase's months)",
    "need_peak": "persons (highest month of the fase)",
    "places_mean": "places (mean over the fase's months)",
    "places_peak": "places (highest month of the fase)",
    "exceeds_capacity": "1 if need in places exceeds the regular capacity in any month of the fase",
    "noodopvang_person_months": "person-months in noodopvang over the fase",
    "cost_eur": "euro over the fase",
    "statushouder_share": "share of statushouders among persons in reception (mean over the fase)",
    "instroom_total": "first applications over the fase",
    "nareis_total": "nareizigers over the fase",
    "grants_total": "asylum permits granted over the fase",
    "housed_total": "statushouders housed over the fase",
}

#: Monthly variables :meth:`ScenarioEngine.simulate` returns besides the chain's own.
DERIVED_VARIABLES = (
    N.OPVANGBEHOEFTE_PLACES,
    N.REGULAR_CAPACITY,
    N.SHORTFALL_PLACES,
    N.EXCEEDS_CAPACITY,
    N.NOODOPVANG,
    N.COST,
    N.STATUSHOUDER_SHARE,
)


class ScenarioError(ValueError):
    """Bad scenario engine input (capacity path, scenarios, model)."""


@dataclass(frozen=True)
class CapacityPath:
    """Regular COA places per forecast month before any measure, and where they come from.

    Parameters
    ----------
    places : numpy.ndarray
        Shape ``(month,)``: regular (non-emergency) reception places in each forecast month, finite
        and >= 0.
    description : str
        Where the path comes from (the input row it holds flat: value, date, source; or "given"),
        for provenance; the reports print it.
    """

    places: np.ndarray
    description: str


@dataclass(frozen=True)
class ReceptionCosts:
    """Cost per resident per year (euro) in regular reception and in noodopvang, with sources.

    Parameters
    ----------
    regular : float
        Euro per resident per year in regular COA reception (nominal euros of its year).
    emergency : float
        Euro per resident per year in noodopvang (nominal euros of its year).
    description : str
        Both amounts with the definition, period, price year and source of the input rows they
        come from.
    """

    regular: float
    emergency: float
    description: str


#: For each switch target (:data:`forecast.names.SWITCH_TARGETS`), the keyword arguments of
#: :meth:`forecast.model.forward.Forward.simulate` that take its switch path and its share.
SWITCH_ARGUMENTS: dict[str, tuple[str, str]] = {
    N.TARGET_HOUSING_OBLIGATION: ("obligation_off", "voluntary_share"),
}

#: The input series of the default capacity path: regular (non-emergency) COA places.
REGULAR_CAPACITY_SERIES = "coa_capacity_regular"
#: The input series of the default reception costs (euro per resident per year).
COST_SERIES = ("cost_per_resident_regular", "cost_per_resident_emergency")


def _latest_input(history, series: str, hint: str = "") -> pd.Series:
    rows = history.input_series(series)
    if rows.empty:
        raise ScenarioError(f"the history's inputs have no {series!r} row{hint}")
    return rows.sort_values([N.PERIOD_END, N.VALUE]).iloc[-1]


def capacity_path(history, months: pd.DatetimeIndex, places: Any = None) -> CapacityPath:
    """The regular capacity path over ``months``.

    Parameters
    ----------
    history : History
        Its inputs give the default: the latest ``coa_capacity_regular`` row (regular places as
        known, without noodopvang), held flat.
    months : pandas.DatetimeIndex
        The forecast months (month starts).
    places : None, number, array-like or pandas.Series, optional
        Regular places: a flat number (e.g. 75,000), one value per month, or a Series indexed by
        month (every forecast month must be present); default ``None``: the latest
        ``coa_capacity_regular``.

    Returns
    -------
    CapacityPath
        The places per month (shape ``(month,)``) and a description of their source.

    Raises
    ------
    ScenarioError
        For a negative, non-finite or mis-sized path, a Series that lacks a forecast month, or
        (default path) inputs without a ``coa_capacity_regular`` row.
    """
    H = len(months)
    if places is None:
        row = _latest_input(
            history,
            REGULAR_CAPACITY_SERIES,
            " (regular COA places); pass capacity= (regular places, without noodopvang) explicitly",
        )
        values = np.full(H, float(row[N.VALUE]))
        announced = row.get(N.ANNOUNCED)
        known = f", announced {pd.Timestamp(announced):%Y-%m-%d}" if pd.notna(announced) else ""
        desc = (
            f"regular COA places (no noodopvang), the latest {REGULAR_CAPACITY_SERIES} in the inputs as "
            f"known, held flat: {row[N.VALUE]:,.0f} places on {pd.Timestamp(row[N.PERIOD_END]):%Y-%m-%d} "
            f"({row[N.DEFINITION]}, {row[N.QUALITY]}{known}; {row[N.SOURCE_URL]})"
        )
    elif np.ndim(places) == 0:
        values = np.full(H, float(places))
        desc = f"flat {float(places):,.0f} places (given)"
    elif isinstance(places, pd.Series):
        idx = pd.DatetimeIndex(places.index).to_period("M").to_timestamp()
        s = pd.Series(places.to_numpy(float), index=idx)
        missing = [f"{m:%Y-%m}" for m in months if m not in s.index]
        if missing:
            raise ScenarioError(
                f"the capacity path has no value for {len(missing)} month(s), e.g. {missing[:3]}"
            )
        values = s.loc[months].to_numpy(float)
        desc = "capacity path given per month"
    else:
        values = np.asarray(places, dtype=float)
        if values.shape != (H,):
            raise ScenarioError(
                f"the capacity path has shape {values.shape}; expected one value per month ({H})"
            )
        desc = "capacity path given per month"
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ScenarioError(f"capacity for {months[j]:%Y-%m} is {values[j]}: it must be a finite number >= 0")
    return CapacityPath(values, desc)


def reception_costs(history) -> ReceptionCosts:
    """The latest regular and emergency cost per resident per year in the history's inputs.

    Parameters
    ----------
    history : History
        Its inputs ``cost_per_resident_regular`` and ``cost_per_resident_emergency`` (euro per
        resident per year); of each, the row with the latest period end is used. Costs stated per
        place (``cost_per_place_*``) are not used: need and noodopvang count persons.

    Returns
    -------
    ReceptionCosts
        Both costs in euro per resident per year, in nominal euros of the year each row covers
        (its price year, stated in the description; the engine does not index them), with their
        sources.

    Raises
    ------
    ScenarioError
        When the inputs lack either series.
    """
    reg, eme = (_latest_input(history, series) for series in COST_SERIES)

    def year(row: pd.Series) -> str:
        start, end = pd.Timestamp(row[N.PERIOD_START]), pd.Timestamp(row[N.PERIOD_END])
        return str(end.year) if start.year == end.year else f"{start.year}-{end.year}"

    desc = (
        f"regular {reg[N.VALUE]:,.0f} and noodopvang {eme[N.VALUE]:,.0f} euro per resident per year, "
        f"nominal prices of {year(reg)} and {year(eme)} (not indexed) ({reg[N.DEFINITION]} "
        f"{pd.Timestamp(reg[N.PERIOD_START]):%Y-%m-%d}..{pd.Timestamp(reg[N.PERIOD_END]):%Y-%m-%d}, "
        f"{reg[N.SOURCE_URL]}; {eme[N.DEFINITION]} "
        f"{pd.Timestamp(eme[N.PERIOD_START]):%Y-%m-%d}..{pd.Timestamp(eme[N.PERIOD_END]):%Y-%m-%d}, "
        f"{eme[N.SOURCE_URL]})"
    )
    return ReceptionCosts(float(reg[N.VALUE]), float(eme[N.VALUE]), desc)


class ScenarioEngine:
    """Forecasts of the chain under policy scenarios, from a fitted model.

    Parameters
    ----------
    model : ChainModel
        A fitted (or loaded) model.
    measures : MeasureSet, optional
        Default: the bundled ``priors/policy/measures.toml``.
    phases : PhaseSchedule, optional
        Default: the measures' phases (the bundled ``priors/policy/phases.toml``).
    horizon_end : date-like, optional
        Last forecast month; default the end of the last fase (:data:`forecast.names.DEFAULT_HORIZON_END`).
    capacity : None, number, array-like or Series
        Regular places before measures (:func:`capacity_path`); default the latest
        ``coa_capacity_regular`` as known, held flat.
    random_seed : int
        Seed of the future's random numbers and of the effect draws: the same seed, fit and
        inputs give the same numbers.
    effect_draws : mapping of effect name to array, optional
        One value per posterior draw (``chain x draw``, flattened chain-major, or shaped
        ``(chain, draw)``) for every effect of ``measures`` (e.g. the posterior of the effects after
        a phase evaluation); a switch effect's values are shares in [0, 1]. Default: one draw from
        each effect's prior per posterior draw.
    stress : sequence of str, optional
        Ids of stress scenarios of the measures file (:attr:`MeasureSet.stress`, e.g.
        ``"einde_tijdelijke_bescherming"``) applied to every scenario, with one draw of each of their
        effects per posterior draw from its prior (a random stream of their own); default none: the
        default numbers.

    Examples
    --------
    >>> engine = ScenarioEngine(model)  # doctest: +SKIP
    >>> draws = engine.phase_draws()  # all 2**k combinations + bundles  # doctest: +SKIP
    >>> engine.summarise(draws).sel(scenario="kabinetsbeleid")  # per fase  # doctest: +SKIP
    >>> engine.contributions(draws)  # each measure's Shapley contribution  # doctest: +SKIP
    """

    def __init__(
        self,
        model,
        measures: MeasureSet | None = None,
        *,
        phases: PhaseSchedule | None = None,
        horizon_end: Any = None,
        capacity: Any = None,
        random_seed: int = 2026,
        effect_draws: Mapping[str, Any] | None = None,
        stress: Sequence[str] = (),
    ) -> None:
        self.measures = measures if measures is not None else load_measures()
        if isinstance(stress, str):
            stress = (stress,)
        unknown = [s for s in stress if s not in self.measures.stress]
        if unknown:
            raise ScenarioError(
                f"unknown stress scenario(s) {unknown}; the measures file has {sorted(self.measures.stress)}"
            )
        self.stress = tuple(self.measures.stress[s] for s in dict.fromkeys(stress))
        self.phases = phases or self.measures.phases or load_phases()
        if horizon_end is None:
            horizon_end = self.phases.end - pd.Timedelta(days=1)
        self.random_seed = int(random_seed)
        self.forward = model.forward(horizon_end, self.random_seed)
        self.months = self.forward.months
        fw = self.forward
        history = model.history
        self.occupancy_rate = planning_occupancy_rate(history, self.months)
        self.capacity = capacity_path(history, self.months, capacity)
        self.costs = reception_costs(history)
        # one draw of every effect per posterior draw, from the effect priors (seed offset from the
        # forward draws so that the two streams are independent)
        if effect_draws is None:
            self.effect_draws = self.measures.sample_prior(fw.n, seed=self.random_seed + 7919)
            self.provenance_effects = "one draw from each effect prior per posterior draw"
        else:
            missing = [e for e in self.measures.effect_names if e not in effect_draws]
            if missing:
                raise ScenarioError(f"effect_draws lacks {missing}")
            self.effect_draws = {}
            for effect in self.measures.effects:
                e = effect.name
                v = np.asarray(effect_draws[e], dtype=float).reshape(-1)
                if v.shape != (fw.n,) or not np.all(np.isfinite(v)):
                    raise ScenarioError(
                        f"effect_draws[{e!r}] must hold {fw.n} finite values (one per posterior draw)"
                    )
                if effect.kind == N.EFFECT_SWITCH and not np.all((v >= 0) & (v <= 1)):
                    raise ScenarioError(
                        f"effect_draws[{e!r}] are the shares of a switch effect: every value must lie in "
                        f"[0, 1], got {v.min():g} to {v.max():g}"
                    )
                self.effect_draws[e] = v
            self.provenance_effects = "given effect draws"
        self._ramps = self.measures.ramps(self.months)  # (effect, H)
        # stress scenarios: one draw of each of their effects per posterior draw (own seed offset, so that
        # the measures' draws and the default numbers do not change), as terms (draw, H) per target
        self.stress_draws: dict[str, np.ndarray] = {}
        self._stress_terms: dict[str, np.ndarray] = {}
        if self.stress:
            stress_set = MeasureSet(self.stress, phases=self.measures.phases, file=self.measures.file)
            self.stress_draws = stress_set.sample_prior(fw.n, seed=self.random_seed + 104729)
            for e, r in zip(stress_set.effects, stress_set.ramps(self.months), strict=True):
                if e.level or e.kind == N.EFFECT_SWITCH:
                    raise ScenarioError(
                        f"stress effect {e.name}: a level of places or a switch is not supported"
                    )
                term = self.stress_draws[e.name][:, None] * r[None, :]
                self._stress_terms[e.target] = self._stress_terms.get(e.target, 0.0) + term
        self._col = {mid: j for j, mid in enumerate(self.measures.ids)}
        labels = self.phases.phase_of(self.months)
        self.phase_months = {p: np.flatnonzero(labels == p) for p in self.phases.names}
        self.provenance = {
            "random_seed": self.random_seed,
            "horizon": f"{self.months[0]:%Y-%m}..{self.months[-1]:%Y-%m}",
            "capacity": self.capacity.description,
            "costs": self.costs.description,
            "measures_file": self.measures.file,
            "effects": self.provenance_effects,
            "stress": ", ".join(m.id for m in self.stress) or "none",
            "data_hash": history.data_hash,
            "model_config_hash": model.config_hash,
        }

    # ------------------------------------------------------------------ scenarios
    def grid(self) -> xr.DataArray:
        """Every combination of the measures (``2**k`` rows): :func:`~forecast.scenarios.scenario_grid`.

        Returns
        -------
        xarray.DataArray
            Boolean, dims ``(scenario, measure)``, scenarios labelled by the active measure ids.
        """
        return scenario_grid(self.measures)

    def bundles(self, ids: Sequence[str] | None = None) -> xr.DataArray:
        """The named bundles as scenario rows, see :func:`~forecast.scenarios.bundle_grid`.

        Parameters
        ----------
        ids : sequence of str, optional
            Bundle ids; default all bundles of the measures file, in file order.

        Returns
        -------
        xarray.DataArray
            Boolean, dims ``(scenario, measure)`` with the bundle ids as scenario labels and the
            coordinate ``combination`` (the matching :meth:`grid` label).
        """
        return bundle_grid(self.measures, ids)

    def _scenarios(self, scenarios: Any) -> xr.DataArray:
        if scenarios is None:
            return self.bundles()
        if isinstance(scenarios, xr.DataArray):
            self.measures.active(scenarios)  # validates the measure labels
            return scenarios.transpose(N.DIM_SCENARIO, N.DIM_MEASURE)
        if isinstance(scenarios, str):
            scenarios = [scenarios]
        unknown = [s for s in scenarios if s not in self.measures.bundles]
        if unknown:
            raise ScenarioError(
                f"unknown bundle(s) {unknown}; the bundles are {sorted(self.measures.bundles)}"
            )
        return self.bundles(list(scenarios))

    # ------------------------------------------------------------------ the hot path
    def _activity(self, active: np.ndarray | None) -> tuple[list[np.ndarray], tuple[int, ...]]:
        """Per-measure activity arrays broadcastable to ``(1, *S, 1)``: a hypercube or rows."""
        k = len(self.measures)
        if active is None:
            shape = (2,) * k
            # measure j on axis k-1-j: a C-order flattening gives index sum_j a_j 2**j (scenario_grid's order)
            axes = [
                np.array([0.0, 1.0]).reshape((1, *[2 if i == k - 1 - j else 1 for i in range(k)], 1))
                for j in range(k)
            ]
            return axes, shape
        S = active.shape[0]
        return [active[:, j].astype(float).reshape(1, S, 1) for j in range(k)], (S,)

    def _chain_chunk(self, draws: slice, active: np.ndarray | None) -> dict[str, np.ndarray]:
        """The chain, need in places and the regular capacity for draws ``draws`` and all scenarios.

        Arrays keep their compact broadcast shapes ``(m, *S, H)`` (singleton axes for the measures
        that do not act on them). A switch effect (``housing_obligation``) is passed to the forward
        model as ``obligation_off`` (the measure's axis x its ramp, ``(1, *S, H)``) and
        ``voluntary_share`` (its draws, ``(m, 1, ..., 1)``); when it is on in no scenario and month,
        nothing is passed, so the numbers are exactly those of the chain with the obligation."""
        x, switch, raised, extra = self._effect_terms(draws, active)
        mult = {t: np.exp(v) for t, v in x.items() if N.EFFECT_TARGETS[t] == N.EFFECT_LOG_MULTIPLIER}
        out = self.forward.simulate(mult, draws, extra, **switch)
        cap = self.capacity.places + raised + x.get(N.TARGET_REGULAR_CAPACITY, 0.0)
        m = len(range(*draws.indices(self.forward.n)))
        out[N.REGULAR_CAPACITY] = np.maximum(
            np.broadcast_to(
                cap, (m, *np.shape(cap)[1:]) if np.ndim(cap) > 1 else (m, *(1,) * extra, len(self.months))
            ),
            0.0,
        )
        return out

    def _effect_terms(self, draws: slice, active: np.ndarray | None) -> tuple[dict, dict, Any, int]:
        """The summed effect terms per target (``(m, *S, H)`` compact), the switch arguments, the places
        raised by level effects, and the number of scenario axes."""
        axes, shape = self._activity(active)
        extra = len(shape)
        x: dict[str, Any] = {}
        switch: dict[str, Any] = {}  # the structural switch: obligation_off and voluntary_share
        raised: Any = 0.0  # places added by level effects: ramp * max(0, level - C), the largest counts
        for i, e in enumerate(self.measures.effects):
            d = self.effect_draws[e.name][draws]
            d = d.reshape(d.shape[0], *(1,) * extra, 1)
            if e.kind == N.EFFECT_SWITCH:  # one per target (MeasureSet checks)
                off = axes[self._col[e.measure]] * self._ramps[i]  # (1, *S, H), 0..1
                if np.any(off > 0):
                    path_arg, share_arg = SWITCH_ARGUMENTS[e.target]
                    switch.update({path_arg: off, share_arg: d[..., 0]})
                continue
            if e.level:
                gap = np.maximum(d - self.capacity.places, 0.0)
                raised = np.maximum(raised, axes[self._col[e.measure]] * self._ramps[i] * gap)
                continue
            term = d * axes[self._col[e.measure]] * self._ramps[i]
            x[e.target] = term if e.target not in x else x[e.target] + term
        for target, term in self._stress_terms.items():  # stress: the same in every scenario
            t = term[draws].reshape(-1, *(1,) * extra, len(self.months))
            x[target] = t if target not in x else x[target] + t
        return x, switch, raised, extra

    def multipliers(self, scenarios: Any = None, draws: slice | None = None) -> xr.Dataset:
        r"""The multiplier of every multiplied flow or rate under the given scenarios, as the chain uses it.

        For a target :math:`g` (:data:`forecast.names.MULTIPLIER_TARGETS`), scenario :math:`s`, draw
        :math:`i` and month :math:`t`,
        :math:`m_{g,s,i,t} = \exp\big(\sum_{e \to g} a_{s,e}\, r_{e,t}\, \theta_{e,i}\big)`: the sum
        over the effects on :math:`g` of the measure's activity in the scenario (0/1), its ramp in the
        month and the effect's draw (plus a stress term, when asked for). A target no active measure
        touches has multiplier 1.

        Parameters
        ----------
        scenarios : None, str, sequence of str or xarray.DataArray
            As in :meth:`simulate`; default all bundles.
        draws : slice, optional
            Of the flattened draws; default all.

        Returns
        -------
        xarray.Dataset
            One variable per target, dims (scenario, draw, month) over the flattened draws.
        """
        grid = self._scenarios(scenarios)
        act = self.measures.active(grid)
        sl = draws or slice(None)
        x, _, _, _ = self._effect_terms(sl, act)
        m, S, H = len(range(*sl.indices(self.forward.n))), act.shape[0], len(self.months)
        data = {}
        for target in N.MULTIPLIER_TARGETS:
            log_m = np.broadcast_to(x.get(target, 0.0), (m, S, H))
            data[target] = ((N.DIM_DRAW, N.DIM_SCENARIO, N.DIM_MONTH), np.exp(log_m))
        coords = {N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values, N.DIM_MONTH: self.months}
        return xr.Dataset(data, coords=coords).transpose(N.DIM_SCENARIO, N.DIM_DRAW, N.DIM_MONTH)

    def _chunk(self, draws: slice, active: np.ndarray | None) -> dict[str, np.ndarray]:
        """Every monthly quantity, the capacity-dependent ones included (full scenario shape)."""
        out = self._chain_chunk(draws, active)
        need, cap = out[N.OPVANGBEHOEFTE], out[N.REGULAR_CAPACITY]
        places = out[N.OPVANGBEHOEFTE_PLACES] = need / self.occupancy_rate
        nood = np.maximum(need - cap, 0.0)
        out[N.SHORTFALL_PLACES] = np.maximum(places - cap, 0.0)
        out[N.EXCEEDS_CAPACITY] = (places > cap).astype(float)
        out[N.NOODOPVANG] = nood
        out[N.COST] = need * (self.costs.regular / 12.0) + nood * (
            (self.costs.emergency - self.costs.regular) / 12.0
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out[N.STATUSHOUDER_SHARE] = np.where(need > 0, out["statushouders"] / need, 0.0)
        return out

    def _phase_chunk(self, draws: slice, active: np.ndarray | None) -> dict[str, np.ndarray]:
        """Per-fase statistics ``(m, S, fase)`` for a chunk of draws.

        Quantities that depend on few measures are reduced over the months at their compact shape and
        then indexed out to every scenario; the capacity-dependent ones (any month over capacity,
        noodopvang person-months) come from one fused pass (:func:`_capacity_phase_stats`)."""
        out = self._chain_chunk(draws, active)
        _, shape = self._activity(active)
        m = len(range(*draws.indices(self.forward.n)))
        S = int(np.prod(shape))
        F = len(self.phases.names)
        index: dict[tuple, np.ndarray] = {}

        def compact(x):
            """``x`` as (m, n_compact, H) (a view where possible) and each scenario's index into it."""
            x = np.asarray(x)
            cube = x.shape[1:-1]
            if cube not in index:
                ids = np.arange(int(np.prod(cube))).reshape(cube)
                index[cube] = np.ascontiguousarray(np.broadcast_to(ids, shape).reshape(-1))
            x = np.broadcast_to(x, (m, *cube, x.shape[-1]))
            return x.reshape(m, -1, x.shape[-1]), index[cube]

        # need and the statushouders at one compact shape (a measure may act on need, e.g. through the
        # rejected applicants, and not on the statushouders): their ratio is taken element by element
        both = np.broadcast_shapes(np.shape(out[N.OPVANGBEHOEFTE]), np.shape(out["statushouders"]))
        need, ia = compact(np.broadcast_to(out[N.OPVANGBEHOEFTE], both))
        need = np.ascontiguousarray(need)
        cap, ib = compact(out[N.REGULAR_CAPACITY])
        cap = np.ascontiguousarray(cap)
        stat, _ = compact(np.broadcast_to(out["statushouders"], both))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(need > 0, stat / need, 0.0)
        totals = {v: compact(out[v]) for v in ("instroom", "nareis", "grants", "housed")}
        inv_rate = 1.0 / self.occupancy_rate
        c_reg, c_extra = self.costs.regular / 12.0, (self.costs.emergency - self.costs.regular) / 12.0
        res = {k: np.full((F, m, S), np.nan) for k in PHASE_STATISTICS}
        for f, phase in enumerate(self.phases.names):
            idx = self.phase_months[phase]
            if not len(idx):
                continue
            sl = slice(int(idx[0]), int(idx[-1]) + 1)  # a fase is a run of consecutive months
            y = need[..., sl]
            n = sl.stop - sl.start
            w = inv_rate[sl]
            need_sum = y.sum(-1)
            peak = y.max(-1)
            res["need_mean"][f] = (need_sum / n)[:, ia]
            res["need_peak"][f] = peak[:, ia]
            res["places_mean"][f] = ((y @ w) / n)[:, ia]
            places_peak = peak * w[0] if np.all(w == w[0]) else (y * w).max(-1)
            res["places_peak"][f] = places_peak[:, ia]
            exceed, nood = _capacity_phase_stats(need, cap, ia, ib, inv_rate, np.arange(sl.start, sl.stop))
            res["exceeds_capacity"][f] = exceed
            res["noodopvang_person_months"][f] = nood
            res["cost_eur"][f] = need_sum[:, ia] * c_reg + nood * c_extra
            res["statushouder_share"][f] = share[..., sl].mean(-1)[:, ia]
            for v, (arr, ix) in totals.items():
                res[f"{v}_total"][f] = arr[..., sl].sum(-1)[:, ix]
        return {k: np.moveaxis(v, 0, -1) for k, v in res.items()}

    # ------------------------------------------------------------------ public API
    def simulate(
        self, scenarios: Any = None, variables: Sequence[str] | None = None, draws: slice | None = None
    ) -> xr.Dataset:
        """Monthly paths of every flow and stock under the given scenarios.

        Parameters
        ----------
        scenarios : None, str, sequence of str or xarray.DataArray
            Bundle id(s), or a ``(scenario, measure)`` activity grid (e.g. :meth:`grid`); default all
            bundles. The full grid of ``2**k`` scenarios x all draws x all months is large: ask for
            :meth:`phase_draws` instead, or for a few ``variables``.
        variables : sequence of str, optional
            Default: every variable of :data:`forecast.model.forward.FORECAST_VARIABLES` and
            :data:`DERIVED_VARIABLES`.
        draws : slice, optional
            Of the flattened draws; default all.

        Returns
        -------
        xarray.Dataset
            Dims (scenario, chain, draw, month); the activity grid as coordinate ``active``.
        """
        grid = self._scenarios(scenarios)
        act = self.measures.active(grid)
        sl = draws or slice(None)
        out = self._chunk(sl, act)
        names = list(variables) if variables is not None else [*FORECAST_VARIABLES, *DERIVED_VARIABLES]
        unknown = [v for v in names if v not in out]
        if unknown:
            raise KeyError(f"unknown variable(s) {unknown}; available: {sorted(out)}")
        fw = self.forward
        idx = np.arange(fw.n)[sl]
        m, S, H = len(idx), act.shape[0], len(self.months)
        if sl == slice(None):
            chain_dim = {N.DIM_CHAIN: fw.chains, N.DIM_DRAW: fw.draws}
            lead = (*fw.shape,)
        else:
            chain_dim = {N.DIM_CHAIN: fw.chains[:1], N.DIM_DRAW: idx}
            lead = (1, m)
        data = {}
        for v in names:
            arr = np.broadcast_to(out[v], (m, S, H)).reshape(*lead, S, H)
            data[v] = ((N.DIM_CHAIN, N.DIM_DRAW, N.DIM_SCENARIO, N.DIM_MONTH), arr)
        ds = xr.Dataset(
            data, coords={**chain_dim, N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values, N.DIM_MONTH: self.months}
        )
        ds = ds.transpose(N.DIM_SCENARIO, N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH)
        ds = ds.assign_coords(active=grid.reset_coords(drop=True))
        ds.attrs.update(self.provenance)
        return ds

    def phase_draws(
        self,
        scenarios: Any = "all",
        *,
        chunk_draws: int = 500,
        client: Any = None,
        lazy: bool = False,
        threads: int | None = None,
    ) -> xr.Dataset:
        """Per-fase statistics for every scenario and posterior draw.

        Parameters
        ----------
        scenarios : "all", None, str, sequence of str or xarray.DataArray
            ``"all"`` (default): every combination of the measures (the hypercube) plus the named
            bundles (copied from their combinations); otherwise as in :meth:`simulate`.
        chunk_draws : int
            Draws per chunk (memory: about ``chunk_draws x 2**k x months x 8`` bytes per monthly
            quantity of the full grid).
        client : dask.distributed.Client, optional
            Run the chunks on this cluster (a ``LocalCluster`` or a real one); default in memory.
        lazy : bool
            Return a dask-backed Dataset (computed when needed) instead of computing it.
        threads : int, optional
            Threads for the in-memory run (default: the number of CPUs); the result does not depend on it.

        Returns
        -------
        xarray.Dataset
            One variable per :data:`PHASE_STATISTICS`, dims (scenario, chain, draw, fase).
        """
        fw = self.forward
        if isinstance(scenarios, str) and scenarios == "all":
            grid, active = self.grid(), None
        else:
            grid = self._scenarios(scenarios)
            active = self.measures.active(grid)
        S = grid.sizes[N.DIM_SCENARIO]
        F = len(self.phases.names)
        # the full grid also carries the named bundles: rows copied from their combinations
        take = np.arange(S)
        kind = None
        if active is None:
            rows = self.bundles()
            labels = list(grid[N.DIM_SCENARIO].values)
            take = np.concatenate([take, [labels.index(str(c)) for c in rows["combination"].values]])
            grid = xr.concat([grid.reset_coords(drop=True), rows.reset_coords(drop=True)], dim=N.DIM_SCENARIO)
            kind = ["combination"] * S + ["bundle"] * rows.sizes[N.DIM_SCENARIO]
        n_out = len(take)
        bounds = [(a, min(a + chunk_draws, fw.n)) for a in range(0, fw.n, max(int(chunk_draws), 1))]
        if client is not None or lazy:
            da = require("dask.array", "cluster", "a scenario grid on dask (client= or lazy=True)")
            import dask

            task = dask.delayed(_phase_chunk_task, pure=True)
            engine = dask.delayed(self, pure=True) if client is None else client.scatter(self, broadcast=True)
            parts = {k: [] for k in PHASE_STATISTICS}
            for a, b in bounds:
                res = task(engine, a, b, active)
                for k in PHASE_STATISTICS:
                    parts[k].append(da.from_delayed(res[k], shape=(b - a, S, F), dtype=float))
            arrays = {k: da.take(da.concatenate(v, axis=0), take, axis=1) for k, v in parts.items()}
        else:
            arrays = {k: np.empty((fw.n, n_out, F)) for k in PHASE_STATISTICS}

            def run(ab):
                res = self._phase_chunk(slice(*ab), active)
                for k in PHASE_STATISTICS:
                    np.take(res[k], take, axis=1, out=arrays[k][ab[0] : ab[1]])

            # numpy and the numba kernels release the GIL: chunks run on a few threads
            workers = max(1, min(threads or os.cpu_count() or 1, len(bounds)))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(run, bounds))
        data = {
            k: ((N.DIM_CHAIN, N.DIM_DRAW, N.DIM_SCENARIO, N.DIM_PHASE), v.reshape(*fw.shape, n_out, F))
            for k, v in arrays.items()
        }
        ds = xr.Dataset(
            data,
            coords={
                N.DIM_CHAIN: fw.chains,
                N.DIM_DRAW: fw.draws,
                N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values,
                N.DIM_PHASE: list(self.phases.names),
            },
        ).transpose(N.DIM_SCENARIO, N.DIM_CHAIN, N.DIM_DRAW, N.DIM_PHASE)
        for k, unit in PHASE_STATISTICS.items():
            ds[k].attrs["unit"] = unit
        ds = ds.assign_coords(active=grid.reset_coords(drop=True))
        if kind is not None:
            ds = ds.assign_coords(scenario_kind=(N.DIM_SCENARIO, kind))
        if client is not None and not lazy:
            ds = client.compute(ds).result()
        ds.attrs.update({**self.provenance, "phases": json.dumps(self._phase_bounds())})
        return ds

    def monthly_summary(
        self,
        scenarios: Any = None,
        variables: Sequence[str] = (
            N.OPVANGBEHOEFTE,
            N.OPVANGBEHOEFTE_PLACES,
            "ind_backlog",
            "statushouders",
            "rejected",
            "instroom",
            "nareis",
            "housed",
            N.NOODOPVANG,
            N.STATUSHOUDER_SHARE,
        ),
        quantiles: Sequence[float] = QUANTILES,
    ) -> xr.Dataset:
        """Monthly means and quantiles of the given variables for a few scenarios (fan charts).

        Parameters
        ----------
        scenarios : None, str, sequence of str or xarray.DataArray, optional
            As in :meth:`simulate`; default all bundles.
        variables : sequence of str, optional
            Monthly variables of :meth:`simulate`; default opvangbehoefte (persons and places), the
            three stocks in reception (IND backlog, statushouders, rejected asylum seekers not yet
            departed), instroom, nareis, housed, noodopvang and the statushouder share.
        quantiles : sequence of float, optional
            Quantiles over the posterior draws; default :data:`QUANTILES`.

        Returns
        -------
        xarray.Dataset
            ``<var>_mean`` (scenario, month) and ``<var>_q`` (quantile, scenario, month); the regular
            capacity's mean path as ``regular_capacity_places_mean``; ``need_exceeds_capacity_mean`` is
            the probability per month.

        Raises
        ------
        KeyError
            For a variable :meth:`simulate` does not know.
        """
        sim = self.simulate(scenarios, variables=[*variables, N.REGULAR_CAPACITY, N.EXCEEDS_CAPACITY])
        sample = (N.DIM_CHAIN, N.DIM_DRAW)
        out = {}
        for v in variables:
            out[f"{v}_mean"] = sim[v].mean(sample)
            out[f"{v}_q"] = sim[v].quantile(list(quantiles), dim=sample)
        out[f"{N.REGULAR_CAPACITY}_mean"] = sim[N.REGULAR_CAPACITY].mean(sample)
        out[f"{N.EXCEEDS_CAPACITY}_mean"] = sim[N.EXCEEDS_CAPACITY].mean(sample)
        ds = xr.Dataset(out)
        ds.attrs.update(sim.attrs)
        return ds

    def _phase_bounds(self) -> dict[str, list[str]]:
        out = {}
        for p in self.phases:
            idx = self.phase_months[p.name]
            out[p.name] = (
                [f"{self.months[idx[0]]:%Y-%m}", f"{self.months[idx[-1]]:%Y-%m}"] if len(idx) else []
            )
        return out

    def summarise(self, phase_draws: xr.Dataset) -> xr.Dataset:
        """Means, probabilities and 50/80/95 % bands per scenario and fase.

        Parameters
        ----------
        phase_draws : xarray.Dataset
            Per-fase statistics per draw, as :meth:`phase_draws` returns them.

        Returns
        -------
        xarray.Dataset
            For every statistic of :data:`PHASE_STATISTICS`: ``<stat>_mean`` (scenario, fase) and,
            except for ``exceeds_capacity``, ``<stat>_q`` (quantile, scenario, fase; :data:`QUANTILES`);
            ``exceeds_capacity_mean`` is P(need > capacity at any time in the fase). The attributes
            of ``phase_draws`` are kept.
        """
        sample = (N.DIM_CHAIN, N.DIM_DRAW)
        out = {}
        for k in PHASE_STATISTICS:
            x = phase_draws[k]
            out[f"{k}_mean"] = x.mean(sample)
            if k != "exceeds_capacity":
                out[f"{k}_q"] = x.quantile(list(QUANTILES), dim=sample)
        ds = xr.Dataset(out)
        ds.attrs.update(phase_draws.attrs)
        return ds

    def contributions(
        self, phase_draws: xr.Dataset, statistics: Sequence[str] = ("need_mean",)
    ) -> xr.Dataset:
        """Each measure's Shapley contribution per fase, per draw and summarised.

        The contribution of a measure is the difference it makes, averaged over all combinations of
        the other measures with the Shapley weights; the contributions add up to
        ``f(all measures) - f(no measures)`` for every draw.

        Parameters
        ----------
        phase_draws : xarray.Dataset
            Per-fase statistics of every combination of the measures, as :meth:`phase_draws` with
            ``scenarios="all"`` returns them (extra scenarios, such as the bundles, are ignored).
        statistics : sequence of str, optional
            Names of :data:`PHASE_STATISTICS` to decompose; default ``("need_mean",)``.

        Returns
        -------
        xarray.Dataset
            For every statistic, in its unit: ``<stat>`` (measure, chain, draw, fase), ``<stat>_mean``
            (measure, fase) and ``<stat>_q`` (quantile, measure, fase; :data:`QUANTILES`), and
            ``<stat>_p_negative`` (the posterior probability that the measure lowers it; 0 where it
            does not act).

        Raises
        ------
        KeyError
            When ``phase_draws`` lacks a combination of the grid.
        """
        grid = self.grid()
        out = {}
        for k in statistics:
            c = shapley(phase_draws[k], grid)
            out[k] = c
            out[f"{k}_mean"] = c.mean((N.DIM_CHAIN, N.DIM_DRAW))
            out[f"{k}_q"] = c.quantile(list(QUANTILES), dim=(N.DIM_CHAIN, N.DIM_DRAW))
            # rounding noise of a measure that does not act (yet) is not a negative contribution
            tol = 1e-9 * float(np.nanmax(np.abs(phase_draws[k].values)) or 1.0)
            out[f"{k}_p_negative"] = (c < -tol).mean((N.DIM_CHAIN, N.DIM_DRAW))
        ds = xr.Dataset(out)
        ds.attrs.update(phase_draws.attrs)
        return ds


@numba.njit(cache=True, nogil=True)
def _capacity_phase_stats(need, cap, ia, ib, inv_rate, months):
    """For every draw d and scenario s over the given months: 1 if need in places exceeds the capacity in
    any month, and the noodopvang person-months sum(max(need - capacity, 0)).

    ``need`` (m, Na, H) persons and ``cap`` (m, Nb, H) places at their compact shapes; ``ia``/``ib`` (S,)
    the compact index of each scenario in them."""
    m = need.shape[0]
    S = ia.shape[0]
    exceed = np.zeros((m, S))
    nood = np.zeros((m, S))
    for d in range(m):
        for s in range(S):
            a = ia[s]
            b = ib[s]
            e = 0.0
            acc = 0.0
            for t in months:
                nd = need[d, a, t]
                c = cap[d, b, t]
                if nd * inv_rate[t] > c:
                    e = 1.0
                if nd > c:
                    acc += nd - c
            exceed[d, s] = e
            nood[d, s] = acc
    return exceed, nood


def phase_table(summary: xr.Dataset, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (scenario, fase): the key numbers of :meth:`ScenarioEngine.summarise` as a table.

    Parameters
    ----------
    summary : xarray.Dataset
        The output of :meth:`ScenarioEngine.summarise`.
    scenarios : sequence of str, optional
        Scenario labels to keep; default every scenario of ``summary``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(scenario, fase)``, sorted by scenario. Columns: need (persons, mean over the
        fase) median with 80 % (``need_p10``, ``need_p90``) and 95 % (``need_p2.5``,
        ``need_p97.5``) bands, peak need median and 97.5 % quantile, need in places median,
        P(need > capacity at any time in the fase), noodopvang person-months (mean), cost in
        million euro (mean and 80 % band), statushouder share (median).
    """
    s = summary if scenarios is None else summary.sel({N.DIM_SCENARIO: list(scenarios)})

    def q(name, p):
        return s[f"{name}_q"].sel(quantile=p).drop_vars("quantile")

    cols = {
        "need_median": q("need_mean", 0.5),
        "need_p10": q("need_mean", 0.1),
        "need_p90": q("need_mean", 0.9),
        "need_p2.5": q("need_mean", 0.025),
        "need_p97.5": q("need_mean", 0.975),
        "peak_need_median": q("need_peak", 0.5),
        "peak_need_p97.5": q("need_peak", 0.975),
        "places_median": q("places_mean", 0.5),
        "p_need_exceeds_capacity": s["exceeds_capacity_mean"],
        "noodopvang_person_months_mean": s["noodopvang_person_months_mean"],
        "cost_meur_mean": s["cost_eur_mean"] / 1e6,
        "cost_meur_p10": q("cost_eur", 0.1) / 1e6,
        "cost_meur_p90": q("cost_eur", 0.9) / 1e6,
        "statushouder_share_median": q("statushouder_share", 0.5),
    }
    frame = xr.Dataset(cols).reset_coords(drop=True).to_dataframe()
    return frame.reorder_levels([N.DIM_SCENARIO, N.DIM_PHASE]).sort_index(level=0, sort_remaining=False)


def contribution_table(contributions: xr.Dataset, statistic: str = "need_mean") -> pd.DataFrame:
    """One row per (measure, fase): the Shapley contribution's mean, 80 % and 95 % bands and P(< 0).

    Parameters
    ----------
    contributions : xarray.Dataset
        The output of :meth:`ScenarioEngine.contributions`.
    statistic : str, optional
        Which decomposed statistic (default ``"need_mean"``, persons); it must be one the
        contributions were computed for.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(measure, fase)``, in the statistic's unit, with columns ``mean``, ``p2.5``,
        ``p10``, ``median``, ``p90``, ``p97.5`` and ``p_negative`` (posterior probability that
        the measure lowers the statistic).
    """
    c = contributions
    q = c[f"{statistic}_q"]
    cols = {
        "mean": c[f"{statistic}_mean"],
        "p2.5": q.sel(quantile=0.025).drop_vars("quantile"),
        "p10": q.sel(quantile=0.1).drop_vars("quantile"),
        "median": q.sel(quantile=0.5).drop_vars("quantile"),
        "p90": q.sel(quantile=0.9).drop_vars("quantile"),
        "p97.5": q.sel(quantile=0.975).drop_vars("quantile"),
        "p_negative": c[f"{statistic}_p_negative"],
    }
    return xr.Dataset(cols).reset_coords(drop=True).to_dataframe()


def _phase_chunk_task(engine: ScenarioEngine, a: int, b: int, active) -> dict[str, np.ndarray]:
    """One chunk of :meth:`ScenarioEngine.phase_draws` (module-level so that dask can ship it)."""
    return engine._phase_chunk(slice(a, b), active)
