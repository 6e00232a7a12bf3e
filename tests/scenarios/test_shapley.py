"""Shapley contributions: efficiency, additivity, symmetry, null measures, agreement with the definition."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast import names as N
from forecast.scenarios import by_phase, load_measures, scenario_grid, shapley, shapley_weights
from forecast.scenarios.grid import bundle_grid


def summary(grid: xr.DataArray, values: np.ndarray, dims=()) -> xr.DataArray:
    """A DataArray over the grid's scenarios (first axis) and other dims."""
    return xr.DataArray(
        values, dims=(N.DIM_SCENARIO, *dims), coords={N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values}
    )


def brute_force(f: dict[frozenset, float], ids: list[str]) -> dict[str, float]:
    """The textbook definition, one subset at a time."""
    k = len(ids)
    out = {}
    for j in ids:
        others = [i for i in ids if i != j]
        total = 0.0
        for size in range(k):
            for s in itertools.combinations(others, size):
                w = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
                total += w * (f[frozenset(s) | {j}] - f[frozenset(s)])
        out[j] = total
    return out


def as_sets(grid):
    ids = grid[N.DIM_MEASURE].values.tolist()
    return [frozenset(i for i, a in zip(ids, row, strict=True) if a) for row in grid.values]


@pytest.mark.parametrize("k", [1, 2, 4, 6])
def test_agrees_with_the_definition(k):
    rng = np.random.default_rng(k)
    grid = scenario_grid([f"m{j}" for j in range(k)])
    f = rng.normal(size=2**k)
    expected = brute_force(dict(zip(as_sets(grid), f, strict=True)), grid[N.DIM_MEASURE].values.tolist())
    got = shapley(summary(grid, f), grid)
    assert got.dims == (N.DIM_MEASURE,)
    np.testing.assert_allclose(got.values, [expected[m] for m in got[N.DIM_MEASURE].values], atol=1e-12)


def test_efficiency_over_draws_and_phases():
    """Contributions sum to f(all) - f(none) for every chain, draw and phase."""
    grid = scenario_grid([f"m{j}" for j in range(9)])
    rng = np.random.default_rng(0)
    f = summary(grid, rng.normal(size=(512, 2, 50, 3)) * 1000, dims=("chain", "draw", N.DIM_PHASE))
    phi = shapley(f, grid)
    assert phi.dims == (N.DIM_MEASURE, "chain", "draw", N.DIM_PHASE)
    full = f.sel(scenario="+".join(f"m{j}" for j in range(9)))
    none = f.sel(scenario=N.NO_MEASURES_LABEL)
    np.testing.assert_allclose(phi.sum(N.DIM_MEASURE), full - none, rtol=1e-12, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=6),
    st.floats(-1e4, 1e4),
    st.floats(-1e3, 1e3),
)
def test_additive_summary_gives_each_measure_its_own_effect(effects, base, interaction):
    k = len(effects)
    grid = scenario_grid([f"m{j}" for j in range(k)])
    a = grid.values.astype(float)
    f = base + a @ np.array(effects)
    phi = shapley(summary(grid, f), grid)
    np.testing.assert_allclose(phi.values, effects, atol=1e-6)
    # an interaction between m0 and the last measure is split equally between the two
    if k >= 2:
        g = f + interaction * a[:, 0] * a[:, -1]
        phi = shapley(summary(grid, g), grid).values
        np.testing.assert_allclose(phi[0], effects[0] + interaction / 2, atol=1e-6)
        np.testing.assert_allclose(phi[-1], effects[-1] + interaction / 2, atol=1e-6)
        np.testing.assert_allclose(phi[1:-1], effects[1:-1], atol=1e-6)


def test_symmetry_and_null_measure():
    grid = scenario_grid(["a", "b", "c", "d"])
    act = grid.values.astype(float)
    a, b, c, _d = act.T
    # a and b enter symmetrically, with interactions; d changes nothing
    f = 3 * a + 3 * b - 2 * c + 5 * a * b + 4 * a * c + 4 * b * c - 7 * a * b * c
    phi = shapley(summary(grid, f), grid)
    assert phi.sel(measure="a").item() == pytest.approx(phi.sel(measure="b").item())
    assert phi.sel(measure="d").item() == pytest.approx(0.0, abs=1e-12)
    assert phi.sum().item() == pytest.approx(f[-1] - f[0])


def test_nonlinear_effects_on_a_ratio():
    """Efficiency holds for any summary, e.g. a product of multipliers (how log multipliers combine)."""
    grid = scenario_grid(["x", "y", "z"])
    logm = np.array([0.2, -0.3, 0.05])
    f = 50_000 * np.exp(grid.values.astype(float) @ logm)
    phi = shapley(summary(grid, f), grid)
    assert phi.sum().item() == pytest.approx(f[-1] - f[0])
    assert np.sign(phi.values).tolist() == [1, -1, 1]


