"""The structural switch: abolishing the taakstelling (kind ``switch`` on ``housing_obligation``).

The measures layer (validation, the switch path) and the engine's wiring to the forward model, on a stub
forward model with the interface of :class:`forecast.model.forward.Forward` (no fit needed). The engine
on the real fit is tested in ``test_engine.py`` (slow).
"""

from __future__ import annotations

import inspect
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from forecast import names as N
from forecast.data import load_history
from forecast.model.forward import FORECAST_VARIABLES, Forward
from forecast.scenarios import PolicyConfigError, ScenarioEngine, ScenarioError, load_measures, scenario_grid
from forecast.scenarios.engine import SWITCH_ARGUMENTS
from forecast.scenarios.measures import SWITCH_SHARES, MeasureSet, select

ABOLISH = "afschaffing_huisvestingstaakstelling"
SHARE = f"{ABOLISH}.{N.TARGET_HOUSING_OBLIGATION}"
MONTHS = pd.date_range("2025-01-01", "2030-12-01", freq="MS")


@pytest.fixture(scope="module")
def measures():
    return load_measures()


# ---------------------------------------------------------------------- names and the bundled measure


def test_the_switch_is_a_kind_and_a_target_but_no_multiplier():
    assert N.EFFECT_SWITCH in N.EFFECT_KINDS
    assert N.EFFECT_TARGETS[N.TARGET_HOUSING_OBLIGATION] == N.EFFECT_SWITCH
    assert N.TARGET_HOUSING_OBLIGATION not in N.MULTIPLIER_TARGETS  # a phase-gate refit refuses it
    assert N.SWITCH_TARGETS == (N.TARGET_HOUSING_OBLIGATION,)
    assert set(SWITCH_ARGUMENTS) == set(N.SWITCH_TARGETS) == set(SWITCH_SHARES)
    # the forward model takes the switch's keyword arguments (the contract the engine relies on)
    params = inspect.signature(Forward.simulate).parameters
    for path_arg, share_arg in SWITCH_ARGUMENTS.values():
        assert path_arg in params and share_arg in params


def test_abolishing_the_taakstelling_is_a_switch_with_a_share_prior(measures):
    m = measures[ABOLISH]
    (e,) = m.effects
    assert (e.target, e.kind, e.level, e.side_effect) == (
        N.TARGET_HOUSING_OBLIGATION,
        N.EFFECT_SWITCH,
        False,
        False,
    )
    assert (m.phase, m.start, m.ramp_months) == (N.PHASE_NORMALISATIE, pd.Timestamp("2027-07-01"), 12)
    assert e.prior.distribution == "Beta" and e.prior.support() == (0.0, 1.0)
    mean, sd = e.prior.mean_sd()
    assert mean == pytest.approx(0.6) and sd >= 0.15  # wide: no period without a taakstelling in the data
    for fact in ("12,100 on 1 Jan 2025", "67%", "No period without a taakstelling"):
        assert fact in e.prior.rationale, fact
    assert measures.switch(N.TARGET_HOUSING_OBLIGATION) is e
    # no measure acts on the taakstelling as a multiplier any more
    assert N.TARGET_HOUSING_OBLIGATION not in {
        x.target for x in measures.effects if x.kind != N.EFFECT_SWITCH
    }
    with pytest.raises(ValueError, match="'housing_rate' is not a switch target"):
        measures.switch(N.TARGET_HOUSING_RATE)
    assert select(measures, ["verbod_op_voorrang"]).switch(N.TARGET_HOUSING_OBLIGATION) is None


# ---------------------------------------------------------------------- validation of the file

SWITCH_FILE = """
[[measure]]
id = "abolish"
name_nl = "Afschaffing"
name_en = "Abolition"
description = "abolish the taakstelling"
phase = "normalisatie"
start = "2027-07-01"
ramp_months = 12
source = "note"

  [[measure.effects]]
  target = "housing_obligation"
  kind = "switch"
  distribution = "Beta"
  alpha = 3.0
  beta = 2.0
  unit = "voluntary share"
  rationale = "why"
  source = "where"
"""

SECOND = SWITCH_FILE.replace('id = "abolish"', 'id = "abolish_again"')

STRESS_SWITCH = SWITCH_FILE.replace("[[measure]]", "[[stress]]").replace("measure.effects", "stress.effects")


