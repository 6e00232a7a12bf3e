"""What it takes: a policy target, and the combinations of measures that meet it.

A target is a text ``<quantity> <op> <value> @ <fase>`` (spaces optional), for example
``p_need_exceeds_capacity <= 0.10 @ normalisatie`` or
``noodopvang_person_months_mean<=20000@implementatie``:

* ``<quantity>`` is a numeric column of :func:`~forecast.scenarios.tables.phase_table`, one of
  :data:`QUANTITIES` (each with its unit and meaning);
* ``<op>`` is one of :data:`OPERATORS`: ``<=``, ``<``, ``>=``, ``>``;
* ``<value>`` is a plain number with a decimal point and no thousands separator (``0.10``,
  ``20000``, ``1.5e4``). A quantity in [0, 1] (unit ``probability`` or ``share``) also takes a
  percentage, ``10%`` meaning 0.10, and refuses a value outside [0, 1] (``10`` is refused rather
  than read as 10 %); other quantities refuse ``%``;
* ``<fase>`` is a fase name of the result (``voorbereiding``, ``implementatie``, ``normalisatie``).

Names are matched exactly (they are lower case). Several targets are given as a list, or as one
text joined with ``and`` (``... @ normalisatie and cost_meur_mean <= 15000 @ normalisatie``); all of
them must hold. :func:`parse_target` and :func:`parse_targets` read them and raise
:class:`TargetError` with the reason and the expected form.

:func:`meeting` (also :meth:`ScenarioResult.meeting <forecast.scenarios.result.ScenarioResult.meeting>`)
answers on a finished scenario result. The candidates are the ``2**k`` **combinations** of the
measures, never the named bundles; a combination meets the targets when every target holds on its
row of :meth:`ScenarioResult.table` for that target's fase. The :class:`TargetAnswer` holds:

* ``met``: the combinations that meet, cheapest first by ``cost_meur_mean`` in the fase of the first
  target (ties: fewer measures first, then the scenario key);
* ``minimal``: the rows of ``met`` none of whose proper subsets of measures also meets;
* ``closest``: when none meets, the :data:`CLOSEST` combinations nearest to meeting. The shortfall
  of a combination on one target is how far its value lies on the wrong side of the bound, relative
  to the bound: ``max(value - bound, 0) / |bound|`` for ``<=`` and ``<``,
  ``max(bound - value, 0) / |bound|`` for ``>=`` and ``>`` (divided by 1 instead when the bound
  is 0, so in the quantity's own unit). Combinations are ranked by their largest shortfall over the
  targets, smallest first; ties as for ``met``. A value exactly on a strict bound (``<``, ``>``)
  fails with shortfall 0.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast import names as N

if TYPE_CHECKING:
    from forecast.scenarios.result import ScenarioResult


@dataclass(frozen=True)
class Quantity:
    """What a target can bound: a column of :func:`~forecast.scenarios.tables.phase_table`.

    Parameters
    ----------
    unit : str
        Its unit (``persons``, ``places``, ``probability``, ``person-months``, ``million euro``,
        ``share``).
    description : str
        What it is, in one line.
    """

    unit: str
    description: str


#: The quantities a target can bound (every numeric column of ``phase_table``), per fase.
QUANTITIES: dict[str, Quantity] = {
    "need_median": Quantity("persons", "median of the need in reception (mean over the fase's months)"),
    "need_p10": Quantity("persons", "10 % quantile of the need (low end of its 80 % band)"),
    "need_p90": Quantity("persons", "90 % quantile of the need (high end of its 80 % band)"),
    "need_p2.5": Quantity("persons", "2.5 % quantile of the need (low end of its 95 % band)"),
    "need_p97.5": Quantity("persons", "97.5 % quantile of the need (high end of its 95 % band)"),
    "peak_need_median": Quantity("persons", "median of the need in the fase's highest month"),
    "peak_need_p97.5": Quantity("persons", "97.5 % quantile of the need in the fase's highest month"),
    "places_median": Quantity("places", "median of the need in reception places (mean over the months)"),
    "p_need_exceeds_capacity": Quantity(
        "probability", "P(need in places exceeds the regular capacity in any month of the fase)"
    ),
    "noodopvang_person_months_mean": Quantity(
        "person-months", "mean person-months in noodopvang (above regular capacity) over the fase"
    ),
    "cost_meur_mean": Quantity("million euro", "mean reception cost over the fase"),
    "cost_meur_p10": Quantity("million euro", "10 % quantile of the cost (low end of its 80 % band)"),
    "cost_meur_p90": Quantity("million euro", "90 % quantile of the cost (high end of its 80 % band)"),
    "statushouder_share_median": Quantity(
        "share", "median share of statushouders among the persons in reception"
    ),
}

#: The units whose values lie in [0, 1] and may be written as a percentage (``10%``).
FRACTION_UNITS: tuple[str, ...] = ("probability", "share")

#: The comparisons a target may make.
OPERATORS: tuple[str, ...] = ("<=", "<", ">=", ">")

#: The form of a target, as the error messages show it.
TARGET_FORM = "<quantity> <op> <value> @ <fase>"

#: An example target (the question of issue #16).
TARGET_EXAMPLE = "p_need_exceeds_capacity <= 0.10 @ normalisatie"

#: How many combinations :attr:`TargetAnswer.closest` lists when none meets.
CLOSEST = 5

#: The cost and need band columns every answer row carries (of the first target's fase).
BAND_COLUMNS: tuple[str, ...] = (
    "cost_meur_mean",
    "cost_meur_p10",
    "cost_meur_p90",
    "need_median",
    "need_p10",
    "need_p90",
)

_COMPARISON = re.compile(
    r"^\s*(?P<quantity>[^<>=@\s]+)\s*(?P<op><=|>=|<|>)\s*(?P<value>[^<>=@]*?)\s*@\s*(?P<fase>[^<>=@\s]+)\s*$"
)
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_AND = re.compile(r"\s+and\s+")


class TargetError(ValueError):
    """A target that cannot be read, or that a scenario result cannot answer."""


@dataclass(frozen=True)
class Target:
    """One policy target: ``quantity op value`` in one fase.

    Parameters
    ----------
    quantity : str
        One of :data:`QUANTITIES`.
    op : str
        One of :data:`OPERATORS`.
    value : float
        The bound, in the quantity's unit (a probability or share as a fraction, 0.10 for 10 %).
    fase : str
        The fase whose row is compared.
    """

    quantity: str
    op: str
    value: float
    fase: str

    def __str__(self) -> str:
        """The canonical text, which :func:`parse_target` reads back to an equal target."""
        return f"{self.quantity} {self.op} {self.value:.15g} @ {self.fase}"

    @property
    def column(self) -> str:
        """The name of this target's value column in an answer: ``<quantity>@<fase>``."""
        return f"{self.quantity}@{self.fase}"

    def holds(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """Whether the target holds for each value.

        Parameters
        ----------
        values : numpy.ndarray or pandas.Series
            Values of :attr:`quantity` in :attr:`fase`.

        Returns
        -------
        numpy.ndarray
            Boolean, one per value (False for NaN).
        """
        x = np.asarray(values, dtype=float)
        compare = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater}[self.op]
        return compare(x, self.value)

    def shortfall(self, values: np.ndarray | pd.Series) -> np.ndarray:
        """How far each value lies on the wrong side of the bound, relative to the bound.

        Parameters
        ----------
        values : numpy.ndarray or pandas.Series
            Values of :attr:`quantity` in :attr:`fase`.

        Returns
        -------
        numpy.ndarray
            ``max(value - bound, 0) / |bound|`` for ``<=`` and ``<``, ``max(bound - value, 0) / |bound|``
            for ``>=`` and ``>``; divided by 1 instead of ``|bound|`` when the bound is 0.
        """
        x = np.asarray(values, dtype=float)
        gap = x - self.value if self.op in ("<=", "<") else self.value - x
        return np.maximum(gap, 0.0) / (abs(self.value) or 1.0)


