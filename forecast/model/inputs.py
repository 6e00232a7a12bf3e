"""The known monthly inputs of the chain: the time grid, events, IND capacity and taakstelling.

:func:`build_inputs` turns a :class:`forecast.History`'s inputs and events into the known monthly
inputs ``u`` (:class:`~forecast.model.dynamics.ChainInputs`) of
:func:`forecast.model.dynamics.simulate_chain`, for a fit and for a forecast: the policy events as
monthly indicators, the IND's funded decision capacity as known, the taakstelling where it is set and
the rule (``ratio x`` the previous half-year's housing inflow) where it is not. Everything is read
from the ``History`` object; nothing here reads files. The months of the grid are shared with the
observation design (:mod:`forecast.model.design`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.model.dynamics import ChainInputs

#: support of the nareis application lag (months 0..12 after the grant: most apply within three months)
NAREIS_APP_L = 13
#: support of the nareis travel lag (months 0..12 after a positive decision: visa and travel)
NAREIS_TRAVEL_L = 13
#: first month of the capacity-limited IND regime (before it: a decision hazard): from January 2021 the
#: backlog grew under a staff-limited IND (about 12,600 pending in December 2021, 50,000 end 2023)
IND_CAPACITY_FROM = "2021-01-01"
#: first month of the supply-limited housing regime (before it: a housing hazard): from 2019-I every
#: half-year's taakstelling is known and the monitor publishes what municipalities realised
HOUSING_SUPPLY_FROM = "2019-01-01"


# ------------------------------------------------------------------------------------------- time grid
def month_grid(start: str, end: str, min_months: int = 24) -> tuple[pd.Timestamp, int]:
    """The monthly grid from the month of ``start`` to the month of ``end``.

    Parameters
    ----------
    start, end : str
        The first and last month (any date in the month, e.g. ``"2014-01"``).
    min_months : int, optional
        The shortest window accepted (default 24).

    Returns
    -------
    start : pandas.Timestamp
        The first day of the first month.
    T : int
        The number of months.

    Raises
    ------
    ValueError
        When the window spans fewer than ``min_months`` months.
    """
    s = pd.Timestamp(start).to_period("M").to_timestamp()
    e = pd.Timestamp(end).to_period("M").to_timestamp()
    T = (e.year - s.year) * 12 + e.month - s.month + 1
    if min_months > T:
        raise ValueError(f"the fitted window {start}..{end} must span at least {min_months} months")
    return s, T


def month_index(start: pd.Timestamp, ts: pd.Timestamp) -> int:
    """The index of the month of ``ts`` on the grid that starts in the month of ``start``.

    Parameters
    ----------
    start : pandas.Timestamp
        The grid's first month.
    ts : pandas.Timestamp
        Any date (before ``start`` gives a negative index).

    Returns
    -------
    int
        Months from ``start``'s month to ``ts``'s month.
    """
    return (ts.year - start.year) * 12 + ts.month - start.month


def _event_indicator(start: pd.Timestamp, T: int, s, e) -> np.ndarray:
    """Monthly fraction of days covered by the window [s, e] (e NaT: still in force)."""
    s = pd.Timestamp(s)
    e = pd.Timestamp("2262-01-01") if pd.isna(e) else pd.Timestamp(e)
    x = np.zeros(T)
    for t in range(T):
        m0 = start + pd.DateOffset(months=t)
        m1 = m0 + pd.offsets.MonthEnd(0)
        overlap = (min(m1, e) - max(m0, s)).days + 1
        x[t] = max(0, overlap) / m1.day
    return x


def _event_end(events: pd.DataFrame, name: str):
    r = events.loc[events.event == name].iloc[0]
    end = r["end"]
    if pd.isna(end):
        return end
    end = pd.Timestamp(end)
    # month-precision ends (YYYY-MM) run to the end of that month
    if isinstance(r.get("end_text"), str) and len(r["end_text"]) <= 7:
        end = end + pd.offsets.MonthEnd(0)
    return end


def _event_months(events: pd.DataFrame, name: str, start: pd.Timestamp, T: int) -> np.ndarray:
    """The monthly indicator of an event (:func:`_event_indicator`); zero in every month when the history
    does not hold the event (a history cut with :meth:`History.until` before the event started)."""
    if not (events.event == name).any():
        return np.zeros(T)
    r = events.loc[events.event == name].iloc[0]
    return _event_indicator(start, T, r["start"], _event_end(events, name))


def _half_start(ts: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(year=ts.year, month=1 if ts.month <= 6 else 7, day=1)


def half_label(ts: pd.Timestamp) -> str:
    """The half-year of a date as ``"YYYY-I"`` or ``"YYYY-II"``.

    Parameters
    ----------
    ts : pandas.Timestamp
        Any date.

    Returns
    -------
    str
        The label.
    """
    return f"{ts.year}-{'I' if ts.month <= 6 else 'II'}"


def funded_capacity(history) -> pd.Series:
    """The IND's funded decision capacity per month, by the date each statement starts to hold.

    The inputs ``ind_decision_capacity`` of definitions ``ind_capacity`` (the IND's statement of its
    capacity) and ``ind_opdracht`` (its assignment), converted to decisions per month (a figure per
    week x 52 / 12, a yearly figure / 12). Targets (``ind_capacity_target``) are not a funded level.

    Parameters
    ----------
    history : History
        Its inputs are read (as known: a cut history holds only the statements known then).

    Returns
    -------
    pandas.Series
        Decisions per month, indexed by the first day each statement holds (sorted; on the same day
        the later row wins).
    """
    rows = history.inputs
    rows = rows[
        (rows.series == "ind_decision_capacity") & rows.definition.isin(["ind_capacity", "ind_opdracht"])
    ]
    values = {}
    for _, r in rows.sort_values("period_start", kind="stable").iterrows():
        ps, pe = r.period_start, r.period_end
        months = (pe.year - ps.year) * 12 + pe.month - ps.month + 1
        if r.unit == "decisions per week":
            per_month = float(r.value) * 52.0 / 12.0
        else:  # a count over the row's period
            per_month = float(r.value) / max(months, 1)
        values[pd.Timestamp(r.period_start).to_period("M").to_timestamp()] = per_month
    return pd.Series(values, index=pd.DatetimeIndex(list(values)), dtype=float).sort_index()


def taakstelling_per_half(history) -> pd.Series:
    """The taakstelling as set, per half-year (persons), from the inputs as known.

    Parameters
    ----------
    history : History
        Its inputs are read (``taakstelling``, definition ``vastgesteld``).

    Returns
    -------
    pandas.Series
        Persons per half-year, indexed by the half-year's first day.
    """
    tk = history.inputs
    tk = tk[(tk.series == "taakstelling") & (tk.definition == "vastgesteld")]
    out = {pd.Timestamp(r.period_start): float(r.value) for _, r in tk.iterrows()}
    return pd.Series(out, index=pd.DatetimeIndex(list(out)), dtype=float).sort_index()


def taakstelling_rule(months: pd.DatetimeIndex, set_mask: np.ndarray, first: int, before: pd.DatetimeIndex):
    """The rule for half-years whose taakstelling is not set: ``ratio x`` the previous half-year's inflow.

    Parameters
    ----------
    months : pandas.DatetimeIndex
        The ``T`` months of the window.
    set_mask : numpy.ndarray
        ``(T,)`` True where the taakstelling is set.
    first : int
        The first month the rule may apply (the housing regime's switch).
    before : pandas.DatetimeIndex
        Months before the window whose housing inflow a rule may need (a forecast's fitted months).

    Returns
    -------
    rule : numpy.ndarray
        ``(T, T)``: row ``t`` spreads the previous half-year's monthly housing inflow over month ``t``.
    rule_past : numpy.ndarray
        ``(T, len(before))``: the same for the part of the previous half-year before the window.
    mask : numpy.ndarray
        ``(T,)`` 1 where the rule sets the taakstelling.
    halves : list of str
        The labels of the rule's half-years, in order.
    half_of_month : numpy.ndarray
        ``(T,)`` index into ``halves`` of each rule month, -1 elsewhere.

    Raises
    ------
    ValueError
        When a rule needs a month that is neither in the window nor in ``before``.
    """
    T = len(months)
    rule = np.zeros((T, T))
    past = np.zeros((T, len(before)))
    mask = np.zeros(T)
    pos = {m: i for i, m in enumerate(months)}
    pos_before = {m: i for i, m in enumerate(before)}
    halves: list[str] = []
    half_of_month = np.full(T, -1)
    for t in range(first, T):
        if set_mask[t]:
            continue
        mask[t] = 1.0
        h0 = _half_start(months[t])
        label = half_label(h0)
        if label not in halves:
            halves.append(label)
        half_of_month[t] = halves.index(label)
        for m in pd.date_range(h0 - pd.DateOffset(months=6), periods=6, freq="MS"):
            if m in pos:
                rule[t, pos[m]] = 1.0 / 6.0
            elif m in pos_before:
                past[t, pos_before[m]] = 1.0 / 6.0
            else:
                raise ValueError(f"the taakstelling rule for {label} needs the housing inflow of {m:%Y-%m}")
    return rule, past, mask, halves, half_of_month


def build_inputs(
    history, start: str, end: str, *, before: pd.DatetimeIndex | None = None, min_months: int = 24
) -> ChainInputs:
    """Build the known monthly inputs of :func:`~forecast.model.dynamics.simulate_chain`.

    The taakstelling (``inputs`` series ``taakstelling``, definition ``vastgesteld``) is spread evenly
    over its half-year. Half-years of the housing regime without a set value are **not filled in**:
    there the taakstelling follows the state's rule (``ratio x`` the previous half-year's housing
    inflow), with the ratio a parameter (:func:`taakstelling_rule`). The IND's funded capacity is the
    latest statement known (:func:`funded_capacity`), held.

    Parameters
    ----------
    history : History
        Its inputs and events are read.
    start, end : str
        The first and last modelled month (any date in the month, e.g. ``"2014-01"``); at least
        24 months apart.
    before : pandas.DatetimeIndex, optional
        Months before ``start`` whose housing inflow the taakstelling rule may need (a forecast passes
        its fitted months).
    min_months : int, optional
        The shortest window accepted (default 24, the shortest fit; a forecast may be shorter).

    Returns
    -------
    ChainInputs
        The inputs on the grid of ``T`` months; the regime switches are the month indices of
        :data:`IND_CAPACITY_FROM` and :data:`HOUSING_SUPPLY_FROM` clipped to ``0..T``.

    Raises
    ------
    ValueError
        When the window spans fewer than ``min_months`` months, or a fitted window (no ``before``)
        starts at or after :data:`HOUSING_SUPPLY_FROM`.
    """
    s, T = month_grid(start, end, min_months)
    if before is None and s >= pd.Timestamp(HOUSING_SUPPLY_FROM):
        raise ValueError(
            f"a fitted window must start before {pd.Timestamp(HOUSING_SUPPLY_FROM):%Y-%m} "
            f"(inputs.HOUSING_SUPPLY_FROM), got {s:%Y-%m}: the housing supply regime starts from the "
            "housing of the months before it"
        )
    months = pd.date_range(s, periods=T, freq="MS")
    ev = history.events
    events = {
        key: _event_months(ev, name, s, T)
        for key, name in (
            ("ev_covid", "covid_border_closures_2020"),
            ("ev_asieldeal", "asieldeal_2022"),
            ("ev_nareis_restriction", "nareis_restriction_2022"),
            ("ev_moratorium", "syria_moratorium_2024"),
        )
    }
    ind_switch = int(np.clip(month_index(s, pd.Timestamp(IND_CAPACITY_FROM)), 0, T))
    housing_switch = int(np.clip(month_index(s, pd.Timestamp(HOUSING_SUPPLY_FROM)), 0, T))
    # the IND's funded capacity as known: the latest statement, held
    funded = funded_capacity(history)
    log_funded = np.zeros(T)
    funded_mask = np.zeros(T)
    for t, m in enumerate(months):
        known = funded[funded.index <= m]
        if len(known):
            log_funded[t] = np.log(known.iloc[-1])
            funded_mask[t] = 1.0
    # the taakstelling per month where set
    per_half = taakstelling_per_half(history)
    taak = np.zeros(T)
    set_mask = np.zeros(T, bool)
    for t, m in enumerate(months):
        h0 = _half_start(m)
        if h0 in per_half.index:
            taak[t] = per_half[h0] / 6.0
            set_mask[t] = True
    before = pd.DatetimeIndex([]) if before is None else pd.DatetimeIndex(before)
    rule, rule_past, rule_mask, rule_halves, rule_half_of_month = taakstelling_rule(
        months, set_mask, housing_switch, before
    )
    half_starts = [housing_switch] if housing_switch < T else []
    half_starts += [t for t in range(housing_switch + 1, T) if months[t].month in (1, 7)]
    return ChainInputs(
        T=T,
        month_of_year=(np.arange(T) + s.month - 1) % 12,
        **events,
        ind_switch=ind_switch,
        log_funded=log_funded,
        funded_mask=funded_mask,
        housing_switch=housing_switch,
        taakstelling=np.where(set_mask, taak, 0.0),
        taak_rule_mask=rule_mask,
        taak_rule=rule,
        half_starts=tuple(half_starts),
        app_L=NAREIS_APP_L,
        travel_L=NAREIS_TRAVEL_L,
        start=s,
        rule_halves=tuple(rule_halves),
        rule_half_of_month=rule_half_of_month,
        rule_past=rule_past,
    )
