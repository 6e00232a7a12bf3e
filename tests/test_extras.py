"""Optional stacks (forecast/extras.py): without an extra, the path that needs it names the extra."""

from __future__ import annotations

import sys

import pytest

from forecast.extras import EXTRAS, MissingExtraError, require


def _block(monkeypatch, package: str) -> None:
    """Make ``package`` (and every submodule already imported) unimportable, as if not installed."""
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, package, None)


def test_require_imports_or_names_the_extra(monkeypatch):
    assert require("json", "cluster", "x").__name__ == "json"
    _block(monkeypatch, "statsmodels")
    with pytest.raises(
        MissingExtraError, match=r"the ETS baseline needs 'statsmodels'.*forecast\[backtest\]"
    ):
        require("statsmodels.tsa.statespace.structural", "backtest", "the ETS baseline")
    with pytest.raises(ValueError, match="unknown extra"):
        require("json", "gpu", "x")
    assert set(EXTRAS) == {"cluster", "backtest", "zarr"}


def test_the_extras_in_pyproject_install_what_extras_py_names():
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    for extra, modules in EXTRAS.items():
        text = " ".join(extras[extra]).lower()
        assert all(m in text for m in modules), (extra, modules, text)
    core = " ".join(project["dependencies"]).lower()
    assert not any(m in core for ms in EXTRAS.values() for m in ms), "an extra's package is a core dependency"
    every = "forecast[cluster,backtest,zarr]"
    assert every in extras["dev"] and every in extras["all"]


def test_a_backtest_without_statsmodels_stops_before_any_fit(monkeypatch):
    from forecast.evaluation import backtest as BT

    _block(monkeypatch, "statsmodels")
    with pytest.raises(MissingExtraError, match=r"forecast\[backtest\]"):
        BT.backtest(["2017-01-01"], draws=10, tune=10, chains=1)


def test_a_zarr_store_without_zarr_names_the_extra_and_writes_nothing(monkeypatch, tmp_path):
    import xarray as xr

    from forecast.model.io import save_tree

    _block(monkeypatch, "zarr")
    with pytest.raises(MissingExtraError, match=r"forecast\[zarr\]"):
        save_tree(xr.DataTree(xr.Dataset({"x": ("row", [1.0])})), tmp_path / "fit.zarr")
    assert not list(tmp_path.iterdir())


def test_the_cli_refuses_scheduler_without_the_cluster_extra(monkeypatch, capsys):
    from forecast.cli import main

    _block(monkeypatch, "distributed")
    with pytest.raises(SystemExit) as exc:
        main(["scenarios", "--scheduler", "tcp://127.0.0.1:8786"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and "pip install 'forecast[cluster]'" in err
