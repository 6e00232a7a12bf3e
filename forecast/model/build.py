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

Formulation (monthly; see dynamics.py for the chain itself):

* instroom: ``log I_t = level_t + season[m(t)]``. ``level`` is a **centred** Gaussian random walk (the
  monthly IND and CBS series pin it, so a non-centred walk would be a funnel). Its innovation sd is
  ``instroom_sigma``, multiplied by ``instroom_shock_scale`` in the months of the known shocks
  (``design.INSTROOM_SHOCK_EVENTS``: the 2015 Syria surge, the 2020 COVID border closures, the 2021
  Kabul evacuation) - the "regime effects" of the issue, instead of Student-t tails everywhere.
  ``season`` is zero-sum over the 12 months.
* IND: a monthly decision hazard on the available stock before 2021 (linear, closed form), a
  capacity-limited capped stock from 2021 (design.IND_CAPACITY_FROM).
* repeat share, decision hazard, IND capacity, grant rate and housing realisation: **centred** random
  walks on **yearly** knots (:data:`CENTRED`), linearly interpolated to months.  The housing hazard before
  2019 is one constant monthly share.
* nareis: FIR of earlier grants with a discretised gamma lag (mean learned, shape fixed:
  :data:`FIXED`).
* housing: a constant monthly housing hazard before 2019 (the start of the longest run of half-years
  with a known taakstelling); from then on a capped stock with capacity = realisation x taakstelling
  where the taakstelling is an input, and where it is not (2024-II) a latent municipal housing capacity
  per half-year with the wide prior ``housing_capacity_missing``. No taakstelling value is invented.
* observations: Student-t(``OBS_NU``) on the log / logit / natural scale; sd = fixed quality noise (+)
  one learned discrepancy per observation type (``discrepancy_flow``, ``discrepancy_stock``); one bias per
  non-reference (series, definition) with the prior ``bias__<series>__<definition>``.
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
from forecast.model.design import OBS_NU, OBS_TYPES, Design, bias_parameter_names
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
    # gamma shape of the nareis lag: the shape is not identified separately from the mean by monthly arrivals
    # (both trade off against the grant path); 3 gives a unimodal lag with sd = mean / sqrt(3) (mean 12
    # months -> most arrivals 3-24 months after the grant: application, IND decision, travel).
    "nareis_lag_shape": 3.0,
}

#: yearly knots for the slowly varying paths
KNOT_STEP = 12

_SCALAR_PARAMETERS = (
    "instroom_level0",
    "instroom_sigma",
    "instroom_shock_scale",
    "season",
    "repeat_logit0",
    "repeat_sigma",
    "nareis_ratio",
    "nareis_lag_mean",
    "log_grants_pre",
    "eff_nareis_restriction",
    "eff_covid_nareis",
    "backlog0",
    "hazard_logit0",
    "hazard_sigma",
    "capacity_log0",
    "capacity_sigma",
    "eff_moratorium_cap",
    "grant_logit0",
    "grant_sigma",
    "eff_moratorium_grant",
    "statushouders0",
    "housing_hazard_logit0",
    "nareis_housing_share",
    "realisation_log0",
    "realisation_sigma",
    "eff_asieldeal",
    "housing_capacity_missing",
    "rejected0",
    "departure_rate",
    "taak_backlog0",
    "discrepancy_flow",
    "discrepancy_stock",
)
#: priors used only when simulating forward (forecast/model/forward.py), not in the fit
FORWARD_PARAMETERS = ("taakstelling_log_ratio", "instroom_halflife")
#: every prior the model reads from the PriorConfig
MODEL_PARAMETERS: tuple[str, ...] = _SCALAR_PARAMETERS + FORWARD_PARAMETERS + bias_parameter_names()

