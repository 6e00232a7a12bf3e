"""Policy measures as reviewable data, and the effect paths they put on the model's flows.

Every measure of the policy note (DOMAIN.md §2) is an entry of
``priors/policy/measures.toml`` (shipped as
``forecast/priors/defaults/policy/measures.toml``): its Dutch name, the phase in
which it starts, its start month and ramp-up time, and one or more *effects*,
each on one target of :data:`forecast.names.EFFECT_TARGETS` with an effect prior
in the format of the model priors (validated by :mod:`forecast.priors.config`).
Side effects are effects too (``side_effect = true``). Named *bundles* of
measures (``kabinetsbeleid``, ``geen_nieuw_beleid``, ...) are scenarios with a
name.

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

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.priors.config import Domain, Prior, PriorConfig, PriorConfigError, check_domain, check_entry
from forecast.scenarios.files import (
    PolicyConfigError,
    check_fields,
    default_policy_path,
    identifier_field,
    month_index,
    month_start,
    read_toml,
    table_array,
    text_field,
)
from forecast.scenarios.phases import PhaseSchedule, load_phases

_MEASURE_FIELDS = ("id", "name_nl", "description", "phase", "start", "ramp_months", "source", "effects")
_MEASURE_OPTIONAL = ("end",)
_EFFECT_FIELDS = ("target", "kind")
_EFFECT_OPTIONAL = ("side_effect", "ramp_months", "level")
_BUNDLE_FIELDS = ("id", "name_nl", "description", "measures")
#: Longest ramp accepted (months): a longer one is almost certainly a unit mistake (days, weeks).
MAX_RAMP_MONTHS = 120
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
    description : str
        What it is, in English.
    measures : tuple of str
        The measure ids that are active, in the order of the measures file.
    """

    id: str
    name_nl: str
    description: str
    measures: tuple[str, ...]


