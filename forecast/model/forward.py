"""The fitted chain simulated forward: the same dynamics, continued from every posterior draw.

:class:`Forward` holds, for each posterior draw, everything needed to run
:func:`forecast.model.dynamics.simulate_chain` over the forecast months (the one definition of the
chain, also used by the fit), and the random numbers of the future, drawn once:

* **State at the forecast origin**: the IND backlog, the statushouders waiting for a home and the
  rejected applicants at the end of the last fitted month, and the grants of the last
  ``nareis_L - 1`` fitted months (the nareis lag reaches back that far).
* **Paths that keep moving**: the log level of first applications moves on from the draw's last
  fitted level with the draw's ``instroom_sigma`` and **reverts to the draw's 2014-2024 average** with
  a half-life drawn from ``instroom_halflife`` (``priors/chain.toml`` says why: continued as a pure
  random walk, six years out it leaves every range seen). Each future month is a shock month with the
  frequency of shock months in the fitted history, where the innovation sd is multiplied by the draw's
  ``instroom_shock_scale`` (shocks such as 2015 or 2020 cannot be dated in advance). The draw's
  seasonal pattern is kept. The repeat share, the grant rate, the IND capacity
  and the housing realisation continue their **yearly-knot** random walks: new knots every 12 months
  after the last fitted knot, with the draw's step sd, linearly interpolated as in the fit.
* **Known inputs**: events still in force (e.g. the 2024 Syria decision moratorium until 2025-06)
  with their fitted effects; the taakstelling where it is set (``vastgesteld``).
* **The taakstelling where it is not yet set**: the rule the state applies, the statushouders expected
  to need a home, taken as the modelled housing inflow of the previous half-year times
  ``exp(r_h)``, with ``r_h ~ taakstelling_log_ratio`` drawn for every future half-year (prior in
  ``priors/chain.toml``, with its rationale). Municipalities then house ``realisation x
  taakstelling`` at most, as in the fit. So the taakstelling follows the scenario: fewer permits,
  a lower taakstelling half a year later.
* Both IND and housing are in their capacity-limited regimes from the first forecast month.

All random numbers are drawn once per draw from ``random_seed`` and do not depend on the scenario
(common random numbers: two scenarios differ only by their measures), nor on how the draws are
split into chunks (a chunk of draws gives exactly the rows of the whole).

Shapes: ``n`` posterior draws (chains x draws flattened), ``H`` forecast months. :meth:`Forward.params`
returns the parameters for a subset of draws with ``extra`` singleton scenario axes between the
draw axis and the month axis, so that multipliers with scenario axes broadcast against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.model import build as B
from forecast.model import dynamics as dyn
from forecast.model.design import build_inputs

#: Latent quantities a forecast returns per month (flows, rates, capacities and stocks).
FORECAST_VARIABLES = (
    "instroom",
    "repeat",
    "applications",
    "decisions",
    "grants",
    "rejections",
    "nareis",
    "housing_inflow",
    "housed",
    "departures",
    "grant_rate",
    "departure_rate",
    "ind_capacity",
    "housing_capacity",
    "taakstelling",
    "ind_backlog",
    "statushouders",
    "rejected",
    N.OPVANGBEHOEFTE,
)

#: knotted paths that keep moving in a forecast (the decision hazard before 2021 does not)
FORWARD_PATHS = ("logit_repeat", "log_capacity", "logit_grant", "log_realisation")

#: scalars of the posterior that simulate_chain reads in the forecast months
_SCALARS = (
    "nareis_ratio",
    "log_grants_pre",
    "eff_nareis_restriction",
    "eff_covid_nareis",
    "eff_moratorium_cap",
    "eff_moratorium_grant",
    "nareis_housing_share",
    "eff_asieldeal",
    "departure_rate",
)


def forecast_months(last_fitted: str | pd.Timestamp, horizon_end: Any) -> pd.DatetimeIndex:
    """List the forecast months: from the month after ``last_fitted`` to the month of ``horizon_end``.

    Parameters
    ----------
    last_fitted : str or pandas.Timestamp
        Any date in the last fitted month.
    horizon_end : str or date-like
        Any date in the last forecast month (inclusive).

    Returns
    -------
    pandas.DatetimeIndex
        The month starts.

    Raises
    ------
    ValueError
        When the month of ``horizon_end`` lies before the first forecast month.
    """
    first = pd.Period(pd.Timestamp(last_fitted), "M") + 1
    last = pd.Period(pd.Timestamp(horizon_end), "M")
    if last < first:
        raise ValueError(f"the horizon end {horizon_end} lies before the first forecast month {first}")
    return pd.period_range(first, last, freq="M").to_timestamp()


def _half_start(ts: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(year=ts.year, month=1 if ts.month <= 6 else 7, day=1)


def taakstelling_rule(months: pd.DatetimeIndex, known: np.ndarray, fitted_months: pd.DatetimeIndex):
    """The averaging matrices of the taakstelling rule.

    Parameters
    ----------
    months : DatetimeIndex
        Forecast months (``H``).
    known : ndarray of bool
        ``(H,)``, True where the taakstelling is set (an input).
    fitted_months : DatetimeIndex
        The fitted months (``T``), for previous half-years that lie before the forecast.

    Returns
    -------
    rule : ndarray
        ``(H, H)``: row ``t`` spreads the previous half-year's forecast housing inflow evenly over
        the six months of ``t``'s half-year (entries 1/6), for months without a set taakstelling.
    rule_past : ndarray
        ``(H, T)``: the same for the part of the previous half-year that lies in the fitted months.
    mask : ndarray
        ``(H,)``, 1 where the rule sets the taakstelling.
    half_index : ndarray of int
        ``(H,)``, the forecast half-year of each month (0, 1, ...), for drawing one ratio per half-year.
    """
    H, T = len(months), len(fitted_months)
    rule = np.zeros((H, H))
    past = np.zeros((H, T))
    mask = (~np.asarray(known, bool)).astype(float)
    pos_future = {m: i for i, m in enumerate(months)}
    pos_past = {m: i for i, m in enumerate(fitted_months)}
    halves = [_half_start(m) for m in months]
    for t, h0 in enumerate(halves):
        if not mask[t]:
            continue
        prev = pd.date_range(h0 - pd.DateOffset(months=6), periods=6, freq="MS")
        for m in prev:
            if m in pos_future:
                rule[t, pos_future[m]] = 1.0 / 6.0
            elif m in pos_past:
                past[t, pos_past[m]] = 1.0 / 6.0
            else:
                raise ValueError(
                    f"the taakstelling rule for {h0:%Y-%m} needs the housing inflow of {m:%Y-%m}"
                )
    _, half_index = np.unique(np.array(halves, dtype="datetime64[ns]"), return_inverse=True)
    return rule, past, mask, half_index


def _draw_prior(prior, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of a forward-only prior (Normal or LogNormal) with numpy's generator."""
    if prior.distribution == "LogNormal":
        return np.exp(prior.params["mu"] + prior.params["sigma"] * rng.standard_normal(n))
    if prior.distribution == "Normal":
        return prior.params["mu"] + prior.params["sigma"] * rng.standard_normal(n)
    raise ValueError(
        f"{prior.name}: a forward-only prior must be Normal or LogNormal, not {prior.distribution}"
    )


