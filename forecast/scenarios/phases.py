"""The phases (fases) of the policy note, as data.

The beslisnota distinguishes a *voorbereidingsfase* (now until July 2026), an
*implementatiefase* (July 2026 – July 2027) and a *normalisatiefase* (from July
2027), and advises to evaluate each phase before the next step. The dates live
in ``priors/policy/phases.toml`` (shipped as
``forecast/priors/defaults/policy/phases.toml``), not in code::

    [[phase]]
    name = "implementatie"
    name_nl = "implementatiefase"
    description = "..."
    start = "2026-07-01"      # inclusive, first of a month
    end = "2027-07-01"        # exclusive; left out for the last phase: the forecast horizon end
    source = "..."

Phases must follow each other without gap or overlap. :meth:`PhaseSchedule.phase_of`
labels every month of a forecast with its phase, vectorised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.scenarios.files import (
    PolicyConfigError,
    check_fields,
    default_policy_path,
    identifier_field,
    month_index,
    month_start,
    read_toml,
    table_array,
    text_field,
)

_REQUIRED = ("name", "name_nl", "description", "start", "source")
_OPTIONAL = ("end",)


@dataclass(frozen=True)
class Phase:
    """One phase of the policy note.

    Parameters
    ----------
    name : str
        Identifier (``"voorbereiding"``), used as a coordinate label.
    name_nl : str
        The Dutch name in the note (``"voorbereidingsfase"``).
    description : str
        What happens in the phase, in English.
    start : pandas.Timestamp
        First day (inclusive; the first of a month).
    end : pandas.Timestamp
        First day after the phase (exclusive; the first of a month).
    source : str
        Where the dates come from.
    open_ended : bool
        True when the file gives no end and the phase runs to the forecast horizon end.
    """

    name: str
    name_nl: str
    description: str
    start: pd.Timestamp
    end: pd.Timestamp
    source: str
    open_ended: bool = False

    @property
    def months(self) -> pd.DatetimeIndex:
        """The month starts of the phase."""
        return pd.date_range(self.start, self.end, freq="MS", inclusive="left")

    def contains(self, month: Any) -> bool:
        """Whether a month (any day in it) lies in the phase.

        Parameters
        ----------
        month : Any
            A date-like value (string, ``datetime.date``, ``numpy.datetime64``, ``pandas.Period``);
            any day stands for its month. Of an array, only the first month is checked.

        Returns
        -------
        bool
            True when the month's first day is on or after :attr:`start` and before :attr:`end`.
        """
        m = month_index(month)[0]
        return bool(self.start <= m < self.end)


@dataclass(frozen=True)
class PhaseSchedule:
    """The phases in time order, contiguous; use :func:`load_phases` to read them.

    Parameters
    ----------
    phases : tuple of Phase
        In time order; each ends where the next starts.
    horizon_end : pandas.Timestamp
        The last day of the forecast horizon (inclusive) the schedule was read with.
    file : str
        The file the phases were read from.
    """

    phases: tuple[Phase, ...]
    horizon_end: pd.Timestamp
    file: str = ""

    def __iter__(self) -> Iterator[Phase]:
        return iter(self.phases)

    def __len__(self) -> int:
        return len(self.phases)

    def __getitem__(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(f"no phase named {name!r}; the phases are {list(self.names)}")

    def __contains__(self, name: object) -> bool:
        return name in self.names

    @property
    def names(self) -> tuple[str, ...]:
        """Phase names in time order."""
        return tuple(p.name for p in self.phases)

    @property
    def start(self) -> pd.Timestamp:
        """First day of the first phase."""
        return self.phases[0].start

    @property
    def end(self) -> pd.Timestamp:
        """First day after the last phase (exclusive)."""
        return self.phases[-1].end

    @property
    def months(self) -> pd.DatetimeIndex:
        """Every month start from the first phase to the end of the last."""
        return pd.date_range(self.start, self.end, freq="MS", inclusive="left")

    def phase_of(self, months: Any, outside: str | None = N.NO_PHASE) -> np.ndarray:
        """The phase name of every month, vectorised.

        Parameters
        ----------
        months : array-like of dates, pandas.DatetimeIndex, pandas.PeriodIndex or a scalar
            The months (any day in a month stands for the month), e.g. the ``month``
            coordinate of a forecast.
        outside : str or None, default :data:`forecast.names.NO_PHASE`
            Label for a month in no phase (before the first, after the last);
            ``None`` raises instead.

        Returns
        -------
        numpy.ndarray of str
            One label per month, in the order given (a 0-d array for a scalar).

        Raises
        ------
        ValueError
            With ``outside=None``, when a month lies in no phase; or when ``months``
            cannot be read as dates.

        Examples
        --------
        >>> phases = load_phases()
        >>> phases.phase_of(["2026-06-01", "2026-07-15", "2031-01-01"]).tolist()
        ['voorbereiding', 'implementatie', 'buiten_fasering']
        """
        scalar = isinstance(months, str | dt.date | np.datetime64 | pd.Period)
        m = month_index(months).values
        starts = np.array([p.start.to_datetime64() for p in self.phases], dtype="datetime64[ns]")
        ends = np.array([p.end.to_datetime64() for p in self.phases], dtype="datetime64[ns]")
        i = np.searchsorted(starts, m, side="right") - 1
        inside = (i >= 0) & (m < ends[np.clip(i, 0, None)])
        if outside is None and not inside.all():
            bad = pd.DatetimeIndex(m[~inside])
            shown = ", ".join(d.strftime("%Y-%m") for d in bad[:5])
            raise ValueError(
                f"{(~inside).sum()} month(s) lie in no phase ({self.start:%Y-%m} to {self.end:%Y-%m}, "
                f"end exclusive): {shown}"
            )
        labels = np.array([*self.names, outside if outside is not None else ""], dtype=object)
        out = labels[np.where(inside, i, len(self.phases))].astype(str)
        return out.reshape(()) if scalar else out

    def to_frame(self) -> pd.DataFrame:
        """A table of the phases: name, Dutch name, start, end (exclusive), months, description, source.

        Returns
        -------
        pandas.DataFrame
            One row per phase in time order, with columns ``phase``, ``name_nl``, ``start``,
            ``end`` (exclusive), ``months`` (number of months), ``open_ended``, ``description``
            and ``source``.
        """
        return pd.DataFrame(
            [
                {
                    "phase": p.name,
                    "name_nl": p.name_nl,
                    "start": p.start,
                    "end": p.end,
                    "months": len(p.months),
                    "open_ended": p.open_ended,
                    "description": p.description,
                    "source": p.source,
                }
                for p in self.phases
            ]
        )


def _horizon_end(value: Any) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise PolicyConfigError(f"horizon_end: not a date: {value!r}") from None
    if pd.isna(stamp):
        raise PolicyConfigError(f"horizon_end: not a date: {value!r}")
    return stamp.normalize()


def load_phases(path: str | Path | None = None, *, horizon_end: Any = N.DEFAULT_HORIZON_END) -> PhaseSchedule:
    """Read and validate the phases file.

    Parameters
    ----------
    path : str or Path, optional
        A ``phases.toml``; default: the bundled ``priors/policy/phases.toml``.
    horizon_end : date-like, default :data:`forecast.names.DEFAULT_HORIZON_END`
        Last day (inclusive) of the forecast horizon: the end of a last phase that
        the file leaves open. Its whole month is included.

    Returns
    -------
    PhaseSchedule
        The phases in time order, contiguous, with the horizon end they were read with.

    Raises
    ------
    PolicyConfigError
        For a missing file, invalid TOML, a missing or unknown field, a name that is
        not snake_case or is used twice, an unparseable date or one not on the first
        of a month, a phase that ends before it starts, an open end on any but the
        last phase, phases out of order, a gap or an overlap between phases, or a
        horizon end before the start of an open last phase.
    """
    path = Path(path) if path is not None else default_policy_path(N.PHASES_FILE)
    data, file = read_toml(path)
    extra = sorted(set(data) - {"phase"})
    if extra:
        raise PolicyConfigError(f"{file}: unknown top-level key(s) {extra}; expected only [[phase]] tables")
    horizon = _horizon_end(horizon_end)
    horizon_next = (pd.Period(horizon, freq="M") + 1).to_timestamp(how="start")
    entries = table_array(data, "phase", file)
    phases: list[Phase] = []
    for number, raw in enumerate(entries, start=1):
        label = raw.get("name") if isinstance(raw.get("name"), str) else f"phase {number}"
        where = f"{file} [{label}]"
        check_fields(raw, where, _REQUIRED, _OPTIONAL)
        name = identifier_field(raw, "name", where)
        if name in (p.name for p in phases):
            raise PolicyConfigError(f"{where}: phase name {name!r} is used twice")
        start = month_start(raw["start"], where, "start")
        last = number == len(entries)
        if "end" in raw:
            end = month_start(raw["end"], where, "end")
            open_ended = False
        elif last:
            if horizon_next <= start:
                raise PolicyConfigError(
                    f"{where}: the forecast horizon ends {horizon:%Y-%m-%d}, before this open-ended "
                    f"phase starts ({start:%Y-%m-%d})"
                )
            end, open_ended = horizon_next, True
        else:
            raise PolicyConfigError(f"{where}: missing 'end' (only the last phase may be open-ended)")
        if end <= start:
            raise PolicyConfigError(f"{where}: end {end:%Y-%m-%d} is not after start {start:%Y-%m-%d}")
        if phases:
            prev = phases[-1]
            if start < prev.start:
                raise PolicyConfigError(
                    f"{where}: phases must be in time order; starts {start:%Y-%m-%d}, before "
                    f"'{prev.name}' ({prev.start:%Y-%m-%d})"
                )
            if start > prev.end:
                raise PolicyConfigError(
                    f"{where}: gap between '{prev.name}' (ends {prev.end:%Y-%m-%d}, exclusive) and "
                    f"'{name}' (starts {start:%Y-%m-%d}); every month must lie in one phase"
                )
            if start < prev.end:
                raise PolicyConfigError(
                    f"{where}: overlaps '{prev.name}' (ends {prev.end:%Y-%m-%d}, exclusive; "
                    f"'{name}' starts {start:%Y-%m-%d})"
                )
        phases.append(
            Phase(
                name=name,
                name_nl=text_field(raw, "name_nl", where),
                description=text_field(raw, "description", where),
                start=start,
                end=end,
                source=text_field(raw, "source", where),
                open_ended=open_ended,
            )
        )
    return PhaseSchedule(tuple(phases), horizon, file)


def phase_of(
    months: Any, phases: PhaseSchedule | None = None, outside: str | None = N.NO_PHASE
) -> np.ndarray:
    """The phase name of every month (see :meth:`PhaseSchedule.phase_of`); default: the bundled phases.

    Parameters
    ----------
    months : Any
        The months: array-like of dates, ``pandas.DatetimeIndex``, ``pandas.PeriodIndex`` or a
        scalar (any day in a month stands for the month).
    phases : PhaseSchedule, optional
        The phases; default: :func:`load_phases` with its defaults (the bundled file).
    outside : str or None, default :data:`forecast.names.NO_PHASE`
        Label for a month in no phase; ``None`` raises instead.

    Returns
    -------
    numpy.ndarray of str
        One phase name per month, in the order given (a 0-d array for a scalar).

    Raises
    ------
    ValueError
        With ``outside=None``, when a month lies in no phase; or when ``months`` cannot be
        read as dates.
    """
    return (phases if phases is not None else load_phases()).phase_of(months, outside=outside)


#: Reductions :func:`by_phase` accepts.
PHASE_REDUCTIONS = ("mean", "sum", "min", "max")


def by_phase(
    data: xr.DataArray, phases: PhaseSchedule | None = None, *, dim: str = N.DIM_MONTH, how: str = "mean"
) -> xr.DataArray:
    """Reduce a monthly DataArray to one value per phase (e.g. mean opvangbehoefte per fase).

    Parameters
    ----------
    data : xarray.DataArray
        With a month dimension whose coordinate holds dates.
    phases : PhaseSchedule, optional
        Default: the bundled phases.
    dim : str, default ``"month"``
        The month dimension.
    how : {"mean", "sum", "min", "max"}
        The reduction over the months of each phase.

    Returns
    -------
    xarray.DataArray
        ``dim`` replaced by ``fase`` (phases in time order; months in no phase
        are dropped, phases without months are left out).
    """
    if how not in PHASE_REDUCTIONS:
        raise ValueError(f"how must be one of {PHASE_REDUCTIONS}, got {how!r}")
    if dim not in data.dims:
        raise ValueError(f"the data has no {dim!r} dimension (dims: {data.dims})")
    schedule = phases if phases is not None else load_phases()
    labels = schedule.phase_of(data[dim].values)
    inside = labels != N.NO_PHASE
    if not inside.any():
        raise ValueError(
            f"no month of the data lies in a phase ({schedule.start:%Y-%m} to {schedule.end:%Y-%m})"
        )
    da = data.isel({dim: np.flatnonzero(inside)}).assign_coords({N.DIM_PHASE: (dim, labels[inside])})
    reduced = getattr(da.groupby(N.DIM_PHASE), how)(dim)
    present = {str(v) for v in reduced[N.DIM_PHASE].values}
    return reduced.sel({N.DIM_PHASE: [p for p in schedule.names if p in present]})
