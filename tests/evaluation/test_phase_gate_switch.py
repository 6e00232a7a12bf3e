"""The phase gate and a structural switch (abolishing the taakstelling): not estimated, said so (no fit)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecast import names as N
from forecast.evaluation import PhaseGate
from forecast.evaluation.phase_gate import ESTIMATED, NO_DATA, SWITCH_NOT_FITTED, verdict_code
from forecast.model import ModelEffect
from forecast.model.build import check_effects
from forecast.reports.phase_gate import verdict_sentence

ABOLISH = "afschaffing_huisvestingstaakstelling"
MORE = "meer_huisvestingsoplossingen"


def statuses(gate, months):
    return {p.name: (p.status, p.months_with_data) for p in gate.plan(months)}


def test_a_switch_is_planned_as_not_fitted_and_never_becomes_a_model_effect():
    gate = PhaseGate([ABOLISH, MORE], N.PHASE_NORMALISATIE)
    assert gate.evaluated == (ABOLISH, MORE)  # in file order; the switch acts in the fase
    # data that reach into the abolition: the switch acts in 18 fitted months but is not estimated
    months = pd.date_range("2014-01-01", "2028-12-01", freq="MS")
    s = statuses(gate, months)
    assert s[f"{ABOLISH}.{N.TARGET_HOUSING_OBLIGATION}"] == (SWITCH_NOT_FITTED, 18)
    assert s[f"{MORE}.{N.TARGET_HOUSING_RATE}"][0] == ESTIMATED
    effects = gate.model_effects(months)
    assert [e.target for e in effects] == [N.TARGET_HOUSING_RATE]
    # data that end before it: still a switch (its kind decides), with no month of data
    months = pd.date_range("2014-01-01", "2024-12-01", freq="MS")
    s = statuses(gate, months)
    assert s[f"{ABOLISH}.{N.TARGET_HOUSING_OBLIGATION}"] == (SWITCH_NOT_FITTED, 0)
    assert s[f"{MORE}.{N.TARGET_HOUSING_RATE}"] == (NO_DATA, 0)
    assert gate.model_effects(months) == []  # nothing to refit: the plain model


def test_a_measure_with_only_a_switch_is_evaluated_like_one_off_the_chain():
    gate = PhaseGate([ABOLISH], N.PHASE_NORMALISATIE)
    months = pd.date_range("2014-01-01", "2028-12-01", freq="MS")
    assert gate.evaluated == (ABOLISH,) and gate.model_effects(months) == []


def test_the_verdict_says_why_the_switch_is_not_estimated():
    code = verdict_code(SWITCH_NOT_FITTED, 0.0, 0.5, 1.0, (0.2, 0.9), 0.1, 0.8)
    assert code == SWITCH_NOT_FITTED

    def sentences(months):
        row = {
            "verdict_code": code,
            "status": SWITCH_NOT_FITTED,
            "months_with_data": months,
            "contraction": 0.0,
            "p_at_least_planned": 0.5,
            "p_planned_direction": 1.0,
        }
        return tuple(verdict_sentence(row, lang, 0.1, fit_failed=False) for lang in ("en", "nl"))

    en, nl = sentences(0)
    assert "structural switch" in en and "posterior = prior" in en and "acts in" not in en
    assert "structurele omslag" in nl and "posterior = prior" in nl
    en, nl = sentences(18)
    assert "acts in 18 fitted month(s) but the refit does not apply it" in en
    assert "werkt in 18 gefitte maand(en)" in nl


def test_the_model_refuses_a_switch_as_an_effect_to_estimate():
    e = ModelEffect(
        "effect__afschaffing__housing_obligation",
        N.TARGET_HOUSING_OBLIGATION,
        None,
        np.zeros(5),
    )
    with pytest.raises(ValueError, match="target 'housing_obligation' does not act on the chain"):
        check_effects([e], SimpleNamespace(T=5))
