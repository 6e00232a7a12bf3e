"""The typed record frame and its input vintages.

Validated rows become one frame with typed columns, sorted the same way every time; an input may
hold several vintages (the value first announced and later revisions), each known from its
``announced`` date or else its ``period_start``, and two different values of one input known from
the same day are refused because they cannot be ordered. The current value of an input is its
latest vintage.
"""

from __future__ import annotations

import pandas as pd

from forecast import names as N
from forecast.data.problems import Problem


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


_INPUT_ORDER = [N.SERIES, N.DEFINITION, N.PERIOD_END, N.PERIOD_START, N.KNOWN_FROM]


def input_vintages_frame(inputs: pd.DataFrame) -> pd.DataFrame:
    """Every input vintage with ``announced`` (NaT where absent) and ``known_from``, in canonical order.

    Parameters
    ----------
    inputs : pandas.DataFrame
        Typed input rows, with or without an ``announced`` column (without: one vintage per input,
        known from its ``period_start``).

    Returns
    -------
    pandas.DataFrame
        A new frame with ``announced`` and ``known_from`` as ``datetime64[s]``, sorted by series,
        definition, period end, period start and ``known_from``.
    """
    df = inputs.reset_index(drop=True).copy()
    if N.ANNOUNCED not in df:
        df[N.ANNOUNCED] = pd.NaT
    df[N.ANNOUNCED] = pd.to_datetime(df[N.ANNOUNCED]).astype("datetime64[s]")
    df[N.KNOWN_FROM] = known_from(df)
    return df.sort_values(_INPUT_ORDER, kind="stable").reset_index(drop=True)


def current_inputs(vintages: pd.DataFrame) -> pd.DataFrame:
    """The latest vintage (largest ``known_from``; of equals the last) of every input, in canonical order.

    Parameters
    ----------
    vintages : pandas.DataFrame
        Input vintages as :func:`input_vintages_frame` returns them.

    Returns
    -------
    pandas.DataFrame
        One row per input (one :data:`forecast.names.RECORD_KEY`), in the order of
        :func:`input_vintages_frame`.
    """
    if vintages.empty:
        return vintages.copy()
    ranked = vintages.sort_values([*N.RECORD_KEY, N.KNOWN_FROM], kind="stable")
    latest = ranked.groupby(list(N.RECORD_KEY), sort=False, dropna=False).tail(1)
    return latest.sort_values(_INPUT_ORDER, kind="stable").reset_index(drop=True)
