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
          decisions_t = softmin_k(h_p * avail_t, capacity_t)  from u["ind_switch"] (capacity-limited,
                                                            h_p the procedure's own pace)
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

import dataclasses
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from forecast import names as N

SOFTMIN_K = 4.0
EPS = 1e-9
#: upper bound of a monthly hazard scaled by a policy multiplier
MAX_HAZARD = 0.999

#: latent monthly flows (order = order in the latent vector seen by the observation likelihood)
FLOWS = (
    "instroom",
    "repeat",
    "nareis",
    "decisions",
    "grants",
    "housed",
    "departures",
    "nareis_applications",
    "nareis_decisions",
)
#: latent end-of-month stocks (each with its initial state in the latent vector)
STOCKS = ("ind_backlog", "statushouders", "rejected", "taak_backlog", "nareis_backlog")

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
def capped_stock_fwd(x0, inflow, hazard, cap, keep, k):
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
            f, _, _ = _softmin_parts(hazard[b, t] * a, c, k)
            out[b, t] = f
            x = keep[b, t] * (a - f)
            stock[b, t] = x
    return stock, out


@numba.njit(cache=True, fastmath=False, nogil=True)
def capped_stock_bwd(x0, inflow, hazard, cap, keep, g_stock, g_out, k):
    nb, nt = inflow.shape
    gx0 = np.empty(nb)
    ginflow = np.empty((nb, nt))
    ghazard = np.empty((nb, nt))
    gcap = np.empty((nb, nt))
    gkeep = np.empty((nb, nt))
    a_arr = np.empty(nt)
    f_arr = np.empty(nt)
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
            f, fa, fc = _softmin_parts(hazard[b, t] * a, c, k)
            a_arr[t] = a
            f_arr[t] = f
            fa_arr[t] = fa
            fc_arr[t] = fc
            x = keep[b, t] * (a - f)
        lam_next = 0.0  # adjoint of a_{t+1} (da_{t+1}/dx_t = 1)
        for t in range(nt - 1, -1, -1):
            lam_x = g_stock[b, t] + lam_next  # adjoint of x_t
            h = hazard[b, t]
            kp = keep[b, t]
            # f = softmin(h a, c), x = keep (a - f)
            gf = g_out[b, t] - lam_x * kp  # adjoint of f through both outputs
            abar = lam_x * kp + gf * fa_arr[t] * h
            ginflow[b, t] = abar
            ghazard[b, t] = gf * fa_arr[t] * a_arr[t]
            gcap[b, t] = gf * fc_arr[t]
            gkeep[b, t] = lam_x * (a_arr[t] - f_arr[t])
            lam_next = abar
        gx0[b] = lam_next
    return gx0, ginflow, ghazard, gcap, gkeep


@numba.njit(cache=True, fastmath=False, nogil=True)
def housing_supply_fwd(W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half, k):
    """The supply-limited housing regime, month by month (see :func:`_np_housing_supply`)."""
    nb, nt = inflow.shape
    W_out = np.empty((nb, nt))
    H_out = np.empty((nb, nt))
    f_out = np.empty((nb, nt))
    S_out = np.empty((nb, nt))
    A_out = np.empty((nb, nt))
    ob_out = np.empty((nb, nt))
    for b in range(nb):
        W = W0[b]
        S = S0[b]
        A = A0[b]
        Ah = Ah0[b]
        for t in range(nt):
            if half[t] > 0.5:
                Ah = A
            r = Ah if Ah > 0.0 else 0.0
            ob = taak[b, t] + extra[b, t] + kappa[b] * r / 6.0
            S = (1.0 - lam[b]) * S + lam[b] * gain[b, t] * ob
            a = W + inflow[b, t]
            if a < EPS:
                a = EPS
            c = S
            if c < EPS:
                c = EPS
            f, _, _ = _softmin_parts(match[b, t] * a, c, k)
            W = keep[b, t] * (a - f)
            H = a - W
            A = A + taak[b, t] - H
            W_out[b, t] = W
            H_out[b, t] = H
            f_out[b, t] = f
            S_out[b, t] = S
            A_out[b, t] = A
            ob_out[b, t] = ob
    return W_out, H_out, f_out, S_out, A_out, ob_out


@numba.njit(cache=True, fastmath=False, nogil=True)
def housing_supply_bwd(
    W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half, gW, gH, gf, gS, gA, gO, k
):
    """The hand-written adjoint of :func:`housing_supply_fwd` (one reverse pass, ob(T))."""
    nb, nt = inflow.shape
    gW0 = np.empty(nb)
    gS0 = np.empty(nb)
    gA0 = np.empty(nb)
    gAh0 = np.empty(nb)
    ginflow = np.empty((nb, nt))
    gtaak = np.empty((nb, nt))
    gextra = np.empty((nb, nt))
    ggain = np.empty((nb, nt))
    gmatch = np.empty((nb, nt))
    gkeep = np.empty((nb, nt))
    glam = np.zeros(nb)
    gkappa = np.zeros(nb)
    a_arr = np.empty(nt)
    f_arr = np.empty(nt)
    fa_arr = np.empty(nt)
    fc_arr = np.empty(nt)
    r_arr = np.empty(nt)
    pos_arr = np.empty(nt)
    ob_arr = np.empty(nt)
    Sprev_arr = np.empty(nt)
    tgt_arr = np.empty(nt)
    clampS = np.empty(nt)
    for b in range(nb):
        W = W0[b]
        S = S0[b]
        A = A0[b]
        Ah = Ah0[b]
        for t in range(nt):
            if half[t] > 0.5:
                Ah = A
            r = Ah if Ah > 0.0 else 0.0
            pos_arr[t] = 1.0 if Ah > 0.0 else 0.0
            r_arr[t] = r
            ob = taak[b, t] + extra[b, t] + kappa[b] * r / 6.0
            ob_arr[t] = ob
            Sprev_arr[t] = S
            tgt = gain[b, t] * ob
            tgt_arr[t] = tgt
            S = (1.0 - lam[b]) * S + lam[b] * tgt
            a = W + inflow[b, t]
            if a < EPS:
                a = EPS
            c = S
            clampS[t] = 1.0
            if c < EPS:
                c = EPS
                clampS[t] = 0.0
            f, fa, fc = _softmin_parts(match[b, t] * a, c, k)
            a_arr[t] = a
            f_arr[t] = f
            fa_arr[t] = fa
            fc_arr[t] = fc
            W = keep[b, t] * (a - f)
            H = a - W
            A = A + taak[b, t] - H
        # reverse pass: adjoints flowing back from month t+1
        abar_next = 0.0  # adjoint of a_{t+1} (= of W_t through a_{t+1})
        Abar_next = 0.0  # adjoint of A_t through A_{t+1} = A_t + ...
        Ahbar_next = 0.0  # adjoint of Ah_{t+1}
        half_next = 0.0
        Sbar_next = 0.0  # adjoint of S_{t+1} (S_t enters it times 1 - lam)
        for t in range(nt - 1, -1, -1):
            lb = lam[b]
            kp = keep[b, t]
            h = match[b, t]
            Abar = gA[b, t] + Abar_next + half_next * Ahbar_next
            Hbar = gH[b, t] - Abar
            Wbar = gW[b, t] + abar_next - Hbar
            fbar = gf[b, t] - kp * Wbar
            abar = kp * Wbar + Hbar + fbar * fa_arr[t] * h
            gmatch[b, t] = fbar * fa_arr[t] * a_arr[t]
            gkeep[b, t] = Wbar * (a_arr[t] - f_arr[t])
            ginflow[b, t] = abar
            Sbar = gS[b, t] + fbar * fc_arr[t] * clampS[t] + (1.0 - lb) * Sbar_next
            tgtbar = Sbar * lb
            glam[b] += Sbar * (tgt_arr[t] - Sprev_arr[t])
            Obar = gO[b, t] + tgtbar * gain[b, t]
            ggain[b, t] = tgtbar * ob_arr[t]
            gtaak[b, t] = Obar + Abar
            gextra[b, t] = Obar
            gkappa[b] += Obar * r_arr[t] / 6.0
            # Ah_t feeds this month's obligation and, unless a half-year starts, next month's Ah
            Ahbar = Obar * kappa[b] / 6.0 * pos_arr[t] + (1.0 - half_next) * Ahbar_next
            # hand back to month t-1
            abar_next = abar
            Abar_next = Abar
            Ahbar_next = Ahbar
            half_next = half[t]
            Sbar_next = Sbar
        gW0[b] = abar_next
        gS0[b] = (1.0 - lam[b]) * Sbar_next
        gA0[b] = Abar_next + half_next * Ahbar_next
        gAh0[b] = (1.0 - half_next) * Ahbar_next
    return gW0, gS0, gA0, gAh0, ginflow, gtaak, gextra, ggain, gmatch, gkeep, glam, gkappa


#: The outputs of the housing-supply kernel, in order.
HOUSING_OUTPUTS = ("statushouders", "housed", "by_supply", "supply", "achterstand", "obligation")


def _np_housing_supply(
    W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half, k=SOFTMIN_K
):
    """The supply-limited housing regime (numpy, numba kernel).

    Month by month, with the achterstand ``A`` setting the obligation once per half-year (``half`` = 1
    in a half-year's first month, when ``Ah`` takes the achterstand of the month before)::

        O_t = taak_t + extra_t + kappa max(Ah_t, 0) / 6
        S_t = (1 - lam) S_{t-1} + lam gain_t O_t                  (supply adjusts toward its target)
        a_t = W_{t-1} + inflow_t
        f_t = softmin(match_t a_t, S_t)                          (housed through municipal supply)
        W_t = keep_t (a_t - f_t)                                 (the rest: 1 - keep finds a home itself)
        H_t = a_t - W_t,  A_t = A_{t-1} + taak_t - H_t

    Parameters
    ----------
    W0, S0, A0, Ah0 : array_like
        The waiting statushouders, supply, achterstand and the achterstand of the current half-year
        before the first month, shape ``(...)``.
    inflow, taak, extra, gain, match, keep : array_like
        Monthly housing inflow, taakstelling (the obligation that accumulates an achterstand), an
        obligation that does not (the voluntary housing after the taakstelling is abolished), the
        target gain (realisation x effects x measures), the matching hazard and the share that stays,
        shape ``(..., T)``.
    lam, kappa : array_like
        The supply's monthly adjustment share and the achterstand's share in the obligation,
        shape ``(...)``.
    half : array_like
        ``(T,)`` 1 in the first month of a half-year.
    k : float, optional
        Sharpness of the soft minimum.

    Returns
    -------
    tuple of numpy.ndarray
        The monthly paths of :data:`HOUSING_OUTPUTS`, each of the broadcast shape ``(..., T)``.
    """
    arrs = [
        np.asarray(v, float) for v in (W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa)
    ]
    T = np.shape(half)[-1]
    batch = np.broadcast_shapes(
        *[x.shape for x in arrs[:4]], *[x.shape[:-1] for x in arrs[4:10]], *[x.shape for x in arrs[10:]]
    )
    shape = (*batch, T)

    def scal(x):
        return np.ascontiguousarray(np.broadcast_to(x, batch)).reshape(-1)

    def path(x):
        return np.ascontiguousarray(np.broadcast_to(x, shape)).reshape(-1, T)

    out = housing_supply_fwd(
        *[scal(x) for x in arrs[:4]],
        *[path(x) for x in arrs[4:10]],
        *[scal(x) for x in arrs[10:]],
        np.ascontiguousarray(np.asarray(half, float)),
        float(k),
    )
    return tuple(o.reshape(shape) for o in out)


def _np_capped_stock(x0, inflow, cap, hazard=None, keep=None, k=SOFTMIN_K):
    """Simulate a stock drained by a capacity-limited outflow (numpy, numba kernel).

    Each month the available stock is ``a_t = x_{t-1} + inflow_t``; the capped outflow is
    ``f_t = softmin_k(hazard_t a_t, cap_t)`` and what stays is ``x_t = keep_t (a_t - f_t)``: a share
    ``1 - keep_t`` of the rest leaves by a second, uncapped route (statushouders who find a home
    themselves). ``a_t`` and ``cap_t`` are floored at ``EPS``, so the stock stays >= 0.

    Parameters
    ----------
    x0 : array_like
        The stock at the end of the month before the first, shape ``(...)``.
    inflow, cap : array_like
        Monthly inflow and outflow capacity, shape ``(..., T)``; broadcast with ``x0``.
    hazard : array_like, optional
        Largest share of the available stock the capped route can take in a month (default 1).
    keep : array_like, optional
        Share of what the capped route leaves that stays (default 1: no second route).
    k : float, optional
        Sharpness of the soft minimum (default :data:`SOFTMIN_K`).

    Returns
    -------
    stock : numpy.ndarray
        End-of-month stock, shape ``(..., T)`` (the broadcast shape).
    outflow : numpy.ndarray
        Monthly capped outflow ``f_t``, same shape (the second route's outflow is
        ``x_{t-1} + inflow_t - f_t - x_t``).
    """
    x0, inflow, cap = np.asarray(x0, float), np.asarray(inflow, float), np.asarray(cap, float)
    hazard = np.ones(1) if hazard is None else np.asarray(hazard, float)
    keep = np.ones(1) if keep is None else np.asarray(keep, float)
    shape = np.broadcast_shapes((*x0.shape, 1), inflow.shape, cap.shape, hazard.shape, keep.shape)
    T = shape[-1]
    x0b = np.ascontiguousarray(np.broadcast_to(x0[..., None], shape)[..., 0]).reshape(-1)

    def flat(v):
        return np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1, T)

    s, o = capped_stock_fwd(x0b, flat(inflow), flat(hazard), flat(cap), flat(keep), float(k))
    return s.reshape(shape), o.reshape(shape)


