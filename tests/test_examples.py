"""Every example script runs (in its reduced configuration)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
#: Examples that accept a saved fit (``--fit FILE``): CI gives them the smoke fit they would make
#: themselves (``saved_quick_fit`` of tests/conftest.py: ``forecast fit --quick``, seed 2026), which
#: ``add_quarter.py`` and the command-line tests share through the fit cache.
TAKES_A_FIT = {"scenarios.py", "own_measure.py", "dask_grid.py"}
#: Extra arguments per example. The backtest example fits its two origins in this process
#: (``--serial``): it then reads tests/evaluation/test_backtest.py's fits from the fit cache without
#: starting a cluster; that test checks the dask path against the in-process one.
ARGUMENTS = {"backtest.py": ["--serial"]}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script, capsys, monkeypatch, request):
    argv = [str(script), *ARGUMENTS.get(script.name, [])]
    if script.name in TAKES_A_FIT:
        argv += ["--fit", str(request.getfixturevalue("saved_quick_fit"))]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(script), run_name="__main__")
    assert capsys.readouterr().out
