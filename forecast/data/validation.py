"""Strict reading and validation of history files.

A modeller feeds the library new quarterly figures every few months. A bad file
must be caught with a message that says exactly what is wrong, and nothing may
be half-loaded: every function here either returns a complete, validated
:class:`pandas.DataFrame` or raises :class:`DataValidationError` listing *all*
problems it found (file, line, series, what is wrong).

This module reads the files and frames and runs the checks; the checks live next to it, each module
with one job: :mod:`forecast.data.problems` (how a fault is reported), :mod:`forecast.data.fields`
(dates, numbers, periods), :mod:`forecast.data.rules` (the table of row rules),
:mod:`forecast.data.records` (the typed frame and input vintages) and :mod:`forecast.data.events`
(``events.csv``). Their public names are importable from here as well.

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

import codecs
import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from forecast import names as N
from forecast.data.events import validate_events
from forecast.data.fields import (
    date_window_problem,
    month_end,
    months_spanned,
    parse_date,
    parse_number,
    period_frequency,
)
from forecast.data.problems import MAX_LISTED_PROBLEMS, DataValidationError, Problem
from forecast.data.records import known_from, records_frame, vintage_problems
from forecast.data.rules import RowRejected, parse_record_row, repeat_problem, row_problems

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LISTED_PROBLEMS",
    "DataValidationError",
    "Problem",
    "date_window_problem",
    "decode_text",
    "frame_rows",
    "known_from",
    "month_end",
    "months_spanned",
    "parse_date",
    "parse_number",
    "parse_table",
    "period_frequency",
    "read_events",
    "read_records",
    "read_text",
    "records_frame",
    "validate_events",
    "validate_records",
    "vintage_problems",
]


#: The largest CSV file read, in bytes (20 MB): a larger file is refused before it is read. The bundled
#: ``observations.csv`` (every figure since 1995) is about 0.2 MB, so 20 MB is a hundred times that; a
#: bigger file is a wrong file (an export of something else), which would otherwise take minutes and
#: gigabytes of memory before failing.
MAX_FILE_BYTES = 20_000_000


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
    accepted: dict[tuple, tuple[int, float]] = {}
    today = dt.date.today() if today is None else today
    for line, raw in rows:
        try:
            row = parse_record_row(line, raw, registry, observed=observed, today=today)
        except RowRejected as exc:
            series = (raw.get(N.SERIES) or "").strip()
            problems.append(Problem(source, line, series or None, str(exc)))
            continue
        complaints = row_problems(row)
        if not complaints and (repeat := repeat_problem(row, accepted)):
            complaints = [repeat]
        problems.extend(Problem(source, line, row.series, why) for why in complaints)
        if not complaints:
            accepted[row.key] = (line, row.value)
            out.append(row.record(source))
    if problems:
        raise DataValidationError(problems)
    frame = records_frame(out, inputs=not observed)
    if not observed:
        problems = vintage_problems(frame)
        if problems:
            raise DataValidationError(problems)
    return frame


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
