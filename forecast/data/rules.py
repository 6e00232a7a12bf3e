"""The row rules of ``observations.csv`` / ``inputs.csv``: a table of small named checks.

A row is first *parsed* (:func:`parse_record_row`): its series must be known and its dates, value and
``announced`` date readable, and the first field that is not gives the row's one error. A parsed row
is then put through :data:`ROW_RULES` in order; each rule is a small function that yields what is
wrong with the row (nothing when it holds), and every rule's complaints are reported. Some faults
exclude each other (a period that runs backwards is not also checked as a flow): such rules are
grouped with :func:`first_of`, which reports only the first rule of the group that fails. A row that
passes every rule is finally checked against the rows accepted before it
(:func:`repeat_problem`). The rules themselves are described in :mod:`forecast.data.validation`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from forecast import names as N
from forecast.data.fields import (
    date_window_problem,
    month_end,
    months_spanned,
    parse_date,
    parse_number,
    period_frequency,
)

__all__ = [
    "ROW_RULES",
    "RecordRow",
    "RowRejected",
    "RowRule",
    "first_of",
    "parse_record_row",
    "repeat_problem",
    "row_problems",
]

#: A count or amount written with ``.`` before groups of three digits ("1.000", "17.460"): in Dutch
#: that is a thousands separator, so the value would silently be read 1,000 times too small.
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(\.\d{3})+")


def _flow_period_problem(start: dt.date, end: dt.date) -> str | None:
    """Why a flow's period is unacceptable, or None when it is fine."""
    if start == end:
        return "a flow needs a period; period_start equals period_end (is this a stock?)"
    if start.day != 1:
        return (
            f"flow period {start}..{end} does not start on the first day of a month: "
            "a flow covers whole months (month, quarter, half-year, year)"
        )
    if end.day == 1:
        prev = end - dt.timedelta(days=1)
        return (
            f"flow period ends on {end}, the first day of a month; periods are inclusive, "
            f"did you mean {prev}?"
        )
    if end != month_end(end) and end < start.replace(day=28) + dt.timedelta(days=3):
        return (
            f"flow period {start}..{end} is shorter than a month and not a whole month; "
            "a flow covers whole months (month, quarter, half-year, year)"
        )
    return None


def _bounds_problem(spec: N.SeriesSpec, value: float, text: str, start: dt.date, end: dt.date) -> str | None:
    """Why a value lies outside its series' plausibility bounds, or None when it is inside."""
    months = max(months_spanned(start, end), 1)
    low, high = spec.bounds(months)
    if low <= value <= high:
        return None
    above = value > high
    why = spec.bound_reason
    if spec.kind == N.FLOW and months > 1:
        per_month = spec.ceiling if above else spec.floor
        why = f"{per_month:,.0f} per month over the {months} months of the period; {why}"
    side = "above the plausible maximum" if above else "below the plausible minimum"
    return (
        f"value {text} is {side} for this series, {high if above else low:,.0f} ({why}); "
        "check the value and its unit"
    )


# --------------------------------------------------------------------------- the parsed row


class RowRejected(ValueError):
    """Raised by :func:`parse_record_row` when a row cannot be read; the message is the row's one error."""


