"""Benchmark the scenario engine: every combination of the measures x all posterior draws x the horizon.

usage: python benchmarks/scenarios.py [--fit out/fit.nc] [--months 60] [--chunk-draws 500]
                                      [--pymc-scenarios 2] [--seed 2026] [--chains 4] [--draws 1000]

Without ``--fit`` it first fits the model on the bundled history (``--chains`` x ``--draws``, default
4 x 1000 after as many tuning steps, a few minutes) and uses those draws. Prints, for the full grid
(2**k combinations plus the named bundles) over ``--months`` forecast months:

* wall time of :meth:`ScenarioEngine.phase_draws` (per-fase statistics of every scenario and draw),
  with 1 thread and with the default threads, and of building the engine;
* throughput in draw x scenario x month per second;
* peak memory: the largest numpy allocation total during the run (tracemalloc) and the process's peak
  resident set size;
* the same forward simulation done the PyMC way: one ``pm.sample_posterior_predictive`` call per
  scenario on a PyMC model of the forward chain (the same ``simulate_chain``, as a PyTensor graph).
  ``--pymc-scenarios`` of them are timed and the time for the full grid is extrapolated (stated as
  such).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path


def _known_shape(x, shape: tuple[int, ...]):
    """``x`` as a PyTensor variable whose ``shape`` is the static tuple ``shape``.

    :func:`~forecast.model.dynamics.simulate_chain` reads the length of a ``*_hist`` path with
    ``np.shape`` (a number of months, fixed when the graph is built); a PyTensor variable's own
    ``shape`` is symbolic, so the benchmark gives those paths a static one.
    """
    import pytensor.tensor as pt
    from pytensor.tensor.variable import TensorVariable

    class KnownShape(TensorVariable):
        @property
        def shape(self):
            return self.type.shape

    y = pt.specify_shape(x, shape)
    y.__class__ = KnownShape
    return y


def _pymc_model(params, n: int, inputs):
    """A PyMC model of the forward chain of one scenario, and the per-draw values of its free variables.

    ``params`` is :meth:`ScenarioEngine.chain_params` of one scenario: every field with one value per
    draw becomes a flat variable of that draw's shape (its values come from the trace), the others
    (shared by the draws, or None) are constants.
    """
    import dataclasses

    import numpy as np
    import pymc as pm

    from forecast import names as N
    from forecast.model import dynamics as dyn

    per_draw, fields = {}, {}
    for f in dataclasses.fields(params):
        v = getattr(params, f.name)
        if isinstance(v, np.ndarray):
            v = v[:, 0]  # the one scenario
            if v.shape[0] == n:
                per_draw[f.name] = v
            else:
                v = v[0]
        fields[f.name] = v
    with pm.Model() as model:
        for k, v in per_draw.items():
            x = pm.Flat(k, shape=v.shape[1:])
            fields[k] = _known_shape(x, v.shape[1:]) if k.endswith("_hist") else x
        out = dyn.simulate_chain(dyn.ChainParams(**fields), inputs, dyn.PT)
        pm.Deterministic(N.OPVANGBEHOEFTE, out[N.OPVANGBEHOEFTE])
    return model, per_draw


def _pymc_baseline(engine, n_scenarios: int) -> tuple[float, float]:
    """Seconds per scenario of pm.sample_posterior_predictive on the forward chain, and a check value."""
    import numpy as np
    import pymc as pm
    import xarray as xr

    from forecast import names as N

    fw = engine.forward
    n, H = fw.n, len(fw.months)
    grid = engine.grid()
    times, check = [], 0.0
    for s in range(n_scenarios):
        row = grid.isel({N.DIM_SCENARIO: [-1 - s]})  # the scenarios with most measures first
        need = engine.simulate(row, variables=[N.OPVANGBEHOEFTE])[N.OPVANGBEHOEFTE].values.reshape(n, H)
        model, per_draw = _pymc_model(engine.chain_params(row), n, fw.u)
        data = {
            k: (("chain", "draw", *[f"{k}_{j}" for j in range(v.ndim - 1)]), v[None])
            for k, v in per_draw.items()
        }
        trace = xr.Dataset(data, coords={"chain": [0], "draw": np.arange(n)})
        t0 = time.perf_counter()
        with model:
            pp = pm.sample_posterior_predictive(
                trace, var_names=[N.OPVANGBEHOEFTE], progressbar=False, random_seed=1
            )
        times.append(time.perf_counter() - t0)
        got = pp["posterior_predictive"][N.OPVANGBEHOEFTE].values.reshape(n, H)
        check = max(check, float(np.max(np.abs(got - need) / np.maximum(need, 1.0))))
    return float(np.mean(times)), check


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", help="a saved fit (forecast fit --out DIR writes DIR/fit.nc); default: fit now")
    ap.add_argument("--months", type=int, default=60)
    ap.add_argument("--chunk-draws", type=int, default=500)
    ap.add_argument("--pymc-scenarios", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--chains", type=int, default=4, help="chains of the fit without --fit")
    ap.add_argument("--draws", type=int, default=1000, help="draws (and tuning steps) per chain of that fit")
    a = ap.parse_args(argv)

    import numpy as np
    import pandas as pd

    from forecast import names as N
    from forecast.model import ChainModel
    from forecast.scenarios.engine import ScenarioEngine

    if a.fit:
        model = ChainModel.load(a.fit)
    else:
        print(f"fitting {a.chains} chains x {a.draws} draws on the bundled history ...", flush=True)
        model = ChainModel()
        model.fit(chains=a.chains, draws=a.draws, tune=a.draws, random_seed=a.seed)
        model.save(Path(tempfile.mkdtemp()) / "fit.nc")
    end = (pd.Period(model.settings.end, "M") + a.months).to_timestamp(how="end")

    t0 = time.perf_counter()
    engine = ScenarioEngine(model, horizon_end=end, random_seed=a.seed)
    t_init = time.perf_counter() - t0
    engine.phase_draws(engine.grid().isel({N.DIM_SCENARIO: slice(0, 2)}))  # compile the kernels before timing
    n, H = engine.forward.n, len(engine.months)
    k = len(engine.measures)

    rows = []
    for threads in (1, None):
        tracemalloc.start()
        t0 = time.perf_counter()
        draws = engine.phase_draws(chunk_draws=a.chunk_draws, threads=threads)
        wall = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        S = draws.sizes["scenario"]
        rows.append((threads or "all CPUs", wall, S, peak))
        del draws
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux

    t_pymc, check = _pymc_baseline(engine, a.pymc_scenarios)

    print()
    print(
        f"scenario engine: 2**{k} = {2**k} combinations (+ bundles) x {n} draws x {H} months, "
        f"chunks of {a.chunk_draws}"
    )
    print(f"engine set-up (forward paths, effect draws): {t_init:.2f} s")
    print()
    print("| threads | scenarios | wall (s) | draw*scenario*months / s | peak numpy memory (MB) |")
    print("|---|---|---|---|---|")
    for threads, wall, S, peak in rows:
        print(f"| {threads} | {S} | {wall:.2f} | {S * n * H / wall:,.0f} | {peak / 2**20:,.0f} |")
    print(f"\nprocess peak resident memory (model, fit and engine included): {rss:,.0f} MB")
    best = min(r[1] for r in rows)
    per_scenario = best / rows[0][2]
    print()
    print("| method | seconds per scenario | full grid (s) |")
    print("|---|---|---|")
    print(f"| scenario engine (hypercube, vectorised) | {per_scenario:.4f} | {best:.2f} |")
    print(
        f"| pm.sample_posterior_predictive per scenario ({a.pymc_scenarios} timed, grid extrapolated) "
        f"| {t_pymc:.2f} | {t_pymc * 2**k:,.0f} |"
    )
    print(f"\nspeed-up: {t_pymc * 2**k / best:,.0f}x; PyMC and engine need agree to {check:.1e} (relative)")
    assert np.isfinite(best)


if __name__ == "__main__":
    main()
