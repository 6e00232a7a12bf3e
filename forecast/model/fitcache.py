"""A cache of MCMC draws, keyed by everything that determines them (opt-in).

A fit is a pure function of the code, the data, the priors, the model settings and the sampler's
settings and seed: the same inputs give bit-identical draws in any process on the same kind of
machine (:func:`forecast.model.build.exact_float_compile`); another processor may draw others. So
a fit whose key is already in the cache can be read back instead of sampled again, with the same
numbers. The test suite does this (its real-MCMC tests, examples and README blocks ask for the same
fits several times); a modeller rerunning ``forecast run`` after changing only a report option can
too.

The cache is off unless the environment variable :data:`ENVIRONMENT_VARIABLE` names a folder
(``FORECAST_FIT_CACHE=~/.cache/forecast-fits``). Each entry is one netCDF file of the sampler's raw
result (posterior and sample statistics) named by its key; what is drawn after the fit (the posterior
predictive, the prior and prior predictive of
:meth:`~forecast.model.chain_model.ChainModel.sample_prior`) is never cached: it is seeded, and drawn
again gives the same numbers. The key is the SHA-256 of:

* the model's config hash (priors, window, effects, structure version) and the data hash;
* the sampler, draws, tuning steps, chains and seed;
* the versions of Python and the numerical packages (:func:`forecast.model.io.versions`);
* the kind of machine: architecture, processor and vector instructions
  (:func:`forecast.model.io.machine`), so that a cache folder carried to another machine does not
  serve draws that this one would not make;
* the source code of the ``forecast`` package itself, so that an edited equation never reads old
  draws.

Entries are written atomically (:mod:`forecast.atomic`); two processes that store one key write the
same bytes. A process about to sample a key first takes that key's lock (:func:`locked`, a POSIX
file lock), so that parallel processes (the test suite's workers) sample each fit once: the second
waits and reads the first's draws. Delete the folder to empty the cache.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import xarray as xr

from forecast import atomic
from forecast.model.io import machine, versions

#: The environment variable that turns the cache on: the folder that holds it.
ENVIRONMENT_VARIABLE = "FORECAST_FIT_CACHE"


def cache_folder() -> Path | None:
    """The cache folder named by :data:`ENVIRONMENT_VARIABLE`, or None when the cache is off.

    Returns
    -------
    pathlib.Path or None
        The folder (created when first written to), or None.
    """
    value = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    return Path(value).expanduser() if value else None


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of the source of every module of the installed ``forecast`` package.

    Returns
    -------
    str
        The hex digest; it changes with any edit of the package's ``.py`` files.
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


#: The parts of :func:`~forecast.model.io.machine` that decide the draws (not the number of cores).
MACHINE_KEY = ("architecture", "processor", "vector")


def fit_key(config_hash: str, data_hash: str, run: dict[str, Any]) -> str:
    """The cache key of one fit.

    Parameters
    ----------
    config_hash : str
        The model's config hash (:attr:`forecast.model.ChainModel.config_hash`).
    data_hash : str
        The fitted history's data hash (:attr:`forecast.History.data_hash`).
    run : dict
        The sampler settings (sampler, draws, tune, chains, random_seed).

    Returns
    -------
    str
        A hex SHA-256 digest.
    """
    payload = {
        "config_hash": config_hash,
        "data_hash": data_hash,
        "run": run,
        "versions": versions(),
        "machine": {k: v for k, v in machine().items() if k in MACHINE_KEY},
        "code": code_fingerprint(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def load(key: str) -> xr.DataTree | None:
    """Read the draws stored under ``key``.

    Parameters
    ----------
    key : str
        A key of :func:`fit_key`.

    Returns
    -------
    xarray.DataTree or None
        The sampler's result, fully in memory; None when the cache is off, the key is absent, or
        the entry cannot be read (it is then sampled again and overwritten).
    """
    folder = cache_folder()
    if folder is None:
        return None
    path = folder / f"{key}.nc"
    if not path.is_file():
        return None
    try:
        with xr.open_datatree(path, engine="h5netcdf") as tree:
            return tree.load().copy()
    except (OSError, ValueError):
        return None


def store(key: str, tree: xr.DataTree) -> Path | None:
    """Store the sampler's result under ``key`` (when the cache is on).

    Parameters
    ----------
    key : str
        A key of :func:`fit_key`.
    tree : xarray.DataTree
        The sampler's raw result (:func:`forecast.model.build.sample`).

    Returns
    -------
    pathlib.Path or None
        The entry's path, or None when the cache is off.
    """
    folder = cache_folder()
    if folder is None:
        return None
    return atomic.write_with(folder / f"{key}.nc", lambda tmp: tree.to_netcdf(tmp, engine="h5netcdf"))


@contextlib.contextmanager
def locked(key: str) -> Iterator[None]:
    """Hold ``key``'s lock while checking the cache and sampling (a no-op when the cache is off).

    Parallel processes that need the same fit then sample it once: the first samples and stores it,
    the others wait for the lock and read it back. The lock is an exclusive ``fcntl.flock`` on
    ``<key>.lock`` in the cache folder, released when the block ends or the process dies; where
    ``fcntl`` is missing (Windows) nothing is locked and parallel processes may sample a key twice
    (with the same draws).

    Parameters
    ----------
    key : str
        A key of :func:`fit_key`.

    Yields
    ------
    None
        Inside the block the caller holds the key's lock.
    """
    folder = cache_folder()
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        fcntl = None
    if folder is None or fcntl is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{key}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


__all__ = ["ENVIRONMENT_VARIABLE", "cache_folder", "code_fingerprint", "fit_key", "load", "locked", "store"]
