"""The fitted chain simulated forward (forecast/model/forward.py), against an independent loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import names as N
from forecast.model.forward import FORECAST_VARIABLES, forecast_months, taakstelling_rule

pytestmark = pytest.mark.slow  # they need the seeded fit


def softmin(a, c, k=4.0):
    """min(a, c), smoothed: a c / (a^k + c^k)^(1/k), written out directly."""
    return a * c / (a**k + c**k) ** (1.0 / k)


def reference_forecast(fw, i, mult=None):
    """One draw of the forward chain with plain Python loops, from the Forward's inputs alone.

    Independent of dynamics.simulate_chain: every month in order, no closed forms, no vectorisation."""
    p = fw.params(slice(i, i + 1))
    p = {k: np.asarray(v)[0] for k, v in p.items()}
    u = fw.u
    H = len(fw.months)
    mult = {t: np.ones(H) for t in N.MULTIPLIER_TARGETS} | (mult or {})
    L = u["nareis_L"]
    lag = np.arange(L) + 0.5
    shape, mean = p["lag_shape"], p["lag_mean"]
    logw = (shape - 1.0) * np.log(lag) - lag * shape / mean
    w = np.exp(logw - logw.max())
    w /= w.sum()
    grants_all = list(p["grants_hist"])
    B, S, R = p["backlog0"], p["statushouders0"], p["rejected0"]
    out = {k: np.zeros(H) for k in ("instroom", "decisions", "grants", "nareis", "housed", "taakstelling")}
    out |= {k: np.zeros(H) for k in ("ind_backlog", "statushouders", "rejected", N.OPVANGBEHOEFTE)}
    h_inflow = np.zeros(H)
    for t in range(H):
        moy = u["month_of_year"][t]
        instroom = np.exp(p["log_level"][t] + p["season"][moy]) * mult[N.TARGET_INSTROOM][t]
        repeat = instroom / (1.0 + np.exp(-p["logit_repeat"][t]))
        cap = (
            np.exp(p["log_capacity"][t] + p["eff_moratorium_cap"] * u["ev_moratorium"][t])
            * mult[N.TARGET_DECISION_RATE][t]
        )
        avail = B + instroom + repeat
        dec = softmin(avail, cap)
        B = avail - dec
        g = 1.0 / (1.0 + np.exp(-(p["logit_grant"][t] + p["eff_moratorium_grant"] * u["ev_moratorium"][t])))
        grants = g * dec
        grants_all.append(grants)
        lagged = sum(w[j] * grants_all[-1 - j] for j in range(L))
        nareis = p["nareis_ratio"] * lagged * mult[N.TARGET_NAREIS][t]
        h_inflow[t] = grants + p["nareis_housing_share"] * nareis
        if u["taak_rule_mask"][t]:
            prev = u["taak_rule"][t] @ h_inflow  # only earlier months have weight
            taak = p["taak_ratio"][t] * (prev + p["taak_rule_past"][t])
        else:
            taak = u["taakstelling"][t]
        hcap = np.exp(p["log_realisation"][t]) * taak * mult[N.TARGET_HOUSING_RATE][t]
        avail_h = S + h_inflow[t]
        housed = softmin(avail_h, hcap)
        S = avail_h - housed
        d = min(p["departure_rate"] * mult[N.TARGET_DEPARTURE_RATE][t], 0.999)
        avail_r = R + (1.0 - g) * dec
        R = (1.0 - d) * avail_r
        for k, v in (
            ("instroom", instroom),
            ("decisions", dec),
            ("grants", grants),
            ("nareis", nareis),
            ("housed", housed),
            ("taakstelling", taak),
            ("ind_backlog", B),
            ("statushouders", S),
            ("rejected", R),
            (N.OPVANGBEHOEFTE, B + S + R),
        ):
            out[k][t] = v
    return out


@pytest.fixture(scope="module")
def fw(fitted):
    return fitted.forward(random_seed=5)


def test_forecast_months_and_the_origin(fitted, fw):
    assert fw.months[0] == pd.Timestamp("2025-01-01")
    assert fw.months[-1] == pd.Timestamp("2030-12-01")
    post = fitted.idata["posterior"]
    assert fw.n == post.sizes["chain"] * post.sizes["draw"]
    lat = fitted.latents()
    np.testing.assert_allclose(fw.params()["backlog0"], lat["ind_backlog"][..., -1].reshape(-1))
    with pytest.raises(ValueError, match="before the first forecast month"):
        forecast_months("2024-12", "2024-06-30")


@pytest.mark.parametrize("draw", [0, 777, 1999])
def test_vectorised_forward_equals_an_independent_loop(fw, draw):
    H = len(fw.months)
    rng = np.random.default_rng(draw)
    mult = {t: np.exp(rng.normal(0, 0.2, H)) for t in N.MULTIPLIER_TARGETS}
    ref = reference_forecast(fw, draw, mult)
    got = fw.simulate({t: m[None, :] for t, m in mult.items()}, draws=slice(draw, draw + 1))
    for k, v in ref.items():
        np.testing.assert_allclose(np.asarray(got[k])[0], v, rtol=1e-9, atol=1e-6, err_msg=k)


def test_multipliers_of_one_give_exactly_current_policy(fw):
    base = fw.simulate()
    ones = fw.simulate({t: np.ones(len(fw.months)) for t in N.MULTIPLIER_TARGETS})
    for k in FORECAST_VARIABLES:
        np.testing.assert_array_equal(np.broadcast_to(ones[k], base[k].shape), base[k], err_msg=k)


def test_chunks_of_draws_give_exactly_the_rows_of_the_whole(fw):
    whole = fw.simulate()
    part = fw.simulate(draws=slice(300, 420))
    for k in FORECAST_VARIABLES:
        np.testing.assert_array_equal(part[k], np.broadcast_to(whole[k], (fw.n, len(fw.months)))[300:420])


def test_same_seed_same_numbers_other_seed_other_numbers(fitted, fw):
    again = fitted.forward(random_seed=5)
    np.testing.assert_array_equal(again.simulate()["instroom"], fw.simulate()["instroom"])
    other = fitted.forward(random_seed=6).simulate()["instroom"]
    assert not np.allclose(other, fw.simulate()["instroom"])


def test_a_new_posterior_is_not_served_the_old_forward(fitted):
    first = fitted.forward(random_seed=5)
    assert fitted.forward(random_seed=5) is first  # cached on the same posterior
    old = fitted.idata
    try:
        fitted.idata = old.copy()  # what a refit does: a new posterior object
        fitted.idata["posterior"]["instroom_sigma"] = fitted.idata["posterior"]["instroom_sigma"] * 2
        again = fitted.forward(random_seed=5)
        assert again is not first
        assert not np.allclose(again.simulate()["instroom"], first.simulate()["instroom"])
    finally:
        fitted.idata = old


def test_stocks_are_non_negative_and_need_is_their_sum(fw):
    out = fw.simulate()
    for k in ("ind_backlog", "statushouders", "rejected"):
        assert np.all(out[k] >= 0), k
    np.testing.assert_allclose(
        out[N.OPVANGBEHOEFTE], out["ind_backlog"] + out["statushouders"] + out["rejected"], rtol=1e-12
    )


def test_taakstelling_is_the_input_where_set_and_the_rule_elsewhere(fitted, fw):
    out = fw.simulate()
    taak = np.broadcast_to(out["taakstelling"], (fw.n, len(fw.months)))
    # 2025-I and 2025-II are set (inputs.csv, vastgesteld): 15,000 and 13,000 over six months
    np.testing.assert_allclose(taak[:, :6], 15000 / 6)
    np.testing.assert_allclose(taak[:, 6:12], 13000 / 6)
    # 2026-I: the draw's ratio times the modelled housing inflow of 2025-II, spread over six months
    inflow = out["housing_inflow"][:, 6:12].sum(-1)
    ratio = fw.params()["taak_ratio"][:, 12]
    np.testing.assert_allclose(taak[:, 12], ratio * inflow / 6, rtol=1e-12)
    # the rule's ratio follows its prior (log mean 0.04, sd 0.31)
    log_ratio = np.log(fw.params()["taak_ratio"][:, 12])
    assert abs(log_ratio.mean() - 0.04) < 0.05 and abs(log_ratio.std() - 0.31) < 0.05


def test_taakstelling_rule_refuses_a_gap_it_cannot_fill():
    months = pd.date_range("2026-01-01", periods=6, freq="MS")
    with pytest.raises(ValueError, match="needs the housing inflow"):
        taakstelling_rule(months, np.zeros(6, bool), pd.date_range("2014-01-01", periods=12, freq="MS"))


def test_instroom_stays_in_the_range_of_the_past_decade(fitted):
    out = fitted.instroom_outlook(months=72, random_seed=1)
    q = out.quantile([0.05, 0.5, 0.95], dim=(N.DIM_CHAIN, N.DIM_DRAW))
    # 2014-2024 monthly first applications ranged from about 300 to 7,600: six years out, the 90 % band
    # lies within a factor 2 of that range (a pure random walk would give about 100 to 50,000)
    assert 150 < float(q.sel(quantile=0.05).isel(month=-1)) < 1500
    assert 3000 < float(q.sel(quantile=0.95).isel(month=-1)) < 15000


# --------------------------------------------------------------------------- short fitted windows
def _prior_as_posterior(model, draws: int, seed: int):
    """The model's prior draws stored as its posterior (no MCMC: a forecast only needs draws)."""
    import pymc as pm
    import xarray as xr

    pm_model = model.build_model()
    names = [v.name for v in (*pm_model.free_RVs, *pm_model.deterministics)]
    with pm_model:
        values = pm.draw([pm_model[n] for n in names], draws=draws, random_seed=seed)
    data = {}
    for name, val in zip(names, values, strict=True):
        dims = (N.DIM_CHAIN, N.DIM_DRAW, *(pm_model.named_vars_to_dims.get(name) or ()))
        data[name] = (dims, np.asarray(val)[None, ...])
    return xr.DataTree.from_dict({"posterior": xr.Dataset(data)})


