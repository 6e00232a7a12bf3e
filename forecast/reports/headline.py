"""The first screen: per fase, in plain words, what the reader needs, and the same numbers as data.

:func:`headline_table` gives, per fase with forecast months and per bundle, the mean reception
need with its 80 % and 95 % bands, the chance of a shortage of regular places, the cost per year
and the change against :data:`~forecast.scenarios.result.REFERENCE_BUNDLE` (computed draw by
draw), with machine names and numbers as numbers (``headline.csv``). :func:`headline_html` writes
one short paragraph per fase for the first key bundle (``kabinetsbeleid``).
"""

from __future__ import annotations

import html

import pandas as pd

from forecast import names as N
from forecast.reports.labels import BAND_DASH, labels, measure_names, number, number_band
from forecast.scenarios.result import ScenarioResult

#: Decimals of each headline column in ``headline.csv`` (persons whole, million euro to 0.1,
#: probabilities to 0.001).
HEADLINE_DECIMALS: dict[str, int] = {
    "forecast_months": 0,
    "need_median": 0,
    "need_p10": 0,
    "need_p90": 0,
    "need_p2.5": 0,
    "need_p97.5": 0,
    "p_need_exceeds_capacity": 3,
    "cost_meur_per_year_mean": 1,
    "cost_meur_per_year_p10": 1,
    "cost_meur_per_year_p90": 1,
    "need_change_median": 0,
    "need_change_p10": 0,
    "need_change_p90": 0,
    "p_need_exceeds_capacity_change": 3,
    "cost_meur_per_year_change_mean": 1,
}


def headline_table(result: ScenarioResult) -> pd.DataFrame:
    """The key numbers per fase and bundle, as data.

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run.

    Returns
    -------
    pandas.DataFrame
        One row per (fase with forecast months, bundle), fases in schedule order and bundles in
        file order, with columns ``fase``, ``scenario`` and those of :data:`HEADLINE_DECIMALS`:
        need in persons (mean over the fase's forecast months; median, 80 % and 95 % bands),
        P(need in places > regular capacity in at least one month), the cost per year
        :math:`12\\,C / m` in million euro (:math:`C` the fase's total over its :math:`m` forecast
        months; mean and 80 % band), and the change against the reference bundle (need: median
        and 80 % band of the per-draw difference; the chance of a shortage and the cost per year:
        the difference of means). Rounded as :data:`HEADLINE_DECIMALS` says.
    """
    table = result.table()
    diff = result.differences
    months = result.phases.set_index("fase")["forecast_months"]
    rows = []
    for fase in result.fase_names():
        m = int(months[fase])
        if m == 0:
            continue
        per_year = 12 / m
        for b in result.bundles:
            r = table.loc[(b, fase)]
            row = {
                "fase": fase,
                "scenario": b,
                "forecast_months": m,
                "need_median": r["need_median"],
                "need_p10": r["need_p10"],
                "need_p90": r["need_p90"],
                "need_p2.5": r["need_p2.5"],
                "need_p97.5": r["need_p97.5"],
                "p_need_exceeds_capacity": r["p_need_exceeds_capacity"],
                "cost_meur_per_year_mean": r["cost_meur_mean"] * per_year,
                "cost_meur_per_year_p10": r["cost_meur_p10"] * per_year,
                "cost_meur_per_year_p90": r["cost_meur_p90"] * per_year,
            }
            if diff.data_vars:
                at = {N.DIM_SCENARIO: b, N.DIM_PHASE: fase}
                q = diff["need_mean_q"].sel(at)
                row.update(
                    {
                        "need_change_median": float(q.sel(quantile=0.5)),
                        "need_change_p10": float(q.sel(quantile=0.1)),
                        "need_change_p90": float(q.sel(quantile=0.9)),
                        "p_need_exceeds_capacity_change": float(diff["exceeds_capacity_mean"].sel(at)),
                        "cost_meur_per_year_change_mean": float(diff["cost_eur_mean"].sel(at))
                        / 1e6
                        * per_year,
                    }
                )
            rows.append(row)
    out = pd.DataFrame(rows)
    for column, decimals in HEADLINE_DECIMALS.items():
        if column in out:
            # + 0.0 turns a rounded -0.0 into 0.0: no "-0" in the file
            out[column] = out[column].astype(float).round(decimals) + 0.0
    return out.astype({"forecast_months": int})


def _name(result: ScenarioResult, bundle: str, lang: str) -> str:
    return measure_names(result.measures, lang).get(bundle, bundle)


def headline_html(result: ScenarioResult, table: pd.DataFrame, lang: str, scenario: str) -> str:
    """One paragraph per fase: need, chance of a shortage, cost per year, change against the reference.

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run (for the fase periods and the bundles' names in ``lang``).
    table : pandas.DataFrame
        :func:`headline_table` of ``result``.
    lang : {"nl", "en"}
        The language of the sentences and of the numbers.
    scenario : str
        The bundle the sentences describe (e.g. ``"kabinetsbeleid"``).

    Returns
    -------
    str
        HTML: a ``<section class="headline">`` per fase with forecast months.
    """
    L = labels(lang)
    reference = result.differences.attrs.get("reference")
    phases = result.phases.set_index("fase")
    out = []
    for _, r in table[table["scenario"] == scenario].iterrows():
        start = pd.Timestamp(phases.loc[r["fase"], "start"])
        end = pd.Timestamp(phases.loc[r["fase"], "end"]) - pd.Timedelta(days=1)
        text = [
            L["headline_need"].format(
                scenario=_name(result, scenario, lang),
                need=number(r["need_median"], 0, lang),
                band=number_band(r["need_p10"], r["need_p90"], lang),
            ),
            L["headline_shortage"].format(p=f"{number(100 * r['p_need_exceeds_capacity'], 0, lang)}%"),
            L["headline_cost"].format(
                cost=number(r["cost_meur_per_year_mean"], 0, lang),
                band=number_band(r["cost_meur_per_year_p10"], r["cost_meur_per_year_p90"], lang),
            ),
        ]
        if reference and scenario != reference and "need_change_median" in r:
            text.append(
                L["headline_change"].format(
                    reference=_name(result, reference, lang),
                    change=number(r["need_change_median"], 0, lang, sign=True),
                    band=f"{number(r['need_change_p10'], 0, lang, sign=True)}{BAND_DASH}"
                    f"{number(r['need_change_p90'], 0, lang, sign=True)}",
                    p=number(100 * r["p_need_exceeds_capacity_change"], 0, lang, sign=True),
                )
            )
        title = f"{L.get(r['fase'], r['fase'])} ({start:%Y-%m} – {end:%Y-%m})"
        out.append(
            f'<section class="headline"><h3>{html.escape(title)}</h3>'
            f"<p>{html.escape(' '.join(text))}</p></section>"
        )
    return "".join(out)


__all__ = ["HEADLINE_DECIMALS", "headline_html", "headline_table"]
