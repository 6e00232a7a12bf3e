"""Self-contained HTML reports per fase and an index page, with machine-readable tables beside them.

:func:`build_reports` renders a finished :class:`~forecast.scenarios.result.ScenarioResult` (it
computes nothing itself) and writes, into ``out/reports/``:

* ``index.html``: the first screen (the diagnostics verdict in one line, the data cut-off, a
  plain-language paragraph per fase, :mod:`forecast.reports.headline`), the table of every bundle
  per fase, assumptions, links to the fase pages that exist, the diagnostics and provenance;
* ``<fase>.html`` for every fase: fan charts of opvangbehoefte in persons and in places (observed
  history, fitted history, forecast bands of the key scenarios, fase boundaries, capacity), the table
  of every scenario in the fase (median, 80 % band, P(need > capacity), noodopvang, cost), each
  measure's Shapley contribution, the statushouder share, the bands of instroom, nareis and the IND
  backlog, the model's fit to the history (posterior predictive coverage per series), the sampler
  diagnostics (flagged prominently when they fail), and data and prior provenance (sources, last
  observation per series, versions, seed, data hash);
* ``explorer.html``: the offline scenario explorer (:mod:`forecast.reports.explorer`): toggle the
  measures, type a capacity, ask which combinations meet a target;
* ``tables/*.csv`` (one per table) and ``scenario_summary.nc`` (the per-fase summaries and
  contributions of every scenario).

Every image is embedded as a ``data:`` URI: the pages open offline and fetch nothing. Every file is
written to a temporary name and renamed: an error or Ctrl-C leaves no half-written file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Sequence
from pathlib import Path

import pandas as pd
import xarray as xr

from forecast import atomic
from forecast import names as N
from forecast.model.io import save_tree
from forecast.reports.charts import PageCharts
from forecast.reports.combinations import combinations_html
from forecast.reports.explorer import EXPLORER_FILE, explorer_page
from forecast.reports.headline import headline_html, headline_table
from forecast.reports.labels import labels, measure_names, number_band
from forecast.reports.markup import Formats, esc, img, table
from forecast.reports.render import PageRenderer
from forecast.scenarios.result import ScenarioResult

#: The tables written beside each fase page (``tables/<fase>_<table>.csv``).
FASE_TABLES = ("bundles", "scenarios", "contributions_need", "contributions_cost")

#: scenarios drawn in the fan charts (the first two bundles a reader compares)
KEY_SCENARIOS = (N.BUNDLE_KABINETSBELEID, N.BUNDLE_GEEN_NIEUW_BELEID)


class ReportBuilder:
    """Renders the pages of a finished scenario result.

    Parameters
    ----------
    result : ScenarioResult
        :func:`forecast.scenarios.scenario_result` of a fitted model and its engine, or
        :meth:`ScenarioResult.load` of a saved one: the pages compute nothing themselves.
    lang : {"nl", "en"}
        Language of the labels (Dutch by default).
    validation : str or os.PathLike, optional
        The output folder of ``forecast backtest``; when it is an existing folder, the index page
        shows its scores and figures (otherwise it is ignored).
    pages : collection of str, optional
        The fases whose pages exist (written now or before): the navigation and the index link only
        to those. Default: every fase.
    templates : str or os.PathLike, optional
        A folder of one's own ``page.html`` / ``style.css`` (:class:`~forecast.reports.render.PageRenderer`).

    Raises
    ------
    ValueError
        For a language not in :data:`forecast.names.LANGUAGES`.
    """

    def __init__(
        self,
        result: ScenarioResult,
        lang: str = "nl",
        validation: str | os.PathLike | None = None,
        pages: Collection[str] | None = None,
        templates: str | os.PathLike | None = None,
    ) -> None:
        self.renderer = PageRenderer(templates)
        self.validation = Path(validation) if validation is not None and Path(validation).is_dir() else None
        self.L = labels(lang)
        self.lang = lang
        self.f = Formats(lang)
        self.result = result
        self.bundles = list(result.bundles)
        self.key = [b for b in KEY_SCENARIOS if b in self.bundles] or self.bundles[:2]
        self.coverage = result.coverage
        self.table = result.table()
        ph = result.phases
        self.phases = [
            (n, pd.Timestamp(a), pd.Timestamp(b))
            for n, a, b in zip(ph["fase"], ph["start"], ph["end"], strict=True)
        ]
        self.pages = set(pages) if pages is not None else {n for n, _, _ in self.phases}
        self.names = measure_names(result.measures, lang)
        self.charts = PageCharts(result, lang, self.key, self.phases)

    # ------------------------------------------------------------------ pieces
    def _name(self, key: str) -> str:
        """A measure's or bundle's name in the page's language, with its id when the name does not
        simply spell it (the CSV files and the scenario keys use the ids)."""
        name = str(self.names.get(key, key))
        return name if name.casefold() == key.replace("_", " ").casefold() else f"{name} ({key})"

    def _scenario_table(self, fase: str, rows: Sequence[str]) -> pd.DataFrame:
        t = self.table.xs(fase, level=N.DIM_PHASE).loc[list(rows)]
        L = self.L
        # cost per year (the fase's total over its forecast months x 12): fases of 12 and 42 months compare
        per_year = 12 / int(self.result.phases.set_index("fase").loc[fase, "forecast_months"])
        out = pd.DataFrame(
            {
                L["median"]: t["need_median"],
                L["band80"]: [
                    number_band(a, b, self.lang) for a, b in zip(t["need_p10"], t["need_p90"], strict=True)
                ],
                L["peak"]: t["peak_need_median"],
                L["places"]: t["places_median"],
                L["p_exceed"]: t["p_need_exceeds_capacity"],
                L["noodopvang_pm"]: t["noodopvang_person_months_mean"],
                L["cost_year"]: t["cost_meur_mean"] * per_year,
                L["cost_year_band"]: [
                    number_band(a * per_year, b * per_year, self.lang)
                    for a, b in zip(t["cost_meur_p10"], t["cost_meur_p90"], strict=True)
                ],
                L["share"]: t["statushouder_share_median"],
            }
        )
        out.index.name = L["scenario"]
        return out

    def _fmt(self) -> dict:
        L, f = self.L, self.f
        return {
            L["median"]: f.persons,
            L["peak"]: f.persons,
            L["places"]: f.persons,
            L["p_exceed"]: f.prob,
            L["noodopvang_pm"]: f.persons,
            L["cost_year"]: f.persons,
            L["share"]: f.pct,
        }

    def _verdict_html(self) -> str:
        """The diagnostics verdict in one line (the top of every page)."""
        r, L = self.result, self.L
        if r.diagnostics is None:
            return f'<div class="banner fail">{esc(L["diag_failed"])}</div>'
        cls, text = ("ok", L["diag_passed"]) if r.diagnostics_passed else ("fail", L["diag_failed"])
        return f'<div class="banner {cls}">{esc(L["diagnostics"])}: {esc(text)}</div>'

    def _diagnostics_html(self) -> str:
        """The verdict with the sampler's full report (the diagnostics section at the end)."""
        report = self.result.diagnostics
        return self._verdict_html() + ("" if report is None else f"<pre>{esc(report)}</pre>")

    def _cutoff_html(self) -> str:
        p = self.result.provenance
        created = p.get("created", "")[:10]
        return f"<p class='note'>{esc(self.L['cutoff'].format(date=p['history_end'], created=created))}</p>"

    def _provenance_html(self) -> str:
        L, p = self.L, self.result.provenance
        versions = json.loads(p.get("versions", "{}"))
        rows = [
            (L["seed"], f"fit {p.get('fit_random_seed') or '?'}, scenarios {p['random_seed']}"),
            (L["data_hash"], p["data_hash"]),
            (L["config_hash"], p["model_config_hash"]),
            (L["horizon"], p["horizon"]),
            (L["conditioning"], p.get("conditioning", L["conditioning_unknown"])),
            (L["capacity_source"], p["capacity"]),
            (L["cost_source"], p["costs"]),
            ("priors", "priors/chain.toml, priors/observation.toml, " + p["measures_file"]),
            (L["versions"], ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))),
            (L["machine"], _machine_text(p.get("machine", "{}"), L)),
        ]
        prov = pd.DataFrame(rows, columns=["", ""]).set_index(pd.Index([r[0] for r in rows])).iloc[:, 1:]
        last = self.result.last_observations.reset_index()
        last = last[
            [c for c in (N.SERIES, N.PERIOD_END, N.VALUE, N.DEFINITION, N.QUALITY) if c in last.columns]
        ]
        src = self.result.sources
        return (
            f"<h2>{esc(L['provenance'])}</h2>"
            + prov.to_html(header=False, escape=True, border=0)
            + f"<details><summary>{esc(L['last_obs'])}</summary>"
            + table(last, index=False, lang=self.lang, caption=L["last_obs"])
            + f"</details><details><summary>{esc(L['sources'])} ({len(src)})</summary>"
            + table(src, lang=self.lang, caption=L["sources"])
            + "</details>"
        )

    def _nav(self, current: str | None) -> str:
        links = [f'<a href="index.html">{esc(self.L["index_title"])}</a>']
        for name, _, _ in self.phases:
            if name not in self.pages:
                continue
            label = self.L.get(name, name)
            links.append(
                f'<a href="{name}.html">{"<b>" if name == current else ""}{esc(label)}'
                f"{'</b>' if name == current else ''}</a>"
            )
        return " ".join(links)

    # ------------------------------------------------------------------ pages
    def fase_page(self, fase: str) -> tuple[str, dict[str, pd.DataFrame]]:
        """The HTML of one fase page and its tables (for the CSV files).

        Parameters
        ----------
        fase : str
            A phase name of the engine's schedule, e.g. ``"implementatie"``.

        Returns
        -------
        html : str
            The self-contained page (images embedded as data URIs).
        tables : dict of str to pandas.DataFrame
            ``<fase>_bundles`` and ``<fase>_scenarios`` (:func:`forecast.scenarios.phase_table` rows
            of the bundles and of every scenario), ``<fase>_contributions_need`` and
            ``<fase>_contributions_cost`` (:func:`forecast.scenarios.contribution_table` of mean need
            in persons and of cost in euro); empty when no forecast month lies in the fase.

        Raises
        ------
        KeyError
            When ``fase`` is not a fase of the result.
        """
        L = self.L
        start, end = {n: (a, b) for n, a, b in self.phases}[fase]
        title = f"{L['title']}: {L.get(fase, fase)}"
        period = f"{start:%Y-%m} – {(end - pd.Timedelta(days=1)):%Y-%m}"
        body = [
            self._verdict_html(),
            self._cutoff_html(),
            f"<p><b>{esc(L['period'])}:</b> {esc(period)}</p>",
        ]
        tables: dict[str, pd.DataFrame] = {}
        if not self.result.has_forecast_months(fase):
            body.append(f"<p>{esc(L['no_months'])}</p>")
            return self.renderer.page(title, self.lang, self._nav(fase), "".join(body)), tables
        key = self._scenario_table(fase, self.bundles)
        key.index = [self._name(b) for b in key.index]
        key.index.name = L["scenario"]
        body.append(
            f"<h2>{esc(L['key_scenarios'])}</h2>"
            + table(key, self._fmt(), lang=self.lang, caption=L["key_scenarios"])
            + f"<p class='note'>{esc(L['p_exceed_def'])}</p>"
        )
        body.append(f"<p class='note'><b>{esc(L['assumptions'])}:</b> {esc(L['assumptions_text'])}</p>")
        charts = self.charts
        body.append(charts.fan(N.OPVANGBEHOEFTE, L["fan_persons"], L["persons"], fase, capacity="persons"))
        body.append(
            charts.fan(N.OPVANGBEHOEFTE_PLACES, L["fan_places"], L["places_unit"], fase, capacity="places")
        )
        # every combination, readable; the CSV tables: a 0/1 column per measure next to the scenario key
        body.append(f"<h2>{esc(L['all_scenarios'])}</h2>")
        body.append(combinations_html(self.result, fase, self.lang, f"tables/{fase}_scenarios.csv"))
        tidy = self.result.table(measures=True).xs(fase, level=N.DIM_PHASE)
        tables[f"{fase}_bundles"] = tidy.loc[self.bundles]
        tables[f"{fase}_scenarios"] = tidy
        # contributions
        ct = self.result.contribution_table("need_mean").xs(fase, level=N.DIM_PHASE)
        body.append(f"<h2>{esc(L['contributions'])}</h2><p class='note'>{esc(L['contrib_text'])}</p>")
        body.append(charts.contributions(ct, L["contributions"], L["persons"]))
        ct_show = ct[["mean", "p10", "median", "p90", "p_negative"]].rename(
            columns={"mean": L["mean"], "median": L["median"], "p_negative": L["p_lower"]}
        )
        ct_show.index = [self._name(m) for m in ct_show.index]
        ct_show.index.name = L["measure"]
        body.append(table(ct_show, {L["p_lower"]: self.f.prob}, lang=self.lang, caption=L["contributions"]))
        tables[f"{fase}_contributions_need"] = ct
        tables[f"{fase}_contributions_cost"] = self.result.contribution_table("cost_eur").xs(
            fase, level=N.DIM_PHASE
        )
        # statushouder share
        body.append(f"<h2>{esc(L['statushouders'])}</h2><p class='note'>{esc(L['share_text'])}</p>")
        body.append(charts.shares(fase, self.bundles, L["statushouders"], L["share"]))
        body.append(charts.fan("statushouders", L["statushouders_stock"], L["persons"], fase))
        # flows and backlog
        body.append(f"<h2>{esc(L['flows'])}</h2>")
        for var in ("instroom", "nareis", "ind_backlog"):
            body.append(charts.fan(var, L[var], L["persons"], fase))
        # fit to history, diagnostics, provenance
        body.append(self._fit_html())
        body.append(f"<h2>{esc(L['diagnostics'])}</h2>" + self._diagnostics_html())
        body.append(self._provenance_html())
        return self.renderer.page(title, self.lang, self._nav(fase), "".join(body)), tables

    def _fit_html(self) -> str:
        L = self.L
        names = {N.SERIES: L["series"], N.DEFINITION: L["definition"]}
        names |= {"cover_50": L["cover_50"], "cover_90": L["cover_90"], "n": L["cover_n"]}
        cov = self.coverage.reset_index().rename(columns=names)
        return f"<h2>{esc(L['fit'])}</h2><p class='note'>{esc(L['fit_text'])}</p>" + table(
            cov,
            {L["cover_50"]: self.f.prob, L["cover_90"]: self.f.prob, L["cover_n"]: self.f.persons},
            index=False,
            lang=self.lang,
            caption=L["fit"],
        )

    def _validation_html(self) -> str:
        """The backtest's scores and figures (``forecast backtest`` output), when there are any."""
        d = self.validation
        title = (
            "Validatie: backtests op de historie"
            if self.lang == "nl"
            else "Validation: backtests on the history"
        )
        text = (
            "Op elk startpunt (elk half jaar 2017-2024) is het model geschat op wat toen bekend was en "
            "vergeleken met wat daarna is gepubliceerd, naast eenvoudige vergelijkingsmodellen "
            "(docs/validation.md)."
            if self.lang == "nl"
            else "At every origin (every half year 2017-2024) the model was fitted on what was known then "
            "and compared with what was published later, next to simple baselines (docs/validation.md)."
        )
        out = [f"<h2>{esc(title)}</h2><p class='note'>{esc(text)}</p>"]
        scores = d / "scores.csv"
        if scores.exists():
            t = pd.read_csv(scores)
            out.append("<details><summary>scores.csv</summary>")
            out.append(
                table(
                    t,
                    {c: self.f.decimals(3) for c in t.columns if t[c].dtype.kind == "f"},
                    index=False,
                    lang=self.lang,
                )
            )
            out.append("</details>")
        nl = self.lang == "nl"
        what = {
            "crps.png": "CRPS van de later gepubliceerde cijfers per reeks, model en vergelijkingsmodellen "
            "(lager is beter; de getallen staan in scores.csv)"
            if nl
            else "CRPS of the figures published later per series, model and baselines (lower is better; "
            "the numbers are in scores.csv)",
            "pit.png": "PIT-histogrammen van de later gepubliceerde cijfers per reeks (vlak: goed geijkt)"
            if nl
            else "PIT histograms of the figures published later per series (flat: well calibrated)",
        }
        for name in ("crps.png", "pit.png"):
            if (d / name).exists():
                out.append(img((d / name).read_bytes(), f"{name}: {what[name]}"))
        return "".join(out)

    def _change_label(self) -> str:
        """The headline column of the change against the reference bundle, named in the page's language."""
        reference = self.result.differences.attrs.get("reference", "")
        return self.L["change"].format(reference=self.names.get(reference, reference))

    def _headline_display(self, head: pd.DataFrame) -> pd.DataFrame:
        """:func:`headline_table` with the page's labels, names and bands on one line each."""
        L, lang = self.L, self.lang
        show = {
            L["fase"]: [L.get(f, f) for f in head["fase"]],
            L["scenario"]: [self.names.get(b, b) for b in head["scenario"]],
            L["median"]: head["need_median"],
            L["band80"]: [
                number_band(a, b, lang) for a, b in zip(head["need_p10"], head["need_p90"], strict=True)
            ],
            L["band95"]: [
                number_band(a, b, lang) for a, b in zip(head["need_p2.5"], head["need_p97.5"], strict=True)
            ],
            L["p_exceed"]: head["p_need_exceeds_capacity"],
            L["cost_year"]: head["cost_meur_per_year_mean"],
        }
        if "need_change_median" in head:
            show[self._change_label()] = head["need_change_median"]
        return pd.DataFrame(show)

    def _headline_formats(self) -> dict:
        L, f = self.L, self.f
        return {
            L["median"]: f.persons,
            L["p_exceed"]: f.prob,
            L["cost_year"]: f.persons,
            self._change_label(): f.decimals(0, sign=True),
        }

    def _downloads_html(self) -> str:
        """Links to the tables and the summary beside the pages (only of fase pages that exist)."""
        files = ["tables/headline.csv", "tables/fit_coverage.csv"]
        for name, _, _ in self.phases:
            if name in self.pages and self.result.has_forecast_months(name):
                files += [f"tables/{name}_{t}.csv" for t in FASE_TABLES]
        files.append("scenario_summary.nc")
        return "".join(f'<li><a href="{esc(f)}"><code>{esc(f)}</code></a></li>' for f in files)

    def index_page(self) -> tuple[str, dict[str, pd.DataFrame]]:
        """The HTML of the index page and its table.

        Returns
        -------
        html : str
            The self-contained index page.
        tables : dict of str to pandas.DataFrame
            ``{"headline": ...}``: :func:`~forecast.reports.headline.headline_table` (machine
            names, numbers as numbers).
        """
        L = self.L
        head = headline_table(self.result)
        body = [
            self._verdict_html(),
            self._cutoff_html(),
            f"<h2>{esc(L['headline_title'])}</h2>",
            headline_html(self.result, head, self.lang, self.key[0]),
            f"<h2>{esc(L['headline_table'])}</h2>",
            table(
                self._headline_display(head),
                self._headline_formats(),
                index=False,
                lang=self.lang,
                caption=L["headline_table"],
            ),
            f"<p class='note'>{esc(L['p_exceed_def'])}</p>",
        ]
        body.append(f"<p class='note'><b>{esc(L['assumptions'])}:</b> {esc(L['assumptions_text'])}</p>")
        body.append(
            self.charts.fan(N.OPVANGBEHOEFTE, L["fan_persons"], L["persons"], None, capacity="persons")
        )
        last = {n: b - pd.Timedelta(days=1) for n, _, b in self.phases}
        links = "".join(
            f'<li><a href="{n}.html">{esc(L.get(n, n))}</a> ({a:%Y-%m} – {last[n]:%Y-%m})</li>'
            for n, a, _ in self.phases
            if n in self.pages
        )
        links += f'<li><a href="explorer.html">{esc(L["explorer"])}</a></li>'
        body.append(f"<h2>{esc(L['pages'])}</h2><ul>{links}</ul>")
        if self.validation is not None:
            body.append(self._validation_html())
        body.append(f"<h2>{esc(L['downloads'])}</h2><ul>{self._downloads_html()}</ul>")
        body.append(f"<h2>{esc(L['diagnostics'])}</h2>" + self._diagnostics_html())
        body.append(self._provenance_html())
        title = f"{L['title']}: {L['index_title']}"
        return self.renderer.page(title, self.lang, self._nav(None), "".join(body)), {"headline": head}


