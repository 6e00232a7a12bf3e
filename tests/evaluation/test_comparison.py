"""Comparing backtest runs: common figures only, the difference's sign, and the origin-block bootstrap."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import names as N
from forecast.evaluation.comparison import (
    CONFIRMATION_ORIGINS,
    DEVELOPMENT_ORIGINS,
    combine_runs,
    crps_differences,
    origin_set,
)

ROOT = Path(__file__).resolve().parents[2]
#: The stored backtest runs (benchmarks/results/backtest/README.md).
STORED = ROOT / "benchmarks" / "results" / "backtest"


def _compare_backtests():
    """The command-line script ``benchmarks/compare_backtests.py``, imported as a module."""
    spec = importlib.util.spec_from_file_location(
        "compare_backtests", ROOT / "benchmarks" / "compare_backtests.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(shift: float, seed: int, origins=DEVELOPMENT_ORIGINS[:6], noise: float = 0.05) -> pd.DataFrame:
    """A fake backtest table: the model's log CRPS is the baselines' + ``shift`` + noise, per figure."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in origins:
        for k in range(8):
            start = pd.Timestamp(o) + pd.DateOffset(months=3 + k)
            base = {
                "origin": o,
                N.SERIES: "coa_occupancy",
                N.DEFINITION: "rapportage",
                N.PERIOD_START: start,
                N.PERIOD_END: start,
                "horizon_bucket": "3-6" if k < 4 else "7-12",
                "pit": 0.5,
                "cover_80": 1.0,
            }
            level = 0.2 + 0.05 * k
            rows.append({**base, "method": "persistence", "crps_log": level})
            rows.append(
                {**base, "method": "model", "crps_log": level + shift + noise * rng.standard_normal()}
            )
    return pd.DataFrame(rows)


def test_origin_sets_do_not_overlap():
    assert not set(DEVELOPMENT_ORIGINS) & set(CONFIRMATION_ORIGINS)
    assert origin_set(pd.Timestamp("2017-01-01")) == "development"
    assert origin_set(pd.Timestamp("2024-07-01")) == "confirmation"
    assert origin_set(pd.Timestamp("2016-07-01")) == "other"
    # after the confirmation set: the fresh set, for the next one-time confirmation
    assert origin_set(pd.Timestamp("2025-01-01")) == "fresh"
    assert origin_set(pd.Timestamp("2026-04-01")) == "fresh"
    assert origin_set(pd.Timestamp("2024-10-01")) == "other"


def test_a_run_without_fresh_origins_says_so(capsys):
    """``--set fresh`` on the stored runs, whose origins end in 2024-07: a clear exit, no empty table."""
    module = _compare_backtests()
    run = STORED / "v2_gate_sampler_confirmation" / "forecasts.csv.gz"
    with pytest.raises(SystemExit, match="no figures of the fresh set"):
        module.main([f"v2={run}", "--set", "fresh", "--boot", "10"])


def test_a_clearly_better_model_is_better_and_the_interval_holds_the_difference():
    frame = combine_runs({"new": _run(-0.1, 1), "old": _run(0.05, 2)})
    d = crps_differences(frame, "new", ["old", "persistence"], n_boot=500)
    vs_persistence = d[(d.other == "persistence")]
    assert len(vs_persistence) == 2  # one row per bucket
    assert (vs_persistence.difference.between(-0.13, -0.07)).all()
    assert (vs_persistence.lo <= vs_persistence.difference).all()
    assert (vs_persistence.difference <= vs_persistence.hi).all()
    assert vs_persistence.better.all()
    vs_old = d[d.other == "old"]
    assert vs_old.better.all() and (vs_old.difference.between(-0.2, -0.1)).all()


def test_a_worse_model_is_not_called_better():
    frame = combine_runs({"new": _run(0.1, 3)})
    d = crps_differences(frame, "new", ["persistence"], n_boot=500)
    assert not d.better.any()
    assert (d.lo > 0).all()


def test_a_model_that_ties_on_every_origin_is_not_called_better():
    tie = _run(0.0, 3, noise=0.0)
    d = crps_differences(combine_runs({"new": tie}), "new", ["persistence"], n_boot=200)
    assert not d.better.any()
    np.testing.assert_allclose(d[["difference", "lo", "hi"]].to_numpy(), 0.0, atol=1e-12)


def test_only_the_figures_every_method_forecast_are_compared():
    new, old = _run(0.0, 4), _run(0.0, 5)
    old = old.drop(old[(old.method == "model")].index[:3])  # the old model missed three figures
    d = crps_differences(combine_runs({"new": new, "old": old}), "new", ["old", "persistence"], n_boot=50)
    assert d.groupby("horizon_bucket", observed=True).n.first().sum() == 6 * 8 - 3


def test_the_sets_are_scored_apart():
    both = _run(-0.1, 6, origins=DEVELOPMENT_ORIGINS[:3] + CONFIRMATION_ORIGINS[:2])
    d = crps_differences(combine_runs({"new": both}), "new", ["persistence"], n_boot=50)
    assert set(d["set"]) == {"development", "confirmation"}
    assert d[d["set"] == "confirmation"].origins.max() == 2


