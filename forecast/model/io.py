"""Saving and loading fitted results (netCDF or zarr), with provenance.

A saved fit is an :class:`xarray.DataTree` (ArviZ 1's result type) with the
posterior, sample stats, observed data, the fit data and, in the root
attributes, everything needed to trust it later: the library and dependency
versions, the prior configuration, the model settings, a config hash, the data
hash, the seed and the diagnostics verdict. No pickle is used anywhere. Every floating-point
variable written carries its CF ``units`` attribute (:func:`with_units`, from
:data:`forecast.names.UNITS`).

Loading checks the file against the code that loads it: a result saved under a
different ``forecast`` version raises :class:`VersionMismatchError`, and one
saved under a different prior/model configuration than the caller expects
raises :class:`ConfigMismatchError`.
"""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import xarray as xr

from forecast import atomic
from forecast import names as N
from forecast.extras import require

#: Packages whose versions are recorded with every result.
TRACKED_PACKAGES = ("forecast", "pymc", "pytensor", "arviz", "nutpie", "numpy", "xarray", "pandas", "numba")

ATTR_VERSION = "forecast_version"
ATTR_CONFIG_HASH = "config_hash"


class SavedFitError(ValueError):
    """A saved fit cannot be used as asked."""


class VersionMismatchError(SavedFitError):
    """The saved fit was made by a different version of ``forecast``."""


class ConfigMismatchError(SavedFitError):
    """The saved fit was made under a different prior or model configuration."""


def versions() -> dict[str, str]:
    """Collect the versions of Python, ``forecast`` and its numerical dependencies.

    Returns
    -------
    dict of str to str
        ``python`` and every package of :data:`TRACKED_PACKAGES`; ``"not installed"`` for a
        package that is missing.
    """
    out = {"python": platform.python_version()}
    for name in TRACKED_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - optional packages
            out[name] = "not installed"
    return out


def machine() -> dict[str, str]:
    """Describe the machine a fit runs on: the same seed gives the same numbers only on the same kind.

    The sampler's trajectories follow the floating point of the processor (its vector instructions
    above all): the same code, data and seed gave different draws on an AMD EPYC with AVX-512 than
    on the machine before it, so a fit records where it ran.

    Returns
    -------
    dict of str to str
        ``system`` and ``architecture`` (:mod:`platform`), ``processor`` (the CPU's model name from
        ``/proc/cpuinfo`` where there is one, else :func:`platform.processor`), ``vector`` (the widest
        of ``avx512f``, ``avx2``, ``avx``, ``neon``/``asimd`` the CPU reports, else empty) and
        ``cores`` (logical CPUs).
    """
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip().lower()
            if key == "model name" and not model:
                model = value.strip()
            elif key in ("flags", "features") and not flags:
                flags = set(value.split())
    except OSError:  # not Linux
        pass
    vector = next((f for f in ("avx512f", "avx2", "avx", "asimd", "neon") if f in flags), "")
    return {
        "system": platform.system(),
        "architecture": platform.machine(),
        "processor": model or platform.processor(),
        "vector": vector,
        "cores": str(os.cpu_count() or ""),
    }


def with_units(ds: xr.Dataset) -> xr.Dataset:
    """A copy of ``ds`` with the CF ``units`` attribute on every floating-point variable.

    A variable that has ``units`` keeps them; the others get :func:`forecast.names.units_of` of their
    name. Values, dims and the other attributes are unchanged.

    Parameters
    ----------
    ds : xarray.Dataset
        Any dataset the library writes.

    Returns
    -------
    xarray.Dataset
        A shallow copy (the data are shared, the attributes are not).
    """
    out = ds.copy()
    for name, var in out.data_vars.items():
        if var.dtype.kind == "f" and "units" not in var.attrs:
            var.attrs["units"] = N.units_of(str(name))
    return out


def _format(path: Path) -> str:
    if path.suffix == ".nc":
        return "netcdf"
    if path.suffix == ".zarr":
        require("zarr", "zarr", "a saved fit as a zarr store (*.zarr)")
        return "zarr"
    raise SavedFitError(f"{path}: use a .nc (netCDF) or .zarr file name")