_SCALE = Domain("positive", "a scale")
_LOGIT = Domain("real", "a logit")
_LOG_MULT = Domain("real", "a log multiplier")
_STOCK = Domain("positive", "an initial stock in persons")
#: The domain of every prior the model reads (:data:`MODEL_PARAMETERS`), from how the parameter enters
#: the model (:mod:`forecast.model.dynamics`, :mod:`forecast.model.forward`): sds and scales, ratios,
#: lags, stocks and capacities are positive; shares and rates used as probabilities lie in (0, 1);
#: logits, logs, effects and biases are real. The prior loader refuses a prior whose support reaches
#: outside its parameter's domain (:meth:`forecast.priors.PriorConfig.require`).
PARAMETER_DOMAINS: dict[str, Domain] = {
    "instroom_level0": Domain("real", "a log level"),
    "instroom_sigma": _SCALE,
    "instroom_shock_scale": Domain("positive", "a scale multiplier"),
    "season": Domain("real", "a log seasonal effect"),
    "repeat_logit0": _LOGIT,
    "repeat_sigma": _SCALE,
    "nareis_ratio": Domain("positive", "a ratio"),
    "nareis_lag_mean": Domain("positive", "a lag in months"),
    "log_grants_pre": Domain("real", "a log count"),
    "eff_nareis_restriction": _LOG_MULT,
    "eff_covid_nareis": _LOG_MULT,
    "backlog0": _STOCK,
    "hazard_logit0": _LOGIT,
    "hazard_sigma": _SCALE,
    "capacity_log0": Domain("real", "a log capacity"),
    "capacity_sigma": _SCALE,
    "eff_moratorium_cap": _LOG_MULT,
    "grant_logit0": _LOGIT,
    "grant_sigma": _SCALE,
    "eff_moratorium_grant": Domain("real", "a shift of a logit"),
    "statushouders0": _STOCK,
    "housing_hazard_logit0": _LOGIT,
    "nareis_housing_share": Domain("unit_interval", "a share"),
    "realisation_log0": Domain("real", "a log ratio"),
    "realisation_sigma": _SCALE,
    "eff_asieldeal": _LOG_MULT,
    "housing_capacity_missing": Domain("positive", "a capacity in persons per half-year"),
    "rejected0": _STOCK,
    "departure_rate": Domain("unit_interval", "a monthly probability"),
    "taak_backlog0": Domain("real", "a backlog whose sign is free: negative is a lead"),
    "discrepancy_flow": _SCALE,
    "discrepancy_stock": _SCALE,
    "taakstelling_log_ratio": Domain("real", "a log ratio"),
    "instroom_halflife": Domain("positive", "a half-life in months"),
    **{name: Domain("real", "a log or logit bias") for name in bias_parameter_names()},
}

_KNOTTED = {  # path name -> (initial-value prior, step-sd prior, innovation variable)
    "logit_repeat": ("repeat_logit0", "repeat_sigma", "repeat_z"),
    "log_capacity": ("capacity_log0", "capacity_sigma", "capacity_z"),
    "logit_hazard": ("hazard_logit0", "hazard_sigma", "hazard_z"),
    "logit_grant": ("grant_logit0", "grant_sigma", "grant_z"),
    "log_realisation": ("realisation_log0", "realisation_sigma", "realisation_z"),
}
#: knotted paths whose knots are sampled **centred** (the knot values themselves, with a Gaussian random-walk
#: prior): the data pin each knot (grant rate, decision pace, capacity, repeat share, housing
#: realisation), so the non-centred innovations were strongly anti-correlated and their sum (the level) a very
#: stiff direction of the posterior (finite-difference Hessian, whitened by the posterior sd: eigenvalues up
#: to ~5e4; ~1000 leapfrog steps per draw).  The innovations and the initial value are kept as
#: deterministics under their old names.
CENTRED = (
    "logit_repeat",
    "log_capacity",
    "logit_hazard",
    "logit_grant",
    "log_realisation",
)

