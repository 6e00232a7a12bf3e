"""Observation design: which latent quantity each observation row measures, and how.

:func:`build_design` maps every observation of a :class:`forecast.History` to the latent monthly
chain of :mod:`forecast.model.dynamics` (a sum of a latent flow over the row's period, a latent
stock at its date, a ratio of flows or stocks, or the taakstelling backlog), or lists it as unused
with a reason. :func:`build_inputs` turns the history's inputs and events into the known monthly
inputs ``u`` of :func:`forecast.model.dynamics.simulate_chain`.

Everything is read from the ``History`` object (``history.observations``, ``history.inputs``,
``history.events``); nothing here reads files.

Observation noise (fixed, not learned; see ``QUALITY_SD``) depends on the row's quality flag.
On top of it the model learns at most one discrepancy scale per observation type (``OBS_TYPES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.model.dynamics import FLOWS, STOCKS

#: lag support of the nareis FIR (months 0..NAREIS_L-1): family members follow within three years
NAREIS_L = 37
#: Student-t degrees of freedom of the observation errors (robust to the occasional misdated row)
OBS_NU = 5.0

#: Fixed measurement noise per quality flag (sd on the log scale; x2 on the logit scale; x10000 persons
#: on the linear scale).  Rationale: "exact" figures are still revised between vintages and counted in
#: the registration month (about 1-2 %); "rounded" figures carry their rounding (~2 %); "approx" and
#: "secondary" figures ("ruim", "bijna", "zo'n", unidentified sources) are good to ~10 %.
QUALITY_SD = {"exact": 0.015, "rounded": 0.025, "approx": 0.10, "secondary": 0.10}
#: rows flagged as upper/lower bounds are used as noisy point values
BOUND_SD = 0.15
#: a coarse row minus its finer nested rows mixes vintages: extra sd added in quadrature
RESIDUAL_SD = 0.05

#: Observation types. A learned discrepancy scale (prior ``discrepancy_<type>``) is added in quadrature to
#: the fixed noise of every row of a learned type; the other types have the fixed discrepancy given here
#: (rationale in the comment).  ``scale``: the unit multiplier of the quality noise for that type.
OBS_TYPES = {
    # monthly/quarterly flows (log scale): one learned model-discrepancy scale
    "flow": {"learned": True, "scale": 1.0},
    # stocks at a date (log scale): one learned model-discrepancy scale
    "stock": {"learned": True, "scale": 1.0},
    # grant rates and the statushouder share (logit scale): only ~10 rows from 4 definitions, each with its
    # own bias, so a learned scale would be unidentified; 0.15 on the logit scale is ~3 points at 70 %.
    "rate": {"learned": False, "scale": 2.0, "fixed": 0.15},
    # taakstelling backlog (persons): accumulated realisation vs targets; the monitor's own revisions of
    # realised numbers between editions are of the order of 500 persons.
    "linear": {"learned": False, "scale": 10000.0, "fixed": 500.0},
}
LIK_CODE = {"flow": 0, "stock": 0, "rate": 1, "share": 1, "linear": 2}
TYPE_OF_KIND = {"flow": "flow", "stock": "stock", "rate": "rate", "share": "rate", "linear": "linear"}

F_IR = ("instroom", "repeat")
F_TOT = ("instroom", "repeat", "nareis")
OPV = ("ind_backlog", "statushouders", "rejected")

#: (series, definition) -> (kind, numerator latents, denominator latents, reference, meaning).
#: ``reference=True``: the definition the latent quantity is defined by (bias fixed at 0); every other
#: definition has a bias prior ``bias__<series>__<definition>`` in priors/observation.toml.
MAPPING = {
    ("first_applications", "ind"): ("flow", ("instroom",), None, True, "reference definition for instroom"),
    ("first_applications", "cbs"): ("flow", ("instroom",), None, False, "CBS persons"),
    ("first_applications", "eurostat"): (
        "flow",
        ("instroom",),
        None,
        False,
        "Eurostat first-time applicants",
    ),
    ("first_applications", "aida"): ("flow", ("instroom",), None, False, "AIDA"),
    ("first_applications", "ministry_weekly"): (
        "flow",
        ("instroom",),
        None,
        False,
        "ministry weekly figures",
    ),
    ("repeat_applications", "ind"): ("flow", ("repeat",), None, True, "reference definition for repeat"),
    ("repeat_applications", "eurostat"): ("flow", ("repeat",), None, False, "Eurostat subsequent applicants"),
    ("repeat_applications", "aida"): ("flow", ("repeat",), None, False, "AIDA"),
    ("applications_incl_repeat", "eurostat"): ("flow", F_IR, None, False, "Eurostat all applicants"),
    ("applications_incl_repeat", "eurostat_excl_ua"): (
        "flow",
        F_IR,
        None,
        False,
        "Eurostat excl. Ukrainians",
    ),
    ("applications_incl_repeat", "cbs"): ("flow", F_IR, None, False, "CBS first + repeat"),
    ("applications_incl_repeat", "ind"): ("flow", F_IR, None, False, "IND first + repeat"),
    ("applications_incl_repeat", "aida"): ("flow", F_IR, None, False, "AIDA"),
    ("nareis", "ind"): ("flow", ("nareis",), None, True, "reference definition for nareis arrivals"),
    ("nareis", "cbs"): ("flow", ("nareis",), None, False, "CBS nareizigers who entered"),
    ("total_inflow", "ind"): ("flow", F_TOT, None, False, "IND totale asielinstroom"),
    ("total_inflow", "cbs"): ("flow", F_TOT, None, False, "CBS total"),
    ("total_inflow", "excl_repeat"): ("flow", ("instroom", "nareis"), None, False, "first + nareis"),
    ("total_inflow", "ministry_weekly"): ("flow", F_TOT, None, False, "incl. relocation/resettlement"),
    ("total_inflow", "rvk_incl_resettlement"): ("flow", F_TOT, None, False, "incl. relocation/resettlement"),
    ("coa_inflow", "coa"): ("flow", F_IR, None, False, "persons entering COA ~ new applicants"),
    ("ind_decisions", "ind_first"): (
        "flow",
        ("decisions",),
        None,
        True,
        "reference: decisions on first applications",
    ),
    ("ind_decisions", "eurostat"): ("flow", ("decisions",), None, False, "Eurostat first-instance decisions"),
    ("ind_decisions", "eurostat_excl_ua"): ("flow", ("decisions",), None, False, "Eurostat excl. UA"),
    ("ind_decisions", "ind_all_asylum"): ("flow", ("decisions",), None, False, "all asylum decisions"),
    ("ind_decisions_positive", "eurostat_excl_ua"): ("flow", ("grants",), None, False, "positive decisions"),
    ("housed_statushouders", "taakstelling_monitor"): (
        "flow",
        ("housed",),
        None,
        True,
        "reference: realisatie",
    ),
    ("coa_outflow_statushouders", "coa"): (
        "flow",
        ("housed",),
        None,
        False,
        "COA outflow of vergunninghouders",
    ),
    ("coa_outflow_asylum_seekers", "coa"): (
        "flow",
        ("departures",),
        None,
        False,
        "non-statushouders leaving COA",
    ),
    ("coa_outflow_total", "coa"): ("flow", ("housed", "departures"), None, False, "housed + departures"),
    ("ind_grant_rate", "ind_aa_va"): ("rate", ("grants",), ("decisions",), True, "reference grant rate"),
    ("ind_grant_rate", "aida"): ("rate", ("grants",), ("decisions",), False, "AIDA grant rate"),
    ("ind_grant_rate", "eurostat"): ("rate", ("grants",), ("decisions",), False, "Eurostat recognition rate"),
    ("ind_grant_rate", "ind_first_all"): (
        "rate",
        ("grants",),
        ("decisions",),
        False,
        "incl. Dublin rejections",
    ),
    ("ind_backlog", "ind"): ("stock", ("ind_backlog",), None, True, "reference: pending first applications"),
    ("ind_backlog", "aida"): ("stock", ("ind_backlog",), None, False, "AIDA"),
    ("ind_backlog", "ind_aa"): ("stock", ("ind_backlog",), None, False, "general procedure only"),
    ("ind_backlog", "eurostat"): ("stock", ("ind_backlog",), None, False, "Eurostat pending, all stages"),
    ("ind_backlog", "eurostat_excl_ua"): ("stock", ("ind_backlog",), None, False, "idem, excl. UA"),
    ("coa_occupancy", "coa_personen_in_opvang"): ("stock", OPV, None, True, "reference: persons in COA"),
    ("coa_occupancy", "coa_recht_op_opvang"): ("stock", OPV, None, False, "persons with right to reception"),
    ("coa_occupancy", "coa_in_coa_locatie"): ("stock", OPV, None, False, "physically in COA locations"),
    ("coa_asylum_seekers_in_procedure", "coa"): (
        "stock",
        ("ind_backlog", "rejected"),
        None,
        False,
        "non-statushouders",
    ),
    ("coa_statushouders", "coa"): (
        "stock",
        ("statushouders",),
        None,
        True,
        "reference: statushouders waiting",
    ),
    ("coa_statushouders_share", "ministry"): (
        "share",
        ("statushouders",),
        OPV,
        False,
        "statushouders / opvang",
    ),
    ("taakstelling_backlog", "taakstelling_monitor"): (
        "linear",
        ("taak_backlog",),
        None,
        True,
        "cumulative taakstelling - housed",
    ),
}
UNUSED_SERIES = {
    "applications_incl_nareis_requests": "contains nareis applications (the chain models arrivals)",
    "nareis_applications": "nareis applications are not a latent flow (arrivals are lagged grants)",
    "nareis_backlog": "the IND nareis backlog is not a latent stock of the chain",
    "nareis_decisions": "IND nareis decisions are not a latent flow of the chain",
    "ind_backlog_incl_nareis": "includes the nareis backlog, which the chain does not model",
    "ind_backlog_taskforce": "Taskforce subset (filed before 1 Apr 2020): a lower bound of a sub-scope",
    "coa_occupancy_noodopvang": "split of occupancy by location type is not modelled (need, not places)",
    "coa_occupancy_outside_coa": "split of occupancy by location type is not modelled",
    "coa_occupancy_regular": "split of occupancy by location type is not modelled",
}
#: first month of the capacity-limited IND regime (before it: a decision hazard)
IND_CAPACITY_FROM = "2021-01-01"
#: events whose months get the larger ("shock") innovation scale of the instroom level
INSTROOM_SHOCK_EVENTS = ("syria_surge_2015", "covid_border_closures_2020", "afghanistan_evacuation_2021")


def bias_parameter_names() -> tuple[str, ...]:
    """List the names of the observation-bias priors.

    Returns
    -------
    tuple of str
        ``bias__<series>__<definition>`` for every non-reference (series, definition) of
        :data:`MAPPING`, in its order.
    """
    return tuple(f"bias__{s}__{d}" for (s, d), m in MAPPING.items() if not m[3])


# ------------------------------------------------------------------------------------------- time grid
def _grid(start: str, end: str) -> tuple[pd.Timestamp, int]:
    s = pd.Timestamp(start).to_period("M").to_timestamp()
    e = pd.Timestamp(end).to_period("M").to_timestamp()
    T = (e.year - s.year) * 12 + e.month - s.month + 1
    if T < 24:
        raise ValueError(f"the fitted window {start}..{end} must span at least 24 months")
    return s, T


def _month_index(start: pd.Timestamp, ts: pd.Timestamp) -> int:
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


def build_inputs(history, start: str, end: str) -> dict:
    """Build the known monthly inputs ``u`` of :func:`~forecast.model.dynamics.simulate_chain`.

    The taakstelling (``inputs`` series ``taakstelling``, definition ``vastgesteld``) is spread evenly
    over its half-year. Half-years without a vastgesteld value are **not filled in**: ``taak_mask`` is 0
    there and the model uses a latent municipal housing capacity instead (see build.py).

    Parameters
    ----------
    history : History
        Its inputs and events are read.
    start, end : str
        The first and last modelled month (any date in the month, e.g. ``"2014-01"``); at least
        24 months apart.

    Returns
    -------
    dict
        On the grid of ``T`` months: ``start`` (first month, a Timestamp), ``T``,
        ``month_of_year`` (T,) 0-11, ``nareis_L`` (:data:`NAREIS_L`); the event indicators
        ``ev_covid``, ``ev_asieldeal``, ``ev_nareis_restriction``, ``ev_moratorium`` (T,), the
        share of each month's days the event covers (0 when the history lacks the event);
        ``instroom_shock`` (T,) 1 in the months of :data:`INSTROOM_SHOCK_EVENTS`; ``ind_switch``,
        the month index of :data:`IND_CAPACITY_FROM` (within 1..T-1); ``taakstelling`` (T,) the
        monthly target in persons and ``taak_mask`` (T,) 1 where it is known; ``half_labels``
        (``"2019-I"``, ...), ``half_of_month`` (T,) the index of each month's half-year and
        ``missing_halves``, the half-years from the housing switch on without a taakstelling;
        ``tb_mask`` (T,) and ``tb_window`` ``(a, b)``, months ``a..b-1``: the longest run of known
        taakstelling, over which the taakstelling backlog accumulates; ``housing_switch`` = ``a``
        (within 1..T-1).

    Raises
    ------
    ValueError
        When the window spans fewer than 24 months.
    """
    s, T = _grid(start, end)
    ev = history.events
    u: dict = {
        "start": s,
        "T": T,
        "month_of_year": (np.arange(T) + s.month - 1) % 12,
        "nareis_L": NAREIS_L,
    }
    for key, name in (
        ("ev_covid", "covid_border_closures_2020"),
        ("ev_asieldeal", "asieldeal_2022"),
        ("ev_nareis_restriction", "nareis_restriction_2022"),
        ("ev_moratorium", "syria_moratorium_2024"),
    ):
        u[key] = _event_months(ev, name, s, T)
    # IND regime switch (decision hazard before, capacity-limited from then on): January 2021, from when
    # the backlog grew under a staff-limited IND (DOMAIN.md: ~12,600 Dec 2021 -> ~50,000 end 2023)
    u["ind_switch"] = int(np.clip(_month_index(s, pd.Timestamp(IND_CAPACITY_FROM)), 1, T - 1))
    shock = np.zeros(T)
    for name in INSTROOM_SHOCK_EVENTS:
        shock = np.maximum(shock, _event_months(ev, name, s, T) > 0)
    u["instroom_shock"] = shock.astype(float)
    # taakstelling per half-year (vastgesteld only)
    tk = history.inputs
    tk = tk[(tk.series == "taakstelling") & (tk.definition == "vastgesteld")]
    taak = np.zeros(T)
    mask = np.zeros(T)
    halves = []
    for t in range(T):
        m0 = s + pd.DateOffset(months=t)
        h0 = pd.Timestamp(year=m0.year, month=1 if m0.month <= 6 else 7, day=1)
        label = f"{h0.year}-{'I' if h0.month == 1 else 'II'}"
        if not halves or halves[-1][0] != label:
            halves.append((label, t))
        row = tk[tk.period_start == h0]
        if len(row):
            taak[t] = float(row.value.iloc[0]) / 6.0
            mask[t] = 1.0
    u["taakstelling"] = taak
    u["taak_mask"] = mask
    u["half_labels"] = [h for h, _ in halves]
    u["half_of_month"] = np.array([max(j for j, (_, t0) in enumerate(halves) if t0 <= t) for t in range(T)])
    u["missing_halves"] = [h for j, (h, t0) in enumerate(halves) if mask[t0] == 0]
    # taakstelling-backlog window: the longest run of months with a known taakstelling
    best, cur = (0, 0), None
    for t in range(T + 1):
        if t < T and mask[t] == 1:
            cur = t if cur is None else cur
        elif cur is not None:
            if t - cur > best[1] - best[0]:
                best = (cur, t)
            cur = None
    tb = np.zeros(T)
    tb[best[0] : best[1]] = 1.0
    u["tb_mask"] = tb
    u["tb_window"] = (best[0], best[1])
    u["housing_switch"] = int(np.clip(best[0], 1, T - 1))
    # half-years without a taakstelling in the capacity-limited housing regime get a latent capacity
    u["missing_halves"] = [
        h for h in u["missing_halves"] if halves[u["half_labels"].index(h)][1] >= u["housing_switch"]
    ]  # months [a, b): the backlog anchor is the stock at the end of month a-1
    return u


# ------------------------------------------------------------------------------------------- design
@dataclass
class Design:
    """The used observation rows, the unused ones with reasons, and the observation-operator arrays.

    Each used row measures one or two *aggregates*: weighted sums of entries of the latent vector
    ``Z`` (:func:`~forecast.model.build.latent_vector`: the flows, ``T`` months each, then the stocks,
    ``T + 1`` values each with the initial state first). Aggregate ``a`` is the sum of
    ``Z[z_index[e]] * z_weight[e]`` over ``e`` from ``agg_start[a]`` to ``agg_end[a]`` (inclusive).

    Parameters
    ----------
    rows : pandas.DataFrame
        The used rows: the columns of :attr:`~forecast.data.history.History.observations` (a
        coarse flow row nesting finer rows holds the residual ``value``, described in
        ``residual_of``) plus ``num_agg`` and ``den_agg`` (its
        aggregates), ``group`` (index into ``groups``), ``obs_type`` and ``type_index`` (its
        type in :data:`OBS_TYPES`), ``lik`` (0 log, 1 logit, 2 identity scale), ``noise_sd`` (the
        fixed noise sd on that scale), ``latent`` and ``denominator`` (in words), ``transform``
        and ``reference``.
    unused : pandas.DataFrame
        The rows not used, with the source file and line, series, definition, period, value,
        quality and ``reason``; sorted by file and line.
    start : pandas.Timestamp
        The first modelled month (its first day).
    T : int
        The number of modelled months.
    groups : list of tuple of str, optional
        The (series, definition) of each bias group, in order of first use.
    z_index : numpy.ndarray, optional
        Per aggregate term, the index into ``Z`` (int64).
    z_weight : numpy.ndarray, optional
        Per aggregate term, its weight: the share of the month's days a flow row's period covers,
        1 for a stock.
    agg_start, agg_end : numpy.ndarray, optional
        Per aggregate, its first and last term (int64).
    num_agg, den_agg : numpy.ndarray, optional
        Per row, the aggregate of the numerator and of the denominator (-1: none; only rates and
        shares have one).
    """

    rows: pd.DataFrame
    unused: pd.DataFrame
    start: pd.Timestamp
    T: int
    groups: list = field(default_factory=list)  # (series, definition) of each bias group
    z_index: np.ndarray = None  # entries: index into the latent vector
    z_weight: np.ndarray = None
    agg_start: np.ndarray = None
    agg_end: np.ndarray = None
    num_agg: np.ndarray = None
    den_agg: np.ndarray = None

    @property
    def y_transformed(self) -> np.ndarray:
        """Observed values of the rows on their model scale: log, logit or unchanged (per ``lik``)."""
        y, lik = self.rows.value.to_numpy(float), self.rows.lik.to_numpy()
        with np.errstate(all="ignore"):
            return np.where(lik == 0, np.log(np.abs(y)), np.where(lik == 1, np.log(y / (1 - y)), y))


def _flow_weights(start, T, ps, pe) -> np.ndarray:
    w = np.zeros(T)
    a, b = _month_index(start, ps), _month_index(start, pe)
    for t in range(max(a, 0), min(b, T - 1) + 1):
        m0 = start + pd.DateOffset(months=t)
        m1 = m0 + pd.offsets.MonthEnd(0)
        w[t] = ((min(m1, pe) - max(m0, ps)).days + 1) / m1.day
    return w


def _stock_index(start, d: pd.Timestamp) -> int:
    """Index of the nearest month end in a stock array whose index 0 is the initial state."""
    me_prev = d - pd.offsets.MonthEnd(1) if d != d + pd.offsets.MonthEnd(0) else d
    me_next = d + pd.offsets.MonthEnd(0)
    me = me_prev if (d - me_prev) <= (me_next - d) else me_next
    return _month_index(start, me) + 1


def build_design(history, start: str, end: str) -> Design:
    """Map every observation of ``history`` to the latent chain on the monthly grid ``start``..``end``.

    A row is used when :data:`MAPPING` maps its (series, definition) and it lies in the window.
    Of overlapping flow and rate rows of one (series, definition) the shortest periods are used; a
    longer flow row that contains them enters as the residual over its other months when that
    residual is plausible (its monthly level within a factor 3 of theirs). Every other row is
    listed in ``unused`` with the reason.

    Parameters
    ----------
    history : History
        Its observations are mapped; its inputs set the taakstelling backlog window.
    start, end : str
        The first and last modelled month (any date in the month, e.g. ``"2014-01"``); at least
        24 months apart.

    Returns
    -------
    Design
        The used rows with their observation-operator arrays, and the unused rows.

    Raises
    ------
    ValueError
        When the window spans fewer than 24 months.
    """
    s, T = _grid(start, end)
    u = build_inputs(history, start, end)
    obs = history.observations.copy()
    obs["ps"] = pd.to_datetime(obs["period_start"])
    obs["pe"] = pd.to_datetime(obs["period_end"])
    last = s + pd.DateOffset(months=T - 1) + pd.offsets.MonthEnd(0)
    tb_a, tb_b = u["tb_window"]
    used, unused = [], []
    for i, r in obs.iterrows():
        key = (r.series, r.definition)
        if r.series in UNUSED_SERIES:
            unused.append((i, UNUSED_SERIES[r.series]))
            continue
        if key not in MAPPING:
            unused.append((i, f"definition {r.definition} of {r.series} is not mapped to the chain"))
            continue
        kind = MAPPING[key][0]
        if kind in ("flow", "rate"):
            if r.ps < s or r.pe > last:
                unused.append((i, f"period outside the modelled window {s:%Y-%m}..{last:%Y-%m}"))
                continue
        else:
            idx = _stock_index(s, r.pe)
            if idx < 0 or idx > T:
                unused.append(
                    (
                        i,
                        f"stock date outside the modelled window (end {s - pd.DateOffset(days=1):%Y-%m} .."
                        f" {last:%Y-%m-%d})",
                    )
                )
                continue
            if kind == "linear" and not (tb_a <= idx <= tb_b):
                unused.append(
                    (
                        i,
                        "taakstelling backlog at a date whose accumulation needs a half-year taakstelling "
                        "that is not in the inputs (2014-2016, 2017-II, 2018-II, 2024-II are missing)",
                    )
                )
                continue
        used.append(i)
    rows = obs.loc[used].copy()
    rows["residual_of"] = ""
    keep, weights = [], {}
    for key, g in rows.groupby(["series", "definition"], sort=False):
        kind = MAPPING[key][0]
        if kind not in ("flow", "rate"):
            keep += list(g.index)
            continue
        g = g.assign(span=(g.pe - g.ps).dt.days).sort_values(["span", "ps"])
        covered = np.zeros(T)
        accepted = []
        for i, r in g.iterrows():
            w = _flow_weights(s, T, r.ps, r.pe)
            inside = w > 0
            ov = covered[inside] > 0
            if not ov.any():
                accepted.append(i)
                weights[i] = w
                covered = np.maximum(covered, w)
                continue
            if ov.all():
                unused.append((i, "nested: finer rows of the same series/definition cover this period"))
                continue
            touching = [j for j in accepted if (weights[j] * inside).sum() > 0]
            if kind == "flow" and all(((weights[j] > 0) <= inside).all() for j in touching):
                resid = r.value - rows.loc[touching, "value"].sum()
                w_res = w * (covered == 0)
                w_cov = w.sum() - w_res.sum()
                ratio = (resid / w_res.sum()) / (rows.loc[touching, "value"].sum() / w_cov)
                if 1 / 3 < ratio < 3:
                    rows.loc[i, "value"] = resid
                    rows.loc[i, "residual_of"] = f"{r.value:g} minus {len(touching)} finer rows"
                    accepted.append(i)
                    weights[i] = w_res
                    covered = np.maximum(covered, w_res)
                    continue
                unused.append(
                    (
                        i,
                        f"nested: residual after finer rows implausible ({resid:g} of {r.value:g}); "
                        "vintage mismatch",
                    )
                )
                continue
            unused.append((i, "overlaps finer rows of the same series/definition only partly"))
        keep += accepted
    rows = rows.loc[sorted(keep)]

    groups = list(dict.fromkeys(zip(rows.series, rows.definition, strict=True)))
    gidx = {k: j for j, k in enumerate(groups)}
    types = list(OBS_TYPES)
    z_index, z_weight, agg_start, agg_end = [], [], [], []

    def add_agg(components, r, w):
        a0 = len(z_index)
        for c in components:
            if c in FLOWS:
                base = FLOWS.index(c) * T
                for t in np.nonzero(w)[0]:
                    z_index.append(base + t)
                    z_weight.append(w[t])
            else:
                base = len(FLOWS) * T + STOCKS.index(c) * (T + 1)
                z_index.append(base + _stock_index(s, r.pe))
                z_weight.append(1.0)
        agg_start.append(a0)
        agg_end.append(len(z_index) - 1)
        return len(agg_start) - 1

    cols = {
        k: []
        for k in (
            "num_agg",
            "den_agg",
            "group",
            "obs_type",
            "type_index",
            "lik",
            "noise_sd",
            "latent",
            "denominator",
            "transform",
            "reference",
        )
    }
    for i, r in rows.iterrows():
        kind, num, den, ref, _ = MAPPING[(r.series, r.definition)]
        w = weights.get(i)
        cols["num_agg"].append(add_agg(num, r, w))
        cols["den_agg"].append(add_agg(den, r, w) if den else -1)
        cols["group"].append(gidx[(r.series, r.definition)])
        otype = TYPE_OF_KIND[kind]
        cols["obs_type"].append(otype)
        cols["type_index"].append(types.index(otype))
        cols["lik"].append(LIK_CODE[kind])
        note = str(r.note) if isinstance(r.note, str) else ""
        e = QUALITY_SD[r.quality]
        if "bound" in note.lower():
            e = max(e, BOUND_SD)
        if r.residual_of:
            e = float(np.hypot(e, RESIDUAL_SD))
        cols["noise_sd"].append(e * OBS_TYPES[otype]["scale"])
        agg = "sum over period" if kind in ("flow", "rate") else "at month end nearest the date"
        cols["latent"].append(f"{'+'.join(num)} ({agg})")
        cols["denominator"].append("+".join(den) if den else "")
        cols["transform"].append({0: "log", 1: "logit", 2: "identity"}[LIK_CODE[kind]])
        cols["reference"].append(bool(ref))
    for k, v in cols.items():
        rows[k] = v
    rows = rows.drop(columns=["ps", "pe"])
    un = obs.loc[
        [i for i, _ in unused],
        ["source_file", "line", "series", "definition", "period_start", "period_end", "value", "quality"],
    ].copy()
    un["reason"] = [r for _, r in unused]
    d = Design(rows=rows, unused=un.sort_values(["source_file", "line"]), start=s, T=T, groups=groups)
    d.z_index = np.asarray(z_index, dtype=np.int64)
    d.z_weight = np.asarray(z_weight, float)
    d.agg_start = np.asarray(agg_start, dtype=np.int64)
    d.agg_end = np.asarray(agg_end, dtype=np.int64)
    d.num_agg = rows.num_agg.to_numpy(np.int64)
    d.den_agg = rows.den_agg.to_numpy(np.int64)
    return d
