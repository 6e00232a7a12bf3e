"""Report labels in Dutch (default) and English: one dictionary per language, the same keys."""

from __future__ import annotations

import math

import pandas as pd

from forecast.names import LANGUAGES

#: What a table shows where there is no number.
MISSING = "–"
#: Between the two ends of a band: an en dash between non-breaking spaces, so that a band stays on one
#: line in a table cell or a sentence.
BAND_DASH = "\u00a0–\u00a0"

_NL = {
    "headline_title": "In het kort",
    "headline_need": "{scenario}: gemiddeld {need} mensen in de COA-opvang nodig (80%-band {band}).",
    "headline_shortage": (
        "Kans dat de behoefte in ten minste één maand de reguliere plaatsen overschrijdt: {p}."
    ),
    "headline_cost": "Kosten: {cost} mln euro per jaar (80%-band {band}).",
    "headline_change": (
        "Tegenover {reference}: {change} mensen (80%-band {band}); kans op een tekort {p} procentpunt."
    ),
    "cutoff": "Data tot en met {date} · gemaakt op {created}",
    "cost_year": "kosten per jaar (mln euro, verwacht)",
    "change": "verschil met {reference} (personen, mediaan)",
    "headline_table": "Alle pakketten per fase",
    "title": "Prognose opvangbehoefte",
    "subtitle": "Posterieure banden van de opvangbehoefte per fase en per combinatie van maatregelen",
    "index_title": "Overzicht",
    "explorer": "Scenarioverkenner: kies zelf maatregelen, capaciteit en een doel",
    "fase": "Fase",
    "period": "Periode",
    "voorbereiding": "Voorbereidingsfase",
    "implementatie": "Implementatiefase",
    "normalisatie": "Normalisatiefase",
    "scenario": "Scenario",
    "median": "mediaan",
    "band80": "80%-band",
    "band95": "95%-band",
    "p_exceed": "P(behoefte > capaciteit)",
    "noodopvang_pm": "noodopvang (persoonsmaanden in de fase, verwacht)",
    "cost_year_band": "kosten per jaar, 80%-band (mln euro)",
    "share": "aandeel statushouders (mediaan)",
    "peak": "piek (mediaan)",
    "places": "plaatsen (mediaan)",
    "diagnostics": "Sampler-diagnostiek",
    "diag_passed": "GESLAAGD: R-hat, ESS, divergenties en E-BFMI binnen de grenzen.",
    "diag_failed": "MISLUKT: de fit haalt de diagnostische drempels niet. GEBRUIK DEZE CIJFERS NIET.",
    "fan_persons": "Opvangbehoefte (personen in de COA-opvang)",
    "fan_places": "Opvangbehoefte in plaatsen en reguliere capaciteit",
    "observed": "waargenomen",
    "fitted": "model (historie)",
    "persons": "personen",
    "places_unit": "plaatsen",
    "month": "maand",
    "all_scenarios": "Alle scenario's in deze fase",
    "bundles": "Benoemde pakketten",
    "combinations": "Alle {n} combinaties van maatregelen",
    "contributions": "Bijdrage van elke maatregel (Shapley-waarde)",
    "contrib_text": (
        "Het verschil dat een maatregel maakt voor de gemiddelde opvangbehoefte in deze fase, gemiddeld over "
        "alle combinaties van de andere maatregelen; de bijdragen tellen op tot 'alle maatregelen' min "
        "'geen maatregelen'. Balk: posterieure mediaan; lijn: 80%-band."
    ),
    "measure": "maatregel",
    "mean": "gemiddelde",
    "p_lower": "P(verlaagt)",
    "statushouders": "Statushouders in de opvang",
    "share_text": "Aandeel statushouders onder de bewoners, per pakket (mediaan en 80%-band over de fase).",
    "flows": "Instroom, nareis en IND-voorraad",
    "instroom": "Eerste asielaanvragen per maand",
    "nareis": "Nareizigers per maand",
    "ind_backlog": "IND-voorraad (personen in procedure)",
    "statushouders_stock": "Statushouders in de opvang (personen)",
    "fit": "Hoe goed past het model op de historie",
    "fit_text": (
        "Aandeel waarnemingen binnen het centrale 50%- en 90%-interval van de posterieure predictieve "
        "verdeling, per reeks en definitie (in-sample)."
    ),
    "series": "reeks",
    "cover_50": "binnen 50%-interval",
    "cover_90": "binnen 90%-interval",
    "cover_n": "waarnemingen",
    "definition": "definitie",
    "provenance": "Herkomst: data, priors, versies",
    "last_obs": "Laatste waarneming per reeks",
    "sources": "Bronnen",
    "versions": "Versies",
    "machine": "machine van de fit",
    "conditioning": "voorspelling geconditioneerd op",
    "conditioning_unknown": "niet vastgelegd (resultaat van voor 2026-11-30)",
    "machine_unknown": "niet vastgelegd (fit van voor 2026-11-30)",
    "seed": "seed",
    "data_hash": "data-hash",
    "config_hash": "config-hash",
    "capacity_source": "capaciteit",
    "cost_source": "kosten",
    "horizon": "horizon",
    "assumptions": "Aannames",
    "assumptions_text": (
        "Het model zet de geschatte keten voort vanaf elke posterieure trekking: de instroom keert terug "
        "naar zijn geschatte gemiddelde niveau van 2014-2024; de IND-capaciteit schommelt rond het laatst "
        "bekende gefinancierde niveau en de IND beslist hoogstens een deel van de wachtende zaken per maand; "
        "het inwilligingspercentage keert terug naar zijn geschatte niveau; het woningaanbod van gemeenten "
        "volgt de taakstelling met vertraging, en een taakstelling die nog niet is vastgesteld volgt de "
        "instroom van statushouders van het halfjaar ervoor. Effecten van maatregelen worden "
        "getrokken uit hun priors (priors/policy/measures.toml). De banden na 2027 zijn breed: de "
        "IND-capaciteit groeit in het model niet mee met een oplopende voorraad."
    ),
    "pages": "Rapporten per fase",
    "generated": "Gemaakt met forecast {version}",
    "key_scenarios": "Kernscenario's",
    "no_months": "Deze fase valt buiten de prognoseperiode.",
    "effect": "effect",
    "downloads": "Machineleesbare bestanden",
    "fan_bands": (
        "Gekleurd per pakket: de lijn is de mediaan, de donkere band de 80%-band (de middelste 80% van de "
        "trekkingen, 10%–90%), de lichte band de 95%-band (2,5%–97,5%). Grijs: het model over de historie "
        "(mediaan en 80%-band); zwarte punten: waarnemingen."
    ),
    "fan_fase": "Geel: deze fase.",
    "fan_clipped": (
        "De y-as is afgekapt op {top}, zodat de 80%-banden leesbaar blijven: de 95%-band loopt erboven uit, "
        "tot {high} in {month}."
    ),
    "fan_low": (
        "De ondergrens van de 95%-band zakt tot {low} in {month}. Dat volgt uit het model: per trekking "
        "verschilt het niveau waarnaar het aantal asielaanvragen terugkeert, de aanvragen kunnen jaren "
        "achtereen laag of hoog blijven en het inwilligingspercentage verschuift geleidelijk; die "
        "onzekerheid stapelt zich jaar na jaar op."
    ),
    "fan_low_stock": (
        "In de trekkingen met jarenlang weinig aanvragen loopt de opvang grotendeels leeg: wie een "
        "beslissing krijgt, wordt gehuisvest of vertrekt."
    ),
    "fan_capacity_places": (
        "Streep-stippellijnen: de reguliere capaciteit van elk pakket in zijn kleur (plaatsen zonder "
        "noodopvang, gemiddeld over de trekkingen; de maatregelen kunnen haar veranderen)."
    ),
    "fan_capacity_persons": (
        "Streep-stippellijnen: de reguliere capaciteit van elk pakket in zijn kleur, omgerekend naar "
        "personen zoals het model personen en plaatsen verbindt (plaatsen = personen ÷ de "
        "planningsbezettingsgraad van {rate}): boven die lijn telt een maand als tekort in P(behoefte > "
        "capaciteit). Noodopvang begint in het model pas als alle plaatsen bezet zijn, bij de capaciteit "
        "in plaatsen zelf."
    ),
    "p_exceed_def": (
        "P(behoefte > capaciteit): de kans dat de behoefte in plaatsen (personen ÷ de "
        "planningsbezettingsgraad) in ten minste één maand van de fase groter is dan de reguliere capaciteit "
        "(plaatsen zonder noodopvang)."
    ),
    "capacity_of": "reguliere capaciteit, {scenario}",
    "capacity_persons_of": "reguliere capaciteit × {rate} bezetting, {scenario}",
    "alt_scenario": (
        "{scenario}: mediaan {trend} van {a} in {m0} naar {b} in {m1}; 80%-band aan het eind {band}"
    ),
    "alt_capacity": "{label}: {a} {unit} in {m0}, {b} in {m1}",
    "rises": "stijgt",
    "falls": "daalt",
    "alt_bars": "{title} ({unit}), mediaan per maatregel met 80%-band: {items}.",
    "alt_share": "{title}, mediaan per pakket met 80%-band: {items}.",
    "need_mean": "gemiddelde behoefte (verwacht)",
    "bundle": "pakket",
    "combo_caption": (
        "Alle {n} combinaties van maatregelen, gesorteerd op de verwachte gemiddelde behoefte in de fase "
        "(laagste eerst); ✓: de maatregel doet mee, ·: niet."
    ),
    "combo_legend": "De kolommen van de maatregelen:",
    "combo_csv": "Dezelfde cijfers als data, met een 0/1-kolom per maatregel:",
}

