"""Shared reading of the policy files (``priors/policy/*.toml``): errors, TOML, fields, dates.

Both policy files are reviewable data that a domain expert edits. Every check
raises :class:`PolicyConfigError` with a message that names the file and the
entry (``measures.toml [tweestatusstelsel]: ...``), in the style of the prior
loader (:mod:`forecast.priors.config`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.priors.config import default_priors_dir

#: Identifiers (phase names, measure and bundle ids) are snake_case: they become coordinate labels.
IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PolicyConfigError(ValueError):
    """An invalid policy file (phases or measures); the message names the file and the entry."""


def default_policy_path(filename: str) -> Path:
    """The bundled policy file ``filename`` (``priors/policy/<filename>`` in the source tree).

    Parameters
    ----------
    filename : str
        File name within the policy folder, e.g. ``"measures.toml"`` or ``"phases.toml"``.

    Returns
    -------
    pathlib.Path
        Path of that file in the bundled priors folder; whether it exists is not checked.
    """
    return default_priors_dir() / N.POLICY_DIR / filename


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Read a TOML file; return its data and the file name used in messages.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file, read as UTF-8.

    Returns
    -------
    data : dict of str to Any
        The parsed TOML document.
    file : str
        The file's name (without folder), for error messages.

    Raises
    ------
    PolicyConfigError
        When the file is missing or not valid UTF-8 TOML.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyConfigError(f"{path}: file not found") from None
    except (UnicodeDecodeError, IsADirectoryError) as exc:
        raise PolicyConfigError(f"{path.name}: not a UTF-8 text file: {exc}") from None
    try:
        return tomllib.loads(text), path.name
    except tomllib.TOMLDecodeError as exc:
        raise PolicyConfigError(f"{path.name}: not valid TOML: {exc}") from None


def table_array(data: Mapping[str, Any], key: str, file: str, *, required: bool = True) -> list[Any]:
    """The array of tables ``[[key]]`` of a file (checked to be a non-empty list of tables).

    Parameters
    ----------
    data : Mapping of str to Any
        The parsed TOML document.
    key : str
        Name of the array of tables, e.g. ``"measure"`` for ``[[measure]]`` entries.
    file : str
        File name used in error messages.
    required : bool, optional
        Whether the file must have at least one ``[[key]]`` entry (default ``True``); when
        ``False``, a missing key gives an empty list.

    Returns
    -------
    list
        The tables (mappings) of the array, in file order.

    Raises
    ------
    PolicyConfigError
        When ``key`` is not an array of tables, or when it is required and missing or empty.
    """
    value = data.get(key)
    if value is None:
        if required:
            raise PolicyConfigError(f"{file}: no [[{key}]] entries")
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise PolicyConfigError(f"{file}: '{key}' must be an array of tables ([[{key}]])")
    if required and not value:
        raise PolicyConfigError(f"{file}: no [[{key}]] entries")
    return value


def check_fields(
    raw: Mapping[str, Any], where: str, required: Iterable[str], optional: Iterable[str] = ()
) -> None:
    """Reject missing required fields and unknown fields (a typo is never silently ignored).

    Parameters
    ----------
    raw : Mapping of str to Any
        One TOML table (one entry of the file).
    where : str
        Location of the entry for error messages, e.g. ``"measures.toml [tweestatusstelsel]"``.
    required : iterable of str
        Fields the entry must have.
    optional : iterable of str, optional
        Fields the entry may have besides the required ones (default none).

    Raises
    ------
    PolicyConfigError
        When a required field is missing or a field is neither required nor optional.
    """
    required, optional = tuple(required), tuple(optional)
    missing = [k for k in required if k not in raw]
    if missing:
        raise PolicyConfigError(f"{where}: missing field(s) {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(raw) - set(required) - set(optional))
    if unknown:
        raise PolicyConfigError(
            f"{where}: unknown field(s) {', '.join(repr(k) for k in unknown)}; "
            f"allowed: {', '.join(required + optional)}"
        )


def text_field(raw: Mapping[str, Any], key: str, where: str) -> str:
    """A non-empty string field, with runs of white space collapsed.

    Parameters
    ----------
    raw : Mapping of str to Any
        One TOML table (one entry of the file).
    key : str
        Name of the field.
    where : str
        Location of the entry for error messages.

    Returns
    -------
    str
        The field's text, with every run of white space (line breaks included) replaced by
        one space and no leading or trailing space.

    Raises
    ------
    PolicyConfigError
        When the field is missing, not a string, or blank.
    """
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise PolicyConfigError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return " ".join(value.split())


def identifier_field(raw: Mapping[str, Any], key: str, where: str) -> str:
    """A snake_case identifier field.

    Parameters
    ----------
    raw : Mapping of str to Any
        One TOML table (one entry of the file).
    key : str
        Name of the field.
    where : str
        Location of the entry for error messages.

    Returns
    -------
    str
        The identifier, unchanged; it matches :data:`IDENTIFIER` (a lower-case letter, then
        lower-case letters, digits and underscores).

    Raises
    ------
    PolicyConfigError
        When the field is missing, not a string, or not snake_case.
    """
    value = raw.get(key)
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise PolicyConfigError(
            f"{where}: {key!r} must be a snake_case identifier (a-z, 0-9, _), got {value!r}"
        )
    return value


def month_start(value: Any, where: str, key: str) -> pd.Timestamp:
    """Parse an ISO date ``YYYY-MM-DD`` (string or TOML date) that is the first day of a month.

    The model is monthly, so every policy date is a month boundary.

    Parameters
    ----------
    value : Any
        The field's value: a ``datetime.date`` (TOML date) or a string ``YYYY-MM-DD``.
    where : str
        Location of the entry for error messages.
    key : str
        Name of the field, for error messages.

    Returns
    -------
    pandas.Timestamp
        The date, at midnight.

    Raises
    ------
    PolicyConfigError
        When the value is a date with a time, not an ISO date, not a valid date, or not the
        first day of a month.
    """
    if isinstance(value, dt.datetime):
        raise PolicyConfigError(f"{where}: {key!r} must be a date without a time, got {value!r}")
    if isinstance(value, dt.date):
        date = value
    elif isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            date = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise PolicyConfigError(f"{where}: {key!r} is not a valid date: {value!r}") from None
    else:
        raise PolicyConfigError(f"{where}: {key!r} must be an ISO date YYYY-MM-DD, got {value!r}")
    if date.day != 1:
        raise PolicyConfigError(
            f"{where}: {key!r} must be the first day of a month (the model is monthly), "
            f"got {date.isoformat()}"
        )
    return pd.Timestamp(date)


def month_index(months: Any) -> pd.DatetimeIndex:
    """Month starts of a month index: a DatetimeIndex, PeriodIndex, datetime64 array or ISO strings.

    Any day within a month stands for that month.

    Parameters
    ----------
    months : Any
        The months: a ``pandas.DatetimeIndex`` or ``PeriodIndex``, a single ``pandas.Period``,
        an array of ``datetime64`` or ``Period`` values, an xarray coordinate or a Series of
        them, or ISO date strings.

    Returns
    -------
    pandas.DatetimeIndex
        The first day of each month, in the input's order (duplicates kept).

    Raises
    ------
    ValueError
        When the values cannot be read as dates or include a missing value (``NaT``).
    """
    if isinstance(months, pd.PeriodIndex | pd.Period):
        idx = pd.PeriodIndex(months if isinstance(months, pd.PeriodIndex) else [months]).asfreq("M")
        return idx.to_timestamp(how="start")
    values = getattr(months, "values", months)  # xarray coordinates, Series
    arr = np.atleast_1d(np.asarray(values))
    if arr.dtype.kind == "O" and len(arr) and isinstance(arr.flat[0], pd.Period):
        return pd.PeriodIndex(list(arr.ravel())).asfreq("M").to_timestamp(how="start")
    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(arr.ravel()))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a month index: {exc}") from None
    if stamps.hasnans:
        raise ValueError("the month index has missing values (NaT)")
    return stamps.to_period("M").to_timestamp(how="start")
