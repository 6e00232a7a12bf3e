"""Reading a saved scenario result: a clear error for anything that is not one (no fit needed).

The round trip itself (pages rendered from the loaded file byte for byte as from the result in
memory) is tested on a real run in tests/reports/test_reports.py.
"""

from __future__ import annotations

import pytest
import xarray as xr

from forecast.scenarios import RESULT_FILE, ScenarioResult, ScenarioResultError


def test_a_missing_result_names_the_file_and_the_command(tmp_path):
    expected = rf"no scenario result at .*{RESULT_FILE}.*forecast scenarios"
    with pytest.raises(ScenarioResultError, match=expected):
        ScenarioResult.load(tmp_path)  # a folder without one


def test_a_file_that_is_not_netcdf_is_refused(tmp_path):
    path = tmp_path / RESULT_FILE
    path.write_text("phase,need\n")
    with pytest.raises(ScenarioResultError, match="not a readable netCDF file"):
        ScenarioResult.load(path)


def test_another_netcdf_file_is_not_taken_for_a_result(tmp_path):
    path = tmp_path / "fit.nc"
    xr.DataTree(xr.Dataset({"x": ("month", [1.0, 2.0])})).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(ScenarioResultError, match="not a scenario result"):
        ScenarioResult.load(path)


def test_every_quantity_the_engine_writes_names_its_unit():
    """names.UNITS lists the chain's variables again (names.py may import nothing of the model), and
    units_of gives an unknown name '1': a variable added to the forecast, the engine or the phase
    statistics without a unit would be labelled dimensionless. Each must be named in the table."""
    from forecast import names as N
    from forecast.model.forward import FORECAST_VARIABLES
    from forecast.scenarios.engine import DERIVED_VARIABLES, MONTHLY_VARIABLES
    from forecast.scenarios.phase_stats import PHASE_STATISTICS

    written = {*FORECAST_VARIABLES, *DERIVED_VARIABLES, *MONTHLY_VARIABLES, *PHASE_STATISTICS}
    assert sorted(written - set(N.UNITS)) == []