def _grants_before(grants: np.ndarray, log_grants_pre: np.ndarray, L: int) -> np.ndarray:
    """The grants of the ``L - 1`` months before the forecast's first month, oldest first.

    The nareis lag reaches ``L - 1`` months back. Where the fitted window is shorter than that, the
    months before it take the fit's own pre-window level ``exp(log_grants_pre)``, exactly as
    :func:`~forecast.model.dynamics.simulate_chain` fills them in the fit.

    Parameters
    ----------
    grants : numpy.ndarray
        The fitted monthly grants, shape ``(n, T)``.
    log_grants_pre : numpy.ndarray
        The draw's log grants per month before the fitted window, shape ``(n,)``.
    L : int
        Length of the nareis lag (months).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, L - 1)``.
    """
    T = grants.shape[-1]
    if T >= L - 1:
        return grants[:, T - (L - 1) :]
    pad = np.broadcast_to(np.exp(log_grants_pre)[:, None], (grants.shape[0], L - 1 - T))
    return np.concatenate([pad, grants], axis=-1)


class Forward:
    """Every posterior draw of a fitted :class:`~forecast.model.ChainModel`, ready to be simulated forward.

    Use :meth:`ChainModel.forward <forecast.model.ChainModel.forward>` rather than this constructor.

    Parameters
    ----------
    posterior : xarray.Dataset
        The fitted posterior (dims ``chain``, ``draw``, ...).
    latents : dict of str to ndarray
        The fitted latent paths ``(chain, draw, T)`` (:func:`forecast.model.build.posterior_latents`).
    inputs : dict
        The fitted model's known inputs ``u``.
    history : History
        The fitted history (for the taakstelling and the events in force after the last fitted month).
    fitted_months : DatetimeIndex
        The ``T`` fitted months.
    priors : PriorConfig
        For :data:`forecast.model.build.FORWARD_PARAMETERS`.
    horizon_end : date-like
        The last forecast month (inclusive).
    random_seed : int
        Seed of the future's random numbers.

    Attributes
    ----------
    months : DatetimeIndex
        The ``H`` forecast months.
    chains, draws : ndarray
        The posterior's chain and draw labels; draws are flattened chain-major to ``n = chains x draws``.
    u : dict
        The known inputs of the forecast months.
    """

    def __init__(
        self,
        posterior,
        latents: Mapping[str, np.ndarray],
        inputs: dict,
        history,
        fitted_months: pd.DatetimeIndex,
        priors,
        horizon_end: Any = N.DEFAULT_HORIZON_END,
        random_seed: int = 2026,
    ) -> None:
        post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
        self.chains = np.asarray(post[N.DIM_CHAIN].values)
        self.draws = np.asarray(post[N.DIM_DRAW].values)
        self.shape = (len(self.chains), len(self.draws))
        n = self.shape[0] * self.shape[1]
        self.n = n
        self.random_seed = int(random_seed)
        self.fitted_months = pd.DatetimeIndex(fitted_months)
        T = len(self.fitted_months)
        self.months = forecast_months(self.fitted_months[-1], horizon_end)
        H = len(self.months)

        def flat(x):
            x = np.asarray(x, dtype=float)
            return x.reshape(n, *x.shape[2:])

        # known inputs of the forecast months: build_inputs on the future window
        # (build_inputs wants a window of at least 24 months: a shorter horizon takes the first H of them)
        last = max(pd.Period(self.months[-1], "M"), pd.Period(self.months[0], "M") + 23)
        u = build_inputs(history, f"{self.months[0]:%Y-%m}", f"{last:%Y-%m}")
        u = {
            k: (v[..., :H] if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[-1] == u["T"] else v)
            for k, v in u.items()
        }
        u["T"] = H
        known = u["taak_mask"] > 0
        rule, rule_past, rule_mask, half_index = taakstelling_rule(self.months, known, self.fitted_months)
        u.update(
            {
                "ind_switch": 0,
                "housing_switch": 0,
                "taak_mask": np.ones(H),
                "taak_rule": rule,
                "taak_rule_mask": rule_mask,
                "tb_mask": np.zeros(H),
            }
        )
        self.u = u

        # state at the forecast origin
        self._scalars = {k: flat(post[k].values) for k in _SCALARS}
        self._scalars["lag_mean"] = flat(post["nareis_lag_mean"].values)
        self._scalars["backlog0"] = flat(latents["ind_backlog"][..., -1])
        self._scalars["statushouders0"] = flat(latents["statushouders"][..., -1])
        self._scalars["rejected0"] = flat(latents["rejected"][..., -1])
        self._scalars["taak_backlog0"] = np.zeros(n)
        L = int(inputs["nareis_L"])
        self._grants_hist = _grants_before(flat(latents["grants"]), flat(post["log_grants_pre"].values), L)
        self._season = flat(post["season"].values)
        self._rule_past = flat(latents["housing_inflow"]) @ rule_past.T  # (n, H)

        # the future's random numbers (scenario-independent, drawn once for all draws)
        rng = np.random.default_rng(self.random_seed)
        shock_freq = float(np.mean(inputs["instroom_shock"]))
        shock = rng.random((n, H)) < shock_freq
        z = rng.standard_normal((n, H)) * np.where(
            shock, flat(post["instroom_shock_scale"].values)[:, None], 1.0
        )
        self.shock_months = shock
        # the log level reverts to the draw's fitted average with a half-life from the prior (an AR(1) in
        # deviations, through the same closed-form linear recursion as the chain's linear stocks)
        level = flat(post["instroom_log_level"].values)
        self.level_mean = level.mean(axis=-1)
        halflife = _draw_prior(priors["instroom_halflife"], rng, n)
        self.reversion = np.exp(np.log(0.5) / halflife)  # phi per month
        sigma = flat(post["instroom_sigma"].values)
        phi = np.broadcast_to(self.reversion[:, None], (n, H))
        dev = dyn.linear_recursion(level[:, -1] - self.level_mean, phi, sigma[:, None] * z, dyn.NP)
        self._paths = {"log_level": self.level_mean[:, None] + dev}
        knots = B.knot_months(inputs)
        for path in FORWARD_PATHS:
            _, sigma_name, _ = B._KNOTTED[path]
            fitted = flat(post[f"{path}_knots"].values)  # (n, K)
            pos = np.asarray(knots[path])
            n_new = int(np.ceil(max(T + H - 1 - pos[-1], 0) / B.KNOT_STEP)) + 1
            new_pos = pos[-1] + B.KNOT_STEP * np.arange(1, n_new + 1)
            steps = rng.standard_normal((n, n_new))
            new = dyn.random_walk(fitted[:, -1], flat(post[sigma_name].values), steps, dyn.NP)
            W = dyn.interp_matrix(T + H, np.concatenate([pos, new_pos]))[T:]  # (H, K + n_new)
            self._paths[path] = np.concatenate([fitted, new], axis=-1) @ W.T
        ratio = priors["taakstelling_log_ratio"]
        if ratio.distribution != "Normal":
            raise ValueError("taakstelling_log_ratio must be Normal (a log ratio drawn per half-year)")
        r = ratio.params["mu"] + ratio.params["sigma"] * rng.standard_normal((n, int(half_index.max()) + 1))
        self._paths["taak_ratio"] = np.exp(r[:, half_index])

    # ------------------------------------------------------------------ parameters
    def params(self, draws: Any = slice(None), extra: int = 0) -> dict:
        """Parameters of :func:`~forecast.model.dynamics.simulate_chain` for a subset of draws.

        Parameters
        ----------
        draws : slice or array of int
            Which of the ``n`` flattened draws.
        extra : int
            Number of singleton scenario axes to insert between the draw axis and the month axis.

        Returns
        -------
        dict
            Scalars of shape ``(m, 1, ..., 1)`` and paths of shape ``(m, 1, ..., 1, H)``.
        """
        ones = (1,) * extra

        def scal(x):
            x = x[draws]
            return x.reshape(x.shape[0], *ones)

        def path(x):
            x = x[draws]
            return x.reshape(x.shape[0], *ones, x.shape[-1])

        p = {k: scal(v) for k, v in self._scalars.items()}
        p["lag_shape"] = B.FIXED["nareis_lag_shape"] + 0.0 * p["lag_mean"]
        p["season"] = path(self._season)
        p["grants_hist"] = path(self._grants_hist)
        p["taak_rule_past"] = path(self._rule_past)
        p["housing_latent"] = np.zeros(1)
        for k, v in self._paths.items():
            p[k] = path(v)
        return p

    def simulate(
        self,
        multipliers: Mapping[str, np.ndarray] | None = None,
        draws: Any = slice(None),
        extra: int = 0,
    ) -> dict[str, np.ndarray]:
        """Run the chain over the forecast months.

        Parameters
        ----------
        multipliers : mapping of target to ndarray, optional
            Policy multipliers per target of :data:`forecast.names.MULTIPLIER_TARGETS`, each
            broadcastable to ``(m, *scenario_axes, H)`` with ``extra`` scenario axes.
            None: current policy (no multiplier at all).
        draws : slice or array of int
            Which of the ``n`` flattened draws.
        extra : int
            Number of scenario axes of the multipliers.

        Returns
        -------
        dict of str to ndarray
            Every variable of :data:`FORECAST_VARIABLES`, each of the smallest shape its inputs
            broadcast to (a variable that no multiplier touches has singleton scenario axes).
        """
        p = self.params(draws, extra)
        for target, value in (multipliers or {}).items():
            if target not in N.MULTIPLIER_TARGETS:
                raise KeyError(f"unknown multiplier target {target!r}; targets: {N.MULTIPLIER_TARGETS}")
            p[f"mult_{target}"] = np.asarray(value, dtype=float)
        out = dyn.simulate_chain(p, self.u, dyn.NP)
        return {k: out[k] for k in FORECAST_VARIABLES}
