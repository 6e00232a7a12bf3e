"""The one definition of the reception-chain dynamics.

Everything here works on numpy arrays *and* pytensor tensors: every function takes an
``xp`` namespace (``NP`` or ``PT`` below) with the handful of ops it needs.  All arrays
broadcast over leading batch dimensions (draws, scenarios, ...) with **time as the
last axis**; scalars per batch element have shape ``batch`` (no time axis).

Monthly time grid; stocks are end-of-month values; flows are monthly totals.

Chain (all identities exact, all stocks >= 0 by construction; docs/model.md has the full text):

    instroom_t   = exp(level_t + season[m(t)])          (level: centred random walk, larger steps at shocks)
    repeat_t     = sigmoid(logit_repeat_t) * instroom_t
    applications = instroom + repeat
    IND:  avail_t = B_{t-1} + applications_t
          decisions_t = h_t * avail_t                       before u["ind_switch"] (decision hazard)
          decisions_t = softmin_k(avail_t, capacity_t)      from u["ind_switch"] (capacity-limited)
          B_t = avail_t - decisions_t
          grants = g_t * decisions, rejections = (1-g_t) * decisions
    nareis_t     = ratio * exp(e_restr*restr_t + e_covid_n*covid_t) * sum_l w_l grants_{t-l}  (FIR, l=0..L-1)
    statushouders H:  avail_t = H_{t-1} + grants_t + nu*nareis_t
          housed_t = eta * avail_t                          before u["housing_switch"] (housing hazard)
          housed_t = softmin_k(avail_t, rho_t * taakstelling_t)   from u["housing_switch"]
          H_t = avail_t - housed_t
    rejected R:  R_t = (1-d) (R_{t-1} + rejections_t), departures_t = d (R_{t-1} + rejections_t)
    taakstelling backlog: TB_t = TB_0 + cumsum(taakstelling - housed) over the known-taakstelling window
    opvangbehoefte = B + H + R   (key names.OPVANGBEHOEFTE)

softmin_k(A, C) = A*C / (A^k + C^k)^(1/k)  (k=4): smooth, <= min(A, C), == A*C/(A+C)^... at A=C
~0.84*A, and within 0.1% of min(A,C) once the two differ by a factor 5.

The two capacity-limited stocks (IND backlog, statushouders) are nonlinear recursions; they
are evaluated by one small primitive ``xp.capped_stock`` with a hand-written O(T) adjoint
(numba kernels, shared by the numpy path and by the pytensor Op).  Linear recursions use the
closed form x_t = P_t (x_0 + cumsum(b/P)), P = exp(cumsum(log a)).
"""

from __future__ import annotations

import numba
import numpy as np

from forecast import names as N

SOFTMIN_K = 4.0
EPS = 1e-9
#: upper bound of a monthly hazard scaled by a policy multiplier
MAX_HAZARD = 0.999

#: latent monthly flows (order = order in the latent vector seen by the observation likelihood)
FLOWS = ("instroom", "repeat", "nareis", "decisions", "grants", "housed", "departures")
#: latent end-of-month stocks (each with its initial state in the latent vector)
STOCKS = ("ind_backlog", "statushouders", "rejected", "taak_backlog")

# --------------------------------------------------------------------------------------
# numba kernels for the capped stock recursion (2-D: batch x time)
# --------------------------------------------------------------------------------------


@numba.njit(cache=True, fastmath=False)
def _softmin_parts(a, c, k):
    m = max(a, c)
    ra = a / m
    rc = c / m
    if k == 4.0:  # the model's k: products and square roots instead of two pow() calls (~3x faster)
        pa = (ra * ra) * (ra * ra)
        pc = (rc * rc) * (rc * rc)
        s = pa + pc
        sk = 1.0 / np.sqrt(np.sqrt(s))
    else:
        pa = ra**k
        pc = rc**k
        s = pa + pc
        sk = s ** (-1.0 / k)
    f = m * ra * rc * sk
    fa = rc * sk * pc / s  # df/da
    fc = ra * sk * pa / s  # df/dc
    return f, fa, fc


@numba.njit(cache=True, fastmath=False, nogil=True)
def capped_stock_fwd(x0, inflow, cap, k):
    nb, nt = inflow.shape
    stock = np.empty((nb, nt))
    out = np.empty((nb, nt))
    for b in range(nb):
        x = x0[b]
        for t in range(nt):
            a = x + inflow[b, t]
            if a < EPS:
                a = EPS
            c = cap[b, t]
            if c < EPS:
                c = EPS
            f, _, _ = _softmin_parts(a, c, k)
            out[b, t] = f
            x = a - f
            stock[b, t] = x
    return stock, out