def test_the_bootstrap_is_reproducible():
    frame = combine_runs({"new": _run(-0.02, 7)})
    a = crps_differences(frame, "new", ["persistence"], n_boot=200, seed=9)
    b = crps_differences(frame, "new", ["persistence"], n_boot=200, seed=9)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_a_wider_level_gives_a_wider_interval(level):
    frame = combine_runs({"new": _run(0.0, 8, noise=0.2)})
    narrow = crps_differences(frame, "new", ["persistence"], n_boot=400, level=0.5, seed=1)
    this = crps_differences(frame, "new", ["persistence"], n_boot=400, level=level, seed=1)
    assert ((this.hi - this.lo) >= (narrow.hi - narrow.lo) - 1e-12).all()


def test_the_stored_runs_compare_from_the_command_line(capsys):
    """benchmarks/compare_backtests.py on the stored v1 and v2 runs prints the table of docs/validation.md."""
    module = _compare_backtests()
    module.main(
        [
            f"v2={STORED / 'v2_confirmation' / 'forecasts.csv.gz'}",
            f"v1={STORED / 'v1_all' / 'forecasts.csv.gz'}",
            "--set",
            "confirmation",
            "--wide",
            "--boot",
            "2000",
        ]
    )
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| ind_backlog | 7-12 |"))
    # v2's 7-12-month IND backlog CRPS on the confirmation origins, as docs/validation.md reports it
    assert row.split(" | ")[3] == "0.061"
    assert "**-0.087**" in row  # better than persistence, the whole interval below 0


def test_buckets_beyond_two_years_are_compared_in_order(capsys):
    """A run scored to 48 months (``benchmarks/backtest.py --max-horizon 48``) is compared in its own
    buckets, shortest first: the stored run gives docs/validation.md's four-years-ahead table."""
    module = _compare_backtests()
    run = STORED / "v2_gate_sampler_development_48_months"
    module.main([f"v2={run / 'forecasts.csv.gz'}", "--set", "development", "--wide", "--boot", "2000"])
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| coa_occupancy |")]
    assert [r.split(" | ")[1] for r in rows] == ["3-6", "7-12", "13-24", "25-36", "37-48"]
    last = rows[-1].split(" | ")
    assert last[3:5] == ["0.259", "0.380"]  # the model against persistence at 37-48 months
    assert last[7].startswith("**-0.121**")  # the whole interval below 0
    assert last[-1] == "1.00 |"  # every figure inside the 80 % band


def test_holding_the_catch_up_at_zero_moves_only_the_stocks_and_lowers_the_housing(capsys):
    """The two stored runs of ``benchmarks/forecast_sensitivity.py`` give docs/validation.md's "the
    inflow, not the housing": holding ``backlog_share`` at 0 in the forecast leaves every series it
    cannot reach exactly as it was (the fitted months are untouched), scores the statushouders far
    better, and the housing those same forecasts predict worse; holding the grant rate's level at its
    2022 outcome instead improves both beyond a year (the inflow is the common cause)."""
    runs = {
        name: pd.read_csv(STORED / f"sensitivity_{name}_48_months" / "forecasts.csv.gz")
        for name in ("as_fitted", "no_catch_up")
    }
    model = {name: f[f["method"] == "model"].reset_index(drop=True) for name, f in runs.items()}
    unreached = model["as_fitted"]["series"].isin(["first_applications", "nareis", "ind_backlog"])
    assert unreached.sum() > 500
    pd.testing.assert_frame_equal(model["as_fitted"][unreached], model["no_catch_up"][unreached])
    assert "backlog_share = 0" in (STORED / "sensitivity_no_catch_up_48_months" / "held.txt").read_text()
    assert "no parameter held" in (STORED / "sensitivity_as_fitted_48_months" / "held.txt").read_text()

    housed = {
        name: f[f["series"] == "housed_statushouders"].groupby("horizon_bucket")["crps_log"].mean()
        for name, f in model.items()
    }
    assert len(housed["as_fitted"]) == 5
    assert (housed["no_catch_up"] > housed["as_fitted"]).all()  # less housing: worse, every bucket
    pit = model["as_fitted"].loc[model["as_fitted"]["series"] == "housed_statushouders", "pit"].mean()
    assert pit > 0.6  # the housing as fitted is already under-forecast
    # the grant rate's level held at the 2022 outcome (hindsight): both misses shrink beyond a year
    grant = pd.read_csv(STORED / "sensitivity_grant_level_48_months" / "forecasts.csv.gz")
    grant = grant[grant["method"] == "model"]
    for series in ("housed_statushouders", "coa_statushouders"):
        held = grant[grant["series"] == series].groupby("horizon_bucket")["crps_log"].mean()
        fitted = model["as_fitted"][model["as_fitted"]["series"] == series]
        fitted = fitted.groupby("horizon_bucket")["crps_log"].mean()
        assert (held[["13-24", "25-36", "37-48"]] < fitted[["13-24", "25-36", "37-48"]]).all(), series

    module = _compare_backtests()
    module.main(
        [
            f"no_catch_up={STORED / 'sensitivity_no_catch_up_48_months' / 'forecasts.csv.gz'}",
            f"as_fitted={STORED / 'sensitivity_as_fitted_48_months' / 'forecasts.csv.gz'}",
            "--set",
            "development",
            "--wide",
            "--boot",
            "2000",
        ]
    )
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| coa_statushouders | 13-24 |")]
    row = rows[0].split(" | ")
    assert row[3:6] == ["0.348", "0.434", "0.423"]  # no catch-up, as fitted, persistence
    assert row[8].startswith("**-0.086**")  # no catch-up minus as fitted: the whole interval below 0
