"""Every example script runs (in its reduced configuration)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
#: Examples that accept a saved fit (``--fit FILE``): CI gives them the shared seeded fit instead of
#: letting each one fit the model again.
TAKES_A_FIT = {"scenarios.py", "own_measure.py", "dask_grid.py"}


@pytest.fixture(scope="module")
def saved_fit(request, tmp_path_factory):
    fitted = request.getfixturevalue("fitted")
    path = tmp_path_factory.mktemp("fit") / "fit.nc"
    fitted.save(path)
    return path


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, capsys, monkeypatch, request):
    argv = [str(script)]
    if script.name in TAKES_A_FIT:
        argv += ["--fit", str(request.getfixturevalue("saved_fit"))]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out
