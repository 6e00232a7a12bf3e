"""Phase-gate evaluation: what did the measures do, given what was observed during a phase?

The policy note advises to evaluate every phase before the next step (DOMAIN.md §3, advice III).
:func:`evaluate_phase` does that for the chain model:

1. The scenario actually in force is given by the user (a set of measure ids). Every
   log-multiplier effect of those measures becomes a **free parameter of the fit**, with the
   measure's effect prior (``priors/policy/measures.toml``), acting on its target flow or rate over
   the fitted months through the measure's ramp (:class:`forecast.model.build.ModelEffect`).
2. The chain model is refitted to the history, which now holds the observations that arrived
   during the phase.
3. For each effect of a measure active in the phase it reports prior vs posterior, the probability
   that the effect is at least as large as planned, the prior-to-posterior contraction and a plain
   verdict (:meth:`PhaseEvaluation.table`), and how the forecast of the next phase changes when the
   effects are drawn from the posterior instead of the prior (:meth:`PhaseEvaluation.outlook`).

Definitions
-----------
*Plan*: the prior mean ``mu`` of the effect. *At least as large as planned*: in the direction of
the plan, ``P(effect <= mu)`` for ``mu < 0`` and ``P(effect >= mu)`` for ``mu > 0`` (for a prior
symmetric about its mean this is 0.5 under the prior). *Contraction*:
``1 - Var_posterior / Var_prior``: 0 when the data say nothing about the effect, 1 when they pin it.

Effects the chain's data cannot inform
--------------------------------------
* ``places`` effects (``regular_capacity``) act on capacity, not on the chain: they are not
  estimated, their posterior is their prior.
* ``switch`` effects (``housing_obligation``: abolishing the taakstelling) are a structural switch
  of the chain, not a multiplier: the refit has no such free parameter (the model's effects are
  log multipliers only), so their share is not estimated and its posterior is its prior. A measure
  with only a switch effect is treated like one that does not act on the chain, and its verdict
  says so; where the switch acts in fitted months the refit does not apply it, and the verdict warns
  that the chain's own housing parameters then take up its effect. The outlook applies the switch.
* An effect whose measure does not act in any fitted month (the data end before it starts) is
  not estimated either: its posterior is its prior, exactly.
* First-applications effects are in practice not identified: the instroom level is a random walk,
  and a lasting step in it is one more innovation. The evaluation then reports little contraction
  (the note: effects on inflow "cannot be quantified in advance").
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.data import History, load_history
from forecast.model import ChainModel, ModelSettings
from forecast.model.build import EVENT_EFFECTS, ModelEffect, effect_variable
from forecast.model.diagnostics import Thresholds
from forecast.priors import PriorConfig
from forecast.priors.config import Prior
from forecast.scenarios.engine import ScenarioEngine
from forecast.scenarios.measures import Effect, MeasureSet, load_measures
from forecast.scenarios.phases import Phase, PhaseSchedule

#: The dimension of the effects in :meth:`PhaseEvaluation.to_dataset`.
DIM_EFFECT = "effect"
#: Below this contraction the data cannot tell the posterior from the prior (the verdict says so).
MIN_CONTRACTION = 0.1
#: A probability at least this large (or at most ``1 - DECISIVE``) is a clear verdict.
DECISIVE = 0.8
#: The central posterior interval of the table (94 %, as in ArviZ).
INTERVAL = 0.94
#: Draws from each prior for its interval and its P(at least planned) (exact moments are analytic).
PRIOR_SAMPLES = 100_000
#: Statistics of the next fase in :meth:`PhaseEvaluation.outlook` (see ``ScenarioEngine.phase_draws``).
OUTLOOK_STATISTICS = ("need_mean", "need_peak", "places_mean", "housed_total", "statushouder_share")

#: Effect status: estimated in the refit, or why not.
ESTIMATED = "estimated"
NO_DATA = "no_data"
NOT_ON_CHAIN = "not_on_chain"
#: Effect status of a structural switch (kind ``switch``): the refit cannot estimate it.
SWITCH_NOT_FITTED = "switch_not_fitted"


class PhaseEvaluationError(ValueError):
    """Bad input to a phase evaluation (unknown fase or measure, a measure not acting in the fase, ...)."""


def _month_start(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()


@dataclass(frozen=True)
class EffectPlan:
    """One effect of a measure in force, and how the evaluation treats it.

    Parameters
    ----------
    effect : Effect
        The measure's effect (target, kind, prior).
    variable : str
        The model variable (:func:`forecast.model.build.effect_variable`).
    ramp : numpy.ndarray
        Share of the effect acting in each fitted month (``(T,)``), 0 after the measure ended.
    months_with_data : int
        Fitted months in which the effect acts (ramp > 0).
    status : str
        :data:`ESTIMATED`, :data:`NO_DATA`, :data:`NOT_ON_CHAIN` or :data:`SWITCH_NOT_FITTED`.
    in_fase : bool
        Whether the measure acts in the evaluated fase (the effects reported by default).
    replaces : tuple of str
        Event effects of the model fixed at 0 in the refit because this effect takes their place.
    """

    effect: Effect
    variable: str
    ramp: np.ndarray = field(repr=False)
    months_with_data: int
    status: str
    in_fase: bool = True
    replaces: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """``"<measure>.<target>"``."""
        return self.effect.name


class PhaseGate:
    """The set-up of a phase evaluation: which fase, which measures were in force, how they acted.

    :func:`evaluate_phase` is the one-call use. The gate can also be used in steps, e.g. to fit
    the model on data of one's own: ``gate.model(history)`` gives the (unfitted) chain model with
    the effects as free parameters; after ``fit`` the gate's :meth:`evaluate` gives the result.

    Parameters
    ----------
    measures_in_force : sequence of str
        The scenario actually implemented: measure ids (e.g. a bundle's). Those acting in at least
        one month of the fase are evaluated (:attr:`evaluated`); measures of earlier fases belong
        here too (left out, their effect in the data would be ascribed to something else), and
        measures that start later are not evaluated but act in the next fase's outlook.
    fase : str
        The phase evaluated (a name of ``phases``).
    measures : MeasureSet, optional
        Default: the bundled ``priors/policy/measures.toml``.
    phases : PhaseSchedule, optional
        Default: the measures' phases.
    ended : mapping of str to date-like, optional
        Measures that stopped acting: measure id -> first month without the measure (e.g. a
        temporary measure, or one struck down). For the outlook an end must lie no later than the
        first forecast month: the forecast of the next fase applies measures with no end.
    replaces : mapping of str to str or sequence of str, optional
        Measure id or effect name (``"<measure>.<target>"``) -> event effects of the model
        (:data:`forecast.model.build.EVENT_EFFECTS`) that do the same job in the same months: fixed
        at 0 in the refit, so that the data are not shared between the two.
    next_in_force : sequence of str, optional
        The measures in force in the next fase for :meth:`PhaseEvaluation.outlook`; default
        ``measures_in_force`` less those that ended.
    """

    def __init__(
        self,
        measures_in_force: Sequence[str],
        fase: str,
        *,
        measures: MeasureSet | None = None,
        phases: PhaseSchedule | None = None,
        ended: Mapping[str, Any] | None = None,
        replaces: Mapping[str, str | Sequence[str]] | None = None,
        next_in_force: Sequence[str] | None = None,
    ) -> None:
        self.measures = measures if measures is not None else load_measures()
        self.phases = phases or self.measures.phases
        if self.phases is None:
            raise PhaseEvaluationError("no phase schedule: pass phases=")
        if fase not in self.phases:
            raise PhaseEvaluationError(f"unknown fase {fase!r}; the phases are {list(self.phases.names)}")
        self.fase = fase
        self.phase: Phase = self.phases[fase]
        names = list(self.phases.names)
        i = names.index(fase)
        self.next_fase: str | None = names[i + 1] if i + 1 < len(names) else None
        in_force = list(dict.fromkeys(measures_in_force))
        unknown = [m for m in in_force if m not in self.measures]
        if unknown:
            raise PhaseEvaluationError(
                f"unknown measure(s) {unknown}; the measures are {list(self.measures.ids)}"
            )
        self.ended = {str(k): _month_start(v) for k, v in (ended or {}).items()}
        bad = sorted(set(self.ended) - set(in_force))
        if bad:
            raise PhaseEvaluationError(f"ended names measure(s) not in force: {bad}")
        self.in_force = tuple(m for m in self.measures.ids if m in in_force)  # file order
        #: the measures in force that act in at least one month of the fase: the ones evaluated
        self.evaluated = tuple(m for m in self.in_force if np.any(self._ramp(m, self.phase.months) > 0))
        if not self.evaluated:
            raise PhaseEvaluationError(
                f"none of the measures in force {list(self.in_force)} acts in fase {fase!r} "
                f"({self.phase.start:%Y-%m} to {self.phase.end:%Y-%m}, end exclusive)"
            )
        effect_names = {e.name for mid in self.in_force for e in self.measures[mid].effects}
        self.replaces: dict[str, tuple[str, ...]] = {}
        for key, value in (replaces or {}).items():
            targets = (value,) if isinstance(value, str) else tuple(value)
            wrong = sorted(set(targets) - set(EVENT_EFFECTS))
            if wrong:
                raise PhaseEvaluationError(
                    f"replaces[{key!r}]: {wrong} are not event effects ({', '.join(EVENT_EFFECTS)})"
                )
            if key in self.in_force:
                for e in self.measures[key].effects:
                    self.replaces[e.name] = tuple(dict.fromkeys((*self.replaces.get(e.name, ()), *targets)))
            elif key in effect_names:
                self.replaces[key] = tuple(dict.fromkeys((*self.replaces.get(key, ()), *targets)))
            else:
                raise PhaseEvaluationError(f"replaces names {key!r}, which is no measure or effect in force")
        nxt = [m for m in self.in_force if m not in self.ended] if next_in_force is None else next_in_force
        unknown = [m for m in nxt if m not in self.measures]
        if unknown:
            raise PhaseEvaluationError(f"unknown measure(s) in next_in_force: {unknown}")
        self.next_in_force = tuple(m for m in self.measures.ids if m in nxt)

    # ------------------------------------------------------------------ ramps and effects
    def _ramp(self, measure_id: str, months: Any, effect: Effect | None = None) -> np.ndarray:
        m = self.measures[measure_id]
        r = m.ramp(months, effect)
        if measure_id in self.ended:
            idx = pd.DatetimeIndex(pd.to_datetime(months)).to_period("M").to_timestamp()
            r = np.where(idx < self.ended[measure_id], r, 0.0)
        return np.asarray(r, dtype=float)

    def plan(self, months: pd.DatetimeIndex) -> list[EffectPlan]:
        """Every effect of the measures in force over the fitted ``months``, with its treatment.

        Parameters
        ----------
        months : pandas.DatetimeIndex
            The fitted months (month starts), e.g. ``ChainModel.fitted_months()``.

        Returns
        -------
        list of EffectPlan
            One per effect of every measure in force (measures in file order): its ramp over
            ``months`` (0 from a measure's end on), the fitted months in which it acts, its status
            (:data:`NOT_ON_CHAIN` for a places effect, :data:`SWITCH_NOT_FITTED` for a structural
            switch, which the refit cannot estimate; else :data:`NO_DATA` when it acts in no month,
            else :data:`ESTIMATED`) and, for an estimated effect, the event effects it replaces.
        """
        out = []
        for mid in self.in_force:
            for e in self.measures[mid].effects:
                ramp = self._ramp(mid, months, e)
                n = int(np.sum(ramp > 0))
                if e.kind == N.EFFECT_SWITCH:
                    status = SWITCH_NOT_FITTED
                elif e.kind != N.EFFECT_LOG_MULTIPLIER:
                    status = NOT_ON_CHAIN
                elif n == 0:
                    status = NO_DATA
                else:
                    status = ESTIMATED
                out.append(
                    EffectPlan(
                        e,
                        effect_variable(mid, e.target),
                        ramp,
                        n,
                        status,
                        mid in self.evaluated,
                        self.replaces.get(e.name, ()) if status == ESTIMATED else (),
                    )
                )
        return out

    def model_effects(self, months: pd.DatetimeIndex) -> list[ModelEffect]:
        """The effects to estimate in the refit (:class:`~forecast.model.build.ModelEffect`).

        Parameters
        ----------
        months : pandas.DatetimeIndex
            The fitted months (month starts).

        Returns
        -------
        list of ModelEffect
            One per plan of :meth:`plan` with status :data:`ESTIMATED`: model variable, target, the
            effect prior, the ramp over ``months`` and the event effects it replaces. Empty when no
            log-multiplier effect acts in the fitted months.
        """
        return [
            ModelEffect(p.variable, p.effect.target, p.effect.prior, p.ramp, p.replaces)
            for p in self.plan(months)
            if p.status == ESTIMATED
        ]

    def model(
        self,
        history: History | None = None,
        priors: PriorConfig | str | Path | None = None,
        settings: ModelSettings | None = None,
    ) -> ChainModel:
        """The (unfitted) chain model of ``history`` with the effects of the measures in force as free
        parameters (no effects when none acts in the fitted months: then it is the plain model).

        Parameters
        ----------
        history : History, optional
            The data to fit (default: the bundled history).
        priors : PriorConfig or str or pathlib.Path, optional
            The model priors or a folder of prior files (default: the bundled ``priors/``).
        settings : ModelSettings, optional
            The fitted window (default 2014-01 to the last observation).

        Returns
        -------
        ChainModel
            Not fitted; with ``effects`` from :meth:`model_effects` over its fitted months, or
            ``effects=None`` when there are none.
        """
        base = ChainModel(history, priors, settings)
        effects = self.model_effects(base.fitted_months())
        if not effects:
            return base
        return ChainModel(base.history, base.priors, base.settings, effects=effects)

    def check_outlook(self, model: ChainModel) -> None:
        """Refuse an outlook the scenario engine cannot compute: a measure that ends after the first
        forecast month (the engine applies a measure from its start with no end).

        Parameters
        ----------
        model : ChainModel
            The model whose forecast starts the month after its last fitted month.

        Raises
        ------
        PhaseEvaluationError
            When a measure in :attr:`ended` ends after the first forecast month.
        """
        first_forecast = model.fitted_months()[-1] + pd.offsets.MonthBegin(1)
        late = {m: e for m, e in self.ended.items() if e > first_forecast}
        if late:
            raise PhaseEvaluationError(
                f"measure(s) {sorted(late)} end after the first forecast month ({first_forecast:%Y-%m}): "
                "the forecast of the next fase cannot stop a measure"
            )

    # ------------------------------------------------------------------ evaluating
    def evaluate(
        self,
        model: ChainModel,
        *,
        random_seed: int = 2026,
        min_contraction: float = MIN_CONTRACTION,
        decisive: float = DECISIVE,
    ) -> PhaseEvaluation:
        """The evaluation from a fitted ``model`` (from :meth:`model`, or a plain fit of the same data
        when no effect acts in its fitted months).

        Parameters
        ----------
        model : ChainModel
            The fitted model.
        random_seed : int, optional
            Seeds the prior draws and the forecast of the next fase (default 2026).
        min_contraction : float, optional
            Verdict threshold: below this contraction the data cannot tell yet (default
            :data:`MIN_CONTRACTION`).
        decisive : float, optional
            Verdict threshold: a probability at least this large (or at most ``1 - decisive``) is a
            clear verdict (default :data:`DECISIVE`).

        Returns
        -------
        PhaseEvaluation
            The result, with the effect plans over the model's fitted months.

        Raises
        ------
        PhaseEvaluationError
            When the model is not fitted, or does not estimate an effect that acts in its fitted
            months.
        """
        if model.idata is None:
            raise PhaseEvaluationError("the model is not fitted")
        plans = self.plan(model.fitted_months())
        in_model = {e.name for e in (model.effects or ())}
        for p in plans:
            if p.status == ESTIMATED and p.variable not in in_model:
                raise PhaseEvaluationError(
                    f"effect {p.name!r} acts in {p.months_with_data} fitted month(s) but the model does not "
                    "estimate it: build the model with PhaseGate.model()"
                )
        return PhaseEvaluation(
            self, model, plans, random_seed=random_seed, min_contraction=min_contraction, decisive=decisive
        )


def evaluate_phase(
    history: History | None,
    measures_in_force: Sequence[str],
    fase: str,
    *,
    measures: MeasureSet | None = None,
    phases: PhaseSchedule | None = None,
    priors: PriorConfig | str | Path | None = None,
    settings: ModelSettings | None = None,
    ended: Mapping[str, Any] | None = None,
    replaces: Mapping[str, str | Sequence[str]] | None = None,
    next_in_force: Sequence[str] | None = None,
    model: ChainModel | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: int = 2026,
    sampler: str = "nutpie",
    thresholds: Thresholds | None = None,
    min_contraction: float = MIN_CONTRACTION,
    decisive: float = DECISIVE,
) -> PhaseEvaluation:
    """Refit the chain with the measures in force as free effects and evaluate them for one fase.

    Parameters
    ----------
    history : History or None
        The data, including what arrived during the fase (default: the bundled history).
    measures_in_force : sequence of str
        The measure ids actually in force during the fase (see :class:`PhaseGate`).
    fase : str
        The fase evaluated, e.g. ``"implementatie"``.
    measures : MeasureSet, optional
        See :class:`PhaseGate`.
    phases : PhaseSchedule, optional
        See :class:`PhaseGate`.
    ended : mapping of str to date-like, optional
        Measure id -> first month without the measure; see :class:`PhaseGate`.
    replaces : mapping of str to str or sequence of str, optional
        Measure id or effect name -> event effects fixed at 0 in the refit; see :class:`PhaseGate`.
    next_in_force : sequence of str, optional
        The measures in force in the next fase; see :class:`PhaseGate`.
    priors : PriorConfig or folder, optional
        The model priors (default: the bundled ``priors/``).
    settings : ModelSettings, optional
        The fitted window (default 2014-01 to the last observation).
    model : ChainModel, optional
        A fitted model of the same history without effects, reused when none of the effects acts
        in the fitted months (the data end before the measures started): then there is nothing to
        refit, and every effect's posterior is its prior. Ignored otherwise.
    draws, tune, chains : int
        Draws per chain, tuning steps and chains of the refit (:meth:`forecast.model.ChainModel.fit`).
    random_seed : int
        Seed of the refit; it also seeds the prior draws and the forecast of the next fase.
    sampler : {"nutpie", "pymc"}
        The refit's sampler.
    thresholds : Thresholds, optional
        The refit's diagnostics gate (default thresholds when ``None``).
    min_contraction, decisive : float
        Verdict thresholds (:data:`MIN_CONTRACTION`, :data:`DECISIVE`).

    Returns
    -------
    PhaseEvaluation
        Prior vs posterior and a verdict per effect (:meth:`PhaseEvaluation.table`), and the next
        fase's outlook (:meth:`PhaseEvaluation.outlook`).

    Raises
    ------
    PhaseEvaluationError
        For an unknown fase or measure, no measure in force acting in the fase, a bad ``ended``,
        ``replaces`` or ``next_in_force``, or a ``model`` to reuse that is not fitted or differs in
        priors, settings, effects or data.

    Examples
    --------
    >>> ev = evaluate_phase(None, ["meer_huisvestingsoplossingen"], "implementatie")  # doctest: +SKIP
    >>> ev.table()[["effect", "p_at_least_planned", "contraction", "verdict"]]  # doctest: +SKIP
    """
    gate = PhaseGate(
        measures_in_force,
        fase,
        measures=measures,
        phases=phases,
        ended=ended,
        replaces=replaces,
        next_in_force=next_in_force,
    )
    history = history if history is not None else load_history()
    fit_model = gate.model(history, priors, settings)
    if fit_model.effects is None and model is not None:
        if model.idata is None:
            raise PhaseEvaluationError("the model given to reuse is not fitted")
        if model.effects is not None or model.config_hash != fit_model.config_hash:
            raise PhaseEvaluationError("the model given to reuse has other priors, settings or effects")
        if model.history.data_hash != history.data_hash:
            raise PhaseEvaluationError("the model given to reuse was fitted to other data")
        fit_model = model
    else:
        fit_model.fit(
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            sampler=sampler,
            thresholds=thresholds,
        )
    return gate.evaluate(
        fit_model, random_seed=random_seed, min_contraction=min_contraction, decisive=decisive
    )


# ---------------------------------------------------------------------- the result
def _prior_samples(priors: Sequence[Prior], n: int, seed: int) -> list[np.ndarray]:
    """``n`` draws from each prior (one PyMC ``pm.draw`` for all, so one compile)."""
    import pymc as pm

    if not priors:
        return []
    rvs = [getattr(pm, p.distribution).dist(**p.params) for p in priors]
    values = pm.draw(rvs, draws=n, random_seed=seed)
    values = [values] if len(rvs) == 1 else values
    return [np.asarray(v, dtype=float).reshape(n) for v in values]


def _p_at_least(x: np.ndarray, mu: float) -> float:
    """P(effect at least as large as planned), in the direction of the plan ``mu`` (NaN for mu = 0)."""
    if mu < 0:
        return float(np.mean(x <= mu))
    if mu > 0:
        return float(np.mean(x >= mu))
    return math.nan


def _p_direction(x: np.ndarray, mu: float) -> float:
    """P(effect has the planned sign) (NaN for mu = 0)."""
    if mu < 0:
        return float(np.mean(x < 0))
    if mu > 0:
        return float(np.mean(x > 0))
    return math.nan


def _verdict(
    status: str,
    months: int,
    contraction: float,
    p_least: float,
    p_dir: float,
    interval: tuple[float, float],
    min_contraction: float,
    decisive: float,
) -> tuple[str, str]:
    """The plain verdict in English and Dutch."""
    if status == SWITCH_NOT_FITTED:
        en = (
            "not estimated: a structural switch of the chain (its draw is a share, not a multiplier), "
            "which the refit cannot estimate; treated like an effect that does not act on the chain: "
            "posterior = prior"
        )
        nl = (
            "niet geschat: een structurele omslag in de keten (de trekking is een aandeel, geen "
            "vermenigvuldiger), die de herfit niet kan schatten; behandeld als een effect dat niet op de "
            "keten werkt: posterior = prior"
        )
        if months > 0:
            en += (
                f"; it acts in {months} fitted month(s) but the refit does not apply it, so the chain's own "
                "housing parameters take up its effect there: read the other housing effects with care"
            )
            nl += (
                f"; de omslag werkt in {months} gefitte maand(en), maar de herfit past hem niet toe, zodat "
                "de eigen huisvestingsparameters van de keten zijn effect daar opnemen: lees de andere "
                "huisvestingseffecten met zorg"
            )
        return en, nl
    if status == NOT_ON_CHAIN:
        return (
            "not identifiable from the chain's data: a capacity effect acts on places, not on the "
            "chain; posterior = prior",
            "niet af te leiden uit de gegevens van de keten: een capaciteitseffect werkt op plaatsen, "
            "niet op de keten; posterior = prior",
        )
    if status == NO_DATA:
        return (
            "no data yet: the measure does not act in any observed month; posterior = prior",
            "nog geen gegevens: de maatregel werkt in geen enkele waargenomen maand; posterior = prior",
        )
    if not contraction >= min_contraction:
        return (
            f"the data cannot tell yet ({months} month(s) with the measure; contraction "
            f"{contraction:.0%} < {min_contraction:.0%}): posterior ≈ prior",
            f"de gegevens zeggen er nog niets over ({months} maand(en) met de maatregel; contractie "
            f"{contraction:.0%} < {min_contraction:.0%}): posterior ≈ prior",
        )
    if math.isnan(p_least):  # no effect planned
        if interval[0] > 0 or interval[1] < 0:
            return (
                "an effect where none was planned (the 94 % interval excludes 0)",
                "een effect waar geen effect was gepland (het 94%-interval bevat 0 niet)",
            )
        return ("consistent with no effect, as planned", "verenigbaar met geen effect, zoals gepland")
    if p_least >= decisive:
        return (
            f"at least as large as planned (P = {p_least:.2f})",
            f"minstens zo groot als gepland (P = {p_least:.2f})",
        )
    if p_dir <= 1 - decisive:
        return (
            f"no effect in the planned direction (P planned direction = {p_dir:.2f})",
            f"geen effect in de geplande richting (P geplande richting = {p_dir:.2f})",
        )
    if p_least <= 1 - decisive:
        if p_dir >= decisive:
            return (
                f"smaller than planned, but in the planned direction (P at least planned = {p_least:.2f}, "
                f"P planned direction = {p_dir:.2f})",
                f"kleiner dan gepland, maar in de geplande richting (P minstens gepland = {p_least:.2f}, "
                f"P geplande richting = {p_dir:.2f})",
            )
        return (
            f"smaller than planned (P at least planned = {p_least:.2f})",
            f"kleiner dan gepland (P minstens gepland = {p_least:.2f})",
        )
    return (
        f"consistent with the plan, not yet decisive (P at least planned = {p_least:.2f})",
        f"verenigbaar met het plan, nog niet beslissend (P minstens gepland = {p_least:.2f})",
    )


class PhaseEvaluation:
    """The result of a phase evaluation (use :func:`evaluate_phase` or :meth:`PhaseGate.evaluate`).

    Parameters
    ----------
    gate : PhaseGate
        The set-up: fase, measures in force, ends, replacements.
    model : ChainModel
        The fitted chain model (with the estimated effects as free parameters).
    plans : sequence of EffectPlan
        Every effect of the measures in force and how it was treated (:meth:`PhaseGate.plan`).
    random_seed : int, optional
        Seeds the draws from the effect priors and the forecast of the next fase (default 2026).
    min_contraction : float, optional
        Below this contraction the verdict is "cannot tell yet" (default :data:`MIN_CONTRACTION`).
    decisive : float, optional
        A probability at least this large (or at most ``1 - decisive``) is a clear verdict
        (default :data:`DECISIVE`).

    Attributes
    ----------
    gate : PhaseGate
        The set-up: fase, measures in force, ends, replacements.
    model : ChainModel
        The fitted chain model (with the estimated effects as free parameters).
    plans : list of EffectPlan
        Every effect of the measures in force and how it was treated.
    prior_draws : dict of str to numpy.ndarray
        :data:`PRIOR_SAMPLES` draws of each effect's prior (for intervals and probabilities).
    posterior_draws : dict of str to numpy.ndarray
        ``(chain, draw)`` per effect: MCMC draws of the estimated ones, draws of the prior for the
        others (posterior = prior).
    """

    def __init__(
        self,
        gate: PhaseGate,
        model: ChainModel,
        plans: Sequence[EffectPlan],
        *,
        random_seed: int = 2026,
        min_contraction: float = MIN_CONTRACTION,
        decisive: float = DECISIVE,
    ) -> None:
        self.gate = gate
        self.model = model
        self.plans = list(plans)
        self.random_seed = int(random_seed)
        self.min_contraction = float(min_contraction)
        self.decisive = float(decisive)
        post = model.idata["posterior"]
        self._shape = (post.sizes[N.DIM_CHAIN], post.sizes[N.DIM_DRAW])
        n = self._shape[0] * self._shape[1]
        self.prior_draws: dict[str, np.ndarray] = {}
        self.posterior_draws: dict[str, np.ndarray] = {}
        big = _prior_samples([p.effect.prior for p in self.plans], PRIOR_SAMPLES, self.random_seed + 101)
        others = [p for p in self.plans if p.status != ESTIMATED]
        small = _prior_samples([p.effect.prior for p in others], n, self.random_seed + 102)
        same = dict(zip([p.name for p in others], small, strict=True))
        for p, x in zip(self.plans, big, strict=True):
            self.prior_draws[p.name] = x
            if p.status == ESTIMATED:
                self.posterior_draws[p.name] = np.asarray(post[p.variable].values, dtype=float)
            else:  # the likelihood does not depend on it: the posterior is the prior
                self.posterior_draws[p.name] = same[p.name].reshape(self._shape)
        self._table: pd.DataFrame | None = None
        self._outlook: pd.DataFrame | None = None
        self._outlook_draws: xr.Dataset | None = None

    # ------------------------------------------------------------------ properties
    @property
    def fase(self) -> str:
        """The evaluated fase."""
        return self.gate.fase

    @property
    def diagnostics(self):
        """The diagnostics gate's verdict on the fit (:class:`~forecast.model.FitDiagnostics`)."""
        return self.model.diagnostics

    def months_observed_in_phase(self) -> int:
        """Fitted months that lie in the fase (0 when the data end before it).

        Returns
        -------
        int
            Number of the model's fitted months from the fase's start up to (not including) its end.
        """
        m = self.model.fitted_months()
        return int(np.sum((m >= self.gate.phase.start) & (m < self.gate.phase.end)))

    # ------------------------------------------------------------------ the table
    def table(self, all_effects: bool = False) -> pd.DataFrame:
        """One row per effect of the measures evaluated (those in force that act in the fase).

        Parameters
        ----------
        all_effects : bool
            Also the effects of the measures in force that do not act in the fase (earlier ones that
            ended, later ones not yet started); column ``in_fase`` tells them apart.

        Returns
        -------
        pandas.DataFrame
            Columns: ``measure``, ``target``, ``effect`` (``"<measure>.<target>"``), ``in_fase``,
            ``status`` (estimated / no_data / not_on_chain / switch_not_fitted), ``months_with_data``
            (fitted months in which it acts), ``prior_mean``, ``prior_sd``, ``prior_lo94``, ``prior_hi94``,
            ``posterior_mean``, ``posterior_sd``, ``posterior_lo94``, ``posterior_hi94`` (central
            94 % intervals), ``p_at_least_planned`` (and ``prior_p_at_least_planned``, its value under
            the prior), ``p_planned_direction``, ``contraction``, ``verdict`` and ``verdict_nl``.
        """
        if self._table is None:
            self._table = self._full_table()
        t = self._table if all_effects else self._table[self._table["in_fase"]]
        return t.reset_index(drop=True)

    def _full_table(self) -> pd.DataFrame:
        diag = self.model.diagnostics
        failed = diag is not None and not diag.passed
        lo, hi = (1 - INTERVAL) / 2, (1 + INTERVAL) / 2
        rows = []
        for p in self.plans:
            mu, sd = p.effect.prior.mean_sd()
            prior = self.prior_draws[p.name]
            plo, phi = np.quantile(prior, [lo, hi])
            prior_least = _p_at_least(prior, mu)
            if p.status == ESTIMATED:
                x = self.posterior_draws[p.name].reshape(-1)
                pm_, psd = float(x.mean()), float(x.std(ddof=1))
                qlo, qhi = (float(v) for v in np.quantile(x, [lo, hi]))
                contraction = 1.0 - psd**2 / sd**2 if sd > 0 and math.isfinite(sd) else math.nan
                p_least, p_dir = _p_at_least(x, mu), _p_direction(x, mu)
            else:  # exactly the prior
                pm_, psd, qlo, qhi = mu, sd, float(plo), float(phi)
                contraction = 0.0
                p_least, p_dir = prior_least, _p_direction(prior, mu)
            en, nl = _verdict(
                p.status,
                p.months_with_data,
                contraction,
                p_least,
                p_dir,
                (qlo, qhi),
                self.min_contraction,
                self.decisive,
            )
            if p.status == ESTIMATED and failed:
                en += "; the fit failed its diagnostics gate: indicative only"
                nl += "; de fit haalde de diagnostische toets niet: alleen indicatief"
            rows.append(
                {
                    "measure": p.effect.measure,
                    "target": p.effect.target,
                    "effect": p.name,
                    "in_fase": p.in_fase,
                    "status": p.status,
                    "months_with_data": p.months_with_data,
                    "prior_mean": mu,
                    "prior_sd": sd,
                    "prior_lo94": float(plo),
                    "prior_hi94": float(phi),
                    "posterior_mean": pm_,
                    "posterior_sd": psd,
                    "posterior_lo94": qlo,
                    "posterior_hi94": qhi,
                    "prior_p_at_least_planned": prior_least,
                    "p_at_least_planned": p_least,
                    "p_planned_direction": p_dir,
                    "contraction": contraction,
                    "verdict": en,
                    "verdict_nl": nl,
                }
            )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ the next fase
    def _engine(self, effect_draws: Mapping[str, np.ndarray]) -> ScenarioEngine:
        gate = self.gate
        last = self.model.fitted_months()[-1]
        horizon = max(gate.phases.end - pd.Timedelta(days=1), last + pd.DateOffset(months=24))
        horizon = (pd.Period(horizon, "M")).to_timestamp(how="end").normalize()
        return ScenarioEngine(
            self.model,
            gate.measures,
            phases=gate.phases,
            horizon_end=horizon,
            random_seed=self.random_seed,
            effect_draws=effect_draws,
        )

    def outlook_draws(self) -> xr.Dataset:
        """Per-draw statistics of every fase of the forecast under the measures in force in the next fase
        (:attr:`PhaseGate.next_in_force`), with the effects drawn from the prior and from the posterior.

        Both use the same fitted chain and the same random numbers of the future (common random
        numbers): they differ only in the effect draws.

        Returns
        -------
        xarray.Dataset
            :data:`OUTLOOK_STATISTICS`, dims (``effects`` = prior/posterior, chain, draw, fase).
        """
        if self._outlook_draws is not None:
            return self._outlook_draws
        gate = self.gate
        gate.check_outlook(self.model)
        n = self._shape[0] * self._shape[1]
        names = gate.measures.effect_names
        # one draw of every effect per posterior draw from its prior; the estimated effects' posterior
        # draws replace them in the posterior version (the others are the same draws in both)
        prior = gate.measures.sample_prior(n, seed=self.random_seed + 7919)
        posterior = dict(prior)
        for p in self.plans:
            if p.status == ESTIMATED:
                posterior[p.name] = self.posterior_draws[p.name].reshape(-1)
        active = xr.DataArray(
            np.isin(np.array(gate.measures.ids), np.array(gate.next_in_force, dtype=object))[None, :],
            dims=(N.DIM_SCENARIO, N.DIM_MEASURE),
            coords={N.DIM_SCENARIO: ["in_force"], N.DIM_MEASURE: list(gate.measures.ids)},
        )
        parts = []
        for label, draws in (("prior", prior), ("posterior", posterior)):
            engine = self._engine({k: draws[k] for k in names})
            ds = engine.phase_draws(active)[list(OUTLOOK_STATISTICS)].sel({N.DIM_SCENARIO: "in_force"})
            ds = ds.drop_vars([c for c in ds.coords if c not in ds.dims])
            parts.append(ds.expand_dims(effects=[label]))
        out = xr.concat(parts, dim="effects")
        out.attrs.update(
            {
                "next_in_force": json.dumps(list(gate.next_in_force)),
                "random_seed": self.random_seed,
                "forecast_from": f"{self.model.fitted_months()[-1] + pd.offsets.MonthBegin(1):%Y-%m}",
            }
        )
        self._outlook_draws = out
        return out

    def outlook(self) -> pd.DataFrame:
        """The next fase under the measures in force: effects from the prior vs from the posterior.

        Returns
        -------
        pandas.DataFrame
            One row per statistic of :data:`OUTLOOK_STATISTICS` (mean over the next fase's forecast
            months; ``need_mean`` is the mean need in persons), with columns ``prior_mean``,
            ``prior_p10``, ``prior_p90``, ``posterior_mean``, ``posterior_p10``, ``posterior_p90`` and
            ``change`` (``posterior_mean - prior_mean``: the same chain and future, other effect draws).
            ``attrs`` hold the fase, its forecast months and the measures in force.

        Raises
        ------
        PhaseEvaluationError
            When the evaluated fase is the last one, or no month of the next fase is forecast.
        """
        if self._outlook is not None:
            return self._outlook.copy()
        gate = self.gate
        if gate.next_fase is None:
            raise PhaseEvaluationError(f"{gate.fase!r} is the last fase: there is no next fase to forecast")
        ds = self.outlook_draws()
        bounds = json.loads(ds.attrs.get("phases", "{}")) if "phases" in ds.attrs else {}
        x = ds.sel({N.DIM_PHASE: gate.next_fase})
        if not np.isfinite(x["need_mean"].values).any():
            raise PhaseEvaluationError(
                f"no month of the next fase {gate.next_fase!r} is forecast (the data reach beyond it)"
            )
        sample = (N.DIM_CHAIN, N.DIM_DRAW)
        rows = []
        for stat in OUTLOOK_STATISTICS:
            row: dict[str, Any] = {"statistic": stat}
            for label in ("prior", "posterior"):
                v = x[stat].sel(effects=label)
                row[f"{label}_mean"] = float(v.mean(sample))
                row[f"{label}_p10"] = float(v.quantile(0.1, dim=sample))
                row[f"{label}_p90"] = float(v.quantile(0.9, dim=sample))
            row["change"] = row["posterior_mean"] - row["prior_mean"]
            rows.append(row)
        out = pd.DataFrame(rows).set_index("statistic")
        out.attrs.update(
            {
                "fase": gate.next_fase,
                "months": bounds.get(gate.next_fase, []),
                "measures_in_force": list(gate.next_in_force),
            }
        )
        self._outlook = out
        return out.copy()

    # ------------------------------------------------------------------ figure and data
    def figure(self, lang: str = "nl"):
        """Prior vs posterior density of every effect, with the plan (prior mean) and no effect (0).

        Parameters
        ----------
        lang : {"nl", "en"}
            Language of the labels (default Dutch).

        Returns
        -------
        matplotlib.figure.Figure
            One panel per effect of the measures evaluated (up to three per row): the prior density
            (dashed), the posterior as a kernel density (estimated effects only), the plan and 0,
            with the contraction and P(at least planned).

        Raises
        ------
        ValueError
            When ``lang`` is not ``"nl"`` or ``"en"``.
        """
        if lang not in N.LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(N.LANGUAGES)}, got {lang!r}")
        import pymc as pm
        import pytensor
        from matplotlib.figure import Figure
        from scipy.stats import gaussian_kde

        text = {
            "nl": {
                "prior": "prior (plan)",
                "posterior": "posterior (na de fase)",
                "plan": "gepland",
                "zero": "geen effect",
                "x": "effect (log-vermenigvuldiger)",
                "x_places": "effect (plaatsen)",
                "title": f"Fase-evaluatie {self.fase}: effecten van de maatregelen",
                "contraction": "contractie",
                "p": "P(minstens gepland)",
                NO_DATA: "nog geen gegevens: posterior = prior",
                NOT_ON_CHAIN: "niet uit de keten af te leiden: posterior = prior",
                SWITCH_NOT_FITTED: "structurele omslag, niet geschat: posterior = prior",
                "x_switch": "aandeel (0-1)",
            },
            "en": {
                "prior": "prior (plan)",
                "posterior": "posterior (after the phase)",
                "plan": "planned",
                "zero": "no effect",
                "x": "effect (log multiplier)",
                "x_places": "effect (places)",
                "title": f"Phase evaluation {self.fase}: effects of the measures",
                "contraction": "contraction",
                "p": "P(at least planned)",
                NO_DATA: "no data yet: posterior = prior",
                NOT_ON_CHAIN: "not identifiable from the chain: posterior = prior",
                SWITCH_NOT_FITTED: "structural switch, not estimated: posterior = prior",
                "x_switch": "share (0-1)",
            },
        }[lang]
        table = self.table()
        plans = [p for p in self.plans if p.in_fase]
        k = len(plans)
        cols = min(k, 3) or 1
        rows = max(1, math.ceil(k / cols))
        fig = Figure(figsize=(4.2 * cols, 3.0 * rows + 0.6), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).reshape(-1)
        for ax in axes[k:]:
            ax.set_visible(False)
        # the grids, and the exact prior densities in one compiled function
        grids = []
        for p in plans:
            both = np.concatenate([self.prior_draws[p.name], self.posterior_draws[p.name].reshape(-1)])
            lo, hi = np.quantile(both, [0.001, 0.999])
            pad = 0.1 * (hi - lo or 1.0)
            grids.append(np.linspace(lo - pad, hi + pad, 400))
        logps = [
            pm.logp(getattr(pm, p.effect.prior.distribution).dist(**p.effect.prior.params), g)
            for p, g in zip(plans, grids, strict=True)
        ]
        densities = (
            [np.exp(np.asarray(v, dtype=float)) for v in pytensor.function([], logps)()] if plans else []
        )
        for ax, p, grid, dens, (_, row) in zip(axes, plans, grids, densities, table.iterrows(), strict=False):
            post = self.posterior_draws[p.name].reshape(-1)
            ax.plot(grid, dens, color="0.45", ls="--", label=text["prior"])
            if p.status == ESTIMATED and np.std(post) > 0:
                kde = gaussian_kde(post)(grid)
                ax.fill_between(grid, kde, color="C0", alpha=0.35, label=text["posterior"])
            mu = float(row["prior_mean"])
            ax.axvline(mu, color="C3", lw=1, label=text["plan"])
            if p.effect.kind != N.EFFECT_SWITCH:  # a share of 0 is no "no effect"
                ax.axvline(0.0, color="k", lw=0.6, ls=":", label=text["zero"])
            ax.set_title(f"{p.effect.measure}\n{p.effect.target}", fontsize=9)
            xlabel = {N.EFFECT_PLACES: text["x_places"], N.EFFECT_SWITCH: text["x_switch"]}
            ax.set_xlabel(xlabel.get(p.effect.kind, text["x"]), fontsize=8)
            ax.set_yticks([])
            p_least = row["p_at_least_planned"]
            note = f"{text['contraction']} {row['contraction']:.0%}"
            if math.isfinite(p_least):
                note += f"\n{text['p']} {p_least:.2f}"
            if p.status != ESTIMATED:
                note += f"\n{text[p.status]}"
            ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", fontsize=7)
        axes[0].legend(fontsize=7, loc="upper right")
        fig.suptitle(text["title"], fontsize=11)
        return fig

    def to_dataset(self, include_outlook: bool = True) -> xr.Dataset:
        """The evaluation as an xarray Dataset.

        Holds the table's columns on the ``effect`` dimension, the posterior draws
        (``posterior``: effect, chain, draw) and, with ``include_outlook``, the next fase's
        outlook statistics (``outlook_<statistic>``: effects = prior/posterior, chain, draw, fase).
        ``attrs``: fase, its dates, the measures in force, ends and replacements, the fitted window,
        data and config hashes, the fit's diagnostics verdict and seed.

        Parameters
        ----------
        include_outlook : bool, optional
            Add the outlook statistics (default ``True``; skipped when the fase is the last one). This
            runs the scenario engine twice unless :meth:`outlook_draws` already did.

        Returns
        -------
        xarray.Dataset
            The table's columns, ``posterior`` and the optional ``outlook_<statistic>`` variables,
            with :meth:`provenance` as ``attrs``.
        """
        t = self.table(all_effects=True).set_index("effect")
        ds = xr.Dataset({c: (DIM_EFFECT, t[c].to_numpy()) for c in t.columns}, coords={DIM_EFFECT: t.index})
        post = self.model.idata["posterior"]
        ds["posterior"] = (
            (DIM_EFFECT, N.DIM_CHAIN, N.DIM_DRAW),
            np.stack([self.posterior_draws[p.name] for p in self.plans])
            if self.plans
            else np.zeros((0, *self._shape)),
        )
        ds = ds.assign_coords({N.DIM_CHAIN: post[N.DIM_CHAIN].values, N.DIM_DRAW: post[N.DIM_DRAW].values})
        if include_outlook and self.gate.next_fase is not None:
            o = self.outlook_draws()
            for stat in OUTLOOK_STATISTICS:
                ds[f"outlook_{stat}"] = o[stat].drop_vars([N.DIM_CHAIN, N.DIM_DRAW])
        ds.attrs.update(self.provenance())
        return ds

    def provenance(self) -> dict[str, Any]:
        """What the evaluation rests on (strings and numbers, for attrs and reports).

        Returns
        -------
        dict of str to Any
            The fase, its start and end (exclusive), the next fase, the measures in force, evaluated
            and in force next (JSON lists), ends and replacements (JSON), the fitted window, the months
            observed in the fase, data and config hashes, the measures file, whether the fit passed its
            diagnostics (0/1), the seed and the verdict thresholds.
        """
        gate, model = self.gate, self.model
        m = model.fitted_months()
        diag = model.diagnostics
        return {
            "fase": gate.fase,
            "fase_start": f"{gate.phase.start:%Y-%m-%d}",
            "fase_end": f"{gate.phase.end:%Y-%m-%d}",
            "next_fase": gate.next_fase or "",
            "measures_in_force": json.dumps(list(gate.in_force)),
            "measures_evaluated": json.dumps(list(gate.evaluated)),
            "next_in_force": json.dumps(list(gate.next_in_force)),
            "ended": json.dumps({k: f"{v:%Y-%m}" for k, v in gate.ended.items()}),
            "replaces": json.dumps({k: list(v) for k, v in gate.replaces.items()}),
            "fitted_window": f"{m[0]:%Y-%m}..{m[-1]:%Y-%m}",
            "months_observed_in_fase": self.months_observed_in_phase(),
            "data_hash": model.history.data_hash,
            "model_config_hash": model.config_hash,
            "measures_file": gate.measures.file,
            "diagnostics_passed": int(bool(diag and diag.passed)),
            "random_seed": self.random_seed,
            "min_contraction": self.min_contraction,
            "decisive": self.decisive,
        }

    def __repr__(self) -> str:
        t = self.table()
        lines = [
            f"PhaseEvaluation(fase {self.fase!r}, {self.months_observed_in_phase()} fitted month(s) in it, "
            f"window {self.provenance()['fitted_window']})"
        ]
        for _, r in t.iterrows():
            lines.append(f"  {r['effect']}: {r['verdict']}")
        return "\n".join(lines)
