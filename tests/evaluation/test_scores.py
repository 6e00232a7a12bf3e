"""The sample-based scores of the backtests against closed forms and their defining properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from forecast.evaluation.scores import crps_ensemble, interval_coverage, pinball_loss, pit_values


def _crps_normal(mu: float, sigma: float, y: np.ndarray) -> np.ndarray:
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi))


def test_crps_matches_the_pairwise_definition_and_the_normal_closed_form():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 40))
    y = np.array([-0.5, 0.0, 2.5])
    brute = np.abs(x - y[:, None]).mean(-1) - np.abs(x[:, :, None] - x[:, None, :]).sum((-1, -2)) / (
        2 * 40 * 39
    )
    np.testing.assert_allclose(crps_ensemble(x, y), brute, rtol=1e-12)
    big = rng.normal(2.0, 0.5, size=(3, 40_000))
    np.testing.assert_allclose(crps_ensemble(big, y), _crps_normal(2.0, 0.5, y), rtol=0.02)


def test_crps_is_zero_for_a_perfect_point_forecast_and_nan_without_a_forecast():
    assert crps_ensemble(np.full((1, 5), 3.0), np.array([3.0]))[0] == pytest.approx(0.0)
    x = np.array([[1.0, np.nan], [1.0, 2.0]])
    out = crps_ensemble(x, np.array([1.0, np.nan]))
    assert np.isnan(out).all()
    with pytest.raises(ValueError, match="two members"):
        crps_ensemble(np.ones((1, 1)), np.ones(1))


def test_crps_prefers_the_true_distribution():
    rng = np.random.default_rng(2)
    y = rng.normal(size=2000)
    true = rng.normal(size=(2000, 200))
    narrow = 0.3 * rng.normal(size=(2000, 200))
    shifted = 1.0 + rng.normal(size=(2000, 200))
    assert crps_ensemble(true, y).mean() < crps_ensemble(narrow, y).mean()
    assert crps_ensemble(true, y).mean() < crps_ensemble(shifted, y).mean()


def test_pinball_loss_weights_under_forecasts_by_tau_and_is_minimised_by_the_true_quantile():
    x = np.tile(np.arange(1.0, 101.0), (2, 1))  # q90 = 90.1
    q = np.quantile(x[0], 0.9)
    np.testing.assert_allclose(pinball_loss(x, np.array([q + 10, q - 10]), 0.9), [9.0, 1.0])
    rng = np.random.default_rng(3)
    y = rng.normal(size=2000)
    ensemble = stats.norm.ppf(np.linspace(0.0005, 0.9995, 1000))  # the true distribution, N(0, 1)
    mean_loss = [float(pinball_loss(np.tile(ensemble + s, (2000, 1)), y, 0.9).mean()) for s in (-0.5, 0, 0.5)]
    assert mean_loss[1] < mean_loss[0] and mean_loss[1] < mean_loss[2]
    with pytest.raises(ValueError, match="tau"):
        pinball_loss(x, np.ones(2), 1.0)


def test_pit_is_uniform_for_a_calibrated_forecast_and_u_shaped_for_a_too_narrow_one():
    rng = np.random.default_rng(4)
    y = rng.normal(size=3000)
    calibrated = pit_values(rng.normal(size=(3000, 99)), y, rng)
    assert stats.kstest(calibrated, "uniform").pvalue > 0.01
    narrow = pit_values(0.3 * rng.normal(size=(3000, 99)), y, rng)
    tails = np.mean((narrow < 0.1) | (narrow > 0.9))
    assert tails > 0.5  # 20 % under calibration
    assert ((calibrated >= 0) & (calibrated <= 1)).all()


def test_interval_coverage_is_close_to_its_level_when_calibrated():
    rng = np.random.default_rng(5)
    y = rng.normal(size=4000)
    x = rng.normal(size=(4000, 400))
    for level in (0.5, 0.8, 0.95):
        assert interval_coverage(x, y, level).mean() == pytest.approx(level, abs=0.03)
    assert np.isnan(interval_coverage(np.full((1, 3), np.nan), np.zeros(1), 0.8)).all()