# --------------------------------------------------------------------------------------
# pytensor Op wrapping the kernels (lazy import so the numpy path never needs pytensor)
# --------------------------------------------------------------------------------------

_PT_OPS = {}


def kernel_fingerprint() -> str:
    """SHA-256 (first 16 hex digits) of the source of the chain's numba kernels.

    Part of the key under which PyTensor caches the compiled Ops on disk: PyTensor keys an Op by its
    class name and properties only, so without it an edited kernel (or another version of this
    package on the same machine) would be read back from the cache in place of the code in use.

    Returns
    -------
    str
        The digest.
    """
    import hashlib
    import inspect

    kernels = (_softmin_parts, capped_stock_fwd, capped_stock_bwd, housing_supply_fwd, housing_supply_bwd)
    src = "".join(inspect.getsource(f.py_func) for f in kernels)
    return hashlib.sha256(src.encode()).hexdigest()[:16]


def _pt_ops():
    if _PT_OPS:
        return _PT_OPS
    import pytensor.tensor as pt
    from pytensor.gradient import DisconnectedType, disconnected_type
    from pytensor.graph.basic import Apply
    from pytensor.graph.op import Op
    from pytensor.link.numba.dispatch.basic import register_funcify_and_cache_key

    class CappedStock(Op):
        """(x0[B], inflow[B,T], hazard[B,T], cap[B,T], keep[B,T]) -> (stock[B,T], outflow[B,T])."""

        __props__ = ("k",)

        def __init__(self, k=SOFTMIN_K):
            self.k = float(k)

        def make_node(self, x0, inflow, hazard, cap, keep):
            ins = [pt.as_tensor_variable(v).astype("float64") for v in (x0, inflow, hazard, cap, keep)]
            return Apply(self, ins, [ins[1].type(), ins[1].type()])

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

        def make_node(self, x0, inflow, hazard, cap, keep, gs, go):
            args = (x0, inflow, hazard, cap, keep, gs, go)
            ins = [pt.as_tensor_variable(v).astype("float64") for v in args]
            return Apply(self, ins, [ins[0].type(), *[ins[1].type() for _ in range(4)]])

        def perform(self, node, inputs, outputs):
            r = capped_stock_bwd(*[np.ascontiguousarray(v) for v in inputs], self.k)
            for i in range(5):
                outputs[i][0] = r[i]

    @register_funcify_and_cache_key(CappedStock)
    def _funcify_fwd(op, node=None, **kw):
        k = op.k

        @numba.njit
        def f(x0, inflow, hazard, cap, keep):
            return capped_stock_fwd(
                np.ascontiguousarray(x0),
                np.ascontiguousarray(inflow),
                np.ascontiguousarray(hazard),
                np.ascontiguousarray(cap),
                np.ascontiguousarray(keep),
                k,
            )

        return f, f"forecast.CappedStock.k{k}.{kernel_fingerprint()}"

    @register_funcify_and_cache_key(CappedStockGrad)
    def _funcify_bwd(op, node=None, **kw):
        k = op.k

        @numba.njit
        def f(x0, inflow, hazard, cap, keep, gs, go):
            return capped_stock_bwd(
                np.ascontiguousarray(x0),
                np.ascontiguousarray(inflow),
                np.ascontiguousarray(hazard),
                np.ascontiguousarray(cap),
                np.ascontiguousarray(keep),
                np.ascontiguousarray(gs),
                np.ascontiguousarray(go),
                k,
            )

        return f, f"forecast.CappedStockGrad.k{k}.{kernel_fingerprint()}"

    class HousingSupply(Op):
        """(W0, S0, A0, Ah0; inflow, taak, extra, gain, match, keep; lam, kappa; half) -> the paths."""

        __props__ = ("k",)

        def __init__(self, k=SOFTMIN_K):
            self.k = float(k)

        def make_node(self, *args):
            ins = [pt.as_tensor_variable(v).astype("float64") for v in args]
            return Apply(self, ins, [ins[4].type() for _ in HOUSING_OUTPUTS])

        def perform(self, node, inputs, outputs):
            r = housing_supply_fwd(*[np.ascontiguousarray(v) for v in inputs], self.k)
            for i in range(len(HOUSING_OUTPUTS)):
                outputs[i][0] = r[i]

        def pullback(self, inputs, outputs, cotangents):
            gs = [pt.zeros_like(inputs[4]) if isinstance(g.type, DisconnectedType) else g for g in cotangents]
            grads = list(HousingSupplyGrad(self.k)(*inputs, *gs))
            return [*grads, disconnected_type()]

        def connection_pattern(self, node):
            return [[True] * len(HOUSING_OUTPUTS)] * 12 + [[False] * len(HOUSING_OUTPUTS)]

    class HousingSupplyGrad(Op):
        __props__ = ("k",)

        def __init__(self, k=SOFTMIN_K):
            self.k = float(k)

        def make_node(self, *args):
            ins = [pt.as_tensor_variable(v).astype("float64") for v in args]
            vec, mat = ins[0].type, ins[4].type
            return Apply(self, ins, [vec(), vec(), vec(), vec(), *[mat() for _ in range(6)], vec(), vec()])

        def perform(self, node, inputs, outputs):
            r = housing_supply_bwd(*[np.ascontiguousarray(v) for v in inputs], self.k)
            for i in range(12):
                outputs[i][0] = r[i]

    @register_funcify_and_cache_key(HousingSupply)
    def _funcify_housing_fwd(op, node=None, **kw):
        k = op.k

        @numba.njit
        def f(W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half):
            return housing_supply_fwd(
                np.ascontiguousarray(W0),
                np.ascontiguousarray(S0),
                np.ascontiguousarray(A0),
                np.ascontiguousarray(Ah0),
                np.ascontiguousarray(inflow),
                np.ascontiguousarray(taak),
                np.ascontiguousarray(extra),
                np.ascontiguousarray(gain),
                np.ascontiguousarray(match),
                np.ascontiguousarray(keep),
                np.ascontiguousarray(lam),
                np.ascontiguousarray(kappa),
                np.ascontiguousarray(half),
                k,
            )

        return f, f"forecast.HousingSupply.k{k}.{kernel_fingerprint()}"

    @register_funcify_and_cache_key(HousingSupplyGrad)
    def _funcify_housing_bwd(op, node=None, **kw):
        k = op.k

        @numba.njit
        def f(
            W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half, gW, gH, gf, gS, gA, gO
        ):
            c = np.ascontiguousarray
            return housing_supply_bwd(
                c(W0),
                c(S0),
                c(A0),
                c(Ah0),
                c(inflow),
                c(taak),
                c(extra),
                c(gain),
                c(match),
                c(keep),
                c(lam),
                c(kappa),
                c(half),
                c(gW),
                c(gH),
                c(gf),
                c(gS),
                c(gA),
                c(gO),
                k,
            )

        return f, f"forecast.HousingSupplyGrad.k{k}.{kernel_fingerprint()}"

    _PT_OPS["housing"] = HousingSupply(SOFTMIN_K)
    _PT_OPS["fwd"] = CappedStock(SOFTMIN_K)
    return _PT_OPS