def _malformed(text: str) -> TargetError:
    if "@" not in text:
        reason = "it names no fase ('@ <fase>' at the end)"
    elif not any(op in text for op in OPERATORS):
        reason = f"it has no comparison ({', '.join(OPERATORS)})"
    else:
        reason = "it does not read as one comparison (join several targets with ' and ')"
    return TargetError(
        f"target {text!r}: {reason}; write {TARGET_FORM} with <op> one of {', '.join(OPERATORS)}, "
        f"for example {TARGET_EXAMPLE!r}"
    )


def _unknown(kind: str, kinds: str, name: str, valid: Sequence[str], text: str) -> TargetError:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return TargetError(f"target {text!r}: unknown {kind} {name!r}; {hint}the {kinds}: {', '.join(valid)}")


def _value(raw: str, quantity: str, text: str) -> float:
    """The bound of a target: a plain number, or a percentage for a quantity in [0, 1]."""
    unit = QUANTITIES[quantity].unit
    percent = raw.endswith("%")
    number = raw[:-1].strip() if percent else raw
    if not _NUMBER.match(number):
        raise TargetError(
            f"target {text!r}: the value {raw!r} is not a number; write digits with a decimal point and "
            "no thousands separator, for example 0.10, 10% (a probability or share) or 20000"
        )
    value = float(number) / 100 if percent else float(number)
    if unit in FRACTION_UNITS:
        if not 0.0 <= value <= 1.0:
            raise TargetError(
                f"target {text!r}: {quantity} is a {unit} between 0 and 1; write 0.10 or 10%, not {raw}"
            )
    elif percent:
        raise TargetError(
            f"target {text!r}: '%' is only for a probability or a share; {quantity} is in {unit}"
        )
    return value


