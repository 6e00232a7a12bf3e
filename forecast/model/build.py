"""The PyMC model of the reception chain, its sampler, and the numpy posterior side.

* :func:`build_model` builds the PyMC model from a :class:`~forecast.model.design.Design`, the known
  inputs (:func:`~forecast.model.design.build_inputs`) and a :class:`forecast.priors.PriorConfig`
  (every prior is read from the config; the names are :data:`MODEL_PARAMETERS`).
* :func:`sample` compiles with nutpie (numba backend) and samples; ``sampler="pymc"`` is the fallback.
* :func:`posterior_latents` recomputes every latent flow and stock for all posterior draws in numpy,
  through the same :func:`~forecast.model.dynamics.simulate_chain` as the model.
* :func:`row_predictions` gives the predictive distribution of every used observation row.
* Optional policy effects estimated in the fit (:class:`ModelEffect`, the phase-gate evaluation of
  :mod:`forecast.evaluation`): one free parameter per effect that multiplies its target flow or rate by
  ``exp(sum of ramp_t x effect)`` over the fitted months (through ``p["mult_<target>"]`` of
  :func:`~forecast.model.dynamics.simulate_chain`). Without effects the model is exactly the one above.

Formulation (monthly; see dynamics.py for the chain itself and docs/model.md for the rationale):

* instroom: ``log I_t = level_t + season[m(t)]``. ``level`` is a **stationary AR(1)** around
  ``instroom_mean`` with Student-t innovations (half-life ``instroom_halflife``, scale
  ``instroom_sigma``, degrees of freedom ``instroom_nu``): heavy tails instead of hand-dated shock
  months, and the same process in the fit and in the forecast. The level path is sampled **centred**
  (the monthly IND and CBS series pin it; its mean enters only through the AR(1)'s density).
  ``season`` is zero-sum over the 12 months.
* IND: a monthly decision hazard on the available stock before 2021 (linear, closed form), a
  capacity-limited capped stock from 2021 (design.IND_CAPACITY_FROM), which decides at most a share
  ``sigmoid(ind_processing_logit)`` of the available cases a month (the procedure's pace). The
  capacity is the funded level as known (``ind_decision_capacity``; ``capacity_unfunded`` before the
  first statement) times ``exp`` of a deviation that is a stationary AR(1) on yearly knots: it
  reverts to the funded level.
* repeat share, decision hazard and nareis arrivals per positive decision: **centred** random walks on
  **yearly** knots (:data:`KNOTTED`), linearly interpolated to months; the grant rate's knots are an
  AR(1) around a sampled level instead (:data:`REVERTING`). The housing hazard before 2019 is one constant
  monthly share.
* nareis: a queue of its own: applications follow grants (gamma lag), the IND decides them at a hazard
  and, from 2021, within a share of its capacity; positive decisions arrive after a second gamma lag
  (shapes fixed: :data:`FIXED`). Arrivals per grant (``nareis_ratio``) and the grant share are sampled,
  applications per grant follow.
* housing: a constant monthly housing hazard before 2019; from then on municipal housing supply that
  adjusts partly each month toward the obligation (taakstelling plus a share of the achterstand), a
  matching hazard, and a small self-found route (one fused kernel,
  :func:`~forecast.model.dynamics.simulate_chain`). A half-year whose taakstelling is not set follows
  the state's rule with a latent ratio per half-year (``taakstelling_log_ratio``); no value is invented.
* observations: Student-t(``OBS_NU``) on the log / logit / natural scale; sd = fixed quality noise (+)
  a learned discrepancy **per series**, partially pooled within its type (``discrepancy_flow``,
  ``discrepancy_stock``, ``discrepancy_spread``); one bias per non-reference (series, definition) with
  the prior ``bias__<series>__<definition>``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast import names as N
from forecast.model import dynamics as dyn
from forecast.model.design import Design
from forecast.model.dynamics import ChainInputs, ChainParams
from forecast.model.mapping import OBS_NU, OBS_TYPES, bias_parameter_names
from forecast.model.sampler import DEFAULT_TARGET_ACCEPT
from forecast.priors.config import Domain, Prior, PriorConfig


class _SkipKnownRewriteFailure(logging.Filter):
    """Silence one known, harmless PyTensor rewrite failure (and only that one).

    PyTensor 3.3 stores small slice bounds as int8 and its ``local_subtensor_merge_slice``
    rewrite overflows on our 132+-month slices (``OverflowError: ... out of bounds for int8``).
    PyTensor then skips that optional rewrite and compiles the graph unchanged, but logs four
    ERROR records with a traceback per occurrence, dozens per compile, which would bury the
    output a modeller reads. This filter drops exactly those four records; any other rewrite
    failure is still logged.
    """

    def __init__(self) -> None:
        super().__init__()
        self._skip = 0

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        if msg.startswith("Rewrite failure due to: local_subtensor_merge_slice"):
            self._skip = 3
            return False
        if self._skip:
            self._skip -= 1
            return False
        return True


logging.getLogger("pytensor.graph.rewriting.basic").addFilter(_SkipKnownRewriteFailure())

#: Structural constants that are fixed, not learned (with the reason).
FIXED = {
    # gamma shape of both nareis lags: the shape is not identified separately from the mean by monthly
    # arrivals; 3 gives a unimodal lag with sd = mean / sqrt(3)
    "nareis_lag_shape": 3.0,
}

#: yearly knots for the slowly varying paths
KNOT_STEP = 12

_SCALAR_PARAMETERS = (
    # instroom: an AR(1) in log around its mean, Student-t innovations
    "instroom_mean",
    "instroom_halflife",
    "instroom_sigma",
    "instroom_nu",
    "season",
    "repeat_logit0",
    "repeat_sigma",
    # IND
    "backlog0",
    "hazard_logit0",
    "hazard_sigma",
    "capacity_unfunded",
    "capacity_sigma",
    "capacity_persistence",
    "ind_processing_logit",
    "eff_moratorium_cap",
    "grant_logit0",
    "grant_sigma",
    "grant_mean",
    "grant_persistence",
    "eff_moratorium_grant",
    # nareis as a queue
    "log_grants_pre",
    "nareis_ratio",
    "nareis_dev0",
    "nareis_dev_sigma",
    "nareis_app_lag_mean",
    "nareis_travel_lag_mean",
    "nareis_backlog0",
    "nareis_hazard_logit",
    "nareis_capacity_share",
    "nareis_grant_share",
    "eff_nareis_restriction",
    "eff_covid_nareis",
    # statushouders and municipal housing supply
    "statushouders0",
    "housing_hazard_logit0",
    "nareis_housing_share",
    "other_statushouders",
    "supply_offset",
    "supply_speed",
    "realisation_log",
    "backlog_share",
    "match_logit",
    "self_housing",
    "eff_asieldeal",
    "taak_backlog0",
    "taakstelling_log_ratio",
    # rejected applicants
    "rejected0",
    "departure_rate",
    # observation discrepancies
    "discrepancy_flow",
    "discrepancy_stock",
    "discrepancy_spread",
)
#: priors used only in the forecast, not in the fit: the half-life of a stock count's gap from the chain
#: (forecast/model/anchor.py)
FORWARD_PARAMETERS: tuple[str, ...] = ("discrepancy_halflife",)
#: every prior the model reads from the PriorConfig
MODEL_PARAMETERS: tuple[str, ...] = _SCALAR_PARAMETERS + FORWARD_PARAMETERS + bias_parameter_names()

_SCALE = Domain("positive", "a scale")
_LOGIT = Domain("real", "a logit")
_LOG_MULT = Domain("real", "a log multiplier")
_STOCK = Domain("positive", "an initial stock in persons")
_SHARE = Domain("unit_interval", "a share")
#: The domain of every prior the model reads (:data:`MODEL_PARAMETERS`), from how the parameter enters
#: the model (:mod:`forecast.model.dynamics`, :mod:`forecast.model.forward`): sds and scales, ratios,
#: lags, stocks and capacities are positive; shares and rates used as probabilities lie in (0, 1);
#: logits, logs, effects and biases are real. The prior loader refuses a prior whose support reaches
#: outside its parameter's domain (:meth:`forecast.priors.PriorConfig.require`).
PARAMETER_DOMAINS: dict[str, Domain] = {
    "instroom_mean": Domain("real", "a log level"),
    "instroom_halflife": Domain("positive", "a half-life in months"),
    "instroom_sigma": _SCALE,
    "instroom_nu": Domain("positive", "degrees of freedom"),
    "season": Domain("real", "a log seasonal effect"),
    "repeat_logit0": _LOGIT,
    "repeat_sigma": _SCALE,
    "backlog0": _STOCK,
    "hazard_logit0": _LOGIT,
    "hazard_sigma": _SCALE,
    "capacity_unfunded": Domain("real", "a log ratio"),
    "capacity_sigma": _SCALE,
    "capacity_persistence": Domain("unit_interval", "an autoregressive coefficient"),
    "ind_processing_logit": _LOGIT,
    "eff_moratorium_cap": _LOG_MULT,
    "grant_logit0": _LOGIT,
    "grant_sigma": _SCALE,
    "grant_mean": _LOGIT,
    "grant_persistence": Domain("unit_interval", "an autoregressive coefficient"),
    "eff_moratorium_grant": Domain("real", "a shift of a logit"),
    "log_grants_pre": Domain("real", "a log count"),
    "nareis_ratio": Domain("positive", "a ratio"),
    "nareis_dev0": Domain("real", "a log deviation"),
    "nareis_dev_sigma": _SCALE,
    "nareis_app_lag_mean": Domain("positive", "a lag in months"),
    "nareis_travel_lag_mean": Domain("positive", "a lag in months"),
    "nareis_backlog0": _STOCK,
    "nareis_hazard_logit": _LOGIT,
    "nareis_capacity_share": Domain("positive", "a ratio"),
    "nareis_grant_share": _SHARE,
    "eff_nareis_restriction": _LOG_MULT,
    "eff_covid_nareis": _LOG_MULT,
    "statushouders0": _STOCK,
    "housing_hazard_logit0": _LOGIT,
    "nareis_housing_share": _SHARE,
    "other_statushouders": Domain("positive", "a ratio"),
    "supply_offset": Domain("real", "a log ratio"),
    "supply_speed": Domain("unit_interval", "a monthly adjustment share"),
    "realisation_log": Domain("real", "a log ratio"),
    "backlog_share": _SHARE,
    "match_logit": _LOGIT,
    "self_housing": Domain("unit_interval", "a monthly probability"),
    "eff_asieldeal": _LOG_MULT,
    "taak_backlog0": Domain("real", "a backlog whose sign is free: negative is a lead"),
    "taakstelling_log_ratio": Domain("real", "a log ratio"),
    "rejected0": _STOCK,
    "departure_rate": Domain("unit_interval", "a monthly probability"),
    "discrepancy_flow": _SCALE,
    "discrepancy_stock": _SCALE,
    "discrepancy_spread": _SCALE,
    "discrepancy_halflife": Domain("positive", "a half-life in months"),
    **{name: Domain("real", "a log or logit bias") for name in bias_parameter_names()},
}

#: Knotted paths: centred Gaussian random walks (an AR(1) for :data:`REVERTING`) on yearly knots,
#: linearly interpolated to months (the data pin each knot, so non-centred innovations would be strongly
#: anti-correlated: a stiff posterior). The innovations and the initial value are kept as deterministics
#: under their names here.
KNOTTED = {  # path name -> (initial-value prior, step-sd prior, innovation variable)
    "logit_repeat": ("repeat_logit0", "repeat_sigma", "repeat_z"),
    "logit_hazard": ("hazard_logit0", "hazard_sigma", "hazard_z"),
    "logit_grant": ("grant_logit0", "grant_sigma", "grant_z"),
    "log_nareis_dev": ("nareis_dev0", "nareis_dev_sigma", "nareis_dev_z"),
}
#: Knotted paths whose knots revert to a level instead of walking: an AR(1) around a sampled long-run level
#: (path -> (level prior, yearly persistence prior)); the first knot keeps its own prior. The grant rate
#: swings with the nationality mix but within bounds, and a walk carried the last fitted year's rate into
#: every forecast year.
REVERTING = {"logit_grant": ("grant_mean", "grant_persistence")}
#: The IND's capacity deviates from its funded level by an AR(1) on yearly knots from the IND switch:
#: it reverts toward the funded level (persistence ``capacity_persistence`` a year), so that a forecast's
#: capacity stays within a band around what the state funds instead of wandering as a random walk.
CAPACITY_DEV = "capacity_dev_knots"
#: Its standard normal innovations, the sampled variable when the fitted window has fewer than two years
#: of capacity-limited months (:func:`capacity_noncentred`): the knots are then (almost) the prior alone,
#: and sampling them centred around an unknown ``capacity_sigma`` is Neal's funnel (the backtest's
#: origin fits diverged).
CAPACITY_DEV_Z = "capacity_dev_z"

#: The posterior variable holding each latent stock's state before the first month.
INITIAL_STATE = {
    "ind_backlog": "backlog0",
    "statushouders": "statushouders0",
    "rejected": "rejected0",
    "taak_backlog": "taak_backlog0",
    "nareis_backlog": "nareis_backlog0",
}

#: Scalar parameters that enter :class:`~forecast.model.dynamics.ChainParams` under their own name.
_DIRECT = (
    "backlog0",
    "ind_processing_logit",
    "eff_moratorium_cap",
    "eff_moratorium_grant",
    "log_grants_pre",
    "nareis_app_ratio",
    "nareis_backlog0",
    "nareis_capacity_share",
    "nareis_grant_share",
    "eff_nareis_restriction",
    "eff_covid_nareis",
    "statushouders0",
    "housing_hazard_logit0",
    "nareis_housing_share",
    "other_statushouders",
    "supply_offset",
    "supply_speed",
    "backlog_share",
    "self_housing",
    "eff_asieldeal",
    "taak_backlog0",
    "rejected0",
    "departure_rate",
)

#: The scalar parameters a forecast (:mod:`forecast.model.forward`) reads from the posterior as they are;
#: the model draws each from its prior unless it is derived first (``nareis_app_ratio``). One list for
#: both, so a new parameter cannot be missed by either.
SAMPLED_SCALARS: tuple[str, ...] = (
    *_DIRECT,
    "capacity_unfunded",
    "nareis_app_lag_mean",
    "nareis_travel_lag_mean",
    "nareis_hazard_logit",
    "realisation_log",
    "match_logit",
)


#: Event effects of the fit (log multipliers on the months of a known event, 0 = no effect) that a policy
#: effect estimated in the fit may replace (:attr:`ModelEffect.replaces`): fixed at 0 in that fit.
EVENT_EFFECTS = (
    "eff_nareis_restriction",
    "eff_covid_nareis",
    "eff_moratorium_cap",
    "eff_moratorium_grant",
    "eff_asieldeal",
)
#: Prefix of the model variable of a policy effect estimated in the fit.
EFFECT_PREFIX = "effect__"


def effect_variable(measure: str, target: str) -> str:
    """Name the model variable of a measure's effect on a target: ``"effect__<measure>__<target>"``.

    Parameters
    ----------
    measure : str
        The measure's id (as in ``priors/policy/measures.toml``).
    target : str
        The target it acts on (:data:`forecast.names.MULTIPLIER_TARGETS`).

    Returns
    -------
    str
        The variable name, prefixed with :data:`EFFECT_PREFIX`.

    Examples
    --------
    >>> effect_variable("meer_huisvestingsoplossingen", "housing_rate")
    'effect__meer_huisvestingsoplossingen__housing_rate'
    """
    return f"{EFFECT_PREFIX}{measure}__{target}"


@dataclass(frozen=True)
class ModelEffect:
    """A policy effect estimated in the fit.

    The target flow or rate is multiplied by ``exp(ramp_t x effect)`` in fitted month ``t`` (effects on
    one target multiply), as a measure acts in a forecast (:mod:`forecast.scenarios.measures`).
    A ramp of zeros leaves the model exactly as without the effect; the effect's posterior is then
    its prior.

    Parameters
    ----------
    name : str
        The model variable (:func:`effect_variable`).
    target : str
        One of :data:`forecast.names.MULTIPLIER_TARGETS` (capacity effects do not act on the chain).
    prior : Prior
        The effect's prior (any distribution of :data:`forecast.priors.config.DISTRIBUTIONS`).
    ramp : numpy.ndarray
        Shape ``(T,)``: how much of the effect acts in each fitted month (0 before the measure starts).
    replaces : tuple of str
        Event effects of the model (:data:`EVENT_EFFECTS`) that this effect takes the place of: they
        are fixed at 0 (kept in the posterior as constants) so that the two cannot share one signal.
    """

    name: str
    target: str
    prior: Prior
    ramp: np.ndarray = field(repr=False)
    replaces: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the effect as a plain dictionary (for the config hash and the saved fit).

        Returns
        -------
        dict
            ``name``, ``target``, ``prior`` (the prior's fields without its name), ``ramp`` (a
            list of floats rounded to 12 decimals) and ``replaces`` (a list); :meth:`from_dict`
            reads it back.
        """
        return {
            "name": self.name,
            "target": self.target,
            "prior": {k: v for k, v in self.prior.to_dict().items() if k != "name"},
            "ramp": [round(float(x), 12) for x in np.asarray(self.ramp, dtype=float)],
            "replaces": list(self.replaces),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelEffect:
        """Read back :meth:`to_dict`.

        Parameters
        ----------
        data : mapping of str to object
            A dictionary as :meth:`to_dict` writes it (``replaces`` may be left out).

        Returns
        -------
        ModelEffect
            The effect, with its prior validated.

        Raises
        ------
        PriorConfigError
            When the prior is invalid.
        """
        prior = PriorConfig.from_dict({data["name"]: data["prior"]}, file="<saved fit>")[data["name"]]
        return cls(
            name=str(data["name"]),
            target=str(data["target"]),
            prior=prior,
            ramp=np.asarray(data["ramp"], dtype=float),
            replaces=tuple(data.get("replaces", ())),
        )


#: Targets whose fitted months before a regime switch (an input ``u[...]``) are a hazard, not a capacity:
#: an effect on them must not act there (see :func:`_apply_effects`).
_SWITCHED_TARGETS = {N.TARGET_HOUSING_RATE: "housing_switch", N.TARGET_DECISION_RATE: "ind_switch"}


def check_effects(effects: Sequence[ModelEffect], inputs: ChainInputs) -> tuple[ModelEffect, ...]:
    """Validate policy effects for a fit with known inputs ``inputs``.

    Parameters
    ----------
    effects : sequence of ModelEffect
        The effects to estimate.
    inputs : mapping
        The fit's known inputs (:func:`~forecast.model.design.build_inputs`): their length ``T``
        and the IND and housing regime switches.

    Returns
    -------
    tuple of ModelEffect
        The same effects, as a tuple.

    Raises
    ------
    ValueError
        Naming the effect: not a :class:`ModelEffect`, a name without :data:`EFFECT_PREFIX` or
        given twice, a target outside :data:`forecast.names.MULTIPLIER_TARGETS`, a ramp that is
        not ``T`` finite values, a ramp that acts before the regime switch of a
        ``decision_rate`` or ``housing_rate`` effect, or a replaced name outside
        :data:`EVENT_EFFECTS`.
    """
    T = inputs.T
    out = tuple(effects)
    seen: set[str] = set()
    for e in out:
        if not isinstance(e, ModelEffect):
            raise ValueError(f"an effect must be a ModelEffect, got {type(e).__name__}")
        if not e.name.startswith(EFFECT_PREFIX):
            raise ValueError(f"effect {e.name!r}: the name must start with {EFFECT_PREFIX!r}")
        if e.name in seen:
            raise ValueError(f"effect {e.name!r} given twice")
        seen.add(e.name)
        if e.target not in N.MULTIPLIER_TARGETS:
            raise ValueError(
                f"effect {e.name!r}: target {e.target!r} does not act on the chain; "
                f"the targets are {', '.join(N.MULTIPLIER_TARGETS)}"
            )
        r = np.asarray(e.ramp, dtype=float)
        if r.shape != (T,) or not np.all(np.isfinite(r)):
            raise ValueError(f"effect {e.name!r}: the ramp must hold {T} finite values (one per month)")
        switch = int(getattr(inputs, _SWITCHED_TARGETS[e.target])) if e.target in _SWITCHED_TARGETS else 0
        if np.any(r[:switch] != 0):
            raise ValueError(
                f"effect {e.name!r}: an effect on {e.target} cannot act before fitted month {switch} "
                "(there the model has a hazard, not a capacity): start the measure later"
            )
        bad = sorted(set(e.replaces) - set(EVENT_EFFECTS))
        if bad:
            raise ValueError(
                f"effect {e.name!r}: can only replace event effects {', '.join(EVENT_EFFECTS)}, not {bad}"
            )
    return out


def _apply_effects(p: ChainParams, q: Mapping[str, Any], effects: Sequence[ModelEffect], xp) -> ChainParams:
    """Multiply every target of ``effects`` by ``exp(x_t)``, ``x_t`` = the sum of its ``ramp_t x effect``.

    Through the policy multipliers of :class:`~forecast.model.dynamics.ChainParams` (``mult_<target>``),
    exactly as a measure acts in a forecast: first applications, nareis applications, the IND's
    capacity, the housing supply's target and the departure hazard. :func:`check_effects` keeps an
    effect on the IND or on housing out of the months before their regime switch.
    """
    x: dict[str, Any] = {}
    for e in effects:
        term = q[e.name][..., None] * np.asarray(e.ramp, dtype=float)
        x[e.target] = term if e.target not in x else x[e.target] + term
    return p.replace(**{f"mult_{target}": xp.exp(v) for target, v in x.items()})


def knot_positions(T: int, step: int = KNOT_STEP, first: int = 0, last: int | None = None) -> np.ndarray:
    """Place knots every ``step`` months from ``first`` to (at or beyond) ``last``.

    Parameters
    ----------
    T : int
        Number of months.
    step : int, optional
        Months between knots (default :data:`KNOT_STEP`, yearly).
    first : int, optional
        Month index of the first knot (default 0).
    last : int, optional
        Month index the knots must reach (default ``T - 1``).

    Returns
    -------
    numpy.ndarray
        The knots' month indices: ``first``, ``first + step``, ... up to the first at or beyond
        ``max(last, first + 1)`` (so at least two knots).
    """
    last = T - 1 if last is None else last
    return np.arange(first, max(last, first + 1) + step, step)


def knot_matrix(T: int, step: int = KNOT_STEP, first: int = 0, last: int | None = None) -> np.ndarray:
    """Build the linear interpolation matrix from the knots of :func:`knot_positions`.

    Parameters
    ----------
    T : int
        Number of months.
    step : int, optional
        Months between knots (default :data:`KNOT_STEP`).
    first : int, optional
        Month index of the first knot (default 0).
    last : int, optional
        Month index the knots must reach (default ``T - 1``).

    Returns
    -------
    numpy.ndarray
        Shape ``(T, K)`` (:func:`~forecast.model.dynamics.interp_matrix`); flat outside the knots.
    """
    return dyn.interp_matrix(T, knot_positions(T, step, first, last))


def knot_months(u: ChainInputs) -> dict:
    """Place the knots (month indices) of every knotted path.

    The repeat share and the grant rate on yearly knots over the window, the decision hazard on yearly
    knots up to the IND switch, the IND capacity's deviation on yearly knots from the switch.

    Parameters
    ----------
    u : ChainInputs
        The known inputs (:func:`~forecast.model.design.build_inputs`).

    Returns
    -------
    dict of str to numpy.ndarray
        Knot month indices for ``logit_repeat``, ``logit_grant``, ``logit_hazard`` and
        ``capacity_dev``.
    """
    T, s = u.T, int(u.ind_switch)
    return {
        "logit_repeat": knot_positions(T),
        "logit_grant": knot_positions(T),
        "log_nareis_dev": knot_positions(T),
        "logit_hazard": knot_positions(T, last=max(s - 1, 0)),
        "capacity_dev": knot_positions(T, first=min(s, T - 1)),
    }


def knot_matrices(u: ChainInputs) -> dict:
    """Build the interpolation matrix of every knotted path, from :func:`knot_months`.

    Parameters
    ----------
    u : ChainInputs
        The known inputs (:func:`~forecast.model.design.build_inputs`).

    Returns
    -------
    dict of str to numpy.ndarray
        Per path, its ``(T, K)`` interpolation matrix.
    """
    return {path: dyn.interp_matrix(u.T, k) for path, k in knot_months(u).items()}


def _rv(pm, priors, name, **kw):
    pr = priors[name]
    return getattr(pm, pr.distribution)(name, **pr.params, **kw)


def noncentred_window(u: ChainInputs) -> bool:
    """Whether the model samples its knot walks (repeat, hazard, grant) non-centred.

    True when no month of the fitted window is capacity-limited (it ends before the IND switch, 2021):
    the knot walks of a window of a few years are weakly pinned, and sampled centred around their
    unknown step sds they form Neal's funnel (the backtest's origin fits of 2017-01 .. 2020-07
    diverged 185-518 times, most often at small sds). Non-centred (standard normal innovations times
    the sd), the same law has no funnel. Where the data pin the knots (the full history), centred
    sampling mixes better and is kept. The capacity deviation follows :func:`capacity_noncentred`,
    which is True whenever this is.

    Parameters
    ----------
    u : ChainInputs
        The known inputs of the fitted window.

    Returns
    -------
    bool
        True for a window that ends before the IND switch.
    """
    return int(u.ind_switch) >= u.T


#: Capacity-limited months a fitted window needs before the capacity deviation's knots are sampled
#: centred (:func:`capacity_noncentred`).
CAPACITY_PINNED_MONTHS = 24


def capacity_noncentred(u: ChainInputs) -> bool:
    """Whether the model samples the IND capacity's deviation non-centred.

    True when the fitted window holds fewer than :data:`CAPACITY_PINNED_MONTHS` capacity-limited
    months (always when :func:`noncentred_window` is). With 6-18 such months (the backtest's origins
    2021-07 .. 2022-07) the two or three yearly knots are barely pinned, and sampled centred they
    made the same funnel at small ``capacity_sigma`` (60-217 divergences); non-centred, those three
    fits diverged 1, 0 and 0 times. From two years on (the full history, and every window from 2023)
    the data pin them and they stay centred.

    Parameters
    ----------
    u : ChainInputs
        The known inputs of the fitted window.

    Returns
    -------
    bool
        True for a window with fewer than two years of capacity-limited months.
    """
    return int(u.T) - int(u.ind_switch) < CAPACITY_PINNED_MONTHS


def knot_steps(x0, sigma, z, xp, level=None, persistence=None):
    """The knots after ``x0`` of a knotted path, from their standard normal innovations.

    A random walk ``x_k = x_{k-1} + sigma z_k`` (:func:`~forecast.model.dynamics.random_walk`), or for a
    path of :data:`REVERTING` an AR(1) around its level,
    ``x_k - level = persistence (x_{k-1} - level) + sigma z_k``
    (:func:`~forecast.model.dynamics.linear_recursion`). One definition for the fit's non-centred knots
    and the forecast's continuation (:func:`continue_knots`).

    Parameters
    ----------
    x0 : array
        The knot before the first step, shape ``(...)``.
    sigma : array
        The innovations' standard deviation, shape ``(...)``.
    z : array
        Standard normal innovations, shape ``(..., n)``.
    xp : namespace
        :class:`~forecast.model.dynamics.NP` or :class:`~forecast.model.dynamics.PT`.
    level, persistence : array, optional
        The long-run level and the persistence per step (in (0, 1)), shape ``(...)``; both or neither.

    Returns
    -------
    array
        The ``n`` knots after ``x0``, shape ``(..., n)``.
    """
    if level is None:
        return dyn.random_walk(x0, sigma, z, xp)
    a = z * 0.0 + persistence[..., None]
    return level[..., None] + dyn.linear_recursion(x0 - level, a, sigma[..., None] * z, xp)


def continue_knots(fitted, pos, T: int, H: int, sigma, rng, level=None, persistence=None) -> np.ndarray:
    """A knotted path continued by yearly knots past the fitted ones, interpolated to the forecast months.

    The forecast's continuation (:class:`~forecast.model.forward.Forward`) of the knot walks, the grant
    rate's AR(1) and the IND capacity's deviation.

    Parameters
    ----------
    fitted : numpy.ndarray
        ``(n, K)`` the fitted knots.
    pos : numpy.ndarray
        ``(K,)`` their months (0 = the first fitted month).
    T, H : int
        The number of fitted and of forecast months.
    sigma : numpy.ndarray
        ``(n,)`` the step sd.
    rng : numpy.random.Generator
        Draws the new knots' standard normal innovations, ``(n, number of new knots)``.
    level, persistence : numpy.ndarray, optional
        ``(n,)``: an AR(1) around ``level``; a random walk without them (:func:`knot_steps`).

    Returns
    -------
    numpy.ndarray
        ``(n, H)`` the path over the forecast months.
    """
    n_new = int(np.ceil(max(T + H - 1 - pos[-1], 0) / KNOT_STEP)) + 1
    steps = rng.standard_normal((fitted.shape[0], n_new))
    new = knot_steps(fitted[:, -1], sigma, steps, dyn.NP, level, persistence)
    W = dyn.interp_matrix(T + H, np.concatenate([pos, pos[-1] + KNOT_STEP * np.arange(1, n_new + 1)]))
    return np.concatenate([fitted, new], axis=-1) @ W[T:].T


def ar1_noncentred(z, rho, sigma):
    """A stationary AR(1) path from its standard normal innovations (PyTensor).

    ``x_0 = sigma / sqrt(1 - rho^2) z_0`` and ``x_k = rho x_{k-1} + sigma z_k``: the same law as
    ``pm.AR(rho=[rho], sigma=sigma, init_dist=Normal(0, sigma / sqrt(1 - rho^2)))``. The recursion is
    :func:`~forecast.model.dynamics.linear_recursion`, the one the forecast continues it with
    (:class:`~forecast.model.forward.Forward`).

    Parameters
    ----------
    z : pytensor.tensor.TensorVariable
        ``(K,)`` standard normal innovations.
    rho : pytensor.tensor.TensorVariable
        The persistence per step, in (0, 1).
    sigma : pytensor.tensor.TensorVariable
        The innovations' standard deviation.

    Returns
    -------
    pytensor.tensor.TensorVariable
        ``(K,)`` the path.
    """
    import pytensor.tensor as pt

    x0 = sigma / pt.sqrt(1.0 - rho**2) * z[0]
    rest = dyn.linear_recursion(x0, rho * pt.ones_like(z[1:]), sigma * z[1:], dyn.PT)
    return pt.concatenate([x0[None], rest])


def halflife_to_phi(halflife, xp=np):
    """The monthly AR(1) coefficient of a half-life in months: ``0.5 ** (1 / halflife)``.

    Parameters
    ----------
    halflife : array
        Half-lives in months (> 0).
    xp : module or namespace, optional
        ``numpy`` (default) or :class:`~forecast.model.dynamics.PT`.

    Returns
    -------
    array
        Coefficients in (0, 1).
    """
    return xp.exp(np.log(0.5) / halflife)


def rule_ratio_path(log_ratio, u: ChainInputs, xp):
    """Spread one taakstelling ratio per rule half-year over its months (zero in the other months).

    Parameters
    ----------
    log_ratio : array
        ``(..., n)`` log ratios, one per half-year of ``u.rule_halves``.
    u : ChainInputs
        The inputs (``rule_half_of_month``).
    xp : namespace
        :class:`~forecast.model.dynamics.NP` or :class:`~forecast.model.dynamics.PT`.

    Returns
    -------
    array
        ``(..., T)`` the ratio ``exp(log_ratio)`` in each rule month, 0 elsewhere.
    """
    idx = np.asarray(u.rule_half_of_month)
    sel = np.zeros((len(u.rule_halves), u.T))
    for j in range(len(u.rule_halves)):
        sel[j] = idx == j
    return xp.exp(log_ratio) @ sel


def _chain_params(q: Mapping[str, Any], u: ChainInputs, W: Mapping[str, np.ndarray], xp) -> ChainParams:
    """Raw model variables ``q`` (PyTensor, or numpy with leading batch dims) -> :class:`ChainParams`."""
    paths = {path: q[f"{path}_knots"] @ W[path].T for path in KNOTTED}
    ratio = (
        rule_ratio_path(q["taak_log_ratio_missing"], u, xp) if len(u.rule_halves) else 0.0 * u.taak_rule_mask
    )
    return ChainParams(
        log_level=q["instroom_level"],
        season=q["season"],
        logit_repeat=paths["logit_repeat"],
        logit_hazard=paths["logit_hazard"],
        capacity_dev=q[CAPACITY_DEV] @ W["capacity_dev"].T,
        capacity_unfunded=q["capacity_unfunded"],
        logit_grant=paths["logit_grant"],
        log_nareis_dev=paths["log_nareis_dev"],
        app_lag_mean=q["nareis_app_lag_mean"],
        travel_lag_mean=q["nareis_travel_lag_mean"],
        lag_shape=FIXED["nareis_lag_shape"],
        logit_nareis_hazard=q["nareis_hazard_logit"],
        log_realisation=q["realisation_log"],
        logit_match=q["match_logit"],
        taak_ratio=ratio,
        **{k: q[k] for k in _DIRECT},
    )


def latent_vector(out: dict, xp):
    """Stack the chain's latents into the vector the observation likelihood reads.

    Parameters
    ----------
    out : dict
        The result of :func:`~forecast.model.dynamics.simulate_chain`.
    xp : namespace
        :class:`~forecast.model.dynamics.NP` or :class:`~forecast.model.dynamics.PT`.

    Returns
    -------
    array
        ``Z = [flows (F*T), stocks with their initial state (S*(T+1))]`` along the last axis, with
        the flows of :data:`~forecast.model.dynamics.FLOWS` and the stocks of
        :data:`~forecast.model.dynamics.STOCKS` in their order.
    """
    parts = [out[f] for f in dyn.FLOWS]
    for s in dyn.STOCKS:
        parts += [out["init"][s][..., None], out[s]]
    return xp.concatenate(parts, axis=-1)


def _extra2(design: Design) -> np.ndarray:
    return design.rows.noise_sd.to_numpy(float) ** 2


#: The model's data (PyTensor shared variables of these names): the observed values on each row's
#: model scale, each row's fixed noise variance on that scale, and the sampler's starting path of the
#: instroom level. Everything else in the model is structure. Shared, so that one compiled model
#: fits other values of the same design (:class:`CompiledModel`: simulation-based calibration and
#: parameter recovery refit simulated values of the real design).
OBS_VALUES = "obs_values"
OBS_NOISE_VAR = "obs_noise_var"
LEVEL_START = "instroom_level_start"


def observation_data(design: Design) -> dict[str, np.ndarray]:
    """The data of the model of ``design``: :data:`OBS_VALUES`, :data:`OBS_NOISE_VAR`, :data:`LEVEL_START`.

    Parameters
    ----------
    design : Design
        The observation design.

    Returns
    -------
    dict of str to numpy.ndarray
        Each data variable's values (float64; rows, rows and months long).
    """
    return {
        OBS_VALUES: np.ascontiguousarray(design.y_transformed, dtype=np.float64),
        OBS_NOISE_VAR: np.ascontiguousarray(_extra2(design), dtype=np.float64),
        LEVEL_START: np.ascontiguousarray(_level_init(design), dtype=np.float64),
    }


def _level_init(design: Design) -> np.ndarray:
    """Initial value of the instroom level: log of the reference monthly first applications
    (interpolated). Only a starting point for the sampler (data-based, like a MAP start), never a prior
    or a value."""
    r = design.rows
    r = r[(r.series == "first_applications") & (r.definition == "ind") & (r.frequency == "M")]
    T = design.T
    t = np.array([(p.year - design.start.year) * 12 + p.month - design.start.month for p in r.period_start])
    if len(t) < 2:
        return np.full(T, np.log(2000.0))
    o = np.argsort(t)
    return np.interp(np.arange(T), t[o], np.log(r.value.to_numpy(float)[o]))


def _ar1_t_logp(value, loc, phi, sigma, nu):
    """Log density of a stationary AR(1) around ``loc`` with Student-t innovations (PyTensor)."""
    import pymc as pm
    import pytensor.tensor as pt

    x = value - loc
    innov = x[..., 1:] - phi * x[..., :-1]
    lp = pm.logp(pm.StudentT.dist(nu=nu, mu=0.0, sigma=sigma), innov).sum(axis=-1)
    start = pm.logp(pm.StudentT.dist(nu=nu, mu=0.0, sigma=sigma / pt.sqrt(1.0 - phi**2)), x[..., 0])
    return lp + start


def ar1_t_draws(loc, phi, sigma, nu, rng, size=None) -> np.ndarray:
    """Draw a stationary AR(1) around ``loc`` with Student-t innovations (numpy).

    Parameters
    ----------
    loc : array_like
        ``(T,)`` the mean path.
    phi, sigma, nu : float or array_like
        The coefficient, the innovations' scale and degrees of freedom (broadcast over the batch).
    rng : numpy.random.Generator
        The random numbers.
    size : tuple of int, optional
        The full shape ``(..., T)``, of ``loc`` and the parameters broadcast (default ``loc``'s shape).

    Returns
    -------
    numpy.ndarray
        The draws.
    """
    loc = np.asarray(loc, dtype=float)
    size = loc.shape if size is None else tuple(size)
    phi, sigma, nu = (
        np.broadcast_to(np.asarray(v, dtype=float), size[:-1])[..., None] for v in (phi, sigma, nu)
    )
    e = rng.standard_t(np.broadcast_to(nu, size)) * sigma
    x = np.empty(size)
    x[..., 0] = e[..., 0] / np.sqrt(1.0 - phi[..., 0] ** 2)
    for t in range(1, size[-1]):
        x[..., t] = phi[..., 0] * x[..., t - 1] + e[..., t]
    return x + loc


def _ar1_t_random(loc, phi, sigma, nu, rng=None, size=None):
    loc = np.asarray(loc, dtype=float)
    size = tuple(size or ())  # PyMC passes the batch shape; the support (T months) is loc's
    full = size if size[-loc.ndim :] == loc.shape and size else (*size, *loc.shape)
    return ar1_t_draws(np.broadcast_to(loc, full), phi, sigma, nu, rng, full)


def build_model(design: Design, inputs: ChainInputs, priors, effects: Sequence[ModelEffect] | None = None):
    """Build the PyMC model.

    Parameters
    ----------
    design : Design
        The observation design (:func:`~forecast.model.design.build_design`) on the fitted months.
    inputs : ChainInputs
        The known inputs (:func:`~forecast.model.design.build_inputs`).
    priors : PriorConfig
        With exactly :data:`MODEL_PARAMETERS`.
    effects : sequence of ModelEffect, optional
        Policy effects to estimate: one random variable per effect (named :attr:`ModelEffect.name`,
        with its prior) multiplying its target by ``exp(ramp x effect)``; the event effects they
        replace are fixed at 0 (deterministics). ``None`` (default) gives exactly the model without.

    Returns
    -------
    pymc.Model
        The model, with the observation log-likelihood as the potential ``obs_loglik``.

    Raises
    ------
    PriorConfigError
        When ``priors`` does not define exactly :data:`MODEL_PARAMETERS`.
    ValueError
        When a prior has a distribution the model cannot take (the initial values of the centred knot
        paths must be Normal, ``season`` Normal with ``mu = 0``, ``taakstelling_log_ratio`` and the
        observation biases Normal), or an effect is invalid (:func:`check_effects`).
    """
    import pymc as pm
    import pytensor
    import pytensor.tensor as pt

    from forecast.model.obslik import make_obs_op

    priors.require(MODEL_PARAMETERS, domains=PARAMETER_DOMAINS)
    data = {name: pytensor.shared(value, name=name) for name, value in observation_data(design).items()}
    u = inputs
    T = design.T
    effects = check_effects(effects, u) if effects is not None else None
    W = knot_matrices(u)
    bias_names = [f"bias__{s}__{d}" for s, d in design.groups]
    free = [j for j, n in enumerate(bias_names) if n in priors]
    for j in free:
        if priors[bias_names[j]].distribution != "Normal":
            raise ValueError(f"{bias_names[j]}: observation biases must have a Normal prior")
    learned = [sc for sc in design.scales if ":" in sc]
    coords = {
        "month": np.arange(T),
        **{f"{p}_step": np.arange(W[p].shape[1] - 1) for p in KNOTTED},
        **{f"{p}_knot": np.arange(W[p].shape[1]) for p in KNOTTED},
        "capacity_dev_knot": np.arange(W["capacity_dev"].shape[1]),
        "month_of_year": np.arange(12),
        "rule_half": list(u.rule_halves),
        "bias": [bias_names[j] for j in free],
        "scale": learned,
    }
    with pm.Model(coords=coords) as model:
        q = {}
        # instroom: a stationary AR(1) in log around its mean, Student-t innovations (centred: the monthly
        # IND and CBS series pin it)
        for n in ("instroom_mean", "instroom_halflife", "instroom_sigma", "instroom_nu"):
            q[n] = _rv(pm, priors, n)
        phi = pm.Deterministic("instroom_phi", halflife_to_phi(q["instroom_halflife"], dyn.PT))
        # the level path itself is sampled (centred around its mean): the mean enters only through the
        # AR(1)'s density, so the two are not a stiff sum direction of the posterior
        q["instroom_level"] = pm.CustomDist(
            "instroom_level",
            q["instroom_mean"] + pt.zeros(T),
            phi,
            q["instroom_sigma"],
            q["instroom_nu"],
            logp=_ar1_t_logp,
            random=_ar1_t_random,
            signature="(t),(),(),()->(t)",
            dims="month",
            initval=data[LEVEL_START],
        )
        se = priors["season"]
        if se.distribution != "Normal" or se.params["mu"] != 0:
            raise ValueError("season must be Normal(mu=0, sigma) (zero-sum over the 12 months)")
        q["season"] = pm.ZeroSumNormal("season", sigma=se.params["sigma"], dims="month_of_year")
        # in a window that ends before the IND switch the knot walks are weakly pinned, and sampled
        # centred around their unknown step sds they made Neal's funnel (the backtest's origin fits
        # diverged hundreds of times, at small sds); there they are drawn from their innovations
        short = noncentred_window(u)
        for path, (x0, sg, z) in KNOTTED.items():
            q[sg] = _rv(pm, priors, sg)
            k0 = priors[x0]
            if k0.distribution != "Normal":
                raise ValueError(f"{x0} must be Normal (initial state of a random walk on knots)")
            level, rho = (None, None)
            if path in REVERTING:
                level, rho = (_rv(pm, priors, n) for n in REVERTING[path])
                q.update(zip(REVERTING[path], (level, rho), strict=True))
            if short:
                q[x0] = pm.Normal(x0, **k0.params)
                q[z] = pm.Normal(z, 0.0, 1.0, dims=f"{path}_step")
                kn = pt.concatenate([q[x0][None], knot_steps(q[x0], q[sg], q[z], dyn.PT, level, rho)])
                q[f"{path}_knots"] = pm.Deterministic(f"{path}_knots", kn, dims=f"{path}_knot")
                continue
            steps, init = W[path].shape[1] - 1, pm.Normal.dist(**k0.params)
            if path in REVERTING:  # x_k = level (1 - rho) + rho x_{k-1} + sigma e_k
                coef = pt.stack([level * (1.0 - rho), rho])
                kw = {"init_dist": init, "constant": True, "steps": steps, "dims": f"{path}_knot"}
                kn = pm.AR(f"{path}_knots", rho=coef, sigma=q[sg], **kw)
                prev = level + rho * (kn[:-1] - level)
            else:
                kn = pm.RandomWalk(
                    f"{path}_knots",
                    init_dist=init,
                    innovation_dist=pm.Normal.dist(0.0, q[sg]),
                    steps=steps,
                    dims=f"{path}_knot",
                )
                prev = kn[:-1]
            q[f"{path}_knots"] = kn
            q[x0] = pm.Deterministic(x0, kn[0])
            q[z] = pm.Deterministic(z, (kn[1:] - prev) / q[sg], dims=f"{path}_step")
        # the IND capacity's deviation from its funded level: a stationary AR(1) on yearly knots
        q["capacity_sigma"] = _rv(pm, priors, "capacity_sigma")
        q["capacity_persistence"] = _rv(pm, priors, "capacity_persistence")
        rho = q["capacity_persistence"]
        if not capacity_noncentred(u):  # two years of capacity-limited months pin the knots (centred)
            q[CAPACITY_DEV] = pm.AR(
                CAPACITY_DEV,
                rho=rho[None],
                sigma=q["capacity_sigma"],
                init_dist=pm.Normal.dist(0.0, q["capacity_sigma"] / pt.sqrt(1.0 - rho**2)),
                constant=False,
                dims="capacity_dev_knot",
            )
        else:  # no or few capacity-limited months: the knots are (almost) their prior alone
            z = pm.Normal(CAPACITY_DEV_Z, 0.0, 1.0, dims="capacity_dev_knot")
            path = ar1_noncentred(z, rho, q["capacity_sigma"])
            q[CAPACITY_DEV] = pm.Deterministic(CAPACITY_DEV, path, dims="capacity_dev_knot")
        for e in effects or ():
            for n in e.replaces:  # an event effect that the policy effect replaces: fixed at no effect
                if n not in q:
                    q[n] = pm.Deterministic(n, pt.as_tensor_variable(np.float64(0.0)))
        # nareis: arrivals per grant (identified by the arrivals) and the grant share of nareis decisions
        # are sampled; applications per grant follow (the two alone trade off against each other)
        q["nareis_ratio"] = _rv(pm, priors, "nareis_ratio")
        q["nareis_grant_share"] = _rv(pm, priors, "nareis_grant_share")
        q["nareis_app_ratio"] = pm.Deterministic(
            "nareis_app_ratio", q["nareis_ratio"] / q["nareis_grant_share"]
        )
        for n in SAMPLED_SCALARS:
            if n not in q:
                q[n] = _rv(pm, priors, n)
        ratio = priors["taakstelling_log_ratio"]
        if ratio.distribution != "Normal":
            raise ValueError("taakstelling_log_ratio must be Normal (a log ratio per half-year)")
        q["taak_log_ratio_missing"] = pm.Normal("taak_log_ratio_missing", **ratio.params, dims="rule_half")
        for e in effects or ():
            q[e.name] = getattr(pm, e.prior.distribution)(e.name, **e.prior.params)
        p = _chain_params(q, u, W, dyn.PT)
        if effects:
            p = _apply_effects(p, q, effects, dyn.PT)
        out = dyn.simulate_chain(p, u, dyn.PT)
        # observation model
        bias = pt.zeros(len(bias_names))
        if free:
            mu = np.array([priors[bias_names[j]].params["mu"] for j in free])
            sd = np.array([priors[bias_names[j]].params["sigma"] for j in free])
            zb = pm.Normal("obs_bias", mu=mu, sigma=sd, dims="bias")
            bias = pt.set_subtensor(bias[np.array(free)], zb)
        sig = _scales(pm, pt, priors, design, learned)
        f = make_obs_op(design, data[OBS_VALUES], data[OBS_NOISE_VAR], OBS_NU)
        pm.Potential("obs_loglik", f(latent_vector(out, dyn.PT), bias, sig))
    model._forecast = {
        "design": design,
        "inputs": u,
        "bias_names": bias_names,
        "free_bias": free,
        "data": data,
    }
    if effects is not None:
        model._forecast["effects"] = effects
    return model


def _scales(pm, pt, priors, design: Design, learned: list[str]):
    """The discrepancy sd of every scale of ``design.scales``: per series, partially pooled within its type.

    ``sd_series = discrepancy_<type> x exp(discrepancy_spread x z_series)`` with ``z ~ N(0, 1)``
    (non-centred: a few series have few rows); fixed types take their fixed sd.
    """
    types = {t: _rv(pm, priors, f"discrepancy_{t}") for t, spec in OBS_TYPES.items() if spec["learned"]}
    spread = _rv(pm, priors, "discrepancy_spread") if learned else None
    z = pm.Normal("discrepancy_z", 0.0, 1.0, dims="scale") if learned else None
    parts = []
    for sc in design.scales:
        if ":" in sc:
            t = sc.split(":", 1)[0]
            parts.append(types[t] * pt.exp(spread * z[learned.index(sc)]))
        else:
            parts.append(pt.as_tensor_variable(np.float64(OBS_TYPES[sc]["fixed"])))
    sig = pt.stack(parts)
    if learned:
        at = np.array([design.scales.index(sc) for sc in learned])
        pm.Deterministic("discrepancy", sig[at], dims="scale")
    return sig


def sample(
    model,
    *,
    draws: int = 1000,
    tune: int = 300,
    chains: int = 4,
    random_seed: int = 1,
    sampler: str = "nutpie",
    cores: int = 2,
    target_accept: float = DEFAULT_TARGET_ACCEPT,
    adaptation: str = "diag",
    return_timings: bool = False,
    progressbar: bool = False,
):
    """Sample the posterior with NUTS.

    Parameters
    ----------
    model : pymc.Model
        The model (:func:`build_model`).
    draws : int, optional
        Draws per chain after tuning (default 1000).
    tune : int, optional
        Tuning steps per chain (default 300).
    chains : int, optional
        Number of chains (default 4).
    random_seed : int, optional
        Seed of the sampler (default 1).
    sampler : {"nutpie", "pymc"}, optional
        nutpie, compiled with its numba backend (default), or PyMC's own NUTS.
    cores : int, optional
        How many chains run in parallel (default 2).
    target_accept : float, optional
        Target acceptance rate of the step size adaptation (default 0.8).
    adaptation : str, optional
        nutpie's mass matrix adaptation (default ``"diag"``); ignored by ``"pymc"``.
    return_timings : bool, optional
        Also return the compile and sampling times (default False).
    progressbar : bool, optional
        Show the sampler's own progress bar (default False); the draws are the same either way.

    Returns
    -------
    trace : xarray.DataTree
        The result (``posterior``, ``sample_stats`` with ``diverging`` and ``energy``).
    timings : dict of str to float
        Only with ``return_timings``: seconds of ``compile_s``, ``sample_s`` and ``total_s``.

    Raises
    ------
    ValueError
        For an unknown ``sampler``.
    """
    import pymc as pm

    with exact_float_compile():
        return _sample(
            pm,
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            sampler=sampler,
            cores=cores,
            target_accept=target_accept,
            adaptation=adaptation,
            return_timings=return_timings,
            progressbar=progressbar,
        )


def exact_float_compile():
    """Compile PyTensor graphs without fast-math: the same seed then gives the same draws in every process.

    PyTensor's numba backend compiles with LLVM fast-math flags by default
    (``pytensor.config.numba__fastmath``: reassociation, contraction into fused multiply-adds).
    With them, the machine code of the log density depends on how LLVM inlines the graph's
    kernels, and that differs between a kernel compiled in this process and the same kernel read
    back from PyTensor's on-disk cache: the log density of one graph at one point came out
    ``-129.69925411167003`` fresh and ``-129.69925411167006`` cached. NUTS is chaotic in such a
    last bit, so the first fit on a new machine (or in a dask worker with a cold cache) drew a
    different posterior from every later one. Without fast-math the arithmetic follows the graph
    exactly, whatever the cache, the thread settings or the process.

    Returns
    -------
    contextlib.AbstractContextManager
        A context in which ``pytensor.config.numba__fastmath`` is False (PyTensor's own cache keys
        include the flag, so no fast-math kernel is read back inside it).
    """
    import pytensor

    return pytensor.config.change_flags(numba__fastmath=False)


def _sample(
    pm,
    model,
    *,
    draws: int,
    tune: int,
    chains: int,
    random_seed: int,
    sampler: str,
    cores: int,
    target_accept: float,
    adaptation: str,
    return_timings: bool,
    progressbar: bool,
):
    t0 = time.perf_counter()
    if sampler == "nutpie":
        compiled = CompiledModel(model)  # the one nutpie path: compiled, then sampled on its own data
        t1 = time.perf_counter()
        trace = compiled.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            random_seed=random_seed,
            target_accept=target_accept,
            adaptation=adaptation,
            progressbar=progressbar,
        )
    elif sampler == "pymc":
        t1 = time.perf_counter()
        with model:
            trace = pm.sample(
                draws=draws,
                tune=tune,
                chains=chains,
                cores=cores,
                random_seed=random_seed,
                target_accept=target_accept,
                progressbar=progressbar,
                nuts_sampler="pymc",  # PyMC's own NUTS (pm.sample would otherwise pick nutpie)
                compute_convergence_checks=False,  # the diagnostics gate does this
            )
    else:
        raise ValueError(f"unknown sampler {sampler!r} (nutpie or pymc)")
    t2 = time.perf_counter()
    if return_timings:
        return trace, {"compile_s": t1 - t0, "sample_s": t2 - t1, "total_s": t2 - t0}
    return trace


