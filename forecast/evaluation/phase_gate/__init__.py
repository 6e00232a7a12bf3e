"""Phase-gate evaluation: what did the measures do, given what was observed during a phase?

The policy note advises to evaluate every phase before the next step (advice III; the phases are
described in docs/domain.md). :func:`evaluate_phase` does that for the chain model:

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

Modules
-------
:mod:`~forecast.evaluation.phase_gate.plan` (constants, statuses, :class:`EffectPlan`),
:mod:`~forecast.evaluation.phase_gate.gate` (:class:`PhaseGate`, :func:`evaluate_phase`),
:mod:`~forecast.evaluation.phase_gate.verdict` (the verdict codes) and
:mod:`~forecast.evaluation.phase_gate.result` (:class:`PhaseEvaluation`); every public name is
importable from this package. The figure and the verdicts in words (Dutch and English) are written
by :mod:`forecast.reports.phase_gate`.

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

from forecast.evaluation.phase_gate.gate import PhaseGate, evaluate_phase
from forecast.evaluation.phase_gate.plan import (
    DECISIVE,
    DIM_EFFECT,
    ESTIMATED,
    INTERVAL,
    MIN_CONTRACTION,
    NO_DATA,
    NOT_ON_CHAIN,
    OUTLOOK_STATISTICS,
    PRIOR_SAMPLES,
    SWITCH_NOT_FITTED,
    EffectPlan,
    PhaseEvaluationError,
)
from forecast.evaluation.phase_gate.result import PhaseEvaluation
from forecast.evaluation.phase_gate.verdict import VERDICTS, p_at_least, p_direction, verdict_code

__all__ = [
    "DECISIVE",
    "DIM_EFFECT",
    "ESTIMATED",
    "INTERVAL",
    "MIN_CONTRACTION",
    "NOT_ON_CHAIN",
    "NO_DATA",
    "OUTLOOK_STATISTICS",
    "PRIOR_SAMPLES",
    "SWITCH_NOT_FITTED",
    "VERDICTS",
    "EffectPlan",
    "PhaseEvaluation",
    "PhaseEvaluationError",
    "PhaseGate",
    "evaluate_phase",
    "p_at_least",
    "p_direction",
    "verdict_code",
]
