"""Fused mixed-frequency observation likelihood: one pytensor Op (numba kernel) that maps the
latent vector Z = [flows (F*T), stocks (S*(T+1))] to the Student-t log-likelihood of all used
observations, and returns its gradient in the same pass.

It is the kernel form of the observation model of :mod:`forecast.model.build`: each used row's
latent aggregate (:class:`~forecast.model.design.Design`) plus its bias, with a Student-t term on
the log / logit / linear scale; :func:`forecast.model.build.row_predictions` computes the same
location and scale in numpy for the posterior predictive. Replacing ~250 small graph nodes by one
cut the gradient cost and the numba compile time.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from forecast.names import Likelihood


@numba.njit(cache=True, fastmath=False)
def obs_loglik_and_grad(
    Z, bias, sig, z_index, z_weight, agg_start, agg_end, num_agg, den_agg, lik, grp, sgrp, y, extra2, nu
):
    n_agg = agg_start.shape[0]
    # no bounds checks below (numba): a short bias or sd vector would read and write past its end
    if grp.shape[0] and np.max(grp) >= bias.shape[0]:
        raise ValueError("obs_loglik: fewer biases than bias groups")
    if sgrp.shape[0] and np.max(sgrp) >= sig.shape[0]:
        raise ValueError("obs_loglik: fewer discrepancy sds than scales")
    if z_index.shape[0] and np.max(z_index) >= Z.shape[0]:
        raise ValueError("obs_loglik: the latent vector is shorter than the design")
    agg = np.zeros(n_agg)
    for a in range(n_agg):
        s = 0.0
        for e in range(agg_start[a], agg_end[a] + 1):
            s += Z[z_index[e]] * z_weight[e]
        agg[a] = s
    gagg = np.zeros(n_agg)
    gbias = np.zeros(bias.shape[0])
    gsig = np.zeros(sig.shape[0])
    const = math.lgamma((nu + 1.0) / 2.0) - math.lgamma(nu / 2.0) - 0.5 * math.log(nu * math.pi)
    lp = 0.0
    for i in range(y.shape[0]):
        g = grp[i]
        k = sgrp[i]
        num = agg[num_agg[i]]
        if num < 1e-12:
            num = 1e-12
        if lik[i] == Likelihood.LOG:
            pred = math.log(num) + bias[g]
        elif lik[i] == Likelihood.LOGIT:
            den = agg[den_agg[i]]
            r = num / den
            if r > 1.0 - 1e-12:
                r = 1.0 - 1e-12
            pred = math.log(r) - math.log1p(-r) + bias[g]
        else:
            pred = agg[num_agg[i]] + bias[g]
        var = sig[k] * sig[k] + extra2[i]
        sd = math.sqrt(var)
        res = (y[i] - pred) / sd
        q = 1.0 + res * res / nu
        lp += const - math.log(sd) - 0.5 * (nu + 1.0) * math.log(q)
        dpred = (nu + 1.0) * res / (sd * (nu + res * res))
        dsd = -1.0 / sd + (nu + 1.0) * res * res / (sd * (nu + res * res))
        gsig[k] += dsd * sig[k] / sd
        gbias[g] += dpred
        if lik[i] == Likelihood.LOG:
            gagg[num_agg[i]] += dpred / num
        elif lik[i] == Likelihood.LOGIT:
            dr = dpred / (r * (1.0 - r))
            gagg[num_agg[i]] += dr / den
            gagg[den_agg[i]] -= dr * num / (den * den)
        else:
            gagg[num_agg[i]] += dpred
    gZ = np.zeros(Z.shape[0])
    for a in range(n_agg):
        ga = gagg[a]
        if ga != 0.0:
            for e in range(agg_start[a], agg_end[a] + 1):
                gZ[z_index[e]] += ga * z_weight[e]
    return lp, gZ, gbias, gsig


def _kernel_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the likelihood kernel's source: part of PyTensor's on-disk cache key,
    so that an edited kernel is never read back from the cache."""
    import hashlib
    import inspect

    return hashlib.sha256(inspect.getsource(obs_loglik_and_grad.py_func).encode()).hexdigest()[:16]


