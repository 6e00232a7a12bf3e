"""The fused observation likelihood (forecast/model/obslik.py): its hand-written gradient and its numpy twin.

The Op returns the log-likelihood and its gradient from one numba kernel; nothing in the fit checks that
gradient, and a wrong one would only show as a slow or biased sampler. Here:

* PyTensor's ``verify_grad`` (random projections, finite differences) checks the gradient with respect to
  the latent vector, the biases and the discrepancy scales, on the real design of the bundled history;
* the log-likelihood equals the sum of Student-t log-densities at the locations and scales that
  :func:`forecast.model.build.row_predictions` (the numpy twin, used for the posterior predictive)
  gives for the same draw.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import forecast
from forecast.model import build as B
from forecast.model import design as D
from forecast.model import dynamics as dyn
from forecast.model import mapping as M
from forecast.model.obslik import make_obs_op

START, END = "2014-01", "2024-12"


@pytest.fixture(scope="module")
def setup(prior_draws):
    h = forecast.load_history()
    design = D.build_design(h, START, END)
    u = D.build_inputs(h, START, END)
    q, W = prior_draws(u, 3, seed=7)
    return design, u, q, W


def _one(q, i):
    return {k: np.asarray(v)[i] for k, v in q.items()}


def _latent_vector(q1, u, W):
    out = dyn.simulate_chain(B._chain_params(q1, u, W, dyn.NP), u, dyn.NP)
    return out, np.asarray(B.latent_vector(out, dyn.NP))


def _bias_and_sig(design, rng):
    bias = rng.normal(0.0, 0.05, len(design.groups))
    sig = np.array(
        [rng.uniform(0.05, 0.3) if ":" in sc else M.OBS_TYPES[sc]["fixed"] for sc in design.scales]
    )
    return bias, sig


def test_the_gradient_matches_finite_differences(setup):
    import pytensor.tensor as pt
    from pytensor.gradient import verify_grad

    design, u, q, W = setup
    rng = np.random.default_rng(11)
    _, Z = _latent_vector(_one(q, 0), u, W)
    bias, sig = _bias_and_sig(design, rng)
    f = make_obs_op(design, design.y_transformed, B._extra2(design), M.OBS_NU)

    def loglik(z, b, s):
        return f(z, b, s)

    # a rough prior draw can leave a stock at ~1e-6 persons, where log(stock) is too curved for a
    # finite difference: check the gradient at latents of at least 10 persons (any vector is a valid input)
    Z = np.where(Z > 0, np.maximum(Z, 10.0), Z)
    verify_grad(loglik, [Z, bias, sig], rng=rng, eps=1e-6, abs_tol=1e-4, rel_tol=1e-4)
    # and on a log-scale input, where every entry moves by the same relative amount
    logZ = np.log(np.maximum(Z, 1e-3))
    verify_grad(
        lambda lz, b, s: f(pt.exp(lz), b, s), [logZ, bias, sig], rng=rng, eps=1e-7, abs_tol=1e-4, rel_tol=1e-4
    )


@pytest.mark.filterwarnings("ignore:Numba will use object mode")
def test_a_wrong_gradient_would_be_caught(setup):
    """The check above can fail: a gradient scaled by 1.01 does not pass ``verify_grad``."""
    import pytensor.tensor as pt
    from pytensor.gradient import GradientError, verify_grad
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op

    design, u, q, W = setup
    rng = np.random.default_rng(12)
    _, Z = _latent_vector(_one(q, 0), u, W)
    bias, sig = _bias_and_sig(design, rng)
    f = make_obs_op(design, design.y_transformed, B._extra2(design), M.OBS_NU)

    class ScaleGrad(Op):
        """Identity whose gradient is scaled by 1.01."""

        __props__ = ()

        def make_node(self, x):
            x = pt.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, outputs):
            outputs[0][0] = inputs[0].copy()

        def pullback(self, inputs, outputs, cotangents):
            return [1.01 * cotangents[0]]

    with pytest.raises(GradientError):
        verify_grad(
            lambda z, b, s: f(ScaleGrad()(z), b, s),
            [Z, bias, sig],
            rng=rng,
            eps=1e-7,
            abs_tol=1e-4,
            rel_tol=1e-4,
            mode="FAST_COMPILE",
        )


def test_the_log_likelihood_equals_its_numpy_twin(setup):
    """obs_loglik(Z, bias, sig) == sum of Student-t log-densities at row_predictions' loc and scale."""
    import pytensor
    import pytensor.tensor as pt

    design, u, q, W = setup
    f = make_obs_op(design, design.y_transformed, B._extra2(design), M.OBS_NU)
    z_, b_, s_ = pt.dvector("Z"), pt.dvector("bias"), pt.dvector("sig")
    loglik = pytensor.function([z_, b_, s_], f(z_, b_, s_), mode="NUMBA")
    rng = np.random.default_rng(13)
    bias_names = [f"bias__{s}__{d}" for s, d in design.groups]
    y = design.y_transformed
    for i in range(3):
        q1 = _one(q, i)
        out, Z = _latent_vector(q1, u, W)
        bias, sig = _bias_and_sig(design, rng)
        # the same draw as a one-draw "posterior" for the numpy side
        learned = [sc for sc in design.scales if ":" in sc]
        post = xr.Dataset(
            {
                **{
                    B.INITIAL_STATE[s]: (("chain", "draw"), [[float(out["init"][s])]])
                    for s in B.INITIAL_STATE
                },
                "obs_bias": (("chain", "draw", "bias"), bias[None, None, :]),
                "discrepancy": (
                    ("chain", "draw", "scale"),
                    sig[[design.scales.index(sc) for sc in learned]][None, None, :],
                ),
            },
            coords={"bias": bias_names, "scale": learned},
        )
        latents = {k: np.asarray(v)[None, None, :] for k, v in out.items() if k != "init"}
        loc, scale, nu, _ = B.row_predictions(post, latents, design)
        expected = stats.t.logpdf(y, df=nu, loc=loc[0, 0], scale=scale[0, 0]).sum()
        got = float(loglik(Z, bias, sig))
        assert np.isfinite(expected)
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-8), i