def _pt_capped_stock(x0, inflow, cap, hazard=None, keep=None, k=SOFTMIN_K):
    """Simulate a stock drained by a capacity-limited outflow (pytensor).

    The same recursion as :meth:`NP.capped_stock`, as one Op on the numba kernels with a
    hand-written O(T) adjoint.

    Parameters
    ----------
    x0 : tensor_like
        The stock at the end of the month before the first, shape ``(...)``.
    inflow, cap : tensor_like
        Monthly inflow and outflow capacity, shape ``(..., T)``; broadcast with ``x0``.
    hazard : tensor_like, optional
        Largest share of the available stock the capped route can take in a month (default 1).
    keep : tensor_like, optional
        Share of what the capped route leaves that stays (default 1).
    k : float, optional
        Sharpness of the soft minimum; only :data:`SOFTMIN_K` (the default) is supported.

    Returns
    -------
    stock : pytensor.tensor.TensorVariable
        End-of-month stock, shape ``(..., T)``.
    outflow : pytensor.tensor.TensorVariable
        Monthly capped outflow, same shape.
    """
    import pytensor.tensor as pt

    one = pt.ones((1,))
    hazard = one if hazard is None else hazard
    keep = one if keep is None else keep
    x0, inflow, cap, hazard, keep = (pt.as_tensor_variable(v) for v in (x0, inflow, cap, hazard, keep))
    ndim = max(x0.ndim + 1, inflow.ndim, cap.ndim, hazard.ndim, keep.ndim)
    x0e = x0[..., None]
    x0b, ib, hb, cb, kb = pt.broadcast_arrays(x0e, inflow, hazard, cap, keep)
    T = ib.shape[-1]
    shape = ib.shape
    if k != SOFTMIN_K:
        raise ValueError(f"the pytensor capped stock supports only k = {SOFTMIN_K}")
    op = _pt_ops()["fwd"]
    s, o = op(
        x0b[..., 0].reshape((-1,)),
        ib.reshape((-1, T)),
        hb.reshape((-1, T)),
        cb.reshape((-1, T)),
        kb.reshape((-1, T)),
    )
    s = s.reshape(shape, ndim=ndim)
    o = o.reshape(shape, ndim=ndim)
    return s, o


