"""Validation of ``events.csv``: named policy events with a start, an optional end and what they act on.

Dates may be given to the day or to the month (``YYYY-MM``: the first day for a start, the last day
for an end); every invalid row is listed, and nothing is loaded while any is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

import pandas as pd

from forecast import names as N
from forecast.data.fields import date_window_problem, month_end, parse_date
from forecast.data.problems import DataValidationError, Problem

_MONTH_PRECISION = re.compile(r"^\d{4}-\d{2}$")


def _event_date(text: str, *, end: bool) -> dt.date:
    text = text.strip()
    if _MONTH_PRECISION.match(text):
        first = parse_date(text + "-01")
        return month_end(first) if end else first
    return parse_date(text)


def validate_events(rows: Iterable[tuple[int, Mapping[str, str]]], source: str) -> pd.DataFrame:
    """Validate ``events.csv`` rows.

    Dates may be ``YYYY-MM-DD`` or ``YYYY-MM`` (a month: ``start`` is its first
    day, ``end`` its last). An empty ``end`` means "not stated / in force".

    Parameters
    ----------
    rows : iterable of (line, mapping)
        Rows as strings keyed by the columns :data:`forecast.names.EVENT_COLUMNS`, with their
        line number.
    source : str
        File name used in messages.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`forecast.names.EVENT_COLUMNS` with ``start``/``end`` as
        dates (``datetime64[s]``, ``end`` NaT when empty), plus ``start_text``/``end_text``
        (the precision the source gave) and ``line``; sorted by start.

    Raises
    ------
    DataValidationError
        Listing every invalid row: an empty or repeated event name, an unparseable date, a date
        outside :data:`forecast.names.EARLIEST_DATE` .. :data:`forecast.names.LATEST_DATE`, an end
        before the start.
    """
    problems: list[Problem] = []
    out = []
    names_seen: dict[str, int] = {}
    for line, raw in rows:
        name = raw[N.EVENT].strip()

        def bad(msg: str, line: int = line, name: str = name) -> None:
            problems.append(Problem(source, line, None, f"event {name!r}: {msg}"))

        if not name:
            bad("the event name is empty")
            continue
        if name in names_seen:
            bad(f"event name repeats line {names_seen[name]}")
            continue
        names_seen[name] = line
        try:
            start = _event_date(raw[N.EVENT_START], end=False)
            end = _event_date(raw[N.EVENT_END], end=True) if raw[N.EVENT_END].strip() else None
        except ValueError as exc:
            bad(f"unparseable date: {exc} (use YYYY-MM-DD or YYYY-MM)")
            continue
        outside = [
            why
            for column, day in ((N.EVENT_START, start), (N.EVENT_END, end))
            if day is not None and (why := date_window_problem(column, day))
        ]
        for why in outside:
            bad(why)
        if outside:
            continue
        if end is not None and end < start:
            bad(f"end {end} is before start {start}")
            continue
        out.append(
            {
                N.EVENT: name,
                N.EVENT_START: start,
                N.EVENT_END: end,
                N.ACTS_ON: raw[N.ACTS_ON].strip(),
                N.DESCRIPTION: raw[N.DESCRIPTION],
                N.SOURCE_URL: raw[N.SOURCE_URL].strip(),
                "start_text": raw[N.EVENT_START].strip(),
                "end_text": raw[N.EVENT_END].strip(),
                N.LINE: line,
            }
        )
    if problems:
        raise DataValidationError(problems)
    df = pd.DataFrame.from_records(out, columns=[*N.EVENT_COLUMNS, "start_text", "end_text", N.LINE])
    df[N.EVENT_START] = pd.to_datetime(df[N.EVENT_START]).astype("datetime64[s]")
    df[N.EVENT_END] = pd.to_datetime(df[N.EVENT_END]).astype("datetime64[s]")
    return df.sort_values(N.EVENT_START, kind="stable").reset_index(drop=True)
