"""The canonical CSV text of the history's tables, as written to disk and hashed.

One way to write each table (``observations.csv``, ``inputs.csv`` with its vintages, ``events.csv``):
ISO dates, each value as the shortest text that reads back to the same float, ``\\n`` line ends. The
same text is what :attr:`forecast.data.history.History.data_hash` and
:attr:`~forecast.data.history.History.input_vintage_hash` hash, so a history written and read back
has the same hashes.
"""

from __future__ import annotations

import io

import pandas as pd

from forecast import names as N


def format_value(value: float) -> str:
    """Write a value as the shortest text that reads back to the same float.

    Parameters
    ----------
    value : float
        The value.

    Returns
    -------
    str
        A whole number without a decimal point (below 2**53 in size), else the float's ``repr``.
    """
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def _record_text_table(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A copy of ``df[columns]`` with the period dates as ISO text and the values as :func:`format_value`."""
    out = df[list(columns)].copy()
    out[N.PERIOD_START] = out[N.PERIOD_START].dt.strftime("%Y-%m-%d")
    out[N.PERIOD_END] = out[N.PERIOD_END].dt.strftime("%Y-%m-%d")
    out[N.VALUE] = out[N.VALUE].map(format_value)
    return out


def _csv_text(out: pd.DataFrame) -> str:
    """``out`` as CSV text without the index, with ``\\n`` line ends."""
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def vintages_csv(df: pd.DataFrame, *, only_if_dated: bool = False) -> str:
    """Input vintages as ``inputs.csv`` text: the record columns, then ``announced`` (see ``only_if_dated``).

    Parameters
    ----------
    df : pandas.DataFrame
        Input vintages with the columns :data:`forecast.names.INPUT_COLUMNS` (``announced`` NaT where
        not given).
    only_if_dated : bool, optional
        Write the ``announced`` column only when a vintage has a date (default False: always), so a
        history without vintages writes the same file as before vintages existed.

    Returns
    -------
    str
        The CSV text.
    """
    with_date = not only_if_dated or bool(df[N.ANNOUNCED].notna().any())
    out = _record_text_table(df, N.INPUT_COLUMNS if with_date else N.RECORD_COLUMNS)
    if with_date:
        out[N.ANNOUNCED] = out[N.ANNOUNCED].dt.strftime("%Y-%m-%d").fillna("")
    return _csv_text(out)


def records_csv(df: pd.DataFrame) -> str:
    """Records (observations, or the current inputs) as CSV text in the columns of ``observations.csv``.

    Parameters
    ----------
    df : pandas.DataFrame
        Typed records with the columns :data:`forecast.names.RECORD_COLUMNS`.

    Returns
    -------
    str
        The CSV text.
    """
    return _csv_text(_record_text_table(df, N.RECORD_COLUMNS))


def events_csv(df: pd.DataFrame) -> str:
    """Events as ``events.csv`` text, their dates as precise as the source gave them.

    Parameters
    ----------
    df : pandas.DataFrame
        Typed events as :func:`forecast.data.events.validate_events` returns them.

    Returns
    -------
    str
        The CSV text, with ``start``/``end`` as written in the source (``start_text``/``end_text``).
    """
    out = df[list(N.EVENT_COLUMNS)].copy()
    out[N.EVENT_START] = df["start_text"]
    out[N.EVENT_END] = df["end_text"]
    return _csv_text(out)