@numba.njit(cache=True, fastmath=False, nogil=True)
def capped_stock_bwd(x0, inflow, cap, g_stock, g_out, k):
    nb, nt = inflow.shape
    gx0 = np.empty(nb)
    ginflow = np.empty((nb, nt))
    gcap = np.empty((nb, nt))
    fa_arr = np.empty(nt)
    fc_arr = np.empty(nt)
    for b in range(nb):
        x = x0[b]
        for t in range(nt):
            a = x + inflow[b, t]
            if a < EPS:
                a = EPS
            c = cap[b, t]
            if c < EPS:
                c = EPS
            f, fa, fc = _softmin_parts(a, c, k)
            fa_arr[t] = fa
            fc_arr[t] = fc
            x = a - f
        lam_next = 0.0  # adjoint of A_{t+1} (dA_{t+1}/dx_t = 1)
        for t in range(nt - 1, -1, -1):
            lam_x = g_stock[b, t] + lam_next  # adjoint of x_t
            abar = lam_x * (1.0 - fa_arr[t]) + g_out[b, t] * fa_arr[t]
            ginflow[b, t] = abar
            gcap[b, t] = (g_out[b, t] - lam_x) * fc_arr[t]
            lam_next = abar
        gx0[b] = lam_next
    return gx0, ginflow, gcap


def _np_capped_stock(x0, inflow, cap, k=SOFTMIN_K):
    """Simulate a stock drained by a capacity-limited outflow (numpy, numba kernel).

    Each month the available stock is ``a_t = x_{t-1} + inflow_t``, the outflow
    ``softmin_k(a_t, cap_t)`` and the stock ``x_t = a_t - outflow_t`` (both ``a_t`` and ``cap_t``
    floored at ``EPS``, so the stock stays >= 0).

    Parameters
    ----------
    x0 : array_like
        The stock at the end of the month before the first, shape ``(...)``.
    inflow, cap : array_like
        Monthly inflow and outflow capacity, shape ``(..., T)``; broadcast with ``x0``.
    k : float, optional
        Sharpness of the soft minimum (default :data:`SOFTMIN_K`).

    Returns
    -------
    stock : numpy.ndarray
        End-of-month stock, shape ``(..., T)`` (the broadcast shape).
    outflow : numpy.ndarray
        Monthly outflow, same shape.
    """
    x0, inflow, cap = np.asarray(x0, float), np.asarray(inflow, float), np.asarray(cap, float)
    shape = np.broadcast_shapes((*x0.shape, 1), inflow.shape, cap.shape)
    T = shape[-1]
    x0b = np.ascontiguousarray(np.broadcast_to(x0[..., None], shape)[..., 0]).reshape(-1)
    ib = np.ascontiguousarray(np.broadcast_to(inflow, shape)).reshape(-1, T)
    cb = np.ascontiguousarray(np.broadcast_to(cap, shape)).reshape(-1, T)
    s, o = capped_stock_fwd(x0b, ib, cb, float(k))
    return s.reshape(shape), o.reshape(shape)


# --------------------------------------------------------------------------------------
# pytensor Op wrapping the kernels (lazy import so the numpy path never needs pytensor)
# --------------------------------------------------------------------------------------

_PT_OPS = {}


