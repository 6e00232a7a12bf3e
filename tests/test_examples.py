"""Every example script runs (in its reduced configuration)."""

from __future__ import annotations

import runpy
import sys
import warnings
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
#: Examples that accept a saved fit (``--fit FILE``): CI gives them the smoke fit they would make
#: themselves (``forecast fit --quick``: 2 chains x 200 draws, seed 2026), saved once. The same fit
#: serves ``add_quarter.py`` and the command-line tests from the fit cache. Their scenario grids then
#: run over 400 draws, not the 4,000 of the default fit: the examples show that the code runs, the
#: grid's numbers are tested on the default fit in tests/scenarios/.
TAKES_A_FIT = {"scenarios.py", "own_measure.py", "dask_grid.py"}


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory):
    from forecast.cli import QUICK
    from forecast.model import ChainModel, FitDiagnosticsWarning

    model = ChainModel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitDiagnosticsWarning)  # a smoke fit: its gate fails
        model.fit(random_seed=2026, **QUICK)
    path = tmp_path_factory.mktemp("fit") / "fit.nc"
    model.save(path)
    return path


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, capsys, monkeypatch, request):
    argv = [str(script)]
    if script.name in TAKES_A_FIT:
        argv += ["--fit", str(request.getfixturevalue("saved_fit"))]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out