def write(tmp_path, text):
    path = tmp_path / "measures.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "prior",
    [
        'distribution = "Beta"\n  alpha = 3.0\n  beta = 2.0',
        'distribution = "Uniform"\n  lower = 0.2\n  upper = 1.0',
        'distribution = "TruncatedNormal"\n  mu = 0.6\n  sigma = 0.3\n  lower = 0.0\n  upper = 1.0',
    ],
)
def test_a_switch_prior_inside_the_unit_interval_loads(tmp_path, prior):
    text = SWITCH_FILE.replace('distribution = "Beta"\n  alpha = 3.0\n  beta = 2.0', prior)
    ms = load_measures(write(tmp_path, text))
    assert ms.switch(N.TARGET_HOUSING_OBLIGATION).name == "abolish.housing_obligation"


BETA = 'distribution = "Beta"\n  alpha = 3.0\n  beta = 2.0'


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # the draw is a share: its prior must lie in [0, 1]
        (
            BETA,
            'distribution = "Normal"\n  mu = -0.25\n  sigma = 0.2',
            r"\[abolish.housing_obligation\]: abolish.housing_obligation must be between 0 and 1 "
            r"\(kind 'switch': the voluntary share .*\), but Normal\(mu=-0.25, sigma=0.2\) puts mass on "
            r"values below 0 and above 1; use Beta",
        ),
        (BETA, 'distribution = "Normal"\n  mu = 0.6\n  sigma = 0.1', r"must be between 0 and 1 .*; use Beta"),
        (
            BETA,
            'distribution = "Gamma"\n  alpha = 3.0\n  beta = 5.0',
            r"puts mass on values above 1; use Beta",
        ),
        (
            BETA,
            'distribution = "TruncatedNormal"\n  mu = 0.6\n  sigma = 0.2\n  lower = 0.0',
            r"puts mass on values above 1",
        ),
        # the kind is fixed by the target, both ways
        (
            'target = "housing_obligation"',
            'target = "housing_rate"',
            r"\[abolish\] effect 1 \(housing_rate\): target 'housing_rate' takes kind 'log_multiplier', "
            r"not 'switch'",
        ),
        (
            'kind = "switch"',
            'kind = "log_multiplier"',
            r"target 'housing_obligation' takes kind 'switch', not 'log_multiplier'",
        ),
        ('kind = "switch"', 'kind = "switch"\n  level = true', r"'level = true' .* needs kind 'places'"),
    ],
)
def test_invalid_switch_effects_are_refused_naming_file_and_measure(tmp_path, old, new, message):
    text = SWITCH_FILE.replace(old, new, 1)
    assert text != SWITCH_FILE
    with pytest.raises(PolicyConfigError, match=message) as err:
        load_measures(write(tmp_path, text))
    assert "measures.toml" in str(err.value)


def test_one_switch_per_target_and_none_in_a_stress_scenario(tmp_path, measures):
    with pytest.raises(
        PolicyConfigError,
        match=r"measures.toml: measures 'abolish', 'abolish_again' all switch 'housing_obligation'",
    ):
        load_measures(write(tmp_path, SWITCH_FILE + SECOND))
    stress = STRESS_SWITCH.replace('id = "abolish"', 'id = "shock"')
    with pytest.raises(
        PolicyConfigError, match=r"measures.toml \[shock\]: a stress scenario cannot carry a switch"
    ):
        load_measures(write(tmp_path, SWITCH_FILE + stress))
    # a measure set built by hand is checked too
    e = measures[ABOLISH]
    other = replace(e, id="again", effects=(replace(e.effects[0], measure="again"),))
    with pytest.raises(
        PolicyConfigError, match=r"mine.toml: measures 'afschaffing_huisvestingstaakstelling', 'again'"
    ):
        MeasureSet((e, other), file="mine.toml")
    with pytest.raises(PolicyConfigError, match="a stress scenario cannot carry a switch effect"):
        MeasureSet(measures.measures[:1], stress={e.id: e})


# ---------------------------------------------------------------------- the switch path