#: The housing hazard before the housing switch (2014-2018) is ONE constant monthly share
#: (``housing_hazard_logit0``), not a yearly random walk: with yearly knots the posterior step sd was ~0.07
#: (90 % 0.005-0.25) and every knot within +-0.1 of logit -1.65, i.e. the COA statushouder stocks do not
#: distinguish a changing pace, and the knots' step sd made a funnel (centred) or a stiff sum direction
#: (non-centred) that alone cost ~4x in leapfrog steps.
_DIRECT = (
    "nareis_ratio",
    "nareis_lag_mean",
    "log_grants_pre",
    "eff_nareis_restriction",
    "eff_covid_nareis",
    "backlog0",
    "eff_moratorium_cap",
    "eff_moratorium_grant",
    "statushouders0",
    "nareis_housing_share",
    "eff_asieldeal",
    "rejected0",
    "departure_rate",
    "taak_backlog0",
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


def check_effects(effects: Sequence[ModelEffect], inputs: Mapping[str, Any]) -> tuple[ModelEffect, ...]:
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
    T = len(inputs["month_of_year"])
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
        switch = int(inputs.get(_SWITCHED_TARGETS.get(e.target, ""), 0))
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


def _apply_effects(p: dict, q: Mapping[str, Any], effects: Sequence[ModelEffect], xp) -> dict:
    """Multiply every target of ``effects`` by ``exp(x_t)``, ``x_t`` = the sum of its ``ramp_t x effect``.

    First applications, nareis and the departure hazard through ``p["mult_<target>"]`` of
    :func:`~forecast.model.dynamics.simulate_chain`. The IND capacity and the housing capacity through
    their log paths (``log_capacity + x``; ``log_realisation + x`` and ``housing_latent x exp(x)``),
    which gives exactly ``capacity x exp(x)`` in the capacity-limited months: the multiplier route
    of simulate_chain applies a full-length multiplier to the pre-switch hazard months too, so with a
    switch inside the fitted window it cannot be used there (:func:`check_effects` keeps these effects
    out of the hazard months).
    """
    x: dict[str, Any] = {}
    for e in effects:
        term = q[e.name][..., None] * np.asarray(e.ramp, dtype=float)
        x[e.target] = term if e.target not in x else x[e.target] + term
    for target, v in x.items():
        if target == N.TARGET_DECISION_RATE:
            p["log_capacity"] = p["log_capacity"] + v
        elif target == N.TARGET_HOUSING_RATE:
            p["log_realisation"] = p["log_realisation"] + v
            p["housing_latent"] = p["housing_latent"] * xp.exp(v)
        else:
            p[f"mult_{target}"] = xp.exp(v)
    return p


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


def knot_months(u: dict) -> dict:
    """Place the knots (month indices) of every knotted path.

    The decision hazard on yearly knots up to the IND regime switch, the IND capacity on yearly knots
    from the switch, the housing realisation on yearly knots from the housing switch (before it the
    realisation is not used: its knots there would only be identified through their sum), the others
    on yearly knots over the window.

    Parameters
    ----------
    u : dict
        The known inputs (:func:`~forecast.model.design.build_inputs`): ``month_of_year``,
        ``ind_switch`` and ``housing_switch`` are read.

    Returns
    -------
    dict of str to numpy.ndarray
        Knot month indices for ``logit_repeat``, ``logit_grant``, ``log_realisation``,
        ``log_capacity`` and ``logit_hazard``.
    """
    T = len(u["month_of_year"])
    s = int(u["ind_switch"])
    return {
        "logit_repeat": knot_positions(T),
        "logit_grant": knot_positions(T),
        "log_realisation": knot_positions(T, first=int(u["housing_switch"])),
        "log_capacity": knot_positions(T, first=s),
        "logit_hazard": knot_positions(T, last=s - 1),
    }


def knot_matrices(u: dict) -> dict:
    """Build the interpolation matrix of every knotted path, from :func:`knot_months`.

    Parameters
    ----------
    u : dict
        The known inputs (:func:`~forecast.model.design.build_inputs`).

    Returns
    -------
    dict of str to numpy.ndarray
        Per path, its ``(T, K)`` interpolation matrix.
    """
    T = len(u["month_of_year"])
    return {path: dyn.interp_matrix(T, k) for path, k in knot_months(u).items()}


def _rv(pm, priors, name, **kw):
    pr = priors[name]
    return getattr(pm, pr.distribution)(name, **pr.params, **kw)


def _chain_params(q: dict, u: dict, W: np.ndarray, xp) -> dict:
    """Raw model variables ``q`` (pytensor or numpy with leading batch dims) -> ``p`` of simulate_chain."""
    p = {k: q[k] for k in _DIRECT}
    p["lag_mean"] = q["nareis_lag_mean"]
    p["lag_shape"] = FIXED["nareis_lag_shape"] + 0.0 * q["nareis_lag_mean"]
    p["log_level"] = q["instroom_log_level"]
    p["season"] = q["season"]
    # housing hazard before the housing switch: one constant monthly share (see the note above _DIRECT)
    p["logit_housing_hazard"] = q["housing_hazard_logit0"][..., None] * np.ones(len(u["month_of_year"]))
    for path, (x0, sig, z) in _KNOTTED.items():
        if f"{path}_knots" in q:  # centred knots (model graph)
            p[path] = q[f"{path}_knots"] @ W[path].T
        else:
            p[path] = dyn.knot_path(q[x0], q[sig], q[z], W[path], xp)
    # latent municipal housing capacity (persons per half-year) for the half-years without a taakstelling
    miss = [u["half_labels"].index(h) for h in u["missing_halves"]]
    sel = np.zeros((len(miss), len(u["half_of_month"])))
    for j, hj in enumerate(miss):
        sel[j] = (u["half_of_month"] == hj) / 6.0
    p["housing_latent"] = q["housing_capacity_missing"] @ sel if len(miss) else 0.0 * u["taak_mask"]
    return p


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


def _level_init(design: Design, u: dict) -> np.ndarray:
    """Initial value of the centred level: log of the reference monthly first applications (interpolated).
    Only a starting point for the sampler (data-based, like a MAP start), never a prior or a value."""
    r = design.rows
    r = r[(r.series == "first_applications") & (r.definition == "ind") & (r.frequency == "M")]
    T = design.T
    t = np.array([(p.year - design.start.year) * 12 + p.month - design.start.month for p in r.period_start])
    if len(t) < 2:
        return np.full(T, np.log(2000.0))
    o = np.argsort(t)
    return np.interp(np.arange(T), t[o], np.log(r.value.to_numpy(float)[o]))


def build_model(design: Design, inputs: dict, priors, effects: Sequence[ModelEffect] | None = None):
    """Build the PyMC model.

    Parameters
    ----------
    design : Design
        The observation design (:func:`~forecast.model.design.build_design`) on the fitted months.
    inputs : dict
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
        When ``priors`` does not define exactly :data:`MODEL_PARAMETERS`, or a prior's support is not
        inside its parameter's domain (:data:`PARAMETER_DOMAINS`).
    ValueError
        When a prior has a distribution the model cannot take (``instroom_level0`` and the initial
        values of the centred knot paths must be Normal, ``season`` Normal with ``mu = 0``,
        observation biases Normal), or an effect is invalid (:func:`check_effects`).
    """
    import pymc as pm
    import pytensor.tensor as pt

    from forecast.model.obslik import make_obs_op

    priors.require(MODEL_PARAMETERS, domains=PARAMETER_DOMAINS)
    u = inputs
    T = design.T
    effects = check_effects(effects, u) if effects is not None else None
    W = knot_matrices(u)
    bias_names = [f"bias__{s}__{d}" for s, d in design.groups]
    free = [j for j, n in enumerate(bias_names) if n in priors]
    for j in free:
        if priors[bias_names[j]].distribution != "Normal":
            raise ValueError(f"{bias_names[j]}: observation biases must have a Normal prior")
    coords = {
        "month": np.arange(T),
        **{f"{p}_step": np.arange(W[p].shape[1] - 1) for p in W},
        **{f"{p}_knot": np.arange(W[p].shape[1]) for p in W},
        "month_of_year": np.arange(12),
        "missing_half": list(u["missing_halves"]),
        "bias": [bias_names[j] for j in free],
    }
    with pm.Model(coords=coords) as model:
        q = {}
        # instroom: centred random walk with larger innovations in the known shock months
        sig = _rv(pm, priors, "instroom_sigma")
        shock = _rv(pm, priors, "instroom_shock_scale")
        innov_sd = sig * (1.0 + (shock - 1.0) * u["instroom_shock"][1:])
        l0 = priors["instroom_level0"]
        if l0.distribution != "Normal":
            raise ValueError("instroom_level0 must be Normal (initial state of the centred random walk)")
        q["instroom_log_level"] = pm.RandomWalk(
            "instroom_log_level",
            init_dist=pm.Normal.dist(**l0.params),
            innovation_dist=pm.Normal.dist(0.0, innov_sd),
            shape=T,
            dims="month",
            initval=_level_init(design, u),
        )
        se = priors["season"]
        if se.distribution != "Normal" or se.params["mu"] != 0:
            raise ValueError("season must be Normal(mu=0, sigma) (zero-sum over the 12 months)")
        q["season"] = pm.ZeroSumNormal("season", sigma=se.params["sigma"], dims="month_of_year")
        for path, (x0, sg, z) in _KNOTTED.items():
            q[sg] = _rv(pm, priors, sg)
            if path in CENTRED:
                k0 = priors[x0]
                if k0.distribution != "Normal":
                    raise ValueError(f"{x0} must be Normal (initial state of a centred random walk)")
                kn = pm.RandomWalk(
                    f"{path}_knots",
                    init_dist=pm.Normal.dist(**k0.params),
                    innovation_dist=pm.Normal.dist(0.0, q[sg]),
                    steps=W[path].shape[1] - 1,
                    dims=f"{path}_knot",
                )
                q[f"{path}_knots"] = kn
                q[x0] = pm.Deterministic(x0, kn[0])
                q[z] = pm.Deterministic(z, (kn[1:] - kn[:-1]) / q[sg], dims=f"{path}_step")
            else:
                q[x0] = _rv(pm, priors, x0)
                q[z] = pm.Normal(z, 0.0, 1.0, dims=f"{path}_step")
        for e in effects or ():
            for n in e.replaces:  # an event effect that the policy effect replaces: fixed at no effect
                if n not in q:
                    q[n] = pm.Deterministic(n, pt.as_tensor_variable(np.float64(0.0)))
        for n in (*_DIRECT, "nareis_lag_mean", "housing_hazard_logit0"):
            if n not in q:
                q[n] = _rv(pm, priors, n)
        q["housing_capacity_missing"] = _rv(pm, priors, "housing_capacity_missing", dims="missing_half")
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
        sig_types = []
        for name, spec in OBS_TYPES.items():
            sig_types.append(
                _rv(pm, priors, f"discrepancy_{name}") if spec["learned"] else pt.constant(spec["fixed"])
            )
        f = make_obs_op(design, design.y_transformed, _extra2(design), OBS_NU)
        pm.Potential("obs_loglik", f(latent_vector(out, dyn.PT), bias, pt.stack(sig_types)))
    model._forecast = {"design": design, "inputs": u, "bias_names": bias_names, "free_bias": free}
    if effects is not None:
        model._forecast["effects"] = effects
    return model


def sample(
    model,
    *,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int = 1,
    sampler: str = "nutpie",
    cores: int = 2,
    target_accept: float = 0.8,
    adaptation: str = "diag",
    return_timings: bool = False,
):
    """Sample the posterior with NUTS.

    Parameters
    ----------
    model : pymc.Model
        The model (:func:`build_model`).
    draws : int, optional
        Draws per chain after tuning (default 1000).
    tune : int, optional
        Tuning steps per chain (default 1000).
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
):
    t0 = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        compiled = nutpie.compile_pymc_model(model, backend="numba")
        t1 = time.perf_counter()
        trace = nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores,
            seed=random_seed,
            progress_bar=False,
            target_accept=target_accept,
            adaptation=adaptation,
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
                progressbar=False,
                nuts_sampler="pymc",  # PyMC's own NUTS (pm.sample would otherwise pick nutpie)
                compute_convergence_checks=False,  # the diagnostics gate does this
            )
    else:
        raise ValueError(f"unknown sampler {sampler!r} (nutpie or pymc)")
    t2 = time.perf_counter()
    if return_timings:
        return trace, {"compile_s": t1 - t0, "sample_s": t2 - t1, "total_s": t2 - t0}
    return trace


# ------------------------------------------------------------------------------------------ numpy side
def _posterior_q(posterior, u: dict) -> dict:
    post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    q = {}
    paths = ("instroom_log_level", *(z for _, _, z in _KNOTTED.values()))
    for n in (*_SCALAR_PARAMETERS, *paths):
        if n in post:
            q[n] = np.asarray(post[n].values, dtype=float)
    return q


def posterior_latents(
    posterior, design: Design, inputs: dict, effects: Sequence[ModelEffect] | None = None
) -> dict:
    """Recompute every latent flow and stock for all posterior draws (numpy).

    The same :func:`~forecast.model.dynamics.simulate_chain` as the model, on every draw at once.

    Parameters
    ----------
    posterior : xarray.Dataset or xarray.DataTree
        The posterior (dims chain, draw), or draws of the same variables (a prior sample).
    design : Design
        The fit's observation design.
    inputs : dict
        The fit's known inputs (:func:`~forecast.model.design.build_inputs`).
    effects : sequence of ModelEffect, optional
        The policy effects of the fit, applied with their posterior draws as in the model.

    Returns
    -------
    dict of str to numpy.ndarray
        Every array of :func:`~forecast.model.dynamics.simulate_chain` except ``init`` (monthly
        flows, rates and capacities, end-of-month stocks), broadcast to shape (chain, draw,
        month); ``taak_backlog`` is NaN outside the window where it accumulates.

    Raises
    ------
    ValueError
        When the posterior holds effect variables but ``effects`` is None, when it lacks the
        draws of a given effect, or when an effect is invalid (:func:`check_effects`).
    """
    post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    q = _posterior_q(post, inputs)
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
    res["taak_backlog"] = np.where(_tb_valid(inputs), res["taak_backlog"], np.nan)
    return {k: np.broadcast_to(v, shape) for k, v in res.items()}


def _tb_valid(u):
    a, b = u["tb_window"]
    v = np.zeros(len(u["tb_mask"]), bool)
    v[max(a - 1, 0) : b] = True
    return v


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
        Degrees of freedom of the Student-t (:data:`~forecast.model.design.OBS_NU`).
    transform : numpy.ndarray
        Per row, the model scale: ``"log"``, ``"logit"`` or ``"identity"``.
    """
    post = posterior.to_dataset() if hasattr(posterior, "to_dataset") else posterior
    parts = [np.asarray(latents[f]) for f in dyn.FLOWS]
    for s, init in (
        ("ind_backlog", "backlog0"),
        ("statushouders", "statushouders0"),
        ("rejected", "rejected0"),
        ("taak_backlog", "taak_backlog0"),
    ):
        x = np.nan_to_num(np.asarray(latents[s]))
        parts += [np.asarray(post[init].values)[..., None], x]
    Z = np.concatenate(parts, axis=-1)
    v = Z[..., design.z_index] * design.z_weight
    agg = _segment_sums(v, design.agg_start, design.agg_end)
    num = agg[..., design.num_agg]
    den = agg[..., np.maximum(design.den_agg, 0)]
    lik = design.rows.lik.to_numpy()
    with np.errstate(all="ignore"):
        r = np.clip(num / den, 1e-12, 1 - 1e-12)
        pred = np.where(
            lik == 0, np.log(np.maximum(num, 1e-12)), np.where(lik == 1, np.log(r) - np.log1p(-r), num)
        )
    bias_names = [f"bias__{s}__{d}" for s, d in design.groups]
    bias = np.zeros((*pred.shape[:-1], len(bias_names)))
    if "obs_bias" in post:
        bnames = list(post["obs_bias"].coords["bias"].values)
        vals = np.asarray(post["obs_bias"].values)
        for j, n in enumerate(bnames):
            bias[..., bias_names.index(n)] = vals[..., j]
    loc = pred + bias[..., design.rows.group.to_numpy()]
    sig = []
    for name, spec in OBS_TYPES.items():
        sig.append(
            np.asarray(post[f"discrepancy_{name}"].values)
            if spec["learned"]
            else np.full(pred.shape[:-1], spec["fixed"])
        )
    sig = np.stack(sig, axis=-1)[..., design.rows.type_index.to_numpy()]
    scale = np.sqrt(sig**2 + _extra2(design))
    return loc, scale, OBS_NU, design.rows["transform"].to_numpy()
