"""A fit as saved: its tables as datasets, and every part of a saved fit read back and checked.

:meth:`forecast.model.chain_model.ChainModel.save` writes the fit data (observations, inputs, events)
with :func:`frame_dataset`; :meth:`~forecast.model.chain_model.ChainModel.load` reads each part back
with the ``saved_*`` readers here, which check it and raise a
:class:`~forecast.model.io.SavedFitError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.data import History
from forecast.model import build as B
from forecast.model.diagnostics import FitDiagnostics
from forecast.model.io import SavedFitError, with_units
from forecast.model.predictive import row_coordinates
from forecast.model.settings import ModelSettings
from forecast.priors import PriorConfig, PriorConfigError, load_priors


def observed_dataset(rows: pd.DataFrame) -> xr.Dataset:
    """The used observation rows as the ``observed_data`` group of a fit.

    Parameters
    ----------
    rows : pandas.DataFrame
        The design's used rows (:attr:`forecast.model.design.Design.rows`).

    Returns
    -------
    xarray.Dataset
        ``value`` along ``row``, with the series, definition, quality, source file, line and period
        of each row as coordinates.
    """
    rows = rows.reset_index(drop=True)
    ds = xr.Dataset(
        {"value": ("row", rows[N.VALUE].to_numpy(dtype=float))},
        coords=row_coordinates(rows),
    )
    ds["value"].attrs["units"] = N.ROW_UNITS
    return ds


def fit_tree(
    tree: xr.DataTree,
    history: History,
    rows: pd.DataFrame,
    attrs: dict[str, Any],
    effects: list | None = None,
    months: pd.DatetimeIndex | None = None,
) -> xr.DataTree:
    """A sampled tree as a fit is kept and saved: with its observed rows, fit data and provenance.

    Parameters
    ----------
    tree : xarray.DataTree
        The sampler's result (``posterior``, ``sample_stats``).
    history : History
        The fitted data; its observations, inputs and events become the ``fit_data`` groups.
    rows : pandas.DataFrame
        The design's used rows (the ``observed_data`` group, :func:`observed_dataset`).
    attrs : dict
        The provenance: the root attributes, in order.
    effects : list of dict, optional
        The policy effects estimated in the fit (their ``to_dict``), saved as the ``effects``
        attribute (JSON); None for a fit without effects.
    months : pandas.DatetimeIndex, optional
        The fitted months (month starts): the ``month`` coordinate of the posterior's monthly
        variables becomes these dates (the sampler numbers them 0, 1, ...).

    Returns
    -------
    xarray.DataTree
        A new tree; every floating-point variable carries its CF ``units``
        (:func:`forecast.model.io.with_units`).
    """
    groups = {name: tree[name].to_dataset() for name in tree.children}
    for name, ds in groups.items():
        if months is not None and ds.sizes.get(N.DIM_MONTH) == len(months):
            groups[name] = ds.assign_coords({N.DIM_MONTH: months})
    groups["observed_data"] = observed_dataset(rows)
    groups["fit_data/observations"] = frame_dataset(history.observations, N.DIM_OBSERVATION)
    groups["fit_data/inputs"] = frame_dataset(history.inputs, "input")
    groups["fit_data/events"] = frame_dataset(history.events, "event_row")
    out = xr.DataTree.from_dict({name: with_units(ds) for name, ds in groups.items()})
    out.attrs.update(attrs)
    if effects is not None:
        out.attrs["effects"] = json.dumps(effects, sort_keys=True)
    return out


#: Groups every saved fit must hold.
SAVED_GROUPS = ("posterior", "fit_data/observations", "fit_data/inputs", "fit_data/events")


def _group(tree: xr.DataTree, path: str) -> object:
    """The node at ``path`` of ``tree``, or None."""
    try:
        return tree[path]
    except KeyError:
        return None


def _attr(tree: xr.DataTree, path: str | Path, name: str, what: str) -> Any:
    """The root attribute ``name`` of a saved fit; a SavedFitError naming the file when it is missing."""
    if name not in tree.attrs:
        raise SavedFitError(f"{path}: no {name!r} attribute ({what}): the file was edited or damaged")
    return tree.attrs[name]


def _json_attr(tree: xr.DataTree, path: str | Path, name: str, what: str) -> Any:
    """A root attribute holding JSON text, parsed; a SavedFitError naming the file when it cannot be."""
    text = _attr(tree, path, name, what)
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise SavedFitError(f"{path}: the {name!r} attribute ({what}) is not valid JSON: {exc}") from None


def check_saved_groups(tree: xr.DataTree, path: str | Path) -> None:
    """Check that a saved fit holds every group of :data:`SAVED_GROUPS`.

    Parameters
    ----------
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in the error).

    Raises
    ------
    SavedFitError
        Naming the first missing group.
    """
    for group in SAVED_GROUPS:
        if not isinstance(_group(tree, group), xr.DataTree):
            raise SavedFitError(f"{path}: no {group!r} group: not a saved fit, or a damaged one")


def saved_settings(tree: xr.DataTree, path: str | Path) -> ModelSettings:
    """The saved :class:`~forecast.model.settings.ModelSettings`, checked key by key.

    Parameters
    ----------
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in the error).

    Returns
    -------
    ModelSettings
        The fitted window.

    Raises
    ------
    SavedFitError
        When the ``settings`` attribute is missing, not JSON, or not a table of known months.
    """
    data = _json_attr(tree, path, "settings", "the model settings")
    known = [f.name for f in fields(ModelSettings)]
    if not isinstance(data, dict):
        raise SavedFitError(f"{path}: the saved settings are not a table of {', '.join(known)}")
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise SavedFitError(
            f"{path}: unknown key(s) {', '.join(map(repr, unknown))} in the saved settings "
            f"(known: {', '.join(known)}): the file was edited or damaged"
        )
    start, end = data.get("start", ModelSettings.start), data.get("end")
    if not isinstance(start, str) or not (end is None or isinstance(end, str)):
        raise SavedFitError(f"{path}: the saved settings start {start!r} / end {end!r} are not months")
    return ModelSettings(start, end)


def saved_priors(tree: xr.DataTree, path: str | Path) -> PriorConfig:
    """The saved prior configuration, validated like prior files (names and domains included).

    Parameters
    ----------
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in the error).

    Returns
    -------
    PriorConfig
        The priors the fit was made under.

    Raises
    ------
    SavedFitError
        When the ``priors`` attribute is missing, not JSON, or not valid priors of the model; or when
        the fit was made by a version of the model that lacked some of today's parameters.
    """
    data = _json_attr(tree, path, "priors", "the prior configuration")
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SavedFitError(f"{path}: the saved priors are not a table of priors")
    try:
        config = PriorConfig.from_dict(data, file=str(path))
        added = [n for n in B.FORWARD_PARAMETERS if n not in config]
        if added:  # saved before a forecast-only prior existed: the fit's draws do not depend on it
            bundled = load_priors()
            config = PriorConfig({**config.priors, **{n: bundled[n] for n in added}})
            warnings.warn(
                f"{path}: saved before the forecast-only prior(s) {', '.join(added)} existed; its "
                "forecasts use the bundled one(s) (the fit's draws do not depend on them)",
                UserWarning,
                stacklevel=2,
            )
        missing = [n for n in B.MODEL_PARAMETERS if n not in config]
        if missing:  # fitted by a model that did not have them: its draws lack them too
            raise SavedFitError(
                f"{path}: saved by a version of the model without the parameter(s) {', '.join(missing)}; "
                "this version cannot forecast from its draws: refit (forecast fit)"
            )
        return config.require(B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
    except PriorConfigError as exc:
        raise SavedFitError(f"{path}: the saved priors are invalid: {exc}") from None


def as_saved(config: PriorConfig, tree: xr.DataTree, path: str | Path) -> PriorConfig:
    """``config`` without the forecast-only priors that the saved fit predates (its config hash lacks them).

    Parameters
    ----------
    config : PriorConfig
        The priors to check against the saved config hash.
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in an error).

    Returns
    -------
    PriorConfig
        ``config`` less every name of :data:`~forecast.model.build.FORWARD_PARAMETERS` that the saved
        priors lack; ``config`` itself when they have them all.
    """
    saved = _json_attr(tree, path, "priors", "the prior configuration")
    absent = [n for n in B.FORWARD_PARAMETERS if n not in saved]
    if not absent:
        return config
    return PriorConfig({n: p for n, p in config.priors.items() if n not in absent})


def saved_effects(tree: xr.DataTree, path: str | Path) -> list[B.ModelEffect] | None:
    """The policy effects estimated in the saved fit.

    Parameters
    ----------
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in the error).

    Returns
    -------
    list of ModelEffect or None
        The effects, or None for a fit without effects.

    Raises
    ------
    SavedFitError
        When the ``effects`` attribute is not JSON or not valid effects.
    """
    if not tree.attrs.get("effects"):
        return None
    data = _json_attr(tree, path, "effects", "the policy effects estimated in the fit")
    try:
        return [B.ModelEffect.from_dict(d) for d in data]
    except (KeyError, TypeError, ValueError) as exc:  # PriorConfigError is a ValueError
        raise SavedFitError(f"{path}: the saved effects are invalid: {exc}") from None


def saved_history(tree: xr.DataTree, path: str | Path) -> History:
    """The fit data as a History, checked against the data hash recorded with the fit.

    Parameters
    ----------
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in the error).

    Returns
    -------
    History
        The observations, inputs and events the fit was made on.

    Raises
    ------
    SavedFitError
        When the data hash is missing, the tables cannot be read back, or they do not match it.
    """
    recorded = _attr(tree, path, "data_hash", "the hash of the fit data")
    try:
        history = History(
            dataset_frame(tree["fit_data/observations"].to_dataset()),
            dataset_frame(tree["fit_data/inputs"].to_dataset()),
            dataset_frame(tree["fit_data/events"].to_dataset()),
        )
        actual = history.data_hash
    except Exception as exc:  # damaged tables fail in many ways
        raise SavedFitError(f"{path}: the fit data cannot be read back ({exc})") from exc
    if actual != recorded:
        raise SavedFitError(
            f"the fit data in {path} do not match their recorded hash: the file was edited or damaged "
            f"(recorded {recorded}, recomputed {actual})"
        )
    return history


def saved_diagnostics(tree: xr.DataTree, path: str | Path) -> FitDiagnostics:
    """The diagnostics of a saved fit; ``diagnostics_passed`` is the verdict.

    The ``diagnostics`` details, when present, must agree with it; without them the numbers are NaN
    and a failed verdict says so in ``failures``.

    Parameters
    ----------
    tree : xarray.DataTree
        The saved fit as read.
    path : str or Path
        Its file (named in the error).

    Returns
    -------
    FitDiagnostics
        The diagnostics gate's verdict on the fit.

    Raises
    ------
    SavedFitError
        When the verdict is missing or not 0/1, or the details cannot be read or disagree with it.
    """
    raw = _attr(tree, path, "diagnostics_passed", "the diagnostics gate's verdict")
    value = np.asarray(raw)
    if value.shape != () or value.dtype.kind not in "iub" or int(value) not in (0, 1):
        raise SavedFitError(f"{path}: 'diagnostics_passed' must be 0 or 1, got {raw!r}")
    passed = bool(int(value))
    text = tree.attrs.get("diagnostics", "")
    if isinstance(text, str) and not text:
        post = tree["posterior"]
        nan = math.nan
        reason = (
            f"the fit failed the gate when it was made ({path} records diagnostics_passed = 0; "
            "the details were not saved)"
        )
        return FitDiagnostics(
            max_rhat=nan,
            worst_rhat="unknown (details not saved)",
            min_ess_bulk=nan,
            min_ess_tail=nan,
            divergences=-1,
            min_bfmi=nan,
            draws=int(post.sizes.get("draw", 0)),
            chains=int(post.sizes.get("chain", 0)),
            passed=passed,
            failures=() if passed else (reason,),
        )
    try:
        diagnostics = FitDiagnostics.from_json(text)
    except (KeyError, TypeError, ValueError) as exc:
        raise SavedFitError(f"{path}: the 'diagnostics' attribute cannot be read ({exc})") from None
    if diagnostics.passed != passed:
        raise SavedFitError(
            f"{path}: its 'diagnostics' say the gate {'passed' if diagnostics.passed else 'failed'}, but "
            f"'diagnostics_passed' = {int(passed)}: the file was edited or damaged"
        )
    return diagnostics


def frame_dataset(df: pd.DataFrame, dim: str) -> xr.Dataset:
    """A DataFrame as a Dataset along ``dim`` (strings as str, dates as datetime64).

    Parameters
    ----------
    df : pandas.DataFrame
        A table of the fit data (observations, inputs or events).
    dim : str
        The dimension of its rows.

    Returns
    -------
    xarray.Dataset
        One variable per column; missing text becomes ``""``.
    """
    data = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            data[col] = (dim, s.to_numpy(dtype="datetime64[ns]"))
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            data[col] = (dim, s.to_numpy())
        else:
            data[col] = (dim, s.fillna("").astype(str).to_numpy(dtype=object))
    return xr.Dataset(data)


def dataset_frame(ds: xr.Dataset) -> pd.DataFrame:
    """Read a table back from its dataset: the inverse of :func:`frame_dataset`.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset written by :func:`frame_dataset`.

    Returns
    -------
    pandas.DataFrame
        The table, dates as ``datetime64[s]``.
    """
    df = pd.DataFrame({name: ds[name].values for name in ds.data_vars})
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = df[col].astype("datetime64[s]")
    return df
