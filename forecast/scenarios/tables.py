"""The scenario engine's per-draw statistics summarised: bands, Shapley contributions and tables.

:func:`summarise` gives means, probabilities and bands per scenario and fase; :func:`contributions`
each measure's Shapley contribution over all combinations of the other measures. :func:`phase_table`
turns a summary into one row per (scenario, fase) and :func:`contribution_table` the contributions
into one row per (measure, fase); the reports and the command line write these tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.model.io import with_units
from forecast.scenarios.phase_stats import PHASE_STATISTICS
from forecast.scenarios.shapley import shapley

#: The attribute of a contribution's ``<stat>_mean`` that holds its floating-point noise level: 1e-9
#: times the largest value of the statistic. The Shapley sum of a measure that does not act cancels to
#: about 1e-14 of it, not to 0; :func:`contribution_table` shows such values as 0.
NOISE_TOLERANCE = "noise_tolerance"

#: central interval levels of the summaries
LEVELS = (0.5, 0.8, 0.95)
#: quantiles of the summaries (the bounds of :data:`LEVELS` and the median)
QUANTILES = (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975)


def summarise(phase_draws: xr.Dataset) -> xr.Dataset:
    """Means, probabilities and 50/80/95 % bands per scenario and fase.

    Parameters
    ----------
    phase_draws : xarray.Dataset
        Per-fase statistics per draw, as :meth:`~forecast.scenarios.ScenarioEngine.phase_draws` returns them.

    Returns
    -------
    xarray.Dataset
        For every statistic of :data:`PHASE_STATISTICS`: ``<stat>_mean`` (scenario, fase) and,
        except for ``exceeds_capacity``, ``<stat>_q`` (quantile, scenario, fase; :data:`QUANTILES`);
        ``exceeds_capacity_mean`` is P(need > capacity at any time in the fase). The attributes
        of ``phase_draws`` are kept.
    """
    sample = (N.DIM_CHAIN, N.DIM_DRAW)
    out = {}
    for k in PHASE_STATISTICS:
        x = phase_draws[k]
        out[f"{k}_mean"] = x.mean(sample)
        if k != "exceeds_capacity":
            out[f"{k}_q"] = x.quantile(list(QUANTILES), dim=sample)
    ds = with_units(xr.Dataset(out))
    ds.attrs.update(phase_draws.attrs)
    return ds


def contributions(
    phase_draws: xr.Dataset, grid: xr.DataArray, statistics: Sequence[str] = ("need_mean",)
) -> xr.Dataset:
    """Each measure's Shapley contribution per fase, per draw and summarised.

    The contribution of a measure is the difference it makes, averaged over all combinations of
    the other measures with the Shapley weights; the contributions add up to
    ``f(all measures) - f(no measures)`` for every draw.

    Parameters
    ----------
    phase_draws : xarray.Dataset
        Per-fase statistics of every combination of the measures, as
        :meth:`~forecast.scenarios.ScenarioEngine.phase_draws` with ``scenarios="all"`` returns them
        (extra scenarios, such as the bundles, are ignored).
    grid : xarray.DataArray
        Every combination of the measures (:func:`~forecast.scenarios.scenario_grid`), dims
        ``(scenario, measure)``.
    statistics : sequence of str, optional
        Names of :data:`PHASE_STATISTICS` to decompose; default ``("need_mean",)``.

    Returns
    -------
    xarray.Dataset
        For every statistic, in its unit: ``<stat>`` (measure, chain, draw, fase), ``<stat>_mean``
        (measure, fase) and ``<stat>_q`` (quantile, measure, fase; :data:`QUANTILES`), and
        ``<stat>_p_negative`` (the posterior probability that the measure lowers it; 0 where it
        does not act).

    Raises
    ------
    KeyError
        When ``phase_draws`` lacks a combination of the grid.
    """
    out = {}
    for k in statistics:
        c = shapley(phase_draws[k], grid)
        out[k] = c
        out[f"{k}_mean"] = c.mean((N.DIM_CHAIN, N.DIM_DRAW))
        out[f"{k}_q"] = c.quantile(list(QUANTILES), dim=(N.DIM_CHAIN, N.DIM_DRAW))
        # rounding noise of a measure that does not act (yet) is not a negative contribution
        tol = 1e-9 * float(np.nanmax(np.abs(phase_draws[k].values)) or 1.0)
        p_negative = (c < -tol).mean((N.DIM_CHAIN, N.DIM_DRAW))
        out[f"{k}_p_negative"] = p_negative.assign_attrs(
            units=N.DIMENSIONLESS, long_name=f"posterior probability that the measure lowers {k}"
        )
        out[f"{k}_mean"].attrs[NOISE_TOLERANCE] = tol
    ds = with_units(xr.Dataset(out))
    ds.attrs.update(phase_draws.attrs)
    return ds


def phase_table(summary: xr.Dataset, scenarios: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per (scenario, fase): the key numbers of :meth:`ScenarioEngine.summarise` as a table.

    Parameters
    ----------
    summary : xarray.Dataset
        The output of :meth:`ScenarioEngine.summarise`.
    scenarios : sequence of str, optional
        Scenario labels to keep; default every scenario of ``summary``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(scenario, fase)``, sorted by scenario. Columns: need (persons, mean over the
        fase) median with 80 % (``need_p10``, ``need_p90``) and 95 % (``need_p2.5``,
        ``need_p97.5``) bands, peak need median and 97.5 % quantile, need in places median,
        P(need > capacity at any time in the fase), noodopvang person-months (mean), cost in
        million euro (mean and 80 % band), statushouder share (median).
    """
    s = summary if scenarios is None else summary.sel({N.DIM_SCENARIO: list(scenarios)})

    def q(name, p):
        return s[f"{name}_q"].sel(quantile=p).drop_vars("quantile")

    cols = {
        "need_median": q("need_mean", 0.5),
        "need_p10": q("need_mean", 0.1),
        "need_p90": q("need_mean", 0.9),
        "need_p2.5": q("need_mean", 0.025),
        "need_p97.5": q("need_mean", 0.975),
        "peak_need_median": q("need_peak", 0.5),
        "peak_need_p97.5": q("need_peak", 0.975),
        "places_median": q("places_mean", 0.5),
        "p_need_exceeds_capacity": s["exceeds_capacity_mean"],
        "noodopvang_person_months_mean": s["noodopvang_person_months_mean"],
        "cost_meur_mean": s["cost_eur_mean"] / 1e6,
        "cost_meur_p10": q("cost_eur", 0.1) / 1e6,
        "cost_meur_p90": q("cost_eur", 0.9) / 1e6,
        "statushouder_share_median": q("statushouder_share", 0.5),
    }
    frame = xr.Dataset(cols).reset_coords(drop=True).to_dataframe()
    return frame.reorder_levels([N.DIM_SCENARIO, N.DIM_PHASE]).sort_index(level=0, sort_remaining=False)


