"""The scenario grid: every combination once, readable labels, bundles as aliases of combinations."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from forecast import names as N
from forecast.scenarios import bundle_grid, combination_label, load_measures, scenario_grid, select_bundles
from forecast.scenarios.grid import COMBINATION, MAX_GRID_MEASURES, N_ACTIVE


@pytest.fixture(scope="module")
def measures():
    return load_measures()


@pytest.mark.parametrize("k", [0, 1, 3, 9])
def test_every_combination_once(k):
    ids = [f"m{j}" for j in range(k)]
    grid = scenario_grid(ids)
    assert grid.dims == (N.DIM_SCENARIO, N.DIM_MEASURE)
    assert grid.dtype == bool and grid.shape == (2**k, k)
    assert len({tuple(r) for r in grid.values.tolist()}) == 2**k
    labels = grid[N.DIM_SCENARIO].values.tolist()
    assert len(set(labels)) == 2**k
    assert labels[0] == N.NO_MEASURES_LABEL
    np.testing.assert_array_equal(grid[N_ACTIVE].values, grid.values.sum(1))
    if k:
        assert labels[-1] == "+".join(ids)
        assert grid.values[-1].all() and not grid.values[0].any()
        # scenario i has measure j when bit j of i is set
        np.testing.assert_array_equal(grid.values[5 % 2**k], [(5 % 2**k) >> j & 1 for j in range(k)])


def test_labels_are_readable():
    grid = scenario_grid(["verbod", "pakket", "terugkeer"])
    assert grid[N.DIM_SCENARIO].values.tolist() == [
        "geen_maatregelen",
        "verbod",
        "pakket",
        "verbod+pakket",
        "terugkeer",
        "verbod+terugkeer",
        "pakket+terugkeer",
        "verbod+pakket+terugkeer",
    ]
    assert combination_label([False, True, True], ["a", "b", "c"]) == "b+c"
    assert grid.sel(scenario="pakket+terugkeer").values.tolist() == [False, True, True]


def test_grid_errors():
    with pytest.raises(ValueError, match="distinct"):
        scenario_grid(["a", "a"])
    with pytest.raises(ValueError, match=f"at most {MAX_GRID_MEASURES} measures"):
        scenario_grid([f"m{j}" for j in range(MAX_GRID_MEASURES + 1)])


def test_grid_of_the_bundled_measures(measures):
    grid = scenario_grid(measures)
    assert grid.shape == (512, 9)
    assert grid[N.DIM_MEASURE].values.tolist() == list(measures.ids)


def test_bundles_are_combinations(measures):
    rows = bundle_grid(measures)
    grid = scenario_grid(measures)
    assert rows[N.DIM_SCENARIO].values.tolist() == list(measures.bundles)
    for b in measures.bundles.values():
        row = rows.sel(scenario=b.id)
        assert [m for m, a in zip(measures.ids, row.values, strict=True) if a] == list(b.measures)
        np.testing.assert_array_equal(grid.sel(scenario=str(row[COMBINATION].values)).values, row.values)
    assert str(rows.sel(scenario=N.BUNDLE_GEEN_NIEUW_BELEID)[COMBINATION].values) == N.NO_MEASURES_LABEL
    assert rows.sel(scenario=N.BUNDLE_KABINETSBELEID).values.all()
    assert bundle_grid(measures, [N.BUNDLE_SAMENHANGEND_PAKKET])[N_ACTIVE].values.tolist() == [3]


def test_select_bundles(measures):
    grid = scenario_grid(measures)
    values = xr.DataArray(
        grid.values.sum(1)[:, None] * np.ones((1, 2)),
        dims=(N.DIM_SCENARIO, "draw"),
        coords={N.DIM_SCENARIO: grid[N.DIM_SCENARIO].values},
    )
    picked = select_bundles(values, measures)
    assert picked[N.DIM_SCENARIO].values.tolist() == list(measures.bundles)
    assert picked.sel(scenario=N.BUNDLE_KABINETSBELEID).values.tolist() == [9, 9]
    assert picked.sel(scenario=N.BUNDLE_PAKKET_ZONDER_VERBOD).values.tolist() == [8, 8]
    assert picked.sel(scenario=N.BUNDLE_GEEN_NIEUW_BELEID).values.tolist() == [0, 0]
    with pytest.raises(KeyError, match="has no scenario"):
        select_bundles(values.isel(scenario=slice(0, 10)), measures)
