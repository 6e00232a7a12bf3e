"""Observation design: which latent quantity each observation row measures, and how.

:func:`build_design` maps every observation of a :class:`forecast.History` to the latent monthly
chain of :mod:`forecast.model.dynamics` (a sum of a latent flow over the row's period, a latent
stock at its date, a ratio of flows or stocks, or the taakstelling backlog), or lists it as unused
with a reason, in three named steps: filter the rows, resolve nested periods, build the observation
operator. The known monthly inputs ``u`` of :func:`forecast.model.dynamics.simulate_chain` are built
by :func:`forecast.model.inputs.build_inputs` (also reachable here, as ``design.build_inputs``).

Everything is read from the ``History`` object (``history.observations``, ``history.inputs``,
``history.events``); nothing here reads files.

What each (series, definition) measures, and the noise of each kind of row, is data of its own:
:mod:`forecast.model.mapping` (``MAPPING``, ``OBS_TYPES``, ``QUALITY_SD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.model.dynamics import FLOWS, STOCKS
from forecast.model.inputs import build_inputs, month_grid, month_index
from forecast.model.mapping import (
    BOUND_SD,
    LIKELIHOOD_OF_KIND,
    MAPPING,
    OBS_TYPES,
    PERIOD_KINDS,
    QUALITY_SD,
    RESIDUAL_SD,
    TYPE_OF_KIND,
    UNUSED_SERIES,
    estimate_rows,
)


# ------------------------------------------------------------------------------------------- design
@dataclass(frozen=True)
class Design:
    """The used observation rows, the unused ones with reasons, and the observation-operator arrays.

    Each used row measures one or two *aggregates*: weighted sums of entries of the latent vector
    ``Z`` (:func:`~forecast.model.build.latent_vector`: the flows, ``T`` months each, then the stocks,
    ``T + 1`` values each with the initial state first). Aggregate ``a`` is the sum of
    ``Z[z_index[e]] * z_weight[e]`` over ``e`` from ``agg_start[a]`` to ``agg_end[a]`` (inclusive).

    Built once by :func:`build_design` and not changed after: a design with other rows (simulated
    values, say) is a new one, ``dataclasses.replace(design, rows=...)``.

    Parameters
    ----------
    rows : pandas.DataFrame
        The used rows: the columns of :attr:`~forecast.data.history.History.observations` (a
        coarse flow row nesting finer rows holds the residual ``value``, described in
        ``residual_of``) plus ``num_agg`` and ``den_agg`` (its
        aggregates), ``group`` (index into ``groups``), ``obs_type`` and ``type_index`` (its
        type in :data:`OBS_TYPES`), ``scale_index`` (index into ``scales``),
        ``lik`` (a :class:`forecast.names.Likelihood`), ``noise_sd`` (the
        fixed noise sd on that scale), ``latent`` and ``denominator`` (in words), ``transform``
        and ``reference``.
    unused : pandas.DataFrame
        The rows not used, with the source file and line, series, definition, period, value,
        quality and ``reason``; sorted by file and line.
    start : pandas.Timestamp
        The first modelled month (its first day).
    T : int
        The number of modelled months.
    groups : tuple of tuple of str
        The (series, definition) of each bias group, in order of first use.
    scales : tuple of str
        The discrepancy scales, in order of first use: ``"<type>:<series>"`` for every series of a
        learned observation type (partially pooled within the type), the type's name for a fixed one.
    z_index : numpy.ndarray
        Per aggregate term, the index into ``Z`` (int64).
    z_weight : numpy.ndarray
        Per aggregate term, its weight: the share of the month's days a flow row's period covers,
        1 for a stock.
    agg_start, agg_end : numpy.ndarray
        Per aggregate, its first and last term (int64).
    num_agg, den_agg : numpy.ndarray
        Per row, the aggregate of the numerator and of the denominator (-1: none; only rates and
        shares have one).
    """

    rows: pd.DataFrame
    unused: pd.DataFrame
    start: pd.Timestamp
    T: int
    groups: tuple[tuple[str, str], ...]
    scales: tuple[str, ...]
    z_index: np.ndarray
    z_weight: np.ndarray
    agg_start: np.ndarray
    agg_end: np.ndarray
    num_agg: np.ndarray
    den_agg: np.ndarray

    @property
    def y_transformed(self) -> np.ndarray:
        """Observed values of the rows on their model scale: log, logit or unchanged (per ``lik``)."""
        y, lik = self.rows.value.to_numpy(float), self.rows.lik.to_numpy()
        with np.errstate(all="ignore"):
            return np.where(
                lik == N.Likelihood.LOG,
                np.log(np.abs(y)),
                np.where(lik == N.Likelihood.LOGIT, np.log(y / (1 - y)), y),
            )


def _flow_weights(start, T, ps, pe) -> np.ndarray:
    w = np.zeros(T)
    a, b = month_index(start, ps), month_index(start, pe)
    for t in range(max(a, 0), min(b, T - 1) + 1):
        m0 = start + pd.DateOffset(months=t)
        m1 = m0 + pd.offsets.MonthEnd(0)
        w[t] = ((min(m1, pe) - max(m0, ps)).days + 1) / m1.day
    return w


def _stock_index(start, d: pd.Timestamp) -> int:
    """Index of the nearest month end in a stock array whose index 0 is the initial state."""
    me_prev = d - pd.offsets.MonthEnd(1) if d != d + pd.offsets.MonthEnd(0) else d
    me_next = d + pd.offsets.MonthEnd(0)
    me = me_prev if (d - me_prev) <= (me_next - d) else me_next
    return month_index(start, me) + 1


def _filter_rows(obs: pd.DataFrame, s: pd.Timestamp, T: int, housing_switch: int) -> tuple[list, list]:
    """Step 1: the rows :data:`MAPPING` maps that lie in the window; the others with the reason.

    Returns the used row labels and a list of ``(label, reason)`` of the unused ones, in row order.
    """
    last = s + pd.DateOffset(months=T - 1) + pd.offsets.MonthEnd(0)
    sh = housing_switch
    used, unused = [], []
    for i, r in obs.iterrows():
        key = (r.series, r.definition)
        if r.series in UNUSED_SERIES:
            unused.append((i, UNUSED_SERIES[r.series]))
            continue
        if key not in MAPPING:
            unused.append((i, f"definition {r.definition} of {r.series} is not mapped to the chain"))
            continue
        kind = MAPPING[key][0]
        if kind in PERIOD_KINDS:
            if r.ps < s or r.pe > last:
                unused.append((i, f"period outside the modelled window {s:%Y-%m}..{last:%Y-%m}"))
                continue
        else:
            idx = _stock_index(s, r.pe)
            if idx < 0 or idx > T:
                unused.append(
                    (
                        i,
                        f"stock date outside the modelled window (end {s - pd.DateOffset(days=1):%Y-%m} .."
                        f" {last:%Y-%m-%d})",
                    )
                )
                continue
            if kind == "linear" and not (sh <= idx <= T and sh < T):
                unused.append(
                    (
                        i,
                        "achterstand dated before the housing-supply regime (HOUSING_SUPPLY_FROM, "
                        "2019-01), from when the model accumulates it",
                    )
                )
                continue
        used.append(i)
    return used, unused


def _resolve_nested_periods(rows: pd.DataFrame, s: pd.Timestamp, T: int) -> tuple[pd.DataFrame, dict, list]:
    """Step 2: of overlapping flow and rate rows of one (series, definition), keep the shortest periods.

    A longer flow row that contains them enters as the residual over its other months when that
    residual is plausible (its monthly level within a factor 3 of theirs). Returns the kept rows
    (``value`` and ``residual_of`` set), the monthly weights of each kept flow or rate row, and the
    ``(label, reason)`` of the rows left out.
    """
    rows = rows.copy()
    rows["residual_of"] = ""
    keep, weights, unused = [], {}, []
    for key, g in rows.groupby(["series", "definition"], sort=False):
        kind = MAPPING[key][0]
        if kind not in PERIOD_KINDS:
            keep += list(g.index)
            continue
        g = g.assign(span=(g.pe - g.ps).dt.days).sort_values(["span", "ps"])
        covered = np.zeros(T)
        accepted = []
        for i, r in g.iterrows():
            w = _flow_weights(s, T, r.ps, r.pe)
            inside = w > 0
            ov = covered[inside] > 0
            if not ov.any():
                accepted.append(i)
                weights[i] = w
                covered = np.maximum(covered, w)
                continue
            if ov.all():
                unused.append((i, "nested: finer rows of the same series/definition cover this period"))
                continue
            touching = [j for j in accepted if (weights[j] * inside).sum() > 0]
            if kind == "flow" and all(((weights[j] > 0) <= inside).all() for j in touching):
                resid = r.value - rows.loc[touching, "value"].sum()
                w_res = w * (covered == 0)
                w_cov = w.sum() - w_res.sum()
                ratio = (resid / w_res.sum()) / (rows.loc[touching, "value"].sum() / w_cov)
                if 1 / 3 < ratio < 3:
                    rows.loc[i, "value"] = resid
                    rows.loc[i, "residual_of"] = f"{r.value:g} minus {len(touching)} finer rows"
                    accepted.append(i)
                    weights[i] = w_res
                    covered = np.maximum(covered, w_res)
                    continue
                unused.append(
                    (
                        i,
                        f"nested: residual after finer rows implausible ({resid:g} of {r.value:g}); "
                        "vintage mismatch",
                    )
                )
                continue
            unused.append((i, "overlaps finer rows of the same series/definition only partly"))
        keep += accepted
    return rows.loc[sorted(keep)], weights, unused


@dataclass
class _Aggregates:
    """The observation operator's aggregates as step 3 adds them (see :class:`Design`)."""

    start: pd.Timestamp
    T: int
    z_index: list = field(default_factory=list)
    z_weight: list = field(default_factory=list)
    agg_start: list = field(default_factory=list)
    agg_end: list = field(default_factory=list)

    def add(self, components, period_end: pd.Timestamp, w) -> int:
        """Add the sum of ``components`` (flows over weights ``w``, stocks at ``period_end``)."""
        a0 = len(self.z_index)
        for c in components:
            if c in FLOWS:
                base = FLOWS.index(c) * self.T
                for t in np.nonzero(w)[0]:
                    self.z_index.append(base + t)
                    self.z_weight.append(w[t])
            else:
                base = len(FLOWS) * self.T + STOCKS.index(c) * (self.T + 1)
                self.z_index.append(base + _stock_index(self.start, period_end))
                self.z_weight.append(1.0)
        self.agg_start.append(a0)
        self.agg_end.append(len(self.z_index) - 1)
        return len(self.agg_start) - 1

    def arrays(self) -> dict[str, np.ndarray]:
        """The operator's arrays, as :class:`Design` holds them."""
        return {
            "z_index": np.asarray(self.z_index, dtype=np.int64),
            "z_weight": np.asarray(self.z_weight, float),
            "agg_start": np.asarray(self.agg_start, dtype=np.int64),
            "agg_end": np.asarray(self.agg_end, dtype=np.int64),
        }


