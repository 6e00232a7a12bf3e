"""The forecast conditioned on the taakstelling already set (forecast/model/conditioning.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.data import load_history
from forecast.model import build as B
from forecast.model import conditioning as C
from forecast.model import mapping


def test_systematic_resampling_keeps_equal_weights_and_follows_unequal_ones():
    rng = np.random.default_rng(0)
    index, ess = C.systematic_resample(np.zeros(8), rng)
    np.testing.assert_array_equal(index, np.arange(8))
    assert ess == pytest.approx(8.0)
    # weights 1 : 3 over two halves: a quarter of the draws from the first half, exactly
    lw = np.log(np.r_[np.full(500, 1.0), np.full(500, 3.0)])
    index, ess = C.systematic_resample(lw, np.random.default_rng(1))
    assert (index < 500).sum() == 250
    assert ess == pytest.approx(800.0)  # 1 / (500 (1/2000)^2 + 500 (3/2000)^2)
    # a draw with weight 0 is never taken, even at the top of the cumulative sum
    lw = np.r_[np.zeros(9), -np.inf]
    for seed in range(20):
        index, _ = C.systematic_resample(lw, np.random.default_rng(seed))
        assert index.max() <= 8
    with pytest.raises(ValueError, match="every weight is 0"):
        C.systematic_resample(np.full(4, -np.inf), rng)


def test_only_taakstellingen_set_at_the_cut_and_wholly_in_the_forecast_count():
    history = load_history()
    # known on 2019-01-01: the first vintage of 2019-I (8,000; lowered to 6,000 on 2019-03-26)
    cut = history.until("2019-01-01")
    months = pd.date_range("2019-01-01", "2020-12-01", freq="MS")
    rows = C.set_estimates(cut, months)
    assert [f"{pd.Timestamp(t):%Y-%m}" for t in rows["period_start"]] == ["2019-01"]
    assert rows["value"].tolist() == [8000.0]
    # a half-year that starts before the forecast does not count (its first months were fitted)
    rows = C.set_estimates(history, pd.date_range("2019-03-01", "2020-12-01", freq="MS"))
    assert [f"{pd.Timestamp(t):%Y-%m}" for t in rows["period_start"]] == ["2019-07", "2020-01", "2020-07"]
    # nor one that ends after it
    rows = C.set_estimates(history, pd.date_range("2019-07-01", "2020-10-01", freq="MS"))
    assert [f"{pd.Timestamp(t):%Y-%m}" for t in rows["period_start"]] == ["2019-07", "2020-01"]


def test_the_weights_are_the_t_likelihood_of_each_half_year():
    months = pd.date_range("2025-01-01", "2025-12-01", freq="MS")
    rows = pd.DataFrame(
        {
            "series": ["taakstelling"] * 2,
            "definition": ["vastgesteld"] * 2,
            "period_start": ["2025-01-01", "2025-07-01"],
            "period_end": ["2025-06-30", "2025-12-31"],
            "value": [15000.0, 13000.0],
            "quality": ["exact", "approx"],
        }
    )
    rng = np.random.default_rng(2)
    flows = rng.uniform(1000, 3000, (5, 12))
    bias = rng.normal(0, 0.2, (5, 2))
    got = C.estimate_log_weights(C.period_totals(flows, months, rows), rows, bias)
    want = np.zeros(5)
    for j, (lo, hi, y, q) in enumerate([(0, 6, 15000.0, 0.015), (6, 12, 13000.0, 0.10)]):
        s = np.sqrt(0.3**2 + q**2)
        want += stats.t.logpdf((np.log(y) - np.log(flows[:, lo:hi].sum(1)) - bias[:, j]) / s, 5.0)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.slow
def test_the_weights_are_the_fits_own_likelihood_of_a_taakstelling(fitted):
    """On a half-year inside the fit the weights equal the observation model's t density of that
    taakstelling row (row_predictions: location with its bias, scale, degrees of freedom)."""
    rows = mapping.estimate_rows(fitted.history)
    rows = rows[rows["period_start"].astype(str).str.startswith("2023-07")].reset_index(drop=True)
    assert len(rows) == 1
    post = fitted.idata["posterior"].to_dataset()
    lat = fitted.latents()
    n = post.sizes["chain"] * post.sizes["draw"]
    months = fitted.fitted_months()
    flows = (np.asarray(lat["grants"]) + np.asarray(lat["nareis"])).reshape(n, -1)
    bias = C.estimate_bias(post, fitted.priors, rows, n, np.random.default_rng(0))
    got = C.estimate_log_weights(C.period_totals(flows, months, rows), rows, bias)
    loc, scale, nu, _ = B.row_predictions(post, lat, fitted.design)
    d = fitted.design.rows
    half = d["period_start"].astype(str).str.startswith("2023-07").to_numpy()
    i = np.flatnonzero((d["series"] == "taakstelling").to_numpy() & half)
    assert len(i) == 1
    y = np.log(d["value"].to_numpy()[i[0]])
    z = (y - loc[..., i[0]].reshape(-1)) / scale[..., i[0]].reshape(-1)
    np.testing.assert_allclose(got, stats.t.logpdf(z, nu), rtol=1e-9)


def test_a_bias_the_fit_did_not_see_is_drawn_from_its_prior():
    import xarray as xr

    from forecast.priors import load_priors

    rows = pd.DataFrame({"series": ["taakstelling"], "definition": ["vastgesteld"]})
    post = xr.Dataset()
    priors = load_priors()
    got = C.estimate_bias(post, priors, rows, 20000, np.random.default_rng(3))
    prior = priors["bias__taakstelling__vastgesteld"]
    assert got.shape == (20000, 1)
    assert got.mean() == pytest.approx(prior.params["mu"], abs=0.01)
    assert got.std() == pytest.approx(prior.params["sigma"], rel=0.03)
