"""The vocabulary of a phase evaluation: its constants, its error and the plan of one effect.

The statuses an effect can have in the refit (:data:`ESTIMATED`, :data:`NO_DATA`,
:data:`NOT_ON_CHAIN`, :data:`SWITCH_NOT_FITTED`), the verdict thresholds (:data:`MIN_CONTRACTION`,
:data:`DECISIVE`), :class:`PhaseEvaluationError` and :class:`EffectPlan`, shared by the gate
(:mod:`forecast.evaluation.phase_gate.gate`), the verdicts
(:mod:`forecast.evaluation.phase_gate.verdict`) and the result
(:mod:`forecast.evaluation.phase_gate.result`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.scenarios.measures import Effect

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
