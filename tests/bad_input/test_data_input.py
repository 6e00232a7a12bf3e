"""Bad input to the data layer, one row per case: each is refused with a message naming the file and line.

Every case of the table is a short id, the bad file content (or the bad call) and the expected error
with a regex its message must match. The cases come from a user test that fed the loader bad input
which was accepted silently or failed with an unclear error: an implausible count (``1e30``), dates in
2099 or 9999, a figure observed in the future, a UTF-16 file, a 200 MB file, an unreadable file, the
merge-conflict message and ``History.until`` before the first figure.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from forecast import names as N
from forecast.data import DataValidationError, History, MergeConflictError, load_history
from forecast.data import validation as V
from forecast.data.history import bundled_dir

URL = "https://www.cbs.nl/nl-nl/cijfers/detail/80059ned"
GOOD_OBS = f"first_applications,2024-01-01,2024-03-31,8110,persons,cbs,exact,{URL},ok"
GOOD_INPUT = f"taakstelling,2024-01-01,2024-06-30,12500,persons,vastgesteld,exact,{URL},"
GOOD_EVENT = f"covid,2020-03,2020-06,first_applications,border closures,{URL}"
RECORD_HEADER = ",".join(N.RECORD_COLUMNS)
EVENT_HEADER = ",".join(N.EVENT_COLUMNS)
NEXT_YEAR = dt.date.today().year + 1  # inside the date window, but not yet observed

Call = Callable[[Path, pytest.MonkeyPatch], object]


def _write(folder: Path, name: str, header: str, rows: tuple[str, ...]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def observations(*rows: str) -> Call:
    """Load ``obs.csv`` holding a good row (line 2) and then ``rows`` (from line 3)."""
    return lambda tmp, _: History.from_csv(_write(tmp, "obs.csv", RECORD_HEADER, (GOOD_OBS, *rows)))


def inputs(*rows: str) -> Call:
    """Load good observations with ``inputs.csv`` holding a good row (line 2) and then ``rows``."""

    def call(tmp: Path, _: pytest.MonkeyPatch) -> History:
        obs = _write(tmp, "obs.csv", RECORD_HEADER, (GOOD_OBS,))
        return History.from_csv(obs, inputs=_write(tmp, "inputs.csv", RECORD_HEADER, (GOOD_INPUT, *rows)))

    return call


INPUT_HEADER = ",".join(N.INPUT_COLUMNS)


def dated_inputs(*rows: str) -> Call:
    """Load good observations with an ``inputs.csv`` that has the ``announced`` column: a good row
    (line 2, not dated) and then ``rows``."""

    def call(tmp: Path, _: pytest.MonkeyPatch) -> History:
        obs = _write(tmp, "obs.csv", RECORD_HEADER, (GOOD_OBS,))
        dated = _write(tmp, "inputs.csv", INPUT_HEADER, (GOOD_INPUT + ",", *rows))
        return History.from_csv(obs, inputs=dated)

    return call


def events(*rows: str) -> Call:
    """Load good observations with ``events.csv`` holding a good row (line 2) and then ``rows``."""

    def call(tmp: Path, _: pytest.MonkeyPatch) -> History:
        obs = _write(tmp, "obs.csv", RECORD_HEADER, (GOOD_OBS,))
        return History.from_csv(obs, events=_write(tmp, "events.csv", EVENT_HEADER, (GOOD_EVENT, *rows)))

    return call


def encoded(encoding: str) -> Call:
    """Load a valid observations file saved in another encoding."""

    def call(tmp: Path, _: pytest.MonkeyPatch) -> History:
        path = tmp / "obs.csv"
        path.write_bytes(f"{RECORD_HEADER}\n{GOOD_OBS}\n".encode(encoding))
        return History.from_csv(path)

    return call


def oversized(tmp: Path, _: pytest.MonkeyPatch) -> History:
    """Load a 25 MB file (sparse: written in no time); it must be refused before it is read."""
    path = tmp / "huge.csv"
    with path.open("wb") as fh:
        fh.write(f"{RECORD_HEADER}\n".encode())
        fh.truncate(V.MAX_FILE_BYTES + 5_000_000)
    return History.from_csv(path)


def unreadable(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> History:
    """Load a file without read permission (as root, which reads anyway, opening it is made to fail)."""
    path = _write(tmp, "locked.csv", RECORD_HEADER, (GOOD_OBS,))
    path.chmod(0)
    if os.access(path, os.R_OK):  # root: provoke the PermissionError that a user would get
        real_open = Path.open

        def denied(self: Path, *args: object, **kwargs: object) -> object:
            if self.name == path.name:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return real_open(self, *args, **kwargs)

        monkeypatch.setattr(Path, "open", denied)
    return History.from_csv(path)


def directory_as_inputs(tmp: Path, _: pytest.MonkeyPatch) -> History:
    """Give a folder where the inputs file is expected."""
    (tmp / "inputs.csv").mkdir()
    return load_history(inputs=tmp / "inputs.csv")


def merge_conflict(tmp: Path, _: pytest.MonkeyPatch) -> History:
    """Merge a figure that contradicts the bundled CBS first applications of 2022 Q3 (11,015)."""
    row = f"first_applications,2022-07-01,2022-09-30,11020,persons,cbs,exact,{URL},revised"
    return load_history().merge(_write(tmp, "update.csv", RECORD_HEADER, (row,)))


def until(date: str) -> Call:
    """Cut the bundled history at ``date``."""
    return lambda *_: load_history().until(date)


class Case(NamedTuple):
    """One bad input: its id, the call that feeds it, the error and a regex of its message."""

    id: str
    call: Call
    error: type[Exception]
    message: str


DVE = DataValidationError
OBS3 = r"obs\.csv, line 3 \(series '{}'\): "
INP3 = r"inputs\.csv, line 3 \(series '{}'\): "

CASES = [
    # ------------------------------------------------------------------ plausibility bounds
    Case(
        "count-1e30",
        observations(f"first_applications,2024-04-01,2024-06-30,1e30,persons,cbs,exact,{URL},"),
        DVE,
        OBS3.format("first_applications")
        + r"value 1e30 is above the plausible maximum for this series, 450,000 "
        r"\(150,000 per month over the 3 months of the period; .*busiest month on record",
    ),
    Case(
        "stock-1e30",
        observations(f"coa_occupancy,2024-04-01,2024-04-01,1e30,persons,coa_recht_op_opvang,exact,{URL},"),
        DVE,
        OBS3.format("coa_occupancy")
        + r"value 1e30 is above the plausible maximum for this series, 1,000,000 "
        r"\(persons or applications at a date; ~12x the largest stock on record",
    ),
    Case(
        "signed-below-floor",
        observations(
            f"taakstelling_backlog,2024-06-30,2024-06-30,-5000000,persons,taakstelling_monitor,exact,{URL},"
        ),
        DVE,
        OBS3.format("taakstelling_backlog")
        + r"value -5000000 is below the plausible minimum for this series, -100,000",
    ),
    Case(
        "input-1e30",
        inputs(f"coa_capacity_decision,2025-01-01,2025-01-01,1e30,places,mpp_2024-I,exact,{URL},"),
        DVE,
        INP3.format("coa_capacity_decision")
        + r"value 1e30 is above the plausible maximum .*1,000,000 \(places",
    ),
    Case(
        "value-overflows",
        observations(f"first_applications,2024-04-01,2024-06-30,1e400,persons,cbs,exact,{URL},"),
        DVE,
        OBS3.format("first_applications") + r"unparseable value: '1e400' is not a finite number",
    ),
    # ------------------------------------------------------------------ date window
    Case(
        "obs-2099",
        observations(f"first_applications,2099-04-01,2099-06-30,100,persons,cbs,exact,{URL},"),
        DVE,
        OBS3.format("first_applications") + r"period_start 2099-04-01 is after the latest accepted date "
        r"2050-12-31 \(dates must lie in 1990-01-01\.\.2050-12-31\)",
    ),
    Case(
        "obs-9999",
        observations(f"coa_occupancy,9999-12-31,9999-12-31,50000,persons,coa_recht_op_opvang,exact,{URL},"),
        DVE,
        OBS3.format("coa_occupancy")
        + r"period_start = period_end 9999-12-31 is after the latest accepted date 2050-12-31",
    ),
    Case(
        "obs-1900",
        observations(f"coa_occupancy,1900-01-01,1900-01-01,50000,persons,coa_recht_op_opvang,exact,{URL},"),
        DVE,
        OBS3.format("coa_occupancy")
        + r"period_start = period_end 1900-01-01 is before the earliest accepted date 1990-01-01",
    ),
    Case(
        "obs-in-the-future",
        observations(f"first_applications,{NEXT_YEAR}-01-01,{NEXT_YEAR}-03-31,100,persons,cbs,exact,{URL},"),
        DVE,
        OBS3.format("first_applications")
        + rf"period_end {NEXT_YEAR}-03-31 is after today \(\d{{4}}-\d\d-\d\d\): "
        r"a figure cannot be observed in the future",
    ),
    Case(
        "input-2099",
        inputs(f"taakstelling,2099-01-01,2099-06-30,12500,persons,vastgesteld,exact,{URL},"),
        DVE,
        INP3.format("taakstelling") + r"period_start 2099-01-01 is after the latest accepted date 2050-12-31",
    ),
    Case(
        "input-9999",
        inputs(f"coa_capacity_decision,9999-12-31,9999-12-31,50000,places,mpp_2024-I,exact,{URL},"),
        DVE,
        INP3.format("coa_capacity_decision")
        + r"period_start = period_end 9999-12-31 is after the latest accepted date",
    ),
    Case(
        "event-2099",
        events(f"futurist,2099-01,,first_applications,a typo in the year,{URL}"),
        DVE,
        r"events\.csv, line 3: event 'futurist': start 2099-01-01 is after the latest accepted date "
        r"2050-12-31",
    ),
    Case(
        "event-9999",
        events(f"forever,2024-01-01,9999-12-31,first_applications,a placeholder end,{URL}"),
        DVE,
        r"events\.csv, line 3: event 'forever': end 9999-12-31 is after the latest accepted date 2050-12-31",
    ),
    # ------------------------------------------------------------------ input vintages
    Case(
        "vintage-same-day",
        dated_inputs(f"taakstelling,2024-01-01,2024-06-30,13000,persons,vastgesteld,exact,{URL},,2024-01-01"),
        DVE,
        INP3.format("taakstelling")
        + r"two different values of one input known from the same day 2024-01-01: 13000 here and 12500 at "
        r"inputs\.csv:2 .*a revision needs a later announced date",
    ),
    Case(
        "vintage-same-announced",
        dated_inputs(
            f"taakstelling,2024-01-01,2024-06-30,13000,persons,vastgesteld,exact,{URL},,2023-10-01",
            f"taakstelling,2024-01-01,2024-06-30,14000,persons,vastgesteld,exact,{URL},,2023-10-01",
        ),
        DVE,
        r"inputs\.csv, line 4 \(series 'taakstelling'\): conflicts with line 3: same series, period "
        r"2024-01-01\.\.2024-06-30 and announced 2023-10-01 .*value 14000 vs 13000",
    ),
    Case(
        "announced-2099",
        dated_inputs(f"taakstelling,2024-01-01,2024-06-30,13000,persons,vastgesteld,exact,{URL},,2099-01-01"),
        DVE,
        INP3.format("taakstelling") + r"announced 2099-01-01 is after the latest accepted date 2050-12-31",
    ),
    Case(
        "announced-in-the-future",
        dated_inputs(
            f"taakstelling,2024-01-01,2024-06-30,13000,persons,vastgesteld,exact,{URL},,{NEXT_YEAR}-01-01"
        ),
        DVE,
        INP3.format("taakstelling")
        + rf"announced {NEXT_YEAR}-01-01 is after today \(\d{{4}}-\d\d-\d\d\): an announcement cannot lie "
        r"in the future",
    ),
    Case(
        "announced-not-a-date",
        dated_inputs(f"taakstelling,2024-01-01,2024-06-30,13000,persons,vastgesteld,exact,{URL},,1-4-2024"),
        DVE,
        INP3.format("taakstelling")
        + r"unparseable announced date: '1-4-2024' is not a date in YYYY-MM-DD form",
    ),
    Case(
        "announced-on-observations",
        lambda tmp, _: History.from_csv(_write(tmp, "obs.csv", INPUT_HEADER, (GOOD_OBS + ",2024-04-01",))),
        DVE,
        r"obs\.csv, line 1: unknown column\(s\): 'announced'",
    ),
    # ------------------------------------------------------------------ encodings
    Case("utf-16", encoded("utf-16"), DVE, r"obs\.csv: file is UTF-16 encoded; save it as UTF-8"),
    Case("utf-16-be", encoded("utf-16-be"), DVE, r"obs\.csv: file is UTF-16 encoded \(no byte-order mark\)"),
    Case("utf-32", encoded("utf-32"), DVE, r"obs\.csv: file is UTF-32 encoded; save it as UTF-8"),
    # ------------------------------------------------------------------ the file itself
    Case(
        "oversize",
        oversized,
        DVE,
        r"huge\.csv: the file is 25\.0 MB, larger than the limit of 20\.0 MB for one history CSV file",
    ),
    Case("unreadable", unreadable, DVE, r"locked\.csv: cannot read the file: permission denied"),
    Case("directory", directory_as_inputs, DVE, r"inputs\.csv: is a directory, not a CSV file"),
    # ------------------------------------------------------------------ merging and cutting
    Case(
        "merge-conflict",
        merge_conflict,
        MergeConflictError,
        r"pass overwrite=True \(on the command line: --overwrite\):\n  first_applications "
        r"2022-07-01\.\.2022-09-30 \(cbs\): existing 11015 \[observations\.csv:\d+\] vs new 11020 "
        r"\[update\.csv:2\]",
    ),
    Case(
        "until-1900",
        until("1900-01-01"),
        ValueError,
        r"nothing was known on 1900-01-01: the first figure of this history is dated 1995-12-31",
    ),
    Case("until-abc", until("abc"), ValueError, r"'abc' is not a date \(use YYYY-MM-DD\)"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    with pytest.raises(case.error, match=case.message) as err:
        case.call(tmp_path, monkeypatch)
    if isinstance(err.value, DataValidationError):  # one problem per bad row: no cascade of follow-ups
        assert len(err.value.problems) == 1 or case.id.endswith("2099"), err.value.problems


# ---------------------------------------------------------------------- what must still be accepted


def test_a_utf8_byte_order_mark_just_works(tmp_path: Path):
    path = tmp_path / "bom.csv"
    path.write_bytes(f"{RECORD_HEADER}\n{GOOD_OBS}\n".encode("utf-8-sig"))
    assert len(History.from_csv(path)) == 1


def test_a_revision_announced_after_its_period_ended_is_accepted(tmp_path: Path):
    late = f"taakstelling,2024-01-01,2024-06-30,11000,persons,vastgesteld,exact,{URL},,2024-09-16"
    h = dated_inputs(late)(tmp_path, pytest.MonkeyPatch())
    assert h.input_series("taakstelling")[N.VALUE].tolist() == [11000]
    assert h.until("2024-09-15").input_series("taakstelling")[N.VALUE].tolist() == [12500]


def test_inputs_may_point_ahead_where_observations_may_not(tmp_path: Path):
    ahead = f"taakstelling,{NEXT_YEAR}-01-01,{NEXT_YEAR}-06-30,12500,persons,vastgesteld,exact,{URL},"
    h = inputs(ahead)(tmp_path, pytest.MonkeyPatch())
    assert (h.input_series("taakstelling")[N.PERIOD_END] == f"{NEXT_YEAR}-06-30").sum() == 1


def test_a_file_at_the_size_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = _write(tmp_path, "obs.csv", RECORD_HEADER, (GOOD_OBS,))
    monkeypatch.setattr(V, "MAX_FILE_BYTES", path.stat().st_size)
    assert len(History.from_csv(path)) == 1
    monkeypatch.setattr(V, "MAX_FILE_BYTES", path.stat().st_size - 1)
    with pytest.raises(DataValidationError, match=r"obs\.csv: the file is .* larger than the limit"):
        History.from_csv(path)


# ---------------------------------------------------------------------- the bounds themselves


def _bundled_rows() -> list[tuple[str, str, dict[str, N.SeriesSpec]]]:
    return [
        (N.OBSERVATIONS_FILE, "observations", N.OBSERVATION_SERIES),
        (N.INPUTS_FILE, "input_vintages", N.INPUT_SERIES),
    ]


def test_bundled_history_loads_and_every_value_is_within_a_tenth_of_its_bounds():
    h = load_history()
    assert len(h) == 778 and len(h.inputs) == 69 and len(h.events) == 11
    for file, table, registry in _bundled_rows():
        df = getattr(h, table)
        for row in df.itertuples():
            spec = registry[row.series]
            months = V.months_spanned(row.period_start.date(), row.period_end.date())
            low, high = spec.bounds(months)
            if spec.is_fraction:
                assert 0 <= row.value <= 1, (file, row.line)
                continue
            assert low / 10 <= row.value <= high / 10, (file, row.line, row.series, row.value, low, high)
        assert (df[N.PERIOD_START].dt.date >= N.EARLIEST_DATE).all()
        assert (df[N.PERIOD_END].dt.date <= N.LATEST_DATE).all()
    assert (h.observations[N.PERIOD_END].dt.date <= dt.date.today()).all()
    assert (bundled_dir() / N.OBSERVATIONS_FILE).stat().st_size < V.MAX_FILE_BYTES / 50


def test_every_series_states_its_bounds_and_why():
    for registry in (N.OBSERVATION_SERIES, N.INPUT_SERIES):
        for name, spec in registry.items():
            if spec.is_fraction:
                assert spec.bounds(12) == (0.0, 1.0), name
                continue
            assert spec.ceiling is not None and spec.ceiling > 0 and spec.bound_reason, name
            assert (spec.floor is not None) == spec.signed, name
    with pytest.raises(ValueError, match="give a positive ceiling"):
        N.SeriesSpec(N.FLOW, ("persons",), ("x",), "a new series without a bound")
    with pytest.raises(ValueError, match="signed series needs a negative floor"):
        N.SeriesSpec(N.STOCK, ("persons",), ("x",), "signed", signed=True, ceiling=10.0, bound_reason="r")


@pytest.mark.parametrize("series", ["first_applications", "coa_occupancy", "taakstelling_backlog"])
def test_the_bounds_can_fail(tmp_path: Path, series: str):
    spec = N.OBSERVATION_SERIES[series]
    definition = spec.definitions[0]
    start, end = ("2024-01-01", "2024-12-31") if spec.kind == N.FLOW else ("2024-06-30", "2024-06-30")
    low, high = spec.bounds(12 if spec.kind == N.FLOW else 1)

    def load(value: str) -> History:
        row = f"{series},{start},{end},{value},persons,{definition},exact,{URL},"
        return History.from_csv(_write(tmp_path, "obs.csv", RECORD_HEADER, (GOOD_OBS, row)))

    assert len(load(f"{high:.0f}")) == 2  # the ceiling itself is plausible
    for bad in (f"{high + 1:.0f}", "1e30"):
        with pytest.raises(DataValidationError) as err:
            load(bad)
        (problem,) = err.value.problems
        assert (problem.source, problem.line, problem.series) == ("obs.csv", 3, series)
        assert re.search(
            rf"value {bad} is above the plausible maximum for this series, {high:,.0f}", problem.message
        )
    if spec.signed:
        with pytest.raises(
            DataValidationError, match=rf"below the plausible minimum for this series, {low:,.0f}"
        ):
            load(f"{low - 1:.0f}")


def test_the_bundled_readme_states_every_bound():
    readme = (bundled_dir() / "README.md").read_text(encoding="utf-8")
    specs = [*N.OBSERVATION_SERIES.values(), *N.INPUT_SERIES.values()]
    for bound in {b for spec in specs for b in (spec.ceiling, spec.floor) if b is not None}:
        assert f"{bound:,.0f}" in readme, bound
    assert f"{N.EARLIEST_DATE} .. {N.LATEST_DATE}" in readme
    assert f"{V.MAX_FILE_BYTES / 1e6:.0f} MB" in readme
