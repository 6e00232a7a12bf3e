"""Self-contained HTML reports per fase and an index page, with machine-readable tables beside them.

:func:`build_reports` writes, into ``out/reports/``:

* ``index.html``: the headline table per fase for the named bundles, the diagnostics verdict,
  assumptions, links to the fase pages, provenance;
* ``<fase>.html`` for every fase: fan charts of opvangbehoefte in persons and in places (observed
  history, fitted history, forecast bands of the key scenarios, fase boundaries, capacity), the table
  of every scenario in the fase (median, 80 % band, P(need > capacity), noodopvang, cost), each
  measure's Shapley contribution, the statushouder share, the bands of instroom, nareis and the IND
  backlog, the model's fit to the history (posterior predictive coverage per series), the sampler
  diagnostics (flagged prominently when they fail), and data and prior provenance (sources, last
  observation per series, versions, seed, data hash);
* ``tables/*.csv`` (one per table) and ``scenario_summary.nc`` (the per-fase summaries and
  contributions of every scenario).

Every image is embedded as a ``data:`` URI: the pages open offline and fetch nothing. Every file is
written to a temporary name and renamed: an error or Ctrl-C leaves no half-written file.
"""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xarray as xr

from forecast import __version__, atomic
from forecast import names as N
from forecast.model.io import save_tree
from forecast.reports import figures as F
from forecast.reports.labels import MISSING, labels, number, number_band
from forecast.reports.phase_gate import effects_table, evaluation_figure
from forecast.scenarios.engine import contribution_table, phase_table

#: scenarios drawn in the fan charts (the first two bundles a reader compares)
KEY_SCENARIOS = (N.BUNDLE_KABINETSBELEID, N.BUNDLE_GEEN_NIEUW_BELEID)

#: observed series drawn over each fitted latent quantity
OBSERVED = {
    N.OPVANGBEHOEFTE: "coa_occupancy",
    "ind_backlog": "ind_backlog",
    "instroom": "first_applications",
    "nareis": "nareis",
    "statushouders": "coa_statushouders",
}

CSS = """
body{font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;margin:0;color:#1a1a1a;
line-height:1.45;background:#fafafa}
header{background:#16325c;color:#fff;padding:18px 32px}header h1{margin:0 0 4px;font-size:24px}
header p{margin:0;opacity:.85}nav{padding:8px 32px;background:#e8edf5;font-size:14px}
nav a{margin-right:18px;color:#16325c}main{padding:8px 32px 40px;max-width:1200px}
h2{border-bottom:2px solid #16325c;padding-bottom:4px;margin-top:34px;font-size:19px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #d0d5dd;padding:3px 8px;text-align:right}
th{background:#eef1f6}td:first-child,th:first-child{text-align:left}
.banner{padding:10px 14px;border-radius:4px;font-weight:600;margin:14px 0}
.ok{background:#e3f4e8;border:1px solid #2e7d32;color:#1b5e20}
.fail{background:#fde7e7;border:2px solid #c62828;color:#b71c1c;font-size:17px}
img{max-width:100%;height:auto;display:block;margin:8px 0}
.note{font-size:13px;color:#444}details{margin:8px 0}summary{cursor:pointer;font-weight:600}
footer{font-size:12px;color:#666;padding:0 32px 24px}code{font-size:12px}
"""


def _esc(x) -> str:
    return html.escape(str(x))


def _img(data: bytes, alt: str) -> str:
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _table(df: pd.DataFrame, fmt: dict | None = None, index: bool = True, lang: str = "nl") -> str:
    """A table in the number format of ``lang`` (:func:`forecast.reports.labels.number`)."""
    fmt = fmt or {}
    return df.to_html(
        index=index,
        escape=True,
        border=0,
        na_rep="–",
        formatters={c: fmt[c] for c in df.columns if c in fmt},
        float_format=lambda v: number(v, 0, lang),
    )