def test_the_switch_path_is_the_ramp_whatever_the_draw(measures):
    r = measures[ABOLISH].ramp(MONTHS)
    k = int(np.flatnonzero(MONTHS == "2027-07-01")[0])
    assert r[k - 1] == 0 and r[k] == pytest.approx(1 / 12) and r[k + 11] == 1 and r[-1] == 1
    for share in (0.0, 0.3, 1.0):
        draws = {n: np.zeros(()) for n in measures.effect_names} | {SHARE: np.array(share)}
        paths = measures.effect_paths(draws, MONTHS)
        np.testing.assert_array_equal(paths[N.TARGET_HOUSING_OBLIGATION], r)
        # the switch is not a multiplier: the housing multiplier does not see it
        np.testing.assert_array_equal(paths[N.TARGET_HOUSING_RATE], 1.0)
    off = measures.effect_paths(draws, MONTHS, [m for m in measures.ids if m != ABOLISH])
    np.testing.assert_array_equal(off[N.TARGET_HOUSING_OBLIGATION], 0.0)


def test_the_switch_path_over_scenarios_and_draws(measures):
    grid = scenario_grid(measures)
    draws = measures.sample_prior(5, seed=4)
    paths = measures.effect_paths(draws, MONTHS, grid)
    sw = paths[N.TARGET_HOUSING_OBLIGATION]
    assert sw.shape == (5, grid.sizes[N.DIM_SCENARIO], len(MONTHS))
    on = grid.sel({N.DIM_MEASURE: ABOLISH}).values
    r = measures[ABOLISH].ramp(MONTHS)
    np.testing.assert_array_equal(sw, np.broadcast_to(on[:, None] * r, sw.shape))
    assert sw.min() == 0 and sw.max() == 1
    # the share is the effect's draws
    assert draws[measures.switch(N.TARGET_HOUSING_OBLIGATION).name].shape == (5,)


# ---------------------------------------------------------------------- the engine, on a stub forward model


class StubForward:
    """A toy forward model with the interface of :class:`forecast.model.forward.Forward`.

    Housing is ``10 + draw`` per month times the housing multiplier and, where the taakstelling is
    abolished, times ``1 - off + off * share``; statushouders waiting are ``1000 / housing``; need is
    ``20,000 x instroom multiplier + statushouders``. Every call is recorded.
    """

    def __init__(self, months: pd.DatetimeIndex, chains: int = 2, draws: int = 3) -> None:
        self.months = months
        self.chains, self.draws = np.arange(chains), np.arange(draws)
        self.shape = (chains, draws)
        self.n = chains * draws
        self.index = self.conditioning = None  # not conditioned
        self.calls: list[dict] = []

    def simulate(
        self, multipliers=None, draws=slice(None), extra=0, obligation_off=None, voluntary_share=None
    ):
        mult = dict(multipliers or {})
        self.calls.append({"mult": mult, "extra": extra, "off": obligation_off, "share": voluntary_share})
        idx = np.arange(self.n)[draws]
        ones = np.ones((len(idx), *(1,) * extra, len(self.months)))
        housing = (10.0 + idx).reshape(-1, *(1,) * extra, 1) * ones * mult.get(N.TARGET_HOUSING_RATE, 1.0)
        if obligation_off is not None:
            share = np.asarray(voluntary_share)[..., None]
            housing = housing * (1.0 - obligation_off + obligation_off * share)
        statushouders = 1000.0 / housing
        instroom = 100.0 * ones * mult.get(N.TARGET_INSTROOM, 1.0)
        out = {v: 0.0 * ones for v in FORECAST_VARIABLES}
        out.update(
            instroom=instroom,
            housed=housing,
            housing_supply=housing,
            statushouders=statushouders,
            **{N.OPVANGBEHOEFTE: 200.0 * instroom + statushouders},
        )
        return out


class StubModel:
    """What :class:`ScenarioEngine` needs of a fitted model: ``forward``, ``history``, ``config_hash``."""

    def __init__(self, history) -> None:
        self.history = history
        self.config_hash = "stub"
        self.fw = StubForward(MONTHS)

    def forward(self, horizon_end, random_seed, condition=True):
        return self.fw


@pytest.fixture(scope="module")
def history():
    return load_history()


@pytest.fixture()
def engine(history):
    return ScenarioEngine(StubModel(history), random_seed=5)


def test_without_the_switch_the_forward_model_gets_nothing(engine):
    for bundle in (
        N.BUNDLE_GEEN_NIEUW_BELEID,
        "zonder_omstreden_wetsvoorstellen",
        N.BUNDLE_SAMENHANGEND_PAKKET,
    ):
        engine.simulate(bundle)
        call = engine.forward.calls[-1]
        assert call["off"] is None and call["share"] is None, bundle