class CompiledModel:
    """The model of one design, compiled once, that fits any observed values of that design.

    Compiling the model (about 20 s) costs more than a small fit's sampling. Simulation-based
    calibration and parameter recovery refit one design's rows many times with simulated values;
    here they share one compilation. Only the model's data (:func:`observation_data`) change between
    fits, so a fit here draws exactly what :func:`sample` draws on a model built from the same values
    (nutpie, same seed: bit for bit).

    Parameters
    ----------
    model : pymc.Model
        A model from :func:`build_model`.

    Examples
    --------
    >>> compiled = CompiledModel(build_model(design, inputs, priors))  # doctest: +SKIP
    >>> simulated = dataclasses.replace(design, rows=design.rows.assign(value=values))  # doctest: +SKIP
    >>> trace = compiled.sample(simulated, draws=300, tune=300, chains=2)  # doctest: +SKIP
    """

    def __init__(self, model):
        import nutpie

        self.model = model
        self.design: Design = model._forecast["design"]
        self._data = model._forecast["data"]
        with exact_float_compile():
            self._compiled = nutpie.compile_pymc_model(model, backend="numba")

    def sample(
        self,
        design: Design | None = None,
        *,
        draws: int = 1000,
        tune: int = 300,
        chains: int = 4,
        random_seed: int = 1,
        cores: int = 2,
        target_accept: float = DEFAULT_TARGET_ACCEPT,
        adaptation: str = "diag",
        progressbar: bool = False,
    ):
        """Sample the posterior given the observed values of ``design`` (nutpie).

        Parameters
        ----------
        design : Design, optional
            The compiled design with other observed values (``rows.value``); default the compiled
            design itself.
        draws : int, optional
            Draws per chain after tuning (default 1000).
        tune : int, optional
            Tuning steps per chain (default 300).
        chains : int, optional
            Number of chains (default 4).
        random_seed : int, optional
            Seed of the sampler (default 1, as :func:`sample`).
        cores : int, optional
            How many chains run in parallel (default 2).
        target_accept : float, optional
            Target acceptance rate of the step size adaptation (default 0.8).
        adaptation : str, optional
            nutpie's mass matrix adaptation (default ``"diag"``).
        progressbar : bool, optional
            Show nutpie's progress bar (default False); the draws are the same either way.

        Returns
        -------
        xarray.DataTree
            The result, as from :func:`sample`.

        Raises
        ------
        ValueError
            When ``design`` differs from the compiled design in anything but the observed values.
        """
        import nutpie

        design = self.design if design is None else design
        self._check_same_structure(design)
        values = observation_data(design)
        start = self._data[LEVEL_START]
        before = start.get_value()
        compiled = self._compiled.with_data(**{k: values[k] for k in (OBS_VALUES, OBS_NOISE_VAR)})
        # the sampler's starting path is read by the initial point function (PyTensor) at each start
        start.set_value(values[LEVEL_START])
        background = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            seed=random_seed,
            progress_bar=progressbar,
            target_accept=target_accept,
            adaptation=adaptation,
            blocking=False,
        )
        # nutpie's blocking call answers Ctrl-C by returning the draws made so far, as if the fit had
        # finished: a truncated fit would then be checked, saved and used. Ctrl-C stops the fit here.
        try:
            return background.wait()
        except KeyboardInterrupt:
            background.cancel()
            raise
        finally:
            start.set_value(before)

    def _check_same_structure(self, design: Design) -> None:
        import dataclasses

        base = self.design
        same_rows = design.rows.drop(columns=N.VALUE).equals(base.rows.drop(columns=N.VALUE))
        others = [f.name for f in dataclasses.fields(Design) if f.name not in ("rows", "unused")]
        differ = [n for n in others if not _equal(getattr(design, n), getattr(base, n))]
        if not same_rows or differ:
            what = ", ".join((["rows other than their values"] if not same_rows else []) + differ)
            raise ValueError(
                f"the design differs from the compiled one in {what}: build and compile its own model "
                "(only the observed values may change)"
            )


