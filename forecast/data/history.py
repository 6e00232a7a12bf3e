"""The observed history of the reception chain: observations, inputs and events.

:class:`History` is the one object the rest of the library reads data from. It
holds three validated tables:

``observations``
    Mixed-frequency public statistics (flows over periods, stocks at dates,
    several definitions per series, quality flags), each with its source.
``inputs``
    Exogenous inputs and policy settings known in advance (*taakstelling*,
    capacity decisions, planning occupancy rate, cost per resident, ...). An input
    may have several *vintages* (the value first announced and later revisions,
    each with its ``announced`` date): :attr:`History.inputs` shows the current
    value of each input, :attr:`History.input_vintages` every vintage, and
    :meth:`History.until` the value as known on a date.
``events``
    Dated interventions and shocks (COVID 2020, the 2022 asieldeal, the
    Spreidingswet, the Syria moratorium, ...).

A :class:`History` is immutable in use: every method returns a new object. This module holds the
class and the loaders; the work it hands out lives next to it: :mod:`forecast.data.validation`
(reading and checking files and frames), :mod:`forecast.data.records` (input vintages),
:mod:`forecast.data.merging` (:meth:`History.merge`), :mod:`forecast.data.writing` (the canonical CSV
text, written and hashed) and :mod:`forecast.data.summary` (:meth:`History.summary` and its tables).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Container, Iterable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from forecast import atomic
from forecast import names as N
from forecast.data import validation as V
from forecast.data.merging import MergeConflictError, merge_inputs, merge_records
from forecast.data.records import current_inputs, input_vintages_frame
from forecast.data.summary import HistorySummaries
from forecast.data.writing import events_csv, records_csv, vintages_csv

__all__ = ["DateLike", "History", "MergeConflictError", "bundled_dir", "load_history"]

DateLike = str | dt.date | pd.Timestamp | np.datetime64


def _to_timestamp(date: DateLike) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(date)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        raise ValueError(f"{date!r} is not a date (use YYYY-MM-DD)") from None
    if ts is pd.NaT:
        raise ValueError(f"{date!r} is not a date (use YYYY-MM-DD)")
    return ts.normalize()


def _as_list(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def _require_known(values: list[str], known: Container[str], what: str, context: str) -> None:
    """Raise ``KeyError("unknown <what> <the unknown values><context>")`` if any value is not known."""
    unknown = [v for v in values if v not in known]
    if unknown:
        raise KeyError(f"unknown {what} {unknown}{context}")


class History(HistorySummaries):
    """The observed history of the chain, validated and leak-free to cut.

    Build one with :func:`load_history` (the bundled real history),
    :meth:`from_csv` or :meth:`from_frame` (your own data in the same schema);
    the constructor itself expects frames that were already validated.

    Parameters
    ----------
    observations, inputs, events : pandas.DataFrame
        Validated tables (see :mod:`forecast.data.validation`). ``inputs`` holds every vintage of
        every input (rows with an ``announced`` date; a frame without that column, such as
        :attr:`inputs` itself, is one vintage per input, known from its ``period_start``).
    as_of : pandas.Timestamp, optional
        The date the history was cut at by :meth:`until`, if any.

    Examples
    --------
    >>> import forecast
    >>> import pandas as pd
    >>> h = forecast.load_history()
    >>> cbs = h.select("first_applications", definition="cbs").until("2022-09-30")
    >>> obs = cbs.observations
    >>> float(obs.loc[obs["period_start"] == pd.Timestamp("2022-07-01"), "value"].iloc[0])
    11015.0
    """

    __slots__ = ("_as_of", "_events", "_inputs", "_obs", "_vintages")

    def __init__(
        self,
        observations: pd.DataFrame,
        inputs: pd.DataFrame,
        events: pd.DataFrame,
        *,
        as_of: pd.Timestamp | None = None,
    ) -> None:
        self._obs = observations.reset_index(drop=True)
        self._vintages = input_vintages_frame(inputs)
        self._inputs = current_inputs(self._vintages)
        self._events = events.reset_index(drop=True)
        self._as_of = as_of

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_csv(
        cls,
        observations: str | Path,
        inputs: str | Path | None = None,
        events: str | Path | None = None,
    ) -> History:
        """Read a history from CSV files in the bundled schema.

        Parameters
        ----------
        observations : str or Path
            An ``observations.csv``-style file; or a directory holding
            ``observations.csv`` and optionally ``inputs.csv`` and ``events.csv``.
        inputs, events : str or Path, optional
            Files for the inputs and events. When omitted (and not found in the
            directory) the bundled inputs and events are used.

        Returns
        -------
        History
            The validated history.

        Raises
        ------
        DataValidationError
            When any file is invalid; the message names file, line and series.
        """
        path = Path(observations)
        if path.is_dir():
            folder = path
            path = folder / N.OBSERVATIONS_FILE
            if inputs is None and (folder / N.INPUTS_FILE).exists():
                inputs = folder / N.INPUTS_FILE
            if events is None and (folder / N.EVENTS_FILE).exists():
                events = folder / N.EVENTS_FILE
        obs = V.read_records(path, N.OBSERVATION_SERIES, observed=True)
        bundled = load_history() if inputs is None or events is None else None
        inp = (
            V.read_records(inputs, N.INPUT_SERIES, observed=False)
            if inputs is not None
            else bundled._vintages
        )
        ev = V.read_events(events) if events is not None else bundled._events
        return cls(obs, inp, ev)

    @classmethod
    def from_frame(
        cls,
        observations: pd.DataFrame,
        inputs: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
        *,
        name: str = "<frame>",
    ) -> History:
        """Build a history from DataFrames in the bundled schema.

        Parameters
        ----------
        observations : pandas.DataFrame
            Columns :data:`forecast.names.RECORD_COLUMNS`; dates as ISO strings,
            dates or timestamps.
        inputs, events : pandas.DataFrame, optional
            Default: the bundled inputs and events. ``inputs`` may carry an ``announced`` column
            (vintages; see :attr:`input_vintages`).
        name : str, optional
            How the frame is named in error messages (default ``"<frame>"``).

        Returns
        -------
        History
            The validated history.

        Raises
        ------
        DataValidationError
            When a row is invalid; the message names the row label and series.
        """
        obs = V.validate_records(
            V.frame_rows(observations, N.RECORD_COLUMNS, name), name, N.OBSERVATION_SERIES, observed=True
        )
        bundled = load_history() if inputs is None or events is None else None
        inp = (
            V.validate_records(
                V.frame_rows(inputs, N.RECORD_COLUMNS, name + ":inputs", (N.ANNOUNCED,)),
                name + ":inputs",
                N.INPUT_SERIES,
                observed=False,
            )
            if inputs is not None
            else bundled._vintages
        )
        if events is not None:
            ev_rows = V.frame_rows(events, N.EVENT_COLUMNS, name + ":events")
            ev = V.validate_events(ev_rows, name + ":events")
        else:
            ev = bundled._events
        return cls(obs, inp, ev)

    # ------------------------------------------------------------------ tables
    @property
    def observations(self) -> pd.DataFrame:
        """The observations (a copy), sorted by series, definition and period."""
        return self._obs.copy()

    @property
    def inputs(self) -> pd.DataFrame:
        """The exogenous inputs as known (a copy): one row per input, its latest vintage.

        For every input (one ``(series, period_start, period_end, definition)``) the row of its
        latest vintage: the latest ``known_from`` (the ``announced`` date, or ``period_start`` for a
        row without one). In a history cut by :meth:`until` that is the value as known on the cut
        date. Columns :data:`forecast.names.RECORD_COLUMNS`, ``kind``, ``frequency``,
        ``source_file``, ``line``, ``announced`` (NaT where not given) and ``known_from``.
        """
        return self._inputs.copy()

    @property
    def input_vintages(self) -> pd.DataFrame:
        """Every vintage of every input (a copy), as known: the first announcement and each revision.

        The same columns as :attr:`inputs`, sorted by series, definition, period and
        ``known_from``; an input that was never revised has one row. In a history cut by
        :meth:`until`, only the vintages known on the cut date.
        """
        return self._vintages.copy()

    @property
    def input_vintage_hash(self) -> str:
        """SHA-256 of the input vintages as known (``sha256:<hex>``), announcement dates included.

        The canonical CSV text of :attr:`input_vintages` (the columns of ``inputs.csv``:
        :data:`forecast.names.INPUT_COLUMNS`). Two histories have the same hash exactly when they
        hold the same vintages with the same announcement dates, so a backtest records with each fit
        which input vintages it used (``history.until(origin).input_vintage_hash``). :attr:`data_hash`
        covers only the current value of each input.
        """
        h = hashlib.sha256()
        h.update(N.INPUTS_FILE.encode())
        h.update(vintages_csv(self._vintages).encode())
        return "sha256:" + h.hexdigest()

    @property
    def events(self) -> pd.DataFrame:
        """The dated interventions and shocks (a copy)."""
        return self._events.copy()

    @property
    def as_of(self) -> pd.Timestamp | None:
        """The date :meth:`until` cut this history at, or None."""
        return self._as_of

    @property
    def series(self) -> list[str]:
        """The observed series, sorted."""
        return sorted(self._obs[N.SERIES].unique())

    @property
    def last_date(self) -> pd.Timestamp:
        """The latest ``period_end`` of any observation."""
        return pd.Timestamp(self._obs[N.PERIOD_END].max())

    def __len__(self) -> int:
        return len(self._obs)

    # ------------------------------------------------------------------ selection
    def until(self, date: DateLike) -> History:
        """Only what was known on ``date``: a leak-free cut for backtests.

        Keeps observations whose period ended on or before ``date``; for every input, the
        value as known on ``date``: the latest vintage announced on or before it (a vintage
        without an ``announced`` date is known from its ``period_start``), so a revision
        announced later is not seen and an input with no vintage known by then is absent;
        events that had started by ``date``, with an ``end`` after ``date`` blanked (it was not
        yet known).

        Parameters
        ----------
        date : str, datetime.date, pandas.Timestamp or numpy.datetime64
            The cut-off date (inclusive); a string as ``YYYY-MM-DD``.

        Returns
        -------
        History
            The cut history, with :attr:`as_of` set to ``date``.

        Raises
        ------
        ValueError
            When ``date`` is not a date, or lies before the first figure of the history (nothing
            was known then: the message gives the first date).
        """
        ts = _to_timestamp(date)
        if not self._obs.empty:
            first = pd.Timestamp(self._obs[N.PERIOD_END].min())
            if ts < first:
                raise ValueError(
                    f"nothing was known on {ts:%Y-%m-%d}: the first figure of this history is dated "
                    f"{first:%Y-%m-%d}; cut at that date or later"
                )
        obs = self._obs[self._obs[N.PERIOD_END] <= ts]
        inp = self._vintages[self._vintages[N.KNOWN_FROM] <= ts]
        ev = self._events[self._events[N.EVENT_START] <= ts].copy()
        later = ev[N.EVENT_END] > ts
        ev.loc[later, N.EVENT_END] = pd.NaT
        ev.loc[later, "end_text"] = ""
        return History(obs, inp, ev, as_of=ts)

    def select(
        self,
        series: str | Iterable[str] | None = None,
        definition: str | Iterable[str] | None = None,
        quality: str | Iterable[str] | None = None,
    ) -> History:
        """Keep only observations of the given series, definitions and qualities.

        Inputs and events are kept whole.

        Parameters
        ----------
        series : str or iterable of str, optional
            Series names (keys of :data:`forecast.names.OBSERVATION_SERIES`); default all.
        definition : str or iterable of str, optional
            Definition codes, each a definition of one of the selected series; default all.
        quality : str or iterable of str, optional
            Quality flags (:data:`forecast.names.QUALITIES`); default all.

        Returns
        -------
        History
            A new history with the selected observations, the same inputs and events and the
            same :attr:`as_of`.

        Raises
        ------
        KeyError
            For a series, definition or quality that is not known.
        """
        mask = pd.Series(True, index=self._obs.index)
        ser = _as_list(series)
        if ser is not None:
            _require_known(ser, N.OBSERVATION_SERIES, "series", f"; known: {sorted(N.OBSERVATION_SERIES)}")
            mask &= self._obs[N.SERIES].isin(ser)
        defs = _as_list(definition)
        if defs is not None:
            allowed = {d for s in (ser or N.OBSERVATION_SERIES) for d in N.OBSERVATION_SERIES[s].definitions}
            _require_known(defs, allowed, "definition(s)", f" for series {ser or 'any'}")
            mask &= self._obs[N.DEFINITION].isin(defs)
        qual = _as_list(quality)
        if qual is not None:
            _require_known(qual, N.QUALITIES, "quality", f"; known: {list(N.QUALITIES)}")
            mask &= self._obs[N.QUALITY].isin(qual)
        return History(self._obs[mask], self._vintages, self._events, as_of=self._as_of)

    def input_series(self, series: str, definition: str | None = None) -> pd.DataFrame:
        """Return the rows of one input series (a copy), optionally of one definition.

        Parameters
        ----------
        series : str
            An input series (a key of :data:`forecast.names.INPUT_SERIES`), e.g. ``"taakstelling"``.
        definition : str, optional
            Keep only the rows of this definition code; default all.

        Returns
        -------
        pandas.DataFrame
            The rows of :attr:`inputs` of that series: the current vintage of each input (empty
            when the history has none).

        Raises
        ------
        KeyError
            When ``series`` is not a known input series.
        """
        if series not in N.INPUT_SERIES:
            raise KeyError(f"unknown input series {series!r}; known: {sorted(N.INPUT_SERIES)}")
        rows = self._inputs[self._inputs[N.SERIES] == series]
        if definition is not None:
            rows = rows[rows[N.DEFINITION] == definition]
        return rows.copy()

    # ------------------------------------------------------------------ conversion
    def to_frame(self) -> pd.DataFrame:
        """Return the observations as a DataFrame.

        Returns
        -------
        pandas.DataFrame
            A copy of :attr:`observations`.
        """
        return self.observations

    def to_xarray(self) -> xr.Dataset:
        """Return the observations as an :class:`xarray.Dataset`.

        Returns
        -------
        xarray.Dataset
            Along the dimension ``observation``: ``value`` is the data variable and every other
            column of :attr:`observations` (series, definition, period start and end, unit,
            quality, source URL, note, kind, frequency, source file and line) is a coordinate.
            The attributes hold :attr:`data_hash` and, for a cut history, ``as_of``
            (``YYYY-MM-DD``).
        """
        df = self._obs.rename_axis(N.DIM_OBSERVATION)
        coords = {c: (N.DIM_OBSERVATION, df[c].to_numpy()) for c in df.columns if c != N.VALUE}
        ds = xr.Dataset({N.VALUE: (N.DIM_OBSERVATION, df[N.VALUE].to_numpy())}, coords=coords)
        ds.attrs["data_hash"] = self.data_hash
        if self._as_of is not None:
            ds.attrs["as_of"] = self._as_of.date().isoformat()
        return ds

    # ------------------------------------------------------------------ merging
    def merge(
        self,
        new: History | pd.DataFrame | str | Path,
        *,
        overwrite: bool = False,
    ) -> History:
        """Add new rows (a quarterly update) onto this history.

        Rows whose key ``(series, period_start, period_end, definition)`` is new
        are added. A row whose key exists with the same value is accepted (so
        merging the same update twice is harmless). A row whose key exists with a
        different value is a conflict: :class:`MergeConflictError` lists them all,
        unless ``overwrite=True``, in which case the new row replaces the old.

        Input rows are vintages: a row with an ``announced`` date is compared with the
        vintage of the same input announced the same day (none: it is added as a revision);
        a row without one is compared with the vintage without one, or else with the current
        value (``overwrite=True`` then replaces every vintage of that input by the new row).

        Parameters
        ----------
        new : History, DataFrame or path
            The new rows. A DataFrame or path holds observations only; a
            :class:`History` may also bring inputs and events (only its own
            inputs/events are merged when it was built with them).
        overwrite : bool
            Replace contradicted rows instead of raising (on the command line: ``--overwrite``).

        Returns
        -------
        History
            A new object; this one is unchanged.

        Raises
        ------
        MergeConflictError
            When new rows contradict existing ones and ``overwrite`` is False; nothing is merged.
        DataValidationError
            When ``new`` is a DataFrame or file with an invalid row, or the merged inputs hold two
            different values of one input known from the same day.
        """
        if isinstance(new, History):
            new_obs, new_inputs, new_events = new._obs, new._vintages, new._events
        elif isinstance(new, pd.DataFrame):
            new_obs = V.validate_records(
                V.frame_rows(new, N.RECORD_COLUMNS, "<frame>"), "<frame>", N.OBSERVATION_SERIES, observed=True
            )
            new_inputs, new_events = None, None
        else:
            new_obs = V.read_records(new, N.OBSERVATION_SERIES, observed=True)
            new_inputs, new_events = None, None
        obs = merge_records(self._obs, new_obs, overwrite, "observation")
        inputs = self._vintages if new_inputs is None else merge_inputs(self._vintages, new_inputs, overwrite)
        events = self._events
        if new_events is not None:
            extra = new_events[~new_events[N.EVENT].isin(events[N.EVENT])]
            events = pd.concat([events, extra], ignore_index=True).sort_values(N.EVENT_START, kind="stable")
        return History(obs, inputs, events)

    # ------------------------------------------------------------------ writing
    def to_csv(self, directory: str | Path) -> None:
        """Write ``observations.csv``, ``inputs.csv`` and ``events.csv`` to a directory.

        Each file is written to a temporary name and renamed into place, so an
        interrupted write never leaves a half-written file. ``inputs.csv`` holds every input
        vintage, with the ``announced`` column when any vintage has a date.

        Parameters
        ----------
        directory : str or Path
            The folder (created if needed); existing files of those names are replaced.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        texts = {
            N.OBSERVATIONS_FILE: records_csv(self._obs),
            N.INPUTS_FILE: vintages_csv(self._vintages, only_if_dated=True),
            N.EVENTS_FILE: events_csv(self._events),
        }
        for name, text in texts.items():
            atomic.write_text(directory / name, text)

    def _csv_texts(self) -> dict[str, str]:
        return {
            N.OBSERVATIONS_FILE: records_csv(self._obs),
            N.INPUTS_FILE: records_csv(self._inputs),
            N.EVENTS_FILE: events_csv(self._events),
        }

    @property
    def data_hash(self) -> str:
        """SHA-256 of the canonical CSV text of the data as the model sees it (``sha256:<hex>``).

        The observations, the current value of every input (:attr:`inputs`, in the columns
        :data:`forecast.names.RECORD_COLUMNS`) and the events. Announcement dates and superseded
        vintages are not part of it: :attr:`input_vintage_hash` records them.
        """
        h = hashlib.sha256()
        for name, text in self._csv_texts().items():
            h.update(name.encode())
            h.update(text.encode())
        return "sha256:" + h.hexdigest()


