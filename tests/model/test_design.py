"""Every bundled observation is either used or unused with a reason; priors match the model."""

import numpy as np
import pytest

import forecast
from forecast.model import build as B
from forecast.model import design as D
from forecast.priors import load_priors


@pytest.fixture(scope="module")
def design():
    return D.build_design(forecast.load_history(), "2014-01", "2024-12")


def test_every_row_used_or_unused(design):
    obs = forecast.load_history().observations
    key = ["source_file", "line"]
    used = set(map(tuple, design.rows[key].to_numpy()))
    unused = set(map(tuple, design.unused[key].to_numpy()))
    allrows = set(map(tuple, obs[key].to_numpy()))
    assert not used & unused
    assert used | unused == allrows
    assert design.unused.reason.str.len().min() > 0


def test_rows_describe_mapping(design):
    for c in ("series", "definition", "quality", "value", "latent", "transform", "obs_type", "noise_sd"):
        assert c in design.rows
    assert np.isfinite(design.y_transformed).all()


def test_no_invented_taakstelling():
    h = forecast.load_history()
    u = D.build_inputs(h, "2014-01", "2024-12")
    tk = h.inputs[(h.inputs.series == "taakstelling") & (h.inputs.definition == "vastgesteld")]
    known = set(tk.value / 6.0)
    vals = u.taakstelling[u.taakstelling > 0]
    assert set(np.round(vals, 6)) <= set(np.round(list(known), 6))
    # a half-year of the supply regime without a set taakstelling follows the rule, with no value filled in
    assert np.all(u.taakstelling[u.taak_rule_mask == 1] == 0)
    assert np.all(u.taak_rule_mask[: u.housing_switch] == 0)


def test_priors_cover_model():
    load_priors(required=B.MODEL_PARAMETERS)
