"""Bad input on the command line, one row per case: refused with a clear message before any work.

Every row is an id, the argv, a regex the stderr must match and the exit code. The cases come from
a user test of the ``forecast`` command: ``fit --draws -5`` compiled for 48 s and then showed a
nutpie traceback; ``--chunk-draws 0`` failed in a reshape and left an empty folder;
``run --capacity -5`` was refused only after the full fit; ``--capacity 75.000`` was read as 75
places; a capacity CSV with a duplicated month, a day date, no content or binary content failed
without naming the file and line; ``--as-of 1900-01-01`` gave a "NaTType" error; ``evaluate`` with
an unknown measure left empty folders; Ctrl-C printed a traceback; and every ``KeyError`` or
``ValueError``, a programming error included, was shown as "bad input" with exit code 2.

For every row the test also checks that nothing was fitted (:meth:`ChainModel.fit`, the sampler and
the backtest fail the test if called) and that nothing new appeared under the test's folder (no
``--out`` folder, no empty folder): each case is refused before any work starts, in well under a
second of its own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from forecast import cli
from forecast.cli import values
from forecast.data import History


class Case(NamedTuple):
    """One bad command line and how it must be refused."""

    id: str
    argv: list[str]  # "{out}" is the --out folder, "{tmp}" the test's folder
    stderr: str  # a regex searched in stderr
    code: int  # exit code; 1: the exception propagates (Python prints the traceback, exit 1)
    files: tuple[tuple[str, bytes], ...] = ()  # (name, content) written to the test's folder first
    raises: BaseException | None = None  # raised by History.summary (to simulate Ctrl-C, a bug)


OUT = ["--out", "{out}"]
CAP = "{tmp}/cap.csv"
FIT = ["fit", *OUT]
RUN = ["run", *OUT]
SCEN = ["scenarios", *OUT]
BACKTEST = ["backtest", *OUT]
EVALUATE = ["evaluate", "--fase", "implementatie", *OUT]
INTERRUPTED = re.escape(cli.INTERRUPTED)
THOUSANDS = r"looks like a number with a thousands separator.*write 75000, digits only"
NOT_PLACES = r"is not a positive whole number of places, digits only \(e\.g\. 75000\)"
NOT_UTF8 = r"not a UTF-8 text file \(a binary file\?\)"


def capacity(text: str | bytes, *argv: str) -> dict:
    """The fields of a row that passes ``text`` as the capacity CSV of ``scenarios`` (or ``argv``)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    return {"argv": [*(argv or SCEN), "--capacity", CAP], "files": (("cap.csv", data),)}