def _equal(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is b or (a is not None and b is not None and np.array_equal(a, b))
    return a == b


# ------------------------------------------------------------------------------------------ numpy side
#: The posterior variables the chain reads (besides the scalars of :data:`_SCALAR_PARAMETERS`).
_POSTERIOR_PATHS = (
    "nareis_app_ratio",
    "instroom_level",
    *(f"{path}_knots" for path in KNOTTED),
    CAPACITY_DEV,
    "taak_log_ratio_missing",
)


def _posterior_q(posterior) -> dict:
    post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    q = {}
    for n in (*_SCALAR_PARAMETERS, *_POSTERIOR_PATHS):
        if n in post:
            q[n] = np.asarray(post[n].values, dtype=float)
    if "taak_log_ratio_missing" not in q:  # no rule half-year in the window
        q["taak_log_ratio_missing"] = np.zeros((*q["instroom_mean"].shape, 0))
    return q


def posterior_latents(
    posterior, design: Design, inputs: ChainInputs, effects: Sequence[ModelEffect] | None = None
) -> dict:
    """Recompute every latent flow and stock for all posterior draws (numpy).

    The same :func:`~forecast.model.dynamics.simulate_chain` as the model, on every draw at once.

    Parameters
    ----------
    posterior : xarray.Dataset or xarray.DataTree
        The posterior (dims chain, draw), or draws of the same variables (a prior sample).
    design : Design
        The fit's observation design.
    inputs : ChainInputs
        The fit's known inputs (:func:`~forecast.model.design.build_inputs`).
    effects : sequence of ModelEffect, optional
        The policy effects of the fit, applied with their posterior draws as in the model.

    Returns
    -------
    dict of str to numpy.ndarray
        Every array of :func:`~forecast.model.dynamics.simulate_chain` except ``init`` (monthly
        flows, rates and capacities, end-of-month stocks), broadcast to shape (chain, draw,
        month); ``taak_backlog`` (the achterstand) holds its anchor before the housing switch.

    Raises
    ------
    ValueError
        When the posterior holds effect variables but ``effects`` is None, when it lacks the
        draws of a given effect, or when an effect is invalid (:func:`check_effects`).
    """
    post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    q = _posterior_q(post)
    W = knot_matrices(inputs)
    p = _chain_params(q, inputs, W, dyn.NP)
    names = [str(v) for v in post.data_vars if str(v).startswith(EFFECT_PREFIX)]
    if names and effects is None:
        raise ValueError(
            f"the posterior has policy effect variables {names}: pass their effects (ModelEffect) "
            "to apply them"
        )
    if effects:
        effects = check_effects(effects, inputs)
        missing = [e.name for e in effects if e.name not in post]
        if missing:
            raise ValueError(f"the posterior has no draws of the effect(s) {missing}")
        qe = {e.name: np.asarray(post[e.name].values, dtype=float) for e in effects}
        p = _apply_effects(p, qe, effects, dyn.NP)
    out = dyn.simulate_chain(p, inputs, dyn.NP)
    res = {k: np.asarray(v) for k, v in out.items() if k != "init"}
    shape = res["instroom"].shape
    return {k: np.broadcast_to(v, shape) for k, v in res.items()}


def _segment_sums(v: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Sum ``v[..., start[a] : end[a] + 1]`` for every aggregate ``a`` (an empty run sums to 0).

    One sum per run, as the likelihood kernel adds them: a difference of running sums would lose the
    small aggregates of a long latent vector to cancellation.
    """
    empty = end < start
    if len(start) and not empty.any() and np.all(end[:-1] + 1 == start[1:]) and end[-1] == v.shape[-1] - 1:
        return np.add.reduceat(v, start, axis=-1)  # consecutive runs covering v: one pass
    out = np.zeros((*v.shape[:-1], len(start)))
    for a in np.flatnonzero(~empty):
        out[..., a] = v[..., start[a] : end[a] + 1].sum(axis=-1)
    return out


def bias_draws(
    posterior, priors: PriorConfig, names: Sequence[str], shape: tuple[int, ...], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Each draw's observation bias of the groups ``names`` (``bias__<series>__<definition>``).

    The posterior's (``obs_bias``) where the fit saw the group; else drawn from the group's Normal
    prior, in the order of ``names`` (a definition first published after the fitted window); a name
    with neither is left out (a reference definition: no bias).

    Parameters
    ----------
    posterior : xarray.Dataset
        The fitted posterior.
    priors : PriorConfig
        The bias priors.
    names : sequence of str
        The bias groups wanted.
    shape : tuple of int
        The draws' shape: ``(chain, draw)``, or ``(n,)`` flattened chain-major.
    rng : numpy.random.Generator
        Draws the biases of groups the fit did not see.

    Returns
    -------
    dict of str to numpy.ndarray
        ``shape``-shaped draws per name, in the order of ``names``.

    Raises
    ------
    ValueError
        When a bias that must be drawn has no Normal prior.
    """
    have: dict[str, np.ndarray] = {}
    if "obs_bias" in posterior:
        values = np.asarray(posterior["obs_bias"].values)
        for j, name in enumerate(posterior["obs_bias"].coords["bias"].values):
            have[str(name)] = values[..., j].reshape(shape)
    out = {}
    for name in names:
        if name in have:
            out[name] = have[name]
        elif name in priors:
            prior = priors[name]
            if prior.distribution != "Normal":
                raise ValueError(f"{name}: observation biases must have a Normal prior")
            out[name] = prior.params["mu"] + prior.params["sigma"] * rng.standard_normal(shape)
    return out


def row_predictions(posterior, latents: dict, design: Design, inputs: dict | None = None):
    """Give the predictive distribution of every used observation row.

    Simulate a row as ``loc + scale * rng.standard_t(nu)``, then back-transform it.

    Parameters
    ----------
    posterior : xarray.Dataset or xarray.DataTree
        The posterior (dims chain, draw): the initial stocks, ``obs_bias`` and the discrepancy
        scales are read.
    latents : dict of str to numpy.ndarray
        The latent flows and stocks of :func:`posterior_latents`.
    design : Design
        The fit's observation design.
    inputs : dict, optional
        Not used.

    Returns
    -------
    loc : numpy.ndarray
        Location per draw and row on the row's model scale (bias included), shape
        (chain, draw, row).
    scale : numpy.ndarray
        Scale per draw and row (fixed noise and discrepancy in quadrature), same shape.
    nu : float
        Degrees of freedom of the Student-t (:data:`~forecast.model.mapping.OBS_NU`).
    transform : numpy.ndarray
        Per row, the model scale: ``"log"``, ``"logit"`` or ``"identity"``.
    """
    post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    parts = [np.asarray(latents[f]) for f in dyn.FLOWS]
    for s in dyn.STOCKS:
        x = np.asarray(latents[s])
        x0 = np.asarray(post[INITIAL_STATE[s]].values)[..., None]
        parts += [np.broadcast_to(x0, (*x.shape[:-1], 1)), x]
    Z = np.concatenate(parts, axis=-1)
    v = Z[..., design.z_index] * design.z_weight
    agg = _segment_sums(v, design.agg_start, design.agg_end)
    num = agg[..., design.num_agg]
    den = agg[..., np.maximum(design.den_agg, 0)]
    lik = design.rows.lik.to_numpy()
    with np.errstate(all="ignore"):
        r = np.clip(num / den, 1e-12, 1 - 1e-12)
        pred = np.where(
            lik == N.Likelihood.LOG,
            np.log(np.maximum(num, 1e-12)),
            np.where(lik == N.Likelihood.LOGIT, np.log(r) - np.log1p(-r), num),
        )
    bias_names = [f"bias__{s}__{d}" for s, d in design.groups]
    bias = np.zeros((*pred.shape[:-1], len(bias_names)))
    if "obs_bias" in post:
        bnames = list(post["obs_bias"].coords["bias"].values)
        vals = np.asarray(post["obs_bias"].values)
        for j, n in enumerate(bnames):
            bias[..., bias_names.index(n)] = vals[..., j]
    loc = pred + bias[..., design.rows.group.to_numpy()]
    sig = np.stack(
        [
            np.asarray(post["discrepancy"].sel(scale=sc).values)
            if ":" in sc
            else np.full(pred.shape[:-1], OBS_TYPES[sc]["fixed"])
            for sc in design.scales
        ],
        axis=-1,
    )[..., design.rows.scale_index.to_numpy()]
    scale = np.sqrt(sig**2 + _extra2(design))
    return loc, scale, OBS_NU, design.rows["transform"].to_numpy()