def _machine_text(recorded: str, L: dict) -> str:
    """The fit's machine (:func:`forecast.model.io.machine`) in one line, or that it was not recorded."""
    try:
        m = json.loads(recorded or "{}")
    except ValueError:
        m = {}
    if not m:
        return L["machine_unknown"]
    cores = f"{m['cores']} CPU" if m.get("cores") else ""
    parts = [m.get(k, "") for k in ("processor", "vector")] + [cores]
    parts += [m.get(k, "") for k in ("system", "architecture")]
    return ", ".join(x for x in parts if x)


def build_reports(
    result: ScenarioResult,
    out_dir: str | os.PathLike,
    *,
    lang: str = "nl",
    fases: Sequence[str] | None = None,
    validation: str | os.PathLike | None = None,
    templates: str | os.PathLike | None = None,
) -> list[Path]:
    """Write the report pages of a scenario result and their tables to ``out_dir`` (created when missing).

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run (:func:`forecast.scenarios.scenario_result`, or
        :meth:`ScenarioResult.load` of ``OUT/scenarios/``).
    out_dir : str or os.PathLike
        Folder for ``index.html``, ``<fase>.html``, ``explorer.html``, ``tables/`` and
        ``scenario_summary.nc``.
    lang : {"nl", "en"}
        Labels (Dutch by default).
    fases : sequence of str, optional
        Which fase pages (default all); the index page is always written. Pages of other fases
        already in ``out_dir`` stay, and the navigation links to the fase pages that exist.
    validation : str or os.PathLike, optional
        The output folder of ``forecast backtest`` (``scores.csv``, ``crps.png``, ``pit.png``): when it
        exists, the index page shows the backtest's scores and figures.
    templates : str or os.PathLike, optional
        A folder of one's own ``page.html`` / ``style.css`` that replace the bundled ones
        (:class:`~forecast.reports.render.PageRenderer`).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        For a language not in :data:`forecast.names.LANGUAGES` or an unknown fase (nothing is
        written then).
    """
    labels(lang)  # validate first: nothing is written for a bad language
    names = result.fase_names()
    chosen = list(fases) if fases is not None else names
    unknown = [f for f in chosen if f not in names]
    if unknown:
        raise ValueError(f"unknown fase(s) {unknown}; the fases are {names}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    existing = {f for f in names if (out / f"{f}.html").is_file()}
    builder = ReportBuilder(result, lang, validation, pages={*chosen, *existing}, templates=templates)
    pages = {"index.html": builder.index_page()}
    for f in chosen:
        pages[f"{f}.html"] = builder.fase_page(f)
    pages[EXPLORER_FILE] = (explorer_page(result, lang, templates), {})
    # one set: an error or Ctrl-C leaves the previous pages and tables, never a mix; pages of other
    # fases and the phase-gate pages (forecast evaluate) stay
    with atomic.output_set(out, keep=True, command="report", lang=lang) as tmp:
        (tmp / "tables").mkdir()
        for name, (page, tables) in pages.items():
            (tmp / name).write_text(page, encoding="utf-8")
            for tname, df in tables.items():
                # a table indexed by its keys keeps them; a plain row number is not written
                index = not isinstance(df.index, pd.RangeIndex)
                df.to_csv(tmp / "tables" / f"{tname}.csv", float_format=atomic.csv_number, index=index)
        builder.coverage.to_csv(tmp / "tables" / "fit_coverage.csv", float_format=atomic.csv_number)
        summary = xr.merge([result.summary, result.contributions], compat="override")
        summary.attrs = {k: str(v) for k, v in result.summary.attrs.items()}
        save_tree(xr.DataTree(summary), tmp / "scenario_summary.nc")
        written = [out / p.relative_to(tmp) for p in sorted(tmp.rglob("*")) if p.is_file()]
    return written


def check_images(html_text: str) -> int:
    """Number of embedded images in a page (every one a PNG data URI).

    Parameters
    ----------
    html_text : str
        The page's HTML.

    Returns
    -------
    int
        How often ``src="data:image/png;base64,`` occurs in it.
    """
    return html_text.count('src="data:image/png;base64,')


__all__ = [
    "FASE_TABLES",
    "KEY_SCENARIOS",
    "ReportBuilder",
    "build_reports",
    "check_images",
]
