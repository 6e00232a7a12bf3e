"""The finished scenario result: everything the reports show, computed once, saved and loaded.

:func:`scenario_result` runs the scenario grid's summaries on a fitted model and its
:class:`~forecast.scenarios.engine.ScenarioEngine` and returns a :class:`ScenarioResult`: the
phase summary of every scenario (means, probabilities, bands), each measure's Shapley
contributions, the bundles' monthly fans, the monthly fans of need of every scenario (the offline
explorer's data, :func:`~forecast.scenarios.fans.scenario_fans`), the fitted history behind the
charts, the in-sample coverage, the fit's diagnostics verdict and the provenance (seeds, data
and configuration hashes, versions, capacity and cost sources, data cut-off).
:meth:`ScenarioResult.save` writes it as one netCDF file (``OUT/scenarios/scenario_result.nc``),
:meth:`ScenarioResult.load` reads it back bit for bit, so that the reports
(:mod:`forecast.reports`) render a finished result and never need the fit or the grid again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.progress import progress_bar
from forecast.scenarios.fans import scenario_fans
from forecast.scenarios.tables import QUANTILES, contribution_table, phase_table

#: The Shapley-decomposed statistics a result holds (persons, person-months, euro).
CONTRIBUTION_STATISTICS: tuple[str, ...] = ("need_mean", "noodopvang_person_months", "cost_eur")

#: The per-fase statistics whose change against the reference bundle a result holds per draw.
DIFFERENCE_STATISTICS: tuple[str, ...] = ("need_mean", "cost_eur", "exceeds_capacity")

#: The bundle every other bundle is compared with (no new measure).
REFERENCE_BUNDLE = N.BUNDLE_GEEN_NIEUW_BELEID

#: The latent variables whose fitted history (10/50/90 % quantiles) the fan charts show.
HISTORY_VARIABLES: tuple[str, ...] = (
    N.OPVANGBEHOEFTE,
    N.OPVANGBEHOEFTE_PLACES,
    "ind_backlog",
    "instroom",
    "nareis",
    "statushouders",
)

#: Quantiles of the fitted history.
HISTORY_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)

#: Which observed series the fan chart of a variable shows as points.
OBSERVED_SERIES: dict[str, str] = {
    N.OPVANGBEHOEFTE: "coa_occupancy",
    "ind_backlog": "ind_backlog",
    "instroom": "first_applications",
    "nareis": "nareis",
    "statushouders": "coa_statushouders",
}

#: The file name of a saved result inside ``OUT/scenarios/``.
RESULT_FILE = "scenario_result.nc"

# groups of the saved file that are tables (one dimension ``row``; the index columns in an attribute)
_TABLES = ("observed", "coverage", "last_observations", "sources", "phases", "measures", "activity")
_DATASETS = ("summary", "contributions", "differences", "monthly", "history", "fans")
_ROW = "row"


class ScenarioResultError(ValueError):
    """A saved scenario result that cannot be read: missing, not one, or from other code."""


@dataclass(frozen=True)
class ScenarioResult:
    """A finished scenario run, as the reports show it.

    Parameters
    ----------
    summary : xarray.Dataset
        :meth:`ScenarioEngine.summarise` of every scenario (combinations and bundles); the
        ``scenario_kind`` coordinate says which is which.
    contributions : xarray.Dataset
        :meth:`ScenarioEngine.contributions` of :data:`CONTRIBUTION_STATISTICS`, summarised
        (``<stat>_mean``, ``<stat>_q``, ``<stat>_p_negative``; the per-draw values are left out).
    differences : xarray.Dataset
        Per bundle and fase, the change against :data:`REFERENCE_BUNDLE` computed draw by draw
        (so that its band is the band of the change, not a difference of bands): for every
        statistic of :data:`DIFFERENCE_STATISTICS`, ``<stat>_mean`` (scenario, fase) and, except
        for ``exceeds_capacity`` (a change of probability), ``<stat>_q`` (quantile, scenario,
        fase). Empty when the measures file has no such bundle.
    monthly : xarray.Dataset
        :meth:`ScenarioEngine.monthly_summary` of the bundles (the fan charts).
    history : xarray.Dataset
        The 10/50/90 % quantiles of :data:`HISTORY_VARIABLES` over the fitted months.
    observed : pandas.DataFrame
        The observations the charts show: ``variable``, ``date``, ``value``, ``definition``.
    coverage : pandas.DataFrame
        :meth:`ChainModel.coverage`: in-sample coverage per (series, definition).
    last_observations : pandas.DataFrame
        :meth:`History.last_observations`: the latest figure of each series (the data cut-off).
    sources : pandas.DataFrame
        Number of observation rows per source host (``rows``, indexed by ``host``).
    phases : pandas.DataFrame
        One row per fase: ``fase``, ``start``, ``end`` (exclusive) and ``forecast_months``.
    activity : pandas.DataFrame
        Which measures act in each scenario: one row per scenario (the combinations and the
        bundles), one 0/1 column per measure id, in file order.
    measures : pandas.DataFrame
        One row per measure and per bundle: ``id``, ``kind`` (``measure`` or ``bundle``),
        ``name_nl`` (the official Dutch name of the measures file) and ``name_en`` (its English
        rendering, for English pages).
    bundles : tuple of str
        The bundle ids (:attr:`MeasureSet.bundles`), in file order.
    diagnostics : str or None
        The fit's diagnostics report (``None`` when the fit has none).
    diagnostics_passed : bool or None
        Whether the fit passed its diagnostics gate (``None`` when it has no diagnostics).
    provenance : dict of str to str
        Seeds, hashes, versions, horizon, capacity and cost sources, measures file, data cut-off
        (``history_end``) and creation time (``created``).
    fans : xarray.Dataset, optional
        :func:`~forecast.scenarios.fans.scenario_fans`: monthly quantiles of need (persons and places)
        and the mean regular capacity of every combination and bundle (the explorer's data); empty
        by default (a result built by hand), :func:`scenario_result` always fills it.
    """

    summary: xr.Dataset
    contributions: xr.Dataset
    differences: xr.Dataset
    monthly: xr.Dataset
    history: xr.Dataset
    observed: pd.DataFrame
    coverage: pd.DataFrame
    last_observations: pd.DataFrame
    sources: pd.DataFrame
    phases: pd.DataFrame
    measures: pd.DataFrame
    activity: pd.DataFrame
    bundles: tuple[str, ...]
    diagnostics: str | None
    diagnostics_passed: bool | None
    provenance: dict[str, str]
    fans: xr.Dataset = field(default_factory=xr.Dataset)

    # ------------------------------------------------------------------ views
    def table(self, measures: bool = False) -> pd.DataFrame:
        """The key numbers of every scenario per fase.

        Parameters
        ----------
        measures : bool, optional
            Put one 0/1 column per measure (:attr:`activity`) before the numbers, so that a table
            can be filtered by measure without parsing the scenario key (default False).

        Returns
        -------
        pandas.DataFrame
            :func:`~forecast.scenarios.engine.phase_table` of :attr:`summary`, indexed
            (scenario, fase).
        """
        table = phase_table(self.summary)
        if not measures:
            return table
        active = self.activity.reindex(table.index.get_level_values(N.DIM_SCENARIO))
        active.index = table.index
        return pd.concat([active, table], axis=1)

    def contribution_table(self, statistic: str = "need_mean") -> pd.DataFrame:
        """:func:`~forecast.scenarios.engine.contribution_table` of one decomposed statistic.

        Parameters
        ----------
        statistic : str, optional
            One of :data:`CONTRIBUTION_STATISTICS` (default mean need in persons).

        Returns
        -------
        pandas.DataFrame
            Indexed by (measure, fase).
        """
        return contribution_table(self.contributions, statistic)

    def combinations(self) -> list[str]:
        """The scenario ids of the measure combinations (not the bundles).

        Returns
        -------
        list of str
            In grid order.
        """
        kinds = self.summary["scenario_kind"].values
        return [
            str(s)
            for s, k in zip(self.summary[N.DIM_SCENARIO].values, kinds, strict=True)
            if k == "combination"
        ]

    def fase_names(self) -> list[str]:
        """The fase names.

        Returns
        -------
        list of str
            In schedule order.
        """
        return [str(f) for f in self.phases["fase"]]

    def has_forecast_months(self, fase: str) -> bool:
        """Whether any forecast month lies in a fase.

        Parameters
        ----------
        fase : str
            One of :meth:`fase_names`.

        Returns
        -------
        bool
            False for a fase that ended before the forecast starts.
        """
        return bool(self.phases.set_index("fase").loc[fase, "forecast_months"] > 0)

    def meeting(self, targets: Any) -> Any:
        """The combinations that meet policy targets: :func:`~forecast.scenarios.targets.meeting`.

        Parameters
        ----------
        targets : str or Target or iterable of str or Target
            For example ``"p_need_exceeds_capacity <= 0.10 @ normalisatie"``; all must hold.

        Returns
        -------
        TargetAnswer
            The combinations that meet, cheapest first, the subset-minimal ones, or the closest.
        """
        from forecast.scenarios.targets import meeting

        return meeting(self, targets)

    # ------------------------------------------------------------------ files
    def to_datatree(self) -> xr.DataTree:
        """The result as one tree, as :meth:`save` writes it.

        Returns
        -------
        xarray.DataTree
            One group per dataset and per table (a table along a ``row`` dimension, its index
            columns named in the group's ``index`` attribute); bundles, diagnostics and provenance
            as attributes of the root.
        """
        groups = {f"/{g}": getattr(self, g) for g in _DATASETS}
        for g in _TABLES:
            groups[f"/{g}"] = _table_dataset(getattr(self, g))
        tree = xr.DataTree.from_dict(groups)
        tree.attrs = {
            "kind": "forecast.scenarios.ScenarioResult",
            "bundles": json.dumps(list(self.bundles)),
            "diagnostics": "" if self.diagnostics is None else self.diagnostics,
            "diagnostics_passed": ""
            if self.diagnostics_passed is None
            else str(int(self.diagnostics_passed)),
            "provenance": json.dumps(self.provenance, sort_keys=True),
        }
        return tree

    def save(self, path: str | Path) -> Path:
        """Write the result to one netCDF file, atomically (:func:`forecast.model.io.save_tree`).

        Parameters
        ----------
        path : str or pathlib.Path
            Target ``*.nc`` file; its folder must exist.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        from forecast.model.io import save_tree

        return save_tree(self.to_datatree(), path)

    @classmethod
    def load(cls, path: str | Path) -> ScenarioResult:
        """Read a result written by :meth:`save`.

        Parameters
        ----------
        path : str or pathlib.Path
            A ``scenario_result.nc``, or the folder that holds one (``OUT/scenarios``).

        Returns
        -------
        ScenarioResult
            Equal, value for value, to the result that was saved.

        Raises
        ------
        ScenarioResultError
            When the file is missing, unreadable or not a scenario result.
        """
        path = Path(path)
        if path.is_dir():
            path = path / RESULT_FILE
        if not path.is_file():
            raise ScenarioResultError(
                f"no scenario result at {path}: run `forecast scenarios` (or `forecast run`) first"
            )
        try:
            with xr.open_datatree(path, engine="h5netcdf") as opened:
                tree = opened.load()
        except (OSError, ValueError) as err:
            raise ScenarioResultError(f"{path}: not a readable netCDF file ({err})") from err
        if tree.attrs.get("kind") != "forecast.scenarios.ScenarioResult":
            raise ScenarioResultError(f"{path}: not a scenario result (written by `forecast scenarios`)")
        missing = [g for g in (*_DATASETS, *_TABLES) if g not in tree.children]
        if missing:
            raise ScenarioResultError(f"{path}: the scenario result lacks the group(s) {missing}")
        passed = tree.attrs.get("diagnostics_passed", "")
        return cls(
            **{g: tree[g].to_dataset() for g in _DATASETS},
            **{g: _dataset_table(tree[g].to_dataset()) for g in _TABLES},
            bundles=tuple(json.loads(tree.attrs["bundles"])),
            diagnostics=tree.attrs.get("diagnostics") or None,
            diagnostics_passed=None if passed == "" else bool(int(passed)),
            provenance=json.loads(tree.attrs["provenance"]),
        )


def _table_dataset(table: pd.DataFrame) -> xr.Dataset:
    """A table as a Dataset along ``row``, its index columns named in the ``index`` attribute."""
    index = [n for n in table.index.names if n is not None]
    flat = table.reset_index() if index else table.reset_index(drop=True)
    ds = xr.Dataset({str(c): (_ROW, flat[c].to_numpy()) for c in flat.columns})
    ds.attrs["index"] = json.dumps(index)
    ds.attrs["columns"] = json.dumps([str(c) for c in flat.columns])
    return ds


def _dataset_table(ds: xr.Dataset) -> pd.DataFrame:
    """The inverse of :func:`_table_dataset`."""
    columns = json.loads(ds.attrs["columns"])
    index = json.loads(ds.attrs["index"])
    table = pd.DataFrame({c: ds[c].values for c in columns})
    return table.set_index(index) if index else table


def _differences(draws: xr.Dataset, bundles: tuple[str, ...]) -> xr.Dataset:
    """Each bundle's change against :data:`REFERENCE_BUNDLE`, draw by draw, summarised."""
    if REFERENCE_BUNDLE not in bundles:
        return xr.Dataset()
    sample = (N.DIM_CHAIN, N.DIM_DRAW)
    out = {}
    for k in DIFFERENCE_STATISTICS:
        x = draws[k].sel({N.DIM_SCENARIO: list(bundles)})
        change = x - draws[k].sel({N.DIM_SCENARIO: REFERENCE_BUNDLE}, drop=True)
        out[f"{k}_mean"] = change.mean(sample)
        if k != "exceeds_capacity":
            out[f"{k}_q"] = change.quantile(list(QUANTILES), dim=sample)
    ds = xr.Dataset(out).reset_coords(drop=True)
    ds.attrs["reference"] = REFERENCE_BUNDLE
    return ds


def _observed(history: Any) -> pd.DataFrame:
    """The observations behind the fan charts (:data:`OBSERVED_SERIES`), one row per point."""
    obs = history.observations
    parts = []
    for var, series in OBSERVED_SERIES.items():
        o = obs[obs[N.SERIES] == series]
        if var in ("instroom", "nareis"):  # flows: the monthly figures, dated at the month's start
            o = o[o["frequency"] == "M"]
            dates = pd.to_datetime(o[N.PERIOD_START])
        else:  # stocks: dated at the count
            dates = pd.to_datetime(o[N.PERIOD_END])
        parts.append(
            pd.DataFrame(
                {
                    "variable": var,
                    "date": dates.to_numpy(),
                    "value": o[N.VALUE].astype(float).to_numpy(),
                    "definition": o[N.DEFINITION].to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _sources(history: Any) -> pd.DataFrame:
    """Number of observation rows per source host, most first."""
    o = history.observations
    hosts = o[N.SOURCE_URL].str.extract(r"https?://(?:www\.)?([^/]+)")[0].rename("host")
    counts = o.assign(host=hosts).groupby("host").size()
    return counts.sort_values(ascending=False).rename("rows").to_frame()


def _phases(engine: Any) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fase": [p.name for p in engine.phases],
            "start": [p.start for p in engine.phases],
            "end": [p.end for p in engine.phases],
            "forecast_months": [len(engine.phase_months[p.name]) for p in engine.phases],
        }
    )


def _measures(engine: Any) -> pd.DataFrame:
    """The measures and bundles with their Dutch and English names, in file order."""
    ms = engine.measures
    rows = [(m.id, "measure", m.name_nl, m.name_en) for m in ms]
    rows += [(b.id, "bundle", b.name_nl, b.name_en) for b in ms.bundles.values()]
    return pd.DataFrame(rows, columns=["id", "kind", "name_nl", "name_en"])


def _activity(engine: Any) -> pd.DataFrame:
    """Which measures act in each scenario of the grid and in each bundle, as 0/1."""
    rows = xr.concat([engine.grid(), engine.bundles().drop_vars("combination")], dim=N.DIM_SCENARIO)
    frame = rows.astype(int).to_pandas()
    frame.index.name, frame.columns.name = N.DIM_SCENARIO, None
    return frame


def _provenance(model: Any, engine: Any) -> dict[str, str]:
    attrs = model.idata.attrs
    prov = {k: str(v) for k, v in engine.provenance.items()}
    prov.update(
        {
            "fit_random_seed": str(attrs.get("random_seed", "")),
            "versions": str(attrs.get("versions", "{}")),
            "machine": str(attrs.get("machine", "{}")),
            "history_end": f"{model.history.observations[N.PERIOD_END].max():%Y-%m-%d}",
            "fitted_months": f"{model.fitted_months()[0]:%Y-%m}..{model.fitted_months()[-1]:%Y-%m}",
            "created": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return prov


def _history(model: Any) -> xr.Dataset:
    """The 10/50/90 % quantiles of :data:`HISTORY_VARIABLES` over the fitted months."""
    latent = model.latent_dataset()
    present = [v for v in HISTORY_VARIABLES if v in latent]
    return latent[present].quantile(list(HISTORY_QUANTILES), dim=(N.DIM_CHAIN, N.DIM_DRAW))


def _coverage(model: Any, engine: Any) -> pd.DataFrame:
    """In-sample coverage, sampling the posterior predictive (with the engine's seed) when missing."""
    if "posterior_predictive" not in model.idata.children:
        model.sample_posterior_predictive(random_seed=engine.random_seed)
    return model.coverage()


def scenario_result(
    model: Any, engine: Any, draws: xr.Dataset | None = None, progress: bool | None = None
) -> ScenarioResult:
    """Summarise a scenario run into the :class:`ScenarioResult` the reports show.

    Parameters
    ----------
    model : ChainModel
        The fitted model the engine was built on; its posterior predictive is sampled (with the
        engine's seed) when missing, for the in-sample coverage.
    engine : ScenarioEngine
        The scenario engine.
    draws : xarray.Dataset, optional
        :meth:`ScenarioEngine.phase_draws` of the full grid (computed when omitted).
    progress : bool or None, optional
        A bar over the summaries (and over the grid's chunks when ``draws`` is omitted), with the
        time left (:mod:`forecast.progress`): True, False, or None (default) for a terminal only.

    Returns
    -------
    ScenarioResult
        Its numbers are those of :meth:`ScenarioEngine.summarise`, :meth:`ScenarioEngine.contributions`
        and :meth:`ScenarioEngine.monthly_summary`, unrounded (the fans of every scenario as float32).
    """
    draws = draws if draws is not None else engine.phase_draws(progress=progress)
    bundles = tuple(engine.measures.bundles)
    steps = {  # the summaries after the grid: one step of the progress bar each
        "contributions": lambda: engine.contributions(draws, CONTRIBUTION_STATISTICS),
        "phase summary": lambda: engine.summarise(draws),
        "bundles against the reference": lambda: _differences(draws, bundles),
        "monthly fans": lambda: engine.monthly_summary(list(bundles)),
        "every scenario's fans": lambda: scenario_fans(engine, progress=progress),
        "fitted history": lambda: _history(model),
        "coverage": lambda: _coverage(model, engine),
    }
    done = {}
    with progress_bar(len(steps), "scenario summaries", progress) as bar:
        for name, compute in steps.items():
            bar.set_postfix_str(name)
            done[name] = compute()
            bar.update(1)
    diagnostics = model.diagnostics
    return ScenarioResult(
        summary=done["phase summary"],
        contributions=done["contributions"].drop_vars(list(CONTRIBUTION_STATISTICS)),
        differences=done["bundles against the reference"],
        monthly=done["monthly fans"],
        history=done["fitted history"],
        fans=done["every scenario's fans"],
        observed=_observed(model.history),
        coverage=done["coverage"],
        last_observations=model.history.last_observations(),
        sources=_sources(model.history),
        phases=_phases(engine),
        measures=_measures(engine),
        activity=_activity(engine),
        bundles=bundles,
        diagnostics=None if diagnostics is None else str(diagnostics),
        diagnostics_passed=None if diagnostics is None else bool(diagnostics.passed),
        provenance=_provenance(model, engine),
    )


__all__ = [
    "CONTRIBUTION_STATISTICS",
    "DIFFERENCE_STATISTICS",
    "HISTORY_QUANTILES",
    "HISTORY_VARIABLES",
    "OBSERVED_SERIES",
    "REFERENCE_BUNDLE",
    "RESULT_FILE",
    "ScenarioResult",
    "ScenarioResultError",
    "scenario_result",
]
