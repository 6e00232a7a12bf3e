"""The fitted chain simulated forward (forecast/model/forward.py), against an independent loop."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from forecast import names as N
from forecast.model.forward import FORECAST_VARIABLES, forecast_months
from forecast.model.inputs import taakstelling_rule

pytestmark = pytest.mark.slow  # they need the seeded fit


def softmin(a, c, k=4.0):
    """min(a, c), smoothed: a c / (a^k + c^k)^(1/k), written out directly."""
    return a * c / (a**k + c**k) ** (1.0 / k)


def _gamma_lag(mean, shape, L):
    lag = np.arange(L) + 0.5
    logw = (shape - 1.0) * np.log(lag) - lag * shape / mean
    w = np.exp(logw - logw.max())
    return w / w.sum()


def reference_forecast(fw, i, mult=None):
    """One draw of the forward chain with plain Python loops, from the Forward's inputs alone.

    Independent of dynamics.simulate_chain: every month in order, no closed forms, no kernels, no
    vectorisation."""
    p = fw.params(slice(i, i + 1))
    p = {f.name: getattr(p, f.name) for f in fields(p)}
    p = {k: (None if v is None else np.asarray(v)) for k, v in p.items()}
    p = {k: (v[0] if v is not None and v.ndim >= 1 and v.shape[0] == 1 else v) for k, v in p.items()}
    u = fw.u
    H = len(fw.months)
    mult = {t: np.ones(H) for t in N.MULTIPLIER_TARGETS} | (mult or {})
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    w_app = _gamma_lag(p["app_lag_mean"], p["lag_shape"], u.app_L)
    w_trav = _gamma_lag(p["travel_lag_mean"], p["lag_shape"], u.travel_L)
    grants_all = list(p["grants_hist"])
    pos_all = list(p["positives_hist"])
    dec_all = list(p["decisions_hist"])
    B, NB, W, R = p["backlog0"], p["nareis_backlog0"], p["statushouders0"], p["rejected0"]
    S, A = p["supply0"], p["taak_backlog0"]  # the fit reached the supply regime: its state is passed
    Ah = A if p["achterstand_half0"] is None else p["achterstand_half0"]
    names = ("instroom", "decisions", "grants", "nareis_applications", "nareis_decisions", "nareis", "housed")
    names += ("taakstelling", "ind_backlog", "nareis_backlog", "statushouders", "rejected", N.OPVANGBEHOEFTE)
    names += ("housing_supply", "taak_backlog")
    out = {k: np.zeros(H) for k in names}
    h_inflow = np.zeros(H)
    for t in range(H):
        moy = u.month_of_year[t]
        instroom = np.exp(p["log_level"][t] + p["season"][moy]) * mult[N.TARGET_INSTROOM][t]
        repeat = instroom * sig(p["logit_repeat"][t])
        avail = B + instroom + repeat
        if t < u.ind_switch:
            dec = sig(p["logit_hazard"][t]) * mult[N.TARGET_DECISION_RATE][t] * avail
            cap = None
        else:
            if t == u.ind_switch:  # without a funded level: the mean decisions of the 6 months before
                unfunded = np.log(np.mean(dec_all[-6:])) + p["capacity_unfunded"]
            log_k = unfunded if not u.funded_mask[t] else u.log_funded[t]
            log_k = log_k + p["capacity_dev"][t] + p["eff_moratorium_cap"] * u.ev_moratorium[t]
            cap = np.exp(log_k) * mult[N.TARGET_DECISION_RATE][t]
            dec = softmin(sig(p["ind_processing_logit"]) * avail, cap)
        B = avail - dec
        dec_all.append(dec)
        g = sig(p["logit_grant"][t] + p["eff_moratorium_grant"] * u.ev_moratorium[t])
        grants = g * dec
        grants_all.append(grants)
        apps = p["nareis_app_ratio"] * sum(w_app[j] * grants_all[-1 - j] for j in range(u.app_L))
        apps *= mult[N.TARGET_NAREIS][t]
        avail_n = NB + apps
        ha = sig(p["logit_nareis_hazard"]) * avail_n
        ndec = ha if cap is None else softmin(ha, p["nareis_capacity_share"] * cap)
        NB = avail_n - ndec
        pos_all.append(p["nareis_grant_share"] * ndec)
        travel = p["eff_covid_nareis"] * u.ev_covid[t]
        travel += p["eff_nareis_restriction"] * u.ev_nareis_restriction[t] + p["log_nareis_dev"][t]
        nareis = np.exp(travel) * sum(w_trav[j] * pos_all[-1 - j] for j in range(u.travel_L))
        h_inflow[t] = grants * (1 + p["other_statushouders"]) + p["nareis_housing_share"] * nareis
        if u.taak_rule_mask[t]:
            taak = p["taak_ratio"][t] * (u.taak_rule[t] @ h_inflow + p["taak_rule_past"][t])
        else:
            taak = u.taakstelling[t]
        avail_h = W + h_inflow[t]
        if t < u.housing_switch:
            housed = sig(p["housing_hazard_logit0"]) * mult[N.TARGET_HOUSING_RATE][t] * avail_h
            W = avail_h - housed
        else:
            if t in u.half_starts:
                Ah = A
            obligation = taak + p["backlog_share"] * max(Ah, 0.0) / 6
            gain = np.exp(p["log_realisation"] + p["eff_asieldeal"] * u.ev_asieldeal[t])
            target = gain * mult[N.TARGET_HOUSING_RATE][t] * obligation
            S = (1 - p["supply_speed"]) * S + p["supply_speed"] * target
            f = softmin(sig(p["logit_match"]) * avail_h, S)
            W = (1 - p["self_housing"]) * (avail_h - f)
            housed = avail_h - W
            A = A + taak - housed
        d = min(p["departure_rate"] * mult[N.TARGET_DEPARTURE_RATE][t], 0.999)
        R = (1.0 - d) * (R + (1.0 - g) * dec)
        for k, v in (
            ("instroom", instroom),
            ("decisions", dec),
            ("grants", grants),
            ("nareis_applications", apps),
            ("nareis_decisions", ndec),
            ("nareis", nareis),
            ("housed", housed),
            ("taakstelling", taak),
            ("ind_backlog", B),
            ("nareis_backlog", NB),
            ("statushouders", W),
            ("rejected", R),
            (N.OPVANGBEHOEFTE, B + W + R),
            ("housing_supply", S),
            ("taak_backlog", A),
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
    # each forecast draw starts from the state of the posterior draw it is (conditioned: Forward.index)
    np.testing.assert_allclose(fw.params().backlog0, fw.paired(lat["ind_backlog"][..., -1]).reshape(-1))
    with pytest.raises(ValueError, match="before the first forecast month"):
        forecast_months("2024-12", "2024-06-30")


@pytest.mark.parametrize("draw", [0, 777, 3999])
def test_vectorised_forward_equals_an_independent_loop(fw, draw):
    H = len(fw.months)
    rng = np.random.default_rng(draw)
    mult = {t: np.exp(rng.normal(0, 0.2, H)) for t in N.MULTIPLIER_TARGETS}
    ref = reference_forecast(fw, draw, mult)
    got = fw.simulate({t: m[None, :] for t, m in mult.items()}, draws=slice(draw, draw + 1), anchored=False)
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
    # the conditioned forecast is the plain one resampled: both are kept, neither is built twice
    plain = fitted.forward(random_seed=5, condition=False)
    assert fitted.forward(random_seed=5, condition=False) is plain and fitted.forward(random_seed=5) is first
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
    out = fw.simulate(anchored=False)
    for k in ("ind_backlog", "statushouders", "rejected"):
        assert np.all(out[k] >= 0), k
    np.testing.assert_allclose(
        out[N.OPVANGBEHOEFTE], out["ind_backlog"] + out["statushouders"] + out["rejected"], rtol=1e-12
    )


def test_the_counted_stocks_carry_their_gap_and_nothing_else_does(fitted, fw):
    rng = np.random.default_rng(3)
    mult = {N.TARGET_HOUSING_RATE: np.exp(rng.normal(0, 0.2, (2, len(fw.months))))[:, None, :]}
    chain = fw.simulate(mult, draws=np.array([5, 900]), extra=1, anchored=False)
    anchored = fw.simulate(mult, draws=np.array([5, 900]), extra=1)
    assert set(fw.anchor.series) >= {"coa_occupancy", "coa_statushouders", "ind_backlog"}
    # the gaps are drawn once for the posterior's draws, then taken with the conditioned forecast's
    plain = fitted.forward(random_seed=5, condition=False)
    gaps = plain.anchor.paths(fw.months, np.random.default_rng([fw.random_seed, 1]))
    gaps = {k: g[fw.index] for k, g in gaps.items()}
    for k in FORECAST_VARIABLES:
        if k in gaps:  # the same gap in every scenario (common random numbers)
            np.testing.assert_allclose(anchored[k], chain[k] * gaps[k][[5, 900]][:, None, :], rtol=1e-12)
        else:
            np.testing.assert_array_equal(anchored[k], chain[k], err_msg=k)


def test_the_conditioned_forecast_is_the_plain_one_resampled(fitted, fw):
    """Conditioning on the set taakstelling only takes draws: each conditioned draw is exactly the
    unconditioned forecast of the posterior draw that Forward.index names, in every variable."""
    plain = fitted.forward(random_seed=5, condition=False)
    assert plain.index is None and plain.conditioning is None
    c = fw.conditioning
    assert c is not None and fw.index.shape == (fw.n,)
    # the bundled history sets the taakstelling of 2025-I (15,000) and 2025-II (13,000)
    assert [f"{pd.Timestamp(t):%Y-%m}" for t in c.rows["period_start"]] == ["2025-01", "2025-07"]
    assert list(c.rows["value"]) == [15000.0, 13000.0]
    assert 0.3 * fw.n < c.ess < fw.n  # informative, and far from degenerate
    a, b = plain.simulate(), fw.simulate()
    for k in FORECAST_VARIABLES:
        np.testing.assert_array_equal(b[k], np.broadcast_to(a[k], b[k].shape)[fw.index], err_msg=k)
    # every per-draw array of the Forward is one that take() re-indexes
    for name, value in vars(plain).items():
        arrays = value.values() if isinstance(value, dict) else [value]
        if any(isinstance(x, np.ndarray) and x.ndim and x.shape[0] == plain.n for x in arrays):
            assert name in plain._PER_DRAW, name
    # the evidence moves the half-years' grants + nareis toward the set taakstelling
    for r in c.rows.itertuples():
        assert abs(np.log(r.median_after / r.value)) < abs(np.log(r.median_before / r.value))


def test_the_anchor_reads_every_counted_stock_up_to_its_last_count(fitted, fw):
    """Real data: each stock series with a learned discrepancy is anchored at its last count in the fit
    (COA statushouders on 1 January 2025, 17,460), the counts narrow the gap there, and the half-lives
    lie on the grid."""
    a = fw.anchor
    rows = fitted.design.rows
    stock = [sc.split(":", 1)[1] for sc in fitted.design.scales if sc.startswith("stock:")]
    assert list(a.series) == stock
    for j, s in enumerate(a.series):
        last = rows.loc[rows[N.SERIES] == s, N.PERIOD_END].max()
        assert a.last_count[j] == np.datetime64(last.date()), s
    assert a.last_count[a.series.index("coa_statushouders")] == np.datetime64("2025-01-01")
    assert a.mean.shape == a.var.shape == a.halflife.shape == (fw.n, len(a.series))
    assert np.all(
        a.var < a.sd**2
    )  # a count is information: the gap there is known better than unconditionally
    assert np.all((a.halflife >= 0.25) & (a.halflife <= 480))


def test_taakstelling_is_the_input_where_set_and_the_rule_elsewhere(fitted, fw):
    out = fw.simulate()
    taak = np.broadcast_to(out["taakstelling"], (fw.n, len(fw.months)))
    # 2025-I and 2025-II are set (inputs.csv, vastgesteld): 15,000 and 13,000 over six months
    np.testing.assert_allclose(taak[:, :6], 15000 / 6)
    np.testing.assert_allclose(taak[:, 6:12], 13000 / 6)
    # 2026-I: the draw's ratio times the modelled housing inflow of 2025-II, spread over six months
    inflow = out["housing_inflow"][:, 6:12].sum(-1)
    ratio = fw.params().taak_ratio[:, 12]
    np.testing.assert_allclose(taak[:, 12], ratio * inflow / 6, rtol=1e-12)
    # the rule's ratio follows its prior (log mean 0.04, sd 0.31)
    log_ratio = np.log(fw.params().taak_ratio[:, 12])
    assert abs(log_ratio.mean() - 0.04) < 0.05 and abs(log_ratio.std() - 0.31) < 0.05


def test_taakstelling_rule_refuses_a_gap_it_cannot_fill():
    months = pd.date_range("2026-01-01", periods=6, freq="MS")
    with pytest.raises(ValueError, match="needs the housing inflow"):
        taakstelling_rule(months, np.zeros(6, bool), 0, pd.date_range("2014-01-01", periods=12, freq="MS"))


def test_instroom_stays_in_the_range_of_the_past_decade(fitted):
    out = fitted.instroom_outlook(months=72, random_seed=1)
    q = out.quantile([0.05, 0.5, 0.95], dim=(N.DIM_CHAIN, N.DIM_DRAW))
    # 2014-2024 monthly first applications ranged from about 300 to 7,600: six years out, the 90 % band
    # lies within a factor 2 of that range (a pure random walk would give about 100 to 50,000)
    assert 150 < float(q.sel(quantile=0.05).isel(month=-1)) < 1500
    assert 3000 < float(q.sel(quantile=0.95).isel(month=-1)) < 15000


# --------------------------------------------------------------------------- short fitted windows
def _prior_as_posterior(model, draws: int, seed: int):
    """The model's prior draws stored as its posterior (no MCMC: a forecast only needs draws).

    A handful of draws: PyTensor's FAST_COMPILE mode draws them in half a second, where the default
    (numba) mode spends about 10 s compiling the graph first.
    """
    import pymc as pm
    import xarray as xr

    pm_model = model.build_model()
    names = [v.name for v in (*pm_model.free_RVs, *pm_model.deterministics)]
    with pm_model:
        values = pm.draw([pm_model[n] for n in names], draws=draws, random_seed=seed, mode="FAST_COMPILE")
    data, coords = {}, {}
    for name, val in zip(names, values, strict=True):
        named = pm_model.named_vars_to_dims.get(name) or ()
        coords |= {d: list(pm_model.coords[d]) for d in named}  # the bias and scale names are read
        data[name] = ((N.DIM_CHAIN, N.DIM_DRAW, *named), np.asarray(val)[None, ...])
    return xr.DataTree.from_dict({"posterior": xr.Dataset(data, coords=coords)})


@pytest.mark.parametrize("months", [24, 30, 35, 36, 37, 40])
def test_a_forecast_works_for_every_window_the_model_accepts(months):
    """Every window the model accepts (24 months and more) forecasts: finite, non-negative stocks."""
    import forecast
    from forecast.model import ChainModel, ModelSettings

    end = pd.Period("2014-01", "M") + months - 1
    history = forecast.load_history().until((end + 1).to_timestamp())
    model = ChainModel(history, settings=ModelSettings(start="2014-01", end=f"{end}"))
    model.idata = _prior_as_posterior(model, draws=8, seed=months)
    fc = model.forecast(f"{end + 24}", random_seed=1)
    assert fc.sizes[N.DIM_MONTH] == 24
    for name in ("nareis", "statushouders", N.OPVANGBEHOEFTE):
        assert np.isfinite(fc[name].values).all() and (fc[name].values >= 0).all(), name


def test_the_capacity_without_a_funded_level_continues_the_fit():
    """A forecast after a fit that reached the IND switch (2021-01) before any funded capacity was
    stated (2021-12) anchors the capacity on the same months as the fit: the six before the switch.

    Anchoring it on the last fitted months instead counted the fitted offset twice: at the 2021-07
    origin of the backtest the capacity jumped from 1,919 to 2,447 a month at the origin and the
    forecast drained the IND backlog from 10,600 to 800 in two years."""
    import forecast
    from forecast.model import ChainModel, ModelSettings
    from forecast.model.inputs import IND_CAPACITY_FROM

    history = forecast.load_history().until("2021-07-01")
    model = ChainModel(history, settings=ModelSettings(start="2014-01", end="2021-06"))
    model.idata = _prior_as_posterior(model, draws=8, seed=11)
    fw = model.forward("2022-06", random_seed=1)
    assert fw.u.funded_mask[0] == 0  # no funded level known at the origin: the anchored branch
    switch = pd.Timestamp(IND_CAPACITY_FROM)
    months = pd.period_range("2014-01", "2021-06", freq="M").to_timestamp()
    before = (months >= switch - pd.DateOffset(months=6)) & (months < switch)
    decisions = fw.paired(model.latents()["decisions"].reshape(8, -1))[:, before]  # the forecast's draws
    p = fw.params()
    capacity = fw.simulate(anchored=False)["ind_capacity"]
    anchor = np.log(capacity[:, 0]) - np.asarray(p.capacity_dev)[:, 0] - np.asarray(p.capacity_unfunded)
    np.testing.assert_allclose(anchor, np.log(decisions.mean(axis=1)), rtol=1e-10)


@pytest.mark.parametrize("T", [3, 12, 13, 20])
def test_the_months_before_the_forecast_are_the_fitted_ones_after_the_steady_state(T):
    """The lag windows that reach back before the fitted window take the steady state (the fit's own)."""
    from forecast.model.forward import _history_of
    from forecast.model.inputs import NAREIS_APP_L

    x = np.arange(2 * T, dtype=float).reshape(2, T) + 1.0
    fill = np.array([-1.0, -2.0])
    hist = _history_of(x, NAREIS_APP_L - 1, fill)
    n = NAREIS_APP_L - 1
    assert hist.shape == (2, n)
    k = min(T, n)
    np.testing.assert_array_equal(hist[:, -k:], x[:, -k:])
    if n > T:
        np.testing.assert_array_equal(hist[:, : n - T], np.repeat(fill[:, None], n - T, axis=1))


def test_the_grant_rate_reverts_to_its_level_in_the_forecast():
    """The forecast continues the grant rate's knots as the fit's AR(1) around ``grant_mean``: with its
    innovations switched off, every new yearly knot is ``level + rho^k (last knot - level)``."""
    import xarray as xr

    import forecast
    from forecast.model import ChainModel, ModelSettings
    from forecast.model import build as B

    history = forecast.load_history().until("2019-07-01")
    model = ChainModel(history, settings=ModelSettings(start="2014-01", end="2019-06"))
    post = _prior_as_posterior(model, draws=8, seed=4)["posterior"].to_dataset()
    post["grant_sigma"] = post["grant_sigma"] * 0.0 + 1e-12
    model.idata = xr.DataTree.from_dict({"posterior": post})
    fw = model.forward("2027-12", random_seed=1, condition=False)
    flat = {n: post[n].values.reshape(8, *post[n].shape[2:]) for n in ("grant_mean", "grant_persistence")}
    last = post["logit_grant_knots"].values.reshape(8, -1)[:, -1]
    pos, T = B.knot_months(model.inputs)["logit_grant"], len(model.inputs.funded_mask)
    path = np.asarray(fw.params().logit_grant)
    level, rho = flat["grant_mean"], flat["grant_persistence"]
    months = [(k, pos[-1] + B.KNOT_STEP * k - T) for k in range(1, 12)]  # the k-th new knot's month
    months = [(k, m) for k, m in months if 0 <= m < path.shape[1]]
    assert len(months) >= 7
    for k, month in months:
        expected = level + rho**k * (last - level)
        np.testing.assert_allclose(path[:, month], expected, rtol=1e-9, atol=1e-9)
    assert np.all(np.abs(path[:, -1] - level) < np.abs(last - level))  # eight years on: closer to the level
