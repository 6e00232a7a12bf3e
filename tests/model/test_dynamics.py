"""Fast unit tests of the chain dynamics: numpy vs pytensor, identities, positivity, custom Op gradient."""

import dataclasses

import numpy as np
import pytest

import forecast
from forecast.model import build as B
from forecast.model import design as D
from forecast.model import dynamics as dyn


@pytest.fixture(scope="module")
def setup():
    h = forecast.load_history()
    u = D.build_inputs(h, "2014-01", "2024-12")
    return u


def test_numpy_equals_pytensor(setup, prior_draws):
    import pytensor
    import pytensor.tensor as pt

    u = setup
    q, W = prior_draws(u, 1, seed=1)
    q1 = {k: v[0] for k, v in q.items()}
    out_np = dyn.simulate_chain(B._chain_params(q1, u, W, dyn.NP), u, dyn.NP)
    syms = {k: pt.as_tensor_variable(np.asarray(v)).type() for k, v in q1.items()}
    out_pt = dyn.simulate_chain(B._chain_params(syms, u, W, dyn.PT), u, dyn.PT)
    keys = [k for k in dyn.FLOWS + dyn.STOCKS]
    f = pytensor.function(
        list(syms.values()), [out_pt[k] for k in keys], mode="NUMBA", on_unused_input="ignore"
    )
    vals = f(*[np.asarray(q1[k]) for k in syms])
    for k, v in zip(keys, vals, strict=True):
        np.testing.assert_allclose(v, out_np[k], rtol=1e-9, atol=1e-8, err_msg=k)


def test_identities_and_positivity(setup, prior_draws):
    u = setup
    q, W = prior_draws(u, 200, seed=2)
    out = dyn.simulate_chain(B._chain_params(q, u, W, dyn.NP), u, dyn.NP)
    for s in ("ind_backlog", "nareis_backlog", "statushouders", "rejected"):
        assert np.all(out[s] >= 0), s
    for k in dyn.FLOWS:
        assert np.all(out[k] >= 0), k

    def change(stock):
        x = np.concatenate([out["init"][stock][:, None], out[stock]], axis=-1)
        return np.diff(x, axis=-1), x.max()

    # stock-flow identities, exact to rounding
    for stock, inflow, outflow in (
        ("ind_backlog", out["applications"], out["decisions"]),
        ("nareis_backlog", out["nareis_applications"], out["nareis_decisions"]),
        ("statushouders", out["housing_inflow"], out["housed"]),
        ("rejected", out["rejections"], out["departures"]),
    ):
        d, top = change(stock)
        np.testing.assert_allclose(d, inflow - outflow, atol=1e-6 * top, err_msg=stock)
    np.testing.assert_allclose(out["grants"] + out["rejections"], out["decisions"], rtol=1e-12)
    np.testing.assert_allclose(
        out["opvangbehoefte"], out["ind_backlog"] + out["statushouders"] + out["rejected"]
    )
    # the achterstand accumulates the taakstelling minus the housed, from the housing switch on
    sh = u.housing_switch
    a = np.concatenate([out["init"]["taak_backlog"][:, None], out["taak_backlog"]], axis=-1)[:, sh:]
    np.testing.assert_allclose(
        np.diff(a, axis=-1), (out["taakstelling"] - out["housed"])[:, sh:], atol=1e-6 * np.abs(a).max()
    )
    # self-found homes are part of the housed; supply houses no more than its supply
    assert np.all(out["self_housed"] <= out["housed"] + 1e-9)
    assert np.all(out["housed"][:, sh:] - out["self_housed"][:, sh:] <= out["housing_supply"][:, sh:] + 1e-6)


