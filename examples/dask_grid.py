"""A large scenario grid on a dask cluster: every combination of measures x regular capacity.

Run: ``.venv/bin/python examples/dask_grid.py [--full | --fit out/fit.nc] [--scheduler ADDRESS]``

Planners ask how many regular places keep the chance of noodopvang low. This example runs every
combination of the policy measures (``2**9``) and the named bundles under five regular capacities
(60,000 to 140,000 places, flat), for every posterior draw, per fase, on a dask cluster: a local one
with two worker processes by default, or yours with ``--scheduler tcp://host:8786`` (start one with
``dask scheduler`` and ``dask worker tcp://host:8786``; the workers need this package installed).
Each chunk of draws is one task; the per-draw results stay on the workers (``lazy=True``) and only
the means come back. They equal the in-memory result exactly, which it checks.

It prints P(need in places > capacity in some month of the fase) per bundle, fase and capacity, and
the smallest of the five capacities that keeps that chance under 10 %. Without arguments the fit
is a smoke run (2 chains x 200 draws, diagnostics FAILED); ``--full`` fits with the defaults;
``--fit FILE`` uses a saved fit (``forecast fit``). ``forecast scenarios --scheduler ADDRESS`` runs
one capacity's grid on a cluster from the shell.
"""

import sys
import time
import warnings

import dask
import numpy as np
import pandas as pd
import xarray as xr
from dask.distributed import Client, LocalCluster

import forecast
from forecast import names as N
from forecast.model import ChainModel, FitDiagnosticsWarning
from forecast.scenarios import ScenarioEngine

CAPACITIES = (60_000, 80_000, 100_000, 120_000, 140_000)  # regular places, held flat to the horizon
BUNDLES = ["kabinetsbeleid", "zonder_omstreden_wetsvoorstellen", "geen_nieuw_beleid"]
RISK = 0.10
STATISTICS = ["exceeds_capacity", "noodopvang_person_months"]  # per draw; their means are reduced remotely

if __name__ == "__main__":  # dask's worker processes import this file: run only in the parent
    if "--fit" in sys.argv:
        model = ChainModel.load(sys.argv[sys.argv.index("--fit") + 1])
    else:
        model = ChainModel(forecast.load_history())
        runs = {} if "--full" in sys.argv else {"draws": 200, "tune": 300, "chains": 2}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitDiagnosticsWarning)  # the verdict is printed below
            model.fit(random_seed=2026, **runs)
    print(model.diagnostics)

    if "--scheduler" in sys.argv:
        cluster, client = None, Client(sys.argv[sys.argv.index("--scheduler") + 1])
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    print(f"\ndask cluster: {len(client.scheduler_info()['workers'])} workers ({client.scheduler.address})")

    engines = {c: ScenarioEngine(model, capacity=c, random_seed=2026) for c in CAPACITIES}
    # lazy=True leaves the per-draw statistics on the workers (about 650 MB per capacity at 4000
    # draws); only the reductions computed from them travel back to this process
    start = time.perf_counter()
    lazy = {c: e.phase_draws(client=client, lazy=True, chunk_draws=1000) for c, e in engines.items()}
    sample = (N.DIM_CHAIN, N.DIM_DRAW)
    (means,) = dask.compute({c: d[STATISTICS].mean(sample) for c, d in lazy.items()})
    seconds = time.perf_counter() - start
    first = lazy[CAPACITIES[0]]
    months = len(engines[CAPACITIES[0]].forward.months)
    draws = first.sizes[N.DIM_CHAIN] * first.sizes[N.DIM_DRAW]
    cells = len(CAPACITIES) * first.sizes[N.DIM_SCENARIO] * draws * months
    print(
        f"{len(CAPACITIES)} capacities x {first.sizes[N.DIM_SCENARIO]} scenarios x {draws} draws x "
        f"{months} months on the cluster: {seconds:.1f} s ({cells / seconds / 1e6:.1f} M cells/s)"
    )

    # the cluster gives the in-memory numbers (same seed: same random numbers per draw); the per-draw
    # statistics are identical, their means differ only by the order of summation over the chunks
    local = engines[CAPACITIES[0]].phase_draws()[STATISTICS].mean(sample)
    remote = means[CAPACITIES[0]]
    diff = max(
        float(np.max(np.abs(local[k].values - remote[k].values) / np.maximum(local[k].values, 1)))
        for k in STATISTICS
    )
    print(f"largest relative difference from the in-memory run: {diff:.1e}")
    assert diff < 1e-12

    by_capacity = xr.concat([means[c] for c in CAPACITIES], dim=pd.Index(CAPACITIES, name="capacity"))
    rows = by_capacity.sel({N.DIM_SCENARIO: BUNDLES})

    # P(need in places > capacity in some month of the fase), per bundle, fase and capacity
    table = rows["exceeds_capacity"].to_dataframe()["exceeds_capacity"].unstack("capacity")
    print("\nP(need in places > regular capacity), by flat regular capacity (places)")
    print(table.round(2).to_string())
    # expected persons in noodopvang, averaged over the fase's forecast months (a mean: the upper tail
    # of need weighs in fully)
    fase_months = xr.DataArray(
        [len(engines[CAPACITIES[0]].phase_months[f]) for f in rows[N.DIM_PHASE].values],
        coords={N.DIM_PHASE: rows[N.DIM_PHASE].values},
    )
    nood = (rows["noodopvang_person_months"] / fase_months).rename("nood")
    print("\nexpected persons in noodopvang, mean over the months of the fase")
    print(nood.to_dataframe()["nood"].unstack("capacity").round(-2).to_string())

    enough = (table < RISK).idxmax(axis=1).where((table < RISK).any(axis=1))
    print(f"\nsmallest of these capacities with P < {RISK:.0%} (NaN: none of them)")
    print(enough.unstack(N.DIM_PHASE).to_string())

    client.close()
    if cluster is not None:
        cluster.close()
