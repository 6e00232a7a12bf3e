"""The scenario engine's inputs besides the fit: the regular capacity path and the reception costs.

Both come from the history's inputs as known (:meth:`forecast.data.history.History.input_series`): the
regular capacity path is the latest ``coa_capacity_regular`` (regular, non-emergency COA places)
held flat, unless a user gives a number or a path; the costs are the latest regular and emergency
cost per resident per year. :class:`ScenarioError` is the error of bad scenario engine input.

Capacity, noodopvang and cost
-----------------------------
Need in places is persons ÷ the planning occupancy rate in force
(:func:`forecast.model.planning_occupancy_rate`). For a regular capacity path ``C_t`` (regular,
non-emergency places; default: the latest ``coa_capacity_regular`` in the inputs as known, held flat;
or a user's number or path; never the total COA capacity, which includes noodopvang) plus the
measures' places (a ``level`` effect raises ``C_t`` to at least its level, so that no place is counted
twice; see :mod:`forecast.scenarios.effects`):

.. math::

    \\text{tekort}_t = \\max(0, \\text{need\\_places}_t - C_t), \\qquad
    \\text{noodopvang}_t = \\max(0, \\text{need}_t - C_t), \\qquad
    \\text{cost}_t = \\frac{(\\text{need}_t - \\text{noodopvang}_t)\\, c_r + \\text{noodopvang}_t\\, c_e}{12}

with ``need`` in persons: the planning buffer makes need in places exceed the capacity before
anyone is in noodopvang (the regular places are filled up first), and ``c_r``, ``c_e`` the latest
regular and emergency cost *per resident* per year of the inputs (``cost_per_resident_*``, nominal euros
of the year they cover; per-place costs, ``cost_per_place_*``, are not used because need and
noodopvang count persons), held flat (not indexed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N


class ScenarioError(ValueError):
    """Bad scenario engine input (capacity path, scenarios, model)."""


@dataclass(frozen=True)
class CapacityPath:
    """Regular COA places per forecast month before any measure, and where they come from.

    Parameters
    ----------
    places : numpy.ndarray
        Shape ``(month,)``: regular (non-emergency) reception places in each forecast month, finite
        and >= 0.
    description : str
        Where the path comes from (the input row it holds flat: value, date, source; or "given"),
        for provenance; the reports print it.
    """

    places: np.ndarray
    description: str


@dataclass(frozen=True)
class ReceptionCosts:
    """Cost per resident per year (euro) in regular reception and in noodopvang, with sources.

    Parameters
    ----------
    regular : float
        Euro per resident per year in regular COA reception (nominal euros of its year).
    emergency : float
        Euro per resident per year in noodopvang (nominal euros of its year).
    description : str
        Both amounts with the definition, period, price year and source of the input rows they
        come from.
    """

    regular: float
    emergency: float
    description: str


#: The input series of the default capacity path: regular (non-emergency) COA places.
REGULAR_CAPACITY_SERIES = "coa_capacity_regular"
#: The input series of the default reception costs (euro per resident per year).
COST_SERIES = ("cost_per_resident_regular", "cost_per_resident_emergency")


def _latest_input(history, series: str, hint: str = "") -> pd.Series:
    rows = history.input_series(series)
    if rows.empty:
        raise ScenarioError(f"the history's inputs have no {series!r} row{hint}")
    return rows.sort_values([N.PERIOD_END, N.VALUE]).iloc[-1]


def capacity_path(history, months: pd.DatetimeIndex, places: Any = None) -> CapacityPath:
    """The regular capacity path over ``months``.

    Parameters
    ----------
    history : History
        Its inputs give the default: the latest ``coa_capacity_regular`` row (regular places as
        known, without noodopvang), held flat.
    months : pandas.DatetimeIndex
        The forecast months (month starts).
    places : None, number, array-like or pandas.Series, optional
        Regular places: a flat number (e.g. 75,000), one value per month, or a Series indexed by
        month (every forecast month must be present); default ``None``: the latest
        ``coa_capacity_regular``.

    Returns
    -------
    CapacityPath
        The places per month (shape ``(month,)``) and a description of their source.

    Raises
    ------
    ScenarioError
        For a negative, non-finite or mis-sized path, a Series that lacks a forecast month, or
        (default path) inputs without a ``coa_capacity_regular`` row.
    """
    H = len(months)
    if places is None:
        row = _latest_input(
            history,
            REGULAR_CAPACITY_SERIES,
            " (regular COA places); pass capacity= (regular places, without noodopvang) explicitly",
        )
        values = np.full(H, float(row[N.VALUE]))
        announced = row.get(N.ANNOUNCED)
        known = f", announced {pd.Timestamp(announced):%Y-%m-%d}" if pd.notna(announced) else ""
        desc = (
            f"regular COA places (no noodopvang), the latest {REGULAR_CAPACITY_SERIES} in the inputs as "
            f"known, held flat: {row[N.VALUE]:,.0f} places on {pd.Timestamp(row[N.PERIOD_END]):%Y-%m-%d} "
            f"({row[N.DEFINITION]}, {row[N.QUALITY]}{known}; {row[N.SOURCE_URL]})"
        )
    elif np.ndim(places) == 0:
        values = np.full(H, float(places))
        desc = f"flat {float(places):,.0f} places (given)"
    elif isinstance(places, pd.Series):
        idx = pd.DatetimeIndex(places.index).to_period("M").to_timestamp()
        s = pd.Series(places.to_numpy(float), index=idx)
        missing = [f"{m:%Y-%m}" for m in months if m not in s.index]
        if missing:
            raise ScenarioError(
                f"the capacity path has no value for {len(missing)} month(s), e.g. {missing[:3]}"
            )
        values = s.loc[months].to_numpy(float)
        desc = "capacity path given per month"
    else:
        values = np.asarray(places, dtype=float)
        if values.shape != (H,):
            raise ScenarioError(
                f"the capacity path has shape {values.shape}; expected one value per month ({H})"
            )
        desc = "capacity path given per month"
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ScenarioError(f"capacity for {months[j]:%Y-%m} is {values[j]}: it must be a finite number >= 0")
    return CapacityPath(values, desc)


def reception_costs(history) -> ReceptionCosts:
    """The latest regular and emergency cost per resident per year in the history's inputs.

    Parameters
    ----------
    history : History
        Its inputs ``cost_per_resident_regular`` and ``cost_per_resident_emergency`` (euro per
        resident per year); of each, the row with the latest period end is used. Costs stated per
        place (``cost_per_place_*``) are not used: need and noodopvang count persons.

    Returns
    -------
    ReceptionCosts
        Both costs in euro per resident per year, in nominal euros of the year each row covers
        (its price year, stated in the description; the engine does not index them), with their
        sources.

    Raises
    ------
    ScenarioError
        When the inputs lack either series.
    """
    reg, eme = (_latest_input(history, series) for series in COST_SERIES)

    def year(row: pd.Series) -> str:
        start, end = pd.Timestamp(row[N.PERIOD_START]), pd.Timestamp(row[N.PERIOD_END])
        return str(end.year) if start.year == end.year else f"{start.year}-{end.year}"

    desc = (
        f"regular {reg[N.VALUE]:,.0f} and noodopvang {eme[N.VALUE]:,.0f} euro per resident per year, "
        f"nominal prices of {year(reg)} and {year(eme)} (not indexed) ({reg[N.DEFINITION]} "
        f"{pd.Timestamp(reg[N.PERIOD_START]):%Y-%m-%d}..{pd.Timestamp(reg[N.PERIOD_END]):%Y-%m-%d}, "
        f"{reg[N.SOURCE_URL]}; {eme[N.DEFINITION]} "
        f"{pd.Timestamp(eme[N.PERIOD_START]):%Y-%m-%d}..{pd.Timestamp(eme[N.PERIOD_END]):%Y-%m-%d}, "
        f"{eme[N.SOURCE_URL]})"
    )
    return ReceptionCosts(float(reg[N.VALUE]), float(eme[N.VALUE]), desc)


def stress_measures(measures, stress: Any) -> tuple:
    """The stress scenarios of ``measures`` named in ``stress``, in order, each once.

    Parameters
    ----------
    measures : MeasureSet
        The measures file, with its ``stress`` scenarios.
    stress : str or sequence of str
        Their ids (one id may be given as a string).

    Returns
    -------
    tuple of Measure
        The stress measures.

    Raises
    ------
    ScenarioError
        For an id that is not a stress scenario of the file.
    """
    if isinstance(stress, str):
        stress = (stress,)
    unknown = [s for s in stress if s not in measures.stress]
    if unknown:
        raise ScenarioError(
            f"unknown stress scenario(s) {unknown}; the measures file has {sorted(measures.stress)}"
        )
    return tuple(measures.stress[s] for s in dict.fromkeys(stress))