def test_ind_decides_at_most_its_pace_so_an_ample_capacity_leaves_a_working_stock(setup, prior_draws):
    """From the IND switch decisions are ``softmin(h_p A_t, K_t)``: with a capacity far above the
    inflow the backlog settles where ``h_p`` of the available cases equal the applications,
    ``B* = applications (1 - h_p) / h_p``, instead of draining to zero; with a binding capacity the
    pace is irrelevant."""
    u = setup
    s = int(u.ind_switch)
    q, W = prior_draws(u, 3, seed=4)
    q = {**q, "ind_processing_logit": np.array([-1.2, -1.2, 30.0])}  # the last: no pace limit
    p = B._chain_params(q, u, W, dyn.NP)
    ample = p.replace(capacity_dev=p.capacity_dev + 8.0)  # capacity x3000
    out = dyn.simulate_chain(ample, u, dyn.NP)
    h = 1.0 / (1.0 + np.exp(1.2))
    apps, backlog, dec = out["applications"], out["ind_backlog"], out["decisions"]
    avail = np.concatenate([backlog[:, s - 1 : s], backlog[:, s:-1]], axis=-1) + apps[:, s:]
    np.testing.assert_allclose(dec[:2, s:], h * avail[:2], rtol=1e-9)
    settled = apps[:2, -1] * (1 - h) / h
    assert np.all(backlog[:2, -1] > 0.5 * settled) and np.all(backlog[:2, -1] < 2.0 * settled)
    assert np.all(backlog[2, s:] < 1e-6 * apps[2, s:].max())  # no pace: everything decided at once
    # a capacity far below the inflow binds: a faster pace changes nothing
    low = p.capacity_dev - 12.0
    tight = dyn.simulate_chain(p.replace(capacity_dev=low), u, dyn.NP)
    fast = dyn.simulate_chain(p.replace(capacity_dev=low, ind_processing_logit=np.full(3, 1.8)), u, dyn.NP)
    assert np.all(tight["ind_backlog"][:2, -1] > tight["ind_backlog"][:2, s])  # the backlog grows
    np.testing.assert_allclose(fast["decisions"][:2, s:], tight["decisions"][:2, s:], rtol=1e-3)


def test_a_misspelt_parameter_fails_when_the_model_is_built(setup, prior_draws):
    """Typed containers: a wrong name is an error at once, not a KeyError deep inside a fit."""
    u = setup
    q, W = prior_draws(u, 2, seed=3)
    p = B._chain_params(q, u, W, dyn.NP)
    with pytest.raises(TypeError):
        p.replace(mult_housing=np.ones(u.T))
    with pytest.raises(TypeError):
        dyn.ChainParams(**{**{f.name: None for f in dataclasses.fields(p)}, "suply0": 1.0})


def test_capped_stock_verify_grad():
    import pytensor.tensor as pt
    from pytensor.gradient import verify_grad

    rng = np.random.default_rng(3)
    x0 = np.array([500.0, 50.0])
    inflow = rng.uniform(50, 300, (2, 12))
    hazard = rng.uniform(0.2, 1.0, (2, 12))
    cap = rng.uniform(80, 250, (2, 12))
    keep = rng.uniform(0.9, 1.0, (2, 12))
    op = dyn._pt_ops()["fwd"]

    def f(a, b, h, c, k):
        s, o = op(a, b, h, c, k)
        return pt.sum(s * 0.01) + pt.sum(pt.log(o))

    verify_grad(f, [x0, inflow, hazard, cap, keep], rng=rng, eps=1e-6, abs_tol=1e-5, rel_tol=1e-5)


def test_capped_stock_with_hazard_and_keep_equals_a_plain_loop():
    """The kernel against the recursion written out month by month (and its defaults = the plain cap)."""
    rng = np.random.default_rng(4)
    x0 = rng.uniform(10, 1000, 3)
    inflow = rng.uniform(0, 300, (3, 20))
    hazard = rng.uniform(0.1, 1.0, (3, 20))
    cap = rng.uniform(1, 400, (3, 20))
    keep = rng.uniform(0.8, 1.0, (3, 20))
    stock, out = dyn.NP.capped_stock(x0, inflow, cap, hazard=hazard, keep=keep)
    for b in range(3):
        x = x0[b]
        for t in range(20):
            a = x + inflow[b, t]
            ha, c = hazard[b, t] * a, cap[b, t]
            f = ha * c / (ha**4 + c**4) ** 0.25
            x = keep[b, t] * (a - f)
            assert out[b, t] == pytest.approx(f, rel=1e-12)
            assert stock[b, t] == pytest.approx(x, rel=1e-12)
    plain = dyn.NP.capped_stock(x0, inflow, cap)
    ones = dyn.NP.capped_stock(x0, inflow, cap, hazard=np.ones((3, 20)), keep=np.ones((3, 20)))
    np.testing.assert_array_equal(plain[0], ones[0])
    np.testing.assert_array_equal(plain[1], ones[1])


