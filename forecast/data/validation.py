"""Strict reading and validation of history files.

A modeller feeds the library new quarterly figures every few months. A bad file
must be caught with a message that says exactly what is wrong, and nothing may
be half-loaded: every function here either returns a complete, validated
:class:`pandas.DataFrame` or raises :class:`DataValidationError` listing *all*
problems it found (file, line, series, what is wrong).

Rules for ``observations.csv`` / ``inputs.csv`` rows
----------------------------------------------------
* the columns are exactly :data:`forecast.names.RECORD_COLUMNS` (any order); ``inputs.csv`` may also
  carry :data:`forecast.names.ANNOUNCED` (the date a value was announced, see *Input vintages* below);
* the file is UTF-8 text (a UTF-8 byte-order mark is fine; UTF-16 and UTF-32 are named and
  refused) of at most :data:`MAX_FILE_BYTES`, readable (an OS error such as "permission denied"
  is reported, not raised);
* dates are ISO ``YYYY-MM-DD``; ``period_end >= period_start``; every date lies in
  :data:`forecast.names.EARLIEST_DATE` .. :data:`forecast.names.LATEST_DATE` (in events too), and an
  observation's ``period_end`` is not after today (a figure cannot be observed in the future;
  inputs such as the taakstelling are set in advance, so they may point ahead);
* a stock has ``period_start == period_end``;
* an observed flow covers whole calendar months (a month, quarter, half-year,
  year or another run of whole months such as a year-to-date total); the one
  exception is a cumulative count that starts on the first of a month and runs
  at least a month to a stated day (the ministry's weekly counter, "housed by
  15 November"). A flow ending on the first day of a month is rejected: periods
  are inclusive, so that is almost always a mistaken exclusive end;
* values are plain numbers (``.`` as decimal separator, no thousands separator),
  counts are non-negative (except signed series) and whole numbers (:data:`~forecast.names.COUNT_UNITS`),
  no value looks like a Dutch thousands separator (``1.000``), fractions lie in [0, 1];
* every other value lies within its series' plausibility bounds (:meth:`forecast.names.SeriesSpec.bounds`:
  a generous ceiling, per month of the period for a flow, and a floor for signed series);
* series, definition, unit and quality are known codes;
* no two rows share ``(series, period_start, period_end, definition)`` (for inputs: and ``announced``);
* observations carry a non-empty ``source_url``.

Input vintages
--------------
An input (one ``(series, period_start, period_end, definition)``) may have several rows, its
*vintages*: the value first announced and later revisions, each with the date it was announced.
The rules (:func:`vintage_problems`):

* a row's value is known from its ``announced`` date; a row without one is known from its
  ``period_start`` (a setting known when it takes effect, the rule for every input before vintages);
* ``announced`` is an ISO date inside the date window and not after today (an announcement cannot lie
  in the future); it may lie before ``period_start`` (a taakstelling is set in advance) or after
  ``period_end`` (revisions happen; the curated history dates a revision by its source);
* two vintages of one input known from the same day must have the same value (two different values
  announced the same day cannot be ordered); the same value may be restated later.
"""

from __future__ import annotations

import calendar
import codecs
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast import names as N

#: Stop listing problems after this many (the message says how many more).
MAX_LISTED_PROBLEMS = 30