def _pt_ops():
    if _PT_OPS:
        return _PT_OPS
    import pytensor.tensor as pt
    from pytensor.gradient import DisconnectedType
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

    class CappedStock(Op):
        """(x0[B], inflow[B,T], cap[B,T]) -> (stock[B,T], outflow[B,T])."""

        __props__ = ("k",)

        def __init__(self, k=SOFTMIN_K):
            self.k = float(k)

        def make_node(self, x0, inflow, cap):
            x0 = pt.as_tensor_variable(x0).astype("float64")
            inflow = pt.as_tensor_variable(inflow).astype("float64")
            cap = pt.as_tensor_variable(cap).astype("float64")
            return Apply(self, [x0, inflow, cap], [inflow.type(), inflow.type()])

        def perform(self, node, inputs, outputs):
            s, o = capped_stock_fwd(*[np.ascontiguousarray(v) for v in inputs], self.k)
            outputs[0][0] = s
            outputs[1][0] = o

        def pullback(self, inputs, outputs, cotangents):
            gs, go = cotangents
            if isinstance(gs.type, DisconnectedType):
                gs = pt.zeros_like(inputs[1])
            if isinstance(go.type, DisconnectedType):
                go = pt.zeros_like(inputs[1])
            return list(CappedStockGrad(self.k)(*inputs, gs, go))

    class CappedStockGrad(Op):
        __props__ = ("k",)

        def __init__(self, k=SOFTMIN_K):
            self.k = float(k)

        def make_node(self, x0, inflow, cap, gs, go):
            ins = [pt.as_tensor_variable(v).astype("float64") for v in (x0, inflow, cap, gs, go)]
            return Apply(self, ins, [ins[0].type(), ins[1].type(), ins[1].type()])

        def perform(self, node, inputs, outputs):
            r = capped_stock_bwd(*[np.ascontiguousarray(v) for v in inputs], self.k)
            for i in range(3):
                outputs[i][0] = r[i]

    @register_funcify_default_op_cache_key(CappedStock)
    def _funcify_fwd(op, node=None, **kw):
        k = op.k

        @numba.njit
        def f(x0, inflow, cap):
            return capped_stock_fwd(
                np.ascontiguousarray(x0), np.ascontiguousarray(inflow), np.ascontiguousarray(cap), k
            )

        return f

    @register_funcify_default_op_cache_key(CappedStockGrad)
    def _funcify_bwd(op, node=None, **kw):
        k = op.k

        @numba.njit
        def f(x0, inflow, cap, gs, go):
            return capped_stock_bwd(
                np.ascontiguousarray(x0),
                np.ascontiguousarray(inflow),
                np.ascontiguousarray(cap),
                np.ascontiguousarray(gs),
                np.ascontiguousarray(go),
                k,
            )

        return f

    _PT_OPS["fwd"] = CappedStock(SOFTMIN_K)
    return _PT_OPS


def _pt_capped_stock(x0, inflow, cap, k=SOFTMIN_K):
    """Simulate a stock drained by a capacity-limited outflow (pytensor).

    The same recursion as :meth:`NP.capped_stock`, as one Op on the numba kernels with a
    hand-written O(T) adjoint.

    Parameters
    ----------
    x0 : tensor_like
        The stock at the end of the month before the first, shape ``(...)``.
    inflow, cap : tensor_like
        Monthly inflow and outflow capacity, shape ``(..., T)``; broadcast with ``x0``.
    k : float, optional
        Sharpness of the soft minimum; only :data:`SOFTMIN_K` (the default) is supported.

    Returns
    -------
    stock : pytensor.tensor.TensorVariable
        End-of-month stock, shape ``(..., T)``.
    outflow : pytensor.tensor.TensorVariable
        Monthly outflow, same shape.
    """
    import pytensor.tensor as pt

    x0, inflow, cap = (pt.as_tensor_variable(v) for v in (x0, inflow, cap))
    ndim = max(x0.ndim + 1, inflow.ndim, cap.ndim)
    x0e = x0[..., None]
    x0b, ib, cb = pt.broadcast_arrays(x0e, inflow, cap)
    T = ib.shape[-1]
    shape = ib.shape
    op = _pt_ops()["fwd"] if k == SOFTMIN_K else None
    s, o = op(x0b[..., 0].reshape((-1,)), ib.reshape((-1, T)), cb.reshape((-1, T)))
    s = s.reshape(shape, ndim=ndim)
    o = o.reshape(shape, ndim=ndim)
    return s, o


# --------------------------------------------------------------------------------------
# the op namespaces
# --------------------------------------------------------------------------------------


