"""Fast unit tests of the chain dynamics: numpy vs pytensor, identities, positivity, custom Op gradient."""

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
    for s in ("ind_backlog", "statushouders", "rejected"):
        assert np.all(out[s] >= 0), s
    for k in dyn.FLOWS:
        assert np.all(out[k] >= 0), k
    # stock-flow identities, exact to rounding
    b = np.concatenate([out["init"]["ind_backlog"][:, None], out["ind_backlog"]], axis=-1)
    np.testing.assert_allclose(
        np.diff(b, axis=-1), out["applications"] - out["decisions"], atol=1e-6 * b.max()
    )
    h = np.concatenate([out["init"]["statushouders"][:, None], out["statushouders"]], axis=-1)
    np.testing.assert_allclose(
        np.diff(h, axis=-1), out["housing_inflow"] - out["housed"], atol=1e-6 * h.max()
    )
    r = np.concatenate([out["init"]["rejected"][:, None], out["rejected"]], axis=-1)
    np.testing.assert_allclose(
        np.diff(r, axis=-1), out["rejections"] - out["departures"], atol=1e-6 * r.max()
    )
    np.testing.assert_allclose(out["grants"] + out["rejections"], out["decisions"], rtol=1e-12)
    np.testing.assert_allclose(
        out["opvangbehoefte"], out["ind_backlog"] + out["statushouders"] + out["rejected"]
    )


def test_capped_stock_verify_grad():
    import pytensor.tensor as pt
    from pytensor.gradient import verify_grad

    rng = np.random.default_rng(3)
    x0 = np.array([500.0, 50.0])
    inflow = rng.uniform(50, 300, (2, 12))
    cap = rng.uniform(80, 250, (2, 12))
    op = dyn._pt_ops()["fwd"]

    def f(a, b, c):
        s, o = op(a, b, c)
        return pt.sum(s * 0.01) + pt.sum(pt.log(o))

    verify_grad(f, [x0, inflow, cap], rng=rng, eps=1e-6, abs_tol=1e-5, rel_tol=1e-5)
