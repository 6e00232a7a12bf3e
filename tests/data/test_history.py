"""The bundled real history, leak-free cuts, selection, conversion and merging."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast
from forecast import names as N
from forecast.data import History, MergeConflictError, load_history
from forecast.data.history import bundled_dir


@pytest.fixture(scope="module")
def history() -> History:
    return load_history()


def _value(h: History, series: str, definition: str, start: str, end: str) -> float:
    df = h.observations
    row = df[
        (df[N.SERIES] == series)
        & (df[N.DEFINITION] == definition)
        & (df[N.PERIOD_START] == pd.Timestamp(start))
        & (df[N.PERIOD_END] == pd.Timestamp(end))
    ]
    assert len(row) == 1, row
    return float(row[N.VALUE].iloc[0])


def test_bundled_history_holds_known_real_values(history):
    # CBS first applications 2022 Q3 (StatLine 80059NED)
    assert _value(history, "first_applications", "cbs", "2022-07-01", "2022-09-30") == 11015
    # statushouders in COA on 1 Jan 2025
    assert _value(history, "coa_statushouders", "coa", "2025-01-01", "2025-01-01") == 17460
    # COVID low: CBS Q2 2020 first applications
    assert _value(history, "first_applications", "cbs", "2020-04-01", "2020-06-30") == 1255
    # the taakstelling backlog keeps its sign: a voorsprong at end 2022
    assert (
        _value(history, "taakstelling_backlog", "taakstelling_monitor", "2022-12-31", "2022-12-31") == -1793
    )


def test_bundled_history_is_complete_and_sourced(history):
    assert len(history) == 778
    assert len(history.inputs) == 69  # one current value per input
    assert len(history.input_vintages) == 74  # with the superseded vintages (revisions)
    assert len(history.events) == 11
    obs = history.observations
    assert obs[N.SOURCE_URL].str.len().min() > 0
    assert set(obs[N.SERIES]) <= set(N.OBSERVATION_SERIES)
    # the bundled files are package data, not read from ../shared
    assert bundled_dir().is_relative_to(Path(forecast.__file__).parent)


#: Input rows of the curated source that the bundle keeps under another series or definition: the first
#: announcements became vintages of the ``vastgesteld`` input, and costs stated per place moved to the
#: ``cost_per_place_*`` series (figures and sources unchanged).
_RENAMED = {
    ("taakstelling", "initial_announcement"): ("taakstelling", "vastgesteld"),
    ("cost_per_resident_regular", "coa"): ("cost_per_place_regular", "coa"),
    ("cost_per_resident_emergency", "coa"): ("cost_per_place_emergency", "coa"),
}


def test_bundled_files_extend_the_curated_source():
    """Observations, events and official forecasts are the curated files; every curated input is kept."""
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not shared.exists():
        pytest.skip("the curated source folder is not beside this checkout")
    for name in (N.OBSERVATIONS_FILE, N.EVENTS_FILE, N.OFFICIAL_FORECASTS_FILE):
        assert (bundled_dir() / name).read_bytes() == (shared / name).read_bytes(), name
    curated = pd.read_csv(shared / N.INPUTS_FILE, dtype=str, keep_default_na=False)
    bundled = pd.read_csv(bundled_dir() / N.INPUTS_FILE, dtype=str, keep_default_na=False)
    have = {
        (r.series, r.definition, r.period_start, r.period_end, float(r.value), r.source_url)
        for r in bundled.itertuples()
    }
    for r in curated.itertuples():
        key = (r.series, r.definition, r.period_start, r.period_end, float(r.value), r.source_url)
        moved = (*_RENAMED.get((r.series, r.definition), (r.series, r.definition)), *key[2:])
        assert key in have or moved in have, key
    assert len(bundled) >= len(curated)


def test_repr_is_a_readable_summary(history):
    text = repr(history)
    assert text.startswith("History: 778 observations of 28 series")
    assert "Coverage" in text and "first_applications" in text
    assert "Last observation per series" in text
    assert "17,460" in text  # coa_statushouders on 2025-01-01 is the last of that series
    cov = history.coverage()
    assert cov.loc["first_applications", "2022"] == "MQHYO"
    assert cov.loc["coa_occupancy", "<2008"] == "P"


def test_definition_counts(history):
    counts = history.definition_counts()
    assert counts.loc[("first_applications", "cbs"), "total"] == 81
    assert counts["total"].sum() == 778


FIRST_FIGURE = dt.date(1995, 12, 31)  # the first period_end of the bundled history (COA occupancy)
dates = st.dates(min_value=FIRST_FIGURE, max_value=dt.date(2026, 12, 31))


@settings(max_examples=60, deadline=None)
@given(dates)
def test_until_never_returns_a_later_observation(date):
    h = load_history().until(date)
    ts = pd.Timestamp(date)
    assert (h.observations[N.PERIOD_END] <= ts).all()
    assert (h.inputs[N.KNOWN_FROM] <= ts).all()
    assert (h.input_vintages[N.KNOWN_FROM] <= ts).all()
    ev = h.events
    assert (ev[N.EVENT_START] <= ts).all()
    assert not (ev[N.EVENT_END] > ts).any()
    # and nothing that was known is dropped
    full = load_history().observations
    assert len(h) == int((full[N.PERIOD_END] <= ts).sum())
    assert h.as_of == ts


def test_until_rejects_a_non_date(history):
    with pytest.raises(ValueError, match="not a date"):
        history.until("last tuesday")


def test_until_before_the_first_figure_says_nothing_was_known(history):
    assert len(history.until(FIRST_FIGURE)) == 1
    with pytest.raises(ValueError, match=r"nothing was known on 1995-12-30: .* dated 1995-12-31"):
        history.until(FIRST_FIGURE - dt.timedelta(days=1))


def test_select_by_series_and_definition(history):
    sel = history.select("nareis", definition="cbs")
    assert set(sel.observations[N.SERIES]) == {"nareis"}
    assert set(sel.observations[N.DEFINITION]) == {"cbs"}
    assert len(sel) == 67
    assert (
        len(history.select(["nareis", "first_applications"], quality="exact"))
        == 63 + 41 + 1 + 76 + 15 + 73 + 3
    )
    with pytest.raises(KeyError, match="unknown series"):
        history.select("instroom")
    with pytest.raises(KeyError, match="unknown definition"):
        history.select("nareis", definition="eurostat")


def test_to_xarray(history):
    ds = history.select("coa_occupancy").to_xarray()
    assert isinstance(ds, xr.Dataset)
    assert ds.sizes[N.DIM_OBSERVATION] == 54
    assert set(ds[N.DEFINITION].values) == set(N.OBSERVATION_SERIES["coa_occupancy"].definitions)
    assert ds.attrs["data_hash"].startswith("sha256:")


def test_to_frame_is_a_copy(history):
    df = history.to_frame()
    df.loc[0, N.VALUE] = -1.0
    assert history.observations.loc[0, N.VALUE] != -1.0


def _quarter_update() -> pd.DataFrame:
    rows = [
        (
            "first_applications",
            "2025-01-01",
            "2025-03-31",
            8110,
            "persons",
            "cbs",
            "exact",
            "https://www.cbs.nl/nl-nl/cijfers/detail/80059ned",
            "test update",
        ),
        (
            "nareis",
            "2025-01-01",
            "2025-03-31",
            2000,
            "persons",
            "cbs",
            "exact",
            "https://www.cbs.nl/nl-nl/cijfers/detail/80059ned",
            "test update",
        ),
        # repeats an existing figure with the same value: accepted, not duplicated
        (
            "first_applications",
            "2022-07-01",
            "2022-09-30",
            11015,
            "persons",
            "cbs",
            "exact",
            "https://www.cbs.nl/nl-nl/cijfers/detail/80059ned",
            "restated",
        ),
    ]
    return pd.DataFrame(rows, columns=list(N.RECORD_COLUMNS))


def test_merging_a_quarter(history):
    merged = history.merge(_quarter_update())
    assert len(merged) == len(history) + 2
    assert _value(merged, "first_applications", "cbs", "2025-01-01", "2025-03-31") == 8110
    assert merged.last_date == pd.Timestamp("2025-03-31")
    assert len(history) == 778  # the original is unchanged
    # merging the same update twice is harmless
    assert len(merged.merge(_quarter_update())) == len(merged)


def test_merge_conflicts_are_reported_and_can_be_overwritten(history, tmp_path):
    update = _quarter_update()
    update.loc[2, N.VALUE] = 11020  # contradicts the bundled 11,015
    with pytest.raises(MergeConflictError) as err:
        history.merge(update)
    msg = str(err.value)
    assert "first_applications 2022-07-01..2022-09-30 (cbs)" in msg
    assert "existing 11015" in msg and "new 11020" in msg and "overwrite=True" in msg
    assert len(err.value.conflicts) == 1
    merged = history.merge(update, overwrite=True)
    assert _value(merged, "first_applications", "cbs", "2022-07-01", "2022-09-30") == 11020
    assert len(merged) == len(history) + 2
    # the same from a CSV file
    path = tmp_path / "update.csv"
    update.to_csv(path, index=False)
    with pytest.raises(MergeConflictError, match=r"update\.csv:4"):
        history.merge(path)


def test_from_csv_directory_round_trip(history, tmp_path):
    history.to_csv(tmp_path)
    again = History.from_csv(tmp_path)
    assert again.data_hash == history.data_hash
    pd.testing.assert_frame_equal(
        again.observations[list(N.RECORD_COLUMNS)], history.observations[list(N.RECORD_COLUMNS)]
    )
    assert not list(tmp_path.glob("*.tmp"))


def test_own_observations_use_bundled_inputs(tmp_path):
    path = tmp_path / "mine.csv"
    _quarter_update().to_csv(path, index=False)
    own = forecast.load_history(path)
    assert len(own) == 3
    assert len(own.inputs) == 69 and len(own.events) == 11
    assert own.input_vintage_hash == load_history().input_vintage_hash


# ---------------------------------------------------------------- round trip (hypothesis)

_FLOW_SERIES = [s for s, spec in N.OBSERVATION_SERIES.items() if spec.kind == N.FLOW and not spec.is_fraction]
_STOCK_SERIES = [
    s for s, spec in N.OBSERVATION_SERIES.items() if spec.kind == N.STOCK and not spec.is_fraction
]


@st.composite
def record(draw):
    if draw(st.booleans()):
        series = draw(st.sampled_from(_FLOW_SERIES))
        year = draw(st.integers(2000, dt.date.today().year - 1))  # observed: not in the future
        months = draw(st.sampled_from([1, 3, 6, 12]))
        first = draw(st.integers(0, 12 // months - 1)) * months + 1
        start = dt.date(year, first, 1)
        end = (pd.Timestamp(start) + pd.offsets.MonthEnd(months)).date()
    else:
        series = draw(st.sampled_from(_STOCK_SERIES))
        start = end = draw(st.dates(min_value=N.EARLIEST_DATE, max_value=dt.date.today()))
        months = 1
    spec = N.OBSERVATION_SERIES[series]
    low, high = spec.bounds(months)  # plausible values, up to the series' ceiling
    value = draw(st.integers(int(low), int(high)).map(float))  # counts: whole numbers (COUNT_UNITS)
    note = draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30))
    return (
        series,
        start.isoformat(),
        end.isoformat(),
        value,
        draw(st.sampled_from(spec.units)),
        draw(st.sampled_from(spec.definitions)),
        draw(st.sampled_from(N.QUALITIES)),
        "https://example.org/" + draw(st.text("abcxyz0123/-", min_size=1, max_size=10)),
        note,
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(record(), min_size=1, max_size=25, unique_by=lambda r: (r[0], r[1], r[2], r[5])))
def test_valid_random_frames_round_trip_through_csv(tmp_path_factory, rows):
    df = pd.DataFrame(rows, columns=list(N.RECORD_COLUMNS))
    h = History.from_frame(df)
    folder = tmp_path_factory.mktemp("rt")
    h.to_csv(folder)
    again = History.from_csv(folder / N.OBSERVATIONS_FILE)
    cols = list(N.RECORD_COLUMNS)
    pd.testing.assert_frame_equal(again.observations[cols], h.observations[cols])
    assert len(again) == len(rows)
