"""Every example script runs (in its reduced configuration)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

#: Examples that fit a model of their own and are not run whole here, with the reason. The suite must
#: stay under ten minutes on two cores; their parts are tested below and their outputs elsewhere.
NOT_RUN = {
    # a second compiled model (another prior set: the priors are constants of the compiled graph),
    # about 50 s of compile and sampling; its prior edit is tested below, az.loo and az.compare on the
    # saved fit in tests/reports/test_reports.py (test_arviz_reads_the_saved_fit_as_it_is)
    "compare_priors.py": "test_compare_priors_edits_one_prior_of_the_bundled_set",
}
EXAMPLES = sorted(p for p in (Path(__file__).parents[1] / "examples").glob("*.py") if p.name not in NOT_RUN)
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


def test_compare_priors_edits_one_prior_of_the_bundled_set(tmp_path):
    """The reviewer's prior set of examples/compare_priors.py loads, differs from the bundled one in
    discrepancy_flow only (HalfNormal(0.1) -> HalfNormal(0.02)), and gives the model another hash."""
    from forecast.model import ChainModel
    from forecast.priors import load_priors

    script = Path(__file__).parents[1] / "examples" / "compare_priors.py"
    edited = runpy.run_path(str(script), run_name="not_main")["reviewers_priors"](tmp_path)
    bundled, reviewer = load_priors(), load_priors(edited)
    assert set(reviewer.priors) == set(bundled.priors)
    law = {name: (p.distribution, p.params) for name, p in bundled.priors.items()}
    changed = [name for name, p in reviewer.priors.items() if (p.distribution, p.params) != law[name]]
    assert changed == ["discrepancy_flow"], changed
    assert reviewer["discrepancy_flow"].params == {"sigma": 0.02}
    assert ChainModel(priors=edited).config_hash != ChainModel().config_hash
