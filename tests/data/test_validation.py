"""Every kind of bad input raises a clear error naming file, line and series."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast import names as N
from forecast.data import DataValidationError, History
from forecast.data.validation import period_frequency

HEADER = ",".join(N.RECORD_COLUMNS)
URL = "https://www.cbs.nl/nl-nl/cijfers/detail/80059ned"
GOOD = [
    f"first_applications,2025-01-01,2025-03-31,8110,persons,cbs,exact,{URL},ok",
    f"coa_statushouders,2025-04-01,2025-04-01,17000,persons,coa,exact,{URL},ok",
    f"ind_grant_rate,2025-01-01,2025-06-30,0.62,fraction,eurostat,exact,{URL},ok",
]


def write(tmp_path, lines, name="update.csv", header=HEADER):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def error_for(tmp_path, bad_line, **kw) -> DataValidationError:
    path = write(tmp_path, [*GOOD, bad_line], **kw)
    with pytest.raises(DataValidationError) as err:
        History.from_csv(path)
    return err.value


def test_valid_file_loads(tmp_path):
    h = History.from_csv(write(tmp_path, GOOD))
    assert len(h) == 3


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (f"first_applications,2025-13-01,2025-03-31,1,persons,cbs,exact,{URL},", "not a valid calendar date"),
        (f"first_applications,01-04-2025,2025-06-30,1,persons,cbs,exact,{URL},", "not a date in YYYY-MM-DD"),
        (
            f"first_applications,2025-04-01,2025-06-30,1.234,5,persons,cbs,exact,{URL},",
            "10 fields, expected 9",
        ),
        (f'first_applications,2025-04-01,2025-06-30,"1,234",persons,cbs,exact,{URL},', "decimal separator"),
        (f"first_applications,2025-04-01,2025-06-30,,persons,cbs,exact,{URL},", "value is empty"),
        (f"first_applications,2025-04-01,2025-06-30,8.115,persons,cbs,exact,{URL},", "thousands separator"),
        (f"first_applications,2025-04-01,2025-06-30,1.000,persons,cbs,exact,{URL},", "e.g. 1000 if"),
        (f"first_applications,2025-04-01,2025-06-30,12.5,persons,cbs,exact,{URL},", "must be a whole number"),
        (f"first_applications,2025-04-01,2025-06-30,1.000.000,persons,cbs,exact,{URL},", "separator"),
        (f"first_applications,2025-04-01,2025-06-30,abc,persons,cbs,exact,{URL},", "'abc' is not a number"),
        (f"first_applications,2025-06-30,2025-04-01,1,persons,cbs,exact,{URL},", "is before period_start"),
        (
            f"coa_statushouders,2025-01-01,2025-03-31,1,persons,coa,exact,{URL},",
            "a stock is a value at one date",
        ),
        (
            f"first_applications,2025-04-15,2025-05-14,1,persons,cbs,exact,{URL},",
            "does not start on the first",
        ),
        (f"first_applications,2025-04-01,2025-05-01,1,persons,cbs,exact,{URL},", "did you mean 2025-04-30"),
        (f"first_applications,2025-04-01,2025-04-20,1,persons,cbs,exact,{URL},", "shorter than a month"),
        (f"first_applications,2025-04-01,2025-04-01,1,persons,cbs,exact,{URL},", "is this a stock"),
        (f"first_applications,2025-04-01,2025-06-30,-5,persons,cbs,exact,{URL},", "negative count -5"),
        (f"ind_grant_rate,2025-07-01,2025-12-31,65,fraction,eurostat,exact,{URL},", "must lie in [0, 1]"),
        (f"instroom,2025-04-01,2025-06-30,1,persons,cbs,exact,{URL},", "unknown series 'instroom'"),
        (
            f"first_applications,2025-04-01,2025-06-30,1,persons,unhcr,exact,{URL},",
            "unknown definition 'unhcr'",
        ),
        (f"first_applications,2025-04-01,2025-06-30,1,places,cbs,exact,{URL},", "unit 'places'"),
        (f"first_applications,2025-04-01,2025-06-30,1,persons,cbs,guess,{URL},", "unknown quality 'guess'"),
        ("first_applications,2025-04-01,2025-06-30,1,persons,cbs,exact,,", "source_url is empty"),
        (f"first_applications,2025-01-01,2025-03-31,8111,persons,cbs,exact,{URL},", "conflicts with line 2"),
        (f"first_applications,2025-01-01,2025-03-31,8110,persons,cbs,exact,{URL},", "repeats line 2"),
    ],
)
def test_bad_row_names_file_line_and_series(tmp_path, bad, message):
    err = error_for(tmp_path, bad)
    assert len(err.problems) == 1, err.problems
    problem = err.problems[0]
    assert problem.source == "update.csv"
    assert problem.line == 5  # header + 3 good rows
    assert message in problem.message
    text = str(err)
    assert "update.csv, line 5" in text
    series = bad.split(",")[0]
    assert f"(series {series!r})" in text


def test_all_problems_are_listed_at_once(tmp_path):
    path = write(
        tmp_path,
        [
            f"first_applications,2025-04-01,2025-06-30,-1,persons,cbs,exact,{URL},",
            *GOOD,
            f"nareis,2025-04-01,2025-06-30,1,persons,nope,exact,{URL},",
        ],
    )
    with pytest.raises(DataValidationError) as err:
        History.from_csv(path)
    assert [p.line for p in err.value.problems] == [2, 6]


def test_signed_series_may_be_negative(tmp_path):
    line = f"taakstelling_backlog,2025-06-30,2025-06-30,-250,persons,taakstelling_monitor,exact,{URL},"
    h = History.from_csv(write(tmp_path, [*GOOD, line]))
    assert h.select("taakstelling_backlog").observations[N.VALUE].iloc[0] == -250


def test_month_to_date_counts_are_accepted(tmp_path):
    line = f"housed_statushouders,2025-07-01,2025-11-15,9000,persons,taakstelling_monitor,exact,{URL},"
    h = History.from_csv(write(tmp_path, [*GOOD, line]))
    assert h.select("housed_statushouders").observations[N.FREQUENCY].iloc[0] == N.OTHER


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "series,period_start,period_end,value,unit,definition,quality,source_url",
            "missing column(s): note",
        ),
        (HEADER + ",comment", "unknown column(s): 'comment'"),
    ],
)
def test_missing_or_unknown_columns(tmp_path, header, message):
    path = tmp_path / "cols.csv"
    path.write_text(header + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"cols\.csv, line 1") as err:
        History.from_csv(path)
    assert message in str(err.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataValidationError, match=r"empty\.csv: file is empty"):
        History.from_csv(path)


def test_header_only(tmp_path):
    with pytest.raises(DataValidationError, match="header but no rows"):
        History.from_csv(write(tmp_path, []))


def test_binary_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00binary zip content")
    with pytest.raises(DataValidationError, match="binary content"):
        History.from_csv(path)


def test_html_file(tmp_path):
    path = tmp_path / "page.csv"
    path.write_text("<!DOCTYPE html>\n<html><body>Not found</body></html>\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="looks like HTML"):
        History.from_csv(path)


@pytest.mark.parametrize(("delim", "shown"), [(";", "';'"), ("\t", "TAB")])
def test_wrong_delimiter(tmp_path, delim, shown):
    path = tmp_path / "semi.csv"
    lines = [HEADER, *GOOD]
    path.write_text("\n".join(line.replace(",", delim) for line in lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=f"separated by {shown}"):
        History.from_csv(path)


def test_non_utf8_text(tmp_path):
    path = tmp_path / "latin1.csv"
    text = "\n".join(
        [HEADER, *GOOD, f"nareis,2025-01-01,2025-03-31,5,persons,cbs,exact,{URL},gezinshereniging café"]
    )
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataValidationError, match=r"latin1.csv, line 5: not UTF-8"):
        History.from_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataValidationError, match="file not found"):
        History.from_csv(tmp_path / "nope.csv")


def test_invalid_frame_names_row_label():
    df = pd.DataFrame(
        [["nareis", "2025-01-01", "2025-03-31", -3, "persons", "cbs", "exact", URL, ""]],
        columns=list(N.RECORD_COLUMNS),
        index=[17],
    )
    with pytest.raises(DataValidationError, match=r"<frame>, line 17 \(series 'nareis'\): negative count"):
        History.from_frame(df)


def test_invalid_events_file(tmp_path):
    obs = write(tmp_path, GOOD)
    events = tmp_path / "events.csv"
    events.write_text(
        ",".join(N.EVENT_COLUMNS) + "\n" + "covid,2020-03,2019-06,first_applications,desc,https://x.org\n",
        encoding="utf-8",
    )
    with pytest.raises(
        DataValidationError, match=r"events.csv, line 2: event 'covid': end 2019-06-30 is before"
    ):
        History.from_csv(obs, events=events)


@pytest.mark.parametrize(
    ("start", "end", "freq"),
    [
        ("2024-01-01", "2024-01-31", "M"),
        ("2024-04-01", "2024-06-30", "Q"),
        ("2024-07-01", "2024-12-31", "H"),
        ("2024-01-01", "2024-12-31", "Y"),
        ("2024-02-01", "2024-04-30", "O"),
        ("2024-01-01", "2024-09-30", "O"),
        ("2024-05-05", "2024-05-05", "P"),
    ],
)
def test_period_frequency(start, end, freq):
    assert period_frequency(pd.Timestamp(start).date(), pd.Timestamp(end).date()) == freq
