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

Vectorised over the whole grid
------------------------------
The ``2**k`` combinations are laid out as a hypercube, one axis of length 2 per measure: each
quantity then carries only the axes of the measures that act on it (first applications depend on
the two measures that target instroom, the statushouders on those that act upstream of them or on
housing, capacity and cost on all), so the chain runs once per *distinct* sub-scenario, with no
Python loop per draw or per scenario. Draws are processed in chunks (``chunk_draws``), in memory or
on a dask cluster (``client=``); a chunk gives exactly its rows of the whole.

Parts
-----
The capacity path, the reception costs and the formulas of need in places, noodopvang and cost:
:mod:`forecast.scenarios.inputs`; the effect draws, the stress scenarios (``stress=``: ``[[stress]]``
entries of the measures file applied to every scenario) and the summed effect terms:
:mod:`forecast.scenarios.terms`; the per-fase statistics (:data:`PHASE_STATISTICS`):
:mod:`forecast.scenarios.phase_stats`; their means, bands (:meth:`ScenarioEngine.summarise`), Shapley
contributions (:meth:`ScenarioEngine.contributions`) and tables: :mod:`forecast.scenarios.tables`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.extras import require
from forecast.model import planning_occupancy_rate
from forecast.model.dynamics import ChainParams
from forecast.model.forward import FORECAST_VARIABLES
from forecast.progress import progress_bar
from forecast.scenarios.grid import bundle_grid, scenario_grid
from forecast.scenarios.inputs import (
    COST_SERIES,
    REGULAR_CAPACITY_SERIES,
    CapacityPath,
    ReceptionCosts,
    ScenarioError,
    capacity_path,
    reception_costs,
    stress_measures,
)
from forecast.scenarios.measures import MeasureSet, load_measures
from forecast.scenarios.phase_stats import PHASE_STATISTICS, phase_statistics
from forecast.scenarios.phases import PhaseSchedule, load_phases
from forecast.scenarios.tables import (
    LEVELS,
    QUANTILES,
    contribution_table,
    contributions,
    phase_table,
    summarise,
)
from forecast.scenarios.terms import SWITCH_ARGUMENTS, EffectTerms

__all__ = [
    "COST_SERIES",
    "DERIVED_VARIABLES",
    "LEVELS",
    "MONTHLY_VARIABLES",
    "PHASE_STATISTICS",
    "QUANTILES",
    "REGULAR_CAPACITY_SERIES",
    "SWITCH_ARGUMENTS",
    "CapacityPath",
    "ReceptionCosts",
    "ScenarioEngine",
    "ScenarioError",
    "capacity_path",
    "contribution_table",
    "phase_table",
    "reception_costs",
]