@dataclass(frozen=True)
class MeasureSet:
    """All measures and bundles; use :func:`load_measures` to read them.

    Parameters
    ----------
    measures : tuple of Measure
        In file order (the order of the ``measure`` dimension).
    bundles : dict of str to Bundle
        Named scenarios.
    phases : PhaseSchedule or None
        The phases the measures were checked against (``None`` when not known).
    file : str
        The file they were read from.
    stress : dict of str to Measure
        Optional stress scenarios (``[[stress]]`` tables) by id: not part of :attr:`measures`,
        the grid or any bundle; the engine applies them on request.

    Raises
    ------
    PolicyConfigError
        When more than one effect (of all measures together) switches a switch target, or a stress
        scenario carries a switch effect.
    """

    measures: tuple[Measure, ...]
    bundles: dict[str, Bundle] = field(default_factory=dict)
    phases: PhaseSchedule | None = None
    file: str = ""
    stress: dict[str, Measure] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for target in N.SWITCH_TARGETS:
            by = [e.measure for e in self.effects if e.target == target]
            if len(by) > 1:
                raise PolicyConfigError(
                    f"{self.file or '<measures>'}: measures {', '.join(repr(m) for m in by)} all switch "
                    f"{target!r}; a switch target takes one switch effect (of all measures together): "
                    "merge them into one measure or drop all but one"
                )
        for m in self.stress.values():
            bad = [e.target for e in m.effects if e.kind == N.EFFECT_SWITCH]
            if bad:
                raise PolicyConfigError(
                    f"{self.file or '<measures>'} [{m.id}]: a stress scenario cannot carry a switch effect "
                    f"(on {', '.join(repr(t) for t in bad)}); give it log_multiplier or places effects"
                )

    # ------------------------------------------------------------------ access
    def __iter__(self) -> Iterator[Measure]:
        return iter(self.measures)

    def __len__(self) -> int:
        return len(self.measures)

    def __contains__(self, measure_id: object) -> bool:
        return measure_id in self.ids

    def __getitem__(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(f"no measure {measure_id!r}; the measures are {list(self.ids)}")

    @property
    def ids(self) -> tuple[str, ...]:
        """Measure ids in file order."""
        return tuple(m.id for m in self.measures)

    @property
    def effects(self) -> tuple[Effect, ...]:
        """Every effect of every measure, in file order."""
        return tuple(e for m in self.measures for e in m.effects)

    @property
    def effect_names(self) -> tuple[str, ...]:
        """Names (``"<measure>.<target>"``) of every effect: the keys :meth:`effect_paths` needs."""
        return tuple(e.name for e in self.effects)

    def switch(self, target: str) -> Effect | None:
        """The switch effect on a switch target, or None when no measure switches it.

        Parameters
        ----------
        target : str
            One of :data:`forecast.names.SWITCH_TARGETS`, e.g. ``"housing_obligation"``.

        Returns
        -------
        Effect or None
            The one effect of kind ``"switch"`` on ``target`` (a measure set holds at most one). Its
            draws (``draws[effect.name]``) are the share that sets the switched chain (for
            ``housing_obligation`` the voluntary share); :meth:`effect_paths` gives the switch path.

        Raises
        ------
        ValueError
            When ``target`` is not a switch target.

        Examples
        --------
        >>> load_measures().switch("housing_obligation").measure
        'afschaffing_huisvestingstaakstelling'
        """
        if target not in N.SWITCH_TARGETS:
            raise ValueError(f"{target!r} is not a switch target; the switch targets are {N.SWITCH_TARGETS}")
        return next((e for e in self.effects if e.target == target), None)

    @property
    def priors(self) -> PriorConfig:
        """The effect priors as a :class:`~forecast.priors.PriorConfig` keyed by effect name."""
        return PriorConfig({e.name: e.prior for e in self.effects})

    def bundle(self, bundle_id: str) -> Bundle:
        """A named bundle.

        Parameters
        ----------
        bundle_id : str
            The bundle's id, e.g. ``"kabinetsbeleid"``.

        Returns
        -------
        Bundle
            The bundle with that id.

        Raises
        ------
        KeyError
            When there is no bundle with that id.
        """
        try:
            return self.bundles[bundle_id]
        except KeyError:
            raise KeyError(f"no bundle {bundle_id!r}; the bundles are {sorted(self.bundles)}") from None

    def active(self, selection: Any = None) -> np.ndarray:
        """A boolean activity vector or matrix over the measures (last axis in file order).

        Parameters
        ----------
        selection : None, str, iterable of str, array-like of bool or xarray.DataArray
            ``None``: every measure; a bundle id; measure ids; a boolean array
            of shape ``(measure,)`` or ``(scenario, measure)``; or a DataArray
            with a ``measure`` dimension (e.g. from
            :func:`forecast.scenarios.grid.scenario_grid`), reordered to file order.

        Returns
        -------
        numpy.ndarray of bool
            Shape ``(measure,)`` or ``(scenario, measure)``.
        """
        k = len(self.measures)
        if selection is None:
            return np.ones(k, dtype=bool)
        if isinstance(selection, str):
            selection = self.bundle(selection).measures
        if isinstance(selection, xr.DataArray):
            if N.DIM_MEASURE not in selection.dims:
                raise ValueError(f"the activity DataArray has no {N.DIM_MEASURE!r} dimension")
            labels = [str(v) for v in selection[N.DIM_MEASURE].values]
            unknown = sorted(set(labels) - set(self.ids))
            missing = [i for i in self.ids if i not in labels]
            if unknown or missing:
                raise ValueError(f"activity measures do not match: unknown {unknown}, missing {missing}")
            return np.asarray(
                selection.sel({N.DIM_MEASURE: list(self.ids)}).transpose(..., N.DIM_MEASURE), bool
            )
        arr = np.asarray(list(selection) if not isinstance(selection, np.ndarray) else selection)
        if arr.dtype.kind in "USO":
            unknown = sorted(set(arr.tolist()) - set(self.ids))
            if unknown:
                raise KeyError(f"unknown measure(s) {unknown}; the measures are {list(self.ids)}")
            return np.isin(np.array(self.ids), arr)
        if arr.size == 0:
            return np.zeros(k, dtype=bool)
        if arr.dtype != bool:
            raise ValueError(f"an activity array must be boolean, got dtype {arr.dtype}")
        if arr.ndim not in (1, 2) or arr.shape[-1] != k:
            raise ValueError(
                f"an activity array must have shape (measure,) or (scenario, measure) with {k} measures"
            )
        return arr

    # ------------------------------------------------------------------ effect paths
    def ramps(self, months: Any) -> np.ndarray:
        """Every effect's ramp over ``months``: shape ``(effect, month)``, in :attr:`effect_names` order.

        Parameters
        ----------
        months : Any
            Any month index :func:`forecast.scenarios.files.month_index` reads.

        Returns
        -------
        numpy.ndarray
            Shape ``(effect, month)``, values in [0, 1]; each row is :meth:`Measure.ramp` of
            the effect's measure with the effect's own ramp length. With no effects, shape
            ``(0, month)``.
        """
        return (
            np.stack([self[e.measure].ramp(months, e) for e in self.effects])
            if self.effects
            else np.zeros((0, len(month_index(months))))
        )

    def effect_paths(
        self, draws: Mapping[str, Any], months: Any, active: Any = None, capacity: Any = None
    ) -> dict[str, np.ndarray]:
        """The time-varying effect on every target, for draws of the effects and one or many scenarios.

        Parameters
        ----------
        draws : mapping of str to array-like
            One array of draws per effect name (:attr:`effect_names`), all of one
            broadcastable shape ``(...)`` (e.g. ``(chain, draw)``); extra keys are
            ignored, so an xarray posterior Dataset can be passed as is.
        months : month index
            The forecast months.
        active : see :meth:`active`, optional
            Which measures are on: default all. A ``(scenario, measure)`` matrix
            gives every scenario at once.
        capacity : array-like, optional
            Regular places before any measure, shape ``(month,)`` (or a number): the path a
            ``level`` effect raises (see the module docstring). Default 0.

        Returns
        -------
        dict of str to numpy.ndarray
            For every target of :data:`forecast.names.EFFECT_TARGETS`: the
            multiplier ``exp(x_T)`` (log-multiplier targets; 1 = no effect), the
            places added ``x_T`` (places targets; 0 = no effect; a ``level`` effect adds
            ``ramp * max(0, level - capacity)``) or the switch path ``active x ramp`` in
            [0, 1] (switch targets; 0 = not switched; it does not depend on the draws, which
            are the share of the switched chain: ``draws[self.switch(target).name]``), of
            shape ``(..., month)``, or ``(..., scenario, month)`` for a scenario matrix.

        Raises
        ------
        KeyError
            When ``draws`` lacks an effect.
        """
        missing = [n for n in self.effect_names if n not in draws]
        if missing:
            raise KeyError(f"no draws for effect(s) {missing}")
        act = self.active(active)
        values = np.broadcast_arrays(*[np.asarray(draws[n], dtype=float) for n in self.effect_names])
        batch = values[0].shape if values else ()
        ramps = self.ramps(months)
        n_months = ramps.shape[1]
        col = {mid: j for j, mid in enumerate(self.ids)}
        base = np.broadcast_to(np.asarray(0.0 if capacity is None else capacity, dtype=float), (n_months,))
        out: dict[str, np.ndarray] = {}
        for target, kind in N.EFFECT_TARGETS.items():
            shape = (*batch, *act.shape[:-1], n_months)
            if kind == N.EFFECT_SWITCH:  # the switch path: how far it is turned (at most one effect)
                switched = np.zeros(shape)
                for i, e in enumerate(self.effects):
                    if e.target == target:
                        a = act[..., col[e.measure]].astype(float).reshape(*act.shape[:-1], 1)  # ([s,] 1)
                        switched = np.maximum(switched, a * ramps[i])
                out[target] = switched
                continue
            idx = [i for i, e in enumerate(self.effects) if e.target == target and not e.level]
            if not idx:
                x = np.zeros(shape)
            else:
                d = np.stack([values[i] for i in idx], axis=-1)  # (..., e)
                a = act[..., [col[self.effects[i].measure] for i in idx]].astype(float)  # ([s,] e)
                r = ramps[idx]  # (e, t)
                x = np.einsum("...e,se,et->...st" if act.ndim == 2 else "...e,e,et->...t", d, a, r)
            raised = np.zeros(shape)
            for i, e in enumerate(self.effects):
                if e.target != target or not e.level:
                    continue
                lvl = values[i].reshape(*batch, *(1,) * (act.ndim - 1), 1)  # (..., [1,] 1)
                a = act[..., col[e.measure]].astype(float).reshape(*act.shape[:-1], 1)  # ([s,] 1)
                raised = np.maximum(raised, a * ramps[i] * np.maximum(lvl - base, 0.0))
            x = x + raised
            out[target] = np.exp(x) if kind == N.EFFECT_LOG_MULTIPLIER else x
        return out

    def sample_prior(self, draws: int, seed: int | None = None) -> dict[str, np.ndarray]:
        """Draws from every effect prior (PyMC's ``pm.draw``; no MCMC): ``{effect name: (draws,)}``.

        Parameters
        ----------
        draws : int
            Number of draws per effect.
        seed : int, optional
            Random seed passed to ``pm.draw``; ``None`` draws a fresh one.

        Returns
        -------
        dict of str to numpy.ndarray
            For every effect name (:attr:`effect_names`), a float array of shape ``(draws,)``
            in the prior's unit (log multiplier, places or, for a switch, a share in [0, 1]);
            empty when there are no effects.
        """
        import pymc as pm

        rvs = [getattr(pm, e.prior.distribution).dist(**e.prior.params) for e in self.effects]
        if not rvs:
            return {}
        values = pm.draw(rvs, draws=draws, random_seed=seed)
        return {e.name: np.asarray(v, dtype=float) for e, v in zip(self.effects, values, strict=True)}

    # ------------------------------------------------------------------ tables
    def to_frame(self) -> pd.DataFrame:
        """One row per effect: measure, phase, start, ramp, target, kind, prior, mean, sd, sources.

        Returns
        -------
        pandas.DataFrame
            One row per effect, measures in file order, with columns ``measure``, ``name_nl``,
            ``phase``, ``start``, ``ramp_months`` (the effect's), ``target``, ``kind``,
            ``side_effect``, ``level`` (a places level, not places added), ``distribution``,
            ``parameters`` (``"name=value, ..."``), the
            prior's ``mean`` and ``sd``, ``unit``, ``rationale`` and ``source``.
        """
        rows = []
        for m in self.measures:
            for e in m.effects:
                mean, sd = e.prior.mean_sd()
                rows.append(
                    {
                        "measure": m.id,
                        "name_nl": m.name_nl,
                        "phase": m.phase,
                        "start": m.start,
                        "ramp_months": e.ramp_months,
                        "target": e.target,
                        "kind": e.kind,
                        "side_effect": e.side_effect,
                        "level": e.level,
                        "distribution": e.prior.distribution,
                        "parameters": ", ".join(f"{k}={v:g}" for k, v in e.prior.params.items()),
                        "mean": mean,
                        "sd": sd,
                        "unit": e.prior.unit,
                        "rationale": e.prior.rationale,
                        "source": e.prior.source,
                    }
                )
        return pd.DataFrame(rows)


# ---------------------------------------------------------------------- loading


def _ramp_months(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RAMP_MONTHS:
        raise PolicyConfigError(
            f"{where}: 'ramp_months' must be a whole number of months from 0 to {MAX_RAMP_MONTHS}, "
            f"got {value!r}"
        )
    return value


def _effect(raw: Any, measure_id: str, measure_ramp: int, number: int, file: str) -> Effect:
    target_label = raw.get("target") if isinstance(raw, Mapping) else None
    where = f"{file} [{measure_id}] effect {number}" + (
        f" ({target_label})" if isinstance(target_label, str) else ""
    )
    if not isinstance(raw, Mapping):
        raise PolicyConfigError(f"{where}: expected a table")
    missing = [k for k in _EFFECT_FIELDS if k not in raw]
    if missing:
        raise PolicyConfigError(f"{where}: missing field(s) {', '.join(repr(k) for k in missing)}")
    target, kind = raw["target"], raw["kind"]
    if target not in N.EFFECT_TARGETS:
        raise PolicyConfigError(
            f"{where}: unknown target {target!r}; the targets are {', '.join(N.EFFECT_TARGETS)}"
        )
    if kind not in N.EFFECT_KINDS:
        raise PolicyConfigError(f"{where}: unknown kind {kind!r}; the kinds are {', '.join(N.EFFECT_KINDS)}")
    if kind != N.EFFECT_TARGETS[target]:
        raise PolicyConfigError(
            f"{where}: target {target!r} takes kind {N.EFFECT_TARGETS[target]!r}, not {kind!r}"
        )
    side = raw.get("side_effect", False)
    if not isinstance(side, bool):
        raise PolicyConfigError(f"{where}: 'side_effect' must be true or false, got {side!r}")
    level = raw.get("level", False)
    if not isinstance(level, bool):
        raise PolicyConfigError(f"{where}: 'level' must be true or false, got {level!r}")
    if level and kind != N.EFFECT_PLACES:
        raise PolicyConfigError(
            f"{where}: 'level = true' (a level of places) needs kind {N.EFFECT_PLACES!r}, not {kind!r}"
        )
    ramp_months = _ramp_months(raw["ramp_months"], where) if "ramp_months" in raw else measure_ramp
    prior_raw = {k: v for k, v in raw.items() if k not in _EFFECT_FIELDS + _EFFECT_OPTIONAL}
    try:
        prior = check_entry(effect_name(measure_id, target), prior_raw, file)
        if kind == N.EFFECT_SWITCH:  # the draw is a share: its prior must lie in [0, 1]
            share = SWITCH_SHARES.get(target, "the share that sets the switched chain")
            check_domain(prior, Domain("unit_interval", f"kind 'switch': {share}"))
    except PriorConfigError as exc:
        raise PolicyConfigError(f"invalid effect prior: {exc}") from None
    return Effect(measure_id, target, kind, prior, ramp_months, side, level)


def _measure(
    raw: Any, number: int, file: str, phases: PhaseSchedule, seen: set[str], table: str = "measure"
) -> Measure:
    label = raw.get("id") if isinstance(raw.get("id"), str) else f"{table} {number}"
    where = f"{file} [{label}]"
    check_fields(raw, where, _MEASURE_FIELDS, _MEASURE_OPTIONAL)
    mid = identifier_field(raw, "id", where)
    if mid in seen:
        raise PolicyConfigError(f"{where}: duplicate measure or stress id {mid!r}")
    phase = raw["phase"]
    if phase not in phases:
        raise PolicyConfigError(f"{where}: unknown phase {phase!r}; the phases are {', '.join(phases.names)}")
    start = month_start(raw["start"], where, "start")
    p = phases[phase]
    if not p.start <= start < p.end:
        actual = phases.phase_of(start).item()
        raise PolicyConfigError(
            f"{where}: start {start:%Y-%m-%d} lies in {actual!r}, not in the stated phase {phase!r} "
            f"({p.start:%Y-%m-%d} to {p.end:%Y-%m-%d}, end exclusive)"
        )
    ramp_months = _ramp_months(raw["ramp_months"], where)
    end = month_start(raw["end"], where, "end") if "end" in raw else None
    if end is not None and end <= start:
        raise PolicyConfigError(f"{where}: end {end:%Y-%m-%d} must lie after start {start:%Y-%m-%d}")
    effects_raw = raw["effects"]
    if not isinstance(effects_raw, list) or not effects_raw:
        raise PolicyConfigError(
            f"{where}: 'effects' must be a non-empty array of tables ([[measure.effects]])"
        )
    effects: list[Effect] = []
    for j, e in enumerate(effects_raw, start=1):
        effect = _effect(e, mid, ramp_months, j, file)
        if effect.target in (x.target for x in effects):
            raise PolicyConfigError(
                f"{where}: two effects on target {effect.target!r}; give one effect per target"
            )
        effects.append(effect)
    return Measure(
        id=mid,
        name_nl=text_field(raw, "name_nl", where),
        description=text_field(raw, "description", where),
        phase=phase,
        start=start,
        ramp_months=ramp_months,
        source=text_field(raw, "source", where),
        effects=tuple(effects),
        end=end,
    )


def _bundle(raw: Any, number: int, file: str, ids: tuple[str, ...], seen: set[str]) -> Bundle:
    label = raw.get("id") if isinstance(raw.get("id"), str) else f"bundle {number}"
    where = f"{file} [bundle {label}]"
    check_fields(raw, where, _BUNDLE_FIELDS)
    bid = identifier_field(raw, "id", where)
    if bid in seen:
        raise PolicyConfigError(f"{where}: duplicate bundle id {bid!r}")
    members = raw["measures"]
    if members == N.ALL_MEASURES:
        chosen: tuple[str, ...] = ids
    else:
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise PolicyConfigError(
                f"{where}: 'measures' must be a list of measure ids or {N.ALL_MEASURES!r}, got {members!r}"
            )
        unknown = [m for m in members if m not in ids]
        if unknown:
            raise PolicyConfigError(
                f"{where}: unknown measure(s) {', '.join(repr(m) for m in unknown)}; "
                f"the measures are {', '.join(ids)}"
            )
        twice = sorted({m for m in members if members.count(m) > 1})
        if twice:
            raise PolicyConfigError(f"{where}: measure(s) listed twice: {', '.join(twice)}")
        chosen = tuple(m for m in ids if m in members)
    return Bundle(bid, text_field(raw, "name_nl", where), text_field(raw, "description", where), chosen)


def load_measures(path: str | Path | None = None, *, phases: PhaseSchedule | None = None) -> MeasureSet:
    """Read and validate the measures file.

    Parameters
    ----------
    path : str or Path, optional
        A ``measures.toml``; default: the bundled ``priors/policy/measures.toml``.
    phases : PhaseSchedule, optional
        The phases to check each measure's phase and start against; default
        :func:`forecast.scenarios.phases.load_phases`.

    Returns
    -------
    MeasureSet
        The measures in file order, the bundles by id, the phases they were checked against, and
        the optional stress scenarios by id.

    Raises
    ------
    PolicyConfigError
        For a missing file, invalid TOML, a missing or unknown field, a duplicate
        measure, stress or bundle id, an unknown phase, a start outside the stated phase or
        not on the first of a month, an end not after the start, a bad ramp, no effects, an
        unknown target or kind, a kind that does not fit the target, ``level`` on an effect
        that is not a places effect, two effects on one target, an invalid effect prior (as
        the model prior loader judges it; a switch effect's prior must lie in [0, 1]), more
        than one switch effect on a target (of all measures together), a switch effect in a
        stress scenario, or a bundle naming an unknown measure (a stress scenario is never a
        bundle member).

    Examples
    --------
    >>> measures = load_measures()
    >>> len(measures), measures.bundle("geen_nieuw_beleid").measures
    (9, ())
    """
    path = Path(path) if path is not None else default_policy_path(N.MEASURES_FILE)
    phases = phases if phases is not None else load_phases()
    data, file = read_toml(path)
    extra = sorted(set(data) - {"measure", "bundle", "stress"})
    if extra:
        raise PolicyConfigError(
            f"{file}: unknown top-level key(s) {extra}; expected [[measure]], [[bundle]] and [[stress]]"
        )
    measures: list[Measure] = []
    for number, raw in enumerate(table_array(data, "measure", file), start=1):
        measures.append(_measure(raw, number, file, phases, {m.id for m in measures}))
    ids = tuple(m.id for m in measures)
    stress: dict[str, Measure] = {}
    for number, raw in enumerate(table_array(data, "stress", file, required=False), start=1):
        m = _measure(raw, number, file, phases, set(ids) | set(stress), table="stress")
        stress[m.id] = m
    bundles: dict[str, Bundle] = {}
    for number, raw in enumerate(table_array(data, "bundle", file, required=False), start=1):
        b = _bundle(raw, number, file, ids, set(bundles))
        bundles[b.id] = b
    return MeasureSet(tuple(measures), bundles, phases, file, stress)


def select(measures: MeasureSet, ids: Iterable[str]) -> MeasureSet:
    """A measure set with only some measures (bundles restricted to them); e.g. to run fewer combinations.

    Parameters
    ----------
    measures : MeasureSet
        The full set.
    ids : iterable of str
        The measure ids to keep.

    Returns
    -------
    MeasureSet
        The kept measures in the original file order (not the order of ``ids``); every bundle
        is kept, with only its kept measures; same phases, file and stress scenarios.

    Raises
    ------
    KeyError
        When an id is not a measure of ``measures``.
    """
    wanted = list(ids)
    unknown = sorted(set(wanted) - set(measures.ids))
    if unknown:
        raise KeyError(f"unknown measure(s) {unknown}; the measures are {list(measures.ids)}")
    kept = tuple(m for m in measures.measures if m.id in wanted)
    bundles = {
        b.id: Bundle(b.id, b.name_nl, b.description, tuple(m for m in b.measures if m in wanted))
        for b in measures.bundles.values()
    }
    return MeasureSet(kept, bundles, measures.phases, measures.file, measures.stress)
