"""The measures file: the bundled measures are complete and honest, effect paths, and every invalid file."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast import names as N
from forecast.priors import PriorConfig
from forecast.scenarios import PolicyConfigError, effect_name, load_measures, load_phases, ramp, scenario_grid
from forecast.scenarios.measures import select

PILLARS = ("meer_huisvestingsoplossingen", "stabiele_opvangplekken", "taal_werk_participatie")
INFLOW_TARGETS = (N.TARGET_INSTROOM, N.TARGET_NAREIS)


@pytest.fixture(scope="module")
def measures():
    return load_measures()


# ---------------------------------------------------------------------- the bundled file


def test_every_measure_of_the_domain_is_there(measures):
    assert len(measures) == 9
    assert set(measures.ids) == {
        "verbod_op_voorrang",
        "afschaffing_huisvestingstaakstelling",
        "intrekking_spreidingswet",
        *PILLARS,
        "asielnoodmaatregelenwet",
        "tweestatusstelsel",
        "terugkeer_oekraine_syrie",
    }
    assert measures.file == N.MEASURES_FILE
    phases = load_phases()
    for m in measures:
        assert m.name_nl and m.name_en and m.description and m.source
        assert m.phase in N.PHASES and phases[m.phase].start <= m.start < phases[m.phase].end
        assert m.effects
        for e in m.effects:
            assert e.kind == N.EFFECT_TARGETS[e.target]
            assert e.prior.unit and e.prior.rationale and e.prior.source
            assert e.name == effect_name(m.id, e.target) == e.prior.name


def test_directions_follow_domain_table(measures):
    def mean(measure, target):
        return next(e for e in measures[measure].effects if e.target == target).prior.mean_sd()[0]

    assert mean("verbod_op_voorrang", N.TARGET_HOUSING_RATE) < 0
    # abolishing the taakstelling is a switch: its draw is the voluntary share of the housing, below 1
    assert 0 < mean("afschaffing_huisvestingstaakstelling", N.TARGET_HOUSING_OBLIGATION) < 1
    assert mean("meer_huisvestingsoplossingen", N.TARGET_HOUSING_RATE) > 0
    assert mean("taal_werk_participatie", N.TARGET_HOUSING_RATE) > 0
    assert mean("intrekking_spreidingswet", N.TARGET_REGULAR_CAPACITY) < 0
    assert mean("stabiele_opvangplekken", N.TARGET_REGULAR_CAPACITY) > 0
    assert mean("terugkeer_oekraine_syrie", N.TARGET_DEPARTURE_RATE) > 0
    for law in ("asielnoodmaatregelenwet", "tweestatusstelsel"):
        side = [e for e in measures[law].effects if e.side_effect]
        assert [e.target for e in side] == [N.TARGET_DECISION_RATE]
        assert mean(law, N.TARGET_NAREIS) <= 0
    # tweestatusstelsel: extra procedures, fewer decisions; asielnoodmaatregelenwet: either sign (it also
    # ends the voornemenprocedure, which could raise throughput), so centred on no effect
    assert mean("tweestatusstelsel", N.TARGET_DECISION_RATE) < 0
    assert mean("asielnoodmaatregelenwet", N.TARGET_DECISION_RATE) == 0


def test_priors_are_honest(measures):
    """Inflow effects cannot be quantified in advance: |mu| < sigma; no effect inside every 95% interval."""
    for e in measures.effects:
        if e.kind == N.EFFECT_SWITCH:  # a share in [0, 1]: a Beta, wide (no period without it in the data)
            assert e.prior.distribution == "Beta" and e.prior.mean_sd()[1] >= 0.15, e.name
            continue
        assert e.prior.distribution == "Normal"
        if e.level:  # a level of places: "no effect" is a level at or below the places as known
            continue
        mu, sigma = e.prior.params["mu"], e.prior.params["sigma"]
        assert mu - 1.96 * sigma < 0 < mu + 1.96 * sigma, e.name
        if e.target in INFLOW_TARGETS:
            assert abs(mu) < sigma, e.name
            assert sigma >= 0.1, e.name


def test_the_stable_places_are_a_level_not_an_increment(measures):
    """The note expects 75,000 places: the capacity is raised to that level, never added on top."""
    (e,) = measures["stabiele_opvangplekken"].effects
    assert (e.target, e.kind, e.level) == (N.TARGET_REGULAR_CAPACITY, N.EFFECT_PLACES, True)
    mu, sd = e.prior.mean_sd()
    assert mu == 75000 and sd >= 0.1 * mu
    assert "75.000" in e.prior.rationale and "counted twice" in e.prior.rationale
    assert [x.name for x in measures.effects if x.level] == [e.name]


def test_measure_facts_cite_rows_that_exist_or_external_sources(measures):
    """Every observations.csv row a measure cites exists (no IND backlog of Jan 2025, no 66,000 nareis)."""
    text = " ".join(
        [m.description + " " + m.source for m in measures]
        + [e.prior.rationale + " " + e.prior.source for e in measures.effects]
    )
    assert "ind_backlog (ind, Jan 2025)" not in text and "66,000" not in text and "51,000 pending" not in text
    assert "12,100 on 1 Jan 2025" in text  # taakstelling_backlog 2025-01-01 (12,105) exists
    law = measures["asielnoodmaatregelenwet"]
    for part in ("voornemenprocedure", "3 instead of 5 years", "repeat", "36 704"):
        assert part in law.description + law.source, part
    terugkeer = measures["terugkeer_oekraine_syrie"]
    assert set(terugkeer.targets) == {N.TARGET_DEPARTURE_RATE, N.TARGET_INSTROOM}
    assert "REJECTED" in terugkeer.description


def test_analogues_are_cited(measures):
    text = " ".join(e.prior.rationale + " " + e.prior.source for e in measures.effects)
    for analogue in (
        "nareis_restriction_2022",
        "covid_border_closures_2020",
        "syria_moratorium_2024",
        "asieldeal",
    ):
        assert analogue in text
    assert "1,200" in text and "17,126" in text and "13,500" in text


def test_bundles(measures):
    assert set(measures.bundles) >= {
        N.BUNDLE_KABINETSBELEID,
        N.BUNDLE_PAKKET_ZONDER_VERBOD,
        N.BUNDLE_GEEN_NIEUW_BELEID,
        N.BUNDLE_SAMENHANGEND_PAKKET,
    }
    assert measures.bundle(N.BUNDLE_KABINETSBELEID).measures == measures.ids
    assert measures.bundle(N.BUNDLE_GEEN_NIEUW_BELEID).measures == ()
    assert measures.bundle(N.BUNDLE_SAMENHANGEND_PAKKET).measures == PILLARS
    assert measures.bundle(N.BUNDLE_PAKKET_ZONDER_VERBOD).measures == tuple(
        i for i in measures.ids if i != "verbod_op_voorrang"
    )
    with pytest.raises(KeyError, match="no bundle 'x'"):
        measures.bundle("x")


def test_priors_and_table(measures):
    cfg = measures.priors
    assert isinstance(cfg, PriorConfig) and len(cfg) == len(measures.effects) == 13
    assert cfg.hash.startswith("sha256:")
    table = measures.to_frame()
    assert len(table) == 13
    assert set(table.columns) >= {
        "measure",
        "target",
        "kind",
        "side_effect",
        "mean",
        "sd",
        "rationale",
        "source",
    }
    assert table["side_effect"].sum() == 2
    with pytest.raises(KeyError, match="no measure 'x'"):
        measures["x"]
    assert "tweestatusstelsel" in measures


# ---------------------------------------------------------------------- ramps and effect paths


def test_ramp():
    months = pd.date_range("2026-04-01", periods=6, freq="MS")
    np.testing.assert_allclose(ramp(months, "2026-06-01", 3), [0, 0, 1 / 3, 2 / 3, 1, 1])
    np.testing.assert_allclose(ramp(months, "2026-06-01", 0), [0, 0, 1, 1, 1, 1])
    np.testing.assert_allclose(ramp(months, "2030-01-01", 12), 0)
    np.testing.assert_allclose(ramp(months, "2020-01-01", 12), 1)


def test_effect_ramp_override(measures):
    nareis = next(e for e in measures["tweestatusstelsel"].effects if e.target == N.TARGET_NAREIS)
    decisions = next(e for e in measures["tweestatusstelsel"].effects if e.target == N.TARGET_DECISION_RATE)
    assert (nareis.ramp_months, decisions.ramp_months) == (24, 12)
    months = pd.date_range("2026-07-01", periods=24, freq="MS")
    assert measures["tweestatusstelsel"].ramp(months, nareis)[11] == pytest.approx(0.5)
    assert measures["tweestatusstelsel"].ramp(months, decisions)[11] == pytest.approx(1.0)


MONTHS = pd.date_range("2025-01-01", "2030-12-01", freq="MS")


def unit_draws(measures, value=1.0, shape=()):
    return {n: np.full(shape, value) for n in measures.effect_names}


def test_effect_paths_semantics(measures):
    draws = {n: np.zeros(()) for n in measures.effect_names}
    draws["verbod_op_voorrang.housing_rate"] = np.array(-0.2)
    draws["meer_huisvestingsoplossingen.housing_rate"] = np.array(0.1)
    draws["stabiele_opvangplekken.regular_capacity"] = np.array(5000.0)
    draws["intrekking_spreidingswet.regular_capacity"] = np.array(-2000.0)
    paths = measures.effect_paths(draws, MONTHS)
    assert set(paths) == set(N.EFFECT_TARGETS)
    for path in paths.values():
        assert path.shape == (len(MONTHS),)
    r_ban = measures["verbod_op_voorrang"].ramp(MONTHS)
    r_more = measures["meer_huisvestingsoplossingen"].ramp(MONTHS)
    # log multipliers add on the log scale: the flow is multiplied by exp(sum)
    np.testing.assert_allclose(paths[N.TARGET_HOUSING_RATE], np.exp(-0.2 * r_ban + 0.1 * r_more))
    # places add
    r_stable = measures["stabiele_opvangplekken"].ramp(MONTHS)
    r_withdraw = measures["intrekking_spreidingswet"].ramp(MONTHS)
    np.testing.assert_allclose(paths[N.TARGET_REGULAR_CAPACITY], 5000 * r_stable - 2000 * r_withdraw)
    # no effect before any start; full effect at the horizon end
    assert paths[N.TARGET_HOUSING_RATE][0] == 1.0 and paths[N.TARGET_REGULAR_CAPACITY][0] == 0.0
    assert paths[N.TARGET_HOUSING_RATE][-1] == pytest.approx(math.exp(-0.1))
    np.testing.assert_allclose(paths[N.TARGET_INSTROOM], 1.0)


def test_effect_paths_no_measures_is_no_effect(measures):
    draws = unit_draws(measures, shape=(2, 5))
    for active in ([], N.BUNDLE_GEEN_NIEUW_BELEID, np.zeros(len(measures), bool)):
        paths = measures.effect_paths(draws, MONTHS, active)
        for target, kind in N.EFFECT_TARGETS.items():
            assert paths[target].shape == (2, 5, len(MONTHS))
            np.testing.assert_allclose(paths[target], 1.0 if kind == N.EFFECT_LOG_MULTIPLIER else 0.0)


def test_effect_paths_over_scenarios_match_one_at_a_time(measures):
    rng = np.random.default_rng(3)
    draws = {n: rng.normal(size=(2, 7)) for n in measures.effect_names}
    grid = scenario_grid(measures)
    sub = grid.isel(scenario=[0, 5, 100, 511])
    paths = measures.effect_paths(draws, MONTHS, sub)
    for s in range(sub.sizes["scenario"]):
        ids = [m for m, a in zip(measures.ids, sub.values[s], strict=True) if a]
        one = measures.effect_paths(draws, MONTHS, ids)
        for target in N.EFFECT_TARGETS:
            assert paths[target].shape == (2, 7, 4, len(MONTHS))
            np.testing.assert_allclose(paths[target][:, :, s, :], one[target])
    # all measures == the kabinetsbeleid bundle == default
    full = measures.effect_paths(draws, MONTHS)
    bundle = measures.effect_paths(draws, MONTHS, N.BUNDLE_KABINETSBELEID)
    for target in N.EFFECT_TARGETS:
        np.testing.assert_allclose(full[target], bundle[target])
        np.testing.assert_allclose(full[target], paths[target][:, :, 3, :])


def test_effect_paths_accepts_a_dataset_and_broadcasts(measures):
    posterior = xr.Dataset(
        {n: (("chain", "draw"), np.full((2, 3), 0.1)) for n in measures.effect_names}
        | {"unrelated": (("chain",), np.zeros(2))}
    )
    paths = measures.effect_paths(posterior, MONTHS)
    assert paths[N.TARGET_NAREIS].shape == (2, 3, len(MONTHS))
    mixed = unit_draws(measures, 0.0)
    mixed["tweestatusstelsel.nareis"] = np.zeros((4,))
    assert measures.effect_paths(mixed, MONTHS)[N.TARGET_INSTROOM].shape == (4, len(MONTHS))


def test_effect_paths_errors(measures):
    draws = unit_draws(measures)
    del draws["tweestatusstelsel.nareis"]
    with pytest.raises(KeyError, match=r"no draws for effect\(s\) \['tweestatusstelsel.nareis'\]"):
        measures.effect_paths(draws, MONTHS)
    draws = unit_draws(measures)
    with pytest.raises(KeyError, match="unknown measure"):
        measures.effect_paths(draws, MONTHS, ["no_such_measure"])
    with pytest.raises(ValueError, match="must be boolean"):
        measures.effect_paths(draws, MONTHS, np.ones(9))
    with pytest.raises(ValueError, match="shape"):
        measures.effect_paths(draws, MONTHS, np.ones(3, bool))
    with pytest.raises(ValueError, match="activity measures do not match"):
        measures.effect_paths(draws, MONTHS, scenario_grid(["a", "b"]))
    with pytest.raises(ValueError, match="no 'measure' dimension"):
        measures.effect_paths(draws, MONTHS, xr.DataArray(np.ones(9, bool), dims="x"))


def test_sample_prior(measures):
    draws = measures.sample_prior(4000, seed=7)
    assert set(draws) == set(measures.effect_names)
    assert all(v.shape == (4000,) for v in draws.values())
    for e in measures.effects:
        mu, sigma = e.prior.mean_sd()
        assert np.mean(draws[e.name]) == pytest.approx(mu, abs=4 * sigma / math.sqrt(4000))
        if e.kind == N.EFFECT_SWITCH:
            assert np.all((draws[e.name] > 0) & (draws[e.name] < 1))
    paths = measures.effect_paths(draws, MONTHS)
    assert np.all(paths[N.TARGET_HOUSING_RATE] > 0)


def test_select(measures):
    sub = select(measures, ["tweestatusstelsel", "verbod_op_voorrang"])
    assert sub.ids == ("verbod_op_voorrang", "tweestatusstelsel")
    assert sub.bundle(N.BUNDLE_SAMENHANGEND_PAKKET).measures == ()
    assert sub.bundle(N.BUNDLE_KABINETSBELEID).measures == sub.ids
    with pytest.raises(KeyError, match="unknown measure"):
        select(measures, ["x"])


# ---------------------------------------------------------------------- invalid files

GOOD = """
[[measure]]
id = "law"
name_nl = "Wet"
name_en = "Law"
description = "a law"
phase = "implementatie"
start = "2026-07-01"
ramp_months = 6
source = "note"

  [[measure.effects]]
  target = "nareis"
  kind = "log_multiplier"
  distribution = "Normal"
  mu = -0.1
  sigma = 0.2
  unit = "log multiplier"
  rationale = "why"
  source = "where"

  [[measure.effects]]
  target = "decision_rate"
  kind = "log_multiplier"
  side_effect = true
  ramp_months = 12
  distribution = "Normal"
  mu = -0.05
  sigma = 0.08
  unit = "log multiplier"
  rationale = "extra procedures"
  source = "where"