#: The largest CSV file read, in bytes (20 MB): a larger file is refused before it is read. The bundled
#: ``observations.csv`` (every figure since 1995) is about 0.2 MB, so 20 MB is a hundred times that; a
#: bigger file is a wrong file (an export of something else), which would otherwise take minutes and
#: gigabytes of memory before failing.
MAX_FILE_BYTES = 20_000_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Parameters
    ----------
    source : str
        The file name (or ``"<frame>"`` for a DataFrame).
    line : int or None
        1-based line in the file (the header is line 1), or the row label of a
        DataFrame; ``None`` for a problem with the whole file.
    series : str or None
        The series of the row, when known.
    message : str
        What is wrong, in words.
    """

    source: str
    line: int | None
    series: str | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}, line {self.line}"
        if self.series:
            where += f" (series {self.series!r})"
        return f"{where}: {self.message}"


class DataValidationError(ValueError):
    """Raised when a history file or frame is invalid; nothing is loaded.

    The message lists the problems, at most :data:`MAX_LISTED_PROBLEMS` of them (then how many
    more).

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found, in file order.

    Attributes
    ----------
    problems : list of Problem
        Every problem found, in file order.
    """

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        more = len(self.problems) - len(shown)
        text = f"{len(self.problems)} problem(s) in the input:\n  " + "\n  ".join(shown)
        if more:
            text += f"\n  ... and {more} more"
        super().__init__(text)


# --------------------------------------------------------------------------- raw text


def read_text(path: str | Path) -> str:
    """Read a CSV file as UTF-8 text, rejecting binary, HTML and other encodings.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    str
        The decoded text (a UTF-8 byte-order mark is dropped).

    Raises
    ------
    DataValidationError
        When the file is missing, a directory, unreadable (the OS reason is given, e.g.
        "permission denied"), larger than :data:`MAX_FILE_BYTES` (refused before reading it),
        empty, binary, UTF-16/UTF-32 or otherwise not UTF-8, or looks like HTML.
    """
    path = Path(path)
    name = path.name

    def fail(message: str) -> DataValidationError:
        return DataValidationError([Problem(str(path), None, None, message)])

    raw = b""
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with path.open("rb") as fh:
                raw = fh.read(MAX_FILE_BYTES + 1)  # bounded even if the file grows or lies about its size
            size = max(size, len(raw))
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail("is a directory, not a CSV file") from None
    except OSError as exc:
        reason = (exc.strerror or str(exc) or type(exc).__name__).lower()
        raise fail(f"cannot read the file: {reason}") from None
    if size > MAX_FILE_BYTES:
        raise fail(
            f"the file is {_megabytes(size)}, larger than the limit of {_megabytes(MAX_FILE_BYTES)} for "
            "one history CSV file (the bundled observations.csv is about 0.2 MB); is this the right file?"
        )
    return decode_text(raw, name)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


#: Byte-order marks of the Unicode encodings that are not UTF-8 (UTF-32 first: its little-endian
#: mark starts with UTF-16's).
_FOREIGN_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _utf16_without_bom(raw: bytes) -> bool:
    """True when the bytes look like UTF-16 text without a byte-order mark (NUL in every other byte)."""
    sample = raw[:4096]
    if len(sample) < 16:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) >= 0.9 * len(odd) and not even.count(0)) or (
        even.count(0) >= 0.9 * len(even) and not odd.count(0)
    )


def decode_text(raw: bytes, source: str) -> str:
    """Decode the bytes of a CSV file; see :func:`read_text`.

    Parameters
    ----------
    raw : bytes
        The file's content.
    source : str
        The file name, used in messages.

    Returns
    -------
    str
        The decoded text (a UTF-8 byte-order mark is dropped).

    Raises
    ------
    DataValidationError
        When the content is empty (or only whitespace), UTF-16 or UTF-32 encoded, binary, not
        UTF-8 or looks like HTML.
    """
    for bom, encoding in _FOREIGN_BOMS:
        if raw.startswith(bom):
            raise DataValidationError(
                [Problem(source, None, None, f"file is {encoding} encoded; save it as UTF-8")]
            )
    if not raw.strip():
        raise DataValidationError([Problem(source, None, None, "file is empty")])
    if _utf16_without_bom(raw):
        raise DataValidationError(
            [Problem(source, None, None, "file is UTF-16 encoded (no byte-order mark); save it as UTF-8")]
        )
    if b"\x00" in raw[:65536]:
        raise DataValidationError(
            [Problem(source, None, None, "binary content (NUL bytes): not a text CSV file")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            [
                Problem(
                    source,
                    line,
                    None,
                    f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                    "save the file as UTF-8",
                )
            ]
        ) from None
    head = text.lstrip()[:512].lower()
    if head.startswith("<") or "<html" in head or "<!doctype" in head:
        raise DataValidationError(
            [Problem(source, None, None, "looks like HTML (a web page), not a CSV file")]
        )
    return text


def parse_table(
    text: str, source: str, expected: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Split CSV text into a header and rows keyed by column, with line numbers.

    Parameters
    ----------
    text : str
        Decoded CSV text.
    source : str
        Name used in messages.
    expected : sequence of str
        The columns the file must have (in any order).
    optional : sequence of str, optional
        Columns the file may have besides ``expected`` (default none): for ``inputs.csv`` the
        :data:`forecast.names.ANNOUNCED` date. A row of a file without them has them as ``""``.

    Returns
    -------
    header : list of str
        The column names as in the file (stripped of spaces).
    rows : list of (line, dict)
        Each row's fields keyed by column name; ``line`` is the 1-based line on which the row
        starts. Blank lines are skipped.

    Raises
    ------
    DataValidationError
        Wrong delimiter, missing or unknown columns, or a row with the wrong
        number of fields.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:  # pragma: no cover - decode_text rejects empty files
        raise DataValidationError([Problem(source, None, None, "file is empty")]) from None
    except csv.Error as exc:
        raise DataValidationError([Problem(source, 1, None, f"unreadable CSV header: {exc}")]) from None
    header = [h.strip() for h in header]
    if len(header) == 1:
        for delim in (";", "\t", "|"):
            if delim in header[0]:
                shown = "TAB" if delim == "\t" else repr(delim)
                raise DataValidationError(
                    [Problem(source, 1, None, f"the header is separated by {shown}; use ',' as delimiter")]
                )
    problems: list[Problem] = []
    missing = [c for c in expected if c not in header]
    unknown = [c for c in header if c not in expected and c not in optional]
    if missing:
        problems.append(Problem(source, 1, None, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(
            Problem(
                source,
                1,
                None,
                f"unknown column(s): {', '.join(map(repr, unknown))}; expected {', '.join(expected)}"
                + (f" (and optionally {', '.join(optional)})" if optional else ""),
            )
        )
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        problems.append(Problem(source, 1, None, f"duplicated column(s): {', '.join(dupes)}"))
    if problems:
        raise DataValidationError(problems)

    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(source, line, None, f"unreadable CSV row: {exc}"))
            break
        if not fields or all(not f.strip() for f in fields):
            line = reader.line_num + 1
            continue
        if len(fields) != len(header):
            problems.append(
                Problem(
                    source,
                    line,
                    fields[0] if fields else None,
                    f"{len(fields)} fields, expected {len(header)} (check quoting of commas)",
                )
            )
        else:
            row = dict(zip(header, fields, strict=True))
            for column in optional:
                row.setdefault(column, "")
            rows.append((line, row))
        line = reader.line_num + 1
    if problems:
        raise DataValidationError(problems)
    if not rows:
        raise DataValidationError([Problem(source, None, None, "the file has a header but no rows")])
    return header, rows


# --------------------------------------------------------------------------- fields

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


#: A count or amount written with ``.`` before groups of three digits ("1.000", "17.460"): in Dutch
#: that is a thousands separator, so the value would silently be read 1,000 times too small.
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(\.\d{3})+")


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


# --------------------------------------------------------------------------- records


def validate_records(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    source: str,
    registry: Mapping[str, N.SeriesSpec],
    *,
    observed: bool,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Validate record rows (strings) and return a typed frame.

    Parameters
    ----------
    rows : iterable of (line, mapping)
        Rows as strings keyed by column, with their line number.
    source : str
        File name used in messages and stored in ``source_file``.
    registry : mapping
        The known series (:data:`forecast.names.OBSERVATION_SERIES` or
        :data:`forecast.names.INPUT_SERIES`).
    observed : bool
        True for observations: flows must cover whole months, rows need a
        source URL and no period may end after ``today``. Inputs (capacity added
        between two dates, a taakstelling set in advance, ...) may have irregular
        spans and point ahead, within :data:`forecast.names.LATEST_DATE`.
    today : datetime.date, optional
        The date after which an observation would lie in the future; default the system date.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`forecast.names.RECORD_COLUMNS` plus ``kind``,
        ``frequency``, ``source_file`` and ``line``; dates as
        ``datetime64[s]``, values as float.

    Raises
    ------
    DataValidationError
        Listing every invalid row.
    """
    problems: list[Problem] = []
    out: list[dict[str, object]] = []
    seen: dict[tuple[str, dt.date, dt.date, str, dt.date | None], tuple[int, float]] = {}
    today = dt.date.today() if today is None else today
    for line, raw in rows:
        series = (raw.get(N.SERIES) or "").strip()

        def bad(msg: str, line: int = line, series: str = series) -> None:
            problems.append(Problem(source, line, series or None, msg))

        spec = registry.get(series)
        if not series:
            bad("the series is empty")
            continue
        if spec is None:
            close = [s for s in registry if s.split("_")[0] == series.split("_")[0]]
            bad(f"unknown series {series!r}" + (f" (known similar: {', '.join(close)})" if close else ""))
            continue
        try:
            start = parse_date(raw[N.PERIOD_START])
            end = parse_date(raw[N.PERIOD_END])
        except ValueError as exc:
            bad(f"unparseable date: {exc}")
            continue
        try:
            value = parse_number(raw[N.VALUE])
        except ValueError as exc:
            bad(f"unparseable value: {exc}")
            continue
        announced_text = (raw.get(N.ANNOUNCED) or "").strip()
        announced: dt.date | None = None
        if announced_text:
            try:
                announced = parse_date(announced_text)
            except ValueError as exc:
                bad(f"unparseable {N.ANNOUNCED} date: {exc}")
                continue
        definition = raw[N.DEFINITION].strip()
        unit = raw[N.UNIT].strip()
        quality = raw[N.QUALITY].strip()
        url = raw[N.SOURCE_URL].strip()
        ok = True
        dates = ((N.PERIOD_START, start), (N.PERIOD_END, end))
        if start == end:  # a stock: one date, reported once
            dates = ((f"{N.PERIOD_START} = {N.PERIOD_END}", start),)
        outside = [why for column, day in dates if (why := date_window_problem(column, day))]
        for why in outside:
            bad(why)
            ok = False
        if announced is not None:
            if why := date_window_problem(N.ANNOUNCED, announced):
                bad(why)
                ok = False
            elif announced > today:
                bad(
                    f"{N.ANNOUNCED} {announced} is after today ({today}): an announcement cannot lie in the "
                    "future (a typo in the year?)"
                )
                ok = False
        if observed and not outside and end > today:
            bad(
                f"period_end {end} is after today ({today}): a figure cannot be observed in the future "
                "(a typo in the year? a setting known in advance belongs in inputs.csv)"
            )
            ok = False
        if end < start:
            bad(f"period_end {end} is before period_start {start}")
            ok = False
        elif spec.kind == N.STOCK and start != end:
            bad(f"a stock is a value at one date, but period_start {start} differs from period_end {end}")
            ok = False
        elif spec.kind == N.FLOW and observed:
            why = _flow_period_problem(start, end)
            if why:
                bad(why)
                ok = False
        if definition not in spec.definitions:
            bad(f"unknown definition {definition!r}; known for this series: {', '.join(spec.definitions)}")
            ok = False
        if unit not in spec.units:
            bad(f"unit {unit!r} is not a unit of this series (expected {' or '.join(map(repr, spec.units))})")
            ok = False
        if quality not in N.QUALITIES:
            bad(f"unknown quality {quality!r}; expected one of {', '.join(N.QUALITIES)}")
            ok = False
        if spec.is_fraction and not 0.0 <= value <= 1.0:
            bad(f"a rate/share must lie in [0, 1], got {value:g} (write 65% as 0.65)")
            ok = False
        elif value < 0 and not spec.signed:
            bad(f"negative count {value:g}")
            ok = False
        elif why := _bounds_problem(spec, value, raw[N.VALUE].strip(), start, end):
            bad(why)
            ok = False
        elif not spec.is_fraction and (
            _THOUSANDS.fullmatch(raw[N.VALUE].strip()) or (unit in N.COUNT_UNITS and not value.is_integer())
        ):
            text = raw[N.VALUE].strip()
            if _THOUSANDS.fullmatch(text):
                why = f"{text!r} reads as {value:g} but looks like a number with a Dutch thousands separator"
            else:
                why = f"a count of {unit} must be a whole number, got {text!r}"
            plain = text.replace(".", "")
            bad(f"{why}; write it without separators (e.g. {plain} if '.' separates thousands)")
            ok = False
        if observed and not url:
            bad("source_url is empty: every figure needs its source")
            ok = False
        if not ok:
            continue
        key = (series, start, end, definition, announced)
        if key in seen:
            first_line, first_value = seen[key]
            when = f" and {N.ANNOUNCED} {announced}" if announced is not None else ""
            if first_value != value:
                bad(
                    f"conflicts with line {first_line}: same series, period {start}..{end}{when} and "
                    f"definition {definition!r} but value {value:g} vs {first_value:g}"
                )
            else:
                bad(
                    f"repeats line {first_line} (same series, period {start}..{end}{when}, definition "
                    f"{definition!r} and value)"
                )
            continue
        seen[key] = (line, value)
        out.append(
            {
                N.SERIES: series,
                N.PERIOD_START: start,
                N.PERIOD_END: end,
                N.VALUE: value,
                N.UNIT: unit,
                N.DEFINITION: definition,
                N.QUALITY: quality,
                N.SOURCE_URL: url,
                N.NOTE: raw.get(N.NOTE, "") or "",
                N.KIND: spec.kind,
                N.FREQUENCY: period_frequency(start, end),
                N.SOURCE_FILE: source,
                N.LINE: line,
                N.ANNOUNCED: announced,
            }
        )
    if problems:
        raise DataValidationError(problems)
    frame = records_frame(out, inputs=not observed)
    if not observed:
        problems = vintage_problems(frame)
        if problems:
            raise DataValidationError(problems)
    return frame


