"""The set-up of a phase evaluation and the one-call evaluation.

:class:`PhaseGate` says which fase is evaluated, which measures were in force and how each of their
effects acts in the fitted months (:meth:`PhaseGate.plan`); it builds the refit's model with the
effects as free parameters (:meth:`PhaseGate.model`) and evaluates a fitted one
(:meth:`PhaseGate.evaluate`). :func:`evaluate_phase` does all of it in one call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.data import History, load_history
from forecast.evaluation.phase_gate.plan import (
    DECISIVE,
    ESTIMATED,
    MIN_CONTRACTION,
    NO_DATA,
    NOT_ON_CHAIN,
    SWITCH_NOT_FITTED,
    EffectPlan,
    PhaseEvaluationError,
)
from forecast.evaluation.phase_gate.result import PhaseEvaluation
from forecast.model import ChainModel, ModelSettings
from forecast.model.build import EVENT_EFFECTS, ModelEffect, effect_variable
from forecast.model.diagnostics import Thresholds
from forecast.model.sampler import SamplerSettings
from forecast.priors import PriorConfig
from forecast.scenarios.measures import Effect, MeasureSet, load_measures
from forecast.scenarios.phases import Phase, PhaseSchedule


def _month_start(value: Any) -> pd.Timestamp:
    return pd.Timestamp(value).to_period("M").to_timestamp()


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
        random_seed: int = N.DEFAULT_SEED,
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
            Seeds the prior draws and the forecast of the next fase (default
            :data:`forecast.names.DEFAULT_SEED`).
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
    sampling: SamplerSettings | None = None,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    random_seed: int | None = None,
    sampler: str | None = None,
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
    sampling : SamplerSettings, optional
        How the refit samples (:meth:`forecast.model.ChainModel.fit`; default
        :class:`~forecast.model.sampler.SamplerSettings`: nutpie, 4 chains of 300 tuning steps and
        1000 draws, seed :data:`forecast.names.DEFAULT_SEED`). Its seed also seeds the prior draws
        and the forecast of the next fase.
    draws, tune, chains, random_seed : int, optional
        Override the field of ``sampling`` of that name.
    sampler : {"nutpie", "pymc"}, optional
        Override the refit's sampler.
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
    run = (sampling or SamplerSettings()).override(
        draws=draws, tune=tune, chains=chains, random_seed=random_seed, sampler=sampler
    )
    history = history if history is not None else load_history()
    fit_model = gate.model(history, priors, settings)
    if fit_model.effects is None and model is not None:
        fit_model = _checked_reuse(model, fit_model, history)
    else:
        fit_model.fit(settings=run, thresholds=thresholds)
    return gate.evaluate(
        fit_model, random_seed=run.random_seed, min_contraction=min_contraction, decisive=decisive
    )


def _checked_reuse(model: ChainModel, refit: ChainModel, history: History) -> ChainModel:
    """The fitted ``model`` given to reuse in place of the ``refit`` without effects, once it is checked
    to be fitted, with the refit's priors, settings and no effects, on the same ``history``."""
    if model.idata is None:
        raise PhaseEvaluationError("the model given to reuse is not fitted")
    if model.effects is not None or model.config_hash != refit.config_hash:
        raise PhaseEvaluationError("the model given to reuse has other priors, settings or effects")
    if model.history.data_hash != history.data_hash:
        raise PhaseEvaluationError("the model given to reuse was fitted to other data")
    return model