class NP:
    """The numpy namespace ``xp`` of the chain's functions (for the posterior and forecasts)."""

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)
    maximum = staticmethod(np.maximum)
    stack = staticmethod(lambda xs, axis=0: np.stack(np.broadcast_arrays(*xs), axis=axis))

    @staticmethod
    def concatenate(xs, axis=-1):
        """Concatenate along the last axis, broadcasting the batch axes.

        Unlike :meth:`PT.concatenate`, parts with different batch shapes (a draw's initial stock
        next to monthly paths that also vary by scenario, say) are broadcast to a common batch
        shape first.

        Parameters
        ----------
        xs : sequence of array_like
            The parts, time (or another axis to join) last.
        axis : int, optional
            The axis to join along (default -1). Along another than the last, the parts are
            joined by :func:`numpy.concatenate` without broadcasting.

        Returns
        -------
        numpy.ndarray
            The joined array.
        """
        if axis not in (-1, max(np.ndim(x) for x in xs) - 1):
            return np.concatenate(xs, axis=axis)
        xs = [np.asarray(x) for x in xs]
        batch = np.broadcast_shapes(*(x.shape[:-1] for x in xs))
        return np.concatenate([np.broadcast_to(x, (*batch, x.shape[-1])) for x in xs], axis=-1)

    cumsum = staticmethod(lambda x, axis=-1: np.cumsum(x, axis=axis))
    sum = staticmethod(lambda x, axis=-1: np.sum(x, axis=axis))
    take = staticmethod(lambda x, idx, axis=-1: np.take(x, idx, axis=axis))
    zeros_like = staticmethod(np.zeros_like)
    asarray = staticmethod(lambda x: np.asarray(x, dtype=float))
    capped_stock = staticmethod(_np_capped_stock)

    @staticmethod
    def sigmoid(x):
        """Return the logistic function ``1 / (1 + exp(-x))``, computed stably as ``(1 + tanh(x/2)) / 2``.

        Parameters
        ----------
        x : array_like
            Values on the logit scale.

        Returns
        -------
        numpy.ndarray
            Values in [0, 1].
        """
        return 0.5 * (1.0 + np.tanh(0.5 * x))

    @staticmethod
    def log_sigmoid(x):
        """Return ``log(sigmoid(x))``, computed stably as ``-logaddexp(0, -x)``.

        Parameters
        ----------
        x : array_like
            Values on the logit scale.

        Returns
        -------
        numpy.ndarray
            Values <= 0.
        """
        return -np.logaddexp(0.0, -x)

    @staticmethod
    def softmax(x, axis=-1):
        """Return the softmax of ``x`` along ``axis`` (shifted by the maximum for stability).

        Parameters
        ----------
        x : numpy.ndarray
            Log weights.
        axis : int, optional
            The axis to normalise over (default -1).

        Returns
        -------
        numpy.ndarray
            Positive weights summing to 1 along ``axis``, same shape as ``x``.
        """
        z = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)

    @staticmethod
    def broadcast_to_shape_of(x, ref):
        """Broadcast ``x`` to the common shape of ``x`` and ``ref``.

        Parameters
        ----------
        x : array_like
            The array to broadcast.
        ref : array_like
            An array whose shape ``x`` is broadcast against.

        Returns
        -------
        numpy.ndarray
            A read-only broadcast view of ``x``.
        """
        return np.broadcast_to(x, np.broadcast_shapes(np.shape(x), np.shape(ref)))


class PT:
    """The pytensor namespace ``xp`` of the chain's functions (the PyMC model; imports pytensor lazily)."""

    @staticmethod
    def _pt():
        import pytensor.tensor as pt

        return pt

    exp = staticmethod(lambda x: PT._pt().exp(x))
    log = staticmethod(lambda x: PT._pt().log(x))
    sqrt = staticmethod(lambda x: PT._pt().sqrt(x))
    maximum = staticmethod(lambda a, b: PT._pt().maximum(a, b))
    sigmoid = staticmethod(lambda x: PT._pt().sigmoid(x))
    log_sigmoid = staticmethod(lambda x: -PT._pt().softplus(-x))
    cumsum = staticmethod(lambda x, axis=-1: PT._pt().cumsum(x, axis=axis))
    sum = staticmethod(lambda x, axis=-1: PT._pt().sum(x, axis=axis))
    take = staticmethod(lambda x, idx, axis=-1: PT._pt().take(x, idx, axis=axis))
    zeros_like = staticmethod(lambda x: PT._pt().zeros_like(x))
    asarray = staticmethod(lambda x: PT._pt().as_tensor_variable(x))
    capped_stock = staticmethod(_pt_capped_stock)

    @staticmethod
    def stack(xs, axis=0):
        """Stack tensors along a new axis, after broadcasting them to a common shape.

        Parameters
        ----------
        xs : sequence of tensor_like
            The tensors.
        axis : int, optional
            Position of the new axis (default 0).

        Returns
        -------
        pytensor.tensor.TensorVariable
            The stacked tensor.
        """
        pt = PT._pt()
        return pt.stack(pt.broadcast_arrays(*xs), axis=axis)

    @staticmethod
    def concatenate(xs, axis=-1):
        """Concatenate tensors along an axis (no broadcasting: the other dimensions must match).

        Parameters
        ----------
        xs : sequence of tensor_like
            The parts, with the same number of dimensions.
        axis : int, optional
            The axis to join along (default -1, time).

        Returns
        -------
        pytensor.tensor.TensorVariable
            The joined tensor.
        """
        pt = PT._pt()
        return pt.concatenate(xs, axis=axis)

    @staticmethod
    def softmax(x, axis=-1):
        """Return the softmax of ``x`` along ``axis`` (:func:`pytensor.tensor.special.softmax`).

        Parameters
        ----------
        x : tensor_like
            Log weights.
        axis : int, optional
            The axis to normalise over (default -1).

        Returns
        -------
        pytensor.tensor.TensorVariable
            Positive weights summing to 1 along ``axis``.
        """
        import pytensor.tensor.special as ps

        return ps.softmax(x, axis=axis)