@dataclass(frozen=True)
class RecordRow:
    """One readable row of a records file, with its fields parsed, ready for the rules.

    Parameters
    ----------
    line : int
        The row's line in the file (or its label in a frame).
    series : str
        The series code, a key of the registry.
    spec : forecast.names.SeriesSpec
        The series' specification.
    start, end : datetime.date
        ``period_start`` and ``period_end``.
    value : float
        The value.
    value_text : str
        The value as written (stripped), quoted in messages.
    announced : datetime.date or None
        The ``announced`` date, or None where the row has none.
    definition, unit, quality, url, note : str
        The other fields, stripped (``note`` as given, ``""`` where missing).
    observed : bool
        True for an observation, False for an input.
    today : datetime.date
        The date after which an observation or announcement would lie in the future.
    """

    line: int
    series: str
    spec: N.SeriesSpec
    start: dt.date
    end: dt.date
    value: float
    value_text: str
    announced: dt.date | None
    definition: str
    unit: str
    quality: str
    url: str
    note: str
    observed: bool
    today: dt.date

    @property
    def key(self) -> tuple[str, dt.date, dt.date, str, dt.date | None]:
        """The row's identity: series, period, definition and ``announced`` date; no two rows share it."""
        return (self.series, self.start, self.end, self.definition, self.announced)

    def record(self, source: str) -> dict[str, object]:
        """The accepted row as a record, the shape :func:`forecast.data.records.records_frame` reads.

        Parameters
        ----------
        source : str
            The file name, stored in ``source_file``.

        Returns
        -------
        dict
            The columns :data:`forecast.names.RECORD_COLUMNS` plus ``kind``, ``frequency``,
            ``source_file``, ``line`` and ``announced``.
        """
        return {
            N.SERIES: self.series,
            N.PERIOD_START: self.start,
            N.PERIOD_END: self.end,
            N.VALUE: self.value,
            N.UNIT: self.unit,
            N.DEFINITION: self.definition,
            N.QUALITY: self.quality,
            N.SOURCE_URL: self.url,
            N.NOTE: self.note,
            N.KIND: self.spec.kind,
            N.FREQUENCY: period_frequency(self.start, self.end),
            N.SOURCE_FILE: source,
            N.LINE: self.line,
            N.ANNOUNCED: self.announced,
        }


def _known_series(series: str, registry: Mapping[str, N.SeriesSpec]) -> N.SeriesSpec:
    spec = registry.get(series)
    if not series:
        raise RowRejected("the series is empty")
    if spec is None:
        close = [s for s in registry if s.split("_")[0] == series.split("_")[0]]
        raise RowRejected(
            f"unknown series {series!r}" + (f" (known similar: {', '.join(close)})" if close else "")
        )
    return spec


def _period(raw: Mapping[str, str]) -> tuple[dt.date, dt.date]:
    try:
        return parse_date(raw[N.PERIOD_START]), parse_date(raw[N.PERIOD_END])
    except ValueError as exc:
        raise RowRejected(f"unparseable date: {exc}") from None


def _value(raw: Mapping[str, str]) -> float:
    try:
        return parse_number(raw[N.VALUE])
    except ValueError as exc:
        raise RowRejected(f"unparseable value: {exc}") from None


def _announced(raw: Mapping[str, str]) -> dt.date | None:
    text = (raw.get(N.ANNOUNCED) or "").strip()
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise RowRejected(f"unparseable {N.ANNOUNCED} date: {exc}") from None


def parse_record_row(
    line: int, raw: Mapping[str, str], registry: Mapping[str, N.SeriesSpec], *, observed: bool, today: dt.date
) -> RecordRow:
    """Read one row's fields, in order: the series, the period, the value, the ``announced`` date.

    Parameters
    ----------
    line : int
        The row's line in the file (or its label in a frame).
    raw : mapping of str to str
        The row's fields as strings, keyed by column.
    registry : mapping of str to SeriesSpec
        The known series.
    observed : bool
        True for an observation, False for an input.
    today : datetime.date
        The date after which an observation or announcement would lie in the future.

    Returns
    -------
    RecordRow
        The parsed row.

    Raises
    ------
    RowRejected
        At the first field that cannot be read: an empty or unknown series, an unparseable date,
        value or ``announced`` date.
    """
    series = (raw.get(N.SERIES) or "").strip()
    spec = _known_series(series, registry)
    start, end = _period(raw)
    value = _value(raw)
    announced = _announced(raw)
    return RecordRow(
        line=line,
        series=series,
        spec=spec,
        start=start,
        end=end,
        value=value,
        value_text=raw[N.VALUE].strip(),
        announced=announced,
        definition=raw[N.DEFINITION].strip(),
        unit=raw[N.UNIT].strip(),
        quality=raw[N.QUALITY].strip(),
        url=raw[N.SOURCE_URL].strip(),
        note=raw.get(N.NOTE, "") or "",
        observed=observed,
        today=today,
    )