[[measure]]
id = "places"
name_nl = "Plekken"
name_en = "Places"
description = "places"
phase = "voorbereiding"
start = "2026-01-01"
ramp_months = 0
source = "note"

  [[measure.effects]]
  target = "regular_capacity"
  kind = "places"
  distribution = "Normal"
  mu = 1000
  sigma = 1000
  unit = "places"
  rationale = "why"
  source = "where"

[[bundle]]
id = "everything"
name_nl = "Alles"
name_en = "Everything"
description = "all"
measures = "all"

[[bundle]]
id = "only_law"
name_nl = "Wet"
name_en = "Law"
description = "the law"
measures = ["law"]
"""


def write(tmp_path, text, name="measures.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_custom_file_loads(tmp_path):
    ms = load_measures(write(tmp_path, GOOD))
    assert ms.ids == ("law", "places")
    assert ms["law"].effects[1].side_effect and ms["law"].effects[1].ramp_months == 12
    assert ms["law"].effects[0].ramp_months == 6 and not ms["law"].effects[0].side_effect
    assert ms.bundle("everything").measures == ("law", "places")
    no_bundles = GOOD[: GOOD.index("[[bundle]]")]
    assert load_measures(write(tmp_path, no_bundles)).bundles == {}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # measure fields
        ('ramp_months = 6\nsource = "note"\n', "ramp_months = 6\n", r"\[law\]: missing field\(s\) 'source'"),
        ('id = "law"\n', 'id = "law"\nowner = "x"\n', r"\[law\]: unknown field\(s\) 'owner'"),
        ('id = "law"', 'id = "Law!"', r"\[Law!\]: 'id' must be a snake_case identifier"),
        ('id = "places"', 'id = "law"', r"\[law\]: duplicate measure or stress id 'law'"),
        ('name_nl = "Wet"\n', 'name_nl = ""\n', r"\[law\]: 'name_nl' must be a non-empty string"),
        ('name_en = "Law"\n', 'name_en = ""\n', r"\[law\]: 'name_en' must be a non-empty string"),
        ('name_en = "Law"\n', "", r"\[law\]: missing field\(s\) 'name_en'"),
        ('name_en = "Places"\n', "name_en = 3\n", r"\[places\]: 'name_en' must be a non-empty string"),
        ('phase = "implementatie"', 'phase = "uitvoering"', r"\[law\]: unknown phase 'uitvoering'"),
        (
            'start = "2026-07-01"',
            'start = "2027-07-01"',
            r"\[law\]: start 2027-07-01 lies in 'normalisatie', not in the stated phase 'implementatie'",
        ),
        (
            'start = "2026-07-01"',
            'start = "2026-07-15"',
            r"\[law\]: 'start' must be the first day of a month",
        ),
        ('start = "2026-07-01"', 'start = "1 juli 2026"', r"\[law\]: 'start' must be an ISO date"),
        ("ramp_months = 6", "ramp_months = -1", r"\[law\]: 'ramp_months' must be a whole number"),
        ("ramp_months = 6", "ramp_months = 6.5", r"\[law\]: 'ramp_months' must be a whole number"),
        ("ramp_months = 6", "ramp_months = true", r"\[law\]: 'ramp_months' must be a whole number"),
        ("ramp_months = 6", "ramp_months = 365", r"\[law\]: 'ramp_months' must be a whole number"),
        # effects
        ('target = "nareis"', 'target = "inflow"', r"\[law\] effect 1 \(inflow\): unknown target 'inflow'"),
        ('target = "nareis"\n', "", r"\[law\] effect 1: missing field\(s\) 'target'"),
        ('kind = "places"', 'kind = "additive"', r"\[places\] effect 1 \(regular_capacity\): unknown kind"),
        (
            'kind = "places"',
            'kind = "log_multiplier"',
            r"target 'regular_capacity' takes kind 'places', not 'log_multiplier'",
        ),
        (
            'target = "decision_rate"',
            'target = "nareis"',
            r"\[law\]: two effects on target 'nareis'",
        ),
        ("side_effect = true", 'side_effect = "yes"', r"'side_effect' must be true or false"),
        (
            "side_effect = true",
            "side_effect = true\n  level = true",
            r"effect 2 \(decision_rate\): 'level = true' \(a level of places\) needs kind 'places'",
        ),
        ('kind = "places"', 'kind = "places"\n  level = "yes"', r"'level' must be true or false"),
        (
            'ramp_months = 6\nsource = "note"',
            'ramp_months = 6\nend = "2026-01-01"\nsource = "note"',
            r"\[law\]: end 2026-01-01 must lie after start 2026-07-01",
        ),
        ("ramp_months = 12", "ramp_months = -12", r"effect 2 \(decision_rate\): 'ramp_months' must be"),
        # effect priors, judged by the model prior validator
        (
            'distribution = "Normal"',
            'distribution = "Normaal"',
            r"\[law.nareis\]: unknown distribution 'Normaal'",
        ),
        ("sigma = 0.2\n", "", r"\[law.nareis\]: Normal needs parameter\(s\) sigma"),
        ("sigma = 0.2", "sigma = -0.2", r"\[law.nareis\]: sigma must be > 0"),
        ("sigma = 0.2", "sigma = 0.2\nscale = 3", r"\[law.nareis\]: Normal has no parameter 'scale'"),
        ('rationale = "why"\n', "", r"\[law.nareis\]: missing 'rationale'"),
        ('source = "where"\n', "", r"\[law.nareis\]: missing 'source'"),
        ('unit = "log multiplier"\n', "", r"\[law.nareis\]: missing 'unit'"),
        # bundles
        (
            'measures = ["law"]',
            'measures = ["law", "ban"]',
            r"\[bundle only_law\]: unknown measure\(s\) 'ban'",
        ),
        (
            'measures = ["law"]',
            'measures = ["law", "law"]',
            r"\[bundle only_law\]: measure\(s\) listed twice: law",
        ),
        ('measures = ["law"]', 'measures = "some"', r"\[bundle only_law\]: 'measures' must be a list"),
        ('id = "only_law"', 'id = "everything"', r"\[bundle everything\]: duplicate bundle id"),
        ('description = "the law"\n', "", r"\[bundle only_law\]: missing field\(s\) 'description'"),
        ('name_en = "Everything"\n', "", r"\[bundle everything\]: missing field\(s\) 'name_en'"),
        ('name_en = "Everything"\n', 'name_en = " "\n', r"\[bundle everything\]: 'name_en' must be a non-"),
        # file
        ("[[measure]]", "[[measure]", "not valid TOML"),
        ("[[measure]]", "version = 2\n[[measure]]", "unknown top-level key"),
    ],
)
def test_invalid_measures_name_file_and_entry(tmp_path, old, new, message):
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(PolicyConfigError, match=message) as err:
        load_measures(write(tmp_path, text))
    assert "measures.toml" in str(err.value)


def test_effects_must_be_a_nonempty_array(tmp_path):
    start = GOOD.index('  [[measure.effects]]\n  target = "regular_capacity"')
    end = GOOD.index("[[bundle]]")
    no_effects = GOOD[:start] + "effects = []\n\n" + GOOD[end:]
    with pytest.raises(PolicyConfigError, match=r"\[places\]: 'effects' must be a non-empty array"):
        load_measures(write(tmp_path, no_effects))
    missing = GOOD[:start] + GOOD[end:]
    with pytest.raises(PolicyConfigError, match=r"\[places\]: missing field\(s\) 'effects'"):
        load_measures(write(tmp_path, missing))


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(PolicyConfigError, match=r"measures\.toml: no \[\[measure\]\] entries"):
        load_measures(write(tmp_path, "# nothing\n"))
    with pytest.raises(PolicyConfigError, match="file not found"):
        load_measures(tmp_path / "nope.toml")


def test_measures_are_checked_against_the_given_phases(tmp_path):
    phases = load_phases(horizon_end="2028-12-31")
    with pytest.raises(PolicyConfigError, match=r"\[law\]: start 2026-07-01 lies in 'implementatie'"):
        load_measures(
            write(tmp_path, GOOD.replace('phase = "implementatie"', 'phase = "voorbereiding"', 1)),
            phases=phases,
        )
    assert load_measures(write(tmp_path, GOOD), phases=phases).phases is phases


# ---------------------------------------------------------------------- level effects: no place twice


def test_a_level_effect_never_counts_a_place_twice(measures):
    """With a regular path already at 75,000 the stable places add nothing; below it they fill the gap."""
    draws = {n: np.zeros(()) for n in measures.effect_names}
    draws["stabiele_opvangplekken.regular_capacity"] = np.array(75000.0)
    full = measures["stabiele_opvangplekken"].ramp(MONTHS)
    for base in (75000.0, 80000.0):
        paths = measures.effect_paths(draws, MONTHS, ["stabiele_opvangplekken"], capacity=base)
        np.testing.assert_allclose(paths[N.TARGET_REGULAR_CAPACITY], 0.0)
    path = np.linspace(30000, 90000, len(MONTHS))
    added = measures.effect_paths(draws, MONTHS, ["stabiele_opvangplekken"], capacity=path)
    capacity = path + added[N.TARGET_REGULAR_CAPACITY]
    np.testing.assert_allclose(capacity, path + full * np.maximum(75000 - path, 0))
    at_full = full == 1
    np.testing.assert_allclose(capacity[at_full], np.maximum(path[at_full], 75000))
    assert (capacity <= np.maximum(path, 75000) + 1e-9).all()  # never above the larger of the two
    # a places effect without level still adds, on top of the raised path
    draws["intrekking_spreidingswet.regular_capacity"] = np.array(-2000.0)
    both = measures.effect_paths(
        draws, MONTHS, ["stabiele_opvangplekken", "intrekking_spreidingswet"], capacity=path
    )
    withdraw = measures["intrekking_spreidingswet"].ramp(MONTHS)
    np.testing.assert_allclose(
        both[N.TARGET_REGULAR_CAPACITY], full * np.maximum(75000 - path, 0) - 2000 * withdraw
    )


# ---------------------------------------------------------------------- stress scenarios

STRESS = """
[[stress]]
id = "shock"
name_nl = "Schok"
name_en = "Shock"
description = "a temporary extra inflow"
phase = "implementatie"
start = "2027-03-01"
end = "2028-03-01"
ramp_months = 3
source = "note"

  [[stress.effects]]
  target = "instroom"
  kind = "log_multiplier"
  distribution = "TruncatedNormal"
  mu = 0.1
  sigma = 0.3
  lower = 0.0
  unit = "log multiplier"
  rationale = "why"
  source = "where"
