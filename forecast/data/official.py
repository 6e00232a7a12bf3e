"""Official forecasts of the time, as bundled data: the numbers a user compares this library with.

``forecast/data/bundled/official_forecasts.csv`` holds the forecasts the ministry and its agencies
published in 2014-2024: the Meerjaren Productie Prognose (MPP), budget planning figures, IND planning
figures and COA capacity decisions. One row per edition, target and target period, with the scenario
values the source gives (``low``/``mid``/``high``), the date it was made (``made_on``), its unit and
its source. The realised values are in ``observations.csv``; a backtest compares both.

:func:`load_official_forecasts` reads the file strictly: every problem is reported with the file,
the line and the target, and nothing is returned when any row is invalid.

Rules
-----
* the columns are exactly :data:`forecast.names.OFFICIAL_FORECAST_COLUMNS` (any order);
* ``edition`` is not empty; ``made_on``, ``target_period_start`` and ``target_period_end`` are ISO
  dates inside :data:`forecast.names.EARLIEST_DATE` .. :data:`forecast.names.LATEST_DATE`, with
  ``target_period_end >= target_period_start``;
* ``target`` is a key of :data:`forecast.names.OFFICIAL_FORECAST_TARGETS` and ``unit`` its unit;
* ``low``, ``mid`` and ``high`` are plain whole numbers >= 0 or empty, at least one is given, and
  ``low <= mid <= high`` for those given;
* a forecast is made before its target period ends: ``made_on <= target_period_end`` (a figure dated
  after the period it forecasts is a typo or a realisation);
* ``source_url`` is not empty; no two rows share ``(edition, target, target_period_start,
  target_period_end)``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path

import pandas as pd

from forecast import names as N
from forecast.data import validation as V

#: The scenario values of a forecast, in the order they must be (``low <= mid <= high``).
_BAND = (N.LOW, N.MID, N.HIGH)
_DATES = (N.MADE_ON, N.TARGET_PERIOD_START, N.TARGET_PERIOD_END)


def official_forecasts_path() -> Path:
    """Locate the bundled ``official_forecasts.csv`` inside the installed package.

    Returns
    -------
    Path
        ``forecast/data/bundled/official_forecasts.csv``.
    """
    from forecast.data.history import bundled_dir

    return bundled_dir() / N.OFFICIAL_FORECASTS_FILE


def load_official_forecasts(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the official forecasts (the bundled file, or your own in the same schema).

    Parameters
    ----------
    path : str or Path, optional
        A CSV file with the columns :data:`forecast.names.OFFICIAL_FORECAST_COLUMNS`; default the
        bundled ``official_forecasts.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per forecast (edition, target and target period), in file order: the columns of the
        file with ``made_on``, ``target_period_start`` and ``target_period_end`` as
        ``datetime64[s]``, ``low``/``mid``/``high`` as float (NaN where the source gives none), plus
        ``source_file`` and ``line``.

    Raises
    ------
    DataValidationError
        When the file cannot be read as CSV text or any row breaks a rule of this module; the message
        lists every problem with the file, the line and the target.

    Examples
    --------
    >>> from forecast.data import load_official_forecasts
    >>> f = load_official_forecasts()
    >>> row = f[(f["edition"] == "MPP_2023-I") & (f["target"] == "coa_places_needed")].iloc[0]
    >>> int(row["mid"]), f"{row['made_on']:%Y-%m-%d}"
    (77100, '2023-04-28')
    """
    path = Path(path) if path is not None else official_forecasts_path()
    text = V.read_text(path)
    _, rows = V.parse_table(text, path.name, N.OFFICIAL_FORECAST_COLUMNS)
    return validate_official_forecasts(rows, path.name)


def validate_official_forecasts(rows: list[tuple[int, dict[str, str]]], source: str) -> pd.DataFrame:
    """Validate official-forecast rows (strings keyed by column) and return the typed frame.

    Parameters
    ----------
    rows : list of (line, dict)
        Rows as :func:`forecast.data.validation.parse_table` returns them, with their line number.
    source : str
        The file name, used in messages and stored in ``source_file``.

    Returns
    -------
    pandas.DataFrame
        As :func:`load_official_forecasts` returns it.

    Raises
    ------
    DataValidationError
        Listing every invalid row (see the module's rules).
    """
    problems: list[V.Problem] = []
    out: list[dict[str, object]] = []
    seen: dict[tuple[object, ...], int] = {}
    for line, raw in rows:
        target = raw[N.FORECAST_TARGET].strip()
        record, complaints = _read_forecast_row(raw)
        if not complaints and (repeat := _repeat_problem(record, seen)):
            complaints = [repeat]
        problems.extend(V.Problem(source, line, target or None, why) for why in complaints)
        if complaints:
            continue
        seen[_forecast_key(record)] = line
        out.append({**record, N.SOURCE_FILE: source, N.LINE: line})
    if problems:
        raise V.DataValidationError(problems)
    return _official_frame(out)


