"""Input vintages: a revision announced later is never known earlier (forecast/data/history.py)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast import names as N
from forecast.data import DataValidationError, History, MergeConflictError, load_history

URL = "https://example.org/taakstelling"


@pytest.fixture(scope="module")
def history() -> History:
    return load_history()


def _taak(h: History, start: str) -> float:
    rows = h.input_series("taakstelling", "vastgesteld")
    row = rows[rows[N.PERIOD_START] == pd.Timestamp(start)]
    assert len(row) == 1, row
    return float(row[N.VALUE].iloc[0])


# ---------------------------------------------------------------------- the curated revisions


def test_2023_ii_taakstelling_at_the_2023_07_01_origin_is_the_april_announcement(history):
    """27,300 announced 28 April 2023 (MPP 2023-I); the downward revision to 17,600 came later in 2023."""
    assert _taak(history.until("2023-07-01"), "2023-07-01") == 27300
    assert _taak(history.until("2023-04-28"), "2023-07-01") == 27300  # known from the announcement day
    with pytest.raises(AssertionError):
        _taak(history.until("2023-04-27"), "2023-07-01")  # not yet announced: absent
    assert _taak(history.until("2023-12-31"), "2023-07-01") == 17600
    assert _taak(history, "2023-07-01") == 17600  # the full history: the latest vintage


def test_2025_i_and_2019_i_revisions(history):
    assert _taak(history.until("2025-01-01"), "2025-01-01") == 17700
    assert _taak(history.until("2025-04-29"), "2025-01-01") == 17700
    assert _taak(history.until("2025-04-30"), "2025-01-01") == 15000
    assert _taak(history.until("2019-03-25"), "2019-01-01") == 8000
    assert _taak(history.until("2019-03-26"), "2019-01-01") == 6000
    # 2025-II was set in the same letter as the 2025-I revision: known before its period starts
    assert _taak(history.until("2025-05-01"), "2025-07-01") == 13000


def _capacity(h: History, year: int, definition: str = "ind_capacity") -> list[float]:
    rows = h.input_series("ind_decision_capacity", definition)
    return rows[rows[N.PERIOD_START] == pd.Timestamp(f"{year}-01-01")][N.VALUE].tolist()


def test_a_yearly_ind_capacity_is_known_from_the_day_it_was_stated(history):
    """The IND stated 28,000 decisions for 2022 on 4 November 2022 and 22,000 for 2023 in July 2023:
    a forecast made earlier in those years holds the 450 a week stated in December 2021."""
    assert _capacity(history.until("2022-07-01"), 2022) == []
    assert _capacity(history.until("2022-11-03"), 2022) == []
    assert _capacity(history.until("2022-11-04"), 2022) == [28000]
    assert _capacity(history.until("2023-01-01"), 2023) == []
    assert _capacity(history.until("2023-07-31"), 2023) == [22000]
    assert _capacity(history.until("2023-07-31"), 2023, "ind_opdracht") == []
    assert _capacity(history.until("2023-12-31"), 2023, "ind_opdracht") == [22000]
    stated = history.until("2022-07-01").input_series("ind_decision_capacity", "ind_capacity")
    assert stated[N.VALUE].tolist() == [450]


def test_every_vintage_is_sourced_and_dated_as_the_readme_says(history):
    v = history.input_vintages
    revised = v[v.duplicated(list(N.RECORD_KEY), keep=False)]
    assert len(revised) == 8 and revised[N.SERIES].eq("taakstelling").all()
    assert (revised[N.SOURCE_URL].str.len() > 0).all()
    assert revised[N.NOTE].str.contains("vintage").all()
    # no initial_announcement definition is left: one definition per input
    assert "initial_announcement" not in set(v[N.DEFINITION])


def test_downstream_sees_one_taakstelling_per_half_year(history):
    """The model reads ``history.inputs`` (series taakstelling, definition vastgesteld): one row per half."""
    for h in (history, history.until("2023-07-01"), history.until("2025-04-30")):
        tk = h.inputs
        tk = tk[(tk.series == "taakstelling") & (tk.definition == "vastgesteld")]
        assert not tk.duplicated([N.PERIOD_START, N.PERIOD_END]).any()
        assert set(tk[N.PERIOD_END] - tk[N.PERIOD_START]) <= {
            pd.Timedelta(days=180),
            pd.Timedelta(days=183),
            pd.Timedelta(days=181),
        }
    assert _taak(history, "2019-01-01") == 6000 and _taak(history, "2025-01-01") == 15000


# ---------------------------------------------------------------------- no leak, over every row

CUTS = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2025, 12, 31))


def _leak_free(full: History, cut: dt.date) -> None:
    ts = pd.Timestamp(cut)
    known = full.until(cut)
    vintages = full.input_vintages

    def ident(row) -> tuple:
        announced = "" if pd.isna(row.announced) else f"{row.announced:%Y-%m-%d}"
        return (row.series, f"{row.period_start:%Y-%m-%d}", row.definition, announced, row.value)

    seen = {ident(r) for r in known.input_vintages.itertuples(index=False)}
    for row in vintages.itertuples(index=False):
        announced = row.announced if not pd.isna(row.announced) else row.period_start
        present = ident(row) in seen
        assert present == (announced <= ts), (cut, row.series, row.period_start, row.value, row.announced)
    # and the value as known is the latest vintage known by the cut
    for (series, start, end, definition), group in vintages.groupby(list(N.RECORD_KEY)):
        old = group[group[N.KNOWN_FROM] <= ts]
        cur = known.inputs
        mine = cur[
            (cur[N.SERIES] == series)
            & (cur[N.PERIOD_START] == start)
            & (cur[N.PERIOD_END] == end)
            & (cur[N.DEFINITION] == definition)
        ]
        if old.empty:
            assert mine.empty
        else:
            assert mine[N.VALUE].tolist() == [old.sort_values(N.KNOWN_FROM)[N.VALUE].iloc[-1]]


@settings(max_examples=40, deadline=None)
@given(CUTS)
def test_no_value_announced_after_the_cut_is_known(cut):
    """A property over every row of the bundled inputs, for cuts from 2015 to 2025."""
    _leak_free(load_history(), cut)


def test_no_leak_on_the_days_around_every_announcement(history):
    days = set()
    for d in history.input_vintages[N.KNOWN_FROM]:
        if pd.Timestamp("2015-01-01") <= d <= pd.Timestamp("2025-12-31"):
            days |= {(d - pd.Timedelta(days=1)).date(), d.date()}
    for day in sorted(days):
        _leak_free(history, day)


# ---------------------------------------------------------------------- hashes


def test_vintage_hash_records_the_vintages_as_known(history):
    before, after = history.until("2023-07-01"), history.until("2024-01-01")
    assert before.input_vintage_hash != after.input_vintage_hash
    assert history.until("2023-07-01").input_vintage_hash == before.input_vintage_hash
    assert before.input_vintage_hash.startswith("sha256:")
    # the data hash covers the current values only: a copy without vintages hashes the same
    flat = History(history.observations, history.inputs, history.events)
    assert flat.data_hash == history.data_hash
    assert flat.input_vintage_hash != history.input_vintage_hash


def test_vintages_round_trip_through_csv(history, tmp_path):
    history.to_csv(tmp_path)
    header = (tmp_path / N.INPUTS_FILE).read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(N.INPUT_COLUMNS)
    again = History.from_csv(tmp_path)
    assert again.input_vintage_hash == history.input_vintage_hash
    assert again.data_hash == history.data_hash
    # a history without any announcement date writes the inputs file as before vintages existed
    undated = History.from_frame(history.observations, history.inputs.drop(columns=[N.ANNOUNCED]))
    undated.to_csv(tmp_path / "undated")
    header = (tmp_path / "undated" / N.INPUTS_FILE).read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(N.RECORD_COLUMNS)


# ---------------------------------------------------------------------- merging vintages


def _revision(value: float, announced: str | None) -> pd.DataFrame:
    row = {
        N.SERIES: "taakstelling",
        N.PERIOD_START: "2025-07-01",
        N.PERIOD_END: "2025-12-31",
        N.VALUE: value,
        N.UNIT: "persons",
        N.DEFINITION: "vastgesteld",
        N.QUALITY: "exact",
        N.SOURCE_URL: URL,
        N.NOTE: "test revision",
        N.ANNOUNCED: announced,
    }
    return pd.DataFrame([row])


def _with_inputs(h: History, inputs: pd.DataFrame) -> History:
    """A history holding one bundled observation (merged as a repeat) and ``inputs``."""
    return History.from_frame(h.observations.head(1), inputs)


def test_merge_adds_a_revision_as_a_vintage(history):
    merged = history.merge(_with_inputs(history, _revision(12000, "2025-09-01")))
    assert _taak(merged, "2025-07-01") == 12000
    assert _taak(merged.until("2025-08-31"), "2025-07-01") == 13000
    assert len(merged.input_vintages) == len(history.input_vintages) + 1
    # the same revision twice is harmless
    again = merged.merge(_with_inputs(history, _revision(12000, "2025-09-01")))
    assert again.input_vintage_hash == merged.input_vintage_hash


def test_merge_conflicts_of_vintages(history):
    # a different value announced the same day as an existing vintage
    with pytest.raises(MergeConflictError, match=r"taakstelling 2025-07-01\.\.2025-12-31 \(vastgesteld\)"):
        history.merge(_with_inputs(history, _revision(12000, "2025-04-30")))
    # an undated row that contradicts the current value
    with pytest.raises(MergeConflictError, match=r"existing 13000 .* new 12000"):
        history.merge(_with_inputs(history, _revision(12000, None)))
    replaced = history.merge(_with_inputs(history, _revision(12000, None)), overwrite=True)
    assert _taak(replaced, "2025-07-01") == 12000
    # an undated row that restates the current value is accepted
    same = history.merge(_with_inputs(history, _revision(13000, None)))
    assert same.input_vintage_hash == history.input_vintage_hash


def test_a_revision_may_be_announced_after_its_period_ended():
    rows = pd.concat([_revision(13000, None), _revision(12500, "2026-03-15")], ignore_index=True)
    h = History.from_frame(load_history().observations.head(1), rows)
    assert _taak(h, "2025-07-01") == 12500
    assert _taak(h.until("2026-03-14"), "2025-07-01") == 13000


def test_two_values_known_the_same_day_are_refused():
    rows = pd.concat([_revision(13000, None), _revision(12500, "2025-07-01")], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"two different values of one input known from the same"):
        History.from_frame(load_history().observations.head(1), rows)