# --------------------------------------------------------------------------- the rules

#: A row rule: yields what is wrong with a parsed row, nothing when the rule holds.
RowRule = Callable[[RecordRow], Iterator[str]]


def first_of(*rules: RowRule) -> RowRule:
    """Group rules that exclude each other: only the first of them that fails is reported.

    Parameters
    ----------
    *rules : RowRule
        The rules, in the order they are tried.

    Returns
    -------
    RowRule
        A rule yielding the complaints of the first of ``rules`` that has any.
    """

    def first_failure(row: RecordRow) -> Iterator[str]:
        for rule in rules:
            complaints = list(rule(row))
            if complaints:
                yield from complaints
                return

    first_failure.__name__ = "first_of(" + ", ".join(rule.__name__ for rule in rules) + ")"
    return first_failure


def _period_window_problems(row: RecordRow) -> list[str]:
    dates = ((N.PERIOD_START, row.start), (N.PERIOD_END, row.end))
    if row.start == row.end:  # a stock: one date, reported once
        dates = ((f"{N.PERIOD_START} = {N.PERIOD_END}", row.start),)
    return [why for column, day in dates if (why := date_window_problem(column, day))]


def _period_in_window(row: RecordRow) -> Iterator[str]:
    """The period's dates lie in the accepted window (a stock's one date is named once)."""
    yield from _period_window_problems(row)


def _announced_in_window(row: RecordRow) -> Iterator[str]:
    """The ``announced`` date, where given, lies in the accepted window."""
    if row.announced is not None and (why := date_window_problem(N.ANNOUNCED, row.announced)):
        yield why


def _announced_not_future(row: RecordRow) -> Iterator[str]:
    """The ``announced`` date, where given, is not after today."""
    if row.announced is not None and row.announced > row.today:
        yield (
            f"{N.ANNOUNCED} {row.announced} is after today ({row.today}): an announcement cannot lie in the "
            "future (a typo in the year?)"
        )


def _observation_not_future(row: RecordRow) -> Iterator[str]:
    """An observation's period does not end after today (checked once its dates lie in the window)."""
    if row.observed and not _period_window_problems(row) and row.end > row.today:
        yield (
            f"period_end {row.end} is after today ({row.today}): a figure cannot be observed in the future "
            "(a typo in the year? a setting known in advance belongs in inputs.csv)"
        )


def _period_not_reversed(row: RecordRow) -> Iterator[str]:
    """``period_end`` is not before ``period_start``."""
    if row.end < row.start:
        yield f"period_end {row.end} is before period_start {row.start}"


def _stock_at_one_date(row: RecordRow) -> Iterator[str]:
    """A stock is a value at one date: ``period_start == period_end``."""
    if row.spec.kind == N.STOCK and row.start != row.end:
        yield (
            f"a stock is a value at one date, but period_start {row.start} differs from period_end {row.end}"
        )


def _observed_flow_whole_months(row: RecordRow) -> Iterator[str]:
    """An observed flow covers whole months (or is a month-to-date cumulative count)."""
    if row.spec.kind == N.FLOW and row.observed and (why := _flow_period_problem(row.start, row.end)):
        yield why


def _definition_known(row: RecordRow) -> Iterator[str]:
    """The definition is one of the series' definitions."""
    if row.definition not in row.spec.definitions:
        known = ", ".join(row.spec.definitions)
        yield f"unknown definition {row.definition!r}; known for this series: {known}"


def _unit_known(row: RecordRow) -> Iterator[str]:
    """The unit is one of the series' units."""
    if row.unit not in row.spec.units:
        expected = " or ".join(map(repr, row.spec.units))
        yield f"unit {row.unit!r} is not a unit of this series (expected {expected})"


