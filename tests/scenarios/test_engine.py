"""The scenario engine on the seeded fit of the real history (forecast/scenarios/engine.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast import names as N
from forecast.model.forward import FORECAST_VARIABLES
from forecast.scenarios import load_measures
from forecast.scenarios.engine import (
    PHASE_STATISTICS,
    QUANTILES,
    ScenarioEngine,
    ScenarioError,
    capacity_path,
    reception_costs,
)

pytestmark = pytest.mark.slow  # they need the seeded fit

SEED = 3


@pytest.fixture(scope="module")
def engine(fitted):
    return ScenarioEngine(fitted, random_seed=SEED)


@pytest.fixture(scope="module")
def draws(engine):
    return engine.phase_draws()


def test_no_measures_is_the_fitted_model_continued_under_current_policy(fitted, engine):
    sim = engine.simulate(N.BUNDLE_GEEN_NIEUW_BELEID).isel(scenario=0)
    base = fitted.forecast(random_seed=SEED)
    for k in (*FORECAST_VARIABLES, N.OPVANGBEHOEFTE_PLACES):
        np.testing.assert_array_equal(sim[k].values, base[k].values, err_msg=k)


def test_the_full_grid_and_every_bundle(engine, draws):
    k = len(engine.measures)
    kinds = pd.Series(draws["scenario_kind"].values).value_counts()
    assert kinds["combination"] == 2**k and kinds["bundle"] == len(engine.measures.bundles)
    assert draws.sizes[N.DIM_PHASE] == 3
    assert draws.sizes[N.DIM_DRAW] * draws.sizes[N.DIM_CHAIN] == engine.forward.n
    assert set(PHASE_STATISTICS) <= set(draws.data_vars)
    # the phases' months: voorbereiding from 2025-07, normalisatie to the end of 2030
    assert '"voorbereiding": ["2025-07", "2026-06"]' in draws.attrs["phases"]
    assert '"normalisatie": ["2027-07", "2030-12"]' in draws.attrs["phases"]


def test_hypercube_and_scenario_rows_give_the_same_numbers(engine, draws):
    """The deduplicating hypercube layout equals running the bundles as plain scenario rows."""
    rows = engine.phase_draws(list(engine.measures.bundles))
    cube = draws.sel(scenario=list(engine.measures.bundles))
    for k in PHASE_STATISTICS:
        np.testing.assert_allclose(cube[k].values, rows[k].values, rtol=1e-12, atol=1e-9, err_msg=k)


def test_phase_statistics_match_the_monthly_paths(engine, draws):
    sim = engine.simulate([N.BUNDLE_KABINETSBELEID])
    months = pd.DatetimeIndex(sim[N.DIM_MONTH].values)
    impl = (months >= "2026-07-01") & (months < "2027-07-01")
    s = sim.isel(scenario=0, month=np.flatnonzero(impl))
    d = draws.sel(scenario=N.BUNDLE_KABINETSBELEID, fase=N.PHASE_IMPLEMENTATIE)
    np.testing.assert_allclose(d["need_mean"], s[N.OPVANGBEHOEFTE].mean(N.DIM_MONTH), rtol=1e-12)
    np.testing.assert_allclose(d["places_peak"], s[N.OPVANGBEHOEFTE_PLACES].max(N.DIM_MONTH), rtol=1e-12)
    np.testing.assert_allclose(d["noodopvang_person_months"], s[N.NOODOPVANG].sum(N.DIM_MONTH), rtol=1e-9)
    np.testing.assert_allclose(d["cost_eur"], s[N.COST].sum(N.DIM_MONTH), rtol=1e-9)
    np.testing.assert_array_equal(d["exceeds_capacity"], s[N.EXCEEDS_CAPACITY].max(N.DIM_MONTH))
    np.testing.assert_allclose(d["statushouder_share"], s[N.STATUSHOUDER_SHARE].mean(N.DIM_MONTH), rtol=1e-9)


def test_each_measure_moves_its_flow_in_its_prior_direction(engine):
    months = engine.months
    grid = engine.grid()
    none = grid.isel(scenario=[0])
    target_var = {
        N.TARGET_INSTROOM: "instroom",
        N.TARGET_NAREIS: "nareis",
        N.TARGET_DECISION_RATE: "ind_capacity",
        N.TARGET_HOUSING_RATE: "housing_supply",
        N.TARGET_DEPARTURE_RATE: "departure_rate",
        N.TARGET_REGULAR_CAPACITY: N.REGULAR_CAPACITY,
        N.TARGET_HOUSING_OBLIGATION: "housing_supply",
    }
    checked = 0
    for m in engine.measures:
        only = (grid.sum(N.DIM_MEASURE) == 1) & grid.sel({N.DIM_MEASURE: m.id})
        rows = xr.concat([none, grid.isel(scenario=np.flatnonzero(only.values))], dim=N.DIM_SCENARIO)
        sim = engine.simulate(rows, variables=list(set(target_var.values())))
        late = months >= m.start + pd.DateOffset(months=24)
        for e in m.effects:
            if e.side_effect:
                continue
            var = target_var[e.target]
            a = sim[var].isel(scenario=1, month=np.flatnonzero(late))
            b = sim[var].isel(scenario=0, month=np.flatnonzero(late))
            diff = (a - b).mean() if e.kind == N.EFFECT_PLACES else np.log(a / b).mean()
            # a switch's draw is a share: abolishing the taakstelling keeps a share < 1 of the housing
            mu = -1.0 if e.kind == N.EFFECT_SWITCH else e.prior.mean_sd()[0]
            assert np.sign(float(diff)) == np.sign(mu), (m.id, e.target, float(diff), mu)
            checked += 1
    assert checked >= 8


def test_an_effect_fixed_at_zero_gives_exactly_the_baseline(fitted, engine):
    zero = {e: np.zeros(engine.forward.n) for e in engine.measures.effect_names}
    eng0 = ScenarioEngine(fitted, random_seed=SEED, effect_draws=zero)
    # a switch has no "no effect" draw (a share of 0 abolishes all the taakstelling's housing): leave it off
    switches = {e.measure for e in engine.measures.effects if e.kind == N.EFFECT_SWITCH}
    rest = xr.DataArray(
        [[m not in switches for m in engine.measures.ids], [False] * len(engine.measures)],
        dims=(N.DIM_SCENARIO, N.DIM_MEASURE),
        coords={N.DIM_SCENARIO: ["all_but_switches", "none"], N.DIM_MEASURE: list(engine.measures.ids)},
    )
    sim = eng0.simulate(rest)
    for k in FORECAST_VARIABLES:
        np.testing.assert_array_equal(
            sim[k].isel(scenario=0).values, sim[k].isel(scenario=1).values, err_msg=k
        )
    with pytest.raises(ScenarioError, match="lacks"):
        ScenarioEngine(fitted, random_seed=SEED, effect_draws={})
    bad = dict(zero, **{engine.measures.effect_names[0]: np.zeros(3)})
    with pytest.raises(ScenarioError, match=f"{engine.forward.n} finite values"):
        ScenarioEngine(fitted, random_seed=SEED, effect_draws=bad)


def test_the_multipliers_drive_the_chain_to_exactly_the_engines_numbers(engine):
    """:meth:`ScenarioEngine.multipliers`, fed to the forward chain, give the engine's own need."""
    switches = {e.measure for e in engine.measures.effects if e.kind == N.EFFECT_SWITCH}
    rows = xr.DataArray(
        [[m not in switches for m in engine.measures.ids], [False] * len(engine.measures)],
        dims=(N.DIM_SCENARIO, N.DIM_MEASURE),
        coords={N.DIM_SCENARIO: ["all_but_switches", "none"], N.DIM_MEASURE: list(engine.measures.ids)},
    )
    mult = engine.multipliers(rows, draws=slice(0, 50))
    assert set(mult.data_vars) == set(N.MULTIPLIER_TARGETS)
    assert mult.sizes == {N.DIM_SCENARIO: 2, N.DIM_DRAW: 50, N.DIM_MONTH: len(engine.months)}
    np.testing.assert_array_equal(mult.sel({N.DIM_SCENARIO: "none"}).to_array().values, 1.0)
    moved = [
        t for t in N.MULTIPLIER_TARGETS if not np.all(mult[t].sel({N.DIM_SCENARIO: "all_but_switches"}) == 1)
    ]
    assert moved, "the measures act on no multiplied target"
    got = engine.forward.simulate(
        {t: mult[t].transpose(N.DIM_DRAW, N.DIM_SCENARIO, N.DIM_MONTH).values for t in moved},
        slice(0, 50),
        extra=1,
    )[N.OPVANGBEHOEFTE]
    want = engine.simulate(rows, variables=[N.OPVANGBEHOEFTE], draws=slice(0, 50))[N.OPVANGBEHOEFTE]
    want = want.stack(sample=(N.DIM_CHAIN, N.DIM_DRAW)).transpose("sample", N.DIM_SCENARIO, N.DIM_MONTH)
    np.testing.assert_array_equal(np.broadcast_to(got, want.shape), want.values)