@pytest.mark.parametrize("months", [24, 30, 35, 36, 37, 40])
def test_a_forecast_works_for_every_window_the_model_accepts(months):
    """Windows shorter than the nareis lag (36 months back) take the fit's own pre-window grants."""
    import forecast
    from forecast.model import ChainModel, ModelSettings
    from forecast.model.design import NAREIS_L
    from forecast.model.forward import _grants_before

    end = pd.Period("2014-01", "M") + months - 1
    history = forecast.load_history().until((end + 1).to_timestamp())
    model = ChainModel(history, settings=ModelSettings(start="2014-01", end=f"{end}"))
    model.idata = _prior_as_posterior(model, draws=8, seed=months)
    fc = model.forecast(f"{end + 24}", random_seed=1)
    assert fc.sizes[N.DIM_MONTH] == 24
    for name in ("nareis", "statushouders", N.OPVANGBEHOEFTE):
        assert np.isfinite(fc[name].values).all() and (fc[name].values >= 0).all(), name
    # the grants before the forecast: the fitted ones, preceded by exp(log_grants_pre) as in the fit
    post = model.idata["posterior"].to_dataset()
    grants = model.latents()["grants"].reshape(8, months)
    pre = post["log_grants_pre"].values.reshape(8)
    hist = _grants_before(grants, pre, NAREIS_L)
    assert hist.shape == (8, NAREIS_L - 1)
    np.testing.assert_array_equal(hist[:, -min(months, NAREIS_L - 1) :], grants[:, -(NAREIS_L - 1) :])
    if months < NAREIS_L - 1:
        pad = NAREIS_L - 1 - months
        np.testing.assert_array_equal(hist[:, :pad], np.repeat(np.exp(pre)[:, None], pad, axis=1))