CASES = [
    # --------------------------------------------------------------- sampler settings
    Case("draws-negative", [*FIT, "--draws", "-5"], r"argument --draws: must be at least 1, got -5\n", 2),
    Case("draws-zero", [*FIT, "--draws", "0"], r"argument --draws: must be at least 1, got 0\n", 2),
    Case("draws-separator", [*FIT, "--draws", "1.000"], r"argument --draws: must be a whole number", 2),
    Case("tune-negative", [*FIT, "--tune", "-1"], r"argument --tune: must be at least 0, got -1\n", 2),
    Case("chains-zero", [*FIT, "--chains", "0"], r"argument --chains: must be at least 1, got 0\n", 2),
    Case("seed-negative", [*FIT, "--seed", "-3"], r"argument --seed: must be at least 0, got -3\n", 2),
    Case(
        "target-accept-one",
        [*FIT, "--target-accept", "1"],
        r"argument --target-accept: must lie strictly between 0 and 1, got 1\.0\n",
        2,
    ),
    Case(
        "target-accept-text",
        [*FIT, "--target-accept", "high"],
        r"argument --target-accept: must be a number between 0 and 1, got 'high'",
        2,
    ),
    Case("target-accept-nan", [*FIT, "--target-accept", "nan"], r"strictly between 0 and 1, got nan", 2),
    Case("seed-too-large", [*FIT, "--seed", str(2**32)], r"argument --seed: must be at most 4294967295", 2),
    Case(
        "chunk-draws-zero",
        [*SCEN, "--chunk-draws", "0"],
        r"argument --chunk-draws: must be at least 1, got 0\n",
        2,
    ),
    # --------------------------------------------------------------- dates
    Case("as-of-not-a-date", [*FIT, "--as-of", "abc"], r"argument --as-of: must be a date YYYY-MM-DD", 2),
    Case("as-of-no-such-day", [*FIT, "--as-of", "2019-02-30"], r"argument --as-of: '2019-02-30' is not", 2),
    Case("as-of-1900-fit", [*FIT, "--as-of", "1900-01-01"], r"forecast: error: --as-of 1900-01-01: ", 2),
    Case("as-of-1900-data", ["data", "--as-of", "1900-01-01"], r"forecast: error: --as-of 1900-01-01: ", 2),
    Case(
        "as-of-window-too-short",
        [*FIT, "--as-of", "2015-06-01"],
        r"forecast: error: .*at least 24 months \(the history as known on --as-of 2015-06-01\)",
        2,
    ),
    Case(
        "horizon-end-abc",
        [*SCEN, "--horizon-end", "abc"],
        r"argument --horizon-end: must be a date YYYY-MM-DD or YYYY-MM, got 'abc'",
        2,
    ),
    Case(
        "horizon-end-before-the-forecast",
        [*RUN, "--horizon-end", "2020-01"],
        r"forecast: error: --horizon-end 2020-01-01 lies before the first forecast month",
        2,
    ),
    Case(
        "origin-not-a-month-start",
        [*BACKTEST, "--origins", "2017-01-15"],
        r"argument --origins: must be the first day of a month",
        2,
    ),
    Case("first-not-a-date", [*BACKTEST, "--first", "abc"], r"argument --first: must be a date", 2),
    Case(
        "max-horizon-short",
        [*BACKTEST, "--max-horizon", "12"],
        r"argument --max-horizon: must be at least 24, got 12\n",
        2,
    ),
    Case(
        "last-not-a-month-start",
        [*BACKTEST, "--last", "2024-07-31"],
        r"argument --last: must be the first day of a month",
        2,
    ),
    Case(
        "first-after-last",
        [*BACKTEST, "--first", "2024-01-01", "--last", "2020-01"],
        r"forecast: error: --first 2024-01-01 lies after --last 2020-01-01: no origins",
        2,
    ),
    Case(
        "origin-twice",
        [*BACKTEST, "--origins", "2020-01-01", "2020-01"],
        r"forecast: error: --origins: an origin is given twice",
        2,
    ),
    Case(
        "origins-with-first",
        [*BACKTEST, "--origins", "2020-01-01", "--first", "2019-01-01"],
        r"forecast: error: --origins lists the origins: leave out --first, --last and --step",
        2,
    ),
    Case(
        "origin-window-too-short",
        [*BACKTEST, "--origins", "2015-01-01", "2020-01-01"],
        r"forecast: error: .*at least 24 months \(the fit at the earliest origin, 2015-01-01: pick a later",
        2,
    ),
    Case("step-zero", [*BACKTEST, "--step", "0"], r"argument --step: must be at least 1, got 0\n", 2),
    Case(
        "fits-a-file",
        [*BACKTEST, "--fits", "data.csv"],
        r"argument --fits: data.csv: not a folder \(saved fits go into a folder\)",
        2,
        files=(("data.csv", b"x"),),
    ),
    Case(
        "workers-zero", [*BACKTEST, "--workers", "0"], r"argument --workers: must be at least 1, got 0\n", 2
    ),
    # --------------------------------------------------------------- other options
    Case(
        "series-unknown", ["data", "--series", "instroom"], r"argument --series: unknown series 'instroom'", 2
    ),
    Case("replace-without-history", ["data", "--replace"], r"forecast: error: --replace needs --history", 2),
    Case(
        "priors-not-a-folder",
        [*FIT, "--priors", "{tmp}/nope"],
        r"forecast: error: .*nope: not a folder of prior files",
        2,
    ),
    Case(
        "out-under-a-file",
        ["fit", "--out", "{tmp}/file/out"],
        r"forecast: error: cannot write to --out .*file/out: .*file is a file, not a folder",
        2,
        files=(("file", b"not a folder"),),
    ),
    Case("scenarios-without-a-fit", SCEN, r"forecast: error: no fitted model at .*fit\.nc", 2),
    Case(
        "scenarios-fit-not-a-fit",
        [*SCEN, "--fit", "{tmp}/fit.nc"],
        r"forecast: error: .*fit\.nc: cannot be read as a saved fit",
        2,
        files=(("fit.nc", b"not a netCDF file\n"),),
    ),
    Case(
        "measures-not-toml",
        [*SCEN, "--measures", "{tmp}/m.toml"],
        r"forecast: error: m\.toml: not valid TOML",
        2,
        files=(("m.toml", b"this is = = not toml\n"),),
    ),
    Case(
        "evaluate-unknown-measure",
        [*EVALUATE, "--in-force", "no_such_measure"],
        r"forecast: error: --in-force: unknown measure\(s\) no_such_measure; the measures are ",
        2,
    ),
    Case(
        "evaluate-ended-not-a-month",
        [*EVALUATE, "--in-force", "tweestatusstelsel", "--ended", "tweestatusstelsel=soon"],
        r"argument --ended: 'tweestatusstelsel=soon': the month must be a date",
        2,
    ),
    Case(
        "evaluate-ended-not-in-force",
        [*EVALUATE, "--in-force", "tweestatusstelsel", "--ended", "verbod_op_voorrang=2026-01"],
        r"forecast: error: --ended verbod_op_voorrang=2026-01: 'verbod_op_voorrang' is not in --in-force",
        2,
    ),
    # --------------------------------------------------------------- --capacity PLACES
    Case(
        "capacity-dutch-thousands",
        [*SCEN, "--capacity", "75.000"],
        r"argument --capacity: '75\.000' " + THOUSANDS,
        2,
    ),
    Case("capacity-english-thousands", [*SCEN, "--capacity", "75,000"], r"'75,000' " + THOUSANDS, 2),
    Case("capacity-millions", [*SCEN, "--capacity", "1.234.567"], r"write 1234567, digits only", 2),
    Case("capacity-negative-run", [*RUN, "--capacity", "-5"], r"argument --capacity: '-5' " + NOT_PLACES, 2),
    Case("capacity-zero", [*SCEN, "--capacity", "0"], r"'0' " + NOT_PLACES, 2),
    Case("capacity-fraction", [*SCEN, "--capacity", "75000.5"], r"'75000\.5' " + NOT_PLACES, 2),
    Case("capacity-nan", [*SCEN, "--capacity", "nan"], r"'nan' " + NOT_PLACES, 2),
    Case("capacity-infinite", [*SCEN, "--capacity", "inf"], r"'inf' " + NOT_PLACES, 2),
    Case(
        "capacity-no-such-file",
        [*SCEN, "--capacity", "lots"],
        r"'lots' is neither a number of places nor a CSV",
        2,
    ),
    # --------------------------------------------------------------- --capacity FILE
    Case(
        "capacity-csv-duplicate-month",
        stderr=r"cap\.csv, line 3: month 2025-06 is given twice \(first on line 2\)",
        code=2,
        **capacity("month,places\n2025-06,75000\n2025-06,76000\n"),
    ),
    Case(
        "capacity-csv-empty",
        stderr=r"cap\.csv, line 1: the file is empty; expected the header month,places",
        code=2,
        **capacity(""),
    ),
    Case(
        "capacity-csv-header-only",
        stderr=r"cap\.csv, line 2: no months after the header",
        code=2,
        **capacity("month,places\n"),
    ),
    Case(
        "capacity-csv-binary",
        stderr=r"cap\.csv, line 1: " + NOT_UTF8,
        code=2,
        **capacity(b"\x89PNG\r\n\x1a\n\0\0"),
    ),
    Case(
        "capacity-csv-not-utf8",
        stderr=r"cap\.csv, line 3: " + NOT_UTF8,
        code=2,
        **capacity("month,places\n2025-06,75000\n2025-07,75000 # één\n".encode("latin-1")),
    ),
    Case(
        "capacity-csv-too-large",
        stderr=r"cap\.csv: 1,[0-9,]+ bytes, more than the 1,000,000 a capacity file may have",
        code=2,
        **capacity("month,places\n" + "2025-06,75000\n" * 80_000),
    ),
    Case(
        "capacity-csv-day-date",
        stderr=r"cap\.csv, line 2: month '2025-06-15' is not a month: write YYYY-MM",
        code=2,
        **capacity("month,places\n2025-06-15,75000\n"),
    ),
    Case(
        "capacity-csv-no-month",
        stderr=r"cap\.csv, line 2: month 'juni' is not a month",
        code=2,
        **capacity("month,places\njuni,75000\n"),
    ),
    Case(
        "capacity-csv-dutch-thousands",
        stderr=r"cap\.csv, line 2: places '75\.000' " + THOUSANDS,
        code=2,
        **capacity("month,places\n2025-06,75.000\n"),
    ),
    Case(
        "capacity-csv-quoted-english-thousands",
        stderr=r"cap\.csv, line 2: places '75,000' " + THOUSANDS,
        code=2,
        **capacity('month,places\n2025-06,"75,000"\n'),
    ),
    Case(
        "capacity-csv-unquoted-english-thousands",
        stderr=r"cap\.csv, line 2: 3 field\(s\) where the header has 2 \(a thousands separator",
        code=2,
        **capacity("month,places\n2025-06,75,000\n"),
    ),
    Case(
        "capacity-csv-not-a-number",
        stderr=r"cap\.csv, line 3: places 'many' " + NOT_PLACES,
        code=2,
        **capacity("month,places\n2025-01,70000\n2025-02,many\n"),
    ),
    Case(
        "capacity-csv-zero",
        stderr=r"cap\.csv, line 2: places '0' " + NOT_PLACES,
        code=2,
        **capacity("month,places\n2025-06,0\n"),
    ),
    Case(
        "capacity-csv-wrong-header",
        stderr=r"cap\.csv, line 1: the header must name the columns month, places \(missing month, places;",
        code=2,
        **capacity("maand,plaatsen\n2025-06,75000\n"),
    ),
    Case(
        "capacity-csv-misses-forecast-months-run",
        stderr=r"forecast: error: --capacity .*cap\.csv: the capacity path has no value for",
        code=2,
        **capacity("month,places\n2025-06,75000\n", *RUN),
    ),
    # --------------------------------------------------------------- interrupts and bugs
    Case("ctrl-c", ["data"], r"\A" + INTERRUPTED + r"\n\Z", 130, raises=KeyboardInterrupt()),
    Case("bug-key-error", ["data"], r"\A\Z", 1, raises=KeyError("period_end")),
    Case("bug-value-error", ["data"], r"\A\Z", 1, raises=ValueError("operands could not be broadcast")),
]


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def _must_not_run(*args: object, **kwargs: object) -> None:
    pytest.fail("bad input must be refused before any fit, sampler or backtest starts")


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything is fitted or backtested."""
    from forecast.evaluation import backtest
    from forecast.model import build, chain_model

    monkeypatch.setattr(chain_model.ChainModel, "fit", _must_not_run)
    monkeypatch.setattr(build, "sample", _must_not_run)
    monkeypatch.setattr(backtest, "backtest", _must_not_run)


def run(argv: list[str]) -> tuple[int, BaseException | None]:
    """``cli.main(argv)``: the exit code, and the exception that propagated (exit code 1) if any."""
    try:
        return cli.main(argv), None
    except SystemExit as exc:  # argparse
        return int(exc.code), None
    except (Exception, KeyboardInterrupt) as exc:  # a Ctrl-C that main() let through fails the row only
        return 1, exc


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_before_any_work(case, tmp_path, monkeypatch, capsys, no_work):
    for name, data in case.files:
        (tmp_path / name).write_bytes(data)
    if case.raises is not None:

        def summary(self: History) -> str:
            raise case.raises

        monkeypatch.setattr(History, "summary", summary)
    monkeypatch.chdir(tmp_path)  # a default ./out would land here too
    before = _tree(tmp_path)
    argv = [a.format(out=tmp_path / "out", tmp=tmp_path) for a in case.argv]

    code, propagated = run(argv)

    err = capsys.readouterr().err
    assert code == case.code, err
    assert re.search(case.stderr, err), err
    assert "Traceback" not in err
    if case.code == 1:  # a programming error: the very exception, not a "bad input" message
        assert propagated is case.raises
    else:
        assert propagated is None
    assert _tree(tmp_path) == before, "a refused command left something behind"


def test_every_row_has_its_own_id():
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)


def test_a_good_capacity_file_is_read_as_places_per_month(tmp_path):
    path = tmp_path / "cap.csv"
    path.write_text("\ufeffMonth , Places\n2025-07,76000\n\n2025-06-01,75000\n", encoding="utf-8")
    series = values.capacity(str(path))
    assert series.to_dict() == {pd.Timestamp("2025-06-01"): 75000.0, pd.Timestamp("2025-07-01"): 76000.0}
    assert values.capacity("75000") == 75000.0
