"""Scenarios: every combination of measures, and the named bundles.

A scenario is a set of active measures. :func:`scenario_grid` enumerates all
``2**k`` combinations of ``k`` measures as a boolean ``(scenario, measure)``
matrix, with readable labels (the active measure ids joined by ``+``; the empty
combination is :data:`forecast.names.NO_MEASURES_LABEL`). Scenario ``i`` has
measure ``j`` active when bit ``j`` of ``i`` is set, so scenario 0 has no measure
and the last has all of them.

Named bundles (``kabinetsbeleid``, ``geen_nieuw_beleid``, ...) are combinations
too: :func:`bundle_grid` gives their rows (with the label of the matching
combination), and :func:`select_bundles` picks them out of a summary computed
over the full grid, so the engine never runs a bundle twice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from forecast import names as N
from forecast.scenarios.measures import MeasureSet

#: Most measures the full grid enumerates (2**16 = 65,536 scenarios).
MAX_GRID_MEASURES = 16
#: Coordinate on the scenario dimension: how many measures are active.
N_ACTIVE = "n_active"
#: Coordinate of :func:`bundle_grid`: the label of the combination a bundle equals.
COMBINATION = "combination"


def _ids(measures: MeasureSet | Sequence[str]) -> tuple[str, ...]:
    ids = measures.ids if isinstance(measures, MeasureSet) else tuple(measures)
    if len(set(ids)) != len(ids):
        raise ValueError(f"measure ids must be distinct, got {list(ids)}")
    return ids


def combination_label(active: Sequence[bool], ids: Sequence[str]) -> str:
    """The readable label of one combination: active ids joined by ``+`` (or the no-measures label).

    Parameters
    ----------
    active : sequence of bool
        Whether each measure is active, in the order of ``ids``.
    ids : sequence of str
        The measure ids (same length as ``active``).

    Returns
    -------
    str
        The active ids in the order of ``ids``, joined by :data:`forecast.names.SCENARIO_LABEL_SEPARATOR`;
        :data:`forecast.names.NO_MEASURES_LABEL` when none is active.

    Raises
    ------
    ValueError
        When ``active`` and ``ids`` differ in length.

    Examples
    --------
    >>> combination_label([True, False, True], ["a", "b", "c"])
    'a+c'
    >>> combination_label([False, False], ["a", "b"])
    'geen_maatregelen'
    """
    on = [i for i, a in zip(ids, active, strict=True) if a]
    return N.SCENARIO_LABEL_SEPARATOR.join(on) if on else N.NO_MEASURES_LABEL


def scenario_grid(measures: MeasureSet | Sequence[str]) -> xr.DataArray:
    """Every combination of the measures.

    Parameters
    ----------
    measures : MeasureSet or sequence of str
        The measures (their order is the ``measure`` dimension's).

    Returns
    -------
    xarray.DataArray of bool
        Dims ``(scenario, measure)``, ``2**k`` scenarios labelled by
        :func:`combination_label`, with coordinate ``n_active``.

    Raises
    ------
    ValueError
        For repeated ids, or more than :data:`MAX_GRID_MEASURES` measures.

    Examples
    --------
    >>> grid = scenario_grid(["a", "b"])
    >>> grid.scenario.values.tolist()
    ['geen_maatregelen', 'a', 'b', 'a+b']
    """
    ids = _ids(measures)
    k = len(ids)
    if k > MAX_GRID_MEASURES:
        raise ValueError(
            f"{k} measures give 2**{k} scenarios; at most {MAX_GRID_MEASURES} measures are enumerated"
        )
    active = ((np.arange(2**k)[:, None] >> np.arange(k)[None, :]) & 1).astype(bool)
    labels = [combination_label(row, ids) for row in active]
    return xr.DataArray(
        active,
        dims=(N.DIM_SCENARIO, N.DIM_MEASURE),
        coords={N.DIM_SCENARIO: labels, N.DIM_MEASURE: list(ids), N_ACTIVE: (N.DIM_SCENARIO, active.sum(1))},
        name="active",
    )


def bundle_grid(measures: MeasureSet, bundles: Sequence[str] | None = None) -> xr.DataArray:
    """The named bundles as rows of activity.

    Parameters
    ----------
    measures : MeasureSet
        Measures and their bundles.
    bundles : sequence of str, optional
        Which bundles (default all, in file order).

    Returns
    -------
    xarray.DataArray of bool
        Dims ``(scenario, measure)`` with the bundle ids as scenario labels, and
        the coordinates ``combination`` (the matching :func:`scenario_grid` label)
        and ``n_active``.
    """
    chosen = list(bundles) if bundles is not None else list(measures.bundles)
    rows = np.array([measures.active(measures.bundle(b).measures) for b in chosen], dtype=bool).reshape(
        len(chosen), len(measures)
    )
    return xr.DataArray(
        rows,
        dims=(N.DIM_SCENARIO, N.DIM_MEASURE),
        coords={
            N.DIM_SCENARIO: chosen,
            N.DIM_MEASURE: list(measures.ids),
            COMBINATION: (N.DIM_SCENARIO, [combination_label(r, measures.ids) for r in rows]),
            N_ACTIVE: (N.DIM_SCENARIO, rows.sum(1)),
        },
        name="active",
    )


def select_bundles(
    values: xr.DataArray, measures: MeasureSet, bundles: Sequence[str] | None = None
) -> xr.DataArray:
    """Pick the named bundles out of a summary over the full grid (scenario labels become bundle ids).

    Parameters
    ----------
    values : xarray.DataArray
        Any summary with a ``scenario`` dimension labelled as :func:`scenario_grid` does.
    measures : MeasureSet
        Measures and their bundles.
    bundles : sequence of str, optional
        Which bundles (default all).

    Returns
    -------
    xarray.DataArray
        ``values`` at the bundles' combinations, with the bundle ids as ``scenario``
        labels and the combination label kept as coordinate ``combination``.
    """
    rows = bundle_grid(measures, bundles)
    labels = [str(c) for c in rows[COMBINATION].values]
    missing = sorted(set(labels) - {str(s) for s in values[N.DIM_SCENARIO].values})
    if missing:
        raise KeyError(f"the summary has no scenario(s) {missing}")
    out = values.sel({N.DIM_SCENARIO: labels})
    return out.assign_coords(
        {N.DIM_SCENARIO: rows[N.DIM_SCENARIO].values, COMBINATION: (N.DIM_SCENARIO, labels)}
    )
