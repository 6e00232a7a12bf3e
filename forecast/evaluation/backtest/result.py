"""The result of a backtest: the scored forecasts of every origin and method, and their tables.

:class:`OriginResult` holds one origin's scored forecasts and fit record; :class:`BacktestResult`
holds them all and aggregates them (scores per series, horizon bucket and method, the model's skill
against each baseline, the issue's targets), reports them as text and saves them as one set of
files. It returns data only: the figures are drawn by :mod:`forecast.reports.backtest`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast import atomic
from forecast import names as N
from forecast.evaluation.backtest.origins import (
    BUCKET,
    COVER,
    CRPS,
    CRPS_LOG,
    HORIZON,
    METHOD,
    METHODS,
    MODEL,
    OBSERVED,
    ORIGIN,
    PINBALL,
    PIT,
    QUANTILES,
    TARGET_COVERAGE_HORIZONS,
    TARGET_COVERAGE_RANGE,
    TARGET_CRPS_BUCKET,
    TARGET_CRPS_SERIES,
    BacktestSettings,
    bucket_label,
    quantile_column,
)
from forecast.evaluation.baselines import BASELINES, SEASONAL_NAIVE
from forecast.model import ChainModel


@dataclass
class OriginResult:
    """The forecasts and scores of one origin, and what its fit saw.

    Parameters
    ----------
    origin : pandas.Timestamp
        The forecast origin.
    forecasts : pandas.DataFrame
        :func:`score_frame` of every method of :data:`METHODS`, stacked.
    fit : dict of str to Any
        The fit record (one row of :attr:`BacktestResult.fits`): fitted window, last dates the fit
        saw, the hash of the input vintages it used (``input_vintage_hash``), rows used, targets,
        seed, diagnostics and seconds.
    model : ChainModel or None
        The fitted model, when it was kept.
    """

    origin: pd.Timestamp
    forecasts: pd.DataFrame
    fit: dict[str, Any]
    model: ChainModel | None = None


#: Columns of :attr:`BacktestResult.fits` that depend on the machine (left out of comparisons).
TIMING_COLUMNS = ("seconds", "fit_seconds")


@dataclass
class BacktestResult:
    """Forecasts, scores and fit records of a backtest over many origins.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        One row per (origin, target figure, method): the figure's keys, ``horizon``,
        ``horizon_bucket``, ``observed``, ``method``, the predictive quantiles
        (:data:`QUANTILES`, natural scale), ``crps_log``, ``crps``, ``pinball90_log``, ``pit``
        and ``cover_50`` / ``cover_80`` / ``cover_95``.
    fits : pandas.DataFrame
        One row per origin: the fitted window, the last dates the fit saw (the leak check), the
        diagnostics verdict and the seconds taken.
    settings : BacktestSettings
        The settings of the run.
    models : dict of pandas.Timestamp to ChainModel
        Origin -> fitted :class:`~forecast.model.ChainModel` (only with ``keep_models=True``).
    wall_seconds : float
        Wall time of the whole run in seconds (NaN when not measured).
    """

    forecasts: pd.DataFrame
    fits: pd.DataFrame
    settings: BacktestSettings
    models: dict[pd.Timestamp, ChainModel] = field(default_factory=dict)
    wall_seconds: float = float("nan")

    # ------------------------------------------------------------------ tables
    def table(self) -> pd.DataFrame:
        """One row per (origin, figure): observed, the model's quantiles and each baseline's median / 90 %.

        Returns
        -------
        pandas.DataFrame
            The figure's keys (origin, series, definition, frequency, period, horizon, bucket) and
            ``observed``, then ``model_q<level>`` for every level of :data:`QUANTILES` and
            ``<baseline>_q50``, ``<baseline>_q90`` for each baseline (natural scale).
        """
        keys = [
            ORIGIN,
            N.SERIES,
            N.DEFINITION,
            N.FREQUENCY,
            N.PERIOD_START,
            N.PERIOD_END,
            HORIZON,
            BUCKET,
            OBSERVED,
        ]
        f = self.forecasts
        model = f[f[METHOD] == MODEL].set_index(keys)[[quantile_column(q) for q in QUANTILES]]
        model.columns = [f"{MODEL}_{c}" for c in model.columns]
        parts = [model]
        for b in BASELINES:
            part = f[f[METHOD] == b].set_index(keys)[[quantile_column(0.5), quantile_column(0.9)]]
            part.columns = [f"{b}_{c}" for c in part.columns]
            parts.append(part)
        return pd.concat(parts, axis=1).reset_index()

    def common(self) -> pd.DataFrame:
        """The forecasts on the figures that every method applicable to the series forecast.

        The seasonal naive baseline applies to flows only; a figure enters the comparison when
        the model and every applicable baseline have a forecast for it.

        Returns
        -------
        pandas.DataFrame
            The rows of :attr:`forecasts` of those figures (a figure is its origin, source file and
            line), for the applicable methods only.
        """
        f = self.forecasts
        key = [ORIGIN, N.SOURCE_FILE, N.LINE]
        flow = f[N.SERIES].map(lambda s: N.OBSERVATION_SERIES[s].kind == N.FLOW)
        applicable = flow | (f[METHOD] != SEASONAL_NAIVE)
        missing = applicable & f[CRPS_LOG].isna()
        bad = f.loc[missing, key].drop_duplicates()
        merged = f.merge(bad.assign(_bad=True), on=key, how="left")
        return f[(merged["_bad"].isna().to_numpy()) & applicable.to_numpy()]

    def scores(self, common: bool = True, by: Sequence[str] = (N.SERIES, BUCKET)) -> pd.DataFrame:
        """Aggregated scores per ``by`` and method: n, coverage 50/80/95, mean CRPS (log and natural),
        mean 90 % pinball loss (log) and the PIT's mean.

        Parameters
        ----------
        common : bool
            Score every method on the same figures (:meth:`common`, default); False: each method
            on every figure it forecast.
        by : sequence of str
            Grouping columns besides the method (default series and horizon bucket).

        Returns
        -------
        pandas.DataFrame
            One row per group and method: the ``by`` columns, ``method``, ``n`` (figures),
            ``cover_50`` / ``cover_80`` / ``cover_95``, ``crps_log``, ``crps``, ``pinball90_log`` and
            ``pit_mean``; sorted by the groups (buckets in settings order) and :data:`METHODS`.
        """
        f = self.common() if common else self.forecasts.dropna(subset=[CRPS_LOG])
        cols = [*COVER.values(), CRPS_LOG, CRPS, PINBALL, PIT]
        g = f.groupby([*by, METHOD], sort=False)
        out = g[cols].mean()
        out.insert(0, "n", g.size())
        out = out.rename(columns={PIT: "pit_mean"})
        order = {m: i for i, m in enumerate(METHODS)}
        bucket_order = {bucket_label(*b): i for i, b in enumerate(self.settings.buckets)}
        out = out.reset_index()
        out["_m"] = out[METHOD].map(order)
        sort = [*by, "_m"]
        if BUCKET in by:
            out["_b"] = out[BUCKET].map(bucket_order)
            sort = [c if c != BUCKET else "_b" for c in sort]
        return (
            out.sort_values(sort).drop(columns=[c for c in ("_m", "_b") if c in out]).reset_index(drop=True)
        )

    def skill(self) -> pd.DataFrame:
        """Mean log CRPS per series and bucket on the common figures: each method's, and the model's
        relative to each baseline (``skill_<baseline> = 1 - CRPS_model / CRPS_baseline``; > 0: the
        model is better).

        Returns
        -------
        pandas.DataFrame
            One row per (series, horizon bucket): ``n`` (the model's common figures),
            ``crps_<method>`` for every method, ``skill_<baseline>`` for every baseline and
            ``model_beats_all`` (the model's mean log CRPS is below every baseline's).
        """
        s = self.scores(common=True)
        wide = s.pivot_table(index=[N.SERIES, BUCKET], columns=METHOD, values=CRPS_LOG, sort=False)
        n = s[s[METHOD] == MODEL].set_index([N.SERIES, BUCKET])["n"]
        out = pd.DataFrame({"n": n})
        for m in METHODS:
            if m in wide:
                out[f"crps_{m}"] = wide[m]
        for b in BASELINES:
            if b in wide:
                out[f"skill_{b}"] = 1.0 - wide[MODEL] / wide[b]
        base = [f"crps_{b}" for b in BASELINES if f"crps_{b}" in out]
        out["model_beats_all"] = out[f"crps_{MODEL}"] < out[base].min(axis=1, skipna=True)
        return out.reset_index()

    def issue_targets(self) -> pd.DataFrame:
        """Issue #6's targets, met or not.

        * per series: the share of held-out figures at horizons of 6-12 months inside the model's
          central 80 % interval must lie in 70-90 %;
        * for COA occupancy and first applications: the model's mean log CRPS in the 7-12 month
          bucket must be below every baseline's (on the common figures).

        Returns
        -------
        pandas.DataFrame
            One row per target and series: ``target`` (in words), ``series``, ``value`` (the
            coverage share or the model's mean log CRPS), ``n`` (figures) and ``met`` (True/False,
            None when there are no figures).
        """
        rows = []
        f = self.forecasts[self.forecasts[METHOD] == MODEL]
        lo_h, hi_h = TARGET_COVERAGE_HORIZONS
        lo, hi = TARGET_COVERAGE_RANGE
        for s in self.settings.series:
            sel = f[(f[N.SERIES] == s) & f[HORIZON].between(lo_h, hi_h)]
            cov = float(sel[COVER[0.8]].mean()) if len(sel) else np.nan
            rows.append(
                {
                    "target": f"80 % coverage at {lo_h}-{hi_h} months in [{lo:.0%}, {hi:.0%}]",
                    N.SERIES: s,
                    "value": cov,
                    "n": len(sel),
                    "met": bool(lo <= cov <= hi) if len(sel) else None,
                }
            )
        sk = self.skill()
        for s in TARGET_CRPS_SERIES:
            r = sk[(sk[N.SERIES] == s) & (sk[BUCKET] == TARGET_CRPS_BUCKET)]
            if s not in self.settings.series:
                continue
            rows.append(
                {
                    "target": f"{TARGET_CRPS_BUCKET} month log CRPS below every baseline",
                    N.SERIES: s,
                    "value": float(r[f"crps_{MODEL}"].iloc[0]) if len(r) else np.nan,
                    "n": int(r["n"].iloc[0]) if len(r) else 0,
                    "met": bool(r["model_beats_all"].iloc[0]) if len(r) else None,
                }
            )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """A plain-text report: the run, the fits, coverage, CRPS skill and the issue's targets.

        Returns
        -------
        str
            The report, lines joined by newlines (no final newline).
        """
        pd_opts = {"display.width": 200, "display.max_columns": 30, "display.max_rows": 200}
        with pd.option_context(*[x for kv in pd_opts.items() for x in kv]):
            fits = self.fits.drop(
                columns=["last_input_start", "last_event_start", "input_vintage_hash", "fit_start"],
                errors="ignore",
            )
            st = self.settings
            sc = self.scores(common=False)
            cov = sc[sc[METHOD] == MODEL][[N.SERIES, BUCKET, "n", *COVER.values()]]
            lines = [
                f"backtest: {len(self.fits)} origins, {st.chains} chains x {st.draws} draws "
                f"(+{st.tune} tune, target acceptance {st.target_accept}), seed {st.random_seed}, "
                f"wall {self.wall_seconds:.0f} s",
                "",
                "fits:",
                fits.to_string(index=False),
                "",
                "model coverage of central intervals (all scored figures):",
                cov.round(3).to_string(index=False),
                "",
                "mean log CRPS and 90 % pinball loss (common figures):",
                self.scores(common=True)[[N.SERIES, BUCKET, METHOD, "n", *COVER.values(), CRPS_LOG, PINBALL]]
                .round(3)
                .to_string(index=False),
                "",
                "CRPS skill of the model vs each baseline (1 - CRPS_model / CRPS_baseline, > 0: better):",
                self.skill().round(3).to_string(index=False),
                "",
                "issue #6 targets:",
                self.issue_targets().round(3).to_string(index=False),
            ]
        return "\n".join(lines)

    def save(self, directory: str | Path, figures: Mapping[str, bytes] | None = None) -> dict[str, Path]:
        """Write ``forecasts.csv``, ``fits.csv``, ``scores.csv``, ``skill.csv``, ``summary.txt`` and
        the given ``figures`` to ``directory`` as one set (:func:`forecast.atomic.output_set`: staged
        first, renamed into place together, listed in ``MANIFEST.json``); returns the paths.

        Parameters
        ----------
        directory : str or pathlib.Path
            The output folder (created if missing); existing files of these names are replaced.
        figures : mapping of str to bytes, optional
            Files drawn from this result, written into the same set: file name -> content, e.g.
            ``pit.png`` and ``crps.png`` of :func:`forecast.reports.backtest.figure_files`.

        Returns
        -------
        dict of str to pathlib.Path
            The path of each file by its name without suffix (``"forecasts"``, ``"fits"``,
            ``"scores"``, ``"skill"``, ``"summary"``, and one per figure, e.g. ``"pit"``, ``"crps"``).
        """
        d = Path(directory)
        texts = {
            "forecasts.csv": self.forecasts.to_csv(index=False),
            "fits.csv": self.fits.to_csv(index=False),
            "scores.csv": self.scores().to_csv(index=False),
            "skill.csv": self.skill().to_csv(index=False),
            "summary.txt": self.summary() + "\n",
        }
        images = dict(figures or {})
        # one set: an error or Ctrl-C leaves the previous backtest's files, never a mix
        with atomic.output_set(d, command="backtest") as stage:
            for name, text in texts.items():
                (stage / name).write_text(text, encoding="utf-8")
            for name, data in images.items():
                (stage / name).write_bytes(data)
        paths = {name.split(".")[0]: d / name for name in (*texts, *images)}
        return paths