# --------------------------------------------------------------------------------------
# generic building blocks (written once, xp-agnostic)
# --------------------------------------------------------------------------------------


def linear_recursion(x0, a, b, xp):
    """Solve the linear recursion x_t = a_t x_{t-1} + b_t (a_t > 0) in closed form.

    ``x_t = P_t (x0 + cumsum(b/P)_t)`` with ``P = cumprod(a)`` (computed as ``exp(cumsum(log a))``).

    Parameters
    ----------
    x0 : array
        The state before the first month, shape ``(...)``.
    a : array
        Positive monthly factors, shape ``(..., T)``.
    b : array
        Monthly additions, shape ``(..., T)``.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    array
        ``x_t`` for each month, shape ``(..., T)``.
    """
    logP = xp.cumsum(xp.log(a), axis=-1)
    P = xp.exp(logP)
    return P * (x0[..., None] + xp.cumsum(b / P, axis=-1))


def random_walk(x0, sigma, z, xp):
    """Build a non-centred Gaussian random walk x_t = x0 + sigma * sum_{s<=t} z_s.

    Parameters
    ----------
    x0 : array
        The starting value, shape ``(...)`` (not itself part of the result).
    sigma : array
        The step sd, shape ``(...)``.
    z : array
        Standard-normal innovations, shape ``(..., n)``.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    array
        The ``n`` values after each step, shape ``(..., n)``.
    """
    return x0[..., None] + sigma[..., None] * xp.cumsum(z, axis=-1)


def knot_path(x0, sigma, z, W, xp):
    """Interpolate a Gaussian random walk on K knots to months.

    The first knot is ``x0``, the others follow by :func:`random_walk`; the knots are then
    linearly interpolated to months with the fixed matrix ``W``.

    Parameters
    ----------
    x0 : array
        Value at the first knot, shape ``(...)``.
    sigma : array
        Step sd between knots, shape ``(...)``.
    z : array
        Standard-normal innovations, shape ``(..., K-1)``.
    W : numpy.ndarray
        Interpolation matrix ``(T, K)`` (:func:`interp_matrix`).
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    array
        The monthly path, shape ``(..., T)``.
    """
    knots = xp.concatenate([x0[..., None], random_walk(x0, sigma, z, xp)], axis=-1)
    return knots @ W.T


def interp_matrix(T, knot_months):
    """Build the linear interpolation matrix from knots to months.

    Parameters
    ----------
    T : int
        Number of months.
    knot_months : array_like
        Month indices of the K knots, increasing.

    Returns
    -------
    numpy.ndarray
        Shape ``(T, K)``: row ``t`` holds the knots' weights in month ``t`` (summing to 1); months
        before the first or after the last knot take that knot's value.
    """
    knot_months = np.asarray(knot_months, float)
    W = np.zeros((T, len(knot_months)))
    eye = np.eye(len(knot_months))
    for j in range(len(knot_months)):
        W[:, j] = np.interp(np.arange(T), knot_months, eye[j])
    return W


def lag_weights(lag_mean, lag_shape, L, xp):
    """Discretise a gamma lag distribution on 0..L-1 months (midpoint rule, renormalised).

    Parameters
    ----------
    lag_mean : array
        Mean of the gamma lag in months, shape ``(...)``.
    lag_shape : array
        Its shape parameter, shape ``(...)`` (the rate is ``lag_shape / lag_mean``).
    L : int
        Number of lags.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    array
        Weights of lags 0..L-1 summing to 1, shape ``(..., L)``: the gamma density at
        ``l + 0.5``, normalised.
    """
    lag = np.arange(L) + 0.5
    logw = (lag_shape[..., None] - 1.0) * np.log(lag) - lag * (lag_shape / lag_mean)[..., None]
    return xp.softmax(logw, axis=-1)


