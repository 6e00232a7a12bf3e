"""Every bundled observation is either used or unused with a reason; priors match the model."""

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import names as N
from forecast.model import build as B
from forecast.model import design as D
from forecast.model import mapping as M
from forecast.model.dynamics import FLOWS
from forecast.model.inputs import taakstelling_per_half
from forecast.priors import load_priors


@pytest.fixture(scope="module")
def design():
    return D.build_design(forecast.load_history(), "2014-01", "2024-12")


def test_every_row_used_or_unused(design):
    h = forecast.load_history()
    key = ["source_file", "line"]
    used = set(map(tuple, design.rows[key].to_numpy()))
    unused = set(map(tuple, design.unused[key].to_numpy()))
    evidence = M.estimate_rows(h)
    allrows = set()
    for frame in (h.observations, evidence):
        allrows |= set(map(tuple, frame[key].to_numpy()))
    assert set(evidence.series) == {s for s, _ in M.ESTIMATE_INPUTS}
    assert not used & unused
    assert used | unused == allrows
    assert design.unused.reason.str.len().min() > 0


def test_the_taakstelling_is_evidence_on_the_grants_and_nareis_of_its_half_year(design):
    h = forecast.load_history()
    tk = h.inputs[(h.inputs.series == "taakstelling") & (h.inputs.definition == "vastgesteld")]
    rows = design.rows[design.rows.series == "taakstelling"]
    # every half-year set inside the window is used once, with the value the supply regime reads
    last = design.start + pd.DateOffset(months=design.T) - pd.DateOffset(days=1)
    inside = tk[pd.to_datetime(tk.period_end) <= last]
    assert sorted(rows.period_start) == sorted(inside.period_start)
    per_half = taakstelling_per_half(h)
    assert np.allclose(rows.value.to_numpy(), per_half[pd.to_datetime(rows.period_start)].to_numpy())
    # ... on the estimate type: log scale, the fixed discrepancy, a bias of its own with a prior
    assert set(rows.obs_type) == {"estimate"} and set(rows.lik) == {N.Likelihood.LOG}
    assert not rows.reference.any()
    assert "bias__taakstelling__vastgesteld" in B.MODEL_PARAMETERS
    # the aggregate is grants + nareis arrivals summed over the six months of the half-year
    T = design.T
    for _, r in rows.iterrows():
        a = r.num_agg
        idx = design.z_index[design.agg_start[a] : design.agg_end[a] + 1]
        w = design.z_weight[design.agg_start[a] : design.agg_end[a] + 1]
        flows = {FLOWS[k // T] for k in idx}
        assert flows == {"grants", "nareis"}
        months = sorted({k % T for k in idx})
        ps = pd.Timestamp(r.period_start)
        first = (ps.year - design.start.year) * 12 + ps.month - design.start.month
        assert months == list(range(first, first + 6)) and np.allclose(w, 1.0)
    # half-years after the window are listed with the reason
    late = design.unused[design.unused.series == "taakstelling"]
    assert len(late) == len(tk) - len(inside)
    assert late.reason.str.contains("outside the modelled window").all()


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
