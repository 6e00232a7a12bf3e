"""The phases file: the bundled fases, phase_of over month indexes, by_phase, and every invalid file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from forecast import names as N
from forecast.scenarios import PolicyConfigError, by_phase, load_phases, phase_of

GOOD = """
[[phase]]
name = "a"
name_nl = "fase a"
description = "first"
start = "2025-07-01"
end = "2026-07-01"
source = "note"

[[phase]]
name = "b"
name_nl = "fase b"
description = "second"
start = "2026-07-01"
end = "2027-07-01"
source = "note"

[[phase]]
name = "c"
name_nl = "fase c"
description = "open"
start = "2027-07-01"
source = "note"
"""


def write(tmp_path, text, name="phases.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_phases_follow_the_note():
    phases = load_phases()
    assert phases.names == N.PHASES
    vb, impl, norm = phases
    assert (vb.start, vb.end) == (pd.Timestamp("2025-07-01"), pd.Timestamp("2026-07-01"))
    assert (impl.start, impl.end) == (pd.Timestamp("2026-07-01"), pd.Timestamp("2027-07-01"))
    assert norm.start == pd.Timestamp("2027-07-01")
    assert norm.open_ended and not impl.open_ended
    assert norm.end == pd.Timestamp("2031-01-01")  # horizon end 2030-12-31, inclusive
    assert phases.horizon_end == pd.Timestamp(N.DEFAULT_HORIZON_END)
    assert [p.name_nl for p in phases] == ["voorbereidingsfase", "implementatiefase", "normalisatiefase"]
    assert all(p.source and p.description for p in phases)
    assert phases.file == N.PHASES_FILE
    assert len(impl.months) == 12 and len(phases.months) == 12 + 12 + 42


def test_horizon_end_sets_the_open_end():
    phases = load_phases(horizon_end="2028-06-15")
    assert phases["normalisatie"].end == pd.Timestamp("2028-07-01")
    with pytest.raises(PolicyConfigError, match="before this open-ended phase starts"):
        load_phases(horizon_end="2027-05-31")
    with pytest.raises(PolicyConfigError, match="horizon_end: not a date"):
        load_phases(horizon_end="someday")


def test_phase_of_boundaries_and_outside():
    phases = load_phases()
    months = [
        "2025-06-30",
        "2025-07-01",
        "2026-06-30",
        "2026-07-01",
        "2027-06-15",
        "2027-07-01",
        "2030-12-31",
    ]
    assert phases.phase_of(months).tolist() == [
        N.NO_PHASE,
        "voorbereiding",
        "voorbereiding",
        "implementatie",
        "implementatie",
        "normalisatie",
        "normalisatie",
    ]
    assert phases.phase_of(["2031-01-01"], outside="later").tolist() == ["later"]
    with pytest.raises(ValueError, match=r"1 month\(s\) lie in no phase .*2025-06"):
        phases.phase_of(months, outside=None)


@pytest.mark.parametrize(
    "index",
    [
        pd.date_range("2026-05-01", periods=3, freq="MS"),
        pd.period_range("2026-05", periods=3, freq="M"),
        pd.date_range("2026-05-31", periods=3, freq="ME"),  # month ends stand for their month
        np.array(["2026-05-01", "2026-06-01", "2026-07-01"], dtype="datetime64[ns]"),
        xr.DataArray(pd.date_range("2026-05-01", periods=3, freq="MS"), dims="month"),
        ["2026-05", "2026-06", "2026-07"],
    ],
    ids=["datetimeindex", "periodindex", "month_ends", "datetime64", "dataarray", "strings"],
)
def test_phase_of_reads_any_month_index(index):
    assert phase_of(index).tolist() == ["voorbereiding", "voorbereiding", "implementatie"]


def test_phase_of_scalar_and_bad_input():
    out = phase_of("2027-07-01")
    assert out.shape == () and out.item() == "normalisatie"
    assert phase_of(pd.Period("2026-07", freq="M")).item() == "implementatie"
    assert phase_of(pd.Timestamp("2026-06-30")).item() == "voorbereiding"
    with pytest.raises(ValueError, match="not a month index"):
        phase_of(["not a date"])
    with pytest.raises(ValueError, match="missing values"):
        phase_of(np.array(["2026-01-01", "NaT"], dtype="datetime64[ns]"))


@given(st.dates(min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2035-12-31").date()))
def test_phase_of_agrees_with_contains(day):
    phases = load_phases()
    label = phases.phase_of([day]).item()
    inside = [p.name for p in phases if p.contains(day)]
    assert inside == ([] if label == N.NO_PHASE else [label])


def test_phase_lookup_and_table():
    phases = load_phases()
    assert "implementatie" in phases and "x" not in phases
    with pytest.raises(KeyError, match="no phase named 'x'"):
        phases["x"]
    table = phases.to_frame()
    assert table["phase"].tolist() == list(N.PHASES)
    assert table["months"].tolist() == [12, 12, 42]


def test_by_phase_means_and_sums():
    months = pd.date_range("2025-01-01", "2030-12-01", freq="MS")
    data = xr.DataArray(
        np.arange(len(months) * 2, dtype=float).reshape(2, -1),
        dims=("draw", "month"),
        coords={"month": months},
    )
    mean = by_phase(data)
    assert mean.dims == ("draw", N.DIM_PHASE)
    assert mean[N.DIM_PHASE].values.tolist() == list(N.PHASES)
    phases = load_phases()
    for p in phases:
        expected = data.sel(month=slice(p.start, p.end - pd.Timedelta(days=1))).mean("month")
        np.testing.assert_allclose(mean.sel({N.DIM_PHASE: p.name}), expected)
    total = by_phase(data, how="sum")
    np.testing.assert_allclose(total.sum(N.DIM_PHASE), data.sel(month=slice("2025-07-01", None)).sum("month"))
    short = by_phase(data.sel(month=slice("2025-01-01", "2026-12-01")))
    assert short[N.DIM_PHASE].values.tolist() == ["voorbereiding", "implementatie"]
    with pytest.raises(ValueError, match="how must be one of"):
        by_phase(data, how="median")
    with pytest.raises(ValueError, match="no 'month' dimension"):
        by_phase(data.rename(month="t"))
    with pytest.raises(ValueError, match="no month of the data lies in a phase"):
        by_phase(data.sel(month=slice("2025-01-01", "2025-03-01")))


def test_custom_file_loads(tmp_path):
    phases = load_phases(write(tmp_path, GOOD), horizon_end="2029-12-31")
    assert phases.names == ("a", "b", "c")
    assert phases["c"].end == pd.Timestamp("2030-01-01")
    # TOML dates (unquoted) are accepted too
    native = GOOD.replace('start = "2025-07-01"', "start = 2025-07-01")
    assert load_phases(write(tmp_path, native))["a"].start == pd.Timestamp("2025-07-01")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (('source = "note"\n', "", 1), r"\[a\]: missing field\(s\) 'source'"),
        (('name_nl = "fase a"', 'name_nl = "fase a"\nnotes = "x"', 1), r"\[a\]: unknown field\(s\) 'notes'"),
        (('name = "a"', 'name = "Fase A"', 1), r"\[Fase A\]: 'name' must be a snake_case identifier"),
        (('name = "b"', 'name = "a"', 1), r"\[a\]: phase name 'a' is used twice"),
        (
            ('description = "first"', 'description = " "', 1),
            r"\[a\]: 'description' must be a non-empty string",
        ),
        (('start = "2025-07-01"', 'start = "2025-13-01"', 1), r"\[a\]: 'start' is not a valid date"),
        (('start = "2025-07-01"', 'start = "juli 2025"', 1), r"\[a\]: 'start' must be an ISO date"),
        (
            ('start = "2025-07-01"', "start = 2025-07-01T10:00:00", 1),
            r"\[a\]: 'start' must be a date without",
        ),
        (
            ('start = "2025-07-01"', 'start = "2025-07-15"', 1),
            r"\[a\]: 'start' must be the first day of a month",
        ),
        (('end = "2026-07-01"', 'end = "2025-07-01"', 1), r"\[a\]: end 2025-07-01 is not after start"),
        (('end = "2026-07-01"\n', "", 1), r"\[a\]: missing 'end' \(only the last phase may be open-ended\)"),
        (
            ('start = "2026-07-01"\nend = "2027-07-01"', 'start = "2026-08-01"\nend = "2027-07-01"', 1),
            r"\[b\]: gap between 'a' \(ends 2026-07-01, exclusive\) and 'b' \(starts 2026-08-01\)",
        ),
        (
            ('start = "2026-07-01"\nend = "2027-07-01"', 'start = "2026-06-01"\nend = "2027-07-01"', 1),
            r"\[b\]: overlaps 'a'",
        ),
        (
            ('start = "2026-07-01"\nend = "2027-07-01"', 'start = "2025-01-01"\nend = "2025-07-01"', 1),
            r"\[b\]: phases must be in time order",
        ),
        (("[[phase]]", "[[phase]", 1), "not valid TOML"),
        (("[[phase]]", "horizon = 3\n[[phase]]", 1), "unknown top-level key"),
    ],
)
def test_invalid_phases_name_file_and_entry(tmp_path, edit, message):
    old, new, count = edit
    text = GOOD.replace(old, new, count)
    assert text != GOOD
    with pytest.raises(PolicyConfigError, match=message) as err:
        load_phases(write(tmp_path, text))
    assert "phases.toml" in str(err.value)


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(PolicyConfigError, match=r"phases\.toml: no \[\[phase\]\] entries"):
        load_phases(write(tmp_path, "# nothing\n"))
    with pytest.raises(PolicyConfigError, match=r"must be an array of tables"):
        load_phases(write(tmp_path, 'phase = "a"\n'))
    with pytest.raises(PolicyConfigError, match="file not found"):
        load_phases(tmp_path / "nope.toml")
    with pytest.raises(PolicyConfigError, match="not a UTF-8 text file"):
        (tmp_path / "bin.toml").write_bytes(b"\xff\xfe\x00")
        load_phases(tmp_path / "bin.toml")