def test_order_of_scenarios_and_extra_scenarios_do_not_matter():
    grid = scenario_grid(["a", "b", "c"])
    rng = np.random.default_rng(1)
    f = summary(grid, rng.normal(size=8))
    ref = shapley(f, grid)
    perm = rng.permutation(8)
    np.testing.assert_allclose(shapley(f.isel(scenario=perm), grid.isel(scenario=perm[::-1])), ref)
    extra = xr.concat(
        [f, xr.DataArray([99.0], dims="scenario", coords={"scenario": ["kabinetsbeleid"]})], dim="scenario"
    )
    np.testing.assert_allclose(shapley(extra, grid), ref)


def test_weights():
    grid = scenario_grid([f"m{j}" for j in range(5)])
    w = shapley_weights(grid)
    assert w.dims == (N.DIM_MEASURE, N.DIM_SCENARIO)
    np.testing.assert_allclose(w.sum(N.DIM_SCENARIO), 0.0, atol=1e-15)
    col = w.sum(N.DIM_MEASURE)
    assert col.sel(scenario=N.NO_MEASURES_LABEL).item() == pytest.approx(-1)
    assert col.sel(scenario="m0+m1+m2+m3+m4").item() == pytest.approx(1)
    np.testing.assert_allclose(col.isel(scenario=slice(1, -1)), 0.0, atol=1e-15)
    # the standard weight |S|!(k-|S|-1)!/k! for S = {m1, m2} and j = m0
    assert w.sel(measure="m0", scenario="m0+m1+m2").item() == pytest.approx(2 * 2 / 120)
    assert w.sel(measure="m0", scenario="m1+m2").item() == pytest.approx(-2 * 2 / 120)


def test_errors():
    grid = scenario_grid(["a", "b"])
    f = summary(grid, np.arange(4.0))
    with pytest.raises(ValueError, match="each of the 2\\*\\*2 = 4 combinations"):
        shapley(f, grid.isel(scenario=[0, 1, 2]))
    with pytest.raises(ValueError, match="each of the 2\\*\\*2 = 4 combinations"):
        shapley(f, grid.isel(scenario=[0, 1, 2, 2]))
    with pytest.raises(ValueError, match="must be boolean"):
        shapley(f, grid.astype(int))
    with pytest.raises(ValueError, match="must have dims"):
        shapley(f, grid.rename(measure="maatregel"))
    with pytest.raises(ValueError, match="no 'scenario' dimension"):
        shapley(f.rename(scenario="s"), grid)
    with pytest.raises(KeyError, match="lacks 1 scenario"):
        shapley(f.isel(scenario=[0, 1, 2]), grid)


def test_with_the_bundled_measures_per_phase():
    """The intended use: effect paths for all 512 scenarios -> a summary per phase -> contributions."""
    measures = load_measures()
    grid = scenario_grid(measures)
    months = pd.date_range("2025-07-01", "2030-12-01", freq="MS")
    draws = measures.sample_prior(40, seed=11)
    paths = measures.effect_paths(draws, months, grid)  # (draw, scenario, month)
    # a toy need: statushouders waiting grow when housing slows, asylum seekers grow with inflow
    need = 20_000 / paths[N.TARGET_HOUSING_RATE] + 30_000 * paths[N.TARGET_INSTROOM] * paths[N.TARGET_NAREIS]
    need = xr.DataArray(
        need,
        dims=("draw", N.DIM_SCENARIO, N.DIM_MONTH),
        coords={N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values, N.DIM_MONTH: months},
    )
    per_phase = by_phase(need)
    phi = shapley(per_phase, grid)
    assert phi.dims == (N.DIM_MEASURE, "draw", N.DIM_PHASE)
    kab = str(bundle_grid(measures, [N.BUNDLE_KABINETSBELEID])["combination"].values[0])
    np.testing.assert_allclose(
        phi.sum(N.DIM_MEASURE),
        per_phase.sel(scenario=kab) - per_phase.sel(scenario=N.NO_MEASURES_LABEL),
        rtol=1e-10,
    )
    # measures acting only on capacity or decisions do not move this toy need
    for m in ("stabiele_opvangplekken", "intrekking_spreidingswet"):
        np.testing.assert_allclose(phi.sel(measure=m), 0.0, atol=1e-6)
    # the ban on priority raises need once it is in force (housing slows) in every draw
    assert (
        phi.sel(measure="verbod_op_voorrang", fase=N.PHASE_NORMALISATIE)
        * np.sign(-draws["verbod_op_voorrang.housing_rate"])
        >= 0
    ).all()