_EN = {
    "headline_title": "In short",
    "headline_need": "{scenario}: on average {need} people needing COA reception (80% band {band}).",
    "headline_shortage": "Chance that need exceeds the regular places in at least one month: {p}.",
    "headline_cost": "Cost: {cost} million euro per year (80% band {band}).",
    "headline_change": (
        "Against {reference}: {change} people (80% band {band}); chance of a shortage {p} percentage points."
    ),
    "cutoff": "Data up to {date} · made on {created}",
    "cost_year": "cost per year (million euro, expected)",
    "change": "change against {reference} (persons, median)",
    "headline_table": "Every bundle per phase",
    "title": "Reception need forecast",
    "subtitle": (
        "Posterior bands of reception need (opvangbehoefte) per phase and per combination of measures"
    ),
    "index_title": "Overview",
    "explorer": "Scenario explorer: choose measures, capacity and a target yourself",
    "fase": "Phase",
    "period": "Period",
    "voorbereiding": "Preparation phase (voorbereiding)",
    "implementatie": "Implementation phase (implementatie)",
    "normalisatie": "Normalisation phase (normalisatie)",
    "scenario": "Scenario",
    "median": "median",
    "band80": "80% band",
    "band95": "95% band",
    "p_exceed": "P(need > capacity)",
    "noodopvang_pm": "emergency reception (person-months in the fase, expected)",
    "cost_year_band": "cost per year, 80% band (million euro)",
    "share": "statushouder share (median)",
    "peak": "peak (median)",
    "places": "places (median)",
    "diagnostics": "Sampler diagnostics",
    "diag_passed": "PASSED: R-hat, ESS, divergences and E-BFMI within their limits.",
    "diag_failed": "FAILED: the fit does not pass the diagnostics gate. DO NOT USE THESE NUMBERS.",
    "fan_persons": "Reception need (persons in COA reception)",
    "fan_places": "Reception need in places and regular capacity",
    "observed": "observed",
    "fitted": "model (history)",
    "persons": "persons",
    "places_unit": "places",
    "month": "month",
    "all_scenarios": "All scenarios in this phase",
    "bundles": "Named bundles",
    "combinations": "All {n} combinations of measures",
    "contributions": "Each measure's contribution (Shapley value)",
    "contrib_text": (
        "The difference a measure makes to mean reception need in this phase, averaged over all combinations "
        "of the other measures; the contributions add up to 'all measures' minus 'no measures'. Bar: "
        "posterior median; line: 80% band."
    ),
    "measure": "measure",
    "mean": "mean",
    "p_lower": "P(lowers)",
    "statushouders": "Statushouders in reception",
    "share_text": "Share of statushouders among residents, per bundle (median and 80% band over the phase).",
    "flows": "Inflow, family reunification and IND backlog",
    "instroom": "First asylum applications per month",
    "nareis": "Family reunification arrivals (nareis) per month",
    "ind_backlog": "IND backlog (persons in procedure)",
    "statushouders_stock": "Statushouders in reception (persons)",
    "fit": "How well the model fits the history",
    "fit_text": (
        "Share of observations inside the central 50% and 90% posterior predictive intervals, per series and "
        "definition (in-sample)."
    ),
    "series": "series",
    "cover_50": "inside 50% interval",
    "cover_90": "inside 90% interval",
    "cover_n": "observations",
    "definition": "definition",
    "provenance": "Provenance: data, priors, versions",
    "last_obs": "Last observation per series",
    "sources": "Sources",
    "versions": "Versions",
    "machine": "machine of the fit",
    "conditioning": "forecast conditioned on",
    "conditioning_unknown": "not recorded (a result from before 2026-11-30)",
    "machine_unknown": "not recorded (a fit from before 2026-11-30)",
    "seed": "seed",
    "data_hash": "data hash",
    "config_hash": "config hash",
    "capacity_source": "capacity",
    "cost_source": "costs",
    "horizon": "horizon",
    "assumptions": "Assumptions",
    "assumptions_text": (
        "The model continues the fitted chain from every posterior draw: inflow reverts to its estimated "
        "2014-2024 mean level; IND capacity varies around the latest funded level known, and the IND decides "
        "at most a share of the waiting cases a month; the grant rate reverts to its estimated level; "
        "municipal housing supply follows the taakstelling with a lag, and a taakstelling not yet set "
        "follows the previous half-year's inflow of statushouders. Measure effects are drawn from their "
        "priors (priors/policy/measures.toml). Bands after 2027 are wide: in the model the IND capacity "
        "does not grow with a rising backlog."
    ),
    "pages": "Reports per phase",
    "generated": "Made with forecast {version}",
    "key_scenarios": "Key scenarios",
    "no_months": "This phase lies outside the forecast period.",
    "effect": "effect",
    "downloads": "Machine-readable files",
    "fan_bands": (
        "Coloured per bundle: the line is the median, the dark band the 80% band (the middle 80% of the "
        "draws, 10%–90%), the light band the 95% band (2.5%–97.5%). Grey: the model over the history (median "
        "and 80% band); black points: observations."
    ),
    "fan_fase": "Yellow: this phase.",
    "fan_clipped": (
        "The y-axis is cut at {top} so that the 80% bands stay readable: the 95% band runs above it, up to "
        "{high} in {month}."
    ),
    "fan_low": (
        "The lower end of the 95% band falls to {low} in {month}. This comes from the model: the level that "
        "asylum applications return to differs from draw to draw, applications can stay low or high for "
        "years on end, and the grant rate shifts gradually; that uncertainty adds up year after year."
    ),
    "fan_low_stock": (
        "In the draws with few applications for years, reception largely empties: whoever gets a decision is "
        "housed or leaves."
    ),
    "fan_capacity_places": (
        "Dash-dotted lines: the regular capacity of each bundle in its colour (places without emergency "
        "reception, the mean over the draws; the measures can change it)."
    ),
    "fan_capacity_persons": (
        "Dash-dotted lines: the regular capacity of each bundle in its colour, converted to persons as the "
        "model relates persons and places (places = persons ÷ the planning occupancy rate of {rate}): a "
        "month above that line counts as a shortage in P(need > capacity). In the model, emergency reception "
        "starts only when every place is filled, at the capacity in places itself."
    ),
    "p_exceed_def": (
        "P(need > capacity): the probability that need in places (persons ÷ the planning occupancy rate) "
        "exceeds the regular capacity (places without emergency reception) in at least one month of the "
        "phase."
    ),
    "capacity_of": "regular capacity, {scenario}",
    "capacity_persons_of": "regular capacity × {rate} occupancy, {scenario}",
    "alt_scenario": "{scenario}: median {trend} from {a} in {m0} to {b} in {m1}; 80% band at the end {band}",
    "alt_capacity": "{label}: {a} {unit} in {m0}, {b} in {m1}",
    "rises": "rises",
    "falls": "falls",
    "alt_bars": "{title} ({unit}), median per measure with its 80% band: {items}.",
    "alt_share": "{title}, median per bundle with its 80% band: {items}.",
    "need_mean": "mean need (expected)",
    "bundle": "bundle",
    "combo_caption": (
        "All {n} combinations of measures, sorted by the expected mean need in the phase (lowest first); "
        "✓: the measure is in, ·: it is not."
    ),
    "combo_legend": "The measures' columns:",
    "combo_csv": "The same numbers as data, with a 0/1 column per measure:",
}

