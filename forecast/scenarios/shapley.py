"""What each measure contributes: the Shapley decomposition over all combinations.

Measures interact (a housing push matters more when the ban on priority slows
housing), so "the effect of measure j" depends on which other measures are on.
The Shapley value averages j's marginal difference over every combination ``S``
of the other measures, with the weights ``|S|! (k - |S| - 1)! / k!``::

    phi_j = sum over S not containing j:  w(|S|) * (f(S + j) - f(S))

It splits ``f(all) - f(none)`` exactly over the measures, gives an additive
measure its own effect, gives two interchangeable measures the same value and a
measure that changes nothing zero.

For a summary ``f`` over the ``2**k`` scenarios of
:func:`forecast.scenarios.grid.scenario_grid` (any other dimensions, e.g.
``chain``, ``draw``, ``fase``), :func:`shapley` writes the sum as a
``(measure, scenario)`` weight matrix applied with one ``xarray.dot``: every
draw's contribution at once, so its posterior uncertainty follows directly.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from forecast import names as N

_DIMS = (N.DIM_SCENARIO, N.DIM_MEASURE)


def _check_grid(grid: xr.DataArray) -> np.ndarray:
    if set(grid.dims) != set(_DIMS):
        raise ValueError(f"the grid must have dims {_DIMS}, got {grid.dims}")
    active = np.asarray(grid.transpose(*_DIMS).values)
    if active.dtype != bool:
        raise ValueError(f"the grid must be boolean, got dtype {active.dtype}")
    n, k = active.shape
    codes = active.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
    if n != 2**k or len(np.unique(codes)) != n:
        raise ValueError(
            f"the grid must hold each of the 2**{k} = {2**k} combinations of its measures once "
            f"(got {n} scenarios, {len(np.unique(codes))} distinct)"
        )
    return active


def shapley_weights(grid: xr.DataArray) -> xr.DataArray:
    """The Shapley weight matrix of a full grid: ``phi = W @ f``.

    Parameters
    ----------
    grid : xarray.DataArray of bool
        ``(scenario, measure)`` holding every combination once (as from
        :func:`forecast.scenarios.grid.scenario_grid`, in any row order).

    Returns
    -------
    xarray.DataArray
        Dims ``(measure, scenario)``: ``+ (|T|-1)! (k-|T|)! / k!`` where measure j
        is in scenario T, ``- |T|! (k-|T|-1)! / k!`` where it is not. Every row
        sums to 0; the column sums are +1 at the full set, -1 at the empty set, 0
        elsewhere (efficiency).
    """
    active = _check_grid(grid)
    k = active.shape[1]
    size = active.sum(axis=1)
    # |S|! (k-|S|-1)! / k!  ==  1 / (k * C(k-1, |S|)) for |S| = 0..k-1: exact integers, no overflow
    w = np.array([1.0 / (k * math.comb(k - 1, s)) for s in range(k)]) if k else np.zeros(0)
    w_in = w[np.clip(size - 1, 0, max(k - 1, 0))] if k else np.zeros(len(size))  # T = S + j, |S| = |T| - 1
    w_out = w[np.clip(size, 0, max(k - 1, 0))] if k else np.zeros(len(size))  # T = S, j not in S
    weights = np.where(active, w_in[:, None], -w_out[:, None]).T
    g = grid.transpose(*_DIMS)
    return xr.DataArray(
        weights,
        dims=(N.DIM_MEASURE, N.DIM_SCENARIO),
        coords={N.DIM_MEASURE: g[N.DIM_MEASURE].values, N.DIM_SCENARIO: g[N.DIM_SCENARIO].values},
        name="shapley_weight",
    )


def shapley(values: xr.DataArray, grid: xr.DataArray) -> xr.DataArray:
    """Each measure's Shapley contribution to a summary, for every draw (and phase, ...) at once.

    Parameters
    ----------
    values : xarray.DataArray
        A summary (e.g. mean opvangbehoefte per phase) with a ``scenario``
        dimension holding at least every label of ``grid``, and any other
        dimensions (``chain``, ``draw``, ``fase``, ...). Extra scenarios (named
        bundles) are ignored.
    grid : xarray.DataArray of bool
        The full ``(scenario, measure)`` grid of
        :func:`forecast.scenarios.grid.scenario_grid`.

    Returns
    -------
    xarray.DataArray
        The contributions, dims ``(measure, ...)`` (the other dims of ``values``),
        in the units of ``values``. They sum over ``measure`` to
        ``f(all) - f(none)``.

    Raises
    ------
    ValueError
        For an incomplete grid, or ``values`` without a ``scenario`` dimension.
    KeyError
        When ``values`` lacks some scenario of the grid.

    Examples
    --------
    >>> from forecast.scenarios.grid import scenario_grid
    >>> grid = scenario_grid(["a", "b"])
    >>> f = xr.DataArray([0.0, 1.0, 2.0, 5.0], dims="scenario", coords={"scenario": grid.scenario.values})
    >>> shapley(f, grid).values.tolist()
    [2.0, 3.0]
    """
    if N.DIM_SCENARIO not in values.dims:
        raise ValueError(f"the summary has no {N.DIM_SCENARIO!r} dimension (dims: {values.dims})")
    weights = shapley_weights(grid)
    labels = [str(s) for s in weights[N.DIM_SCENARIO].values]
    have = {str(s) for s in values[N.DIM_SCENARIO].values}
    missing = [s for s in labels if s not in have]
    if missing:
        raise KeyError(f"the summary lacks {len(missing)} scenario(s) of the grid, e.g. {missing[:3]}")
    f = values.sel({N.DIM_SCENARIO: labels})
    f = f.drop_vars([c for c in f.coords if N.DIM_SCENARIO in f[c].dims and c != N.DIM_SCENARIO])
    out = xr.dot(weights, f, dim=N.DIM_SCENARIO)
    out.name = f"shapley_{values.name}" if values.name else "shapley"
    out.attrs = {
        **values.attrs,
        "description": "Shapley contribution of each measure (sums to f(all) - f(none))",
    }
    return out.transpose(N.DIM_MEASURE, ...)
