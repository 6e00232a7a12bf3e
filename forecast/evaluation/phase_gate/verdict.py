"""The plain verdict on one effect, as a code: what the data say compared with the plan.

:func:`verdict_code` turns an effect's status, its fitted months with data, the contraction and the
posterior probabilities (:func:`p_at_least`, :func:`p_direction`) into one of the codes of
:data:`VERDICTS`. The codes are data; the sentences in Dutch and English that say them are written
by :mod:`forecast.reports.phase_gate`.
"""

from __future__ import annotations

import math

import numpy as np

from forecast.evaluation.phase_gate.plan import NO_DATA, NOT_ON_CHAIN, SWITCH_NOT_FITTED

#: A structural switch, which the refit cannot estimate: posterior = prior (the sentence adds, when
#: it acts in fitted months, that the chain's housing parameters take up its effect there).
VERDICT_SWITCH_NOT_FITTED = SWITCH_NOT_FITTED
#: A capacity effect, which acts on places, not on the chain: posterior = prior.
VERDICT_NOT_ON_CHAIN = NOT_ON_CHAIN
#: The measure acts in no observed month: posterior = prior.
VERDICT_NO_DATA = NO_DATA
#: The contraction is below the threshold: the data cannot tell the posterior from the prior yet.
VERDICT_CANNOT_TELL = "cannot_tell"
#: No effect was planned, and the 94 % interval excludes 0.
VERDICT_UNPLANNED_EFFECT = "unplanned_effect"
#: No effect was planned, and the data agree.
VERDICT_NO_EFFECT_AS_PLANNED = "no_effect_as_planned"
#: P(at least as large as planned) is decisive.
VERDICT_AT_LEAST_PLANNED = "at_least_planned"
#: P(planned direction) is decisively small.
VERDICT_WRONG_DIRECTION = "wrong_direction"
#: Decisively smaller than planned, but decisively in the planned direction.
VERDICT_SMALLER_SAME_DIRECTION = "smaller_same_direction"
#: Decisively smaller than planned.
VERDICT_SMALLER = "smaller"
#: Consistent with the plan, not yet decisive.
VERDICT_CONSISTENT = "consistent"
#: Every verdict code, in the order the rules try them.
VERDICTS: tuple[str, ...] = (
    VERDICT_SWITCH_NOT_FITTED,
    VERDICT_NOT_ON_CHAIN,
    VERDICT_NO_DATA,
    VERDICT_CANNOT_TELL,
    VERDICT_UNPLANNED_EFFECT,
    VERDICT_NO_EFFECT_AS_PLANNED,
    VERDICT_AT_LEAST_PLANNED,
    VERDICT_WRONG_DIRECTION,
    VERDICT_SMALLER_SAME_DIRECTION,
    VERDICT_SMALLER,
    VERDICT_CONSISTENT,
)


def p_at_least(x: np.ndarray, mu: float) -> float:
    """P(effect at least as large as planned), in the direction of the plan.

    Parameters
    ----------
    x : numpy.ndarray
        Draws of the effect.
    mu : float
        The plan (the prior mean).

    Returns
    -------
    float
        The share of draws at or below ``mu`` for ``mu < 0``, at or above it for ``mu > 0``; NaN
        for ``mu = 0``.
    """
    if mu < 0:
        return float(np.mean(x <= mu))
    if mu > 0:
        return float(np.mean(x >= mu))
    return math.nan


def p_direction(x: np.ndarray, mu: float) -> float:
    """P(effect has the planned sign).

    Parameters
    ----------
    x : numpy.ndarray
        Draws of the effect.
    mu : float
        The plan (the prior mean).

    Returns
    -------
    float
        The share of draws below 0 for ``mu < 0``, above 0 for ``mu > 0``; NaN for ``mu = 0``.
    """
    if mu < 0:
        return float(np.mean(x < 0))
    if mu > 0:
        return float(np.mean(x > 0))
    return math.nan


def verdict_code(
    status: str,
    contraction: float,
    p_least: float,
    p_dir: float,
    interval: tuple[float, float],
    min_contraction: float,
    decisive: float,
) -> str:
    """The plain verdict on one effect, as a code of :data:`VERDICTS`.

    Parameters
    ----------
    status : str
        The effect's status in the refit (:class:`~forecast.evaluation.phase_gate.EffectPlan`).
    contraction : float
        ``1 - Var_posterior / Var_prior``.
    p_least : float
        P(at least as large as planned) (NaN when no effect was planned).
    p_dir : float
        P(planned direction).
    interval : tuple of float
        The posterior's central 94 % interval.
    min_contraction : float
        Below this contraction the data cannot tell yet.
    decisive : float
        A probability at least this large (or at most ``1 - decisive``) is a clear verdict.

    Returns
    -------
    str
        The first code whose rule holds: the status's own code for an effect that is not
        estimated, then "cannot tell", then (no effect planned) an effect where none was planned or
        none as planned, then at least as planned, no effect in the planned direction, smaller
        than planned (in the planned direction or not), else consistent with the plan.
    """
    if status == SWITCH_NOT_FITTED:
        return VERDICT_SWITCH_NOT_FITTED
    if status == NOT_ON_CHAIN:
        return VERDICT_NOT_ON_CHAIN
    if status == NO_DATA:
        return VERDICT_NO_DATA
    if not contraction >= min_contraction:
        return VERDICT_CANNOT_TELL
    if math.isnan(p_least):  # no effect planned
        if interval[0] > 0 or interval[1] < 0:
            return VERDICT_UNPLANNED_EFFECT
        return VERDICT_NO_EFFECT_AS_PLANNED
    if p_least >= decisive:
        return VERDICT_AT_LEAST_PLANNED
    if p_dir <= 1 - decisive:
        return VERDICT_WRONG_DIRECTION
    if p_least <= 1 - decisive:
        if p_dir >= decisive:
            return VERDICT_SMALLER_SAME_DIRECTION
        return VERDICT_SMALLER
    return VERDICT_CONSISTENT