"""


def test_the_bundled_stress_scenario_is_outside_the_grid(measures):
    assert set(measures.stress) == {"einde_tijdelijke_bescherming"}
    st = measures.stress["einde_tijdelijke_bescherming"]
    assert st.id not in measures.ids and len(measures) == 9 and len(scenario_grid(measures)) == 2**9
    assert all(st.id not in b.measures for b in measures.bundles.values())
    (e,) = st.effects
    assert e.target == N.TARGET_INSTROOM and e.prior.distribution == "TruncatedNormal"
    assert e.prior.params["lower"] == 0.0 and e.prior.params["sigma"] >= 0.2  # wide, never negative
    assert (st.start, st.end) == (pd.Timestamp("2027-03-01"), pd.Timestamp("2028-03-01"))
    assert "4 maart 2027" in st.source
    r = st.ramp(MONTHS)
    assert r[MONTHS < "2027-03-01"].max() == 0 and r[MONTHS >= "2028-03-01"].max() == 0
    assert r[(MONTHS >= "2027-05-01") & (MONTHS < "2028-03-01")].min() == 1


def test_stress_entries_load_and_are_checked(tmp_path):
    ms = load_measures(write(tmp_path, GOOD + STRESS))
    assert ms.ids == ("law", "places") and set(ms.stress) == {"shock"}
    assert select(ms, ["law"]).stress == ms.stress
    with pytest.raises(PolicyConfigError, match=r"\[law\]: duplicate measure or stress id 'law'"):
        load_measures(write(tmp_path, GOOD + STRESS.replace('id = "shock"', 'id = "law"')))
    with pytest.raises(PolicyConfigError, match=r"\[shock\]: end 2027-03-01 must lie after start"):
        load_measures(write(tmp_path, GOOD + STRESS.replace('end = "2028-03-01"', 'end = "2027-03-01"')))
    with pytest.raises(PolicyConfigError, match=r"unknown measure\(s\) 'shock'"):
        bundled = GOOD.replace('measures = ["law"]', 'measures = ["law", "shock"]')
        load_measures(write(tmp_path, bundled + STRESS))


def test_ramp_with_an_end():
    months = pd.date_range("2026-04-01", periods=6, freq="MS")
    np.testing.assert_allclose(ramp(months, "2026-05-01", 2, "2026-08-01"), [0, 0.5, 1, 1, 0, 0])
