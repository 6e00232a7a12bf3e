"""The argparse value types of the ``forecast`` options: each turns one option's text into its value.

Each raises :class:`argparse.ArgumentTypeError`, so argparse prints ``argument --draws: <message>``
and exits with code 2 before any work starts. ``--capacity`` takes a number of places or a CSV file
of places per month, read and checked here line by line.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from forecast import names as N
from forecast.extras import MissingExtraError, require

MAX_SEED = 2**32 - 1
"""The largest ``--seed`` (the samplers and numpy take seeds up to this size)."""

MAX_CAPACITY_FILE_BYTES = 1_000_000
"""A ``--capacity`` file larger than this (1 MB) is refused: one line per month is a few kB."""


def int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """The argparse type of a whole number in ``minimum .. maximum``.

    Parameters
    ----------
    minimum : int
        The smallest value allowed.
    maximum : int, optional
        The largest value allowed (default: no limit).

    Returns
    -------
    callable
        ``parse(text) -> int``, named ``int_at_least_<minimum>``.
    """

    def parse(text: str) -> int:
        """One option's text as a whole number within the limits.

        Parameters
        ----------
        text : str
            The option's text.

        Returns
        -------
        int
            The number.

        Raises
        ------
        argparse.ArgumentTypeError
            For text that is not a whole number, or a number outside the limits.
        """
        if not re.fullmatch(r"\s*[+-]?\d+\s*", text):
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}")
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    parse.__name__ = f"int_at_least_{minimum}"
    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)
seed = int_at_least(0, MAX_SEED)


def target_accept(text: str) -> float:
    """A target acceptance rate of NUTS's step size adaptation: a number strictly between 0 and 1.

    Parameters
    ----------
    text : str
        The option's text.

    Returns
    -------
    float
        The rate.

    Raises
    ------
    argparse.ArgumentTypeError
        For text that is not a number, or a number outside (0, 1).
    """
    from forecast.model.sampler import check_target_accept  # the rule SamplerSettings applies

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 1, got {text!r}") from None
    try:
        return check_target_accept(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def scheduler(text: str) -> str:
    """A dask scheduler address; refused at once when the ``cluster`` extra is not installed.

    Parameters
    ----------
    text : str
        The address.

    Returns
    -------
    str
        The address, unchanged.

    Raises
    ------
    argparse.ArgumentTypeError
        When the ``distributed`` package (the ``cluster`` extra) is not installed.
    """
    try:
        require("distributed", "cluster", "--scheduler (a dask cluster)")
    except MissingExtraError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def templates(text: str) -> str:
    """A folder of report templates; refused at once when it is not one or a template does not parse.

    Parameters
    ----------
    text : str
        The folder.

    Returns
    -------
    str
        The folder, unchanged.

    Raises
    ------
    argparse.ArgumentTypeError
        When it is not a folder, or a template in it does not parse (naming the file and line).
    """
    import jinja2

    from forecast.reports.render import PageRenderer

    try:
        PageRenderer(text)
    except FileNotFoundError:
        raise argparse.ArgumentTypeError(f"{text}: not a folder") from None
    except jinja2.TemplateSyntaxError as exc:
        raise argparse.ArgumentTypeError(f"{exc.filename}, line {exc.lineno}: {exc.message}") from None
    return text


def fits_folder(text: str) -> str:
    """A folder of saved backtest fits: it may not exist yet (it is made), but may not be a file.

    Parameters
    ----------
    text : str
        The folder.

    Returns
    -------
    str
        The folder, unchanged.

    Raises
    ------
    argparse.ArgumentTypeError
        When the path exists and is not a folder.
    """
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text}: not a folder (saved fits go into a folder)")
    return text


_DATE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def _parse_date(text: str, *, month_ok: bool) -> dt.date:
    """``YYYY-MM-DD`` (or ``YYYY-MM`` when ``month_ok``, for the first of that month) as a date."""
    form = "YYYY-MM-DD or YYYY-MM" if month_ok else "YYYY-MM-DD"
    m = _DATE.fullmatch(text.strip())
    if m is None or (m.group(3) is None and not month_ok):
        raise argparse.ArgumentTypeError(f"must be a date {form}, got {text!r}")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date ({exc})") from None


def date(text: str) -> str:
    """A day, ``YYYY-MM-DD``: returned in ISO form.

    Parameters
    ----------
    text : str
        The option's text.

    Returns
    -------
    str
        The day, ``YYYY-MM-DD``.

    Raises
    ------
    argparse.ArgumentTypeError
        For text that is not such a date.
    """
    return _parse_date(text, month_ok=False).isoformat()


def month_or_date(text: str) -> str:
    """Any day of a month, ``YYYY-MM-DD``, or the month itself, ``YYYY-MM`` (its first day).

    Parameters
    ----------
    text : str
        The option's text.

    Returns
    -------
    str
        The day, ``YYYY-MM-DD``.

    Raises
    ------
    argparse.ArgumentTypeError
        For text that is neither form.
    """
    return _parse_date(text, month_ok=True).isoformat()


def month_start(text: str) -> str:
    """The first day of a month: ``YYYY-MM-01`` or ``YYYY-MM``.

    Parameters
    ----------
    text : str
        The option's text.

    Returns
    -------
    str
        The first day of the month, ``YYYY-MM-01``.

    Raises
    ------
    argparse.ArgumentTypeError
        For text that is not a date, or a day that is not the first of its month.
    """
    day = _parse_date(text, month_ok=True)
    if day.day != 1:
        raise argparse.ArgumentTypeError(
            f"must be the first day of a month (YYYY-MM-01 or YYYY-MM), got {text!r}"
        )
    return day.isoformat()


def series(text: str) -> str:
    """An observed series name.

    Parameters
    ----------
    text : str
        The option's text.

    Returns
    -------
    str
        The series name, unchanged.

    Raises
    ------
    argparse.ArgumentTypeError
        For a name that is not one of :data:`forecast.names.OBSERVATION_SERIES`.
    """
    if text not in N.OBSERVATION_SERIES:
        raise argparse.ArgumentTypeError(
            f"unknown series {text!r}; known: {', '.join(sorted(N.OBSERVATION_SERIES))}"
        )
    return text


def ended(text: str) -> tuple[str, str]:
    """``MEASURE=YYYY-MM``: a measure and the first month without it.

    Parameters
    ----------
    text : str
        The option's text.

    Returns
    -------
    tuple of str
        The measure id and the month, ``YYYY-MM``.

    Raises
    ------
    argparse.ArgumentTypeError
        For text not of that form, or a month that is not one.
    """
    measure, sep, month = text.partition("=")
    if not sep or not measure.strip() or not month.strip():
        raise argparse.ArgumentTypeError(
            f"expected MEASURE=YYYY-MM (the first month without the measure), got {text!r}"
        )
    try:
        first = month_start(month)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: the month {exc}") from None
    return measure.strip(), first[:7]


# thousands separators as people write them: 75.000 (Dutch), 75,000, 75 000, 75'000, 75_000
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[.,' _\u00a0]\d{3})+")
_NUMBER_LIKE = re.compile(
    r"[+-]?(?=[^a-zA-Z]*\d)[\d.,' _\u00a0]+(?:[eE][+-]?\d+)?|[+-]?(?:inf|infinity|nan)", re.I
)
_WHOLE = re.compile(r"\d+")
_PLACES_RULE = "a positive whole number of places, digits only (e.g. 75000)"


def places(text: str) -> int:
    """A positive whole number of places, digits only.

    Parameters
    ----------
    text : str
        The number as written (an option, or a cell of a capacity file).

    Returns
    -------
    int
        The number of places.

    Raises
    ------
    ValueError
        With the reason: a thousands separator (``75.000``, ``75,000``), or not a positive whole number.
    """
    text = text.strip()
    if _THOUSANDS.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        raise ValueError(
            f"{text!r} looks like a number with a thousands separator, which Dutch and English read "
            f"differently (75.000 is 75 in English): write {digits}, digits only"
        )
    if not _WHOLE.fullmatch(text) or int(text) <= 0:
        raise ValueError(f"{text!r} is not {_PLACES_RULE}")
    return int(text)


def capacity(text: str) -> float | pd.Series:
    """``--capacity PLACES|FILE``: a flat number of places, or a CSV file with columns month, places.

    The number and every ``places`` of the file are positive whole numbers written with digits only
    (``75.000`` or ``75,000`` is refused: Dutch and English read them differently). The file is
    UTF-8 text of at most :data:`MAX_CAPACITY_FILE_BYTES`, one line per month (``YYYY-MM`` or the
    first of the month), no month twice; an error names the file, the line and the reason.

    Parameters
    ----------
    text : str
        The option's text: a number or a file path.

    Returns
    -------
    float or pandas.Series
        The flat number of places, or the places per month (see :func:`capacity_file`).

    Raises
    ------
    argparse.ArgumentTypeError
        For a number or a file that breaks the rules above, or a path that is no file.
    """
    if _NUMBER_LIKE.fullmatch(text.strip()):
        try:
            return float(places(text))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    path = Path(text)
    if not path.is_file():
        why = "a folder" if path.is_dir() else "no such file"
        raise argparse.ArgumentTypeError(
            f"{text!r} is neither a number of places nor a CSV file ({why}); give {_PLACES_RULE}, "
            "or a CSV file with columns month, places"
        )
    try:
        return capacity_file(path)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _file_text(path: Path) -> str:
    """The file as UTF-8 text; ``ValueError`` for a file too large, unreadable or not text."""
    try:
        size = path.stat().st_size
        if size > MAX_CAPACITY_FILE_BYTES:
            raise ValueError(
                f"{path}: {size:,} bytes, more than the {MAX_CAPACITY_FILE_BYTES:,} a capacity file may "
                "have (one line per month is a few kB): is it the right file?"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc.strerror})") from None
    what = "not a UTF-8 text file (a binary file?); a capacity file is a CSV with columns month, places"
    bad = [data.find(b"\0")]  # a NUL byte: valid UTF-8, but no text file holds one
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad.append(exc.start)
    bad = [offset for offset in bad if offset >= 0]
    if bad:
        raise ValueError(f"{path}, line {_line_of(data, min(bad))}: {what}")
    return text


def capacity_file(path: Path) -> pd.Series:
    """Read and check a capacity CSV (columns month, places).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    pandas.Series
        The places per month (``name="places"``, indexed by the months' first days, sorted), with
        the file's path in ``attrs["file"]``.

    Raises
    ------
    ValueError
        Naming the file, the line and the reason: too large, unreadable, not UTF-8 text, not a
        readable CSV, a missing column, a bad month or number of places, a month given twice, or no
        months at all.
    """
    text = _file_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    months: dict[pd.Timestamp, int] = {}
    values: list[float] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [cell.strip().lower() for cell in row]
                missing = [c for c in ("month", "places") if c not in header]
                if missing:
                    raise ValueError(
                        f"{path}, line {line}: the header must name the columns month, places "
                        f"(missing {', '.join(missing)}; found {', '.join(map(repr, row))})"
                    )
                continue
            if len(row) != len(header):
                hint = (
                    " (a thousands separator such as 75,000? write 75000)" if len(row) > len(header) else ""
                )
                raise ValueError(
                    f"{path}, line {line}: {len(row)} field(s) where the header has {len(header)}{hint}"
                )
            cells = dict(zip(header, row, strict=True))
            month = _capacity_month(cells["month"])
            if month is None:
                raise ValueError(
                    f"{path}, line {line}: month {cells['month'].strip()!r} is not a month: write YYYY-MM "
                    "(or the first of the month, YYYY-MM-01)"
                )
            if month in months:
                raise ValueError(
                    f"{path}, line {line}: month {month:%Y-%m} is given twice (first on line {months[month]})"
                )
            try:
                number = places(cells["places"])
            except ValueError as exc:
                raise ValueError(f"{path}, line {line}: places {exc}") from None
            months[month] = line
            values.append(float(number))
    except csv.Error as exc:
        raise ValueError(f"{path}, line {reader.line_num}: not a readable CSV ({exc})") from None
    if header is None:
        raise ValueError(
            f"{path}, line 1: the file is empty; expected the header month,places and a line per month"
        )
    if not values:
        raise ValueError(f"{path}, line {reader.line_num + 1}: no months after the header month,places")
    result = pd.Series(values, index=pd.DatetimeIndex(list(months)), name="places").sort_index()
    result.attrs["file"] = str(path)
    return result


def _line_of(data: bytes, offset: int) -> int:
    """The 1-based line of byte ``offset`` in ``data``."""
    return data.count(b"\n", 0, offset) + 1


def _capacity_month(text: str) -> pd.Timestamp | None:
    """``YYYY-MM`` or ``YYYY-MM-01`` as the month's first day; None for anything else."""
    m = _DATE.fullmatch(text.strip())
    if m is None or m.group(3) not in (None, "01") or not 1 <= int(m.group(2)) <= 12:
        return None
    return pd.Timestamp(int(m.group(1)), int(m.group(2)), 1)