def fir_conv(xx, w, L, T, xp):
    """Apply the causal FIR filter y_t = sum_{l<L} w_l x_{t-l}.

    One gather of a (T, L) window matrix + a weighted sum: O(T*L), no dense T x T kernel (in
    numpy, the same sum as L shifted slices).

    Parameters
    ----------
    xx : array
        ``[history (L-1), x (T)]`` along the last axis: the L-1 values before the first month
        (oldest first), then the T monthly values; shape ``(..., L-1+T)``.
    w : array
        Weights of lags 0..L-1, shape ``(..., L)``.
    L : int
        Number of lags.
    T : int
        Number of months.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    array
        ``y``, shape ``(..., T)``.
    """
    if xp is NP:
        # numpy: the same sum as L shifted slices (no (..., T, L) window array: forecast batches are large)
        w = np.asarray(w)
        out = w[..., 0:1] * xx[..., L - 1 : L - 1 + T]
        for lag in range(1, L):
            out = out + w[..., lag : lag + 1] * xx[..., L - 1 - lag : L - 1 - lag + T]
        return out
    # index matrix (T, L): entry [t, l] = (L-1) + t - l
    idx = (L - 1) + np.arange(T)[:, None] - np.arange(L)[None, :]
    windows = xp.take(xx, idx.reshape(-1), axis=-1)  # (..., T*L)
    if hasattr(windows, "type"):
        windows = windows.reshape(
            (*[windows.shape[i] for i in range(windows.ndim - 1)], T, L), ndim=windows.ndim + 1
        )
    else:
        windows = windows.reshape((*windows.shape[:-1], T, L))
    return xp.sum(windows * w[..., None, :], axis=-1)


def hazard_then_capped(x0, inflow, hazard, capacity, switch: int, xp):
    """A stock drained by a monthly hazard before month ``switch`` and by a capped outflow from then on.

    Before the switch (months ``< switch``) the outflow is ``hazard_t * (x_{t-1} + inflow_t)``, a linear
    recursion in closed form; from the switch on it is ``softmin(x_{t-1} + inflow_t, capacity_t)``
    (:func:`capped_stock`), starting from the stock at the switch. Used for the IND backlog and for the
    statushouders waiting for a home.

    Parameters
    ----------
    x0 : array
        The initial stock, shape ``(...)``.
    inflow, capacity : array
        Monthly inflow and outflow capacity, shape ``(..., T)``.
    hazard : array or None
        The monthly hazard before the switch, shape ``(..., switch)``; None when ``switch`` is 0.
    switch : int
        The first month of the capped regime.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    stock : array
        End-of-month stock, shape ``(..., T)``.
    outflow : array
        Monthly outflow, shape ``(..., T)``.
    """
    if switch <= 0:
        return xp.capped_stock(x0, inflow, capacity)
    inflow1 = inflow[..., :switch]
    stock1 = linear_recursion(x0, 1.0 - hazard, (1.0 - hazard) * inflow1, xp)
    prev1 = xp.concatenate([x0[..., None], stock1[..., :-1]], axis=-1)
    outflow1 = hazard * (prev1 + inflow1)
    stock2, outflow2 = xp.capped_stock(stock1[..., -1], inflow[..., switch:], capacity[..., switch:])
    return xp.concatenate([stock1, stock2], axis=-1), xp.concatenate([outflow1, outflow2], axis=-1)


