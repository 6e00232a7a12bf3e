"""The official forecasts of the time as bundled data: they load, and a bad row is refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast import names as N
from forecast.data import DataValidationError, load_official_forecasts
from forecast.data.official import official_forecasts_path

HEADER = ",".join(N.OFFICIAL_FORECAST_COLUMNS)
URL = "https://www.rijksoverheid.nl/actueel/nieuws/2023/04/28/kabinet-stelt-mpp-vast"
GOOD = f"MPP_2023-I,2023-04-28,total_inflow,2023-01-01,2023-12-31,67000,70000,76000,persons,{URL},ok"


def test_the_bundled_official_forecasts_load():
    f = load_official_forecasts()
    assert len(f) == 30
    assert list(f.columns) == [*N.OFFICIAL_FORECAST_COLUMNS, N.SOURCE_FILE, N.LINE]
    assert set(f[N.FORECAST_TARGET]) == set(N.OFFICIAL_FORECAST_TARGETS)
    for column in (N.MADE_ON, N.TARGET_PERIOD_START, N.TARGET_PERIOD_END):
        assert pd.api.types.is_datetime64_any_dtype(f[column])
    assert (f[N.MADE_ON] <= f[N.TARGET_PERIOD_END]).all()
    assert (f[N.SOURCE_URL].str.len() > 0).all()
    band = f[[N.LOW, N.MID, N.HIGH]]
    assert band.notna().any(axis=1).all()
    assert (band[N.LOW].fillna(0) <= band[N.MID].fillna(band[N.HIGH]).fillna(float("inf"))).all()
    # a known figure: MPP 2023-I, 77,100 COA places needed per 2024, made 28 April 2023
    row = f[(f[N.EDITION] == "MPP_2023-I") & (f[N.FORECAST_TARGET] == N.FORECAST_COA_PLACES_NEEDED)].iloc[0]
    assert (row[N.MID], row[N.MADE_ON], row[N.UNIT]) == (77100, pd.Timestamp("2023-04-28"), "places")
    # package data, not read from ../shared
    assert official_forecasts_path().is_relative_to(Path(forecast.__file__).parent)


BAD = [
    ("unknown-target", GOOD.replace("total_inflow", "instroom"), r"unknown target 'instroom'"),
    ("wrong-unit", GOOD.replace(",persons,", ",places,"), r"unit 'places' is not the unit of target"),
    ("band-order", GOOD.replace("67000,70000,76000", "71000,70000,76000"), r"low 71,000 is above mid 70,000"),
    ("no-value", GOOD.replace("67000,70000,76000", ",,"), r"none of low, mid and high is given"),
    ("negative", GOOD.replace("67000,", "-5,"), r"low '-5' is not a whole number >= 0"),
    ("made-after-target", GOOD.replace("2023-04-28", "2024-02-01"), r"made_on 2024-02-01 is after the end"),
    ("bad-date", GOOD.replace("2023-04-28", "28-04-2023"), r"unparseable made_on: '28-04-2023'"),
    ("date-2099", GOOD.replace("2023-12-31", "2099-12-31"), r"target_period_end 2099-12-31 is after"),
    ("end-before-start", GOOD.replace("2023-12-31", "2022-12-31"), r"target_period_end 2022-12-31 is before"),
    ("no-source", GOOD.replace(URL, ""), r"source_url is empty"),
    ("no-edition", GOOD.replace("MPP_2023-I", ""), r"the edition is empty"),
    ("repeat", GOOD, r"repeats line 2: the same edition 'MPP_2023-I'"),
]


@pytest.mark.parametrize(("row", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_row_is_refused_naming_file_and_line(tmp_path, row, message):
    path = tmp_path / "forecasts.csv"
    path.write_text(f"{HEADER}\n{GOOD}\n{row}\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=message) as err:
        load_official_forecasts(path)
    (problem,) = err.value.problems
    assert (problem.source, problem.line) == ("forecasts.csv", 3)
    assert str(problem).startswith("forecasts.csv, line 3")


def test_a_bad_header_is_refused(tmp_path):
    path = tmp_path / "forecasts.csv"
    path.write_text(f"{HEADER},extra\n{GOOD},x\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"forecasts\.csv, line 1: unknown column\(s\): 'extra'"):
        load_official_forecasts(path)