def _pt_housing_supply(
    W0, S0, A0, Ah0, inflow, taak, extra, gain, match, keep, lam, kappa, half, k=SOFTMIN_K
):
    """The supply-limited housing regime (pytensor): :func:`_np_housing_supply` as one Op.

    Parameters
    ----------
    W0, S0, A0, Ah0 : tensor_like
        The states before the first month, shape ``(...)``.
    inflow, taak, extra, gain, match, keep : tensor_like
        Monthly paths, shape ``(..., T)``.
    lam, kappa : tensor_like
        Per batch element, shape ``(...)``.
    half : array_like
        ``(T,)`` 1 in the first month of a half-year.
    k : float, optional
        Sharpness of the soft minimum; only :data:`SOFTMIN_K` is supported.

    Returns
    -------
    tuple of pytensor.tensor.TensorVariable
        The paths of :data:`HOUSING_OUTPUTS`, shape ``(..., T)``.
    """
    import pytensor.tensor as pt

    if k != SOFTMIN_K:
        raise ValueError(f"the pytensor housing supply supports only k = {SOFTMIN_K}")
    scal = [pt.as_tensor_variable(v) for v in (W0, S0, A0, Ah0, lam, kappa)]
    paths = [pt.as_tensor_variable(v) for v in (inflow, taak, extra, gain, match, keep)]
    T = int(np.shape(half)[-1])
    ndim = max(*(x.ndim + 1 for x in scal), *(x.ndim for x in paths))
    ref = [x[..., None] for x in scal] + list(paths)
    b = pt.broadcast_arrays(*ref, pt.zeros((T,)))
    shape = b[-1].shape
    flat_s = [x[..., 0].reshape((-1,)) for x in b[:6]]
    flat_p = [x.reshape((-1, T)) for x in b[6:12]]
    W0f, S0f, A0f, Ah0f, lamf, kappaf = flat_s
    out = _pt_ops()["housing"](
        W0f, S0f, A0f, Ah0f, *flat_p, lamf, kappaf, pt.as_tensor_variable(np.asarray(half, float))
    )
    return tuple(o.reshape(shape, ndim=ndim) for o in out)


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
    housing_supply = staticmethod(_np_housing_supply)

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
    housing_supply = staticmethod(_pt_housing_supply)

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

    The sum of ``L`` shifted slices of ``xx``, each times its weight: O(T*L), no dense T x T kernel.

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
    # L shifted slices, weighted and summed: no (..., T, L) window array (forecast batches are large) and,
    # in PyTensor, no gather with its scatter-add gradient
    out = w[..., 0:1] * xx[..., L - 1 : L - 1 + T]
    for lag in range(1, L):
        out = out + w[..., lag : lag + 1] * xx[..., L - 1 - lag : L - 1 - lag + T]
    return out