def make_obs_op(design, y_t, extra2, nu):
    """Build the observation log-likelihood of a design as one fused pytensor Op.

    Parameters
    ----------
    design : Design
        The observation design (:func:`~forecast.model.design.build_design`): its aggregation
        arrays and the rows' ``lik``, ``group`` and ``scale_index`` columns are baked in as
        constants.
    y_t : numpy.ndarray or pytensor.tensor.TensorVariable
        Shape ``(rows,)``: the observed values on each row's model scale
        (:attr:`~forecast.model.design.Design.y_transformed`); a variable (the model's shared data)
        stays an input of the Op, an array becomes a constant.
    extra2 : numpy.ndarray or pytensor.tensor.TensorVariable
        Shape ``(rows,)``: the square of each row's fixed observation noise sd, on the same scale.
    nu : float
        Degrees of freedom of the Student-t errors.

    Returns
    -------
    callable
        ``f(Z, bias, sig)``, the scalar log-likelihood as a pytensor variable (with its
        gradient), where ``Z`` is the latent vector (:func:`~forecast.model.build.latent_vector`),
        ``bias`` holds one bias per (series, definition) of ``design.groups`` on the model scale,
        and ``sig`` one discrepancy sd per observation type of
        :attr:`~forecast.model.design.Design.scales`, in its order.
    """

    consts = (
        np.ascontiguousarray(design.z_index, dtype=np.int64),
        np.ascontiguousarray(design.z_weight, dtype=np.float64),
        np.ascontiguousarray(design.agg_start, dtype=np.int64),
        np.ascontiguousarray(design.agg_end, dtype=np.int64),
        np.ascontiguousarray(design.num_agg, dtype=np.int64),
        np.ascontiguousarray(np.maximum(design.den_agg, 0), dtype=np.int64),
        np.ascontiguousarray(design.rows.lik.values, dtype=np.int64),
        np.ascontiguousarray(design.rows.group.values, dtype=np.int64),
        np.ascontiguousarray(design.rows.scale_index.values, dtype=np.int64),
        _data(y_t),
        _data(extra2),
    )
    nu = float(nu)
    return _ObsOpFactory.get()(consts, nu)


def _data(values):
    """A float64 array, or a PyTensor variable as it is (data that a compiled model can swap)."""
    from pytensor.graph.basic import Variable

    return values if isinstance(values, Variable) else np.ascontiguousarray(values, dtype=np.float64)


class _ObsOpFactory:
    _cls = None

    @classmethod
    def get(cls):
        if cls._cls is not None:
            return cls._cls
        import pytensor.tensor as pt
        from pytensor.graph.basic import Apply
        from pytensor.graph.op import Op
        from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key

        class ObsLogLik(Op):
            """(Z, bias, sig, *constants) -> (logp, dlogp/dZ, dlogp/dbias, dlogp/dsig)."""

            __props__ = ("nu",)

            def __init__(self, nu):
                self.nu = nu

            def make_node(self, Z, bias, sig, *consts):
                ins = [pt.as_tensor_variable(v) for v in (Z, bias, sig, *consts)]
                outs = [pt.dscalar(), pt.dvector(), pt.dvector(), pt.dvector()]
                return Apply(self, ins, outs)

            def perform(self, node, inputs, outputs):
                r = obs_loglik_and_grad(*inputs, self.nu)
                outputs[0][0] = np.asarray(r[0])
                for j in range(3):
                    outputs[j + 1][0] = r[j + 1]

            def pullback(self, inputs, outputs, cotangents):
                from pytensor.gradient import disconnected_type

                g = cotangents[0]
                gr = [g * outputs[1], g * outputs[2], g * outputs[3]]
                return gr + [disconnected_type() for _ in inputs[3:]]

            def connection_pattern(self, node):
                n = len(node.inputs)
                return [[True, False, False, False] if j < 3 else [False] * 4 for j in range(n)]

        @register_funcify_and_cache_key(ObsLogLik)
        def _funcify(op, node=None, **kw):
            nu = op.nu

            @numba.njit
            def f(Z, bias, sig, zi, zw, a0, a1, na, da, lik, grp, sgrp, y, extra2):
                lp, gZ, gb, gs = obs_loglik_and_grad(
                    Z, bias, sig, zi, zw, a0, a1, na, da, lik, grp, sgrp, y, extra2, nu
                )
                out = np.empty(())
                out[()] = lp
                return out, gZ, gb, gs

            return f, f"forecast.ObsLogLik.nu{nu}.{_kernel_fingerprint()}"

        def apply(consts, nu):
            op = ObsLogLik(nu)

            def f(Z, bias, sig):
                return op(Z, bias, sig, *consts)[0]  # make_node: arrays become constants

            return f

        cls._cls = apply
        return apply
