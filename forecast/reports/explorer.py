"""The offline scenario explorer: one self-contained page to toggle the measures and ask what it takes.

:func:`explorer_page` renders ``explorer.html`` from a finished
:class:`~forecast.scenarios.ScenarioResult`: the table numbers of every scenario and fase
(:meth:`ScenarioResult.table`, at full precision), the Shapley contributions, and the monthly fans of
need of every scenario (:attr:`ScenarioResult.fans`, float32 quantiles, base64-encoded) go into the
page as data; ``templates/explorer.js`` draws the charts (SVG, no library), formats the numbers in the
page's language (Dutch ``70.824`` / ``0,97``, English ``70,824`` / ``0.97``, rounded half to even as
:func:`forecast.reports.labels.number` does) and answers a policy target with the semantics of
:func:`forecast.scenarios.targets.meeting`. Nothing is fetched: the page works from ``file://``.
The page's own labels (Dutch and English, switched in the page) live in ``explorer.js``; the names
of the fases, measures and bundles come from the result and :mod:`forecast.reports.labels`
(``name_en`` of the measures table where it has that column, else the Dutch name). A templates folder
of one's own (``--templates``) may replace ``style.css`` (the house style, used here too),
``explorer.html``, ``explorer.css`` or ``explorer.js``.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from forecast import names as N
from forecast.reports.labels import labels
from forecast.reports.render import PageRenderer
from forecast.scenarios.result import CONTRIBUTION_STATISTICS, REFERENCE_BUNDLE, ScenarioResult

#: The file name of the explorer inside ``OUT/reports/``.
EXPLORER_FILE = "explorer.html"

#: The columns of :meth:`ScenarioResult.table` the page shows and searches, in this order.
EXPLORER_COLUMNS: tuple[str, ...] = (
    "need_median",
    "need_p10",
    "need_p90",
    "need_p2.5",
    "need_p97.5",
    "peak_need_median",
    "places_median",
    "p_need_exceeds_capacity",
    "noodopvang_person_months_mean",
    "cost_meur_mean",
    "cost_meur_p10",
    "cost_meur_p90",
)

#: Quantiles of the summary the page shows as bands besides the table's columns.
_NOODOPVANG_BAND = (0.1, 0.9)


def _floats(values: Any) -> str:
    """A float32 array as base64 of its little-endian bytes (what ``Float32Array`` reads)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype="<f4").tobytes()).decode("ascii")


def _names(result: ScenarioResult, lang: str) -> dict[str, str]:
    """Measure and bundle names in a language: ``name_en`` where the measures table has it."""
    m = result.measures.set_index("id")
    column = "name_en" if lang == "en" and "name_en" in m.columns else "name_nl"
    return {str(k): str(v) for k, v in m[column].items()}


def _json_floats(values: np.ndarray) -> list:
    """A float array as nested lists, NaN as None (JSON has no NaN)."""
    return np.where(np.isnan(values), None, values).tolist()


def _table(result: ScenarioResult) -> dict[str, Any]:
    """Every scenario's table numbers per fase: ``values[scenario][fase][column]`` (None for NaN)."""
    scenarios = [str(x) for x in result.summary[N.DIM_SCENARIO].values]
    fases = result.fase_names()
    rows = pd.MultiIndex.from_product([scenarios, fases])
    table = result.table().reindex(rows)[list(EXPLORER_COLUMNS)].to_numpy(dtype=float)
    band = result.summary["noodopvang_person_months_q"].sel(quantile=list(_NOODOPVANG_BAND))
    band = band.transpose(N.DIM_SCENARIO, N.DIM_PHASE, "quantile").sel({N.DIM_PHASE: fases}).values
    values = np.concatenate([table.reshape(len(scenarios), len(fases), -1), band], axis=-1)
    columns = [*EXPLORER_COLUMNS, "noodopvang_p10", "noodopvang_p90"]
    return {"columns": columns, "values": _json_floats(values)}


def _contributions(result: ScenarioResult) -> dict[str, Any]:
    """Each measure's Shapley contribution per fase: ``[mean, p10, p90]`` per statistic."""
    out = {}
    for stat in CONTRIBUTION_STATISTICS:
        t = result.contribution_table(stat)
        scale = 1e-6 if stat == "cost_eur" else 1.0
        out[stat] = [
            [
                [None if np.isnan(v) else v * scale for v in t.loc[(m, f), ["mean", "p10", "p90"]]]
                for f in result.fase_names()
            ]
            for m in result.measures.loc[result.measures["kind"] == "measure", "id"]
        ]
    return out