def records_frame(records: list[dict[str, object]], *, inputs: bool = False) -> pd.DataFrame:
    """Build the typed, sorted record frame from validated dictionaries.

    Parameters
    ----------
    records : list of dict
        One dictionary per row with the columns :data:`forecast.names.RECORD_COLUMNS` plus
        ``kind``, ``frequency``, ``source_file`` and ``line`` (as :func:`validate_records`
        builds them), and for inputs ``announced`` (a date or None).
    inputs : bool, optional
        True for input rows: the frame also has ``announced`` (NaT where not given) and
        ``known_from`` (``announced``, or ``period_start`` where there is none); default False.

    Returns
    -------
    pandas.DataFrame
        Those columns, with dates as ``datetime64[s]``, ``value`` as float and ``line`` as int64;
        sorted by series, definition, period end and period start (inputs: then ``known_from``).
    """
    cols = [*N.RECORD_COLUMNS, N.KIND, N.FREQUENCY, N.SOURCE_FILE, N.LINE]
    if inputs:
        cols.append(N.ANNOUNCED)
    df = pd.DataFrame.from_records(records, columns=cols)
    for c in (N.PERIOD_START, N.PERIOD_END, *((N.ANNOUNCED,) if inputs else ())):
        df[c] = pd.to_datetime(df[c]).astype("datetime64[s]")
    df[N.VALUE] = df[N.VALUE].astype(float)
    df[N.LINE] = df[N.LINE].astype("int64")
    order = [N.SERIES, N.DEFINITION, N.PERIOD_END, N.PERIOD_START]
    if inputs:
        df[N.KNOWN_FROM] = known_from(df)
        order.append(N.KNOWN_FROM)
    return df.sort_values(order, kind="stable").reset_index(drop=True)