@dataclass(frozen=True)
class ChainInputs:
    """The known monthly inputs of :func:`simulate_chain` (one fitted window, or a forecast's months).

    Built by :func:`forecast.model.design.build_inputs` for a fit and by
    :class:`forecast.model.forward.Forward` for a forecast; every array has the ``T`` months of the window.

    Parameters
    ----------
    T : int
        Number of months.
    month_of_year : numpy.ndarray
        ``(T,)`` calendar month of each month, 0-11.
    ev_covid, ev_asieldeal, ev_nareis_restriction, ev_moratorium : numpy.ndarray
        ``(T,)`` share of each month's days in the event (0 outside, or when the history lacks it).
    ind_switch : int
        First month of the capacity-limited IND regime (a decision hazard before it), 0..T.
    log_funded : numpy.ndarray
        ``(T,)`` log of the IND's funded decision capacity (decisions per month) as known at the time,
        where ``funded_mask`` is 1.
    funded_mask : numpy.ndarray
        ``(T,)`` 1 from the first statement of the IND's capacity on, else 0.
    housing_switch : int
        First month of the supply-limited housing regime (a housing hazard before it), 0..T.
    taakstelling : numpy.ndarray
        ``(T,)`` the municipal housing target per month (a half-year's taakstelling / 6) where set.
    taak_rule_mask : numpy.ndarray
        ``(T,)`` 1 in the months of the supply regime whose taakstelling is not set: there it follows
        the rule ``ratio x the previous half-year's housing inflow`` (:attr:`taak_rule`).
    taak_rule : numpy.ndarray
        ``(T, T)``: row ``t`` spreads the previous half-year's monthly housing inflow over month ``t``
        (entries 1/6) for the rule months; zero elsewhere.
    half_starts : tuple of int
        The first months of the housing regime's half-year segments: ``housing_switch`` and every
        half-year start after it (the achterstand enters the obligation once per half-year).
    app_L, travel_L : int
        Lengths of the two nareis lags (months 0..L-1): grant to nareis application, and positive nareis
        decision to arrival.
    start : pandas.Timestamp, optional
        The first month (its first day).
    rule_halves : tuple of str
        Labels (``"2024-II"``) of the half-years whose taakstelling follows the rule.
    rule_half_of_month : numpy.ndarray, optional
        ``(T,)`` index into ``rule_halves`` of each rule month, -1 elsewhere.
    rule_past : numpy.ndarray, optional
        ``(T, n)``: the rule's weights on the ``n`` months before the window (a forecast's fitted
        months), for :attr:`ChainParams.taak_rule_past`.
    """

    T: int
    month_of_year: np.ndarray
    ev_covid: np.ndarray
    ev_asieldeal: np.ndarray
    ev_nareis_restriction: np.ndarray
    ev_moratorium: np.ndarray
    ind_switch: int
    log_funded: np.ndarray
    funded_mask: np.ndarray
    housing_switch: int
    taakstelling: np.ndarray
    taak_rule_mask: np.ndarray
    taak_rule: np.ndarray
    half_starts: tuple[int, ...]
    app_L: int
    travel_L: int
    start: Any = None
    rule_halves: tuple[str, ...] = ()
    rule_half_of_month: Any = None
    rule_past: Any = None

    def replace(self, **changes: Any) -> ChainInputs:
        """A copy with ``changes`` (a misspelt field raises ``TypeError``).

        Parameters
        ----------
        **changes : object
            New values of fields.

        Returns
        -------
        ChainInputs
            The copy.
        """
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ChainParams:
    """Parameters and latent paths of :func:`simulate_chain` (numpy arrays or PyTensor tensors).

    Batch dimensions ``...`` (draws, scenarios) lead; monthly paths have the ``T`` months last. A
    field that is None is absent (the neutral value).

    Parameters
    ----------
    log_level : array
        ``(..., T)`` log first applications per month, the season excluded (the AR(1) level).
    season : array
        ``(..., 12)`` log seasonal effect per calendar month.
    logit_repeat : array
        ``(..., T)`` logit of repeat applications per first application.
    logit_hazard : array
        ``(..., T)`` logit of the IND's monthly decision hazard (read before ``ind_switch``).
    capacity_dev : array
        ``(..., T)`` log deviation of the IND's capacity from its funded level (from ``ind_switch``).
    capacity_unfunded : array
        ``(...)`` log of the IND's capacity where no funded level is known, relative to its mean
        decisions per month in the :data:`ANCHOR_MONTHS` months before ``ind_switch``.
    ind_processing_logit : array
        ``(...)`` logit of the largest monthly share of the available cases the IND decides from
        ``ind_switch`` when its capacity does not bind (the procedure's own pace).
    logit_grant : array
        ``(..., T)`` logit of the grant rate.
    eff_moratorium_cap, eff_moratorium_grant : array
        ``(...)`` effects of the 2024 Syria decision moratorium (log capacity, logit grant rate).
    backlog0 : array
        ``(...)`` IND backlog before the first month.
    nareis_app_ratio : array
        ``(...)`` nareis applications per grant.
    app_lag_mean, travel_lag_mean : array
        ``(...)`` mean of the two nareis lags (months).
    lag_shape : float
        Gamma shape of both nareis lags.
    nareis_backlog0 : array
        ``(...)`` pending nareis applications before the first month.
    logit_nareis_hazard : array
        ``(...)`` logit of the monthly share of pending nareis applications decided (when capacity
        does not bind).
    nareis_capacity_share : array
        ``(...)`` the IND's nareis decision capacity as a share of its first-instance capacity (from
        ``ind_switch``).
    nareis_grant_share : array
        ``(...)`` share of nareis decisions that grant.
    eff_covid_nareis, eff_nareis_restriction : array
        ``(...)`` log effects on nareis arrivals of the 2020 border closures and the 2022 restriction.
    log_nareis_dev : array
        ``(..., T)`` log of nareis arrivals per positive nareis decision (a yearly knot walk from 0).
    statushouders0 : array
        ``(...)`` statushouders waiting for a home before the first month.
    housing_hazard_logit0 : array
        ``(...)`` logit of the monthly housing hazard before ``housing_switch``.
    nareis_housing_share : array
        ``(...)`` share of nareis arrivals who wait in COA for a home.
    other_statushouders : array
        ``(...)`` statushouders who enter COA's waiting stock by other routes (a permit after a repeat
        application, resettlement), per grant on a first application.
    supply_offset : array
        ``(...)`` log of the municipal housing supply at ``housing_switch``, relative to the persons
        housed per month in the :data:`ANCHOR_MONTHS` months before it (supply is continuous at the
        switch).
    supply_speed : array
        ``(...)`` monthly share of the gap to its target that the supply closes.
    log_realisation : array
        ``(...)`` log of the supply target per person of obligation.
    backlog_share : array
        ``(...)`` share of the achterstand that enters the obligation of the next half-year.
    logit_match : array
        ``(...)`` logit of the largest monthly share of the waiting statushouders that supply can house.
    self_housing : array
        ``(...)`` monthly share of the statushouders not housed by supply who find a home themselves.
    eff_asieldeal : array
        ``(...)`` log effect of the 2022 asieldeal on the supply target.
    taak_backlog0 : array
        ``(...)`` achterstand in the month before ``housing_switch``.
    rejected0 : array
        ``(...)`` rejected applicants in COA before the first month.
    departure_rate : array
        ``(...)`` monthly share of rejected residents who leave.
    taak_ratio : array, optional
        ``(..., T)`` the rule's ratio in the rule months (:attr:`ChainInputs.taak_rule_mask`).
    supply0 : array, optional
        ``(...)`` the housing supply (persons per month) before the first month, for a window that starts
        in the supply regime (a forecast after a fit that reached it).
    housed_hist : array, optional
        ``(..., n)`` persons housed in the months before the first (a forecast's last fitted months),
        for the supply's anchor when the window starts at or just before ``housing_switch``.
    decisions_hist : array, optional
        ``(..., n)`` the IND's decisions of the months before the first, for the capacity's anchor
        where no funded level is known (the mean of the last :data:`ANCHOR_MONTHS` before the
        switch): a forecast's last fitted months when its window starts at or before
        ``ind_switch``; when the fit already reached the switch, the fitted months just before it.
    grants_hist, positives_hist : array, optional
        ``(..., app_L - 1)`` grants and ``(..., travel_L - 1)`` positive nareis decisions of the months
        before the first (oldest first); default the constant pre-window level ``exp(log_grants_pre)``
        (and its positive nareis decisions in steady state).
    log_grants_pre : array
        ``(...)`` log grants per month before the window.
    taak_rule_past : array, optional
        ``(..., T)`` the part of the rule's previous half-year that lies before the first month.
    achterstand_half0 : array, optional
        ``(...)`` the achterstand at the start of the half-year of the first month (a forecast that
        starts mid-half-year); default ``taak_backlog0``.
    obligation_off : array, optional
        ``(..., T)`` from 0 to 1: how far the taakstelling has been abolished (a measure's ramp; the
        structural switch of ``afschaffing_huisvestingstaakstelling``). Where it is 1 there is no
        obligation and no achterstand accumulates; the supply's target is ``voluntary_share`` times the
        taakstelling the rule would have set.
    voluntary_share : array, optional
        ``(...)`` the share of that housing municipalities keep without the obligation.
    mult_instroom, mult_nareis, mult_decision_rate, mult_housing_rate, mult_departure_rate : array, optional
        ``(..., T)`` policy multipliers (:data:`forecast.names.MULTIPLIER_TARGETS`) on first
        applications, nareis applications, the IND's capacity and hazard, the housing supply's target
        and the departure hazard (capped below 1). A multiplier of exactly 1 is exactly the chain
        without it.
    """

    log_level: Any
    season: Any
    logit_repeat: Any
    logit_hazard: Any
    capacity_dev: Any
    capacity_unfunded: Any
    ind_processing_logit: Any
    logit_grant: Any
    eff_moratorium_cap: Any
    eff_moratorium_grant: Any
    backlog0: Any
    nareis_app_ratio: Any
    app_lag_mean: Any
    travel_lag_mean: Any
    lag_shape: Any
    nareis_backlog0: Any
    logit_nareis_hazard: Any
    nareis_capacity_share: Any
    nareis_grant_share: Any
    eff_covid_nareis: Any
    eff_nareis_restriction: Any
    log_nareis_dev: Any
    statushouders0: Any
    housing_hazard_logit0: Any
    nareis_housing_share: Any
    other_statushouders: Any
    supply_offset: Any
    supply_speed: Any
    log_realisation: Any
    backlog_share: Any
    logit_match: Any
    self_housing: Any
    eff_asieldeal: Any
    taak_backlog0: Any
    rejected0: Any
    departure_rate: Any
    log_grants_pre: Any
    taak_ratio: Any = None
    supply0: Any = None
    housed_hist: Any = None
    decisions_hist: Any = None
    grants_hist: Any = None
    positives_hist: Any = None
    taak_rule_past: Any = None
    achterstand_half0: Any = None
    obligation_off: Any = None
    voluntary_share: Any = None
    mult_instroom: Any = None
    mult_nareis: Any = None
    mult_decision_rate: Any = None
    mult_housing_rate: Any = None
    mult_departure_rate: Any = None

    def multiplier(self, target: str):
        """The policy multiplier of ``target`` (one of :data:`forecast.names.MULTIPLIER_TARGETS`) or None.

        Parameters
        ----------
        target : str
            The target.

        Returns
        -------
        array or None
            ``(..., T)``, or None when no measure acts on it.
        """
        return getattr(self, f"mult_{target}")

    def replace(self, **changes: Any) -> ChainParams:
        """A copy with ``changes`` (a misspelt field raises ``TypeError``).

        Parameters
        ----------
        **changes : array
            New values of fields.

        Returns
        -------
        ChainParams
            The copy.
        """
        return dataclasses.replace(self, **changes)


