"""Policy measures as reviewable data: the measures file, read and checked.

Every measure of the policy note (docs/domain.md, Policy measures) is an entry of
``priors/policy/measures.toml`` (shipped as
``forecast/priors/defaults/policy/measures.toml``): its Dutch name (``name_nl``) and its English
rendering (``name_en``, shown on English report pages), the phase in
which it starts, its start month and ramp-up time, and one or more *effects*,
each on one target of :data:`forecast.names.EFFECT_TARGETS` with an effect prior
in the format of the model priors (validated by :mod:`forecast.priors.config`).
Side effects are effects too (``side_effect = true``). Named *bundles* of
measures (``kabinetsbeleid``, ``geen_nieuw_beleid``, ...) are scenarios with a
name.

:func:`load_measures` reads and validates the file (unknown fields, targets, kinds, phases, months,
ramps and priors are errors that name the entry) into a :class:`MeasureSet`; :func:`select` keeps a
subset. What an effect does is described in :mod:`forecast.scenarios.effects`; the classes are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from forecast import names as N
from forecast.priors.config import Domain, PriorConfigError, check_domain, check_entry
from forecast.scenarios.effects import SWITCH_SHARES, Bundle, Effect, Measure, effect_name, ramp
from forecast.scenarios.files import (
    PolicyConfigError,
    check_fields,
    default_policy_path,
    identifier_field,
    month_start,
    read_toml,
    table_array,
    text_field,
)
from forecast.scenarios.measure_set import MeasureSet
from forecast.scenarios.phases import PhaseSchedule, load_phases

__all__ = [
    "MAX_RAMP_MONTHS",
    "SWITCH_SHARES",
    "Bundle",
    "Effect",
    "Measure",
    "MeasureSet",
    "effect_name",
    "load_measures",
    "ramp",
    "select",
]

_MEASURE_FIELDS = (
    "id",
    "name_nl",
    "name_en",
    "description",
    "phase",
    "start",
    "ramp_months",
    "source",
    "effects",
)
_MEASURE_OPTIONAL = ("end",)
_EFFECT_FIELDS = ("target", "kind")
_EFFECT_OPTIONAL = ("side_effect", "ramp_months", "level")
_BUNDLE_FIELDS = ("id", "name_nl", "name_en", "description", "measures")
#: Longest ramp accepted (months): a longer one is almost certainly a unit mistake (days, weeks).
MAX_RAMP_MONTHS = 120


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
        name_en=text_field(raw, "name_en", where),
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
    return Bundle(
        bid,
        text_field(raw, "name_nl", where),
        text_field(raw, "name_en", where),
        text_field(raw, "description", where),
        chosen,
    )


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
        b.id: Bundle(b.id, b.name_nl, b.name_en, b.description, tuple(m for m in b.measures if m in wanted))
        for b in measures.bundles.values()
    }
    return MeasureSet(kept, bundles, measures.phases, measures.file, measures.stress)
