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
    seen: dict[tuple[str, str, dt.date, dt.date], int] = {}
    for line, raw in rows:
        target = raw[N.FORECAST_TARGET].strip()

        def bad(msg: str, line: int = line, target: str = target) -> None:
            problems.append(V.Problem(source, line, target or None, msg))

        edition = raw[N.EDITION].strip()
        ok = True
        if not edition:
            bad("the edition is empty")
            ok = False
        dates: dict[str, dt.date] = {}
        for column in _DATES:
            try:
                dates[column] = V.parse_date(raw[column])
            except ValueError as exc:
                bad(f"unparseable {column}: {exc}")
                ok = False
                continue
            if why := V.date_window_problem(column, dates[column]):
                bad(why)
                ok = False
        unit = raw[N.UNIT].strip()
        if target not in N.OFFICIAL_FORECAST_TARGETS:
            bad(f"unknown target {target!r}; the targets are {', '.join(N.OFFICIAL_FORECAST_TARGETS)}")
            ok = False
        elif unit != N.OFFICIAL_FORECAST_TARGETS[target]:
            expected = N.OFFICIAL_FORECAST_TARGETS[target]
            bad(f"unit {unit!r} is not the unit of target {target!r} ({expected!r})")
            ok = False
        band: dict[str, float] = {}
        for column in _BAND:
            text = raw[column].strip()
            if not text:
                band[column] = math.nan
                continue
            try:
                value = V.parse_number(text)
            except ValueError as exc:
                bad(f"unparseable {column}: {exc}")
                ok = False
                continue
            if value < 0 or not value.is_integer():
                bad(f"{column} {text!r} is not a whole number >= 0 (a forecast counts persons or places)")
                ok = False
                continue
            band[column] = value
        given = [(c, band[c]) for c in _BAND if c in band and not math.isnan(band[c])]
        if ok and not given:
            bad("none of low, mid and high is given: a forecast needs at least one value")
            ok = False
        for (c1, v1), (c2, v2) in itertools.pairwise(given):
            if v1 > v2:
                bad(f"{c1} {v1:,.0f} is above {c2} {v2:,.0f}: the values must satisfy low <= mid <= high")
                ok = False
        if len(dates) == len(_DATES):
            start, end, made = dates[N.TARGET_PERIOD_START], dates[N.TARGET_PERIOD_END], dates[N.MADE_ON]
            if end < start:
                bad(f"target_period_end {end} is before target_period_start {start}")
                ok = False
            elif made > end:
                bad(
                    f"made_on {made} is after the end of the target period ({end}): a forecast is made "
                    "before the period it forecasts ends"
                )
                ok = False
        if not raw[N.SOURCE_URL].strip():
            bad("source_url is empty: every forecast needs its source")
            ok = False
        if not ok:
            continue
        key = (edition, target, dates[N.TARGET_PERIOD_START], dates[N.TARGET_PERIOD_END])
        if key in seen:
            bad(
                f"repeats line {seen[key]}: the same edition {edition!r}, target and target period "
                f"{key[2]}..{key[3]}"
            )
            continue
        seen[key] = line
        out.append(
            {
                N.EDITION: edition,
                **dates,
                N.FORECAST_TARGET: target,
                **band,
                N.UNIT: unit,
                N.SOURCE_URL: raw[N.SOURCE_URL].strip(),
                N.NOTE: raw.get(N.NOTE, "") or "",
                N.SOURCE_FILE: source,
                N.LINE: line,
            }
        )
    if problems:
        raise V.DataValidationError(problems)
    df = pd.DataFrame.from_records(out, columns=[*N.OFFICIAL_FORECAST_COLUMNS, N.SOURCE_FILE, N.LINE])
    for column in _DATES:
        df[column] = pd.to_datetime(df[column]).astype("datetime64[s]")
    for column in _BAND:
        df[column] = df[column].astype(float)
    df[N.LINE] = df[N.LINE].astype("int64")
    return df
