"""Names used across the library: series, definitions, columns, dimensions.

Every series name, definition code, column and dimension name that more than one
module uses is defined here, once. The vocabulary follows the curated history
(``forecast/data/bundled/README.md``); Dutch terms are kept where they are the
official names (*taakstelling*, *nareis*, *opvangbehoefte*).

A user who brings figures under a new definition (say, a new COA count) adds
the code to :data:`OBSERVATION_SERIES` or :data:`INPUT_SERIES` below; the loader
rejects codes it does not know, so that a typo never becomes a new series.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Literal

# --------------------------------------------------------------------------- columns
SERIES = "series"
PERIOD_START = "period_start"
PERIOD_END = "period_end"
VALUE = "value"
UNIT = "unit"
DEFINITION = "definition"
QUALITY = "quality"
SOURCE_URL = "source_url"
NOTE = "note"

#: Columns of ``observations.csv`` and ``inputs.csv``, in file order.
RECORD_COLUMNS: tuple[str, ...] = (
    SERIES,
    PERIOD_START,
    PERIOD_END,
    VALUE,
    UNIT,
    DEFINITION,
    QUALITY,
    SOURCE_URL,
    NOTE,
)

#: The date an input value was announced (published), ISO ``YYYY-MM-DD``: an optional column of
#: ``inputs.csv``. A later revision of an input is a new row of the same input (same series, period and
#: definition) with a later ``announced``; a row without one is known from its ``period_start``.
ANNOUNCED = "announced"
#: Columns ``inputs.csv`` may carry, in file order: :data:`RECORD_COLUMNS`, then the optional
#: :data:`ANNOUNCED`.
INPUT_COLUMNS: tuple[str, ...] = (*RECORD_COLUMNS, ANNOUNCED)

#: Columns the loader derives (not stored in the CSV files).
KIND = "kind"
FREQUENCY = "frequency"
SOURCE_FILE = "source_file"
LINE = "line"
#: Derived column of the inputs: the first day a row's value was known (its :data:`ANNOUNCED` date, or
#: its ``period_start`` when it has none).
KNOWN_FROM = "known_from"

EVENT = "event"
EVENT_START = "start"
EVENT_END = "end"
ACTS_ON = "acts_on"
DESCRIPTION = "description"
#: Columns of ``events.csv``, in file order.
EVENT_COLUMNS: tuple[str, ...] = (EVENT, EVENT_START, EVENT_END, ACTS_ON, DESCRIPTION, SOURCE_URL)

#: The key that identifies one figure: two rows with this key are the same figure.
RECORD_KEY: tuple[str, ...] = (SERIES, PERIOD_START, PERIOD_END, DEFINITION)

# --------------------------------------------------------------------------- qualities
EXACT = "exact"
ROUNDED = "rounded"
APPROX = "approx"
SECONDARY = "secondary"
#: Quality flags, from most to least precise.
QUALITIES: tuple[str, ...] = (EXACT, ROUNDED, APPROX, SECONDARY)

# --------------------------------------------------------------------------- frequencies
#: Frequency letters of a record's period (as in the data README's coverage table).
MONTH, QUARTER, HALF_YEAR, YEAR, POINT, OTHER = "M", "Q", "H", "Y", "P", "O"
FREQUENCIES: tuple[str, ...] = (MONTH, QUARTER, HALF_YEAR, YEAR, POINT, OTHER)

# --------------------------------------------------------------------------- dimensions
DIM_OBSERVATION = "observation"
DIM_MONTH = "month"
DIM_CHAIN = "chain"
DIM_DRAW = "draw"
DIM_SCENARIO = "scenario"

Kind = Literal["flow", "stock", "level"]
FLOW: Kind = "flow"
"""A count over a period (a flow observation constrains the sum of a monthly flow)."""
STOCK: Kind = "stock"
"""A value at a date (``period_start == period_end``)."""
LEVEL: Kind = "level"
"""An input that holds at a date or over a period (a capacity decision, a cost rate)."""

FRACTION = "fraction"
#: Units that count people, applications, decisions or places: their values are whole numbers.
COUNT_UNITS: tuple[str, ...] = ("persons", "applications", "decisions", "places")


# --------------------------------------------------------------------------- date window
#: The earliest date any history file may carry: before the first figure of the bundled history (COA
#: occupancy at the end of 1995) and before the chain as modelled existed; an earlier date is a typo.
EARLIEST_DATE = dt.date(1990, 1, 1)
#: The latest date any history file may carry. Inputs are set ahead (the taakstelling per half-year,
#: capacity decisions for the next years, the forecast horizon ends 2030-12-31), but not decades ahead:
#: a later date is a typo (2099, 9999-12-31) that would stretch the model's monthly window.
LATEST_DATE = dt.date(2050, 12, 31)


@dataclass(frozen=True)
class SeriesSpec:
    """What the loader knows about one series.

    Parameters
    ----------
    kind : {"flow", "stock", "level"}
        How the period is read: a flow covers whole months, a stock is a date,
        a level may be either.
    units : tuple of str
        Units a row of this series may carry.
    definitions : tuple of str
        Definition codes (whose count the figure follows).
    description : str
        One line in English.
    signed : bool
        Whether negative values are meaningful (the taakstelling backlog: a
        negative value is a *voorsprong*). All other counts must be >= 0.
    ceiling : float or None
        The largest plausible value: for a flow, per calendar month its period touches (a row
        over ``n`` months may reach ``n * ceiling``); for a stock or level, the value itself.
        Required for every series that is not a fraction (fractions lie in [0, 1]). Ceilings are
        generous, an order of magnitude above anything in Dutch history: they catch typos and
        unit errors (``1e30``, a value in the wrong column), not unusual figures.
    floor : float or None
        The most negative plausible value of a signed series (scaled like ``ceiling``); ``None``
        for an unsigned series (whose floor is 0) and for fractions.
    bound_reason : str
        One line saying why the ceiling (and floor) are where they are; quoted in error messages.

    Raises
    ------
    ValueError
        When a series that is not a fraction has no ceiling or reason, a fraction has one, or
        ``floor`` does not match ``signed``.
    """

    kind: Kind
    units: tuple[str, ...]
    definitions: tuple[str, ...]
    description: str
    signed: bool = False
    ceiling: float | None = None
    floor: float | None = None
    bound_reason: str = ""

    def __post_init__(self) -> None:
        if self.is_fraction:
            if self.ceiling is not None or self.floor is not None:
                raise ValueError(f"{self.description!r}: a fraction lies in [0, 1]; give no ceiling or floor")
            return
        if self.ceiling is None or not self.ceiling > 0 or not self.bound_reason:
            raise ValueError(f"{self.description!r}: give a positive ceiling and its bound_reason")
        if self.signed != (self.floor is not None) or (self.floor is not None and not self.floor < 0):
            raise ValueError(f"{self.description!r}: a signed series needs a negative floor, others none")

    @property
    def is_fraction(self) -> bool:
        """True when the values are rates or shares in [0, 1]."""
        return self.units == (FRACTION,)

    def bounds(self, months: int = 1) -> tuple[float, float]:
        """Return the plausible range of one row's value.

        Parameters
        ----------
        months : int, optional
            The calendar months the row's period touches (default 1); only a flow's bounds
            scale with it.

        Returns
        -------
        low, high : float
            The smallest and the largest plausible value: ``(0, 1)`` for a fraction; ``floor``
            (or 0) and ``ceiling`` for a stock or level; both times ``months`` for a flow.
        """
        if self.is_fraction or self.ceiling is None:
            return 0.0, 1.0
        scale = max(int(months), 1) if self.kind == FLOW else 1
        low = 0.0 if self.floor is None else self.floor * scale
        return low, self.ceiling * scale


# --------------------------------------------------------------------------- plausibility bounds
# Generous ceilings, each at least ten times the largest figure of its kind in the bundled history
# (tests/bad_input/test_data_input.py checks every bundled value against a tenth of its bound).
_FLOW_PER_MONTH = 150_000.0
_FLOW_WHY = (
    "persons, applications or decisions per month; >12x the busiest month on record "
    "(11,700 asylum applications and nareizigers, October 2015)"
)
_STOCK_PERSONS = 1_000_000.0
_STOCK_WHY = (
    "persons or applications at a date; ~12x the largest stock on record (83,801 in COA reception, 2001)"
)
_PLACES = 1_000_000.0
_PLACES_WHY = "places; ~10x the most ever planned (97,500 places, MPP 2024-I)"
_PLACES_PER_MONTH = 100_000.0
_PLACES_FLOW_WHY = (
    "places added, closed or needed per month; in one month more than the largest capacity ever "
    "planned (97,500 places), ~40x the fastest growth on record (12,282 places in five months, 2021-22)"
)
_COST = 1_000_000.0
_COST_WHY = "EUR per resident per year; ~14x the highest cost on record (~70,000 EUR in noodopvang, 2024)"
_COST_PLACE_WHY = "EUR per place per year; ~14x the highest cost on record (~70,000 EUR in noodopvang, 2024)"
_DECISION_CAPACITY = 500_000.0
_DECISION_CAPACITY_WHY = (
    "decisions a year (or a week); ~18x the largest IND capacity on record (28,000 decisions a year, 2022)"
)
_BACKLOG_CEILING, _BACKLOG_FLOOR = 250_000.0, -100_000.0
_BACKLOG_WHY = (
    "persons; ~20x the largest achterstand (12,105 on 1 January 2025) and ~55x the largest "
    "voorsprong (1,793, end 2022) on record"
)

_P = ("persons",)

#: Series of ``observations.csv``: what the model is fitted to.
OBSERVATION_SERIES: dict[str, SeriesSpec] = {
    "applications_incl_nareis_requests": SeriesSpec(
        FLOW,
        ("applications",),
        ("ind",),
        "first + repeat applications + nareis applications (IND jaarcijfers)",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "applications_incl_repeat": SeriesSpec(
        FLOW,
        _P,
        ("aida", "cbs", "eurostat", "eurostat_excl_ua", "ind"),
        "first + repeat applications, excluding nareis",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "coa_asylum_seekers_in_procedure": SeriesSpec(
        STOCK,
        _P,
        ("coa",),
        "asylum seekers in procedure in COA reception",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "coa_inflow": SeriesSpec(
        FLOW,
        _P,
        ("coa",),
        "persons entering COA reception",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "coa_occupancy": SeriesSpec(
        STOCK,
        _P,
        ("coa_in_coa_locatie", "coa_personen_in_opvang", "coa_recht_op_opvang"),
        "persons in COA reception (opvangbehoefte realised)",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "coa_occupancy_noodopvang": SeriesSpec(
        STOCK,
        _P,
        ("coa_noodopvang", "incl_crisisnoodopvang"),
        "persons in emergency reception (noodopvang)",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "coa_occupancy_outside_coa": SeriesSpec(
        STOCK,
        _P,
        ("coa",),
        "persons with a right to COA reception outside COA locations",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "coa_occupancy_regular": SeriesSpec(
        STOCK,
        _P,
        ("coa",),
        "persons in regular COA locations",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "coa_outflow_asylum_seekers": SeriesSpec(
        FLOW,
        _P,
        ("coa",),
        "asylum seekers (non-statushouders) leaving COA reception",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "coa_outflow_statushouders": SeriesSpec(
        FLOW,
        _P,
        ("coa",),
        "statushouders leaving COA reception",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "coa_outflow_total": SeriesSpec(
        FLOW,
        _P,
        ("coa",),
        "persons leaving COA reception",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "coa_statushouders": SeriesSpec(
        STOCK,
        _P,
        ("coa",),
        "statushouders in COA reception waiting for a municipal home",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "coa_statushouders_share": SeriesSpec(
        STOCK, (FRACTION,), ("ministry",), "share of COA residents who are statushouder"
    ),
    "first_applications": SeriesSpec(
        FLOW,
        _P,
        ("aida", "cbs", "eurostat", "ind", "ministry_weekly"),
        "first asylum applications (instroom, eerste asielverzoeken)",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "housed_statushouders": SeriesSpec(
        FLOW,
        _P,
        ("taakstelling_monitor",),
        "statushouders housed by municipalities (huisvesting)",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "ind_backlog": SeriesSpec(
        STOCK,
        _P,
        ("aida", "eurostat", "eurostat_excl_ua", "ind", "ind_aa"),
        "pending first applications awaiting a first-instance decision (voorraad)",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "ind_backlog_incl_nareis": SeriesSpec(
        STOCK,
        _P,
        ("ind",),
        "pending asylum applications including pending nareis",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "ind_backlog_taskforce": SeriesSpec(
        STOCK,
        _P,
        ("ind_taskforce",),
        "undecided first applications filed before 1 Apr 2020",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "ind_decisions": SeriesSpec(
        FLOW,
        ("persons", "decisions"),
        ("eurostat", "eurostat_excl_ua", "ind_all_asylum", "ind_first"),
        "IND first-instance decisions (beslissingen)",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "ind_decisions_positive": SeriesSpec(
        FLOW,
        _P,
        ("eurostat_excl_ua",),
        "positive first-instance decisions",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "ind_grant_rate": SeriesSpec(
        FLOW,
        (FRACTION,),
        ("aida", "eurostat", "ind_aa_va", "ind_first_all"),
        "share of first-instance decisions that grant protection (inwilligingspercentage)",
    ),
    "nareis": SeriesSpec(
        FLOW,
        _P,
        ("cbs", "ind"),
        "nareizigers who arrived",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "nareis_applications": SeriesSpec(
        FLOW,
        ("applications",),
        ("ind",),
        "nareis applications submitted",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "nareis_backlog": SeriesSpec(
        STOCK,
        ("applications",),
        ("ind",),
        "pending nareis applications",
        ceiling=_STOCK_PERSONS,
        bound_reason=_STOCK_WHY,
    ),
    "nareis_decisions": SeriesSpec(
        FLOW,
        ("decisions",),
        ("ind",),
        "IND decisions on nareis applications",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "repeat_applications": SeriesSpec(
        FLOW,
        _P,
        ("aida", "eurostat", "ind"),
        "repeat (herhaalde) asylum applications",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "taakstelling_backlog": SeriesSpec(
        STOCK,
        _P,
        ("taakstelling_monitor",),
        "achterstand on the taakstelling (positive = backlog, negative = voorsprong)",
        signed=True,
        ceiling=_BACKLOG_CEILING,
        floor=_BACKLOG_FLOOR,
        bound_reason=_BACKLOG_WHY,
    ),
    "total_inflow": SeriesSpec(
        FLOW,
        _P,
        ("cbs", "excl_repeat", "ind", "ministry_weekly", "rvk_incl_resettlement"),
        "first + repeat applications + nareizigers who arrived",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
}

_CAPACITY_DECISIONS = (
    "capaciteitsbesluit_2018-03",
    "capaciteitsbesluit_2019-04",
    "capaciteitsbesluit_2022-11",
    "coa_2021-01",
    "coa_2022-01",
    "mpp_2022-I",
    "mpp_2023-I",
    "mpp_2023-II",
    "mpp_2024-I",
)
_EUR = ("EUR per resident per year",)
_EUR_PLACE = ("EUR per place per year",)

#: Series of ``inputs.csv``: exogenous inputs and policy settings known in advance.
INPUT_SERIES: dict[str, SeriesSpec] = {
    "accelerated_outflow_target": SeriesSpec(
        FLOW,
        _P,
        ("rijk_gemeenten_2022",),
        "extra outflow target for statushouders",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "coa_capacity": SeriesSpec(
        STOCK,
        ("places",),
        ("coa", "coa_technische_capaciteit"),
        "COA places available",
        ceiling=_PLACES,
        bound_reason=_PLACES_WHY,
    ),
    "coa_capacity_regular": SeriesSpec(
        STOCK,
        ("places",),
        ("coa",),
        "regular (non-emergency) COA places available: azc and other regular locations, no noodopvang",
        ceiling=_PLACES,
        bound_reason=_PLACES_WHY,
    ),
    "coa_capacity_added_gross": SeriesSpec(
        FLOW,
        ("places",),
        ("coa",),
        "places added",
        ceiling=_PLACES_PER_MONTH,
        bound_reason=_PLACES_FLOW_WHY,
    ),
    "coa_capacity_closed": SeriesSpec(
        FLOW,
        ("places",),
        ("coa",),
        "places lost",
        ceiling=_PLACES_PER_MONTH,
        bound_reason=_PLACES_FLOW_WHY,
    ),
    "coa_capacity_decision": SeriesSpec(
        LEVEL,
        ("places",),
        _CAPACITY_DECISIONS,
        "places COA must provide (capaciteitsbesluit)",
        ceiling=_PLACES,
        bound_reason=_PLACES_WHY,
    ),
    "coa_capacity_extra_needed": SeriesSpec(
        FLOW,
        ("places",),
        ("coa_2019-11", "coa_jaarplan_2024"),
        "net new places to add",
        ceiling=_PLACES_PER_MONTH,
        bound_reason=_PLACES_FLOW_WHY,
    ),
    "coa_capacity_funded_stable": SeriesSpec(
        STOCK,
        ("places",),
        ("rijk_2023",),
        "places with stable funding",
        ceiling=_PLACES,
        bound_reason=_PLACES_WHY,
    ),
    "cost_per_resident_emergency": SeriesSpec(
        LEVEL,
        _EUR,
        ("coa",),
        "COA cost per resident per year, noodopvang",
        ceiling=_COST,
        bound_reason=_COST_WHY,
    ),
    "cost_per_resident_regular": SeriesSpec(
        LEVEL,
        _EUR,
        ("coa",),
        "COA cost per resident per year, regular reception",
        ceiling=_COST,
        bound_reason=_COST_WHY,
    ),
    "cost_per_place_emergency": SeriesSpec(
        LEVEL,
        _EUR_PLACE,
        ("coa",),
        "COA cost per place per year, noodopvang (as sources state it per place, not per resident)",
        ceiling=_COST,
        bound_reason=_COST_PLACE_WHY,
    ),
    "cost_per_place_regular": SeriesSpec(
        LEVEL,
        _EUR_PLACE,
        ("coa",),
        "COA cost per place per year, regular reception (as sources state it per place)",
        ceiling=_COST,
        bound_reason=_COST_PLACE_WHY,
    ),
    "ind_decision_capacity": SeriesSpec(
        LEVEL,
        ("decisions", "decisions per week"),
        ("ind_capacity", "ind_capacity_target", "ind_opdracht"),
        "IND decision capacity",
        ceiling=_DECISION_CAPACITY,
        bound_reason=_DECISION_CAPACITY_WHY,
    ),
    "planning_occupancy_rate": SeriesSpec(
        LEVEL,
        (FRACTION,),
        ("capaciteitsbesluit_2022-11", "mpp_2023-II"),
        "planned occupancy rate (places = persons / rate)",
    ),
    "spreidingswet_provincial_offer": SeriesSpec(
        STOCK,
        ("places",),
        ("provinces",),
        "places offered in the provincial plans",
        ceiling=_PLACES,
        bound_reason=_PLACES_WHY,
    ),
    "spreidingswet_target_places": SeriesSpec(
        STOCK,
        ("places",),
        ("provinciale_opgave_2024", "spreidingswet_cycle1"),
        "Spreidingswet target number of places",
        ceiling=_PLACES,
        bound_reason=_PLACES_WHY,
    ),
    "taakstelling": SeriesSpec(
        FLOW,
        _P,
        ("bestuurlijk_streefcijfer", "vastgesteld"),
        "half-yearly municipal housing target (huisvestingstaakstelling)",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
    "taakstelling_incl_backlog": SeriesSpec(
        FLOW,
        _P,
        ("taakstelling_monitor",),
        "taakstelling plus the carried-over achterstand",
        ceiling=_FLOW_PER_MONTH,
        bound_reason=_FLOW_WHY,
    ),
}

OBSERVATIONS_FILE = "observations.csv"
INPUTS_FILE = "inputs.csv"
EVENTS_FILE = "events.csv"
OFFICIAL_FORECASTS_FILE = "official_forecasts.csv"

# --------------------------------------------------------------------------- official forecasts
# Columns and targets of ``official_forecasts.csv`` (the MPP, budget, IND and COA forecasts of the time).
EDITION = "edition"
MADE_ON = "made_on"
FORECAST_TARGET = "target"
TARGET_PERIOD_START = "target_period_start"
TARGET_PERIOD_END = "target_period_end"
LOW = "low"
MID = "mid"
HIGH = "high"
#: Columns of ``official_forecasts.csv``, in file order.
OFFICIAL_FORECAST_COLUMNS: tuple[str, ...] = (
    EDITION,
    MADE_ON,
    FORECAST_TARGET,
    TARGET_PERIOD_START,
    TARGET_PERIOD_END,
    LOW,
    MID,
    HIGH,
    UNIT,
    SOURCE_URL,
    NOTE,
)
FORECAST_TOTAL_INFLOW = "total_inflow"
"""Target: first + repeat applications + nareis (persons) over the target period."""
FORECAST_FIRST_APPLICATIONS = "first_applications"
"""Target: first asylum applications (persons) over the target period."""
FORECAST_COA_PLACES_NEEDED = "coa_places_needed"
"""Target: COA places needed at a date, planning buffer included (divide by the planning occupancy rate
in force to compare with persons)."""
FORECAST_COA_STATUSHOUDERS = "coa_statushouders"
"""Target: statushouders in COA reception at a date (persons)."""
#: Every target of an official forecast, with the one unit its values carry.
OFFICIAL_FORECAST_TARGETS: dict[str, str] = {
    FORECAST_TOTAL_INFLOW: "persons",
    FORECAST_FIRST_APPLICATIONS: "persons",
    FORECAST_COA_PLACES_NEEDED: "places",
    FORECAST_COA_STATUSHOUDERS: "persons",
}


# =========================================================================== languages
#: The languages of the reports, the phase-gate verdicts and the command line's ``--lang``: Dutch
#: (the default) and English.
LANGUAGES: tuple[str, ...] = ("nl", "en")


# --------------------------------------------------------------------------- likelihood kinds
class Likelihood(enum.IntEnum):
    """How an observation row is compared with the model: the scale of its Student-t error.

    The values are the integers of the design's ``lik`` column, read by the fused likelihood
    :mod:`forecast.model.obslik` and its numpy twin :func:`forecast.model.build.row_predictions`
    (an ``IntEnum``, so the column stays an int array).

    Parameters
    ----------
    *values : int
        The integer of a kind: ``Likelihood(1)`` is ``Likelihood.LOGIT``.
    """

    #: A count (a flow or a stock) on the log scale.
    LOG = 0
    #: A rate or share on the logit scale.
    LOGIT = 1
    #: A signed quantity (the taakstelling backlog) on its own scale.
    IDENTITY = 2


#: The transform of each likelihood kind, by name.
LIK_TRANSFORM: dict[Likelihood, str] = {
    Likelihood.LOG: "log",
    Likelihood.LOGIT: "logit",
    Likelihood.IDENTITY: "identity",
}

# --------------------------------------------------------------------------- random seed
#: The seed every sampling, forecast and simulation uses unless told another one.
DEFAULT_SEED = 2026
#: Days in a month when a gap between two dates is measured in months (the backtest's baselines, the
#: stock anchor's gaps).
MONTH_DAYS = 365.25 / 12


# =========================================================================== scenarios (policy measures)
# Block owned by forecast.scenarios: measure effect targets, effect kinds, phases, bundles.

DIM_MEASURE = "measure"
DIM_PHASE = "fase"
DIM_TARGET = "target"

# --------------------------------------------------------------------------- effect targets
TARGET_INSTROOM = "instroom"
"""First asylum applications per month (log multiplier)."""
TARGET_NAREIS = "nareis"
"""Nareis applications per month (log multiplier). The arrivals (nareizigers) follow through the IND's
nareis queue and the travel lag, so they fall later and more slowly than the applications."""
TARGET_DECISION_RATE = "decision_rate"
"""IND first-instance decisions per month, i.e. throughput (log multiplier; < 0: longer stays in procedure)."""
TARGET_HOUSING_RATE = "housing_rate"
"""Statushouders housed by municipalities per month (log multiplier)."""
TARGET_DEPARTURE_RATE = "departure_rate"
"""Monthly departure rate of rejected applicants from COA reception (log multiplier)."""
TARGET_REGULAR_CAPACITY = "regular_capacity"
"""Regular (non-emergency) COA places (additive places; acts on capacity, not on need)."""
TARGET_HOUSING_OBLIGATION = "housing_obligation"
"""The municipal housing obligation, the taakstelling (a structural switch, not a multiplier): where the
switch is on, the taakstelling no longer sets an obligation and no new achterstand accumulates (the achterstand
already built up still counts until housing has cleared it); municipalities keep a voluntary share of the
housing the taakstelling drove. The effect's draw is that voluntary share, in [0, 1] (``voluntary_share`` of
:class:`forecast.model.dynamics.ChainParams`); its ramp is how far the taakstelling is abolished in each
month (``obligation_off``)."""

EFFECT_LOG_MULTIPLIER = "log_multiplier"
"""Effect kind: the draw is added to the log of a flow or rate (the flow is multiplied by ``exp(draw)``)."""
EFFECT_PLACES = "places"
"""Effect kind: the draw is a number of places added to a capacity."""
EFFECT_SWITCH = "switch"
"""Effect kind: a structural switch of the chain, not a multiplier. The measure's ramp (0 to 1) says how far
the switch is turned in each month (0: the chain as it is, 1: fully switched); the draw is a share in [0, 1]
that sets the switched chain (for :data:`TARGET_HOUSING_OBLIGATION`: the voluntary share of the housing).
No draw is "no effect": a measure that does not act is a measure that is not active. At most one switch
effect per target."""
EFFECT_KINDS: tuple[str, ...] = (EFFECT_LOG_MULTIPLIER, EFFECT_PLACES, EFFECT_SWITCH)

#: Every target a measure may act on, with the one effect kind it takes.
EFFECT_TARGETS: dict[str, str] = {
    TARGET_INSTROOM: EFFECT_LOG_MULTIPLIER,
    TARGET_NAREIS: EFFECT_LOG_MULTIPLIER,
    TARGET_DECISION_RATE: EFFECT_LOG_MULTIPLIER,
    TARGET_HOUSING_RATE: EFFECT_LOG_MULTIPLIER,
    TARGET_DEPARTURE_RATE: EFFECT_LOG_MULTIPLIER,
    TARGET_REGULAR_CAPACITY: EFFECT_PLACES,
    TARGET_HOUSING_OBLIGATION: EFFECT_SWITCH,
}

#: The targets that act on the chain's dynamics as multipliers (``p["mult_<target>"]`` of
#: :func:`forecast.model.dynamics.simulate_chain`); ``regular_capacity`` acts on capacity only, and
#: ``housing_obligation`` is a structural switch (:data:`SWITCH_TARGETS`), not a multiplier.
MULTIPLIER_TARGETS: tuple[str, ...] = tuple(
    t for t, k in EFFECT_TARGETS.items() if k == EFFECT_LOG_MULTIPLIER
)
#: The targets that act on the chain as a structural switch (kind :data:`EFFECT_SWITCH`): the scenario
#: engine passes them to :meth:`forecast.model.forward.Forward.simulate` as ``obligation_off`` (the
#: switch path) and ``voluntary_share`` (the draw); a phase-gate refit cannot estimate them.
SWITCH_TARGETS: tuple[str, ...] = tuple(t for t, k in EFFECT_TARGETS.items() if k == EFFECT_SWITCH)

# --------------------------------------------------------------------------- phases (fases)
PHASE_VOORBEREIDING = "voorbereiding"
PHASE_IMPLEMENTATIE = "implementatie"
PHASE_NORMALISATIE = "normalisatie"
#: The phases of the policy note, in order (their dates live in ``priors/policy/phases.toml``).
PHASES: tuple[str, ...] = (PHASE_VOORBEREIDING, PHASE_IMPLEMENTATIE, PHASE_NORMALISATIE)
NO_PHASE = "buiten_fasering"
"""Label of a month that lies in no phase (before the first, after the horizon)."""
#: Default end of the forecast horizon (inclusive): the end of the open-ended last phase.
DEFAULT_HORIZON_END = "2030-12-31"

# --------------------------------------------------------------------------- bundles and scenarios
BUNDLE_KABINETSBELEID = "kabinetsbeleid"
BUNDLE_PAKKET_ZONDER_VERBOD = "pakket_zonder_verbod_op_voorrang"
BUNDLE_GEEN_NIEUW_BELEID = "geen_nieuw_beleid"
BUNDLE_SAMENHANGEND_PAKKET = "samenhangend_pakket"
ALL_MEASURES = "all"
"""A bundle whose ``measures`` is this string holds every measure."""
NO_MEASURES_LABEL = "geen_maatregelen"
"""Scenario label of the combination with no active measure."""
SCENARIO_LABEL_SEPARATOR = "+"

POLICY_DIR = "policy"
"""Subfolder of ``priors/`` with the policy files (kept out of the model prior loader's ``*.toml`` glob)."""
PHASES_FILE = "phases.toml"
MEASURES_FILE = "measures.toml"

# --------------------------------------------------------------------------- the chain's latent quantities
#: Reception need: persons in COA reception (asylum seekers in procedure + statushouders waiting
#: for a home + rejected applicants not yet departed).
OPVANGBEHOEFTE = "opvangbehoefte"
#: Reception need in places: persons ÷ the planning occupancy rate.
OPVANGBEHOEFTE_PLACES = "opvangbehoefte_places"

# --------------------------------------------------------------------------- scenario engine outputs
REGULAR_CAPACITY = "regular_capacity_places"
"""Regular COA places available (the capacity path plus the measures' places)."""
NOODOPVANG = "noodopvang"
"""Persons who do not fit in regular places (need in persons above the regular places): emergency reception."""
SHORTFALL_PLACES = "tekort_places"
"""Places short: need in places above the regular capacity (0 when it fits)."""
EXCEEDS_CAPACITY = "need_exceeds_capacity"
"""1 in a month where need in places exceeds the regular capacity, else 0."""
STATUSHOUDER_SHARE = "statushouder_share"
"""Statushouders waiting for a home as a share of everyone in reception."""
COST = "cost_eur"
"""Reception cost per month in euro: regular residents at the regular cost, noodopvang at the emergency cost."""
DIM_STAT = "stat"
DIM_QUANTILE = "quantile"

# --------------------------------------------------------------------------- units of what the library writes
#: CF ``units`` of the rates, stocks and flows.
PERSONS = "persons"
PERSONS_PER_MONTH = "persons/month"
PER_MONTH = "1/month"
DIMENSIONLESS = "1"
#: The ``units`` of a variable whose rows carry different units (observation rows of several series).
ROW_UNITS = "the unit of the row's series (persons, places, applications, or 1)"

#: The CF ``units`` attribute of every variable the library writes with a unit (:func:`units_of` also
#: reads the summaries' ``<name>_mean``, ``<name>_q`` and ``<name>_p_negative``). Persons, places,
#: euro and months are counted; rates per month are ``1/month``; logits, logs, log multipliers,
#: shares, ratios, probabilities and the scales of log or logit quantities are ``1``. Model parameters
#: not named here (knots, innovations, biases, effects, logits) are ``1``.
UNITS: dict[str, str] = {
    # initial stocks, lags and monthly rates of the model's parameters
    **dict.fromkeys(("backlog0", "nareis_backlog0", "statushouders0", "rejected0", "taak_backlog0"), PERSONS),
    **dict.fromkeys(("instroom_halflife", "nareis_app_lag_mean", "nareis_travel_lag_mean"), "month"),
    **dict.fromkeys(("departure_rate", "self_housing", "supply_speed"), PER_MONTH),
    "instroom_mean": DIMENSIONLESS,  # the log level of first applications (not a mean of ``instroom``)
    # the chain's latent flows (per month) and end-of-month stocks
    **dict.fromkeys(
        (
            "instroom",
            "repeat",
            "applications",
            "decisions",
            "grants",
            "rejections",
            "nareis_applications",
            "nareis_decisions",
            "nareis",
            "housing_inflow",
            "housed",
            "self_housed",
            "departures",
            "housing_supply",
            "obligation",
            "taakstelling",
        ),
        PERSONS_PER_MONTH,
    ),
    "ind_capacity": "decisions/month",
    "grant_rate": DIMENSIONLESS,
    **dict.fromkeys(
        (
            "ind_backlog",
            "nareis_backlog",
            "statushouders",
            "rejected",
            OPVANGBEHOEFTE,
            "taak_backlog",
            NOODOPVANG,
        ),
        PERSONS,
    ),
    **dict.fromkeys((OPVANGBEHOEFTE_PLACES, REGULAR_CAPACITY, SHORTFALL_PLACES), "places"),
    **dict.fromkeys(("planning_occupancy_rate", STATUSHOUDER_SHARE, EXCEEDS_CAPACITY), DIMENSIONLESS),
    # the scenario engine's per-fase statistics (forecast.scenarios.phase_stats.PHASE_STATISTICS)
    **dict.fromkeys(
        ("need_mean", "need_peak", "instroom_total", "nareis_total", "grants_total", "housed_total"), PERSONS
    ),
    **dict.fromkeys(("places_mean", "places_peak"), "places"),
    "exceeds_capacity": DIMENSIONLESS,
    "noodopvang_person_months": "person-months",
    "cost_eur": "euro",  # over the fase (the engine's monthly cost of the same name is euro a month)
    # the explorer's monthly fans of every scenario (forecast.scenarios.fans): need in persons and in
    # places (the fans' need_mean is persons, as the phase statistic of that name)
    "need_q": PERSONS,
    "places_q": "places",
    # observation rows (observed data, posterior and prior predictive, the fit data)
    VALUE: ROW_UNITS,
}


def units_of(name: str) -> str:
    """The CF ``units`` of a variable the library writes, by its name.

    A name of :data:`UNITS` has its unit; a summary ``<name>_mean`` or ``<name>_q`` has the unit of
    ``<name>``; a probability ``<name>_p_negative`` and every other name (a model parameter on a log or
    logit scale, a knot, an innovation, a bias, a sampler statistic, an in-sample coverage) is ``1``.

    Parameters
    ----------
    name : str
        The variable's name.

    Returns
    -------
    str
        Its ``units``.

    Examples
    --------
    >>> units_of("need_mean_q"), units_of("cost_eur_p_negative"), units_of("backlog0")
    ('persons', '1', 'persons')
    """
    if name in UNITS:
        return UNITS[name]
    if name.endswith("_p_negative"):
        return DIMENSIONLESS
    for suffix in ("_mean", "_q"):
        if name.endswith(suffix) and name[: -len(suffix)] in UNITS:
            return UNITS[name[: -len(suffix)]]
    return DIMENSIONLESS