def _housing_args(rng, B=2, T=14):
    half = np.zeros(T)
    half[[0, 6, 12]] = 1.0
    return (
        rng.uniform(500, 3000, B),  # W0
        rng.uniform(300, 1500, B),  # S0
        rng.uniform(-500, 3000, B),  # A0
        rng.uniform(-500, 3000, B),  # Ah0
        rng.uniform(200, 900, (B, T)),  # inflow
        rng.uniform(300, 1500, (B, T)),  # taak
        rng.uniform(0.0, 300, (B, T)),  # extra
        rng.uniform(0.6, 1.2, (B, T)),  # gain
        rng.uniform(0.1, 0.6, (B, T)),  # match
        rng.uniform(0.95, 1.0, (B, T)),  # keep
        rng.uniform(0.1, 0.5, B),  # lam
        rng.uniform(0.2, 0.8, B),  # kappa
        half,
    )


def test_housing_supply_equals_a_plain_loop():
    """The fused housing kernel against its equations written out month by month."""
    rng = np.random.default_rng(5)
    args = _housing_args(rng, B=3, T=20)
    W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half = args
    out = dict(zip(dyn.HOUSING_OUTPUTS, dyn.NP.housing_supply(*args), strict=True))
    for b in range(3):
        W, S, A, Ah = W0[b], S0[b], A0[b], Ah0[b]
        for t in range(20):
            if half[t]:
                Ah = A
            ob = taak[b, t] + extra[b, t] + kappa[b] * max(Ah, 0.0) / 6
            S = (1 - lam[b]) * S + lam[b] * gain[b, t] * ob
            a = W + inflow[b, t]
            ha = match[b, t] * a
            f = ha * S / (ha**4 + S**4) ** 0.25
            W = keep[b, t] * (a - f)
            A = A + taak[b, t] - (a - W)
            for name, value in (("statushouders", W), ("supply", S), ("achterstand", A), ("by_supply", f)):
                assert out[name][b, t] == pytest.approx(value, rel=1e-10), (name, b, t)


def test_housing_supply_verify_grad():
    import pytensor.tensor as pt
    from pytensor.gradient import verify_grad

    rng = np.random.default_rng(6)
    args = _housing_args(rng)
    half = args[-1]
    op = dyn._pt_ops()["housing"]
    weights = [rng.uniform(0.5, 1.5, args[4].shape) for _ in dyn.HOUSING_OUTPUTS]

    def f(*xs):
        outs = op(*xs, pt.as_tensor_variable(half))
        return sum(pt.sum(o * w) * 1e-3 for o, w in zip(outs, weights, strict=True))

    verify_grad(f, list(args[:-1]), rng=rng, eps=1e-6, abs_tol=1e-5, rel_tol=1e-5)


@pytest.mark.parametrize("xp", ["numpy", "pytensor"])
def test_knot_steps_walk_or_revert_to_their_level(xp):
    """A knotted path's knots after the first: a random walk, or for a reverting path (the grant rate)
    ``x_k - level = rho (x_{k-1} - level) + sigma z_k``, against a plain loop."""
    rng = np.random.default_rng(3)
    x0, sigma, z = np.array([1.2, -0.8]), np.array([0.3, 0.1]), rng.standard_normal((2, 6))
    level, rho = np.array([0.2, 0.0]), np.array([0.6, 0.9])
    walk, revert = np.empty_like(z), np.empty_like(z)
    a, b = x0.copy(), x0.copy()
    for k in range(z.shape[1]):
        a = a + sigma * z[:, k]
        b = level + rho * (b - level) + sigma * z[:, k]
        walk[:, k], revert[:, k] = a, b
    if xp == "numpy":
        got_walk = B.knot_steps(x0, sigma, z, dyn.NP)
        got_revert = B.knot_steps(x0, sigma, z, dyn.NP, level, rho)
    else:  # the fit's scalar parameters, one draw at a time
        import pytensor
        import pytensor.tensor as pt

        s = [pt.dscalar(n) for n in ("x0", "sigma", "level", "rho")]
        zv = pt.dvector("z")
        f = pytensor.function(
            [*s, zv], [B.knot_steps(s[0], s[1], zv, dyn.PT), B.knot_steps(*s[:2], zv, dyn.PT, *s[2:])]
        )
        pairs = [f(x0[i], sigma[i], level[i], rho[i], z[i]) for i in range(2)]
        got_walk, got_revert = (np.stack([p[j] for p in pairs]) for j in range(2))
    np.testing.assert_allclose(got_walk, walk, rtol=1e-12)
    np.testing.assert_allclose(got_revert, revert, rtol=1e-12)