class _Formats:
    """The cell formats of one language: persons (whole), probabilities (2 decimals), percentages."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def persons(self, v) -> str:
        return number(v, 0, self.lang)

    def prob(self, v) -> str:
        return number(v, 2, self.lang)

    def pct(self, v) -> str:
        return MISSING if pd.isna(v) else f"{number(100 * v, 0, self.lang)}%"

    def decimals(self, places: int, sign: bool = False):
        return lambda v: number(v, places, self.lang, sign=sign)


def _page(title: str, lang: str, nav: str, body: str, L: dict) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_esc(title)}</h1><p>{_esc(L['subtitle'])}</p></header>"
        f"<nav>{nav}</nav><main>{body}</main>"
        f"<footer>{_esc(L['generated'].format(version=__version__))}</footer></body></html>\n"
    )


class ReportBuilder:
    """Collects what the pages show from a fitted model and its scenario engine.

    Parameters
    ----------
    model : ChainModel
        Fitted (or loaded); its posterior predictive is sampled when missing.
    engine : ScenarioEngine
        Built on ``model``.
    lang : {"nl", "en"}
        Language of the labels (Dutch by default).
    draws : xarray.Dataset, optional
        :meth:`ScenarioEngine.phase_draws` of the full grid (computed when omitted).
    validation : str or os.PathLike, optional
        The output folder of ``forecast backtest``; when it is an existing folder, the index page
        shows its scores and figures (otherwise it is ignored).

    Raises
    ------
    ValueError
        For a language not in :data:`forecast.reports.labels.LANGUAGES`.
    """

    def __init__(
        self,
        model,
        engine,
        lang: str = "nl",
        draws: xr.Dataset | None = None,
        validation: str | os.PathLike | None = None,
    ) -> None:
        self.validation = Path(validation) if validation is not None and Path(validation).is_dir() else None
        self.L = labels(lang)
        self.lang = lang
        self.f = _Formats(lang)
        self.model = model
        self.engine = engine
        self.draws = draws if draws is not None else engine.phase_draws()
        self.summary = engine.summarise(self.draws)
        self.contrib = engine.contributions(self.draws, ("need_mean", "noodopvang_person_months", "cost_eur"))
        self.bundles = list(engine.measures.bundles)
        self.key = [b for b in KEY_SCENARIOS if b in self.bundles] or self.bundles[:2]
        self.monthly = engine.monthly_summary(self.bundles)
        lat = model.latent_dataset()
        hist = [
            "opvangbehoefte",
            N.OPVANGBEHOEFTE_PLACES,
            "ind_backlog",
            "instroom",
            "nareis",
            "statushouders",
        ]
        self.history = lat[hist].quantile([0.1, 0.5, 0.9], dim=(N.DIM_CHAIN, N.DIM_DRAW))
        if "posterior_predictive" not in model.idata.children:
            model.sample_posterior_predictive(random_seed=engine.random_seed)
        self.coverage = model.coverage()
        self.table = phase_table(self.summary)
        self.phases = [(p.name, p.start, p.end) for p in engine.phases]

    # ------------------------------------------------------------------ pieces
    def _observed(self, var: str) -> pd.DataFrame | None:
        series = OBSERVED.get(var)
        if series is None:
            return None
        o = self.model.history.observations
        o = o[o[N.SERIES] == series]
        if var in ("instroom", "nareis"):
            o = o[o["frequency"] == "M"]
            dates = pd.to_datetime(o[N.PERIOD_START])
        else:
            dates = pd.to_datetime(o[N.PERIOD_END])
        return pd.DataFrame({"date": dates, "value": o[N.VALUE].astype(float), "definition": o[N.DEFINITION]})

    def _fan(self, var: str, title: str, unit: str, fase: str | None, capacity: bool = False) -> bytes:
        fc = {
            s: self.monthly[f"{var}_q"].sel(scenario=s).drop_vars(N.DIM_SCENARIO, errors="ignore")
            for s in self.key
        }
        cap = None
        if capacity:
            cap = (self.L["capacity"], self.monthly[f"{N.REGULAR_CAPACITY}_mean"].sel(scenario=self.key[0]))
        hist = self.history.get(var, None)
        return F.fan_chart(
            title,
            unit,
            hist,
            fc,
            observed=self._observed(var),
            observed_label=self.L["observed"],
            history_label=self.L["fitted"],
            phases=self.phases,
            highlight=fase,
            capacity=cap,
        )

    def _scenario_table(self, fase: str, rows: Sequence[str]) -> pd.DataFrame:
        t = self.table.xs(fase, level=N.DIM_PHASE).loc[list(rows)]
        L = self.L
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
                L["cost"]: t["cost_meur_mean"],
                L["cost_band"]: [
                    number_band(a, b, self.lang)
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
            L["cost"]: f.persons,
            L["share"]: f.pct,
        }

    def _diagnostics_html(self) -> str:
        d = self.model.diagnostics
        L = self.L
        if d is None:
            return f'<div class="banner fail">{_esc(L["diag_failed"])}</div>'
        cls, text = ("ok", L["diag_passed"]) if d.passed else ("fail", L["diag_failed"])
        return (
            f'<div class="banner {cls}">{_esc(L["diagnostics"])}: {_esc(text)}</div><pre>{_esc(str(d))}</pre>'
        )

    def _provenance_html(self) -> str:
        L, m, e = self.L, self.model, self.engine
        attrs = m.idata.attrs
        versions = json.loads(attrs.get("versions", "{}"))
        rows = [
            (L["seed"], f"fit {attrs.get('random_seed', '?')}, scenarios {e.random_seed}"),
            (L["data_hash"], m.history.data_hash),
            (L["config_hash"], m.config_hash),
            (L["horizon"], e.provenance["horizon"]),
            (L["capacity_source"], e.capacity.description),
            (L["cost_source"], e.costs.description),
            ("priors", "priors/chain.toml, priors/observation.toml, " + str(e.measures.file)),
            (L["versions"], ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))),
        ]
        prov = pd.DataFrame(rows, columns=["", ""]).set_index(pd.Index([r[0] for r in rows])).iloc[:, 1:]
        last = m.history.last_observations().reset_index()
        last = last[
            [c for c in (N.SERIES, N.PERIOD_END, N.VALUE, N.DEFINITION, N.QUALITY) if c in last.columns]
        ]
        o = m.history.observations
        src = (
            o.assign(host=o[N.SOURCE_URL].str.extract(r"https?://(?:www\.)?([^/]+)")[0])
            .groupby("host")
            .size()
        )
        src = src.sort_values(ascending=False).rename("rows").to_frame()
        return (
            f"<h2>{_esc(L['provenance'])}</h2>"
            + prov.to_html(header=False, escape=True, border=0)
            + f"<details><summary>{_esc(L['last_obs'])}</summary>"
            + _table(last, index=False, lang=self.lang)
            + f"</details><details><summary>{_esc(L['sources'])} ({len(src)})</summary>"
            + _table(src, lang=self.lang)
            + "</details>"
        )

    def _nav(self, current: str | None) -> str:
        links = [f'<a href="index.html">{_esc(self.L["index_title"])}</a>']
        for name, _, _ in self.phases:
            label = self.L.get(name, name)
            links.append(
                f'<a href="{name}.html">{"<b>" if name == current else ""}{_esc(label)}'
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
            When ``fase`` is not a phase of the engine.
        """
        L = self.L
        phase = self.engine.phases[fase]
        months = self.engine.phase_months[fase]
        title = f"{L['title']}: {L.get(fase, fase)}"
        period = f"{phase.start:%Y-%m} – {(phase.end - pd.Timedelta(days=1)):%Y-%m}"
        body = [self._diagnostics_html(), f"<p><b>{_esc(L['period'])}:</b> {_esc(period)}</p>"]
        tables: dict[str, pd.DataFrame] = {}
        if not len(months):
            body.append(f"<p>{_esc(L['no_months'])}</p>")
            return _page(title, self.lang, self._nav(fase), "".join(body), L), tables
        key = self._scenario_table(fase, self.bundles)
        body.append(f"<h2>{_esc(L['key_scenarios'])}</h2>" + _table(key, self._fmt(), lang=self.lang))
        body.append(f"<p class='note'><b>{_esc(L['assumptions'])}:</b> {_esc(L['assumptions_text'])}</p>")
        body.append(_img(self._fan(N.OPVANGBEHOEFTE, L["fan_persons"], L["persons"], fase), L["fan_persons"]))
        body.append(
            _img(
                self._fan(N.OPVANGBEHOEFTE_PLACES, L["fan_places"], L["places_unit"], fase, capacity=True),
                L["fan_places"],
            )
        )
        body.append(f"<p class='note'>{_esc(L['fan_caption'])}</p>")
        # every scenario
        combos = [
            s
            for s, k in zip(self.draws.scenario.values, self.draws["scenario_kind"].values, strict=True)
            if k == "combination"
        ]
        all_t = self._scenario_table(fase, combos)
        body.append(f"<h2>{_esc(L['all_scenarios'])}</h2>")
        body.append(
            f"<details><summary>{_esc(L['combinations'].format(n=len(combos)))}</summary>"
            + _table(all_t, self._fmt(), lang=self.lang)
            + "</details>"
        )
        tables[f"{fase}_bundles"] = self.table.xs(fase, level=N.DIM_PHASE).loc[self.bundles]
        tables[f"{fase}_scenarios"] = self.table.xs(fase, level=N.DIM_PHASE)
        # contributions
        ct = contribution_table(self.contrib, "need_mean").xs(fase, level=N.DIM_PHASE)
        body.append(f"<h2>{_esc(L['contributions'])}</h2><p class='note'>{_esc(L['contrib_text'])}</p>")
        body.append(_img(F.contribution_chart(ct, L["contributions"], L["persons"]), L["contributions"]))
        ct_show = ct[["mean", "p10", "median", "p90", "p_negative"]].rename(
            columns={"mean": L["mean"], "median": L["median"], "p_negative": L["p_lower"]}
        )
        ct_show.index.name = L["measure"]
        body.append(_table(ct_show, {L["p_lower"]: self.f.prob}, lang=self.lang))
        tables[f"{fase}_contributions_need"] = ct
        tables[f"{fase}_contributions_cost"] = contribution_table(self.contrib, "cost_eur").xs(
            fase, level=N.DIM_PHASE
        )
        # statushouder share
        sq = self.summary["statushouder_share_q"].sel(fase=fase, scenario=self.bundles)
        body.append(f"<h2>{_esc(L['statushouders'])}</h2><p class='note'>{_esc(L['share_text'])}</p>")
        body.append(
            _img(
                F.interval_chart(
                    self.bundles,
                    sq.sel(quantile=0.1).values,
                    sq.sel(quantile=0.5).values,
                    sq.sel(quantile=0.9).values,
                    L["statushouders"],
                    L["share"],
                    percent=True,
                ),
                L["statushouders"],
            )
        )
        body.append(
            _img(
                self._fan("statushouders", L["statushouders_stock"], L["persons"], fase),
                L["statushouders_stock"],
            )
        )
        # flows and backlog
        body.append(f"<h2>{_esc(L['flows'])}</h2>")
        for var in ("instroom", "nareis", "ind_backlog"):
            body.append(_img(self._fan(var, L[var], L["persons"], fase), L[var]))
        # fit to history, diagnostics, provenance
        body.append(self._fit_html())
        body.append(f"<h2>{_esc(L['diagnostics'])}</h2>" + self._diagnostics_html())
        body.append(self._provenance_html())
        return _page(title, self.lang, self._nav(fase), "".join(body), L), tables

    def _fit_html(self) -> str:
        L = self.L
        cov = self.coverage.reset_index().rename(
            columns={N.SERIES: L["series"], N.DEFINITION: L["definition"]}
        )
        return f"<h2>{_esc(L['fit'])}</h2><p class='note'>{_esc(L['fit_text'])}</p>" + _table(
            cov,
            {"cover_50": self.f.prob, "cover_90": self.f.prob, "n": self.f.persons},
            index=False,
            lang=self.lang,
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
        out = [f"<h2>{_esc(title)}</h2><p class='note'>{_esc(text)}</p>"]
        scores = d / "scores.csv"
        if scores.exists():
            t = pd.read_csv(scores)
            out.append("<details><summary>scores.csv</summary>")
            out.append(
                _table(
                    t,
                    {c: self.f.decimals(3) for c in t.columns if t[c].dtype.kind == "f"},
                    index=False,
                    lang=self.lang,
                )
            )
            out.append("</details>")
        for name in ("crps.png", "pit.png"):
            if (d / name).exists():
                out.append(_img((d / name).read_bytes(), name))
        return "".join(out)

    def index_page(self) -> tuple[str, dict[str, pd.DataFrame]]:
        """The HTML of the index page and its table.

        Returns
        -------
        html : str
            The self-contained index page.
        tables : dict of str to pandas.DataFrame
            ``{"headline": ...}``: per fase with forecast months and per bundle, the median and
            80 %/95 % bands of the mean need (persons), P(need > capacity) and the mean cost in million
            euro, with the column names in the page's language.
        """
        L = self.L
        body = [self._diagnostics_html(), f"<h2>{_esc(L['headline'])}</h2>"]
        rows = []
        for name, _, _ in self.phases:
            if not len(self.engine.phase_months[name]):
                continue
            t = self.table.xs(name, level=N.DIM_PHASE).loc[self.bundles]
            for s, r in t.iterrows():
                rows.append(
                    {
                        L["fase"]: L.get(name, name),
                        L["scenario"]: s,
                        L["median"]: r["need_median"],
                        L["band80"]: number_band(r["need_p10"], r["need_p90"], self.lang),
                        L["band95"]: number_band(r["need_p2.5"], r["need_p97.5"], self.lang),
                        L["p_exceed"]: r["p_need_exceeds_capacity"],
                        L["cost"]: r["cost_meur_mean"],
                    }
                )
        head = pd.DataFrame(rows)
        body.append(
            _table(
                head,
                {L["median"]: self.f.persons, L["p_exceed"]: self.f.prob, L["cost"]: self.f.persons},
                index=False,
                lang=self.lang,
            )
        )
        body.append(f"<p class='note'><b>{_esc(L['assumptions'])}:</b> {_esc(L['assumptions_text'])}</p>")
        body.append(_img(self._fan(N.OPVANGBEHOEFTE, L["fan_persons"], L["persons"], None), L["fan_persons"]))
        body.append(f"<p class='note'>{_esc(L['fan_caption'])}</p>")
        last = {n: b - pd.Timedelta(days=1) for n, _, b in self.phases}
        links = "".join(
            f'<li><a href="{n}.html">{_esc(L.get(n, n))}</a> ({a:%Y-%m} – {last[n]:%Y-%m})</li>'
            for n, a, _ in self.phases
        )
        body.append(f"<h2>{_esc(L['pages'])}</h2><ul>{links}</ul>")
        if self.validation is not None:
            body.append(self._validation_html())
        files = "".join(f"<li><code>{_esc(f)}</code></li>" for f in ("tables/*.csv", "scenario_summary.nc"))
        body.append(f"<h2>{_esc(L['downloads'])}</h2><ul>{files}</ul>")
        body.append(self._provenance_html())
        return _page(f"{L['title']}: {L['index_title']}", self.lang, self._nav(None), "".join(body), L), {
            "headline": head
        }


def evaluation_page(evaluation, lang: str = "nl", outlook: pd.DataFrame | None = None) -> str:
    """The HTML page of a phase-gate evaluation (:func:`forecast.evaluation.evaluate_phase`).

    Shows the diagnostics verdict of the refit, per effect the prior and posterior mean and sd and
    the posterior's 94 % interval, P(at least as large as planned), the contraction and the plain
    verdict, the figure of prior and posterior densities, and (when given) the next fase's outlook
    under prior vs posterior effects.

    Parameters
    ----------
    evaluation : PhaseEvaluation
        The result of :func:`forecast.evaluation.evaluate_phase`.
    lang : {"nl", "en"}
        Language of the page (Dutch by default); the verdict column is in that language.
    outlook : pandas.DataFrame, optional
        :meth:`PhaseEvaluation.outlook`, shown as a table; left out when ``None``.

    Returns
    -------
    str
        The self-contained HTML page (the figure embedded as a data URI), linking back to
        ``index.html``.

    Raises
    ------
    ValueError
        For a language not in :data:`forecast.reports.labels.LANGUAGES`.
    """
    L = labels(lang)
    fase = evaluation.fase
    verdict = "verdict_nl" if lang == "nl" else "verdict"
    t = effects_table(evaluation)
    cols = {
        "effect": L["effect"],
        "status": "status",
        "months_with_data": "months" if lang == "en" else "maanden",
        "prior_mean": "prior",
        "prior_sd": "prior sd",
        "posterior_mean": "posterior",
        "posterior_sd": "posterior sd",
        "posterior_lo94": "94% lo",
        "posterior_hi94": "94% hi",
        "p_at_least_planned": "P(>= plan)",
        "contraction": "contraction" if lang == "en" else "contractie",
        verdict: "verdict" if lang == "en" else "oordeel",
    }
    show = t[[c for c in cols if c in t.columns]].rename(columns=cols)
    f = _Formats(lang)
    fmt = {c: f.decimals(3, sign=True) for c in ("prior", "posterior")}
    fmt.update({c: f.decimals(3) for c in ("prior sd", "posterior sd", "94% lo", "94% hi")})
    fmt.update({"P(>= plan)": f.prob, "contraction": f.prob, "contractie": f.prob})
    title = f"{'Evaluatie' if lang == 'nl' else 'Evaluation'}: {L.get(fase, fase)}"
    diag = evaluation.diagnostics
    if diag is None:
        banner = ""
    elif diag.passed:
        banner = f'<div class="banner ok">{_esc(L["diagnostics"])}: {_esc(L["diag_passed"])}</div>'
    else:
        banner = f'<div class="banner fail">{_esc(L["diagnostics"])}: {_esc(L["diag_failed"])}</div>'
    body = [
        banner,
        f"<p>{_esc(evaluation.months_observed_in_phase())} "
        f"{'fitted month(s) in the phase' if lang == 'en' else 'geschatte maand(en) in de fase'}</p>",
        _table(show, fmt, index=False, lang=lang),
        _img(F.png(evaluation_figure(evaluation, lang)), title),
    ]
    if outlook is not None:
        body.append(
            f"<h2>{_esc('Outlook for the next phase' if lang == 'en' else 'Vooruitzicht volgende fase')}</h2>"
        )
        body.append(_table(outlook, {c: f.decimals(2) for c in outlook.columns}, lang=lang))
    nav = '<a href="index.html">' + _esc(L["index_title"]) + "</a>"
    return _page(title, lang, nav, "".join(body), L)


def build_reports(
    model,
    engine,
    out_dir: str | os.PathLike,
    *,
    lang: str = "nl",
    fases: Sequence[str] | None = None,
    draws: xr.Dataset | None = None,
    validation: str | os.PathLike | None = None,
) -> list[Path]:
    """Write the report pages and their tables to ``out_dir`` (created when missing).

    Parameters
    ----------
    model : ChainModel
        The fitted model.
    engine : ScenarioEngine
        The scenario engine on ``model``.
    out_dir : str or os.PathLike
        Folder for ``index.html``, ``<fase>.html``, ``tables/`` and ``scenario_summary.nc``.
    lang : {"nl", "en"}
        Labels (Dutch by default).
    fases : sequence of str, optional
        Which fase pages (default all); the index page is always written.
    draws : xarray.Dataset, optional
        Precomputed :meth:`ScenarioEngine.phase_draws` of the full grid.
    validation : str or os.PathLike, optional
        The output folder of ``forecast backtest`` (``scores.csv``, ``crps.png``, ``pit.png``): when it
        exists, the index page shows the backtest's scores and figures.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        For a language not in :data:`forecast.reports.labels.LANGUAGES` or an unknown fase (nothing
        is written then).
    """
    labels(lang)  # validate first: nothing is written for a bad language
    names = [p.name for p in engine.phases]
    chosen = list(fases) if fases is not None else names
    unknown = [f for f in chosen if f not in names]
    if unknown:
        raise ValueError(f"unknown fase(s) {unknown}; the fases are {names}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    builder = ReportBuilder(model, engine, lang, draws, validation)
    pages = {"index.html": builder.index_page()}
    for f in chosen:
        pages[f"{f}.html"] = builder.fase_page(f)
    # one set: an error or Ctrl-C leaves the previous pages and tables, never a mix; pages of other
    # fases and the phase-gate pages (forecast evaluate) stay
    with atomic.output_set(out, keep=True, command="report", lang=lang) as tmp:
        (tmp / "tables").mkdir()
        for name, (page, tables) in pages.items():
            (tmp / name).write_text(page, encoding="utf-8")
            for tname, df in tables.items():
                df.to_csv(tmp / "tables" / f"{tname}.csv", float_format="%.6g")
        builder.coverage.to_csv(tmp / "tables" / "fit_coverage.csv", float_format="%.6g")
        summary = xr.merge(
            [
                builder.summary,
                builder.contrib.drop_vars(["need_mean", "noodopvang_person_months", "cost_eur"]),
            ],
            compat="override",
        )
        summary.attrs = {k: str(v) for k, v in builder.summary.attrs.items()}
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


__all__ = ["KEY_SCENARIOS", "ReportBuilder", "build_reports", "check_images", "evaluation_page"]