def known_from(inputs: pd.DataFrame) -> pd.Series:
    """The first day each input row's value was known: its ``announced`` date, else its ``period_start``.

    Parameters
    ----------
    inputs : pandas.DataFrame
        Input rows with ``period_start`` and, optionally, ``announced`` (NaT where not given).

    Returns
    -------
    pandas.Series
        ``datetime64[s]``, aligned with ``inputs``.
    """
    start = inputs[N.PERIOD_START].astype("datetime64[s]")
    if N.ANNOUNCED not in inputs:
        return start
    return inputs[N.ANNOUNCED].astype("datetime64[s]").fillna(start)


def vintage_problems(inputs: pd.DataFrame) -> list[Problem]:
    """Find vintages of one input that cannot be ordered: two different values known the same day.

    Parameters
    ----------
    inputs : pandas.DataFrame
        Typed input rows (as :func:`records_frame` builds them with ``inputs=True``), with
        ``source_file`` and ``line``.

    Returns
    -------
    list of Problem
        One problem per clash, naming the file and line of the later row, the series, both values and
        the day; empty when every input's vintages are known from distinct days (or repeat a value).
    """
    if inputs.empty:
        return []
    df = inputs.assign(**{N.KNOWN_FROM: known_from(inputs)})
    problems = []
    for _, group in df.groupby([*N.RECORD_KEY, N.KNOWN_FROM], sort=False):
        if group[N.VALUE].nunique() < 2:
            continue
        group = group.sort_values(N.LINE, kind="stable")
        first = group.iloc[0]
        for _, row in group.iloc[1:].iterrows():
            if row[N.VALUE] == first[N.VALUE]:
                continue
            start, end = pd.Timestamp(row[N.PERIOD_START]), pd.Timestamp(row[N.PERIOD_END])
            period = f"{start:%Y-%m-%d}..{end:%Y-%m-%d}"
            problems.append(
                Problem(
                    str(row[N.SOURCE_FILE]),
                    int(row[N.LINE]),
                    str(row[N.SERIES]),
                    f"two different values of one input known from the same day "
                    f"{pd.Timestamp(row[N.KNOWN_FROM]):%Y-%m-%d}: {row[N.VALUE]:g} here and "
                    f"{first[N.VALUE]:g} at {first[N.SOURCE_FILE]}:{int(first[N.LINE])} (period {period}, "
                    f"definition {row[N.DEFINITION]!r}); a revision needs a later {N.ANNOUNCED} date (a row "
                    f"without one is known from its period_start)",
                )
            )
    return sorted(problems, key=lambda p: (p.source, p.line or 0))


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


