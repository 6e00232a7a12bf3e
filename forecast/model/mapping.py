"""What each observation measures: the mapping of (series, definition) onto the latent chain, and its noise.

The observation model's structure as data, read by :func:`forecast.model.design.build_design`:
:data:`MAPPING` says which latent flows or stocks a row of each (series, definition) measures and
whether that definition is the reference one (bias fixed at 0) or has a bias prior of its own;
:data:`OBS_TYPES` the discrepancy of each type of row; :data:`QUALITY_SD` the fixed measurement noise
per quality flag; :data:`ESTIMATE_INPUTS` the rows of ``inputs.csv`` that are also evidence (the
taakstelling as set). Nothing here reads files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import names as N

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
    # the state's own estimates of a flow (the taakstelling: permit holders to house in a half-year, set
    # from the IND's forecast of permits and nareizigers): a forecast, not a count. Its errors are the
    # state's forecast errors, far larger than a count's; fixed, because about a dozen half-years cannot
    # identify a scale of their own. 0.3 on the log scale (x0.74..x1.35) is the size of the revisions the
    # state made within a half-year (2019-I 8,000 -> 6,000, 2023-II 27,300 -> 17,600: 0.29 and 0.44).
    "estimate": {"learned": False, "scale": 1.0, "fixed": 0.3},
}
#: The likelihood (the scale of the error) of each kind of mapped row.
LIKELIHOOD_OF_KIND = {
    "flow": N.Likelihood.LOG,
    "stock": N.Likelihood.LOG,
    "rate": N.Likelihood.LOGIT,
    "share": N.Likelihood.LOGIT,
    "linear": N.Likelihood.IDENTITY,
    "estimate": N.Likelihood.LOG,
}
TYPE_OF_KIND = {
    "flow": "flow",
    "stock": "stock",
    "rate": "rate",
    "share": "rate",
    "linear": "linear",
    "estimate": "estimate",
}
#: The kinds of row that measure a sum (or ratio of sums) of flows over their period.
PERIOD_KINDS = ("flow", "rate", "estimate")

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
    ("nareis_applications", "ind"): (
        "flow",
        ("nareis_applications",),
        None,
        True,
        "reference: nareis applications submitted",
    ),
    ("nareis_decisions", "ind"): ("flow", ("nareis_decisions",), None, True, "reference: nareis decisions"),
    ("nareis_backlog", "ind"): ("stock", ("nareis_backlog",), None, True, "reference: pending nareis"),
    ("ind_backlog_incl_nareis", "ind"): (
        "stock",
        ("ind_backlog", "nareis_backlog"),
        None,
        True,
        "reference: pending first + nareis applications",
    ),
    ("applications_incl_nareis_requests", "ind"): (
        "flow",
        ("instroom", "repeat", "nareis_applications"),
        None,
        True,
        "reference: first + repeat + nareis applications",
    ),
    ("taakstelling", "vastgesteld"): (
        "estimate",
        ("grants", "nareis"),
        None,
        False,
        "the state's estimate of the permit holders (nareizigers included) to house in the half-year",
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
    "ind_backlog_taskforce": "Taskforce subset (filed before 1 Apr 2020): a lower bound of a sub-scope",
    "coa_occupancy_noodopvang": "split of occupancy by location type is not modelled (need, not places)",
    "coa_occupancy_outside_coa": "split of occupancy by location type is not modelled",
    "coa_occupancy_regular": "split of occupancy by location type is not modelled",
}


def bias_parameter_names() -> tuple[str, ...]:
    """List the names of the observation-bias priors.

    Returns
    -------
    tuple of str
        ``bias__<series>__<definition>`` for every non-reference (series, definition) of
        :data:`MAPPING`, in its order.
    """
    return tuple(f"bias__{s}__{d}" for (s, d), m in MAPPING.items() if not m[3])


#: The rows of ``inputs.csv`` that the model also reads as evidence on the chain (series, definition):
#: the taakstelling as set, the state's estimate of the permit holders to house in a half-year.
ESTIMATE_INPUTS = (("taakstelling", "vastgesteld"),)


def estimate_rows(history) -> pd.DataFrame:
    """The inputs that are also evidence on the chain (:data:`ESTIMATE_INPUTS`), one row per period.

    The state sets each half-year's taakstelling from the IND's forecast of the permits it will grant
    and the nareizigers expected, and revises it when those change ("verlaagd van 8.000 naar 6.000"
    in March 2019, with fewer permits). So the taakstelling is the state's estimate of the half-year's
    grants plus nareis arrivals: a forecast, with its own bias and a fixed error of
    ``OBS_TYPES["estimate"]``, but the only figure on the IND's grants before 2021 besides a few
    yearly grant rates. ``history.inputs`` holds one vintage per input, the last as known (earlier
    vintages are in ``history.input_vintages``): the value the model's inputs use
    (:func:`~forecast.model.inputs.taakstelling_per_half`) is the evidence.

    Parameters
    ----------
    history : History
        Its inputs are read.

    Returns
    -------
    pandas.DataFrame
        The evidence rows, in the columns of ``history.observations``.
    """
    inputs = history.inputs
    keep = np.zeros(len(inputs), dtype=bool)
    for series, definition in ESTIMATE_INPUTS:
        keep |= ((inputs.series == series) & (inputs.definition == definition)).to_numpy()
    return inputs.loc[keep, list(history.observations.columns)].reset_index(drop=True)
