"""The effect draws of the scenario engine and their summed terms per target, for chunks of draws.

One draw of every measure effect per posterior draw (from its prior, or given, e.g. the posterior of
a phase evaluation) and, for the stress scenarios asked for, one draw of each of their effects from
a random stream of their own. For a chunk of draws and the active measures of the scenarios (a
hypercube of ``2**k`` combinations, one axis of length 2 per measure, or rows), :meth:`EffectTerms.sums`
gives each target's summed term ``sum_e a_{s,e} r_{e,t} theta_{e,i}`` at its compact broadcast shape
(only the axes of the measures that act on it), the structural switch's arguments, and the places
raised by ``level`` effects (see :mod:`forecast.scenarios.effects` for the semantics).

Stress scenarios
----------------
``ScenarioEngine(model, stress=("einde_tijdelijke_bescherming",))`` applies the named stress entries
of the measures file (``[[stress]]``, e.g. an extra inflow when the temporary protection of displaced
Ukrainians ends) to *every* scenario, with their own effect draws from their priors (a separate
random stream). The grid, the bundles and the default numbers (no stress) are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecast import names as N
from forecast.scenarios.inputs import ScenarioError
from forecast.scenarios.measures import Measure, MeasureSet

#: For each switch target (:data:`forecast.names.SWITCH_TARGETS`), the keyword arguments of
#: :meth:`forecast.model.forward.Forward.simulate` that take its switch path and its share.
SWITCH_ARGUMENTS: dict[str, tuple[str, str]] = {
    N.TARGET_HOUSING_OBLIGATION: ("obligation_off", "voluntary_share"),
}


class EffectTerms:
    """The effect draws of the measures (and stress entries) and their summed terms per target.

    Parameters
    ----------
    measures : MeasureSet
        The measures of the scenarios.
    stress : sequence of Measure
        Stress entries applied to every scenario (:attr:`MeasureSet.stress` values); may be empty.
    months : pandas.DatetimeIndex
        The ``H`` forecast months.
    capacity : numpy.ndarray
        Shape ``(H,)``: regular places before measures (a ``level`` effect raises them).
    n : int
        Number of posterior draws (flattened).
    random_seed : int
        The engine's seed: the effect draws use ``random_seed + 7919``, the stress draws
        ``random_seed + 104729`` (streams independent of the forward draws and of each other).
    effect_draws : mapping of effect name to array, optional
        ``n`` values per effect of ``measures`` (any shape of ``n`` elements); a switch effect's
        values are shares in [0, 1]. Default: one draw from each effect's prior per posterior draw.
    index : numpy.ndarray, optional
        The posterior draw of each forecast draw (:attr:`Forward.index
        <forecast.model.forward.Forward.index>` of a conditioned forecast): given effect draws are
        taken with it. Default: draw ``i`` is posterior draw ``i``.

    Attributes
    ----------
    effect_draws : dict of str to numpy.ndarray
        ``(n,)`` draws per effect name.
    stress_draws : dict of str to numpy.ndarray
        ``(n,)`` draws per stress effect name (empty without stress).
    description : str
        Where the effect draws come from, for provenance.
    ramps : numpy.ndarray
        ``(effect, H)``: each effect's ramp over the months.
    stress_terms : dict of str to numpy.ndarray
        ``(n, H)`` summed stress term per target.
    columns : dict of str to int
        Each measure id's position in the activity rows.

    Raises
    ------
    ScenarioError
        For given effect draws that lack an effect, have the wrong size, are not finite or (a switch
        effect) lie outside [0, 1]; or a stress effect that is a level of places or a switch.
    """

    def __init__(
        self,
        measures: MeasureSet,
        stress: Sequence[Measure],
        months: pd.DatetimeIndex,
        capacity: np.ndarray,
        n: int,
        random_seed: int,
        effect_draws: Mapping[str, Any] | None = None,
        index: np.ndarray | None = None,
    ) -> None:
        self._measures = measures
        self._capacity = capacity
        self._n_months = len(months)
        # one draw of every effect per posterior draw, from the effect priors (seed offset from the
        # forward draws so that the two streams are independent)
        if effect_draws is None:
            self.effect_draws = measures.sample_prior(n, seed=random_seed + 7919)
            self.description = "one draw from each effect prior per posterior draw"
        else:
            missing = [e for e in measures.effect_names if e not in effect_draws]
            if missing:
                raise ScenarioError(f"effect_draws lacks {missing}")
            self.effect_draws = {}
            for effect in measures.effects:
                e = effect.name
                v = np.asarray(effect_draws[e], dtype=float).reshape(-1)
                if v.shape != (n,) or not np.all(np.isfinite(v)):
                    raise ScenarioError(
                        f"effect_draws[{e!r}] must hold {n} finite values (one per posterior draw)"
                    )
                if effect.kind == N.EFFECT_SWITCH and not np.all((v >= 0) & (v <= 1)):
                    raise ScenarioError(
                        f"effect_draws[{e!r}] are the shares of a switch effect: every value must lie in "
                        f"[0, 1], got {v.min():g} to {v.max():g}"
                    )
                self.effect_draws[e] = v if index is None else v[index]
            self.description = "given effect draws"
        self.ramps = measures.ramps(months)  # (effect, H)
        # stress scenarios: one draw of each of their effects per posterior draw (own seed offset, so that
        # the measures' draws and the default numbers do not change), as terms (draw, H) per target
        self.stress_draws: dict[str, np.ndarray] = {}
        self.stress_terms: dict[str, np.ndarray] = {}
        if stress:
            stress_set = MeasureSet(tuple(stress), phases=measures.phases, file=measures.file)
            self.stress_draws = stress_set.sample_prior(n, seed=random_seed + 104729)
            for e, r in zip(stress_set.effects, stress_set.ramps(months), strict=True):
                if e.level or e.kind == N.EFFECT_SWITCH:
                    raise ScenarioError(
                        f"stress effect {e.name}: a level of places or a switch is not supported"
                    )
                term = self.stress_draws[e.name][:, None] * r[None, :]
                self.stress_terms[e.target] = self.stress_terms.get(e.target, 0.0) + term
        self.columns = {mid: j for j, mid in enumerate(measures.ids)}

    def activity(self, active: np.ndarray | None) -> tuple[list[np.ndarray], tuple[int, ...]]:
        """Per-measure activity arrays broadcastable to ``(1, *S, 1)``: a hypercube or rows.

        Parameters
        ----------
        active : numpy.ndarray or None
            Boolean ``(S, measure)`` rows of active measures; None: the hypercube of every combination.

        Returns
        -------
        axes : list of numpy.ndarray
            One 0/1 array per measure, in measure order: for the hypercube measure ``j`` varies along
            scenario axis ``k - 1 - j`` (a C-order flattening gives scenario index
            ``sum_j a_j 2**j``, the order of :func:`~forecast.scenarios.scenario_grid`); for rows
            each has shape ``(1, S, 1)``.
        shape : tuple of int
            The scenario axes: ``(2,) * k`` or ``(S,)``.
        """
        k = len(self._measures)
        if active is None:
            shape = (2,) * k
            # measure j on axis k-1-j: a C-order flattening gives index sum_j a_j 2**j (scenario_grid's order)
            axes = [
                np.array([0.0, 1.0]).reshape((1, *[2 if i == k - 1 - j else 1 for i in range(k)], 1))
                for j in range(k)
            ]
            return axes, shape
        S = active.shape[0]
        return [active[:, j].astype(float).reshape(1, S, 1) for j in range(k)], (S,)

    def sums(self, draws: slice, active: np.ndarray | None) -> tuple[dict, dict, Any, int]:
        """The summed effect terms per target for a chunk of draws under the given scenarios.

        Parameters
        ----------
        draws : slice
            Of the flattened draws.
        active : numpy.ndarray or None
            As in :meth:`activity`.

        Returns
        -------
        terms : dict of str to numpy.ndarray
            Per target (not the switch targets), the summed term ``ramp x activity x draw`` of its
            effects, stress included, at its compact shape ``(m, *S, H)`` (singleton axes for the
            measures that do not act on it): the log multiplier of a flow or rate, or places added.
        switch : dict of str to numpy.ndarray
            The keyword arguments of :meth:`forecast.model.forward.Forward.simulate` for a switch
            effect that is on somewhere (:data:`SWITCH_ARGUMENTS`): its path ``(1, *S, H)`` and its
            draws ``(m, 1, ..., 1)``; empty when no switch acts.
        raised : float or numpy.ndarray
            Regular places added by ``level`` effects (the largest increment counts), 0.0 without any.
        extra : int
            The number of scenario axes.
        """
        axes, shape = self.activity(active)
        extra = len(shape)
        x: dict[str, Any] = {}
        switch: dict[str, Any] = {}  # the structural switch: obligation_off and voluntary_share
        raised: Any = 0.0  # places added by level effects: ramp * max(0, level - C), the largest counts
        for i, e in enumerate(self._measures.effects):
            d = self.effect_draws[e.name][draws]
            d = d.reshape(d.shape[0], *(1,) * extra, 1)
            if e.kind == N.EFFECT_SWITCH:  # one per target (MeasureSet checks)
                off = axes[self.columns[e.measure]] * self.ramps[i]  # (1, *S, H), 0..1
                if np.any(off > 0):
                    path_arg, share_arg = SWITCH_ARGUMENTS[e.target]
                    switch.update({path_arg: off, share_arg: d[..., 0]})
                continue
            if e.level:
                gap = np.maximum(d - self._capacity, 0.0)
                raised = np.maximum(raised, axes[self.columns[e.measure]] * self.ramps[i] * gap)
                continue
            term = d * axes[self.columns[e.measure]] * self.ramps[i]
            x[e.target] = term if e.target not in x else x[e.target] + term
        for target, term in self.stress_terms.items():  # stress: the same in every scenario
            t = term[draws].reshape(-1, *(1,) * extra, self._n_months)
            x[target] = t if target not in x else x[target] + t
        return x, switch, raised, extra
