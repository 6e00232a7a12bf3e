"""The user-facing model class on the real history: fit, gate, predict, save, load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import forecast
from forecast import names as N
from forecast.model import ChainModel, ModelNotFittedError
from forecast.model.chain_model import planning_occupancy_rate
from forecast.model.io import ConfigMismatchError, machine
from forecast.model.mapping import estimate_rows
from forecast.priors import load_priors


def test_every_bundled_observation_is_used_or_listed_as_unused():
    model = ChainModel()
    history = forecast.load_history()
    evidence = estimate_rows(history)  # inputs that are also evidence (the taakstelling)
    all_rows = set()
    for frame in (history.observations, evidence):
        all_rows |= set(zip(frame[N.SOURCE_FILE], frame[N.LINE], strict=True))
    used = set(zip(model.design.rows[N.SOURCE_FILE], model.design.rows[N.LINE], strict=True))
    unused = model.unused_observations()
    unused_rows = set(zip(unused[N.SOURCE_FILE], unused[N.LINE], strict=True))
    assert used | unused_rows == all_rows
    assert not used & unused_rows
    assert unused["reason"].str.len().min() > 10


def test_config_hash_follows_the_priors():
    base = ChainModel()
    priors = load_priors()
    changed = priors.replace(nareis_ratio={"sigma": priors["nareis_ratio"].params["sigma"] * 2})
    assert ChainModel(priors=changed).config_hash != base.config_hash
    assert ChainModel(priors=priors).config_hash == base.config_hash


def test_methods_that_need_a_fit_say_so():
    with pytest.raises(ModelNotFittedError, match="not fitted"):
        ChainModel().coverage()


@pytest.mark.slow
def test_small_seeded_fit_on_the_real_history_converges(fitted):
    d = fitted.diagnostics
    assert d.passed, str(d)
    assert d.divergences == 0
    attrs = fitted.idata.attrs
    assert attrs["diagnostics_passed"] == 1
    assert attrs["data_hash"] == forecast.load_history().data_hash
    assert attrs["config_hash"] == fitted.config_hash
    assert json.loads(attrs["machine"]) == machine()  # where it ran: draws differ between processors
    assert {"posterior", "sample_stats", "observed_data", "fit_data", "posterior_predictive"} <= set(
        fitted.idata.children
    )


@pytest.mark.slow
def test_latent_stocks_are_non_negative_and_identities_hold(fitted):
    lat = fitted.latents()
    for stock in ("ind_backlog", "statushouders", "rejected"):
        assert np.all(lat[stock] >= 0), stock
    np.testing.assert_allclose(
        lat["opvangbehoefte"], lat["ind_backlog"] + lat["statushouders"] + lat["rejected"], rtol=1e-12
    )


@pytest.mark.slow
def test_in_sample_coverage_per_series(fitted):
    cov = fitted.coverage()
    assert {"n", "cover_50", "cover_90"} <= set(cov.columns)
    assert cov["n"].sum() == len(fitted.design.rows)
    weighted90 = float((cov["cover_90"] * cov["n"]).sum() / cov["n"].sum())
    weighted50 = float((cov["cover_50"] * cov["n"]).sum() / cov["n"].sum())
    # the posterior predictive covers the history: most rows inside the 90 % band, 50 % not degenerate
    assert weighted90 >= 0.8, cov
    assert 0.3 <= weighted50 <= 0.95, cov


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_save_load_round_trip(fitted, tmp_path, suffix):
    path = fitted.save(tmp_path / f"fit{suffix}")
    again = ChainModel.load(path)
    np.testing.assert_array_equal(
        again.idata["posterior"]["instroom_level"].values,
        fitted.idata["posterior"]["instroom_level"].values,
    )
    assert again.config_hash == fitted.config_hash
    assert again.diagnostics == fitted.diagnostics
    assert again.history.data_hash == fitted.history.data_hash
    np.testing.assert_allclose(again.latents()["opvangbehoefte"], fitted.latents()["opvangbehoefte"])


@pytest.mark.slow
def test_loading_under_other_priors_is_refused(fitted, tmp_path):
    path = fitted.save(tmp_path / "fit.nc")
    priors = load_priors()
    other = priors.replace(nareis_ratio={"sigma": priors["nareis_ratio"].params["sigma"] * 2})
    with pytest.raises(ConfigMismatchError, match="fitted under config"):
        ChainModel.load(path, priors=other)


def test_prior_predictive_covers_the_observed_history():
    """The priors alone allow every observed level of reception need and first applications.

    "Allow" is the central 99 % of the prior predictive. The lowest month, April 2020 (270 first
    applications, the border closures), lies at about the prior's 1.5 % point (1.25-1.65 % in two
    runs of 2,000 draws), so a 98 % band from a few hundred draws put it in or out by chance.
    """
    model = ChainModel()
    pp = model.prior_predictive(draws=1000, random_seed=5)
    history = forecast.load_history()
    checks = {
        "opvangbehoefte": history.select("coa_occupancy", definition="coa_personen_in_opvang").observations,
        "instroom": history.select("first_applications", definition="ind").observations,
    }
    for latent, rows in checks.items():
        band = pp[latent].quantile([0.005, 0.995], dim=(N.DIM_CHAIN, N.DIM_DRAW))
        rows = rows[(rows[N.PERIOD_END] >= "2014-01-01") & (rows[N.PERIOD_END] <= "2024-12-31")]
        if latent == "instroom":
            rows = rows[rows[N.FREQUENCY] == N.MONTH]
        months = rows[N.PERIOD_END].dt.to_period("M").dt.to_timestamp()
        lo = band.sel(quantile=0.005).sel(month=months.to_numpy()).values
        hi = band.sel(quantile=0.995).sel(month=months.to_numpy()).values
        y = rows[N.VALUE].to_numpy()
        assert len(y) > 20, latent
        assert np.all((y >= lo) & (y <= hi)), (latent, y[(y < lo) | (y > hi)])


def test_planning_occupancy_rate_steps_at_its_decisions():
    months = pd.period_range("2021-01", "2025-06", freq="M").to_timestamp()
    rate = planning_occupancy_rate(forecast.load_history(), months)
    assert rate[0] == 0.96  # before the first decision: the first known rate
    assert rate[list(months).index(pd.Timestamp("2024-12-01"))] == 0.96
    assert rate[list(months).index(pd.Timestamp("2025-01-01"))] == 0.91


@pytest.mark.slow
def test_need_in_places(fitted):
    ds = fitted.latent_dataset()
    places = ds["opvangbehoefte_places"]
    np.testing.assert_allclose(places.values, (ds["opvangbehoefte"] / ds["planning_occupancy_rate"]).values)
    assert float((places - ds["opvangbehoefte"]).min()) >= 0


@pytest.mark.slow
def test_instroom_outlook_bands_widen_with_the_horizon(fitted):
    out = fitted.instroom_outlook(months=36, random_seed=1)
    assert out.sizes[N.DIM_MONTH] == 36
    assert str(out[N.DIM_MONTH].values[0])[:7] == "2025-01"
    logq = np.log(out).quantile([0.05, 0.95], dim=(N.DIM_CHAIN, N.DIM_DRAW))
    width = (logq.sel(quantile=0.95) - logq.sel(quantile=0.05)).values
    # the season moves the level, not the spread: compare the same calendar month a year apart (over the
    # first two years: later the reversion to the 2014-2024 average holds the spread near its ceiling)
    assert np.all(width[12:24] > width[:12])
    # three years out the band is far wider than one month out (2.03x on the default fit of
    # 2026-11-30, with the IND's pace and the set 2025 taakstelling; how much wider follows the
    # posterior half-life of the AR(1), not a fixed factor)
    assert width[-1] > 1.5 * width[0]
    # the outlook starts where the fit ends
    last = np.exp(fitted.idata["posterior"]["instroom_level"].values[..., -1]).mean()
    assert 0.5 < float(out.isel(month=0).median()) / float(last) < 2.0
    with pytest.raises(ValueError, match="at least 1"):
        fitted.instroom_outlook(months=0)


def test_latent_dataset_of_a_history_without_an_occupancy_rate_gives_persons_only(fitted, monkeypatch):
    # the first planning occupancy rate in the inputs is of 2022-12: a cut before it has none
    monkeypatch.setattr(fitted, "history", fitted.history.until("2022-11-30"))
    ds = fitted.latent_dataset()
    assert "opvangbehoefte" in ds
    assert "opvangbehoefte_places" not in ds and "planning_occupancy_rate" not in ds


def test_coverage_names_each_level_by_its_percentage(fitted):
    table = fitted.coverage(levels=(0.29, 0.57, 0.9))
    assert {"cover_29", "cover_57", "cover_90"} <= set(table.columns)


def test_the_grant_rate_knots_revert_to_their_level_in_the_fit():
    """The grant rate's yearly knots are an AR(1) around ``grant_mean`` (persistence
    ``grant_persistence``): its density is the one written out here, and the innovations the fit keeps
    (``grant_z``) rebuild the knots through the recursion the forecast continues them with."""
    from scipy import stats
    from scipy.special import logit

    from forecast.model import build as B
    from forecast.model import dynamics as dyn

    model = ChainModel().build_model()
    assert {"grant_mean", "grant_persistence", "logit_grant_knots"} <= {rv.name for rv in model.free_RVs}
    point = model.initial_point()
    K = point["logit_grant_knots"].size
    knots = np.linspace(1.5, -0.6, K) + 0.3 * np.sin(np.arange(K))
    level, rho, sigma = 0.2, 0.6, 0.3
    point |= {
        "logit_grant_knots": knots,
        "grant_mean": np.array(level),
        "grant_persistence_logodds__": np.array(logit(rho)),
        "grant_sigma_log__": np.array(np.log(sigma)),
    }
    logp = model.compile_logp(vars=[model["logit_grant_knots"]], jacobian=False)(point)
    k0 = load_priors()["grant_logit0"].params
    expected = (
        stats.norm.logpdf(knots[0], k0["mu"], k0["sigma"])
        + stats.norm.logpdf(knots[1:], level + rho * (knots[:-1] - level), sigma).sum()
    )
    np.testing.assert_allclose(logp, expected, rtol=1e-10)
    (z,) = model.replace_rvs_by_values([model["grant_z"]])
    z = model.compile_fn(z, inputs=model.value_vars, on_unused_input="ignore")(point)
    rebuilt = B.knot_steps(np.array(knots[0]), np.array(sigma), z, dyn.NP, np.array(level), np.array(rho))
    np.testing.assert_allclose(rebuilt, knots[1:], rtol=1e-10)


def test_short_windows_sample_the_knot_walks_and_capacity_non_centred():
    """A window that ends before the IND switch (2021) has no capacity-limited month: its capacity
    deviation is the prior alone and its knot walks are weakly pinned. Sampled centred around their
    unknown sds they made Neal's funnel (the backtest origins' divergences); there they are drawn from
    standard normal innovations, under the same names. The full history keeps them centred."""
    import pytensor
    import pytensor.tensor as pt

    from forecast.model import ModelSettings
    from forecast.model import build as B

    short = ChainModel(forecast.load_history().until("2019-07-01"), settings=ModelSettings(end="2019-06"))
    model = short.build_model()
    assert B.noncentred_window(short.inputs)
    free, det = {rv.name for rv in model.free_RVs}, {d.name for d in model.deterministics}
    walks = {f"{path}_knots" for path in B.KNOTTED}
    innovations = {z for _, _, z in B.KNOTTED.values()} | {x0 for x0, _, _ in B.KNOTTED.values()}
    assert {B.CAPACITY_DEV_Z, *innovations} <= free and {B.CAPACITY_DEV, *walks} <= det
    # with a year of capacity-limited months only the capacity deviation is non-centred
    year = ChainModel(forecast.load_history().until("2022-01-01"), settings=ModelSettings(end="2021-12"))
    model = year.build_model()
    assert B.capacity_noncentred(year.inputs) and not B.noncentred_window(year.inputs)
    free, det = {rv.name for rv in model.free_RVs}, {d.name for d in model.deterministics}
    assert B.CAPACITY_DEV_Z in free and B.CAPACITY_DEV in det and walks <= free
    full = ChainModel()
    model = full.build_model()
    assert not B.noncentred_window(full.inputs) and not B.capacity_noncentred(full.inputs)
    free, det = {rv.name for rv in model.free_RVs}, {d.name for d in model.deterministics}
    assert {B.CAPACITY_DEV, *walks} <= free and B.CAPACITY_DEV_Z not in free and innovations <= det

    # the path is the AR(1) recursion of its innovations, the first one at the stationary sd
    z, rho, sigma = pt.dvector("z"), pt.dscalar("rho"), pt.dscalar("sigma")
    f = pytensor.function([z, rho, sigma], B.ar1_noncentred(z, rho, sigma))
    zv = np.array([0.3, -1.2, 0.5, 2.0, -0.7])
    expected = np.empty(5)
    expected[0] = 0.15 / np.sqrt(1 - 0.6**2) * zv[0]
    for k in range(1, 5):
        expected[k] = 0.6 * expected[k - 1] + 0.15 * zv[k]
    np.testing.assert_allclose(f(zv, 0.6, 0.15), expected, rtol=1e-12)
    np.testing.assert_allclose(f(zv[:1], 0.6, 0.15), expected[:1], rtol=1e-12)  # one knot
