"""Every combination of measures in a fase, as a table a reader can scan.

:func:`combinations_html` writes one row per combination of the grid (512 for nine measures): a
✓ or · column per measure under a short header (``M1``, ``M2``, ...; the measure's name and id in
the header's ``title`` and in a legend above the table), the bundles that are this combination,
and the fase's numbers (expected mean need, median and 80 % band, P(need > capacity), cost per
year), sorted by the expected mean need. It is folded in a ``<details>`` element, with a link to
the same numbers as data (``tables/<fase>_scenarios.csv``, one 0/1 column per measure). The long
``+``-joined scenario keys stay in the CSV file only.
"""

from __future__ import annotations

import pandas as pd

from forecast import names as N
from forecast.reports.labels import labels, measure_names, number, number_band
from forecast.reports.markup import esc
from forecast.scenarios.result import ScenarioResult

#: The two marks of a measure's column: in the combination, or not.
MARKS = ("·", "✓")


def combination_rows(result: ScenarioResult, fase: str) -> pd.DataFrame:
    """The combinations' activity and key numbers in one fase, by expected mean need.

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run.
    fase : str
        A fase with forecast months.

    Returns
    -------
    pandas.DataFrame
        Indexed by scenario (the combinations only, lowest expected mean need first; ties in grid
        order), with a 0/1 column per measure id, ``bundles`` (the ids of the bundles that are
        this combination, ``+``-joined, or empty), ``need_mean`` (the posterior mean of the fase's
        mean need), ``need_median``, ``need_p10``, ``need_p90``, ``p_need_exceeds_capacity`` and
        ``cost_meur_per_year`` (the expected cost over the fase's forecast months x 12 / their
        number).
    """
    combos = result.combinations()
    months = int(result.phases.set_index("fase").loc[fase, "forecast_months"])
    table = result.table().xs(fase, level=N.DIM_PHASE).loc[combos]
    active = result.activity.loc[combos]
    bundles: dict[tuple, list[str]] = {}
    for b in result.bundles:
        bundles.setdefault(tuple(result.activity.loc[b]), []).append(b)
    need_mean = result.summary["need_mean_mean"].sel({N.DIM_PHASE: fase, N.DIM_SCENARIO: combos})
    out = active.assign(
        bundles=["+".join(bundles.get(tuple(row), [])) for row in active.to_numpy()],
        need_mean=need_mean.values,
        need_median=table["need_median"].to_numpy(),
        need_p10=table["need_p10"].to_numpy(),
        need_p90=table["need_p90"].to_numpy(),
        p_need_exceeds_capacity=table["p_need_exceeds_capacity"].to_numpy(),
        cost_meur_per_year=table["cost_meur_mean"].to_numpy() * 12 / months,
    )
    return out.sort_values("need_mean", kind="stable")


def combinations_html(result: ScenarioResult, fase: str, lang: str, csv: str) -> str:
    """The folded table of every combination in a fase, with its legend and a link to its CSV.

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run.
    fase : str
        A fase with forecast months.
    lang : {"nl", "en"}
        The language of the labels and names and the number format.
    csv : str
        The link (relative to the page) to the same numbers as data.

    Returns
    -------
    str
        A ``<details>`` element: a legend of the measure columns, the CSV link and a ``<table>``
        with a caption, header cells with their scope, one row per combination
        (:func:`combination_rows`).
    """
    L = labels(lang)
    names = measure_names(result.measures, lang)
    rows = combination_rows(result, fase)
    ids = list(result.activity.columns)
    short = {m: f"M{i}" for i, m in enumerate(ids, start=1)}
    legend = "".join(
        f"<li><b>{short[m]}</b>: {esc(names.get(m, m))} (<code>{esc(m)}</code>)</li>" for m in ids
    )
    heads = [
        "<th scope='col'>#</th>",
        *(f"<th scope='col' title='{esc(names.get(m, m))} ({esc(m)})'>{short[m]}</th>" for m in ids),
        *(
            f"<th scope='col'>{esc(h)}</th>"
            for h in (L["bundle"], L["need_mean"], L["median"], L["band80"], L["p_exceed"], L["cost_year"])
        ),
    ]
    body = []
    for rank, (_, r) in enumerate(rows.iterrows(), start=1):
        marks = "".join(f"<td class='m'>{MARKS[int(r[m])]}</td>" for m in ids)
        bundle = ", ".join(names.get(b, b) for b in r["bundles"].split("+") if b)
        body.append(
            f"<tr><th scope='row'>{rank}</th>{marks}<td>{esc(bundle)}</td>"
            f"<td>{number(r['need_mean'], 0, lang)}</td><td>{number(r['need_median'], 0, lang)}</td>"
            f"<td>{number_band(r['need_p10'], r['need_p90'], lang)}</td>"
            f"<td>{number(r['p_need_exceeds_capacity'], 2, lang)}</td>"
            f"<td>{number(r['cost_meur_per_year'], 0, lang)}</td></tr>"
        )
    caption = L["combo_caption"].format(n=len(rows))
    return (
        f"<details><summary>{esc(L['combinations'].format(n=len(rows)))}</summary>"
        f"<p class='note'>{esc(L['combo_csv'])} <a href='{esc(csv)}'><code>{esc(csv)}</code></a></p>"
        f"<p class='note'>{esc(L['combo_legend'])}</p><ul class='note'>{legend}</ul>"
        f"<table class='combos'><caption>{esc(caption)}</caption>"
        f"<thead><tr>{''.join(heads)}</tr></thead><tbody>{''.join(body)}</tbody></table></details>"
    )


__all__ = ["MARKS", "combination_rows", "combinations_html"]
