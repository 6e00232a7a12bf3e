"""Fixed-seed regression: CI's seeded fit and scenario run must reproduce the reference numbers.

The reference is ``tests/regression/reference.json``; regenerate it deliberately, only when the maths
changed, with ``.venv/bin/python -m forecast.evaluation.regression --write tests/regression/reference.json``.
The tolerance (in posterior sds) and why: forecast/evaluation/regression.py and docs/validation.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecast.evaluation.regression import FIT, SCENARIO_SEED, TOLERANCE, compare, key_summaries
from forecast.scenarios.engine import ScenarioEngine

REFERENCE = Path(__file__).with_name("reference.json")


@pytest.mark.slow
def test_key_numbers_match_the_reference(fitted):
    attrs, post = fitted.idata.attrs, fitted.idata["posterior"]
    used = {"draws": int(attrs["draws"]), "tune": int(attrs["tune"]), "chains": post.sizes["chain"]}
    used["random_seed"] = int(attrs["random_seed"])
    expected = {k: getattr(FIT, k) for k in ("draws", "tune", "chains", "random_seed")}
    assert used == expected, "the session fit must use the regression settings"
    reference = json.loads(REFERENCE.read_text())
    current = key_summaries(fitted, ScenarioEngine(fitted, random_seed=SCENARIO_SEED))
    problems = compare(current, reference, TOLERANCE)
    assert problems == [], "\n".join(problems)


def test_compare_flags_a_moved_number_and_passes_noise():
    ref = {"a.mean": {"value": 10.0, "sd": 2.0}, "b.mean": {"value": 1.0, "sd": 0.1}}
    assert compare({"a.mean": {"value": 10.5, "sd": 2.0}, "b.mean": {"value": 1.0, "sd": 0.1}}, ref) == []
    moved = compare({"a.mean": {"value": 11.0, "sd": 2.0}, "b.mean": {"value": 1.0, "sd": 0.1}}, ref)
    assert len(moved) == 1 and moved[0].startswith("a.mean")
    assert "not computed any more" in compare({"a.mean": ref["a.mean"]}, ref)[0]
