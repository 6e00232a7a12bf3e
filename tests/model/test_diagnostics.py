"""The diagnostics gate passes good chains and fails bad ones loudly."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

from forecast.model.diagnostics import FitDiagnostics, FitDiagnosticsWarning, check_fit


def fake_fit(rng, *, shift=0.0, divergences=0, draws=1000):
    a = rng.normal(size=(4, draws))
    a[0] += shift  # one chain stuck elsewhere -> R-hat fails
    div = np.zeros((4, draws), dtype=bool)
    div.flat[:divergences] = True
    energy = rng.normal(size=(4, draws))
    return az.from_dict(
        {
            "posterior": {"a": a, "b": rng.normal(size=(4, draws, 3))},
            "sample_stats": {"energy": energy, "diverging": div},
        }
    )


def test_good_chains_pass():
    diag = check_fit(fake_fit(np.random.default_rng(1)))
    assert diag.passed, diag
    assert diag.max_rhat < 1.01
    assert diag.min_ess_bulk > 400
    assert diag.divergences == 0
    assert "PASSED" in str(diag)
    assert FitDiagnostics.from_json(diag.to_json()) == diag


def test_stuck_chain_and_divergences_fail_loudly():
    with pytest.warns(FitDiagnosticsWarning, match="FIT FAILED THE DIAGNOSTICS GATE"):
        diag = check_fit(fake_fit(np.random.default_rng(2), shift=3.0, divergences=5))
    assert not diag.passed
    assert diag.worst_rhat == "a"
    assert any("R-hat" in f for f in diag.failures)
    assert any("5 divergent" in f for f in diag.failures)
    assert "DO NOT USE THESE NUMBERS" in str(diag)


def test_too_few_draws_fail_on_ess():
    diag = check_fit(fake_fit(np.random.default_rng(3), draws=60), warn=False)
    assert not diag.passed
    assert any("ESS" in f for f in diag.failures)


def test_a_parameter_that_never_moved_fails_the_gate():
    tree = fake_fit(np.random.default_rng(4))
    post = tree["posterior"].to_dataset()
    post["c"] = post["a"] * 0 + 1.5  # the same value in every draw of every chain: R-hat is NaN
    stuck = az.from_dict(
        {
            "posterior": {k: v.values for k, v in post.data_vars.items()},
            "sample_stats": {k: v.values for k, v in tree["sample_stats"].to_dataset().data_vars.items()},
        }
    )
    diag = check_fit(stuck, warn=False)
    assert not diag.passed
    assert "c: not computable" in diag.worst_rhat
    assert any("R-hat nan" in f for f in diag.failures)
