"""Fixtures of the model tests."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.model import build as B


def _prior_draws(u, n, seed=0):
    """Draws of the raw model variables from (rough copies of) the prior shapes, numpy only."""
    rng = np.random.default_rng(seed)
    T = u.T
    W = B.knot_matrices(u)
    level = 7.6 + np.zeros((n, T))
    for t in range(1, T):
        level[:, t] = 7.6 + 0.9 * (level[:, t - 1] - 7.6) + rng.normal(0, 0.1, n)
    q = {
        "instroom_level": level,
        "instroom_mean": np.full(n, 7.6),
        "season": rng.normal(0, 0.1, (n, 12)),
        "log_grants_pre": rng.normal(6.9, 0.5, n),
        "nareis_app_ratio": np.exp(rng.normal(-0.36, 0.3, n)),
        "nareis_app_lag_mean": np.exp(rng.normal(1.1, 0.3, n)),
        "nareis_travel_lag_mean": np.exp(rng.normal(1.39, 0.3, n)),
        "nareis_backlog0": np.exp(rng.normal(8.5, 0.5, n)),
        "nareis_hazard_logit": rng.normal(-1.4, 0.5, n),
        "nareis_capacity_share": np.exp(rng.normal(-0.7, 0.3, n)),
        "nareis_grant_share": rng.beta(6, 2, n),
        "eff_nareis_restriction": rng.normal(-0.3, 0.3, n),
        "eff_covid_nareis": rng.normal(-0.7, 0.5, n),
        "backlog0": np.exp(rng.normal(9.2, 0.5, n)),
        "capacity_unfunded": rng.normal(0.0, 0.2, n),  # log ratio to the decisions before the switch
        "ind_processing_logit": rng.normal(-1.2, 0.5, n),
        "eff_moratorium_cap": rng.normal(-0.4, 0.3, n),
        "eff_moratorium_grant": rng.normal(-0.5, 0.5, n),
        "statushouders0": np.exp(rng.normal(9.0, 0.5, n)),
        "housing_hazard_logit0": rng.normal(-2.2, 0.7, n),
        "nareis_housing_share": rng.beta(5, 3, n),
        "other_statushouders": np.exp(rng.normal(-1.9, 0.5, n)),
        "supply_offset": rng.normal(0.0, 0.2, n),
        "supply_speed": rng.beta(2, 6, n),
        "realisation_log": rng.normal(-0.1, 0.2, n),
        "backlog_share": rng.beta(2, 2, n),
        "match_logit": rng.normal(-1.0, 0.5, n),
        "self_housing": rng.beta(1.5, 60, n),
        "eff_asieldeal": rng.normal(0.3, 0.2, n),
        "rejected0": np.exp(rng.normal(8.5, 0.7, n)),
        "departure_rate": rng.beta(2, 23, n),
        "taak_backlog0": rng.normal(2000, 3000, n),
        "taak_log_ratio_missing": rng.normal(0.04, 0.31, (n, len(u.rule_halves))),
        B.CAPACITY_DEV: rng.normal(0, 0.15, (n, W["capacity_dev"].shape[1])),
    }
    for path, (x0, sig, _z) in B.KNOTTED.items():
        start = rng.normal(-1.5, 0.5, n)
        q[f"{path}_knots"] = start[:, None] + np.cumsum(rng.normal(0, 0.15, (n, W[path].shape[1])), axis=-1)
        q[x0] = q[f"{path}_knots"][:, 0]
        q[sig] = np.full(n, 0.15)
    return q, W


@pytest.fixture(scope="session")
def prior_draws():
    """``prior_draws(u, n, seed)``: draws of the raw model variables, shaped like the priors (numpy only)."""
    return _prior_draws