def read_records(path: str | Path, registry: Mapping[str, N.SeriesSpec], *, observed: bool) -> pd.DataFrame:
    """Read and validate an observations or inputs CSV file (see :func:`validate_records`).

    Parameters
    ----------
    path : str or Path
        The CSV file, with the columns :data:`forecast.names.RECORD_COLUMNS`.
    registry : mapping of str to SeriesSpec
        The known series (:data:`forecast.names.OBSERVATION_SERIES` or
        :data:`forecast.names.INPUT_SERIES`).
    observed : bool
        True for observations (whole-month flows and a source URL required).

    Returns
    -------
    pandas.DataFrame
        The typed records, as :func:`validate_records` returns them (``source_file`` is the file
        name).

    Raises
    ------
    DataValidationError
        When the file cannot be read as CSV text or any row is invalid.
    """
    path = Path(path)
    text = read_text(path)
    _, rows = parse_table(text, path.name, N.RECORD_COLUMNS, () if observed else (N.ANNOUNCED,))
    return validate_records(rows, path.name, registry, observed=observed)


def read_events(path: str | Path) -> pd.DataFrame:
    """Read and validate an events CSV file (see :func:`validate_events`).

    Parameters
    ----------
    path : str or Path
        The CSV file, with the columns :data:`forecast.names.EVENT_COLUMNS`.

    Returns
    -------
    pandas.DataFrame
        The typed events, as :func:`validate_events` returns them.

    Raises
    ------
    DataValidationError
        When the file cannot be read as CSV text or any row is invalid.
    """
    path = Path(path)
    text = read_text(path)
    _, rows = parse_table(text, path.name, N.EVENT_COLUMNS)
    return validate_events(rows, path.name)