def explorer_data(result: ScenarioResult) -> dict[str, Any]:
    """Everything the explorer page holds, as JSON-ready values.

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run.

    Returns
    -------
    dict
        ``measures`` (id, Dutch and English name), ``bundles`` (id, names, combination key),
        ``combinations`` (keys in grid order) with their ``active`` measures as 0/1 strings,
        ``scenarios`` (every key of the summary, the order of ``table``), ``fases`` (id, names,
        first and last forecast month index), ``months``, ``table`` (:data:`EXPLORER_COLUMNS` and the
        noodopvang 80 % band per scenario and fase), ``contributions``, ``fans`` (quantiles, base64
        float32 need quantiles ``(quantile, scenario, month)``, mean need, mean regular capacity,
        occupancy rate, costs per resident) and the ``reference`` bundle.
    """
    measures = result.measures
    ids = [str(i) for i in measures.loc[measures["kind"] == "measure", "id"]]
    nl, en = _names(result, "nl"), _names(result, "en")
    activity = result.activity
    combos = result.combinations()
    fans = result.fans
    months = pd.DatetimeIndex(fans[N.DIM_MONTH].values)
    fase_rows = []
    for _, p in result.phases.iterrows():
        idx = np.flatnonzero((months >= pd.Timestamp(p["start"])) & (months < pd.Timestamp(p["end"])))
        name = str(p["fase"])
        fase_rows.append(
            {
                "id": name,
                "nl": labels("nl").get(name, name),
                "en": labels("en").get(name, name),
                "first": int(idx[0]) if len(idx) else None,
                "last": int(idx[-1]) if len(idx) else None,
            }
        )
    active = ["".join(str(int(v)) for v in row) for row in activity.loc[combos, ids].to_numpy()]
    key_of = dict(zip(active, combos, strict=True))
    combination_of = {
        b: key_of["".join(str(int(v)) for v in activity.loc[b, ids].to_numpy())] for b in result.bundles
    }
    fan_scenarios = [str(s) for s in fans[N.DIM_SCENARIO].values]
    dims = (N.DIM_SCENARIO, N.DIM_MONTH)
    return {
        "measures": [{"id": m, "nl": nl[m], "en": en[m]} for m in ids],
        "bundles": [{"id": b, "nl": nl[b], "en": en[b], "key": combination_of[b]} for b in result.bundles],
        "combinations": combos,
        "active": active,
        "scenarios": [str(s) for s in result.summary[N.DIM_SCENARIO].values],
        "fases": fase_rows,
        "months": [f"{m:%Y-%m}" for m in months],
        "table": _table(result),
        "contributions": _contributions(result),
        "reference": REFERENCE_BUNDLE if REFERENCE_BUNDLE in result.bundles else None,
        "fans": {
            "scenarios": fan_scenarios,
            "quantiles": [float(q) for q in fans["quantile"].values],
            "need": _floats(fans["need_q"].transpose("quantile", N.DIM_SCENARIO, N.DIM_MONTH).values),
            "need_mean": _floats(fans["need_mean"].transpose(*dims).values),
            "capacity": _floats(fans[f"{N.REGULAR_CAPACITY}_mean"].transpose(*dims).values),
            "rate": [float(r) for r in fans["occupancy_rate"].values],
            "cost_regular": float(fans.attrs["cost_regular_eur_year"]),
            "cost_emergency": float(fans.attrs["cost_emergency_eur_year"]),
        },
        "provenance": {k: result.provenance.get(k, "") for k in ("history_end", "created", "horizon")},
        "diagnostics_passed": result.diagnostics_passed,
    }


def explorer_page(
    result: ScenarioResult, lang: str = "nl", templates: str | os.PathLike | None = None
) -> str:
    """The explorer as one self-contained HTML page (``templates/explorer.html``).

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run.
    lang : {"nl", "en"}
        The language the page opens in (the reader can switch).
    templates : str or os.PathLike, optional
        A folder of one's own templates (:class:`~forecast.reports.render.PageRenderer`): its
        ``style.css`` is the house style of the explorer too.

    Returns
    -------
    str
        The page: its data as JSON, its script and styles inline, no external resource.

    Raises
    ------
    ValueError
        For an unknown language, or a result without :attr:`ScenarioResult.fans`.
    """
    labels(lang)  # validates the language
    if "need_q" not in result.fans:
        raise ValueError(
            "the scenario result has no monthly fans of every scenario (ScenarioResult.fans): "
            "run `forecast scenarios` again to write the explorer"
        )
    renderer = PageRenderer(templates)
    data = json.dumps(explorer_data(result), separators=(",", ":"), allow_nan=False)
    # "</" cannot end the script element early
    data = data.replace("</", "<\\/")
    env = renderer.environment
    script = env.loader.get_source(env, "explorer.js")[0]  # as it is: not parsed as a template
    return env.get_template("explorer.html").render(lang=lang, data=Markup(data), script=Markup(script))


__all__ = ["EXPLORER_COLUMNS", "EXPLORER_FILE", "explorer_data", "explorer_page"]
