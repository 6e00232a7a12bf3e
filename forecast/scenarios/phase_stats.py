"""Per-fase statistics of the scenario engine: monthly chain paths reduced to one number per fase.

For every fase of ``priors/policy/phases.toml`` (the months of the forecast in it), per scenario and
draw: ``need_mean``/``need_peak`` (persons), ``places_mean``/``places_peak`` (places),
``exceeds_capacity`` (1 if need in places exceeds the capacity in any month of the fase),
``noodopvang_person_months``, ``cost_eur`` (sum), ``statushouder_share`` (mean), and the
fase's totals of ``instroom``, ``nareis``, ``grants`` and ``housed`` (:data:`PHASE_STATISTICS`).
Quantities that depend on few measures are reduced over the months at their compact broadcast shape
and then indexed out to every scenario; the capacity-dependent ones come from one fused numba pass.
"""

from __future__ import annotations

from collections.abc import Mapping

import numba
import numpy as np

from forecast import names as N
from forecast.scenarios.inputs import ReceptionCosts

#: Per-draw statistics of a fase (see the module docstring), with their ``long_name``; their CF
#: ``units`` are :data:`forecast.names.UNITS`.
PHASE_STATISTICS = {
    "need_mean": "reception need in persons, mean over the fase's months",
    "need_peak": "reception need in persons, highest month of the fase",
    "places_mean": "reception need in places, mean over the fase's months",
    "places_peak": "reception need in places, highest month of the fase",
    "exceeds_capacity": "1 if need in places exceeds the regular capacity in any month of the fase",
    "noodopvang_person_months": "person-months in noodopvang over the fase",
    "cost_eur": "reception cost in euro over the fase",
    "statushouder_share": "share of statushouders among persons in reception, mean over the fase",
    "instroom_total": "first applications over the fase",
    "nareis_total": "nareizigers over the fase",
    "grants_total": "asylum permits granted over the fase",
    "housed_total": "statushouders housed over the fase",
}


@numba.njit(cache=True, nogil=True)
def _capacity_phase_stats(need, cap, ia, ib, inv_rate, months):
    """For every draw d and scenario s over the given months: 1 if need in places exceeds the capacity in
    any month, and the noodopvang person-months sum(max(need - capacity, 0)).

    ``need`` (m, Na, H) persons and ``cap`` (m, Nb, H) places at their compact shapes; ``ia``/``ib`` (S,)
    the compact index of each scenario in them."""
    m = need.shape[0]
    S = ia.shape[0]
    exceed = np.zeros((m, S))
    nood = np.zeros((m, S))
    for d in range(m):
        for s in range(S):
            a = ia[s]
            b = ib[s]
            e = 0.0
            acc = 0.0
            for t in months:
                nd = need[d, a, t]
                c = cap[d, b, t]
                if nd * inv_rate[t] > c:
                    e = 1.0
                if nd > c:
                    acc += nd - c
            exceed[d, s] = e
            nood[d, s] = acc
    return exceed, nood


def phase_statistics(
    chain: Mapping[str, np.ndarray],
    shape: tuple[int, ...],
    phase_months: Mapping[str, np.ndarray],
    occupancy_rate: np.ndarray,
    costs: ReceptionCosts,
) -> dict[str, np.ndarray]:
    """Per-fase statistics ``(m, S, fase)`` of a chunk of draws under every scenario.

    Parameters
    ----------
    chain : mapping of str to numpy.ndarray
        The monthly chain of the chunk at its compact broadcast shapes ``(m, *S, H)`` (singleton axes
        for the measures that do not act on a quantity), with the regular capacity
        (:data:`forecast.names.REGULAR_CAPACITY`), as the engine's chain step gives them.
    shape : tuple of int
        The scenario axes ``S``: ``(2,) * k`` for the hypercube of ``k`` measures, ``(S,)`` for rows.
    phase_months : mapping of str to numpy.ndarray
        For every fase, in order, the indices of its forecast months (a run of consecutive months;
        empty when the forecast does not reach it).
    occupancy_rate : numpy.ndarray
        Shape ``(H,)``: the planning occupancy rate per month (need in places is need / rate).
    costs : ReceptionCosts
        Regular and emergency cost per resident per year.

    Returns
    -------
    dict of str to numpy.ndarray
        One array ``(m, prod(S), fase)`` per :data:`PHASE_STATISTICS`, scenarios flattened C-order;
        NaN for a fase without forecast months.
    """
    m = np.shape(chain[N.REGULAR_CAPACITY])[0]
    S = int(np.prod(shape))
    F = len(phase_months)
    index: dict[tuple, np.ndarray] = {}

    def compact(x):
        """``x`` as (m, n_compact, H) (a view where possible) and each scenario's index into it."""
        x = np.asarray(x)
        cube = x.shape[1:-1]
        if cube not in index:
            ids = np.arange(int(np.prod(cube))).reshape(cube)
            index[cube] = np.ascontiguousarray(np.broadcast_to(ids, shape).reshape(-1))
        x = np.broadcast_to(x, (m, *cube, x.shape[-1]))
        return x.reshape(m, -1, x.shape[-1]), index[cube]

    # need and the statushouders at one compact shape (a measure may act on need, e.g. through the
    # rejected applicants, and not on the statushouders): their ratio is taken element by element
    both = np.broadcast_shapes(np.shape(chain[N.OPVANGBEHOEFTE]), np.shape(chain["statushouders"]))
    need, ia = compact(np.broadcast_to(chain[N.OPVANGBEHOEFTE], both))
    need = np.ascontiguousarray(need)
    cap, ib = compact(chain[N.REGULAR_CAPACITY])
    cap = np.ascontiguousarray(cap)
    stat, _ = compact(np.broadcast_to(chain["statushouders"], both))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(need > 0, stat / need, 0.0)
    totals = {v: compact(chain[v]) for v in ("instroom", "nareis", "grants", "housed")}
    inv_rate = 1.0 / occupancy_rate
    c_reg, c_extra = costs.regular / 12.0, (costs.emergency - costs.regular) / 12.0
    res = {k: np.full((F, m, S), np.nan) for k in PHASE_STATISTICS}
    for f, idx in enumerate(phase_months.values()):
        if not len(idx):
            continue
        sl = slice(int(idx[0]), int(idx[-1]) + 1)  # a fase is a run of consecutive months
        y = need[..., sl]
        n = sl.stop - sl.start
        w = inv_rate[sl]
        need_sum = y.sum(-1)
        peak = y.max(-1)
        res["need_mean"][f] = (need_sum / n)[:, ia]
        res["need_peak"][f] = peak[:, ia]
        res["places_mean"][f] = ((y @ w) / n)[:, ia]
        places_peak = peak * w[0] if np.all(w == w[0]) else (y * w).max(-1)
        res["places_peak"][f] = places_peak[:, ia]
        exceed, nood = _capacity_phase_stats(need, cap, ia, ib, inv_rate, np.arange(sl.start, sl.stop))
        res["exceeds_capacity"][f] = exceed
        res["noodopvang_person_months"][f] = nood
        res["cost_eur"][f] = need_sum[:, ia] * c_reg + nood * c_extra
        res["statushouder_share"][f] = share[..., sl].mean(-1)[:, ia]
        for v, (arr, ix) in totals.items():
            res[f"{v}_total"][f] = arr[..., sl].sum(-1)[:, ix]
    return {k: np.moveaxis(v, 0, -1) for k, v in res.items()}