def parse_target(text: str, fases: Sequence[str]) -> Target:
    """Read one target text, ``<quantity> <op> <value> @ <fase>``.

    Parameters
    ----------
    text : str
        For example ``"p_need_exceeds_capacity<=0.10@normalisatie"`` (spaces optional).
    fases : sequence of str
        The fase names the target may name (:meth:`ScenarioResult.fase_names`).

    Returns
    -------
    Target
        The target; ``str()`` of it is the canonical text.

    Raises
    ------
    TargetError
        For a text not of that form, an unknown quantity (the valid ones are listed, the closest
        suggested), a value that is not a number (or a probability outside [0, 1], or ``%`` on a
        quantity that is no probability or share), or an unknown fase (the fases are listed).

    Examples
    --------
    >>> str(parse_target("p_need_exceeds_capacity<=10%@normalisatie", ["normalisatie"]))
    'p_need_exceeds_capacity <= 0.1 @ normalisatie'
    """
    m = _COMPARISON.match(text)
    if m is None:
        raise _malformed(text)
    quantity, op, raw, fase = m["quantity"], m["op"], m["value"], m["fase"]
    if quantity not in QUANTITIES:
        raise _unknown("quantity", "quantities", quantity, list(QUANTITIES), text)
    value = _value(raw, quantity, text)
    if fase not in fases:
        raise _unknown("fase", "fases", fase, list(fases), text)
    return Target(quantity, op, value, fase)


def parse_targets(targets: str | Target | Iterable[str | Target], fases: Sequence[str]) -> tuple[Target, ...]:
    """Read one or several targets: a text (targets joined with ``and``), a :class:`Target`, or a list.

    Parameters
    ----------
    targets : str or Target or iterable of str or Target
        The targets; a text may join several with ``and``. A :class:`Target` is checked like a text.
    fases : sequence of str
        The fase names the targets may name.

    Returns
    -------
    tuple of Target
        In the order given.

    Raises
    ------
    TargetError
        For no target at all, or a target :func:`parse_target` refuses.
    """
    items = [targets] if isinstance(targets, str | Target) else list(targets)
    out: list[Target] = []
    for item in items:
        texts = [str(item)] if isinstance(item, Target) else _AND.split(item.strip())
        out.extend(parse_target(t, fases) for t in texts if t.strip())
    if not out:
        raise TargetError(f"no target given; write {TARGET_FORM}, for example {TARGET_EXAMPLE!r}")
    return tuple(out)


