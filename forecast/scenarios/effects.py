"""What a policy measure is and how its effects act: effects, measures, bundles and ramps.

A measure of ``priors/policy/measures.toml`` (:mod:`forecast.scenarios.measures` reads it) has one or
more *effects*, each on one target of :data:`forecast.names.EFFECT_TARGETS` with an effect prior.

How an effect acts (the multiplier semantics)
---------------------------------------------
For a scenario (a set of active measures) and one draw of every effect, the
effect on target ``T`` in month ``t`` is::

    x_T(t) = sum over active measures m, effects e of m on T:  ramp_e(t) * draw_e

* ``kind = "log_multiplier"`` (flows and rates): the model's flow or rate is
  multiplied by ``exp(x_T(t))``; 1 is no effect and effects on one target
  multiply.
* ``kind = "places"`` (``regular_capacity``): ``x_T(t)`` places are added to the
  capacity; 0 is no effect and effects add. Capacity acts on places and cost,
  never on need.
* ``kind = "places"`` with ``level = true``: the draw ``L`` is a *level* of
  regular places, not places added. The capacity ``C_t`` (regular places before
  measures) is raised towards it: ``C_t + ramp_e(t) * max(0, L - C_t)``, so that
  at full ramp it is ``max(C_t, L)``. A place already in ``C_t`` is never counted
  twice: with ``C_t >= L`` the effect adds nothing. Of several level effects the
  largest increment counts; places effects without ``level`` add on top.
* ``kind = "switch"`` (``housing_obligation``): a structural switch, not a multiplier. The
  path is the switch itself, ``s_T(t) = active x ramp_e(t)`` in [0, 1] (0: the chain as it
  is; 1: fully switched), whatever the draw; the draw is a share in [0, 1] that sets the
  switched chain. For ``housing_obligation`` the switch abolishes the taakstelling: where
  it is 1 the taakstelling sets no obligation and no new achterstand accumulates (the
  achterstand already built up still counts until housing has cleared it), and
  municipalities keep the draw, a *voluntary share*, of the housing the taakstelling drove
  (the model's ``obligation_off`` and ``voluntary_share``,
  :class:`forecast.model.dynamics.ChainParams`). No draw means "no effect": a switch that
  does not act is a measure that is not active. A target takes at most one switch effect
  (of all measures together), and a stress scenario none.

``ramp_e(t)`` is 0 before the start month and rises linearly to 1: it is
``min(1, (k + 1) / R)`` in the ``k``-th month after the start (``k = 0`` is the
start month) for a ramp of ``R`` months, and 1 from the start for ``R = 0``. A
measure with an ``end`` month has no effect from that month on (used by stress
scenarios whose shock is temporary). :meth:`MeasureSet.effect_paths` computes
every target's path at once, for any number of draws and scenarios;
:meth:`MeasureSet.switch` gives the one switch effect of a switch target, whose draws are
the share.

Stress scenarios
----------------
``[[stress]]`` tables of the measures file have the fields of a measure (and an
optional ``end``) but are no policy: they are not in the grid of ``2**k``
combinations, not in any bundle, and leave the default numbers unchanged.
:class:`~forecast.scenarios.ScenarioEngine` applies the ones asked for
(``stress=("einde_tijdelijke_bescherming",)``) to every scenario, with their own
effect draws (:attr:`MeasureSet.stress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.priors.config import Prior
from forecast.scenarios.files import month_index

#: What the draw of a switch effect is, per switch target (:data:`forecast.names.SWITCH_TARGETS`): its
#: prior must lie in [0, 1] (:func:`forecast.priors.config.check_domain`); the text is quoted in errors.
SWITCH_SHARES: dict[str, str] = {
    N.TARGET_HOUSING_OBLIGATION: (
        "the voluntary share of the taakstelling-driven housing that municipalities keep without the "
        "obligation"
    ),
}


@dataclass(frozen=True)
class Effect:
    """One effect of a measure on one target.

    Parameters
    ----------
    measure : str
        Id of the measure it belongs to.
    target : str
        A key of :data:`forecast.names.EFFECT_TARGETS`.
    kind : str
        ``"log_multiplier"``, ``"places"`` or ``"switch"`` (fixed by the target).
    prior : Prior
        The effect prior; ``prior.name`` is :attr:`name`. For a ``"switch"`` its support lies in
        [0, 1]: the draw is a share (:data:`SWITCH_SHARES`), not a size of effect.
    ramp_months : int
        Months to full effect (the measure's, unless the effect overrides it).
    side_effect : bool
        True for an unintended effect (e.g. extra procedures).
    level : bool
        Only for ``kind = "places"``: True when a draw is the level the regular capacity is raised to
        (``max(capacity, level)`` at full ramp), False when it is a number of places added.
    """

    measure: str
    target: str
    kind: str
    prior: Prior
    ramp_months: int
    side_effect: bool = False
    level: bool = False

    @property
    def name(self) -> str:
        """``"<measure>.<target>"``: the key of this effect's draws (and of the model variable)."""
        return effect_name(self.measure, self.target)


def effect_name(measure: str, target: str) -> str:
    """The name of a measure's effect on a target: ``"<measure>.<target>"``.

    Parameters
    ----------
    measure : str
        The measure id, e.g. ``"tweestatusstelsel"``.
    target : str
        A key of :data:`forecast.names.EFFECT_TARGETS`.

    Returns
    -------
    str
        ``measure`` and ``target`` joined by a dot: the key of the effect's draws and prior.
    """
    return f"{measure}.{target}"


def ramp(months: Any, start: Any, ramp_months: int, end: Any = None) -> np.ndarray:
    """Linear ramp from 0 to 1 over a month index (see the module docstring).

    Parameters
    ----------
    months : month index
        Any month index :func:`forecast.scenarios.files.month_index` reads.
    start : date-like
        The first month with any effect.
    ramp_months : int
        Months until the full effect (0: full from the start month).
    end : date-like, optional
        The first month without effect (the ramp is 0 from then on); default None: no end.

    Returns
    -------
    numpy.ndarray
        Shape ``(month,)``, values in [0, 1].

    Examples
    --------
    >>> ramp(["2026-05-01", "2026-06-01", "2026-07-01", "2026-08-01", "2026-09-01"], "2026-06-01", 2).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0]
    """
    m = month_index(months)
    s = pd.Timestamp(start)
    k = (m.year - s.year) * 12 + (m.month - s.month)
    k = np.asarray(k, dtype=float)
    if ramp_months <= 0:
        out = (k >= 0).astype(float)
    else:
        out = np.where(k >= 0, np.minimum(1.0, (k + 1) / ramp_months), 0.0)
    if end is not None:
        out = np.where(np.asarray(m >= pd.Timestamp(end)), 0.0, out)
    return out


@dataclass(frozen=True)
class Measure:
    """One policy measure (a scenario switch).

    Parameters
    ----------
    id : str
        snake_case identifier (a coordinate label).
    name_nl : str
        The Dutch name in the note or bill.
    name_en : str
        Its English rendering (English report pages).
    description : str
        What it is, in English.
    phase : str
        The phase in which it starts.
    start : pandas.Timestamp
        The first month with any effect.
    ramp_months : int
        Months until the full effect.
    source : str
        Where the measure is described.
    effects : tuple of Effect
        Its effects, side effects included, at most one per target.
    end : pandas.Timestamp or None
        The first month without effect, or None (the effect lasts to the horizon).
    """

    id: str
    name_nl: str
    name_en: str
    description: str
    phase: str
    start: pd.Timestamp
    ramp_months: int
    source: str
    effects: tuple[Effect, ...]
    end: pd.Timestamp | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        """The targets the measure acts on."""
        return tuple(e.target for e in self.effects)

    def ramp(self, months: Any, effect: Effect | None = None) -> np.ndarray:
        """The measure's ramp (or one effect's, which may have its own ramp length) over ``months``.

        Parameters
        ----------
        months : Any
            Any month index :func:`forecast.scenarios.files.month_index` reads.
        effect : Effect, optional
            Use this effect's ``ramp_months`` instead of the measure's; the start month is
            always the measure's.

        Returns
        -------
        numpy.ndarray
            Shape ``(month,)``, values in [0, 1]: 0 before :attr:`start`, rising linearly to 1
            (see :func:`ramp`), and 0 again from :attr:`end` on when the measure has one.
        """
        return ramp(
            months, self.start, effect.ramp_months if effect is not None else self.ramp_months, self.end
        )


@dataclass(frozen=True)
class Bundle:
    """A named scenario: a set of measures.

    Parameters
    ----------
    id : str
        snake_case identifier, e.g. ``"kabinetsbeleid"``.
    name_nl : str
        The Dutch name.
    name_en : str
        Its English rendering (English report pages).
    description : str
        What it is, in English.
    measures : tuple of str
        The measure ids that are active, in the order of the measures file.
    """

    id: str
    name_nl: str
    name_en: str
    description: str
    measures: tuple[str, ...]
