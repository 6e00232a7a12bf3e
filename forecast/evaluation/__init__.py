"""Evaluation layer: what did the measures do, given what was observed? (the phase gate).

* :mod:`forecast.evaluation.phase_gate`: refit the chain with the measures in force as free effects
  and report, per effect, prior vs posterior, the probability that it is at least as large as
  planned, the contraction and a plain verdict, and how the next fase's forecast changes
  (:func:`evaluate_phase`, :class:`PhaseEvaluation`).
"""

from forecast.evaluation.phase_gate import (
    DECISIVE,
    MIN_CONTRACTION,
    EffectPlan,
    PhaseEvaluation,
    PhaseEvaluationError,
    PhaseGate,
    evaluate_phase,
)

__all__ = [
    "DECISIVE",
    "MIN_CONTRACTION",
    "EffectPlan",
    "PhaseEvaluation",
    "PhaseEvaluationError",
    "PhaseGate",
    "evaluate_phase",
]
