"""The fitted chain simulated forward: the same dynamics, continued from every posterior draw.

:class:`Forward` holds, for each posterior draw, everything needed to run
:func:`forecast.model.dynamics.simulate_chain` over the forecast months (the one definition of the
chain, also used by the fit), and the random numbers of the future, drawn once:

* **State at the forecast origin**: the IND backlog, the pending nareis applications, the
  statushouders waiting for a home, the rejected applicants, the municipal housing supply and the
  achterstand at the end of the last fitted month (and the achterstand at the start of that month's
  half-year, which sets its obligation), with the grants and positive nareis decisions of the last
  months that the two nareis lags reach back to.
* **The same processes as the fit, continued**: the log level of first applications continues its
  fitted AR(1) around its mean with Student-t innovations (the draw's mean, half-life, scale and
  degrees of freedom): no separate forecast assumption. The IND capacity's deviation from its funded
  level continues its AR(1) on yearly knots (reverting to the funded level, the latest known
  statement held). The repeat share and the grant rate continue their yearly-knot random walks. The
  draw's seasonal pattern is kept.
* **The counted stocks' gap from the counts** (:mod:`forecast.model.anchor`, when a
  :class:`~forecast.model.anchor.StockAnchor` is given): need, statushouders and the two backlogs are
  the chain's stock times ``exp(gap)``, the gap starting at the last count and fading as an AR(1)
  with the draw's half-life, from its own random stream and the same in every scenario.
* **Known inputs**: events still in force (e.g. the 2024 Syria decision moratorium until 2025-06)
  with their fitted effects; the taakstelling where it is set; the regime switches at their dates
  (a fit that ends before 2019 or 2021 is continued in its hazard regime up to them).
* **The taakstelling where it is not yet set**: the rule the state applies, the statushouders expected
  to need a home, taken as the modelled housing inflow of the previous half-year times
  ``exp(r_h)``, with ``r_h ~ taakstelling_log_ratio`` drawn for every future half-year (prior in
  ``priors/chain.toml``, with its rationale), exactly as the fit treats a half-year without one.
  So the taakstelling follows the scenario: fewer permits, a lower taakstelling half a year later.

**Conditioned on the taakstelling already set** (:meth:`Forward.condition`,
:mod:`forecast.model.conditioning`): where the taakstelling of a forecast half-year is set, the draws
are weighed by the fit's likelihood of it on their current-policy grants plus nareis and resampled;
:attr:`Forward.index` says which posterior draw each forecast draw is.

All random numbers are drawn once per draw from ``random_seed`` and do not depend on the scenario
(common random numbers: two scenarios differ only by their measures), nor on how the draws are
split into chunks (a chunk of draws gives exactly the rows of the whole).

Shapes: ``n`` posterior draws (chains x draws flattened), ``H`` forecast months. :meth:`Forward.params`
returns the parameters for a subset of draws with ``extra`` singleton scenario axes between the
draw axis and the month axis, so that multipliers with scenario axes broadcast against them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.model import build as B
from forecast.model import conditioning as C
from forecast.model import dynamics as dyn
from forecast.model.anchor import StockAnchor
from forecast.model.inputs import build_inputs

#: Latent quantities a forecast returns per month (flows, rates, capacities and stocks).
FORECAST_VARIABLES = (
    "instroom",
    "repeat",
    "applications",
    "decisions",
    "grants",
    "rejections",
    "nareis_applications",
    "nareis_decisions",
    "nareis",
    "housing_inflow",
    "housed",
    "self_housed",
    "departures",
    "grant_rate",
    "departure_rate",
    "ind_capacity",
    "housing_supply",
    "obligation",
    "taakstelling",
    "ind_backlog",
    "nareis_backlog",
    "statushouders",
    "rejected",
    N.OPVANGBEHOEFTE,
    "taak_backlog",
)

#: knotted random walks that keep moving in a forecast (the IND's decision hazard matters only when the
#: fit ends before the IND switch, and then moves on too)
FORWARD_PATHS = ("logit_repeat", "logit_grant", "logit_hazard", "log_nareis_dev")

#: scalars of the posterior that a forecast reads as they are
_SCALARS = B.SAMPLED_SCALARS


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


def _draw_prior(prior, rng: np.random.Generator, size) -> np.ndarray:
    """Draws of a Normal or LogNormal prior with numpy's generator."""
    if prior.distribution == "LogNormal":
        return np.exp(prior.params["mu"] + prior.params["sigma"] * rng.standard_normal(size))
    if prior.distribution == "Normal":
        return prior.params["mu"] + prior.params["sigma"] * rng.standard_normal(size)
    raise ValueError(f"{prior.name}: a forward prior must be Normal or LogNormal, not {prior.distribution}")