#: The columns step 3 adds to every used row (see :class:`Design`).
_OPERATOR_COLUMNS = (
    "num_agg",
    "den_agg",
    "group",
    "obs_type",
    "type_index",
    "scale_index",
    "lik",
    "noise_sd",
    "latent",
    "denominator",
    "transform",
    "reference",
)


def _noise_sd(r, otype: str) -> float:
    """The fixed noise sd of a row: its quality's, at least :data:`BOUND_SD` for a bound, with
    :data:`RESIDUAL_SD` in quadrature for a residual; on its type's scale."""
    note = str(r.note) if isinstance(r.note, str) else ""
    e = QUALITY_SD[r.quality]
    if "bound" in note.lower():
        e = max(e, BOUND_SD)
    if r.residual_of:
        e = float(np.hypot(e, RESIDUAL_SD))
    return e * OBS_TYPES[otype]["scale"]


def _observation_operator(rows: pd.DataFrame, weights: dict, s: pd.Timestamp, T: int) -> dict[str, Any]:
    """Step 3: the aggregates, bias group, discrepancy scale, likelihood and noise of every used row.

    Returns the fields of :class:`Design` it sets: ``rows`` (with :data:`_OPERATOR_COLUMNS`),
    ``groups``, ``scales`` and the operator's arrays.
    """
    groups = tuple(dict.fromkeys(zip(rows.series, rows.definition, strict=True)))
    gidx = {k: j for j, k in enumerate(groups)}
    types = list(OBS_TYPES)
    scales: list[str] = []
    aggregates = _Aggregates(s, T)
    cols: dict[str, list] = {k: [] for k in _OPERATOR_COLUMNS}
    for i, r in rows.iterrows():
        kind, num, den, ref, _ = MAPPING[(r.series, r.definition)]
        w = weights.get(i)
        cols["num_agg"].append(aggregates.add(num, r.pe, w))
        cols["den_agg"].append(aggregates.add(den, r.pe, w) if den else -1)
        cols["group"].append(gidx[(r.series, r.definition)])
        otype = TYPE_OF_KIND[kind]
        cols["obs_type"].append(otype)
        cols["type_index"].append(types.index(otype))
        scale = f"{otype}:{r.series}" if OBS_TYPES[otype]["learned"] else otype
        if scale not in scales:
            scales.append(scale)
        cols["scale_index"].append(scales.index(scale))
        cols["lik"].append(LIKELIHOOD_OF_KIND[kind])
        cols["noise_sd"].append(_noise_sd(r, otype))
        agg = "sum over period" if kind in PERIOD_KINDS else "at month end nearest the date"
        cols["latent"].append(f"{'+'.join(num)} ({agg})")
        cols["denominator"].append("+".join(den) if den else "")
        cols["transform"].append(N.LIK_TRANSFORM[LIKELIHOOD_OF_KIND[kind]])
        cols["reference"].append(bool(ref))
    rows = rows.copy()
    for k, v in cols.items():
        rows[k] = v
    rows = rows.drop(columns=["ps", "pe"])
    return {"rows": rows, "groups": groups, "scales": tuple(scales), **aggregates.arrays()}


