"""Evaluation layer: what did the measures do, given what was observed? (the phase gate).

* :mod:`forecast.evaluation.backtest`: rolling-origin backtests on the real history
  (``from forecast.evaluation.backtest import backtest``; the module keeps the name), scored (CRPS, coverage,
  PIT, upper-tail loss; :mod:`forecast.evaluation.scores`) against baselines
  (:mod:`forecast.evaluation.baselines`).
* :mod:`forecast.evaluation.regression`: the fixed-seed regression check of CI.
* :mod:`forecast.evaluation.sbc`: simulation-based calibration on a reduced configuration.
* :mod:`forecast.evaluation.phase_gate`: refit the chain with the measures in force as free effects
  and report, per effect, prior vs posterior, the probability that it is at least as large as
  planned, the contraction and a plain verdict, and how the next fase's forecast changes
  (:func:`evaluate_phase`, :class:`PhaseEvaluation`).
"""

from forecast.evaluation.backtest import (
    METHODS,
    SCORED_SERIES,
    BacktestResult,
    BacktestSettings,
    as_origins,
    default_origins,
)
from forecast.evaluation.baselines import BASELINES
from forecast.evaluation.phase_gate import (
    DECISIVE,
    MIN_CONTRACTION,
    EffectPlan,
    PhaseEvaluation,
    PhaseEvaluationError,
    PhaseGate,
    evaluate_phase,
)
from forecast.evaluation.scores import crps_ensemble, interval_coverage, pinball_loss, pit_values

__all__ = [
    "BASELINES",
    "DECISIVE",
    "METHODS",
    "MIN_CONTRACTION",
    "SCORED_SERIES",
    "BacktestResult",
    "BacktestSettings",
    "EffectPlan",
    "PhaseEvaluation",
    "PhaseEvaluationError",
    "PhaseGate",
    "as_origins",
    "crps_ensemble",
    "default_origins",
    "evaluate_phase",
    "interval_coverage",
    "pinball_loss",
    "pit_values",
]
