"""Saved results round-trip and refuse to load under another version or config."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import xarray as xr

from forecast.model.io import (
    ConfigMismatchError,
    SavedFitError,
    VersionMismatchError,
    load_tree,
    machine,
    save_tree,
    versions,
)


def tree(forecast_version=None) -> xr.DataTree:
    rng = np.random.default_rng(0)
    t = az.from_dict({"posterior": {"a": rng.normal(size=(2, 50))}, "prior": {"a": rng.normal(size=(1, 30))}})
    t.attrs.update(
        forecast_version=forecast_version or versions()["forecast"],
        config_hash="sha256:abc",
        note="héllo",
    )
    return t


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_round_trip(tmp_path, suffix):
    saved = tree()
    path = save_tree(saved, tmp_path / f"fit{suffix}")
    back = load_tree(path, expected_config_hash="sha256:abc")
    np.testing.assert_array_equal(back["posterior"]["a"].values, tree()["posterior"]["a"].values)
    np.testing.assert_array_equal(back["prior"]["a"].values, tree()["prior"]["a"].values)
    assert back.attrs["note"] == "héllo"
    # every floating-point variable is written with its CF units; the tree saved is left as it was
    assert back["posterior"]["a"].attrs["units"] == back["prior"]["a"].attrs["units"] == "1"
    assert "units" not in saved["posterior"]["a"].attrs
    # saving again over an existing result replaces it, leaving no temporary files
    save_tree(tree(), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"fit{suffix}"]


def test_other_version_is_refused(tmp_path):
    path = save_tree(tree(forecast_version="0.0.1"), tmp_path / "fit.nc")
    with pytest.raises(VersionMismatchError, match=r"saved by forecast 0\.0\.1"):
        load_tree(path)
    assert load_tree(path, check_version=False).attrs["forecast_version"] == "0.0.1"


def test_other_config_is_refused(tmp_path):
    path = save_tree(tree(), tmp_path / "fit.nc")
    with pytest.raises(ConfigMismatchError, match="fitted under config sha256:abc"):
        load_tree(path, expected_config_hash="sha256:def")


def test_not_a_result(tmp_path):
    plain = az.from_dict({"posterior": {"a": np.zeros((1, 3))}})
    path = save_tree(plain, tmp_path / "plain.nc")
    with pytest.raises(SavedFitError, match="not a forecast result"):
        load_tree(path)
    with pytest.raises(SavedFitError, match="no such file"):
        load_tree(tmp_path / "missing.nc")
    with pytest.raises(SavedFitError, match=r"use a \.nc"):
        save_tree(plain, tmp_path / "fit.pkl")
    bad = tmp_path / "junk.nc"
    bad.write_text("not netcdf")
    with pytest.raises(SavedFitError, match="cannot be read"):
        load_tree(bad)


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_loading_closes_the_file(tmp_path, suffix):
    path = save_tree(tree(), tmp_path / f"fit{suffix}")
    back = load_tree(path)
    # an open handle would keep h5py from truncating the file: writing over it in place must work
    if suffix == ".nc":
        back.to_netcdf(path, engine="h5netcdf")
    else:
        back.to_zarr(path, mode="w", consolidated=False)
    np.testing.assert_array_equal(load_tree(path)["posterior"]["a"].values, tree()["posterior"]["a"].values)


def test_machine_names_what_decides_the_draws():
    m = machine()
    assert set(m) == {"system", "architecture", "processor", "vector", "cores"}
    assert all(isinstance(v, str) for v in m.values())
    assert m["architecture"] and m["cores"].isdigit()
    assert m["vector"] in ("", "avx512f", "avx2", "avx", "asimd", "neon")