def build_design(history, start: str, end: str) -> Design:
    """Map every observation of ``history`` to the latent chain on the monthly grid ``start``..``end``.

    A row is used when :data:`MAPPING` maps its (series, definition) and it lies in the window.
    Of overlapping flow and rate rows of one (series, definition) the shortest periods are used; a
    longer flow row that contains them enters as the residual over its other months when that
    residual is plausible (its monthly level within a factor 3 of theirs). Every other row is
    listed in ``unused`` with the reason.

    Parameters
    ----------
    history : History
        Its observations are mapped; its inputs set the taakstelling backlog window.
    start, end : str
        The first and last modelled month (any date in the month, e.g. ``"2014-01"``); at least
        24 months apart.

    Returns
    -------
    Design
        The used rows with their observation-operator arrays, and the unused rows.

    Raises
    ------
    ValueError
        When the window spans fewer than 24 months.
    """
    s, T = month_grid(start, end)
    u = build_inputs(history, start, end)
    obs = pd.concat([history.observations, estimate_rows(history)], ignore_index=True)
    obs["ps"] = pd.to_datetime(obs["period_start"])
    obs["pe"] = pd.to_datetime(obs["period_end"])
    used, unused = _filter_rows(obs, s, T, u.housing_switch)
    rows, weights, nested = _resolve_nested_periods(obs.loc[used], s, T)
    unused += nested
    operator = _observation_operator(rows, weights, s, T)
    un = obs.loc[
        [i for i, _ in unused],
        ["source_file", "line", "series", "definition", "period_start", "period_end", "value", "quality"],
    ].copy()
    un["reason"] = [r for _, r in unused]
    rows = operator["rows"]
    return Design(
        unused=un.sort_values(["source_file", "line"]),
        start=s,
        T=T,
        num_agg=rows.num_agg.to_numpy(np.int64),
        den_agg=rows.den_agg.to_numpy(np.int64),
        **operator,
    )
