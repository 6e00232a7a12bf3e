"""The phase gate in words and pictures: the verdicts in Dutch and English, and the figure of the effects.

The evaluation layer (:mod:`forecast.evaluation.phase_gate`) gives each effect a verdict code and the
numbers behind it; :func:`verdict_sentence` says a code in a language of
:data:`forecast.names.LANGUAGES`, :func:`effects_table` is the evaluation's table with the verdicts
in both languages (``verdict``, ``verdict_nl``: the table the command line saves and prints), and
:func:`evaluation_figure` draws prior vs posterior density per effect, and :func:`evaluation_page`
is the page ``forecast evaluate`` writes (``reports/evaluatie_<fase>.html``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecast import names as N
from forecast.evaluation.phase_gate import (
    ESTIMATED,
    NO_DATA,
    NOT_ON_CHAIN,
    SWITCH_NOT_FITTED,
    PhaseEvaluation,
)
from forecast.evaluation.phase_gate import verdict as V
from forecast.reports import figures as F
from forecast.reports.labels import labels
from forecast.reports.markup import Formats, esc, img, table
from forecast.reports.render import PageRenderer

#: Each verdict code (:data:`forecast.evaluation.phase_gate.verdict.VERDICTS`) as a sentence per
#: language, with the fields ``months``, ``contraction``, ``min_contraction``, ``p_least`` and
#: ``p_dir``; ``switch_acts`` is added to a switch that acts in fitted months, ``indicative_only``
#: to an estimated effect when the fit failed its diagnostics gate.
VERDICT_SENTENCES: dict[str, dict[str, str]] = {
    "en": {
        V.VERDICT_SWITCH_NOT_FITTED: (
            "not estimated: a structural switch of the chain (its draw is a share, not a multiplier), "
            "which the refit cannot estimate; treated like an effect that does not act on the chain: "
            "posterior = prior"
        ),
        "switch_acts": (
            "; it acts in {months} fitted month(s) but the refit does not apply it, so the chain's own "
            "housing parameters take up its effect there: read the other housing effects with care"
        ),
        V.VERDICT_NOT_ON_CHAIN: (
            "not identifiable from the chain's data: a capacity effect acts on places, not on the "
            "chain; posterior = prior"
        ),
        V.VERDICT_NO_DATA: "no data yet: the measure does not act in any observed month; posterior = prior",
        V.VERDICT_CANNOT_TELL: (
            "the data cannot tell yet ({months} month(s) with the measure; contraction "
            "{contraction:.0%} < {min_contraction:.0%}): posterior ≈ prior"
        ),
        V.VERDICT_UNPLANNED_EFFECT: "an effect where none was planned (the 94 % interval excludes 0)",
        V.VERDICT_NO_EFFECT_AS_PLANNED: "consistent with no effect, as planned",
        V.VERDICT_AT_LEAST_PLANNED: "at least as large as planned (P = {p_least:.2f})",
        V.VERDICT_WRONG_DIRECTION: "no effect in the planned direction (P planned direction = {p_dir:.2f})",
        V.VERDICT_SMALLER_SAME_DIRECTION: (
            "smaller than planned, but in the planned direction (P at least planned = {p_least:.2f}, "
            "P planned direction = {p_dir:.2f})"
        ),
        V.VERDICT_SMALLER: "smaller than planned (P at least planned = {p_least:.2f})",
        V.VERDICT_CONSISTENT: (
            "consistent with the plan, not yet decisive (P at least planned = {p_least:.2f})"
        ),
        "indicative_only": "; the fit failed its diagnostics gate: indicative only",
    },
    "nl": {
        V.VERDICT_SWITCH_NOT_FITTED: (
            "niet geschat: een structurele omslag in de keten (de trekking is een aandeel, geen "
            "vermenigvuldiger), die de herfit niet kan schatten; behandeld als een effect dat niet op de "
            "keten werkt: posterior = prior"
        ),
        "switch_acts": (
            "; de omslag werkt in {months} gefitte maand(en), maar de herfit past hem niet toe, zodat "
            "de eigen huisvestingsparameters van de keten zijn effect daar opnemen: lees de andere "
            "huisvestingseffecten met zorg"
        ),
        V.VERDICT_NOT_ON_CHAIN: (
            "niet af te leiden uit de gegevens van de keten: een capaciteitseffect werkt op plaatsen, "
            "niet op de keten; posterior = prior"
        ),
        V.VERDICT_NO_DATA: (
            "nog geen gegevens: de maatregel werkt in geen enkele waargenomen maand; posterior = prior"
        ),
        V.VERDICT_CANNOT_TELL: (
            "de gegevens zeggen er nog niets over ({months} maand(en) met de maatregel; contractie "
            "{contraction:.0%} < {min_contraction:.0%}): posterior ≈ prior"
        ),
        V.VERDICT_UNPLANNED_EFFECT: "een effect waar geen effect was gepland (het 94%-interval bevat 0 niet)",
        V.VERDICT_NO_EFFECT_AS_PLANNED: "verenigbaar met geen effect, zoals gepland",
        V.VERDICT_AT_LEAST_PLANNED: "minstens zo groot als gepland (P = {p_least:.2f})",
        V.VERDICT_WRONG_DIRECTION: "geen effect in de geplande richting (P geplande richting = {p_dir:.2f})",
        V.VERDICT_SMALLER_SAME_DIRECTION: (
            "kleiner dan gepland, maar in de geplande richting (P minstens gepland = {p_least:.2f}, "
            "P geplande richting = {p_dir:.2f})"
        ),
        V.VERDICT_SMALLER: "kleiner dan gepland (P minstens gepland = {p_least:.2f})",
        V.VERDICT_CONSISTENT: (
            "verenigbaar met het plan, nog niet beslissend (P minstens gepland = {p_least:.2f})"
        ),
        "indicative_only": "; de fit haalde de diagnostische toets niet: alleen indicatief",
    },
}

#: The labels of :func:`evaluation_figure` per language; ``title`` has the field ``fase``.
FIGURE_LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "prior": "prior (plan)",
        "posterior": "posterior (na de fase)",
        "plan": "gepland",
        "zero": "geen effect",
        "x": "effect (log-vermenigvuldiger)",
        "x_places": "effect (plaatsen)",
        "title": "Fase-evaluatie {fase}: effecten van de maatregelen",
        "contraction": "contractie",
        "p": "P(minstens gepland)",
        NO_DATA: "nog geen gegevens: posterior = prior",
        NOT_ON_CHAIN: "niet uit de keten af te leiden: posterior = prior",
        SWITCH_NOT_FITTED: "structurele omslag, niet geschat: posterior = prior",
        "x_switch": "aandeel (0-1)",
    },
    "en": {
        "prior": "prior (plan)",
        "posterior": "posterior (after the phase)",
        "plan": "planned",
        "zero": "no effect",
        "x": "effect (log multiplier)",
        "x_places": "effect (places)",
        "title": "Phase evaluation {fase}: effects of the measures",
        "contraction": "contraction",
        "p": "P(at least planned)",
        NO_DATA: "no data yet: posterior = prior",
        NOT_ON_CHAIN: "not identifiable from the chain: posterior = prior",
        SWITCH_NOT_FITTED: "structural switch, not estimated: posterior = prior",
        "x_switch": "share (0-1)",
    },
}


def _check_lang(lang: str) -> None:
    if lang not in N.LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(N.LANGUAGES)}, got {lang!r}")


def verdict_sentence(row: Mapping[str, Any], lang: str, min_contraction: float, fit_failed: bool) -> str:
    """The verdict on one effect in words.

    Parameters
    ----------
    row : mapping of str to Any
        A row of :meth:`PhaseEvaluation.table <forecast.evaluation.phase_gate.PhaseEvaluation.table>`:
        ``verdict_code``, ``status``, ``months_with_data``, ``contraction``, ``p_at_least_planned``
        and ``p_planned_direction``.
    lang : {"nl", "en"}
        The language.
    min_contraction : float
        The evaluation's threshold below which the data cannot tell yet (said in that verdict).
    fit_failed : bool
        Whether the refit failed its diagnostics gate (an estimated effect is then indicative only).

    Returns
    -------
    str
        The sentence of :data:`VERDICT_SENTENCES` for the code, with the numbers filled in.

    Raises
    ------
    ValueError
        When ``lang`` is not a language of :data:`forecast.names.LANGUAGES`.
    """
    _check_lang(lang)
    text = VERDICT_SENTENCES[lang]
    code, months = row["verdict_code"], int(row["months_with_data"])
    out = text[code].format(
        months=months,
        contraction=row["contraction"],
        min_contraction=min_contraction,
        p_least=row["p_at_least_planned"],
        p_dir=row["p_planned_direction"],
    )
    if code == V.VERDICT_SWITCH_NOT_FITTED and months > 0:
        out += text["switch_acts"].format(months=months)
    if row["status"] == ESTIMATED and fit_failed:
        out += text["indicative_only"]
    return out


def effects_table(evaluation: PhaseEvaluation, all_effects: bool = False) -> pd.DataFrame:
    """The evaluation's table of effects with the verdicts in English and Dutch.

    Parameters
    ----------
    evaluation : PhaseEvaluation
        The phase evaluation.
    all_effects : bool
        Also the effects of the measures in force that do not act in the fase (see
        :meth:`PhaseEvaluation.table <forecast.evaluation.phase_gate.PhaseEvaluation.table>`).

    Returns
    -------
    pandas.DataFrame
        The table's columns with ``verdict_code`` replaced by ``verdict`` (English) and
        ``verdict_nl`` (Dutch), the last two columns.
    """
    table = evaluation.table(all_effects=all_effects)
    diag = evaluation.diagnostics
    failed = diag is not None and not diag.passed
    out = table.drop(columns="verdict_code")
    for column, lang in (("verdict", "en"), ("verdict_nl", "nl")):
        out[column] = [
            verdict_sentence(row, lang, evaluation.min_contraction, failed) for _, row in table.iterrows()
        ]
    return out


def evaluation_figure(evaluation: PhaseEvaluation, lang: str = "nl") -> Figure:
    """Prior vs posterior density of every effect, with the plan (prior mean) and no effect (0).

    Parameters
    ----------
    evaluation : PhaseEvaluation
        The phase evaluation drawn.
    lang : {"nl", "en"}
        Language of the labels (default Dutch; :data:`FIGURE_LABELS`).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per effect of the measures evaluated (up to three per row): the prior density
        (dashed), the posterior as a kernel density (estimated effects only), the plan and 0,
        with the contraction and P(at least planned).

    Raises
    ------
    ValueError
        When ``lang`` is not ``"nl"`` or ``"en"``.
    """
    _check_lang(lang)
    import pymc as pm
    import pytensor
    from scipy.stats import gaussian_kde

    text = FIGURE_LABELS[lang]
    table = evaluation.table()
    plans = [p for p in evaluation.plans if p.in_fase]
    k = len(plans)
    cols = min(k, 3) or 1
    rows = max(1, math.ceil(k / cols))
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).reshape(-1)
    for ax in axes[k:]:
        ax.set_visible(False)
    # the grids, and the exact prior densities in one compiled function
    grids = []
    for p in plans:
        post = evaluation.posterior_draws[p.name].reshape(-1)
        both = np.concatenate([evaluation.prior_draws[p.name], post])
        lo, hi = np.quantile(both, [0.001, 0.999])
        pad = 0.1 * (hi - lo or 1.0)
        grids.append(np.linspace(lo - pad, hi + pad, 400))
    logps = [
        pm.logp(getattr(pm, p.effect.prior.distribution).dist(**p.effect.prior.params), g)
        for p, g in zip(plans, grids, strict=True)
    ]
    densities = [np.exp(np.asarray(v, dtype=float)) for v in pytensor.function([], logps)()] if plans else []
    for ax, p, grid, dens, (_, row) in zip(axes, plans, grids, densities, table.iterrows(), strict=False):
        post = evaluation.posterior_draws[p.name].reshape(-1)
        ax.plot(grid, dens, color="0.45", ls="--", label=text["prior"])
        if p.status == ESTIMATED and np.std(post) > 0:
            kde = gaussian_kde(post)(grid)
            ax.fill_between(grid, kde, color="C0", alpha=0.35, label=text["posterior"])
        mu = float(row["prior_mean"])
        ax.axvline(mu, color="C3", lw=1, label=text["plan"])
        if p.effect.kind != N.EFFECT_SWITCH:  # a share of 0 is no "no effect"
            ax.axvline(0.0, color="k", lw=0.6, ls=":", label=text["zero"])
        ax.set_title(f"{p.effect.measure}\n{p.effect.target}", fontsize=9)
        xlabel = {N.EFFECT_PLACES: text["x_places"], N.EFFECT_SWITCH: text["x_switch"]}
        ax.set_xlabel(xlabel.get(p.effect.kind, text["x"]), fontsize=8)
        ax.set_yticks([])
        p_least = row["p_at_least_planned"]
        note = f"{text['contraction']} {row['contraction']:.0%}"
        if math.isfinite(p_least):
            note += f"\n{text['p']} {p_least:.2f}"
        if p.status != ESTIMATED:
            note += f"\n{text[p.status]}"
        ax.text(0.02, 0.97, note, transform=ax.transAxes, va="top", fontsize=7)
    axes[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(text["title"].format(fase=evaluation.fase), fontsize=11)
    return fig


def evaluation_page(
    evaluation,
    lang: str = "nl",
    outlook: pd.DataFrame | None = None,
    templates: str | os.PathLike | None = None,
) -> str:
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
    templates : str or os.PathLike, optional
        A folder of one's own ``page.html`` / ``style.css`` (:class:`~forecast.reports.render.PageRenderer`).

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
    f = Formats(lang)
    fmt = {c: f.decimals(3, sign=True) for c in ("prior", "posterior")}
    fmt.update({c: f.decimals(3) for c in ("prior sd", "posterior sd", "94% lo", "94% hi")})
    fmt.update({"P(>= plan)": f.prob, "contraction": f.prob, "contractie": f.prob})
    title = f"{'Evaluatie' if lang == 'nl' else 'Evaluation'}: {L.get(fase, fase)}"
    diag = evaluation.diagnostics
    if diag is None:
        banner = ""
    elif diag.passed:
        banner = f'<div class="banner ok">{esc(L["diagnostics"])}: {esc(L["diag_passed"])}</div>'
    else:
        banner = f'<div class="banner fail">{esc(L["diagnostics"])}: {esc(L["diag_failed"])}</div>'
    body = [
        banner,
        f"<p>{esc(evaluation.months_observed_in_phase())} "
        f"{'fitted month(s) in the phase' if lang == 'en' else 'geschatte maand(en) in de fase'}</p>",
        table(show, fmt, index=False, lang=lang),
        img(F.png(evaluation_figure(evaluation, lang)), title),
    ]
    if outlook is not None:
        body.append(
            f"<h2>{esc('Outlook for the next phase' if lang == 'en' else 'Vooruitzicht volgende fase')}</h2>"
        )
        body.append(table(outlook, {c: f.decimals(2) for c in outlook.columns}, lang=lang))
    nav = '<a href="index.html">' + esc(L["index_title"]) + "</a>"
    return PageRenderer(templates).page(title, lang, nav, "".join(body))