def frame_rows(
    df: pd.DataFrame, columns: Sequence[str], source: str, optional: Sequence[str] = ()
) -> list[tuple[int, dict[str, str]]]:
    """Turn a user's DataFrame into string rows for validation.

    Dates may be strings, ``datetime.date`` or pandas timestamps; values may be
    numbers or strings. Row numbers in messages are the frame's row labels.

    Parameters
    ----------
    df : pandas.DataFrame
        The user's table. Besides ``columns`` (and ``optional``) it may hold the derived columns
        ``kind``, ``frequency``, ``source_file``, ``line`` and ``known_from`` (ignored), but no others.
    columns : sequence of str
        The columns to read (:data:`forecast.names.RECORD_COLUMNS` or
        :data:`forecast.names.EVENT_COLUMNS`).
    source : str
        Name of the frame in messages.
    optional : sequence of str, optional
        Columns the frame may hold besides ``columns`` (for inputs: ``announced``); read as ``""``
        where the frame has none.

    Returns
    -------
    list of (label, dict)
        One entry per row: its row label (an int for an integer index) and its fields as
        strings keyed by column; a missing value (None, NaN, NaT) becomes ``""``.

    Raises
    ------
    DataValidationError
        When a column is missing or unknown, or the frame has no rows.
    """
    missing = [c for c in columns if c not in df.columns]
    derived = (N.KIND, N.FREQUENCY, N.SOURCE_FILE, N.LINE, N.KNOWN_FROM)
    unknown = [c for c in df.columns if c not in columns and c not in optional and c not in derived]
    problems = []
    if missing:
        problems.append(Problem(source, None, None, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(Problem(source, None, None, f"unknown column(s): {', '.join(map(str, unknown))}"))
    if problems:
        raise DataValidationError(problems)
    if df.empty:
        raise DataValidationError([Problem(source, None, None, "the frame has no rows")])

    def text(v: object) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
            return ""
        if isinstance(v, dt.datetime):  # includes pandas.Timestamp
            return v.date().isoformat()
        if isinstance(v, dt.date):
            return v.isoformat()
        if isinstance(v, float):
            return repr(v)
        return str(v)

    read = [*columns, *(c for c in optional if c in df.columns)]
    rows = []
    for label, rec in zip(df.index, df[read].itertuples(index=False, name=None), strict=True):
        row = {c: text(v) for c, v in zip(read, rec, strict=True)}
        for c in optional:
            row.setdefault(c, "")
        rows.append((int(label) if isinstance(label, int) else label, row))
    return rows
