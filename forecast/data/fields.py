"""Parsing and classifying the fields of a history row: strict ISO dates, plain numbers, periods.

The small, pure helpers every row check builds on: a date must be ``YYYY-MM-DD`` and lie in the
accepted window, a number is written with ``.`` as decimal separator and no thousands separator, and
a period is classified by its frequency (a stock date, a calendar month, quarter, half-year, year or
another span).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

from forecast import names as N

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_date(text: str) -> dt.date:
    """Parse a strict ISO date ``YYYY-MM-DD``.

    Parameters
    ----------
    text : str
        The field; surrounding spaces are ignored.

    Returns
    -------
    datetime.date
        The date.

    Raises
    ------
    ValueError
        When the text is not of the form ``YYYY-MM-DD`` or not a calendar date.
    """
    text = text.strip()
    if not _ISO_DATE.match(text):
        raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a valid calendar date") from None


def parse_number(text: str) -> float:
    """Parse a plain decimal number (``.`` as decimal separator, no thousands separator).

    Parameters
    ----------
    text : str
        The field; surrounding spaces are ignored. An exponent (``1e3``) is accepted.

    Returns
    -------
    float
        The value.

    Raises
    ------
    ValueError
        When the field is empty or not a plain number; the message hints at the separators when
        the text looks like a number written with a decimal comma or thousands separators.
    """
    t = text.strip()
    if not t:
        raise ValueError("the value is empty")
    if not _NUMBER.match(t):
        hint = ""
        if re.match(r"^[+-]?[\d.,]+$", t):
            hint = " (use '.' as the decimal separator and no thousands separator)"
        raise ValueError(f"{text!r} is not a number{hint}")
    value = float(t)
    if not math.isfinite(value):  # the regex admits no inf/nan, but an exponent can overflow (1e400)
        raise ValueError(f"{text!r} is not a finite number")
    return value


def month_end(day: dt.date) -> dt.date:
    """Return the last day of ``day``'s month.

    Parameters
    ----------
    day : datetime.date
        Any day of the month.

    Returns
    -------
    datetime.date
        The last day of that month.
    """
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def months_spanned(start: dt.date, end: dt.date) -> int:
    """Count the calendar months from ``start``'s month to ``end``'s month, inclusive.

    Parameters
    ----------
    start, end : datetime.date
        The first and last day of the period.

    Returns
    -------
    int
        The number of months touched (1 for a period within one month; 0 or less when ``end``
        lies in an earlier month than ``start``).
    """
    return (end.year - start.year) * 12 + end.month - start.month + 1


def period_frequency(start: dt.date, end: dt.date) -> str:
    """Classify a period by its frequency letter.

    Parameters
    ----------
    start, end : datetime.date
        The first and last day of the period (inclusive).

    Returns
    -------
    str
        ``P`` when ``start == end`` (a stock date); ``M``, ``Q``, ``H`` or ``Y`` for a calendar
        month, quarter, half-year or year of whole months; ``O`` for any other span
        (:data:`forecast.names.FREQUENCIES`).
    """
    if start == end:
        return N.POINT
    if start.day != 1 or end != month_end(end):
        return N.OTHER
    n = months_spanned(start, end)
    calendar_periods = {1: N.MONTH, 3: N.QUARTER, 6: N.HALF_YEAR, 12: N.YEAR}
    if n in calendar_periods and (start.month - 1) % n == 0:
        return calendar_periods[n]
    return N.OTHER


def date_window_problem(column: str, day: dt.date) -> str | None:
    """Why a date lies outside the accepted window, or None when it is inside.

    Parameters
    ----------
    column : str
        The date's column, named in the answer.
    day : datetime.date
        The date.

    Returns
    -------
    str or None
        The reason, naming the window :data:`forecast.names.EARLIEST_DATE` ..
        :data:`forecast.names.LATEST_DATE`; None inside it.
    """
    window = f"dates must lie in {N.EARLIEST_DATE}..{N.LATEST_DATE}"
    if day < N.EARLIEST_DATE:
        return f"{column} {day} is before the earliest accepted date {N.EARLIEST_DATE} ({window})"
    if day > N.LATEST_DATE:
        return f"{column} {day} is after the latest accepted date {N.LATEST_DATE} ({window})"
    return None