def _quality_known(row: RecordRow) -> Iterator[str]:
    """The quality is a known code."""
    if row.quality not in N.QUALITIES:
        yield f"unknown quality {row.quality!r}; expected one of {', '.join(N.QUALITIES)}"


def _fraction_in_unit_interval(row: RecordRow) -> Iterator[str]:
    """A rate or share lies in [0, 1]."""
    if row.spec.is_fraction and not 0.0 <= row.value <= 1.0:
        yield f"a rate/share must lie in [0, 1], got {row.value:g} (write 65% as 0.65)"


def _count_not_negative(row: RecordRow) -> Iterator[str]:
    """A value is not negative, unless its series is signed."""
    if row.value < 0 and not row.spec.signed:
        yield f"negative count {row.value:g}"


def _value_plausible(row: RecordRow) -> Iterator[str]:
    """The value lies within its series' plausibility bounds."""
    if why := _bounds_problem(row.spec, row.value, row.value_text, row.start, row.end):
        yield why


def _count_written_plainly(row: RecordRow) -> Iterator[str]:
    """A count is a whole number, written without a (Dutch) thousands separator."""
    if row.spec.is_fraction:
        return
    text = row.value_text
    if _THOUSANDS.fullmatch(text):
        why = f"{text!r} reads as {row.value:g} but looks like a number with a Dutch thousands separator"
    elif row.unit in N.COUNT_UNITS and not row.value.is_integer():
        why = f"a count of {row.unit} must be a whole number, got {text!r}"
    else:
        return
    plain = text.replace(".", "")
    yield f"{why}; write it without separators (e.g. {plain} if '.' separates thousands)"


def _source_given(row: RecordRow) -> Iterator[str]:
    """An observation names its source."""
    if row.observed and not row.url:
        yield "source_url is empty: every figure needs its source"


#: The rules a parsed row must pass, in the order their complaints are listed (every rule is applied;
#: within a :func:`first_of` group only the first failing rule is reported).
ROW_RULES: tuple[RowRule, ...] = (
    _period_in_window,
    first_of(_announced_in_window, _announced_not_future),
    _observation_not_future,
    first_of(_period_not_reversed, _stock_at_one_date, _observed_flow_whole_months),
    _definition_known,
    _unit_known,
    _quality_known,
    first_of(_fraction_in_unit_interval, _count_not_negative, _value_plausible, _count_written_plainly),
    _source_given,
)


def row_problems(row: RecordRow) -> list[str]:
    """Apply :data:`ROW_RULES` to a parsed row.

    Parameters
    ----------
    row : RecordRow
        The parsed row.

    Returns
    -------
    list of str
        Every complaint, in rule order; empty when the row passes every rule.
    """
    return [complaint for rule in ROW_RULES for complaint in rule(row)]


def repeat_problem(row: RecordRow, accepted: Mapping[tuple, tuple[int, float]]) -> str | None:
    """Why a row that passed every rule repeats or contradicts a row accepted before it, or None.

    Parameters
    ----------
    row : RecordRow
        The row.
    accepted : mapping of tuple to (int, float)
        The line and value of each accepted row, keyed by :attr:`RecordRow.key`.

    Returns
    -------
    str or None
        The conflict (same key, another value) or the repeat (same key and value); None for a new key.
    """
    if row.key not in accepted:
        return None
    first_line, first_value = accepted[row.key]
    when = f" and {N.ANNOUNCED} {row.announced}" if row.announced is not None else ""
    period = f"{row.start}..{row.end}"
    if first_value != row.value:
        return (
            f"conflicts with line {first_line}: same series, period {period}{when} and "
            f"definition {row.definition!r} but value {row.value:g} vs {first_value:g}"
        )
    return (
        f"repeats line {first_line} (same series, period {period}{when}, definition "
        f"{row.definition!r} and value)"
    )