def save_tree(tree: xr.DataTree, path: str | Path) -> Path:
    """Write a result atomically: to a temporary name beside ``path``, then rename.

    Parameters
    ----------
    tree : xarray.DataTree
        The result to write (a fit, or a table of scenario results); what is written carries the
        CF ``units`` of every floating-point variable (:func:`with_units`), ``tree`` is unchanged.
    path : str or Path
        ``*.nc`` for netCDF (one file) or ``*.zarr`` for a zarr store (a folder). Missing parent
        folders are created; an existing file or store is replaced.

    Returns
    -------
    Path
        ``path``, as a :class:`~pathlib.Path`.

    Raises
    ------
    SavedFitError
        When ``path`` ends in neither ``.nc`` nor ``.zarr``.
    MissingExtraError
        For a ``.zarr`` path when zarr (``forecast[zarr]``) is not installed; nothing is written.
    """
    path = Path(path)
    fmt = _format(path)
    tree = tree.map_over_datasets(with_units)
    if fmt == "netcdf":
        atomic.write_with(path, lambda tmp: tree.to_netcdf(tmp, engine="h5netcdf"))
    else:  # a zarr store is a folder, written beside and swapped in the same way
        atomic.write_with(path, lambda tmp: tree.to_zarr(tmp, consolidated=False))
    return path


def load_tree(
    path: str | Path, *, expected_config_hash: str | None = None, check_version: bool = True
) -> xr.DataTree:
    """Read a saved result and check it against this code.

    Parameters
    ----------
    path : str or Path
        A ``*.nc`` file or ``*.zarr`` store written by :func:`save_tree`.
    expected_config_hash : str, optional
        When given, the saved config hash must equal it.
    check_version : bool, optional
        Require the saved ``forecast`` version to equal the installed one (default True).

    Returns
    -------
    xarray.DataTree
        The saved result, loaded into memory.

    Raises
    ------
    SavedFitError
        A wrong suffix, a missing or unreadable file, or not a forecast result (no version or
        config hash attributes).
    VersionMismatchError
        With ``check_version``, when the result was saved by another ``forecast`` version.
    ConfigMismatchError
        When its config hash differs from ``expected_config_hash``.
    """
    path = Path(path)
    fmt = _format(path)
    if not path.exists():
        raise SavedFitError(f"{path}: no such file")
    try:
        opts = {"engine": "h5netcdf"} if fmt == "netcdf" else {"engine": "zarr", "consolidated": False}
        with xr.open_datatree(path, **opts) as opened:  # read into memory, then close the file
            tree = opened.load()
    except Exception as exc:  # the backends raise many kinds
        raise SavedFitError(f"{path}: cannot be read as a saved fit ({exc})") from exc
    attrs = tree.attrs
    if ATTR_VERSION not in attrs or ATTR_CONFIG_HASH not in attrs:
        raise SavedFitError(
            f"{path}: not a forecast result (no {ATTR_VERSION}/{ATTR_CONFIG_HASH} attributes)"
        )
    installed = versions()["forecast"]
    if check_version and attrs[ATTR_VERSION] != installed:
        raise VersionMismatchError(
            f"{path} was saved by forecast {attrs[ATTR_VERSION]}, this is forecast {installed}; refit, "
            "or load with check_version=False to inspect it anyway"
        )
    if expected_config_hash is not None:
        check_config_hash(tree, path, expected_config_hash)
    return tree


def check_config_hash(tree: xr.DataTree, path: str | Path, expected: str) -> None:
    """Check that a saved result was fitted under the expected configuration.

    Parameters
    ----------
    tree : xarray.DataTree
        A saved result, with the config hash in its attributes.
    path : str or Path
        Where it was read from, for the message.
    expected : str
        The config hash it must carry (``sha256:<hex>``, as
        :attr:`~forecast.model.chain_model.ChainModel.config_hash` computes it).

    Raises
    ------
    ConfigMismatchError
        When the saved hash differs from ``expected``.
    """
    saved = tree.attrs[ATTR_CONFIG_HASH]
    if saved != expected:
        raise ConfigMismatchError(
            f"{path} was fitted under config {saved}, but the current priors/settings "
            f"hash to {expected}; refit with the current priors, or load without them"
        )