def _show(value: float, quantity: str) -> str:
    """A value in words: a probability or share as a percentage, others with their unit."""
    unit = QUANTITIES[quantity].unit
    if unit in FRACTION_UNITS:
        return f"{100 * value:.1f} %"
    return f"{value:,.0f} {unit}"


@dataclass(frozen=True, eq=False)
class TargetAnswer:
    """Which combinations of the measures meet a set of targets (:func:`meeting`).

    Parameters
    ----------
    targets : tuple of Target
        The targets; all must hold.
    met : pandas.DataFrame
        One row per combination that meets them, cheapest first (``cost_meur_mean`` in the fase of
        the first target; ties: fewer measures, then the scenario key). Columns: ``scenario``,
        ``n_measures``, one 0/1 column per measure (file order), one value column per target
        (:attr:`Target.column`, ``<quantity>@<fase>``), then :data:`BAND_COLUMNS` of that fase.
    minimal : pandas.DataFrame
        The rows of ``met`` whose set of measures has no proper subset that also meets; same
        columns and order.
    closest : pandas.DataFrame
        Empty when some combination meets; otherwise the :data:`CLOSEST` combinations nearest to
        meeting (module docstring), with the columns of ``met`` and ``shortfall`` (the largest
        relative shortfall over the targets), nearest first.
    combinations : int
        The number of candidate combinations (``2**k``).
    measures : tuple of str
        The measure ids, in file order.
    """

    targets: tuple[Target, ...]
    met: pd.DataFrame
    minimal: pd.DataFrame
    closest: pd.DataFrame
    combinations: int
    measures: tuple[str, ...]

    @property
    def fase(self) -> str:
        """The fase of the first target: the fase whose cost and need bands the rows show."""
        return self.targets[0].fase

    def _row(self, row: pd.Series) -> str:
        """One combination in words: its measures, its cost and need bands, its target values."""
        active = [m for m in self.measures if row[m]]
        what = " + ".join(active) if active else f"no measure ({N.NO_MEASURES_LABEL})"
        shown = {t.column: t for t in self.targets}.values()  # each target's value once
        values = "; ".join(f"{t.quantity} {_show(row[t.column], t.quantity)} in {t.fase}" for t in shown)
        return (
            f"{what} ({len(active)} of {len(self.measures)} measures): cost {row['cost_meur_mean']:,.0f} "
            f"million euro (80 % band {row['cost_meur_p10']:,.0f} to {row['cost_meur_p90']:,.0f}), need "
            f"{row['need_median']:,.0f} persons (80 % band {row['need_p10']:,.0f} to "
            f"{row['need_p90']:,.0f}) in {self.fase}; {values}"
        )

    def __str__(self) -> str:
        """The answer in plain English: how many combinations meet, the cheapest, the minimal sets."""
        wanted = " and ".join(str(t) for t in self.targets)
        lines = [f"Target{'s' if len(self.targets) > 1 else ''}: {wanted}"]
        lines += [
            f"  {q}: {QUANTITIES[q].description} ({QUANTITIES[q].unit})"
            for q in dict.fromkeys(t.quantity for t in self.targets)
        ]
        k = len(self.measures)
        if self.met.empty:
            lines.append(f"No combination of the {k} measures meets it: none of the {self.combinations}.")
            lines.append(
                f"The {len(self.closest)} closest (ranked by the largest shortfall over the targets, "
                "relative to the bound, smallest first):"
            )
            lines += [
                f"  - short by {100 * row['shortfall']:.1f} %: {self._row(row)}"
                for _, row in self.closest.iterrows()
            ]
            return "\n".join(lines)
        lines.append(f"{len(self.met)} of the {self.combinations} combinations of the {k} measures meet it.")
        lines.append(f"Cheapest: {self._row(self.met.iloc[0])}")
        lines.append(
            f"Smallest sets of measures that meet it ({len(self.minimal)}; leaving out any measure of "
            "one of them, it no longer meets), cheapest first:"
        )
        lines += [f"  - {self._row(row)}" for _, row in self.minimal.iterrows()]
        return "\n".join(lines)