#: Monthly variables of :meth:`ScenarioEngine.monthly_summary` (the fan charts) by default.
MONTHLY_VARIABLES = (N.OPVANGBEHOEFTE, N.OPVANGBEHOEFTE_PLACES, "ind_backlog", "statushouders", "rejected")
MONTHLY_VARIABLES += ("instroom", "nareis", "housed", N.NOODOPVANG, N.STATUSHOUDER_SHARE)

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
        each effect's prior per posterior draw; taken with a conditioned forecast's draws.
    stress : sequence of str, optional
        Ids of stress scenarios of the measures file (:attr:`MeasureSet.stress`, e.g.
        ``"einde_tijdelijke_bescherming"``) applied to every scenario, with one draw of each of their
        effects per posterior draw from its prior (a random stream of their own); default none: the
        default numbers.
    condition : bool, optional
        Condition the forecast on the taakstellingen set for its months (default True,
        :mod:`forecast.model.conditioning`; one set of draws for every scenario).

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
        random_seed: int = N.DEFAULT_SEED,
        effect_draws: Mapping[str, Any] | None = None,
        stress: Sequence[str] = (),
        condition: bool = True,
    ) -> None:
        self.measures = measures if measures is not None else load_measures()
        self.stress = stress_measures(self.measures, stress)
        self.phases = phases or self.measures.phases or load_phases()
        if horizon_end is None:
            horizon_end = self.phases.end - pd.Timedelta(days=1)
        self.random_seed = int(random_seed)
        self.forward = model.forward(horizon_end, self.random_seed, condition=condition)
        self.months = self.forward.months
        history = model.history
        self.occupancy_rate = planning_occupancy_rate(history, self.months)
        self.capacity = capacity_path(history, self.months, capacity)
        self.costs = reception_costs(history)
        fw, places = self.forward, self.capacity.places
        self.terms = EffectTerms(
            self.measures, self.stress, self.months, places, fw.n, self.random_seed, effect_draws, fw.index
        )
        self.effect_draws = self.terms.effect_draws
        self.stress_draws = self.terms.stress_draws
        self.provenance_effects = self.terms.description
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
            "conditioning": str(fw.conditioning or "none (no taakstelling set for the forecast)"),
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
    def _chain_chunk(self, draws: slice, active: np.ndarray | None) -> dict[str, np.ndarray]:
        """The chain, need in places and the regular capacity for draws ``draws`` and all scenarios.

        Arrays keep their compact broadcast shapes ``(m, *S, H)`` (singleton axes for the measures
        that do not act on them). A switch effect (``housing_obligation``) is passed to the forward
        model as ``obligation_off`` (the measure's axis x its ramp, ``(1, *S, H)``) and
        ``voluntary_share`` (its draws, ``(m, 1, ..., 1)``); when it is on in no scenario and month,
        nothing is passed, so the numbers are exactly those of the chain with the obligation."""
        x, switch, raised, extra = self.terms.sums(draws, active)
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
        x, _, _, _ = self.terms.sums(sl, act)
        m, S, H = len(range(*sl.indices(self.forward.n))), act.shape[0], len(self.months)
        data = {}
        for target in N.MULTIPLIER_TARGETS:
            log_m = np.broadcast_to(x.get(target, 0.0), (m, S, H))
            data[target] = ((N.DIM_DRAW, N.DIM_SCENARIO, N.DIM_MONTH), np.exp(log_m))
        coords = {N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values, N.DIM_MONTH: self.months}
        return xr.Dataset(data, coords=coords).transpose(N.DIM_SCENARIO, N.DIM_DRAW, N.DIM_MONTH)

    def chain_params(self, scenarios: Any = None, draws: slice | None = None) -> ChainParams:
        """The parameters the engine gives :func:`~forecast.model.dynamics.simulate_chain` for the scenarios.

        The draws' parameters (:meth:`forecast.model.forward.Forward.params`, one scenario axis) with
        the scenarios' multipliers (``mult_<target>``, as :meth:`multipliers`) and, where a switch
        measure is on, its path and share (:data:`SWITCH_ARGUMENTS`): ``simulate_chain`` on them gives
        the chain of :meth:`simulate` (a PyMC model of the forward chain can be checked with them).

        Parameters
        ----------
        scenarios : None, str, sequence of str or xarray.DataArray
            As in :meth:`simulate`; default all bundles.
        draws : slice, optional
            Of the flattened draws; default all.

        Returns
        -------
        ChainParams
            Scalars ``(m, 1)`` and paths ``(m, 1, H)`` of the draws; multipliers ``(m, S, H)``; a switch
            path ``(1, S, H)`` and its share ``(m, 1)``; targets and switches no measure uses are None.
        """
        sl = draws or slice(None)
        x, switch, _, extra = self.terms.sums(sl, self.measures.active(self._scenarios(scenarios)))
        mult = {
            f"mult_{t}": np.exp(v) for t, v in x.items() if N.EFFECT_TARGETS[t] == N.EFFECT_LOG_MULTIPLIER
        }
        return self.forward.params(sl, extra).replace(**mult, **switch)

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

        See :func:`~forecast.scenarios.phase_stats.phase_statistics`."""
        out = self._chain_chunk(draws, active)
        _, shape = self.terms.activity(active)
        return phase_statistics(out, shape, self.phase_months, self.occupancy_rate, self.costs)

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
        progress: bool | None = None,
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
        progress : bool or None, optional
            A bar over the in-memory run's chunks (:mod:`forecast.progress`; None: in a terminal only).

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

            bar = progress_bar(len(bounds), f"scenario grid ({n_out} scenarios)", progress, unit="chunk")

            def run(ab):
                res = self._phase_chunk(slice(*ab), active)
                for k in PHASE_STATISTICS:
                    np.take(res[k], take, axis=1, out=arrays[k][ab[0] : ab[1]])
                bar.update(1)

            # numpy and the numba kernels release the GIL: chunks run on a few threads
            workers = max(1, min(threads or os.cpu_count() or 1, len(bounds)))
            with bar, ThreadPoolExecutor(max_workers=workers) as pool:
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
        for k, long_name in PHASE_STATISTICS.items():
            ds[k].attrs.update(units=N.units_of(k), long_name=long_name)
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
        variables: Sequence[str] = MONTHLY_VARIABLES,
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
        for name in ds.data_vars:  # the summarised variable's units (``instroom_mean`` is no prior's)
            ds[name].attrs["units"] = N.units_of(str(name).rsplit("_", 1)[0])
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
        """Means, probabilities and 50/80/95 % bands per scenario and fase (:func:`.tables.summarise`).

        Parameters
        ----------
        phase_draws : xarray.Dataset
            Per-fase statistics per draw, as :meth:`phase_draws` returns them.

        Returns
        -------
        xarray.Dataset
            ``<stat>_mean`` and ``<stat>_q`` (:data:`QUANTILES`) per scenario and fase, as
            :func:`forecast.scenarios.tables.summarise` describes them.
        """
        return summarise(phase_draws)

    def contributions(
        self, phase_draws: xr.Dataset, statistics: Sequence[str] = ("need_mean",)
    ) -> xr.Dataset:
        """Each measure's Shapley contribution per fase over :meth:`grid` (:func:`.tables.contributions`).

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
            Per draw and summarised, as :func:`forecast.scenarios.tables.contributions` describes them.
        """
        return contributions(phase_draws, self.grid(), statistics)


def _phase_chunk_task(engine: ScenarioEngine, a: int, b: int, active) -> dict[str, np.ndarray]:
    """One chunk of :meth:`ScenarioEngine.phase_draws` (module-level so that dask can ship it)."""
    return engine._phase_chunk(slice(a, b), active)