def _read_forecast_row(raw: dict[str, str]) -> tuple[dict[str, object], list[str]]:
    """The row's fields, typed, and every complaint about it, in the order of the module's rules."""
    edition = raw[N.EDITION].strip()
    target = raw[N.FORECAST_TARGET].strip()
    unit = raw[N.UNIT].strip()
    complaints = ["the edition is empty"] if not edition else []
    dates, why = _forecast_dates(raw)
    complaints += why
    complaints += _target_problems(target, unit)
    band, why = _forecast_band(raw)
    complaints += why
    complaints += _band_problems(band, need_a_value=not complaints)
    complaints += _period_problems(dates)
    if not raw[N.SOURCE_URL].strip():
        complaints.append("source_url is empty: every forecast needs its source")
    record = {
        N.EDITION: edition,
        **dates,
        N.FORECAST_TARGET: target,
        **band,
        N.UNIT: unit,
        N.SOURCE_URL: raw[N.SOURCE_URL].strip(),
        N.NOTE: raw.get(N.NOTE, "") or "",
    }
    return record, complaints


def _forecast_dates(raw: dict[str, str]) -> tuple[dict[str, dt.date], list[str]]:
    """``made_on`` and the target period, each parsed and inside the date window; the readable ones."""
    dates: dict[str, dt.date] = {}
    complaints = []
    for column in _DATES:
        try:
            dates[column] = V.parse_date(raw[column])
        except ValueError as exc:
            complaints.append(f"unparseable {column}: {exc}")
            continue
        if why := V.date_window_problem(column, dates[column]):
            complaints.append(why)
    return dates, complaints


def _target_problems(target: str, unit: str) -> list[str]:
    """The target is known and the unit is its unit."""
    if target not in N.OFFICIAL_FORECAST_TARGETS:
        return [f"unknown target {target!r}; the targets are {', '.join(N.OFFICIAL_FORECAST_TARGETS)}"]
    expected = N.OFFICIAL_FORECAST_TARGETS[target]
    if unit != expected:
        return [f"unit {unit!r} is not the unit of target {target!r} ({expected!r})"]
    return []


def _forecast_band(raw: dict[str, str]) -> tuple[dict[str, float], list[str]]:
    """``low``, ``mid`` and ``high`` as whole numbers >= 0 (NaN where empty); the readable ones."""
    band: dict[str, float] = {}
    complaints = []
    for column in _BAND:
        text = raw[column].strip()
        if not text:
            band[column] = math.nan
            continue
        try:
            value = V.parse_number(text)
        except ValueError as exc:
            complaints.append(f"unparseable {column}: {exc}")
            continue
        if value < 0 or not value.is_integer():
            complaints.append(
                f"{column} {text!r} is not a whole number >= 0 (a forecast counts persons or places)"
            )
            continue
        band[column] = value
    return band, complaints


def _band_problems(band: dict[str, float], *, need_a_value: bool) -> list[str]:
    """At least one value is given (checked on an otherwise valid row), and ``low <= mid <= high``."""
    given = [(c, band[c]) for c in _BAND if c in band and not math.isnan(band[c])]
    complaints = []
    if need_a_value and not given:
        complaints.append("none of low, mid and high is given: a forecast needs at least one value")
    for (c1, v1), (c2, v2) in itertools.pairwise(given):
        if v1 > v2:
            complaints.append(
                f"{c1} {v1:,.0f} is above {c2} {v2:,.0f}: the values must satisfy low <= mid <= high"
            )
    return complaints


def _period_problems(dates: dict[str, dt.date]) -> list[str]:
    """The target period runs forward and the forecast was made before it ended (when all dates read)."""
    if len(dates) != len(_DATES):
        return []
    start, end, made = dates[N.TARGET_PERIOD_START], dates[N.TARGET_PERIOD_END], dates[N.MADE_ON]
    if end < start:
        return [f"target_period_end {end} is before target_period_start {start}"]
    if made > end:
        return [
            f"made_on {made} is after the end of the target period ({end}): a forecast is made "
            "before the period it forecasts ends"
        ]
    return []


def _forecast_key(record: dict[str, object]) -> tuple[object, ...]:
    """What no two forecasts share: edition, target and target period."""
    return tuple(
        record[c] for c in (N.EDITION, N.FORECAST_TARGET, N.TARGET_PERIOD_START, N.TARGET_PERIOD_END)
    )


def _repeat_problem(record: dict[str, object], seen: dict[tuple[object, ...], int]) -> str | None:
    """Why a valid row repeats an accepted one (same edition, target and target period), or None."""
    key = _forecast_key(record)
    if key not in seen:
        return None
    return (
        f"repeats line {seen[key]}: the same edition {record[N.EDITION]!r}, target and target period "
        f"{key[2]}..{key[3]}"
    )


def _official_frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """The accepted rows as the typed frame :func:`load_official_forecasts` returns."""
    df = pd.DataFrame.from_records(records, columns=[*N.OFFICIAL_FORECAST_COLUMNS, N.SOURCE_FILE, N.LINE])
    for column in _DATES:
        df[column] = pd.to_datetime(df[column]).astype("datetime64[s]")
    for column in _BAND:
        df[column] = df[column].astype(float)
    df[N.LINE] = df[N.LINE].astype("int64")
    return df