#: Largest monthly innovation of the instroom level a forecast draws, in units of its scale.
MAX_SHOCK = 12.0


def truncated_t(rng: np.random.Generator, nu: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Student-t draws (degrees of freedom ``nu`` per row) within ``±MAX_SHOCK``, by redrawing beyond it.

    The fitted degrees of freedom of the instroom level's innovations are small (heavy tails stand
    for shocks like 2015 and 2020), and a Student-t with ``nu`` near 2-3 occasionally draws 50 or 100
    scale units: a month with 500 or 10^6 times the inflow, which nothing in the data supports and
    which overflows the chain. The largest monthly move in 2014-2024 was about 1.2 log units, 9-10
    scale units of the fit; a forecast draws innovations up to 12 scale units (about x5 in a month at
    the fitted scale) and redraws the rare ones beyond. In the fit these tails carry no weight.

    Parameters
    ----------
    rng : numpy.random.Generator
        The random numbers.
    nu : numpy.ndarray
        ``(n,)`` degrees of freedom per draw.
    size : tuple of int
        ``(n, H)``.

    Returns
    -------
    numpy.ndarray
        The draws.
    """
    nu = np.broadcast_to(np.asarray(nu, float)[:, None], size)
    e = rng.standard_t(nu)
    bad = np.abs(e) > MAX_SHOCK
    while bad.any():
        e[bad] = rng.standard_t(nu[bad])
        bad = np.abs(e) > MAX_SHOCK
    return e


def _history_of(x: np.ndarray, n: int, fill: np.ndarray) -> np.ndarray:
    """The last ``n`` months of ``x`` (draws, T), after ``fill`` (draws,) where the window is shorter."""
    T = x.shape[-1]
    if n <= T:
        return x[:, T - n :]
    pad = np.broadcast_to(fill[:, None], (x.shape[0], n - T))
    return np.concatenate([pad, x], axis=-1)


class Forward:
    """Every posterior draw of a fitted :class:`~forecast.model.ChainModel`, ready to be simulated forward.

    Use :meth:`ChainModel.forward <forecast.model.ChainModel.forward>` rather than this constructor.

    Parameters
    ----------
    posterior : xarray.Dataset
        The fitted posterior (dims ``chain``, ``draw``, ...).
    latents : dict of str to ndarray
        The fitted latent paths ``(chain, draw, T)`` (:func:`forecast.model.build.posterior_latents`).
    inputs : ChainInputs
        The fitted model's known inputs.
    history : History
        The fitted history (for the taakstelling, the IND's funded capacity and the events in force
        after the last fitted month).
    fitted_months : DatetimeIndex
        The ``T`` fitted months.
    priors : PriorConfig
        For the taakstelling rule's ratio (``taakstelling_log_ratio``).
    horizon_end : date-like
        The last forecast month (inclusive).
    random_seed : int
        Seed of the future's random numbers.
    anchor : StockAnchor, optional
        The counted stocks' gaps from the chain at the last counts
        (:func:`~forecast.model.anchor.stock_anchor`); :meth:`simulate` multiplies each anchored
        stock by its gap (:data:`~forecast.model.anchor.ANCHORED_LATENTS`). None: the chain's stocks
        as they are.

    Attributes
    ----------
    months : DatetimeIndex
        The ``H`` forecast months.
    chains, draws : ndarray
        The posterior's chain and draw labels; draws are flattened chain-major to ``n = chains x draws``.
    u : ChainInputs
        The known inputs of the forecast months.
    anchor : StockAnchor or None
        The anchor it was given (its draws taken as :attr:`index` says).
    index : numpy.ndarray or None
        After :meth:`condition`: which of the posterior's ``n`` flattened draws each draw is
        (:mod:`forecast.model.conditioning`); None: draw ``i`` is posterior draw ``i``.
    conditioning : Conditioning or None
        After :meth:`condition`: the estimates used and the weights' effective sample size.
    """

    #: the per-draw arrays (leading axis ``n``) and dicts of them that :meth:`take` re-indexes
    _PER_DRAW = (
        "_scalars",
        "_paths",
        "_gaps",
        "_supply0",
        "_housed_hist",
        "_achterstand_half0",
        "_decisions_hist",
        "_grants_hist",
        "_positives_hist",
        "_season",
        "_rule_past",
    )

    def __init__(
        self,
        posterior,
        latents: Mapping[str, np.ndarray],
        inputs,
        history,
        fitted_months: pd.DatetimeIndex,
        priors,
        horizon_end: Any = N.DEFAULT_HORIZON_END,
        random_seed: int = N.DEFAULT_SEED,
        anchor: StockAnchor | None = None,
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

        def flat(x):
            x = np.asarray(x, dtype=float)
            return x.reshape(n, *x.shape[2:])

        # known inputs of the forecast months: the same builder as the fit's, on the future window
        u = build_inputs(
            history,
            f"{self.months[0]:%Y-%m}",
            f"{self.months[-1]:%Y-%m}",
            before=self.fitted_months,
            min_months=1,
        )
        self.u = u

        # the state at the forecast origin
        sc = {k: flat(post[k].values) for k in _SCALARS}
        sc["backlog0"] = flat(latents["ind_backlog"][..., -1])
        sc["nareis_backlog0"] = flat(latents["nareis_backlog"][..., -1])
        sc["statushouders0"] = flat(latents["statushouders"][..., -1])
        sc["rejected0"] = flat(latents["rejected"][..., -1])
        self._supply0 = None
        if inputs.housing_switch < T:  # the fit reached the supply regime: carry supply and achterstand on
            self._supply0 = flat(latents["housing_supply"][..., -1])
            sc["taak_backlog0"] = flat(latents["taak_backlog"][..., -1])
        housed = flat(latents["housed"])
        self._housed_hist = (
            None if self._supply0 is not None else _history_of(housed, dyn.ANCHOR_MONTHS, housed[:, 0])
        )
        self._scalars = sc
        # the achterstand at the start of the first forecast month's half-year (its obligation)
        self._achterstand_half0 = None
        first = self.months[0]
        half0 = pd.Timestamp(year=first.year, month=1 if first.month <= 6 else 7, day=1)
        if half0 < first and inputs.housing_switch < T:
            pos = self.fitted_months.get_loc(half0) - 1  # the month before the half-year started
            if pos >= inputs.housing_switch:
                self._achterstand_half0 = flat(latents["taak_backlog"][..., pos])
        # the IND capacity where no funded level is known is anchored, as in the fit, on the decisions
        # of the months before the IND switch: after a fit that reached the switch those are the
        # months just before it, not the last fitted ones (which already carry the fitted offset)
        decisions = flat(latents["decisions"])
        switch = int(inputs.ind_switch)
        if switch < T:
            self._decisions_hist = decisions[:, max(switch - dyn.ANCHOR_MONTHS, 0) : switch]
        else:
            self._decisions_hist = _history_of(decisions, dyn.ANCHOR_MONTHS, decisions[:, 0])
        grants = flat(latents["grants"])
        grants_pre = np.exp(sc["log_grants_pre"])
        self._grants_hist = _history_of(grants, u.app_L - 1, grants_pre)
        steady = sc["nareis_app_ratio"] * sc["nareis_grant_share"] * grants_pre
        positives = sc["nareis_grant_share"][:, None] * flat(latents["nareis_decisions"])
        self._positives_hist = _history_of(positives, u.travel_L - 1, steady)
        self._season = flat(post["season"].values)
        self._rule_past = flat(latents["housing_inflow"]) @ np.asarray(u.rule_past).T  # (n, H)

        # the future's random numbers (scenario-independent, drawn once for all draws)
        self._paths = self._future_paths(post, flat, inputs, priors, T)
        # the counted stocks' gaps from the chain, carried on from the last counts (their own stream)
        self.anchor = anchor
        self._gaps = (
            {} if anchor is None else anchor.paths(self.months, np.random.default_rng([self.random_seed, 1]))
        )
        self.index: np.ndarray | None = None
        self.conditioning: C.Conditioning | None = None

    # ------------------------------------------------------------------ conditioning
    def take(self, index: np.ndarray) -> Forward:
        """A copy whose draw ``i`` is this one's draw ``index[i]``: its state, parameters and future.

        Parameters
        ----------
        index : numpy.ndarray
            ``(n,)`` indices into the ``n`` draws.

        Returns
        -------
        Forward
            Every per-draw array re-indexed, the anchor too; :attr:`index` composes with this one's.
        """
        index = np.asarray(index, dtype=np.int64)
        if index.shape != (self.n,):
            raise ValueError(f"take needs {self.n} draw indices, got shape {index.shape}")
        new = copy.copy(self)

        def one(x):
            if x is None:
                return None
            if isinstance(x, dict):
                return {k: one(v) for k, v in x.items()}
            return np.asarray(x)[index]

        for name in self._PER_DRAW:
            setattr(new, name, one(getattr(self, name)))
        new.anchor = None if self.anchor is None else self.anchor.take(index)
        new.index = index if self.index is None else self.index[index]
        return new

    def paired(self, x: np.ndarray) -> np.ndarray:
        """A posterior array ``(chain, draw, ...)`` with its draws taken as this forecast's (:attr:`index`).

        Whatever is paired with the forecast draw by draw (the fitted latents, the observation
        biases, an evaluated effect's posterior) must take the same draws as a conditioned forecast.

        Parameters
        ----------
        x : numpy.ndarray
            ``(chain, draw, ...)`` or ``(n, ...)``.

        Returns
        -------
        numpy.ndarray
            The same shape; ``x`` itself when the forecast is not conditioned.
        """
        x = np.asarray(x)
        if self.index is None:
            return x
        lead = 2 if x.shape[:2] == self.shape else 1
        flat = x.reshape(self.n, *x.shape[lead:])
        return flat[self.index].reshape(x.shape)

    def condition(self, history, posterior, priors) -> Forward:
        """This forecast conditioned on the estimates set for the forecast months (the taakstelling).

        The current-policy forecast's grants plus nareis arrivals of every half-year whose
        taakstelling is set (and lies wholly in the forecast months) are weighed by the fit's own
        likelihood of that taakstelling, and the draws resampled
        (:mod:`forecast.model.conditioning`).

        Parameters
        ----------
        history : History
            The fitted history: its inputs as known at its cut.
        posterior : xarray.Dataset
            The fitted posterior (the estimate's bias).
        priors : PriorConfig
            The bias prior, where the fit saw no estimate.

        Returns
        -------
        Forward
            ``self`` when no estimate is set for the forecast months; else the resampled copy
            (:meth:`take`), with :attr:`conditioning`.
        """
        rows = C.set_estimates(history, self.months)
        if rows.empty:
            return self
        rng = np.random.default_rng([self.random_seed, C.RESAMPLE_STREAM])
        out = self.simulate(anchored=False)
        flows = np.asarray(out["grants"] + out["nareis"], dtype=float).reshape(self.n, -1)
        totals = C.period_totals(flows, self.months, rows)
        bias = C.estimate_bias(posterior, priors, rows, self.n, rng)
        index, ess = C.systematic_resample(C.estimate_log_weights(totals, rows, bias), rng)
        new = self.take(index)
        new.conditioning = C.Conditioning(C.used_rows(rows, totals, index), ess, self.n)
        return new

    def _future_paths(self, post, flat, inputs, priors, T: int) -> dict[str, np.ndarray]:
        """Draw the future's random numbers, in a fixed order from one generator seeded ``random_seed``.

        Parameters
        ----------
        post : xarray.Dataset
            The posterior.
        flat : callable
            Flattens a (chain, draw, ...) array to (n, ...).
        inputs : ChainInputs
            The fit's known inputs (their knots).
        priors : PriorConfig
            The priors (the taakstelling rule's ratio is drawn from its prior).
        T : int
            The number of fitted months.

        Returns
        -------
        dict of str to numpy.ndarray
            The instroom ``log_level``, every path of :data:`FORWARD_PATHS`, ``capacity_dev`` and
            ``taak_ratio``, each ``(n, H)``.
        """
        n, H = self.n, len(self.months)
        rng = np.random.default_rng(self.random_seed)
        # instroom: the fitted AR(1) with Student-t innovations, continued
        phi = B.halflife_to_phi(flat(post["instroom_halflife"].values))
        sigma = flat(post["instroom_sigma"].values)
        nu = flat(post["instroom_nu"].values)
        mean = flat(post["instroom_mean"].values)
        dev = flat(post["instroom_level"].values)[:, -1] - mean
        e = truncated_t(rng, nu, (n, H)) * sigma[:, None]
        x = dyn.linear_recursion(dev, np.broadcast_to(phi[:, None], (n, H)), e, dyn.NP)
        paths = {"log_level": mean[:, None] + x}
        knots = B.knot_months(inputs)
        for path in FORWARD_PATHS:
            _, sigma_name, _ = B.KNOTTED[path]
            level = [flat(post[v].values) for v in B.REVERTING.get(path, ())]
            fitted = flat(post[f"{path}_knots"].values)  # (n, K)
            sigma = flat(post[sigma_name].values)
            paths[path] = B.continue_knots(fitted, np.asarray(knots[path]), T, H, sigma, rng, *level)
        # the IND capacity's deviation from its funded level: its AR(1) around 0 on yearly knots, continued
        fitted = flat(post[B.CAPACITY_DEV].values)
        rho, sigma = flat(post["capacity_persistence"].values), flat(post["capacity_sigma"].values)
        pos = np.asarray(knots["capacity_dev"])
        paths["capacity_dev"] = B.continue_knots(fitted, pos, T, H, sigma, rng, np.zeros(n), rho)
        # the taakstelling rule's ratio, one per future half-year whose taakstelling is not set
        ratio = priors["taakstelling_log_ratio"]
        r = _draw_prior(ratio, rng, (n, len(self.u.rule_halves)))
        paths["taak_ratio"] = B.rule_ratio_path(r, self.u, dyn.NP)
        return paths

    # ------------------------------------------------------------------ parameters
    def params(self, draws: Any = slice(None), extra: int = 0) -> dyn.ChainParams:
        """Parameters of :func:`~forecast.model.dynamics.simulate_chain` for a subset of draws.

        Parameters
        ----------
        draws : slice or array of int
            Which of the ``n`` flattened draws.
        extra : int
            Number of singleton scenario axes to insert between the draw axis and the month axis.

        Returns
        -------
        ChainParams
            Scalars of shape ``(m, 1, ..., 1)`` and paths of shape ``(m, 1, ..., 1, H)``.
        """
        ones = (1,) * extra

        def scal(x):
            x = x[draws]
            return x.reshape(x.shape[0], *ones)

        def path(x):
            x = x[draws]
            return x.reshape(x.shape[0], *ones, x.shape[-1])

        sc = {k: scal(v) for k, v in self._scalars.items()}
        return dyn.ChainParams(
            log_level=path(self._paths["log_level"]),
            season=path(self._season),
            logit_repeat=path(self._paths["logit_repeat"]),
            logit_hazard=path(self._paths["logit_hazard"]),
            capacity_dev=path(self._paths["capacity_dev"]),
            logit_grant=path(self._paths["logit_grant"]),
            log_nareis_dev=path(self._paths["log_nareis_dev"]),
            lag_shape=B.FIXED["nareis_lag_shape"],
            app_lag_mean=sc.pop("nareis_app_lag_mean"),
            travel_lag_mean=sc.pop("nareis_travel_lag_mean"),
            logit_nareis_hazard=sc.pop("nareis_hazard_logit"),
            log_realisation=sc.pop("realisation_log"),
            logit_match=sc.pop("match_logit"),
            taak_ratio=path(self._paths["taak_ratio"]),
            decisions_hist=path(self._decisions_hist),
            supply0=None if self._supply0 is None else scal(self._supply0),
            housed_hist=None if self._housed_hist is None else path(self._housed_hist),
            grants_hist=path(self._grants_hist),
            positives_hist=path(self._positives_hist),
            taak_rule_past=path(self._rule_past),
            achterstand_half0=None if self._achterstand_half0 is None else scal(self._achterstand_half0),
            **sc,
        )

    def simulate(
        self,
        multipliers: Mapping[str, np.ndarray] | None = None,
        draws: Any = slice(None),
        extra: int = 0,
        obligation_off: np.ndarray | None = None,
        voluntary_share: np.ndarray | None = None,
        anchored: bool = True,
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
        obligation_off : ndarray, optional
            How far the taakstelling is abolished per month, 0..1, broadcastable to
            ``(m, *scenario_axes, H)`` (the structural switch of
            :attr:`~forecast.model.dynamics.ChainParams.obligation_off`). None: not abolished.
        voluntary_share : ndarray, optional
            With ``obligation_off``: the share of the housing municipalities keep without the
            obligation, broadcastable to ``(m, *scenario_axes)``.
        anchored : bool, optional
            Multiply each anchored stock by its gap from the counts (default True; only with an
            ``anchor``). False gives the chain's own stocks, as the observation model reads them.

        Returns
        -------
        dict of str to ndarray
            Every variable of :data:`FORECAST_VARIABLES`, each of the smallest shape its inputs
            broadcast to (a variable that no multiplier touches has singleton scenario axes).

        Raises
        ------
        KeyError
            For a target outside :data:`forecast.names.MULTIPLIER_TARGETS`.
        ValueError
            For ``obligation_off`` without ``voluntary_share``.
        """
        p = self.params(draws, extra)
        changes = {}
        for target, value in (multipliers or {}).items():
            if target not in N.MULTIPLIER_TARGETS:
                raise KeyError(f"unknown multiplier target {target!r}; targets: {N.MULTIPLIER_TARGETS}")
            changes[f"mult_{target}"] = np.asarray(value, dtype=float)
        if obligation_off is not None:
            if voluntary_share is None:
                raise ValueError("obligation_off needs voluntary_share")
            changes["obligation_off"] = np.asarray(obligation_off, dtype=float)
            changes["voluntary_share"] = np.asarray(voluntary_share, dtype=float)
        out = dyn.simulate_chain(p.replace(**changes) if changes else p, self.u, dyn.NP)
        if anchored:
            ones = (1,) * extra
            for name, gap in self._gaps.items():
                g = gap[draws]
                out[name] = out[name] * g.reshape(g.shape[0], *ones, g.shape[-1])
        return {k: out[k] for k in FORECAST_VARIABLES}