def test_need_is_never_negative(engine, draws):
    for k in ("need_mean", "need_peak", "places_mean", "noodopvang_person_months", "cost_eur"):
        assert float(draws[k].min()) >= 0, k
    sim = engine.simulate()
    for k in (N.OPVANGBEHOEFTE, "ind_backlog", "statushouders", "rejected", N.NOODOPVANG):
        assert float(sim[k].min()) >= 0, k


def test_shapley_contributions_add_up_to_all_versus_none(engine, draws):
    c = engine.contributions(draws, statistics=("need_mean", "cost_eur"))
    k = len(engine.measures)
    all_label = draws.scenario.values[2**k - 1]
    for stat in ("need_mean", "cost_eur"):
        total = c[stat].sum(N.DIM_MEASURE)
        diff = draws[stat].sel(scenario=all_label) - draws[stat].sel(scenario=N.NO_MEASURES_LABEL)
        np.testing.assert_allclose(total.transpose(*diff.dims), diff, rtol=1e-9, atol=1e-3)
    assert set(c["need_mean_q"]["quantile"].values) == set(QUANTILES)
    # a measure that only adds places changes no need at all
    np.testing.assert_allclose(c["need_mean"].sel(measure="stabiele_opvangplekken"), 0.0, atol=1e-9)
    assert float(c["cost_eur_mean"].sel(measure="stabiele_opvangplekken", fase=N.PHASE_NORMALISATIE)) < 0