def contribution_table(contributions: xr.Dataset, statistic: str = "need_mean") -> pd.DataFrame:
    """One row per (measure, fase): the Shapley contribution's mean, 80 % and 95 % bands and P(< 0).

    Parameters
    ----------
    contributions : xarray.Dataset
        The output of :meth:`ScenarioEngine.contributions`.
    statistic : str, optional
        Which decomposed statistic (default ``"need_mean"``, persons); it must be one the
        contributions were computed for.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(measure, fase)``, in the statistic's unit, with columns ``mean``, ``p2.5``,
        ``p10``, ``median``, ``p90``, ``p97.5`` and ``p_negative`` (posterior probability that
        the measure lowers the statistic). A contribution within the statistic's floating-point
        noise (:data:`NOISE_TOLERANCE`; a measure that does not act in the fase) is exactly 0, not
        ``3e-14`` or ``-0``; the datasets (and the ``.nc`` files) keep the values as computed.
    """
    c = contributions
    q = c[f"{statistic}_q"]
    cols = {
        "mean": c[f"{statistic}_mean"],
        "p2.5": q.sel(quantile=0.025).drop_vars("quantile"),
        "p10": q.sel(quantile=0.1).drop_vars("quantile"),
        "median": q.sel(quantile=0.5).drop_vars("quantile"),
        "p90": q.sel(quantile=0.9).drop_vars("quantile"),
        "p97.5": q.sel(quantile=0.975).drop_vars("quantile"),
        "p_negative": c[f"{statistic}_p_negative"],
    }
    table = xr.Dataset(cols).reset_coords(drop=True).to_dataframe()
    tol = float(c[f"{statistic}_mean"].attrs.get(NOISE_TOLERANCE, 0.0))
    values = table.columns.drop("p_negative")
    table[values] = table[values].mask(table[values].abs() <= tol, 0.0)  # NaN (no forecast months) stays
    return table