def _candidates(result: ScenarioResult, targets: Sequence[Target]) -> pd.DataFrame:
    """One row per combination: scenario, n_measures, measures, the targets' values, the bands."""
    table = result.table(measures=True)
    combos = result.combinations()
    measures = [str(m) for m in result.activity.columns]

    def in_fase(fase: str) -> pd.DataFrame:
        return table.xs(fase, level=N.DIM_PHASE).loc[combos]

    first = in_fase(targets[0].fase)
    frame = pd.DataFrame({N.DIM_SCENARIO: combos, "n_measures": first[measures].sum(axis=1).to_numpy()})
    for m in measures:
        frame[m] = first[m].to_numpy().astype(int)
    for t in targets:
        frame[t.column] = in_fase(t.fase)[t.quantity].to_numpy()
    for c in BAND_COLUMNS:
        frame[c] = first[c].to_numpy()
    return frame


def _ranked(frame: pd.DataFrame, *first: str) -> pd.DataFrame:
    """``frame`` sorted by ``first``, then cheapest, fewest measures and scenario key first."""
    keys = [*first, "cost_meur_mean", "n_measures", N.DIM_SCENARIO]
    return frame.sort_values(keys, kind="mergesort").reset_index(drop=True)


def subset_minimal(active: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Which rows' sets of measures contain no other row's set as a proper subset.

    Parameters
    ----------
    active : pandas.DataFrame or numpy.ndarray
        One row per set of measures, one 0/1 column per measure.

    Returns
    -------
    numpy.ndarray
        Boolean, one per row: True when no other row is a proper subset of it.

    Examples
    --------
    >>> subset_minimal([[1, 0], [1, 1], [0, 1]]).tolist()
    [True, False, True]
    """
    bits = np.asarray(active, dtype=bool)
    if bits.size == 0:
        return np.zeros(len(bits), dtype=bool)
    inside = (bits[:, None, :] | ~bits[None, :, :]).all(axis=2)  # [i, j]: set j is within set i
    proper = inside & (bits[:, None, :] != bits[None, :, :]).any(axis=2)
    return ~proper.any(axis=1)


def meeting(result: ScenarioResult, targets: str | Target | Iterable[str | Target]) -> TargetAnswer:
    """The combinations of the measures that meet every target, cheapest first, and the minimal ones.

    Parameters
    ----------
    result : ScenarioResult
        A finished scenario result (:func:`~forecast.scenarios.result.scenario_result` or
        :meth:`ScenarioResult.load`).
    targets : str or Target or iterable of str or Target
        The targets (:func:`parse_targets`); all must hold.

    Returns
    -------
    TargetAnswer
        The combinations that meet (``met``), the subset-minimal ones among them (``minimal``) and,
        when none meets, the closest (``closest``); ``str()`` of it is the answer in words.

    Raises
    ------
    TargetError
        For a target that cannot be read, or one on a fase without forecast months.
    """
    parsed = parse_targets(targets, result.fase_names())
    for t in parsed:
        if not result.has_forecast_months(t.fase):
            raise TargetError(f"target {str(t)!r}: the fase {t.fase} has no forecast months in this result")
    frame = _candidates(result, parsed)
    measures = tuple(str(m) for m in result.activity.columns)
    ok = np.logical_and.reduce([t.holds(frame[t.column]) for t in parsed])
    met = _ranked(frame[ok])
    minimal = met[subset_minimal(met[list(measures)])].reset_index(drop=True)
    if len(met):
        closest = frame.iloc[:0].assign(shortfall=pd.Series(dtype=float))
    else:
        short = np.max([t.shortfall(frame[t.column]) for t in parsed], axis=0)
        closest = _ranked(frame.assign(shortfall=short), "shortfall").head(CLOSEST)
    return TargetAnswer(
        targets=parsed,
        met=met,
        minimal=minimal,
        closest=closest,
        combinations=len(frame),
        measures=measures,
    )


__all__ = [
    "BAND_COLUMNS",
    "CLOSEST",
    "FRACTION_UNITS",
    "OPERATORS",
    "QUANTITIES",
    "TARGET_EXAMPLE",
    "TARGET_FORM",
    "Quantity",
    "Target",
    "TargetAnswer",
    "TargetError",
    "meeting",
    "parse_target",
    "parse_targets",
    "subset_minimal",
]
