"""The official forecast as a baseline: outcomes matched like with like, scores, and a real fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import names as N
from forecast.data import load_official_forecasts
from forecast.evaluation import BacktestSettings
from forecast.evaluation import official as O

STORED = Path(__file__).parents[2] / "benchmarks" / "results" / "official"


@pytest.fixture(scope="module")
def history():
    return forecast.load_history()


@pytest.fixture(scope="module")
def targets(history):
    return O.official_targets(history)


def _edition(targets: pd.DataFrame, edition: str, target: str, end: str) -> pd.Series:
    hit = targets[
        (targets[N.EDITION] == edition)
        & (targets[N.FORECAST_TARGET] == target)
        & (targets[N.TARGET_PERIOD_END] == pd.Timestamp(end))
    ]
    assert len(hit) == 1
    return hit.iloc[0]


def test_every_official_forecast_is_matched_or_says_why(targets):
    assert len(targets) == len(load_official_forecasts())
    scored, unscored = targets[targets["scored"]], targets[~targets["scored"]]
    assert len(scored) >= 15
    assert scored["observed"].gt(0).all() and scored["official_point"].gt(0).all()
    assert (unscored["reason"].str.len() > 0).all() and (scored["reason"] == "").all()
    for _, r in scored.iterrows():
        assert r[N.SERIES] == O.OUTCOME_SERIES[r[N.FORECAST_TARGET]]
        assert r[N.DEFINITION] in O.OUTCOME_DEFINITIONS[r[N.FORECAST_TARGET]]
        assert O.TARGET_DATES[0] <= r[N.TARGET_PERIOD_END] <= O.TARGET_DATES[1]
    # the model only sees what was known on the first day of the month the forecast was made in
    assert (scored["origin"] <= scored[N.MADE_ON]).all()
    assert (scored["origin"].dt.day == 1).all()


def test_known_outcomes_of_the_bundled_forecasts(targets):
    # MPP 2022-I: 45,000 places on 1 July 2022 at a 96 % planning occupancy = 43,200 persons; COA
    # counted 42,301 persons in reception on 27 June 2022 (4 days before; the nearest count)
    r = _edition(targets, "MPP_2022-I", N.FORECAST_COA_PLACES_NEEDED, "2022-07-01")
    assert r["scored"] and r["rate"] == 0.96
    assert r["official_point"] == pytest.approx(43_200)
    assert (r["observed"], r[N.DEFINITION], r[N.PERIOD_END]) == (
        42_301,
        "coa_personen_in_opvang",
        pd.Timestamp("2022-06-27"),
    )
    # MPP 2023-II: 21,000 statushouders in COA on 1 January 2025; COA counted 17,460
    r = _edition(targets, "MPP_2023-II", N.FORECAST_COA_STATUSHOUDERS, "2025-01-01")
    assert (r["scored"], r["observed"], r["official_point"]) == (True, 17_460, 21_000)
    # a bracket without a mid is read as its midpoint, and kept as the bracket
    r = _edition(targets, "MPP_2022-II", N.FORECAST_TOTAL_INFLOW, "2022-12-31")
    assert (r["point_from"], r["official_point"]) == ("midpoint", (48_200 + 55_700) / 2)
    assert (r["official_low"], r["official_high"], r["observed"]) == (48_200, 55_700, 47_991)
    # no COA count within 15 days of 1 January 2024: listed, not scored
    r = _edition(targets, "MPP_2023-II", N.FORECAST_COA_PLACES_NEEDED, "2024-01-01")
    assert not r["scored"] and "within 15 days" in r["reason"]
    # Teeven's 2014 figure precedes the model's fits
    r = _edition(targets, "informal_2014-05_teeven", N.FORECAST_TOTAL_INFLOW, "2014-12-31")
    assert not r["scored"] and "outside" in r["reason"]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (
            "2022-06-29",
            (42_301, "coa_personen_in_opvang"),
        ),  # 2 days: persons in COA before "in a COA location"
        ("2023-06-30", (53_000, "coa_recht_op_opvang")),  # 15 days from 15 June: still inside
        ("2023-07-01", None),  # 16 days: outside
    ],
)
def test_a_stock_outcome_is_the_nearest_count_within_the_tolerance(history, date, expected):
    row = load_official_forecasts().iloc[[0]].copy()
    row[N.FORECAST_TARGET], row[N.UNIT] = N.FORECAST_COA_PLACES_NEEDED, "places"
    row[N.MADE_ON] = pd.Timestamp("2022-01-15")
    row[N.TARGET_PERIOD_START] = row[N.TARGET_PERIOD_END] = pd.Timestamp(date)
    r = O.official_targets(history, row).iloc[0]
    if expected is None:
        assert not r["scored"] and np.isnan(r["observed"])
    else:
        assert r["scored"] and (r["observed"], r[N.DEFINITION]) == expected


def test_a_target_beyond_the_forecast_months_is_not_scored(history):
    row = load_official_forecasts().iloc[[0]].copy()
    row[N.MADE_ON] = pd.Timestamp("2016-01-10")  # 2018 is 36 months after January 2016
    row[N.TARGET_PERIOD_START], row[N.TARGET_PERIOD_END] = (
        pd.Timestamp("2018-01-01"),
        pd.Timestamp("2018-12-31"),
    )
    r = O.official_targets(history, row).iloc[0]
    assert not r["scored"] and "beyond the 24 forecast months" in r["reason"]


def test_official_point_reads_the_scenario_values():
    nan = float("nan")
    assert O.official_point(1.0, 2.0, 3.0) == (2.0, "mid")
    assert O.official_point(1.0, nan, 3.0) == (2.0, "midpoint")
    assert O.official_point(nan, nan, 3.0) == (3.0, "high only")
    assert O.official_point(1.0, nan, nan) == (1.0, "low only")


def test_scores_errors_and_hits():
    t = pd.DataFrame(
        {
            N.FORECAST_TARGET: ["a", "a", "b"],
            "observed": [100.0, 200.0, 50.0],
            "official_point": [110.0, 150.0, 50.0],
            "official_low": [90.0, np.nan, 60.0],
            "official_high": [120.0, np.nan, 70.0],
        }
    )
    model = np.stack([np.linspace(80, 120, 101), np.linspace(100, 140, 101), np.linspace(45, 55, 101)])
    s = O.score_official(t, model, np.array([100.0, 100.0, 25.0]))
    np.testing.assert_allclose(s["ape_model"], [0.0, 0.4, 0.0])
    np.testing.assert_allclose(s["ape_official"], [0.1, 0.25, 0.0])
    np.testing.assert_allclose(s["ape_persistence"], [0.0, 0.5, 0.5])
    assert s["model_band_hit"].tolist() == [1.0, 0.0, 1.0]
    assert s["official_bracket_hit"].iloc[0] == 1.0 and np.isnan(s["official_bracket_hit"].iloc[1])
    assert s["official_bracket_hit"].iloc[2] == 0.0  # 50 is below the bracket 60-70
    summary = O.OfficialComparison(s, t.iloc[:0], pd.DataFrame()).summary()
    assert summary.loc["a", "n"] == 2 and summary.loc["all", "n"] == 3
    assert summary.loc["a", "median_ape_official"] == pytest.approx(0.175)
    assert (summary.loc["all", "official_brackets"], summary.loc["all", "official_bracket_hits"]) == (2, 1)
    assert summary.loc["all", "model_band_hits"] == 2


def test_the_stored_run_covers_every_scored_official_forecast(targets):
    """docs/validation.md quotes benchmarks/results/official: it must be a run on today's official data."""
    stored = pd.read_csv(STORED / "forecasts.csv", parse_dates=[N.TARGET_PERIOD_END])
    key = [N.EDITION, N.FORECAST_TARGET, N.TARGET_PERIOD_END]
    scored = targets[targets["scored"]]
    assert sorted(map(tuple, stored[key].astype(str).values)) == sorted(
        map(tuple, scored[key].astype(str).values)
    )
    np.testing.assert_allclose(
        stored.sort_values(key)["observed"].to_numpy(), scored.sort_values(key)["observed"].to_numpy()
    )
    summary = pd.read_csv(STORED / "summary.csv")
    assert summary["n"].iloc[-1] == len(scored)


@pytest.mark.slow
def test_a_real_fit_at_the_month_of_an_official_forecast(history, tmp_path):
    official = load_official_forecasts()
    official = official[official[N.EDITION] == "begroting_2018"]  # made Sep 2017 for the 2018 inflow
    settings = BacktestSettings(draws=60, tune=60, chains=2, random_seed=5)
    result = O.compare_with_official(history, official, settings)
    assert len(result.forecasts) == 1 and result.unscored.empty
    fit = result.fits.iloc[0]
    assert (fit["origin"], fit["fit_end"]) == (pd.Timestamp("2017-09-01"), "2017-08")
    assert fit["input_vintage_hash"] == history.until("2017-09-01").input_vintage_hash
    r = result.forecasts.iloc[0]
    assert 0 < r["model_q10"] < r["model_q50"] < r["model_q90"]
    # persistence: the last full year known in September 2017 is 2016 (IND total inflow 31,642 in
    # 366 days), continued as a rate for the 365 days of 2018
    assert r["persistence_q50"] == pytest.approx(31_642 * 365 / 366)
    assert r["observed"] == 30_380 and r["official_point"] == 37_000
    result.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fits.csv",
        "forecasts.csv",
        "summary.csv",
        "unscored.csv",
    ]