_BUNDLED: History | None = None


def bundled_dir() -> Path:
    """Locate the folder of the bundled CSV files inside the installed package.

    Returns
    -------
    Path
        ``forecast/data/bundled``, holding ``observations.csv``, ``inputs.csv`` and ``events.csv``.
    """
    return Path(str(resources.files("forecast.data") / "bundled"))


def load_history(
    observations: str | Path | None = None,
    inputs: str | Path | None = None,
    events: str | Path | None = None,
) -> History:
    """Load the bundled real history, or your own files in the same schema.

    Parameters
    ----------
    observations, inputs, events : str or Path, optional
        Files to use instead of the bundled ones; any left out are bundled.

    Returns
    -------
    History
        The validated history. The bundled one is read once and then shared: it is immutable
        in use, so the same object is returned each time.

    Examples
    --------
    >>> import forecast
    >>> h = forecast.load_history()
    >>> len(h) > 700
    True
    """
    global _BUNDLED
    if observations is not None:
        return History.from_csv(observations, inputs, events)
    if _BUNDLED is None:
        folder = bundled_dir()
        _BUNDLED = History(
            V.read_records(folder / N.OBSERVATIONS_FILE, N.OBSERVATION_SERIES, observed=True),
            V.read_records(folder / N.INPUTS_FILE, N.INPUT_SERIES, observed=False),
            V.read_events(folder / N.EVENTS_FILE),
        )
    if inputs is None and events is None:
        return _BUNDLED
    return History(
        _BUNDLED._obs,
        V.read_records(inputs, N.INPUT_SERIES, observed=False) if inputs is not None else _BUNDLED._vintages,
        V.read_events(events) if events is not None else _BUNDLED._events,
    )