def test_same_seed_same_numbers(fitted, engine, draws, capsys):
    # other chunks, one thread and a progress bar: the same numbers
    again = ScenarioEngine(fitted, random_seed=SEED).phase_draws(chunk_draws=333, threads=1, progress=True)
    for k in PHASE_STATISTICS:
        np.testing.assert_array_equal(again[k].values, draws[k].values, err_msg=k)
    bar = capsys.readouterr().err
    chunks = -(-fitted.idata.posterior.sizes["chain"] * fitted.idata.posterior.sizes["draw"] // 333)
    assert "scenario grid (" in bar and f"{chunks}/{chunks}" in bar
    other = ScenarioEngine(fitted, random_seed=SEED + 1).phase_draws(N.BUNDLE_KABINETSBELEID)
    assert not np.allclose(
        other["need_mean"].values, draws["need_mean"].sel(scenario=["kabinetsbeleid"]).values
    )


def test_summaries_per_phase(engine, draws):
    s = engine.summarise(draws)
    q = s["need_mean_q"]
    assert np.all(q.diff("quantile") >= 0)
    p = s["exceeds_capacity_mean"]
    assert float(p.min()) >= 0 and float(p.max()) <= 1
    assert "exceeds_capacity_q" not in s


def test_capacity_noodopvang_and_cost(fitted, engine):
    huge = ScenarioEngine(fitted, random_seed=SEED, capacity=10_000_000)
    d = huge.phase_draws(N.BUNDLE_GEEN_NIEUW_BELEID)
    assert float(d["exceeds_capacity"].max()) == 0 and float(d["noodopvang_person_months"].max()) == 0
    monthly = huge.costs.regular / 12
    np.testing.assert_allclose(d["cost_eur"], d["need_mean"] * monthly * np.array([12, 12, 42]), rtol=1e-9)
    # more places: never more noodopvang, never a higher chance of a shortfall
    low = ScenarioEngine(fitted, random_seed=SEED, capacity=50_000).phase_draws(N.BUNDLE_GEEN_NIEUW_BELEID)
    high = ScenarioEngine(fitted, random_seed=SEED, capacity=75_000).phase_draws(N.BUNDLE_GEEN_NIEUW_BELEID)
    assert np.all(high["noodopvang_person_months"] <= low["noodopvang_person_months"])
    assert np.all(high["exceeds_capacity"] <= low["exceeds_capacity"])
    np.testing.assert_array_equal(high["need_mean"], low["need_mean"])


def test_capacity_path_default_and_bad_input(fitted, engine):
    months = engine.months
    # the default is REGULAR places as known (no noodopvang): coa_capacity_regular, 30,000 in Sep 2021;
    # it was the total COA capacity (60,000 in Oct 2023, noodopvang included) before issue #14
    default = capacity_path(fitted.history, months)
    assert np.all(default.places == 30000) and "2021-09-15" in default.description
    assert "coa_capacity_regular" in default.description and "no noodopvang" in default.description
    assert engine.provenance["capacity"] == default.description
    series = pd.Series(np.linspace(60000, 80000, len(months)), index=months)
    np.testing.assert_allclose(capacity_path(fitted.history, months, series).places, series.to_numpy())
    with pytest.raises(ScenarioError, match="one value per month"):
        capacity_path(fitted.history, months, [1.0, 2.0])
    with pytest.raises(ScenarioError, match=r"2025-01 is -5"):
        capacity_path(fitted.history, months, np.full(len(months), -5.0))
    with pytest.raises(ScenarioError, match="no value for"):
        capacity_path(fitted.history, months, series.iloc[:-3])
    # per resident (COA jaarverslag 2023); the Nov 2024 rounded figures (30,000 / 70,000) are per place
    costs = reception_costs(fitted.history)
    assert (costs.regular, costs.emergency) == (30400.0, 69400.0)
    assert "nominal prices of 2023" in costs.description


def test_unknown_scenarios_and_variables_are_refused(engine):
    with pytest.raises(ScenarioError, match="unknown bundle"):
        engine.simulate("no_such_bundle")
    with pytest.raises(KeyError, match="unknown variable"):
        engine.simulate(variables=["no_such_variable"])


def test_dask_local_cluster_equals_in_memory(engine, draws):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        on_cluster = engine.phase_draws(chunk_draws=400, client=client)
    for k in PHASE_STATISTICS:
        np.testing.assert_array_equal(on_cluster[k].values, draws[k].values, err_msg=k)
    lazy = engine.phase_draws(N.BUNDLE_KABINETSBELEID, chunk_draws=700, lazy=True)
    assert lazy["need_mean"].chunks is not None
    np.testing.assert_array_equal(
        lazy["need_mean"].values, draws["need_mean"].sel(scenario=[N.BUNDLE_KABINETSBELEID]).values
    )


def test_measures_from_another_file(fitted, tmp_path):
    """A user's own measure set with two measures runs 4 combinations."""
    ms = load_measures()
    from forecast.scenarios.measures import select

    two = select(ms, ["verbod_op_voorrang", "asielnoodmaatregelenwet"])
    eng = ScenarioEngine(fitted, two, random_seed=SEED)
    d = eng.phase_draws()
    assert (d["scenario_kind"] == "combination").sum() == 4


def test_stable_places_never_count_a_place_twice(fitted, engine):
    """stabiele_opvangplekken raises the regular path to its level; a path already above it gets nothing."""
    draws = {e: np.zeros(engine.forward.n) for e in engine.measures.effect_names}
    draws["stabiele_opvangplekken.regular_capacity"] = np.full(engine.forward.n, 75000.0)
    only = "stabiele_opvangplekken"
    grid = engine.grid()
    one = grid.isel(scenario=[0, int(np.flatnonzero(grid.scenario.values == only)[0])])
    for capacity, expected in ((80000.0, 80000.0), (75000.0, 75000.0), (None, 75000.0)):
        eng = ScenarioEngine(fitted, random_seed=SEED, capacity=capacity, effect_draws=draws)
        cap = eng.simulate(one, variables=[N.REGULAR_CAPACITY])[N.REGULAR_CAPACITY]
        late = eng.months >= "2028-01-01"  # the 24-month ramp from 2026-01 is complete
        np.testing.assert_allclose(cap.isel(scenario=1, month=np.flatnonzero(late)), expected)
        np.testing.assert_allclose(cap.isel(scenario=0), eng.capacity.places[0])


def test_stress_scenario_on_request_leaves_the_default_unchanged(fitted, engine):
    stressed = ScenarioEngine(fitted, random_seed=SEED, stress=("einde_tijdelijke_bescherming",))
    assert stressed.provenance["stress"] == "einde_tijdelijke_bescherming"
    assert engine.provenance["stress"] == "none"
    np.testing.assert_array_equal(
        stressed.effect_draws["verbod_op_voorrang.housing_rate"],
        engine.effect_draws["verbod_op_voorrang.housing_rate"],
    )
    a = stressed.simulate(N.BUNDLE_GEEN_NIEUW_BELEID, variables=["instroom"])["instroom"].isel(scenario=0)
    b = engine.simulate(N.BUNDLE_GEEN_NIEUW_BELEID, variables=["instroom"])["instroom"].isel(scenario=0)
    months = pd.DatetimeIndex(a[N.DIM_MONTH].values)
    before, during = months < "2027-03-01", (months >= "2027-03-01") & (months < "2028-03-01")
    np.testing.assert_array_equal(a.values[..., before], b.values[..., before])
    assert (a.values[..., during] >= b.values[..., during] - 1e-9).all()
    assert a.values[..., during].mean() > b.values[..., during].mean()
    # the grid keeps its 2**9 combinations; the default engine's numbers are those of the fixture
    d = stressed.phase_draws(N.BUNDLE_KABINETSBELEID)
    assert d.sizes[N.DIM_SCENARIO] == 1 and d.attrs["stress"] == "einde_tijdelijke_bescherming"
    with pytest.raises(ScenarioError, match="unknown stress scenario"):
        ScenarioEngine(fitted, random_seed=SEED, stress=("no_such_stress",))


def test_abolishing_the_taakstelling_is_a_structural_switch(fitted, engine):
    """Before the switch starts exactly the chain with the obligation; after it, the supply's target is the
    voluntary share of the taakstelling: a smaller share gives less supply, and fewer are housed."""
    abolish = "afschaffing_huisvestingstaakstelling"
    share = f"{abolish}.{N.TARGET_HOUSING_OBLIGATION}"
    grid = engine.grid()
    only = grid.isel(scenario=[0, 2 ** engine.measures.ids.index(abolish)])
    variables = ["housing_supply", "housed", "statushouders", "obligation", N.OPVANGBEHOEFTE]
    sims = {}
    for value in (1.0, 0.3):
        draws = {e: np.zeros(engine.forward.n) for e in engine.measures.effect_names}
        draws[share] = np.full(engine.forward.n, value)
        eng = ScenarioEngine(fitted, random_seed=SEED, effect_draws=draws)
        sims[value] = eng.simulate(only, variables=variables)
    months = engine.months
    before = months < engine.measures[abolish].start
    late = months >= engine.measures[abolish].start + pd.DateOffset(months=24)
    for sim in sims.values():
        for v in variables:  # before the start: exactly the chain with the obligation
            np.testing.assert_array_equal(
                sim[v].isel(scenario=1).values[..., before], sim[v].isel(scenario=0).values[..., before], v
            )
    low, high = (sims[v]["housing_supply"].isel(scenario=1).values[..., late] for v in (0.3, 1.0))
    assert low.mean() < high.mean()
    base = sims[0.3]["housed"].isel(scenario=0).values[..., late]
    assert sims[0.3]["housed"].isel(scenario=1).values[..., late].mean() < base.mean()