def simulate_chain(p, u, xp):
    """Simulate the chain: monthly flows and end-of-month stocks from parameters and known inputs.

    Expected in ``p`` (batch dims ``...``; paths have time as the last axis):
    ``log_level`` (..., T) log level of first applications (season excluded), ``season`` (..., 12),
    ``logit_repeat``, ``log_capacity``, ``logit_grant``, ``log_realisation`` (..., T) paths,
    ``logit_hazard`` and ``logit_housing_hazard`` (..., T) the logit monthly decision and housing
    hazards before the switches (only their months before ``u["ind_switch"]`` /
    ``u["housing_switch"]`` are read),
    ``housing_latent`` (..., T) municipal housing capacity per month where the taakstelling is not
    an input (zero elsewhere), scalars ``backlog0``, ``statushouders0``, ``rejected0``,
    ``taak_backlog0``, ``nareis_ratio``, ``lag_mean``, ``lag_shape``, ``log_grants_pre``,
    ``nareis_housing_share``, ``departure_rate`` and the event effects ``eff_*``.

    Expected in ``u``: ``month_of_year`` (T,), ``nareis_L``, event indicators ``ev_*`` (T,),
    ``taakstelling`` (T,) monthly target (0 where not an input), ``taak_mask`` (T,) 1 where the
    taakstelling is an input, ``tb_mask`` (T,) 1 in the window over which the taakstelling backlog
    is accumulated.

    Optional, for simulating forward (absent in the fit, where they would all be neutral):

    * ``p["mult_<target>"]`` (..., T) for every target of :data:`forecast.names.MULTIPLIER_TARGETS`:
      a policy multiplier on first applications (``instroom``), nareis (``nareis``), the IND's
      decision capacity / hazard (``decision_rate``), the municipal housing capacity / hazard
      (``housing_rate``) and the departure hazard (``departure_rate``; capped below 1). A multiplier
      of exactly 1 gives exactly the chain without it.
    * ``p["grants_hist"]`` (..., L-1): the grants of the L-1 months before t=0 (oldest first) for
      the nareis lag; default a constant ``exp(log_grants_pre)``.
    * ``u["ind_switch"] = 0`` / ``u["housing_switch"] = 0``: the capacity regimes from the first month.
    * ``u["taak_rule"]`` (T, T) and ``u["taak_rule_mask"]`` (T,): in months where the mask is 1 the
      monthly taakstelling is not an input but ``p["taak_ratio"]`` (..., T) times
      ``taak_rule @ housing_inflow + p["taak_rule_past"]`` (the rule a forecast uses for half-years
      whose taakstelling is not yet set; ``taak_rule_past`` (..., T) holds the part of the rule that
      falls before t=0).

    Parameters
    ----------
    p : dict
        Parameters and latent monthly paths (numpy arrays or pytensor tensors), keyed as above.
    u : dict
        Known inputs (:func:`~forecast.model.design.build_inputs`, or a forecast's), keyed as above.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    dict
        Monthly flows (persons per month, time last): ``instroom``, ``repeat``, ``applications``,
        ``decisions``, ``grants``, ``rejections``, ``nareis``, ``housing_inflow``, ``housed``,
        ``departures``; rates and capacities: ``grant_rate``, ``departure_rate``,
        ``ind_capacity``, ``housing_capacity``, ``taakstelling``; end-of-month stocks (persons):
        ``ind_backlog``, ``statushouders``, ``rejected``, ``opvangbehoefte`` (their sum) and
        ``taak_backlog``; and ``init``, a dict of the four stocks at the end of the month before
        t=0, shape ``(...)``.
    """
    T = np.shape(u["month_of_year"])[-1]
    L = int(u["nareis_L"])

    mult = {t: p.get(f"mult_{t}") for t in N.MULTIPLIER_TARGETS}

    def _m(target, x, months=slice(None)):
        """``x`` times the target's multiplier over ``months`` (x may cover only those months)."""
        if mult[target] is None:
            return x
        m = mult[target]
        return x * (m[..., months] if getattr(m, "ndim", np.ndim(m)) else m)

    season = xp.take(p["season"], u["month_of_year"], axis=-1)
    instroom = _m(N.TARGET_INSTROOM, xp.exp(p["log_level"] + season))
    repeat = xp.sigmoid(p["logit_repeat"]) * instroom
    applications = instroom + repeat

    # IND.  Before month ``ind_switch`` (2021-01): a decision hazard h_t on the available stock (linear,
    # closed form): decisions = h * (B_{t-1} + applications).  From ind_switch on: decisions limited by a
    # slowly varying capacity (capped stock).  The hazard regime keeps the backlog a contraction of recent
    # applications; a capacity regime there made the COA-pinned backlog a difference of long cumulative
    # sums, i.e. an extremely stiff posterior direction (the prototype's ~1000 leapfrog steps per draw).
    s = int(u["ind_switch"])
    capacity = _m(
        N.TARGET_DECISION_RATE,
        xp.exp(p["log_capacity"] + p["eff_moratorium_cap"][..., None] * u["ev_moratorium"]),
    )
    h = _m(N.TARGET_DECISION_RATE, xp.sigmoid(p["logit_hazard"][..., :s]), slice(None, s)) if s > 0 else None
    backlog, decisions = hazard_then_capped(p["backlog0"], applications, h, capacity, s, xp)
    grant_rate = xp.sigmoid(p["logit_grant"] + p["eff_moratorium_grant"][..., None] * u["ev_moratorium"])
    grants = grant_rate * decisions
    rejections = decisions - grants

    # nareis: lagged share of earlier grants (FIR of length L; pre-sample grants at a constant level)
    w = lag_weights(p["lag_mean"], p["lag_shape"], L, xp)
    g_hist = p.get("grants_hist")
    if g_hist is None:
        g_hist = xp.exp(p["log_grants_pre"])[..., None] * np.ones(L - 1)
    xx = _concat_hist(g_hist, grants, xp)
    lagged = fir_conv(xx, w, L, T, xp)
    nareis = _m(N.TARGET_NAREIS, 1.0) * (
        p["nareis_ratio"][..., None]
        * xp.exp(
            p["eff_nareis_restriction"][..., None] * u["ev_nareis_restriction"]
            + p["eff_covid_nareis"][..., None] * u["ev_covid"]
        )
        * lagged
    )

    # statushouders waiting for housing.  Housing capacity = realisation rate x taakstelling where the
    # taakstelling is a known input; a latent municipal housing capacity where it is not.
    h_inflow = grants + p["nareis_housing_share"][..., None] * nareis
    mask = u["taak_mask"]
    taakstelling = u["taakstelling"]
    if "taak_rule" in u:  # the forecast's rule for half-years whose taakstelling is not set yet
        rule_mask = u["taak_rule_mask"]
        taakstelling = (1.0 - rule_mask) * taakstelling + rule_mask * p["taak_ratio"] * (
            _apply_rule(h_inflow, np.asarray(u["taak_rule"]), xp) + p["taak_rule_past"]
        )
    housing_cap = _m(
        N.TARGET_HOUSING_RATE,
        mask * xp.exp(p["log_realisation"] + p["eff_asieldeal"][..., None] * u["ev_asieldeal"]) * taakstelling
        + (1.0 - mask) * p["housing_latent"],
    )
    # Before month ``housing_switch`` (2019-01, the first half-year from which every taakstelling is an
    # input) housing is a hazard on the waiting stock (linear, closed form) - for the same stiffness reason
    # as the IND hazard above; from then on it is capped by the housing capacity.
    sh = int(u["housing_switch"])
    hh = None
    if sh > 0:
        hh = _m(N.TARGET_HOUSING_RATE, xp.sigmoid(p["logit_housing_hazard"][..., :sh]), slice(None, sh))
    statushouders, housed = hazard_then_capped(p["statushouders0"], h_inflow, hh, housing_cap, sh, xp)

    # rejected, not yet departed: constant hazard d on the available stock (closed-form linear recursion);
    # a departure multiplier keeps the hazard below 1
    d = p["departure_rate"][..., None] * np.ones(T)
    if mult[N.TARGET_DEPARTURE_RATE] is not None:
        d = -xp.maximum(-(d * mult[N.TARGET_DEPARTURE_RATE]), -MAX_HAZARD)
    rejected = linear_recursion(p["rejected0"], 1.0 - d, (1.0 - d) * rejections, xp)
    rejected_prev = xp.concatenate([p["rejected0"][..., None], rejected[..., :-1]], axis=-1)
    departures = d * (rejected_prev + rejections)

    # taakstelling backlog, accumulated only over the window where the taakstelling is an input
    tb = np.asarray(u["tb_mask"])
    if tb.any():
        taak_backlog = p["taak_backlog0"][..., None] + xp.cumsum(tb * (taakstelling - housed), axis=-1)
    else:  # no window with a known taakstelling (a forecast): the backlog stays at its anchor
        taak_backlog = p["taak_backlog0"][..., None] + 0.0 * tb

    return {
        # flows
        "instroom": instroom,
        "repeat": repeat,
        "applications": applications,
        "decisions": decisions,
        "grants": grants,
        "rejections": rejections,
        "nareis": nareis,
        "housing_inflow": h_inflow,
        "housed": housed,
        "departures": departures,
        # rates / capacities
        "grant_rate": grant_rate,
        "departure_rate": d,
        "ind_capacity": capacity,
        "housing_capacity": housing_cap,
        "taakstelling": taakstelling,
        # stocks (end of month)
        "ind_backlog": backlog,
        "statushouders": statushouders,
        "rejected": rejected,
        N.OPVANGBEHOEFTE: backlog + statushouders + rejected,
        "taak_backlog": taak_backlog,
        # initial stocks (..., ) at the end of the month before t=0
        "init": {
            "ind_backlog": p["backlog0"],
            "statushouders": p["statushouders0"],
            "rejected": p["rejected0"],
            "taak_backlog": p["taak_backlog0"],
        },
    }


def _apply_rule(x, rule, xp):
    """``x @ rule.T`` over the last axis. In numpy as a sum over the rule's non-zero columns in a fixed
    order, so that the result does not depend on the batch shape (BLAS may block differently for a
    differently shaped batch, which changes the last bits)."""
    if xp is not NP:
        return x @ rule.T
    out = np.zeros((*np.shape(x)[:-1], rule.shape[0]))
    for j in np.flatnonzero(np.any(rule != 0, axis=0)):
        out = out + x[..., j : j + 1] * rule[:, j]
    return out


def _concat_hist(hist, x, xp):
    """concatenate a (…, H) history in front of x (…, T), broadcasting batch dims."""
    if xp is NP:
        bshape = np.broadcast_shapes(hist.shape[:-1], x.shape[:-1])
        return np.concatenate(
            [np.broadcast_to(hist, bshape + hist.shape[-1:]), np.broadcast_to(x, bshape + x.shape[-1:])],
            axis=-1,
        )
    pt = PT._pt()
    zh = pt.zeros_like(x[..., :1])  # batch shape of x
    zx = pt.zeros_like(hist[..., :1])
    return pt.concatenate([hist + zh, x + zx], axis=-1)