def test_the_switch_path_and_the_share_reach_the_forward_model(engine):
    sim = engine.simulate([N.BUNDLE_KABINETSBELEID, N.BUNDLE_GEEN_NIEUW_BELEID])
    call = engine.forward.calls[-1]
    r = engine.measures[ABOLISH].ramp(engine.months)
    assert call["off"].shape == (1, 2, len(engine.months))
    np.testing.assert_array_equal(call["off"][0, 0], r)
    np.testing.assert_array_equal(call["off"][0, 1], 0.0)
    assert call["share"].shape == (engine.forward.n, 1)
    np.testing.assert_array_equal(call["share"][:, 0], engine.effect_draws[SHARE])
    assert np.all((call["share"] > 0) & (call["share"] < 1))
    assert N.TARGET_HOUSING_OBLIGATION not in call["mult"]
    assert sim.sizes[N.DIM_SCENARIO] == 2
    # the switch alone (scenario 2**j of the grid has only measure j): housing x (1 - off + off x share)
    grid = engine.grid()
    only = grid.isel(scenario=[0, 2 ** engine.measures.ids.index(ABOLISH)])
    assert only.sel({N.DIM_MEASURE: ABOLISH}).values.tolist() == [False, True]
    one = engine.simulate(only, variables=["housed"])["housed"]
    share = engine.effect_draws[SHARE].reshape(engine.forward.shape)[..., None]
    np.testing.assert_allclose(
        one.isel(scenario=1).values, one.isel(scenario=0).values * (1 - r + r * share), rtol=1e-12
    )


def test_the_hypercube_gives_the_switch_its_own_axis(engine):
    draws = engine.phase_draws()
    cube = next(c for c in engine.forward.calls if c["extra"] == len(engine.measures))
    k = len(engine.measures)
    j = engine.measures.ids.index(ABOLISH)
    expected = tuple(2 if i == k - 1 - j else 1 for i in range(k))
    assert cube["off"].shape == (1, *expected, len(engine.months))
    # the hypercube and plain scenario rows agree
    rows = engine.phase_draws(list(engine.measures.bundles))
    for stat in ("need_mean", "housed_total", "statushouder_share"):
        np.testing.assert_allclose(
            draws[stat].sel(scenario=list(engine.measures.bundles)).values, rows[stat].values, rtol=1e-12
        )
    # Shapley: the contributions add up; abolishing raises need only from normalisatie on, in every draw
    c = engine.contributions(draws)
    all_label = draws.scenario.values[2**k - 1]
    total = c["need_mean"].sum(N.DIM_MEASURE)
    diff = draws["need_mean"].sel(scenario=all_label) - draws["need_mean"].sel(scenario=N.NO_MEASURES_LABEL)
    np.testing.assert_allclose(total.transpose(*diff.dims), diff, rtol=1e-9, atol=1e-9)
    phi = c["need_mean"].sel(measure=ABOLISH)
    np.testing.assert_allclose(phi.sel(fase=[N.PHASE_VOORBEREIDING, N.PHASE_IMPLEMENTATIE]), 0.0, atol=1e-6)
    assert (phi.sel(fase=N.PHASE_NORMALISATIE) > 0).all()
    summary = engine.monthly_summary([N.BUNDLE_KABINETSBELEID], variables=["housed", N.OPVANGBEHOEFTE])
    assert set(summary.data_vars) >= {"housed_mean", "housed_q"}


def test_given_effect_draws_for_the_switch(history):
    model = StubModel(history)
    n = model.fw.n
    names = load_measures().effect_names
    keep_all = {e: np.zeros(n) for e in names} | {SHARE: np.ones(n)}
    eng = ScenarioEngine(model, random_seed=5, effect_draws=keep_all)
    sim = eng.simulate([N.BUNDLE_KABINETSBELEID, "zonder_omstreden_wetsvoorstellen"], variables=["housed"])
    # the stub keeps every home with a share of 1, and the two bundles differ only by the housing measures
    # verbod_op_voorrang and afschaffing (the multipliers are exp(0) = 1): the same housing
    np.testing.assert_allclose(
        sim["housed"].isel(scenario=0).values, sim["housed"].isel(scenario=1).values, rtol=1e-12
    )
    assert eng.forward.calls[-1]["off"] is not None
    for bad in (1.5, -0.1):
        with pytest.raises(
            ScenarioError, match=r"shares of a switch effect: every value must lie in \[0, 1\]"
        ):
            ScenarioEngine(model, random_seed=5, effect_draws=keep_all | {SHARE: np.full(n, bad)})
