"""Monthly fans of need for every scenario of the grid, computed a few scenarios at a time.

:func:`scenario_fans` gives the quantiles of opvangbehoefte (persons and places) per scenario and
forecast month for all ``2**k`` combinations of the measures and the named bundles, with the mean
need and the mean regular capacity path: the data of the offline scenario explorer
(:mod:`forecast.reports.explorer`). The whole grid's monthly paths do not fit in memory (512
scenarios x 4000 draws x 72 months is over a gigabyte per variable), so the scenarios are simulated
in chunks (``chunk_scenarios``) with :meth:`ScenarioEngine.simulate`: the chain's random numbers are
common to all scenarios, so a chunk gives exactly the paths the whole grid would. Need is simulated
once per combination of the measures that act on the chain (a measure that only adds regular places
does not change it), the capacity once per combination of those that add places; the bundles are
copies of their combinations. Values are stored as float32 (about seven significant digits).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import xarray as xr

from forecast import names as N
from forecast.progress import progress_bar

#: Quantiles of the monthly fans: the bands of the charts (50/80/95 %) and enough others in between
#: for the explorer to read P(need > a capacity one types) and the expected noodopvang off them.
FAN_QUANTILES: tuple[float, ...] = (
    0.01,
    0.025,
    0.05,
    0.1,
    0.2,
    0.25,
    0.3,
    0.4,
    0.5,
    0.6,
    0.7,
    0.75,
    0.8,
    0.9,
    0.95,
    0.975,
    0.99,
)


def _distinct(grid: xr.DataArray, acting: np.ndarray) -> tuple[xr.DataArray, np.ndarray]:
    """The grid's rows with only the ``acting`` measures kept, once each, and every row's index into them.

    A quantity that only the acting measures change is the same in a scenario and in that scenario
    with the other measures off, so it is simulated once per distinct row."""
    active = grid.values.astype(bool)
    kept = active & acting
    distinct, inverse = np.unique(kept, axis=0, return_inverse=True)
    position = {row.tobytes(): i for i, row in enumerate(active)}  # every combination is in the grid
    rows = grid.isel({N.DIM_SCENARIO: [position[row.tobytes()] for row in distinct]})
    return rows, inverse.reshape(-1)


def scenario_fans(
    engine: Any, chunk_scenarios: int = 8, threads: int | None = None, progress: bool | None = None
) -> xr.Dataset:
    """Monthly quantiles of need for every combination of the measures and every bundle.

    Need depends only on the measures that act on the chain (not on those that only add regular
    places), the regular capacity only on those that add places: each is simulated once per distinct
    combination of the measures it depends on (with the same random numbers, so the numbers are those
    of simulating every scenario) and copied to the scenarios that share it.

    Parameters
    ----------
    engine : ScenarioEngine
        The scenario engine.
    chunk_scenarios : int, optional
        Scenarios simulated at once (memory: about ``chunk_scenarios x draws x months x 8`` bytes for
        each of the engine's twenty-odd monthly quantities: 8 scenarios of 4000 draws and 72 months take
        about half a gigabyte per thread). The numbers do not depend on it.
    threads : int, optional
        Chunks simulated at the same time (default: the number of CPUs; memory grows with it); the
        numbers do not depend on it.
    progress : bool or None, optional
        A bar over the chunks (:mod:`forecast.progress`; None, the default: in a terminal only).

    Returns
    -------
    xarray.Dataset
        Over the engine's forecast months, float32: ``need_q`` and ``places_q`` (quantile, scenario,
        month; :data:`FAN_QUANTILES`) of opvangbehoefte in persons and in places, ``need_mean``
        (scenario, month) and ``regular_capacity_places_mean`` (scenario, month), the mean regular
        capacity with the scenario's measures; ``occupancy_rate`` (month, float64), need in places
        being need / rate. The scenarios are the combinations in grid order, then the bundles; the
        attributes ``cost_regular_eur_year`` and ``cost_emergency_eur_year`` are the engine's costs
        per resident per year.
    """
    grid = engine.grid()
    bundles = engine.bundles()
    labels = [str(s) for s in grid[N.DIM_SCENARIO].values]
    kinds = [{e.kind for e in m.effects} for m in engine.measures]
    on_chain = np.array([bool(k - {N.EFFECT_PLACES}) for k in kinds])
    on_capacity = np.array([N.EFFECT_PLACES in k for k in kinds])
    chain_rows, chain_of = _distinct(grid, on_chain)
    H, Q, R = len(engine.months), len(FAN_QUANTILES), chain_rows.sizes[N.DIM_SCENARIO]
    need_q = np.empty((Q, R, H), dtype=np.float32)
    need_mean = np.empty((R, H), dtype=np.float32)
    step = max(int(chunk_scenarios), 1)
    sample = (N.DIM_CHAIN, N.DIM_DRAW)

    def run(a: int) -> None:
        rows = chain_rows.isel({N.DIM_SCENARIO: slice(a, a + step)})
        sim = engine.simulate(rows, variables=[N.OPVANGBEHOEFTE])
        need = sim[N.OPVANGBEHOEFTE].stack(sample=sample).transpose(N.DIM_SCENARIO, N.DIM_MONTH, "sample")
        need_q[:, a : a + step] = np.quantile(need.values, FAN_QUANTILES, axis=-1)
        need_mean[a : a + step] = need.values.mean(-1)
        bar.update(1)

    starts = range(0, R, step)
    bar = progress_bar(len(starts), f"fans ({R} distinct chains)", progress, unit="chunk")
    # numpy and the chain's numba kernels release the GIL: chunks run on a few threads
    workers = max(1, min(threads or os.cpu_count() or 1, len(starts)))
    with bar, ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(run, starts))
    capacity_rows, capacity_of = _distinct(grid, on_capacity)
    capacity = engine.simulate(capacity_rows, variables=[N.REGULAR_CAPACITY])[N.REGULAR_CAPACITY]
    cap_mean = capacity.mean(sample).transpose(N.DIM_SCENARIO, N.DIM_MONTH).values.astype(np.float32)
    take = np.concatenate(
        [np.arange(len(labels)), [labels.index(str(c)) for c in bundles["combination"].values]]
    )
    scenarios = [*labels, *(str(b) for b in bundles[N.DIM_SCENARIO].values)]
    rate = np.asarray(engine.occupancy_rate, dtype=float)
    need_q, need_mean = need_q[:, chain_of[take]], need_mean[chain_of[take]]
    cap_mean = cap_mean[capacity_of[take]]
    places_q = (need_q / rate).astype(np.float32)
    dims = (N.DIM_SCENARIO, N.DIM_MONTH)
    ds = xr.Dataset(
        {
            "need_q": (("quantile", *dims), need_q),
            "places_q": (("quantile", *dims), places_q),
            "need_mean": (dims, need_mean),
            f"{N.REGULAR_CAPACITY}_mean": (dims, cap_mean),
            "occupancy_rate": (N.DIM_MONTH, rate),
        },
        coords={"quantile": list(FAN_QUANTILES), N.DIM_SCENARIO: scenarios, N.DIM_MONTH: engine.months},
    )
    ds.attrs["cost_regular_eur_year"] = float(engine.costs.regular)
    ds.attrs["cost_emergency_eur_year"] = float(engine.costs.emergency)
    return ds


__all__ = ["FAN_QUANTILES", "scenario_fans"]