LABELS = {"nl": _NL, "en": _EN}


def labels(lang: str) -> dict[str, str]:
    """The labels of ``lang`` (``"nl"`` or ``"en"``).

    Parameters
    ----------
    lang : str
        A language of :data:`LANGUAGES`.

    Returns
    -------
    dict of str to str
        The label of every key in that language (the same dictionary object each call; do not
        modify it).

    Raises
    ------
    ValueError
        For a language not in :data:`LANGUAGES`.
    """
    if lang not in LABELS:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    return LABELS[lang]


def number(value: float | None, decimals: int = 0, lang: str = "nl", *, sign: bool = False) -> str:
    """A number as a reader of ``lang`` writes it: Dutch ``70.824`` and ``0,97``, English ``70,824``.

    Parameters
    ----------
    value : float or None
        The number; None or NaN gives :data:`MISSING`.
    decimals : int, optional
        Digits after the decimal separator (default 0).
    lang : str, optional
        A language of :data:`LANGUAGES` (default ``"nl"``).
    sign : bool, optional
        Write ``+`` before a positive number (differences).

    Returns
    -------
    str
        Thousands grouped (``.`` in Dutch, ``,`` in English), the decimal separator of the language,
        and never ``-0``: a value that rounds to zero is written without a sign.

    Raises
    ------
    ValueError
        For a language not in :data:`LANGUAGES`.

    Examples
    --------
    >>> number(70824.4), number(70824.4, lang="en")
    ('70.824', '70,824')
    >>> number(0.974, 2), number(0.974, 2, lang="en")
    ('0,97', '0.97')
    >>> number(-0.0004, 3), number(None), number(12.5, 1, sign=True)
    ('0,000', '–', '+12,5')
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    if value is None or math.isnan(float(value)):
        return MISSING
    x = round(float(value), decimals)
    if x == 0:
        x = 0.0  # no "-0": a value that rounds to zero has no sign
    text = f"{x:{'+' if sign and x != 0 else ''},.{decimals}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "nl" else text


def number_band(lo: float, hi: float, lang: str = "nl") -> str:
    """A band of whole numbers, ``53.231 – 95.278`` (Dutch) or ``53,231 – 95,278`` (English), on one line.

    Parameters
    ----------
    lo, hi : float
        The band's ends.
    lang : str, optional
        A language of :data:`LANGUAGES` (default ``"nl"``).

    Returns
    -------
    str
        Both ends as :func:`number` writes them, joined by :data:`BAND_DASH` (an en dash between
        non-breaking spaces: a band never breaks over two lines).

    Examples
    --------
    >>> number_band(53231.2, 95278.0).replace(BAND_DASH, " – ")
    '53.231 – 95.278'
    """
    return f"{number(lo, 0, lang)}{BAND_DASH}{number(hi, 0, lang)}"


def measure_names(measures: pd.DataFrame, lang: str) -> dict[str, str]:
    """The name of every measure and bundle in ``lang``, by id.

    Parameters
    ----------
    measures : pandas.DataFrame
        :attr:`forecast.scenarios.result.ScenarioResult.measures`: ``id``, ``name_nl`` and
        ``name_en``.
    lang : str
        A language of :data:`LANGUAGES`: ``name_nl`` on Dutch pages, ``name_en`` on English ones.

    Returns
    -------
    dict of str to str
        Id to name. A result saved before measures had English names (no ``name_en`` column)
        gives the Dutch names on English pages too.

    Raises
    ------
    ValueError
        For a language not in :data:`LANGUAGES`.
    """
    labels(lang)
    column = f"name_{lang}" if f"name_{lang}" in measures.columns else "name_nl"
    return {str(k): str(v) for k, v in zip(measures["id"], measures[column], strict=True)}