#: A capacity so large that the soft minimum never binds (a hazard-only queue).
UNBOUNDED = 1e12
#: Months of decisions before the IND switch whose mean anchors the capacity where no funded level is known.
ANCHOR_MONTHS = 6


def _times(x, m, months=slice(None)):
    """``x`` times the multiplier ``m`` over ``months`` (``m`` None: ``x`` unchanged)."""
    if m is None:
        return x
    return x * (m[..., months] if getattr(m, "ndim", np.ndim(m)) else m)


def simulate_chain(p: ChainParams, u: ChainInputs, xp):
    """Simulate the chain: monthly flows and end-of-month stocks from parameters and known inputs.

    The equations (docs/model.md has them in full, with their rationale):

    * **Instroom.** ``instroom_t = exp(log_level_t + season[m(t)])`` (the level is an AR(1) around its
      mean with Student-t innovations; its path is a parameter here); repeat applications are
      ``sigmoid(logit_repeat_t)`` per first application.
    * **IND.** Decisions drain the backlog ``B``: a monthly hazard ``sigmoid(logit_hazard_t)`` on the
      available cases before ``ind_switch``; from then on capacity-limited,
      ``softmin(h_p (B_{t-1} + applications_t), K_t)`` (``h_p = sigmoid(ind_processing_logit)``, the
      procedure's own pace when capacity does not bind) with ``log K_t`` = the funded level as known
      (``capacity_unfunded`` before the first statement) + ``capacity_dev_t``
      (+ the moratorium's effect). Grants are ``sigmoid(logit_grant_t)`` of decisions.
    * **Nareis as a queue.** Applications are ``nareis_app_ratio`` x the grants lagged by a gamma lag
      (mean ``app_lag_mean``); the IND decides ``softmin(h_n NB_avail, s_n K_t)`` of the pending ones
      (a hazard ``h_n``, and from ``ind_switch`` a capacity that is a share ``s_n`` of the IND's);
      ``nareis_grant_share`` of the decisions grant; arrivals follow the positive decisions with a
      second gamma lag (travel), times the effects of the 2020 border closures and the 2022 restriction.
    * **Statushouders and housing.** Grants and the housed share of nareis arrivals wait in COA
      (``W``). Before ``housing_switch`` a monthly hazard houses them. From then on municipal housing
      **supply** ``S`` (persons per month) adjusts partly each month toward its target:
      ``S_t = S_{t-1} + speed (target_t - S_{t-1})``, ``target_t = exp(log_realisation) x O_t``, with
      the obligation ``O_t = taakstelling_t + backlog_share x max(A, 0) / 6`` (``A`` the achterstand at
      the start of the half-year). Supply houses ``softmin(sigmoid(logit_match) W_avail, S_t)``; of
      the rest a share ``self_housing`` a month finds a home itself. The achterstand accumulates
      ``taakstelling - housed``. A taakstelling that is not set follows the rule ``ratio x`` the
      previous half-year's housing inflow.
    * **Rejected** applicants leave with a monthly ``departure_rate``.
    * ``opvangbehoefte = B + W + R``.

    Parameters
    ----------
    p : ChainParams
        Parameters and latent paths.
    u : ChainInputs
        Known inputs.
    xp : namespace
        :class:`NP` or :class:`PT`.

    Returns
    -------
    dict
        Monthly flows (persons per month, time last): ``instroom``, ``repeat``, ``applications``,
        ``decisions``, ``grants``, ``rejections``, ``nareis_applications``, ``nareis_decisions``,
        ``nareis`` (arrivals), ``housing_inflow``, ``housed``, ``self_housed``, ``departures``; rates and
        capacities: ``grant_rate``, ``departure_rate``, ``ind_capacity``, ``housing_supply``,
        ``obligation``, ``taakstelling``; end-of-month stocks: ``ind_backlog``, ``nareis_backlog``,
        ``statushouders``, ``rejected``, ``opvangbehoefte`` (B + W + R), ``taak_backlog`` (the
        achterstand; its value before ``housing_switch`` is the anchor ``taak_backlog0``); and
        ``init``, the stocks before the first month.
    """
    T = u.T
    season = xp.take(p.season, u.month_of_year, axis=-1)
    instroom = _times(xp.exp(p.log_level + season), p.mult_instroom)
    repeat = xp.sigmoid(p.logit_repeat) * instroom
    applications = instroom + repeat

    # ---------------------------------------------------------------- IND
    s = int(u.ind_switch)
    zeros = 0.0 * applications
    parts_b, parts_d = [], []
    B = p.backlog0
    if s > 0:  # decision hazard: a linear recursion in closed form
        h = _times(xp.sigmoid(p.logit_hazard[..., :s]), p.mult_decision_rate, slice(None, s))
        app1 = applications[..., :s]
        B1 = linear_recursion(B, 1.0 - h, (1.0 - h) * app1, xp)
        prev1 = xp.concatenate([B[..., None] + zeros[..., :1], B1[..., :-1]], axis=-1)
        parts_b.append(B1)
        parts_d.append(h * (prev1 + app1))
        B = B1[..., -1]
    if s < T:  # capacity-limited: the funded level as known, else the throughput just before the switch
        recent = [v for v in (p.decisions_hist, parts_d[0] if parts_d else None) if v is not None]
        if not recent:
            raise ValueError(
                "the capacity-limited IND regime needs the decisions of the months before it: the window "
                "must start at least one month before the IND switch (design.IND_CAPACITY_FROM)"
            )
        before = recent[0] if len(recent) == 1 else xp.concatenate(recent, axis=-1)
        n_hist = 0 if p.decisions_hist is None else int(np.shape(p.decisions_hist)[-1])
        n_recent = min(ANCHOR_MONTHS, s + n_hist)
        anchor = xp.log(xp.sum(before[..., -n_recent:], axis=-1) / n_recent)
        log_k = (
            u.funded_mask * u.log_funded
            + (1.0 - u.funded_mask) * (anchor + p.capacity_unfunded)[..., None]
            + p.capacity_dev
            + p.eff_moratorium_cap[..., None] * u.ev_moratorium
        )
        cap = _times(xp.exp(log_k), p.mult_decision_rate)
        # decided: the smaller of the capacity and the procedure's own pace on the available cases,
        # so a backlog drains towards a working stock, not to zero, when capacity is ample
        pace = xp.sigmoid(p.ind_processing_logit)[..., None] * np.ones(T - s)
        B2, D2 = xp.capped_stock(B, applications[..., s:], cap[..., s:], hazard=pace)
        parts_b.append(B2)
        parts_d.append(D2)
        capacity = cap if s == 0 else xp.concatenate([parts_d[0], cap[..., s:]], axis=-1)
    else:
        capacity = parts_d[0]  # the throughput of the hazard regime
    backlog = parts_b[0] if len(parts_b) == 1 else xp.concatenate(parts_b, axis=-1)
    decisions = parts_d[0] if len(parts_d) == 1 else xp.concatenate(parts_d, axis=-1)
    grant_rate = xp.sigmoid(p.logit_grant + p.eff_moratorium_grant[..., None] * u.ev_moratorium)
    grants = grant_rate * decisions
    rejections = decisions - grants

    # ---------------------------------------------------------------- nareis: a queue of its own
    w_app = lag_weights(p.app_lag_mean, p.lag_shape + 0.0 * p.app_lag_mean, u.app_L, xp)
    w_travel = lag_weights(p.travel_lag_mean, p.lag_shape + 0.0 * p.travel_lag_mean, u.travel_L, xp)
    grants_pre = xp.exp(p.log_grants_pre)
    g_hist = p.grants_hist
    if g_hist is None:
        g_hist = grants_pre[..., None] * np.ones(u.app_L - 1)
    nareis_applications = _times(
        p.nareis_app_ratio[..., None] * fir_conv(_concat_hist(g_hist, grants, xp), w_app, u.app_L, T, xp),
        p.mult_nareis,
    )
    hn = xp.sigmoid(p.logit_nareis_hazard)[..., None] * np.ones(T)
    after = (np.arange(T) >= s).astype(float)
    nareis_cap = after * p.nareis_capacity_share[..., None] * capacity + (1.0 - after) * UNBOUNDED
    nareis_backlog, nareis_decisions = xp.capped_stock(
        p.nareis_backlog0, nareis_applications, nareis_cap, hazard=hn
    )
    positives = p.nareis_grant_share[..., None] * nareis_decisions
    pos_hist = p.positives_hist
    if pos_hist is None:
        steady = p.nareis_app_ratio * p.nareis_grant_share * grants_pre
        pos_hist = steady[..., None] * np.ones(u.travel_L - 1)
    travel = p.eff_covid_nareis[..., None] * u.ev_covid
    travel = travel + p.eff_nareis_restriction[..., None] * u.ev_nareis_restriction
    travel = travel + p.log_nareis_dev  # arrivals per positive nareis decision drift on yearly knots
    nareis = xp.exp(travel) * fir_conv(_concat_hist(pos_hist, positives, xp), w_travel, u.travel_L, T, xp)

    # ---------------------------------------------------------------- statushouders and housing
    h_inflow = grants * (1.0 + p.other_statushouders[..., None]) + p.nareis_housing_share[..., None] * nareis
    rule = np.asarray(u.taak_rule)
    taakstelling = u.taakstelling
    if np.any(u.taak_rule_mask):
        past = 0.0 if p.taak_rule_past is None else p.taak_rule_past
        taakstelling = (1.0 - u.taak_rule_mask) * taakstelling + u.taak_rule_mask * p.taak_ratio * (
            _apply_rule(h_inflow, rule, xp) + past
        )
    housing = _housing(p, u, h_inflow, taakstelling, xp)

    # ---------------------------------------------------------------- rejected, not yet departed
    d = p.departure_rate[..., None] * np.ones(T)
    if p.mult_departure_rate is not None:
        d = -xp.maximum(-(d * p.mult_departure_rate), -MAX_HAZARD)
    rejected = linear_recursion(p.rejected0, 1.0 - d, (1.0 - d) * rejections, xp)
    rejected_prev = xp.concatenate([p.rejected0[..., None], rejected[..., :-1]], axis=-1)
    departures = d * (rejected_prev + rejections)

    statushouders = housing["statushouders"]
    return {
        # flows
        "instroom": instroom,
        "repeat": repeat,
        "applications": applications,
        "decisions": decisions,
        "grants": grants,
        "rejections": rejections,
        "nareis_applications": nareis_applications,
        "nareis_decisions": nareis_decisions,
        "nareis": nareis,
        "housing_inflow": h_inflow,
        "housed": housing["housed"],
        "self_housed": housing["self_housed"],
        "departures": departures,
        # rates / capacities
        "grant_rate": grant_rate,
        "departure_rate": d,
        "ind_capacity": capacity,
        "housing_supply": housing["supply"],
        "obligation": housing["obligation"],
        "taakstelling": taakstelling,
        # stocks (end of month)
        "ind_backlog": backlog,
        "nareis_backlog": nareis_backlog,
        "statushouders": statushouders,
        "rejected": rejected,
        N.OPVANGBEHOEFTE: backlog + statushouders + rejected,
        "taak_backlog": housing["achterstand"],
        # initial stocks (..., ) at the end of the month before t=0
        "init": {
            "ind_backlog": p.backlog0,
            "nareis_backlog": p.nareis_backlog0,
            "statushouders": p.statushouders0,
            "rejected": p.rejected0,
            "taak_backlog": p.taak_backlog0,
        },
    }


