"""Fixtures of the model tests."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.model import build as B


def _prior_draws(u, n, seed=0):
    """Draws of the raw model variables from (rough copies of) the prior shapes, numpy only."""
    rng = np.random.default_rng(seed)
    T = len(u["month_of_year"])
    W = B.knot_matrices(u)
    q = {
        "instroom_log_level": 7.6 + np.cumsum(rng.normal(0, 0.08, (n, T)), axis=-1),
        "season": rng.normal(0, 0.1, (n, 12)),
        "nareis_ratio": np.exp(rng.normal(-0.5, 0.5, n)),
        "nareis_lag_mean": np.exp(rng.normal(2.48, 0.4, n)),
        "log_grants_pre": rng.normal(6.9, 0.5, n),
        "eff_nareis_restriction": rng.normal(-0.3, 0.3, n),
        "eff_covid_nareis": rng.normal(-0.7, 0.5, n),
        "backlog0": np.exp(rng.normal(9.2, 0.5, n)),
        "eff_moratorium_cap": rng.normal(-0.4, 0.3, n),
        "eff_moratorium_grant": rng.normal(-0.5, 0.5, n),
        "statushouders0": np.exp(rng.normal(9.0, 0.5, n)),
        "housing_hazard_logit0": rng.normal(-2.2, 0.7, n),
        "nareis_housing_share": rng.beta(5, 3, n),
        "eff_asieldeal": rng.normal(0.3, 0.2, n),
        "rejected0": np.exp(rng.normal(8.5, 0.7, n)),
        "departure_rate": rng.beta(2, 23, n),
        "taak_backlog0": rng.normal(2000, 3000, n),
        "housing_capacity_missing": np.exp(rng.normal(9.2, 1.0, (n, len(u["missing_halves"])))),
    }
    for path, (x0, sig, z) in B._KNOTTED.items():
        q[x0] = (
            rng.normal(-1.5 if "logit" in path else 7.6, 0.5, n)
            if path != "log_realisation"
            else rng.normal(0, 0.3, n)
        )
        q[sig] = np.abs(rng.normal(0, 0.15, n))
        q[z] = rng.normal(0, 1, (n, W[path].shape[1] - 1))
    return q, W


@pytest.fixture(scope="session")
def prior_draws():
    """``prior_draws(u, n, seed)``: draws of the raw model variables, shaped like the priors (numpy only)."""
    return _prior_draws
