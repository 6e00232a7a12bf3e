"""The stock anchor (forecast/model/anchor.py): its filter against the joint Gaussian, its moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import names as N
from forecast.model.anchor import (
    ANCHORED_LATENTS,
    HALFLIFE_GRID,
    StockAnchor,
    kalman_gap,
    months_between,
    stock_anchor,
)
from forecast.priors.distributions import Prior


def _joint(e, v, t, sigma, rho):
    """The same model written as one multivariate normal: cov = sigma^2 rho^|t_i - t_j| + diag(v)."""
    lag = np.abs(t[:, None] - t[None, :])
    C = sigma**2 * rho**lag
    S = C + np.diag(v)
    sign, logdet = np.linalg.slogdet(S)
    assert sign > 0
    alpha = np.linalg.solve(S, e)
    ll = -0.5 * (len(e) * np.log(2 * np.pi) + logdet + e @ alpha)
    k = C[-1]  # cov(gap at the last count, residuals)
    mean = k @ alpha
    var = sigma**2 - k @ np.linalg.solve(S, k)
    return ll, mean, var


def test_the_filter_is_the_joint_gaussian_of_the_residuals():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 60, 9))
    t[4] = t[3]  # two counts of one date (two definitions)
    v = rng.uniform(0.0001, 0.01, 9)
    e = rng.normal(0, 0.2, (3, 9))
    sigma = np.array([0.1, 0.2, 0.3])
    rho = 0.5 ** (1.0 / np.array([0.5, 6.0, 40.0]))
    ll, m, P = kalman_gap(e, v, np.diff(t), sigma, rho)
    for i in range(3):
        for g in range(3):
            want = _joint(e[i], v, t, sigma[i], rho[g])
            np.testing.assert_allclose((ll[i, g], m[i, g], P[i, g]), want, rtol=1e-9, atol=1e-12)


def _anchor(n=1, mean=0.2, var=0.01, sd=0.1, halflife=6.0, last="2024-04-12", series=("coa_occupancy",)):
    k = len(series)
    return StockAnchor(
        series=tuple(series),
        last_count=np.array([last] * k, dtype="datetime64[D]"),
        mean=np.full((n, k), mean),
        var=np.full((n, k), var),
        sd=np.full((n, k), sd),
        halflife=np.full((n, k), halflife),
    )


def test_the_gap_starts_at_the_last_counts_and_fades_to_the_chain():
    a = _anchor(var=0.004)
    mean, var = a.moments(0, np.array([0.0, 6.0, 12.0, 600.0]))
    np.testing.assert_allclose(mean[0], [0.2, 0.1, 0.05, 0.0], atol=1e-12)
    np.testing.assert_allclose(
        var[0, :3], [0.004, 0.25 * 0.004 + 0.75 * 0.01, 0.0625 * 0.004 + 0.9375 * 0.01]
    )
    np.testing.assert_allclose(var[0, -1], 0.1**2, rtol=1e-9)


def test_simulated_paths_have_the_moments_of_every_month():
    a = _anchor(n=40_000, mean=0.3, var=0.004, sd=0.15, halflife=4.0, last="2024-10-20")
    months = pd.date_range("2025-01-01", periods=24, freq="MS")
    gaps = np.log(a.paths(months, np.random.default_rng(1))[N.OPVANGBEHOEFTE])
    ends = (months + pd.offsets.MonthEnd(0)).to_numpy(dtype="datetime64[D]")
    mean, var = a.moments(0, months_between(a.last_count[0], ends))
    np.testing.assert_allclose(gaps.mean(axis=0), mean[0], atol=0.005)
    np.testing.assert_allclose(gaps.var(axis=0), var[0], rtol=0.05)
    # an AR(1): the correlation of two months is rho^distance
    rho = 0.5 ** (1 / 4.0)
    c = np.corrcoef(gaps[:, 10], gaps[:, 16])[0, 1]
    want = rho ** months_between(ends[10], ends[16]) * np.sqrt(var[0, 10] / var[0, 16])
    assert abs(c - want) < 0.02


def test_each_anchored_series_carries_its_own_latent():
    a = _anchor(series=("coa_occupancy", "coa_statushouders", "ind_backlog"))
    out = a.paths(pd.date_range("2025-01-01", periods=3, freq="MS"), np.random.default_rng(0))
    assert set(out) == {ANCHORED_LATENTS[s] for s in a.series}


class _Design:
    """The two things StockAnchor.rows reads of a design."""

    def __init__(self, rows):
        self.rows = rows


def test_rows_after_the_last_count_of_an_anchored_series_get_the_gap(monkeypatch):
    from forecast.model import build as B

    rows = pd.DataFrame(
        {
            N.SERIES: ["coa_occupancy", "coa_occupancy", "first_applications", "coa_occupancy"],
            N.PERIOD_END: pd.to_datetime(["2024-01-01", "2024-06-12", "2024-06-30", "2024-04-12"]),
            "noise_sd": [0.1, 0.1, 0.1, 0.1],
        }
    )
    monkeypatch.setattr(
        B, "observation_data", lambda d: {B.OBS_NOISE_VAR: d.rows["noise_sd"].to_numpy() ** 2}
    )
    a = _anchor(n=2, mean=0.2, var=0.0, sd=0.1, halflife=6.0)
    loc = np.zeros((2, 4))
    scale = np.full((2, 4), 0.5)
    new_loc, new_scale = a.rows(loc, scale, _Design(rows))
    dt = months_between(np.datetime64("2024-04-12"), np.datetime64("2024-06-12"))
    r = 0.5 ** (dt / 6.0)
    np.testing.assert_allclose(new_loc[:, 1], 0.2 * r)
    np.testing.assert_allclose(new_scale[:, 1], np.sqrt((1 - r * r) * 0.01 + 0.01))
    for j in (0, 2, 3):  # before or at the last count, or not an anchored series: unchanged
        np.testing.assert_array_equal(new_loc[:, j], 0.0)
        np.testing.assert_array_equal(new_scale[:, j], 0.5)


def test_the_half_life_prior_must_be_lognormal():
    prior = Prior("discrepancy_halflife", "HalfNormal", {"sigma": 1.0}, "months", "", "")
    with pytest.raises(ValueError, match="must be LogNormal"):
        stock_anchor(None, {}, None, prior, np.random.default_rng(0))


def test_the_grid_spans_a_quarter_month_to_forty_years():
    assert HALFLIFE_GRID[0] == 0.25 and HALFLIFE_GRID[-1] == 480.0
    assert np.all(np.diff(np.log(HALFLIFE_GRID)) > 0)