def _housing(p: ChainParams, u: ChainInputs, h_inflow, taakstelling, xp) -> dict:
    """The statushouders waiting for a home: a hazard before ``housing_switch``, municipal supply after.

    The supply regime runs half-year by half-year (``u.half_starts``): the achterstand at the start of
    a half-year sets its obligation, so it is a state that every segment hands to the next.
    """
    T = u.T
    sh = int(u.housing_switch)
    zeros = 0.0 * h_inflow
    parts = {k: [] for k in ("statushouders", "housed", "self_housed", "supply", "obligation", "achterstand")}
    W = p.statushouders0
    if sh > 0:  # hazard regime: a linear recursion in closed form
        eta = _times(
            xp.sigmoid(p.housing_hazard_logit0)[..., None] * np.ones(sh), p.mult_housing_rate, slice(None, sh)
        )
        inflow1 = h_inflow[..., :sh]
        W1 = linear_recursion(W, 1.0 - eta, (1.0 - eta) * inflow1, xp)
        prev1 = xp.concatenate([W[..., None], W1[..., :-1]], axis=-1)
        parts["statushouders"].append(W1)
        parts["housed"].append(eta * (prev1 + inflow1))
        parts["self_housed"].append(zeros[..., :sh])
        parts["supply"].append(zeros[..., :sh])
        parts["obligation"].append(zeros[..., :sh])
        parts["achterstand"].append(p.taak_backlog0[..., None] + zeros[..., :sh])
        W = W1[..., -1]
    if sh < T:
        months = slice(sh, T)
        half = np.zeros(T - sh)
        half[[t - sh for t in u.half_starts if t >= sh]] = 1.0
        gain = _times(
            xp.exp(p.log_realisation[..., None] + p.eff_asieldeal[..., None] * u.ev_asieldeal[months]),
            p.mult_housing_rate,
            months,
        )
        A_half = p.taak_backlog0 if p.achterstand_half0 is None else p.achterstand_half0
        # supply at the switch: the persons housed just before it (supply is continuous), or the state
        recent = [v for v in (p.housed_hist, parts["housed"][0] if sh > 0 else None) if v is not None]
        if recent:
            n_hist = 0 if p.housed_hist is None else int(np.shape(p.housed_hist)[-1])
            n_recent = min(ANCHOR_MONTHS, sh + n_hist)
            before = recent[0] if len(recent) == 1 else xp.concatenate(recent, axis=-1)
            S0 = xp.sum(before[..., -n_recent:], axis=-1) / n_recent * xp.exp(p.supply_offset)
        elif p.supply0 is not None:
            S0 = p.supply0
        else:
            raise ValueError(
                "the supply-limited housing regime needs the housing of the months before it: the window "
                "must start at least one month before the housing switch (design.HOUSING_SUPPLY_FROM)"
            )
        # abolishing the taakstelling is a structural switch, not a multiplier: from the switch the
        # obligation (taakstelling and achterstand) is gone and no achterstand accumulates; municipalities
        # keep a share of the housing they did under the obligation (a voluntary target, no carry-over)
        taak = taakstelling[..., months] + zeros[..., months]
        extra = zeros[..., months]
        if p.obligation_off is not None:
            off = p.obligation_off[..., months]
            extra = off * p.voluntary_share[..., None] * taak
            taak = (1.0 - off) * taak
        Wseg, housed, by_supply, supply, achterstand, obligation = xp.housing_supply(
            W,
            S0,
            p.taak_backlog0,
            A_half,
            h_inflow[..., months],
            taak,
            extra,
            gain,
            xp.sigmoid(p.logit_match)[..., None] + zeros[..., months],
            1.0 - p.self_housing[..., None] + zeros[..., months],
            p.supply_speed,
            p.backlog_share,
            half,
        )
        parts["statushouders"].append(Wseg)
        parts["housed"].append(housed)
        parts["self_housed"].append(housed - by_supply)
        parts["supply"].append(supply)
        parts["obligation"].append(obligation)
        parts["achterstand"].append(achterstand)
    return {k: (v[0] if len(v) == 1 else xp.concatenate(v, axis=-1)) for k, v in parts.items()}


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
