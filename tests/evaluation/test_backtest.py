"""Rolling-origin backtests: targets, baselines, the like-with-like mapping, no leaks, dask = in memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import names as N
from forecast.evaluation import backtest as BT
from forecast.evaluation.baselines import (
    BASELINES,
    ETS,
    PERSISTENCE,
    SEASONAL_NAIVE,
    TARGET_COLUMNS,
    baseline_samples,
)
from forecast.model import build as B
from forecast.reports.backtest import figure_files

# Two early origins keep the fits small (T = 36 and 42 months); CI-sized sampling, exactly the smoke
# run of examples/backtest.py, so that the example reads these fits back from the fit cache.
ORIGINS = (pd.Timestamp("2017-01-01"), pd.Timestamp("2017-07-01"))
SMALL = {"draws": 100, "tune": 150, "chains": 2, "random_seed": 2026, "n_samples": 300}
LATE = pd.Timestamp("2022-07-01")


@pytest.fixture(scope="module")
def history():
    return forecast.load_history()


@pytest.fixture(scope="module")
def late_design(history):
    return BT.scoring_design(history, [LATE])


# --------------------------------------------------------------------------- origins, horizons, targets
def test_default_origins_are_every_half_year_from_2017_to_mid_2024():
    o = BT.default_origins()
    assert len(o) == 16 and o[0] == pd.Timestamp("2017-01-01") and o[-1] == pd.Timestamp("2024-07-01")
    assert [(x.month, x.day) for x in o] == [(1, 1), (7, 1)] * 8
    with pytest.raises(ValueError, match="first day of a month"):
        BT.target_rows(BT.scoring_design(forecast.load_history(), [LATE]), "2022-07-15")


def test_bad_sampler_settings_are_refused_before_any_fit():
    with pytest.raises(ValueError, match=r"target_accept must lie strictly between 0 and 1, got 1\.5"):
        BT.BacktestSettings(target_accept=1.5)
    with pytest.raises(ValueError, match="unknown sampler 'stan'"):
        BT.BacktestSettings(sampler="stan")


def test_buckets_beyond_two_years_are_yearly_and_end_at_the_longest_horizon():
    assert BT.buckets_to(24) == BT.BUCKETS
    assert BT.buckets_to(60)[3:] == ((25, 36), (37, 48), (49, 60))
    assert BT.buckets_to(40)[-1] == (37, 40)
    with pytest.raises(ValueError, match="max_horizon must be at least 24 months"):
        BT.buckets_to(12)
    with pytest.raises(ValueError, match=r"max_horizon 48 lies beyond the last horizon bucket \(13-24\)"):
        BT.BacktestSettings(max_horizon=48)
    assert BT.BacktestSettings(max_horizon=48, buckets=BT.buckets_to(48)).buckets[-1] == (37, 48)


def test_an_origin_seed_does_not_depend_on_the_other_origins():
    assert BT.origin_seed(3, "2017-01-01") == BT.origin_seed(3, pd.Timestamp("2017-01-01"))
    assert BT.origin_seed(3, "2017-01-01") != BT.origin_seed(3, "2017-07-01")
    assert BT.origin_seed(3, "2017-01-01") != BT.origin_seed(4, "2017-01-01")


def test_targets_lie_wholly_after_the_origin_within_the_horizons(late_design):
    t = BT.target_rows(late_design, LATE)
    assert set(t[N.SERIES]) == set(BT.SCORED_SERIES)
    assert t[BT.HORIZON].between(3, 24).all()
    assert (t[N.PERIOD_END] > LATE).all()
    flows = t[t[N.SERIES].isin(["first_applications", "nareis"])]
    assert (flows[N.PERIOD_START] >= LATE).all()
    assert set(t[BT.BUCKET]) <= {"3-6", "7-12", "13-24"}
    # a monthly flow of September for a July origin is 3 months ahead; a stock dated 31 Dec is 6 ahead
    sep = t[(t[N.SERIES] == "first_applications") & (t[N.PERIOD_END] == pd.Timestamp("2022-09-30"))]
    assert (sep[BT.HORIZON] == 3).all() and len(sep)
    dec = t[(t[N.SERIES] == "ind_backlog") & (t[N.PERIOD_END] == pd.Timestamp("2022-12-31"))]
    assert (dec[BT.HORIZON] == 6).all() and len(dec)
    # the figures are the full history's, unchanged
    rows = late_design.rows.reset_index(drop=True)
    np.testing.assert_array_equal(t[BT.OBSERVED].to_numpy(), rows.loc[t[BT.ROW], N.VALUE].to_numpy())


# --------------------------------------------------------------------------- baselines
def test_baselines_see_nothing_after_the_origin(history, late_design):
    targets = BT.target_rows(late_design, LATE)[list(TARGET_COLUMNS)]
    full = baseline_samples(history, targets, LATE, 50, np.random.default_rng(1))
    cut = baseline_samples(history.until(LATE), targets, LATE, 50, np.random.default_rng(1))
    for b in BASELINES:
        np.testing.assert_array_equal(full[b], cut[b])


def test_baselines_continue_the_last_figure_and_the_same_month_a_year_before(history, late_design):
    targets = BT.target_rows(late_design, LATE).reset_index(drop=True)
    s = baseline_samples(history, targets[list(TARGET_COLUMNS)], LATE, 400, np.random.default_rng(2))
    med = {b: np.exp(np.median(v, axis=1)) for b, v in s.items()}
    obs = history.observations
    # persistence of a stock: centred on the last known figure of the same definition
    i = targets.index[(targets[N.SERIES] == "ind_backlog") & (targets[N.DEFINITION] == "eurostat_excl_ua")][0]
    known = obs[(obs[N.SERIES] == "ind_backlog") & (obs[N.DEFINITION] == "eurostat_excl_ua")]
    last = known[known[N.PERIOD_END] <= LATE].sort_values(N.PERIOD_END)[N.VALUE].iloc[-1]
    assert med[PERSISTENCE][i] == pytest.approx(last, rel=0.05)
    # seasonal naive of a monthly flow: the same month a year earlier; none for stocks
    j = targets.index[
        (targets[N.SERIES] == "first_applications")
        & (targets[N.DEFINITION] == "ind")
        & (targets[N.PERIOD_END] == pd.Timestamp("2022-10-31"))
    ][0]
    a_year = obs[
        (obs[N.SERIES] == "first_applications")
        & (obs[N.DEFINITION] == "ind")
        & (obs[N.PERIOD_END] == pd.Timestamp("2021-10-31"))
    ][N.VALUE].iloc[0]
    assert med[SEASONAL_NAIVE][j] == pytest.approx(a_year, rel=0.1)
    stocks = ~targets[N.SERIES].isin(["first_applications", "nareis"]).to_numpy()
    assert np.isnan(s[SEASONAL_NAIVE][stocks]).all()
    # ETS forecasts every flow target here, with finite draws
    assert np.isfinite(s[ETS][~stocks]).all()


# --------------------------------------------------------------------------- scores of one origin (no MCMC)
def test_score_frame_scores_a_perfect_and_a_missing_forecast(late_design):
    t = BT.target_rows(late_design, LATE).head(3)
    y = np.log(t[BT.OBSERVED].to_numpy())
    draws = y[:, None] + np.linspace(-1e-6, 1e-6, 20)
    draws[2] = np.nan
    f = BT.score_frame(t, "x", draws, np.random.default_rng(0))
    assert f[BT.CRPS_LOG].iloc[:2].max() < 1e-5 and np.isnan(f[BT.CRPS_LOG].iloc[2])
    assert (f[BT.COVER[0.5]].iloc[:2] == 1.0).all()
    np.testing.assert_allclose(f[BT.quantile_column(0.5)].iloc[:2], t[BT.OBSERVED].iloc[:2], rtol=1e-5)


# --------------------------------------------------------------------------- MCMC: two origins
@pytest.fixture(scope="module")
def memory_run(history):
    """Two origins fitted in this process, one after the other, keeping the fitted models."""
    return BT.backtest(ORIGINS, history, keep_models=True, **SMALL)


@pytest.mark.slow
def test_no_observation_after_an_origin_entered_its_fit(memory_run):
    fits = memory_run.fits.set_index(BT.ORIGIN)
    for origin in ORIGINS:
        row = fits.loc[origin]
        for col in ("last_observation", "fit_rows_last_end", "last_input_start", "last_event_start"):
            assert row[col] <= origin, col
        assert row["fit_end"] == f"{(origin - pd.DateOffset(months=1)):%Y-%m}"
        model = memory_run.models[origin]
        saved = model.idata["fit_data/observations"].to_dataset()
        assert pd.Timestamp(saved[N.PERIOD_END].values.max()) <= origin
        assert model.history.as_of == origin
        # the fit table records which input vintages the fit used: those known on the origin
        assert row["input_vintage_hash"] == memory_run.models[origin].history.input_vintage_hash


@pytest.mark.slow
def test_the_scoring_design_reproduces_the_fit_in_sample_and_continues_it(memory_run, history):
    """Indices line up: on the fitted months the concatenated latents give the fit's own row predictions."""
    origin = ORIGINS[1]
    model = memory_run.models[origin]
    design = BT.scoring_design(history, ORIGINS, memory_run.settings)
    post = model.idata["posterior"].to_dataset()
    loc0, scale0, _, _ = B.row_predictions(post, model.latents(), model.design)
    horizon_end = (pd.Period(origin, "M") + 23).to_timestamp()
    lat = BT.continued_latents(model, horizon_end, 9, design.T, conditioned=False)
    T = model.design.T
    for name, past in model.latents().items():
        if name in lat:
            np.testing.assert_array_equal(lat[name][..., :T], past)
    fw = model.forward(horizon_end, 9, condition=False).simulate()
    np.testing.assert_array_equal(lat["instroom"][..., T : T + 24].reshape(-1, 24), fw["instroom"])
    assert (lat["instroom"][..., T + 24 :] == 0).all()
    with np.errstate(all="ignore"):
        loc1, scale1, _, _ = B.row_predictions(
            BT.scoring_posterior(model, design, np.random.default_rng(0)), lat, design
        )
    key = [N.SERIES, N.DEFINITION, N.PERIOD_START, N.PERIOD_END]
    a = model.design.rows.reset_index(drop=True).reset_index(names="i0")
    b = design.rows.reset_index(drop=True).reset_index(names="i1")
    m = a.merge(b, on=key, suffixes=("_a", "_b"))
    m = m[(m["residual_of_a"] == "") & (m["residual_of_b"] == "") & (m["value_a"] == m["value_b"])]
    assert len(m) > 0.8 * len(a)
    i0, i1 = m["i0"].to_numpy(), m["i1"].to_numpy()
    np.testing.assert_allclose(loc1[..., i1], loc0[..., i0], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(scale1[..., i1], scale0[..., i0], rtol=1e-12)


@pytest.mark.slow
def test_a_conditioned_forecast_takes_its_fitted_months_with_it(memory_run, history):
    """At 2017-01 the taakstelling of 2017-I (13,000) is set: the scored forecast is conditioned on it,
    and the fitted months of every draw are those of the posterior draw the forecast draw is."""
    origin = ORIGINS[0]
    model = memory_run.models[origin]
    design = BT.scoring_design(history, ORIGINS, memory_run.settings)
    horizon_end = (pd.Period(origin, "M") + 23).to_timestamp()
    fw = model.forward(horizon_end, 9)
    assert fw.conditioning is not None and list(fw.conditioning.rows["value"]) == [13000.0]
    plain = BT.continued_latents(model, horizon_end, 9, design.T, conditioned=False)
    lat = BT.continued_latents(model, horizon_end, 9, design.T)
    n = fw.n
    for name in plain:
        a = plain[name].reshape(n, -1)[fw.index]
        np.testing.assert_array_equal(lat[name].reshape(n, -1), a, err_msg=name)


@pytest.mark.slow
def test_scores_tables_and_figures(memory_run, tmp_path):
    f = memory_run.forecasts
    assert set(f[BT.METHOD]) == set(BT.METHODS)
    model = f[f[BT.METHOD] == BT.MODEL]
    assert len(model) == memory_run.fits["targets"].sum() > 10
    assert model[BT.CRPS_LOG].notna().all() and model[BT.PIT].between(0, 1).all()
    assert (model[BT.quantile_column(0.05)] <= model[BT.quantile_column(0.95)]).all()
    s = memory_run.scores()
    assert {"n", "cover_50", "cover_80", "cover_95", BT.CRPS_LOG, BT.PINBALL} <= set(s.columns)
    assert s[["cover_50", "cover_80", "cover_95"]].stack().between(0, 1).all()
    skill = memory_run.skill()
    assert {"n", "crps_model", "skill_persistence", "model_beats_all"} <= set(skill.columns)
    assert (skill["n"] > 0).all()
    targets = memory_run.issue_targets()
    assert len(targets) == len(BT.SCORED_SERIES) + len(BT.TARGET_CRPS_SERIES)
    paths = memory_run.save(tmp_path, figures=figure_files(memory_run))
    assert all(p.stat().st_size > 0 for p in paths.values()) and {"pit", "crps"} <= set(paths)
    assert "issue #6 targets" in paths["summary"].read_text()
    wide = memory_run.table()
    assert len(wide) == len(model) and "persistence_q50" in wide


@pytest.mark.slow
def test_two_origins_on_a_local_dask_cluster_equal_the_in_memory_run(memory_run, history, capsys):
    on_dask = BT.backtest(ORIGINS, history, parallel=True, progress=True, **SMALL)
    pd.testing.assert_frame_equal(on_dask.forecasts, memory_run.forecasts)
    cols = [c for c in memory_run.fits.columns if c not in BT.TIMING_COLUMNS]
    pd.testing.assert_frame_equal(on_dask.fits[cols], memory_run.fits[cols])
    assert not on_dask.models
    # progress: a line per finished origin, counted, with the time left until the last
    lines = [line for line in capsys.readouterr().out.splitlines() if "figures scored" in line]
    assert len(lines) == len(ORIGINS)
    assert lines[0].lstrip().startswith(f"[1/{len(ORIGINS)}] origin") and "min left" in lines[0]
    assert lines[-1].lstrip().startswith(f"[{len(ORIGINS)}/{len(ORIGINS)}]") and "left" not in lines[-1]


@pytest.mark.slow
def test_saved_fits_are_read_back_and_rescored_with_or_without_the_anchor(
    memory_run, history, tmp_path, monkeypatch
):
    origin = ORIGINS[1]
    memory_run.models[origin].save(BT.fit_file(tmp_path, origin))

    def no_fit(*args, **kwargs):
        raise AssertionError("a saved fit was fitted again")

    monkeypatch.setattr(BT.runner, "fit_at_origin", no_fit)
    design = BT.scoring_design(history, ORIGINS, memory_run.settings)
    read = BT.BacktestSettings(**{**SMALL, "fits": str(tmp_path)})
    again = BT.run_origin(origin, history, design, read).forecasts
    whole = memory_run.forecasts
    pd.testing.assert_frame_equal(again, whole[whole[BT.ORIGIN] == origin].reset_index(drop=True))
    # without the anchor only the model's forecasts of the counted stocks change
    chain = BT.run_origin(
        origin, history, design, BT.BacktestSettings(**{**SMALL, "fits": str(tmp_path), "anchored": False})
    )
    stock = (chain.forecasts[BT.METHOD] == BT.MODEL) & chain.forecasts[N.SERIES].isin(
        ["coa_occupancy", "coa_statushouders"]
    )
    assert stock.sum() > 5
    pd.testing.assert_frame_equal(chain.forecasts[~stock], again[~stock])
    assert (chain.forecasts.loc[stock, BT.CRPS_LOG] != again.loc[stock, BT.CRPS_LOG]).all()
    # a saved fit of other sampler settings is refused, naming the file
    other = BT.BacktestSettings(**{**SMALL, "fits": str(tmp_path), "draws": 120})
    with pytest.raises(
        ValueError, match=r"fit_2017-07\.nc: the saved fit was sampled with other settings: draws 100"
    ):
        BT.run_origin(origin, history, design, other)
    other = BT.BacktestSettings(**{**SMALL, "fits": str(tmp_path), "target_accept": 0.9})
    with pytest.raises(ValueError, match=r"other settings: target_accept 0\.8 \(the run's 0\.9\)"):
        BT.run_origin(origin, history, design, other)
    # and so is one saved under other priors than the run's (here: the run's are edited)
    import shutil

    from forecast.model.io import ConfigMismatchError
    from forecast.priors import default_priors_dir

    edited = tmp_path / "priors"
    shutil.copytree(default_priors_dir(), edited)
    chain_toml = edited / "chain.toml"
    text = chain_toml.read_text()
    assert "mu = 2.485\nsigma = 1.0" in text  # discrepancy_halflife
    chain_toml.write_text(text.replace("mu = 2.485\nsigma = 1.0", "mu = 1.8\nsigma = 1.0"))
    with pytest.raises(ConfigMismatchError, match=r"fit_2017-07\.nc"):
        BT.run_origin(
            origin,
            history,
            design,
            BT.BacktestSettings(**{**SMALL, "fits": str(tmp_path), "priors": str(edited)}),
        )
