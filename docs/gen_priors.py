"""The tables of the Priors page, generated at build time from the prior files.

MkDocs runs this file as a hook (``hooks:`` in ``mkdocs.yml``). On the page ``priors.md``
every marker ``<!-- generated: NAME -->`` is replaced by the Markdown of :func:`tables`
``[NAME]``. The tables are built with the project's own loaders
(``forecast.priors.load_priors``, ``forecast.scenarios.load_phases`` and
``forecast.scenarios.load_measures``, the same code that checks the files for the model), so
the page cannot drift from ``priors/*.toml`` and ``priors/policy/*.toml``: an invalid file
fails the build with the loader's message, and an unknown marker fails it too.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.priors import load_priors
from forecast.scenarios import MeasureSet, PhaseSchedule, load_measures, load_phases

#: The repository's folder of prior files (``forecast/priors/defaults`` in the installed package).
PRIORS_DIR = Path(__file__).resolve().parents[1] / "priors"
#: The page (relative to ``docs/``) whose markers are replaced.
PAGE = "priors.md"
MARKER = re.compile(r"<!-- generated: ([a-z_]+) -->")
#: Characters escaped in free text so that it stays plain text inside a Markdown table cell.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|])")


# ---------------------------------------------------------------------- cell formatting


def _text(value: Any) -> str:
    """Free text as a safe table cell: one line, Markdown and HTML specials escaped."""
    flat = " ".join(str(value).split())
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", flat), quote=False)


def _code(value: str) -> str:
    return f"`{value}`"


def _number(value: float) -> str:
    """A mean or sd: three significant digits, thousands separated; '–' where undefined."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _date(stamp: pd.Timestamp) -> str:
    return f"{stamp:%Y-%m-%d}"


def _prior(distribution: str, parameters: str) -> str:
    """The distribution and, under it, its parameters (``mu=7.6, sigma=0.5``)."""
    return f"{distribution}<br>{_text(parameters)}"


def _rationale_source(rationale: str, source: str) -> str:
    """The rationale, and under it the source, in one cell (keeps the tables narrow enough to read)."""
    return f"{_text(rationale)}<br>*Source:* {_text(source)}"


def _table(kind: str, header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table in ``<div class="generated-table KIND">`` (widths: ``extra.css``)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return f'<div class="generated-table {kind}" markdown>\n\n' + "\n".join(lines) + "\n\n</div>"


# ---------------------------------------------------------------------- the tables


def model_priors_table(priors_dir: Path) -> str:
    """Every prior of the model (``priors/*.toml``), one table per file."""
    frame = load_priors(priors_dir).to_frame()
    parts = [
        f"{len(frame)} priors in {frame['file'].nunique()} files "
        f"({', '.join(_code(f) for f in sorted(frame['file'].unique()))})."
    ]
    header = ["name", "prior", "mean", "sd", "unit", "rationale and source"]
    for file, group in frame.groupby("file", sort=True):
        rows = [
            [
                _code(r.parameter),
                _prior(r.distribution, r.parameters),
                _number(r.mean),
                _number(r.sd),
                _text(r.unit),
                _rationale_source(r.rationale, r.source),
            ]
            for r in group.itertuples(index=False)
        ]
        parts.append(f"### `priors/{file}`\n\n{_table('model-priors', header, rows)}")
    return "\n\n".join(parts)


def phases_table(phases: PhaseSchedule) -> str:
    """The phases (``priors/policy/phases.toml``) in time order."""
    header = ["phase", "Dutch name", "start", "end (exclusive)", "months", "description", "source"]
    rows = []
    for r in phases.to_frame().itertuples(index=False):
        if r.open_ended:
            end = f"open: the forecast horizon (default to {phases.horizon_end:%Y-%m-%d})"
            months = f"{r.months} (to {phases.horizon_end:%Y-%m})"
        else:
            end, months = _date(r.end), str(r.months)
        rows.append(
            [
                _code(r.phase),
                _text(r.name_nl),
                _date(r.start),
                end,
                months,
                _text(r.description),
                _text(r.source),
            ]
        )
    return _table("phases", header, rows)


def measures_table(measures: MeasureSet) -> str:
    """One row per measure: its phase, start, ramp and the targets it acts on."""
    header = ["measure", "Dutch name", "phase", "start", "ramp (months)", "acts on"]
    rows = [
        [
            f"[{_code(m.id)}](#{m.id})",
            _text(m.name_nl),
            _code(m.phase),
            _date(m.start),
            str(m.ramp_months),
            ", ".join(_code(e.target) + (" (side effect)" if e.side_effect else "") for e in m.effects),
        ]
        for m in measures
    ]
    return _table("measures", header, rows)


def effects_table(measures: MeasureSet) -> str:
    """Per measure: what it is, where it is described, and the prior of each of its effects."""
    frame = measures.to_frame()
    header = ["effect", "kind", "ramp (months)", "prior", "mean", "sd", "unit", "rationale and source"]
    parts = [f"{len(frame)} effects of {len(measures)} measures."]
    for m in measures:
        rows = [
            [
                _code(f"{r.measure}.{r.target}") + (" (side effect)" if r.side_effect else ""),
                _code(r.kind),
                str(r.ramp_months),
                _prior(r.distribution, r.parameters),
                _number(r.mean),
                _number(r.sd),
                _text(r.unit),
                _rationale_source(r.rationale, r.source),
            ]
            for r in frame[frame["measure"] == m.id].itertuples(index=False)
        ]
        parts.append(
            f"### `{m.id}` {{#{m.id}}}\n\n"
            f"**{_text(m.name_nl)}**. {_text(m.description)}\n\n"
            f"Phase `{m.phase}`, first effect {_date(m.start)}, full after {m.ramp_months} months. "
            f"Source: {_text(m.source)}\n\n"
            f"{_table('effects', header, rows)}"
        )
    return "\n\n".join(parts)


def bundles_table(measures: MeasureSet) -> str:
    """The named bundles (scenarios with a name) and the measures each switches on."""
    header = ["bundle", "Dutch name", "measures", "description"]
    rows = []
    for b in measures.bundles.values():
        if len(b.measures) == len(measures):
            active = f"all {len(measures)}"
        elif not b.measures:
            active = "none"
        else:
            active = ", ".join(_code(m) for m in b.measures)
        rows.append([_code(b.id), _text(b.name_nl), active, _text(b.description)])
    return _table("bundles", header, rows)


def tables(priors_dir: str | Path = PRIORS_DIR) -> dict[str, str]:
    """The Markdown of every generated table, keyed by marker name.

    Parameters
    ----------
    priors_dir : str or Path
        A priors folder laid out as the repository's ``priors/`` (``*.toml`` and
        ``policy/phases.toml``, ``policy/measures.toml``).

    Returns
    -------
    dict of str to str
        ``model_priors``, ``phases``, ``measures``, ``effects`` and ``bundles``.
    """
    folder = Path(priors_dir)
    phases = load_phases(folder / "policy" / "phases.toml")
    measures = load_measures(folder / "policy" / "measures.toml", phases=phases)
    return {
        "model_priors": model_priors_table(folder),
        "phases": phases_table(phases),
        "measures": measures_table(measures),
        "effects": effects_table(measures),
        "bundles": bundles_table(measures),
    }


def render(markdown: str, priors_dir: str | Path = PRIORS_DIR) -> str:
    """Replace every ``<!-- generated: NAME -->`` marker of a page by its table."""
    generated = tables(priors_dir)

    def table(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in generated:
            raise ValueError(f"{PAGE}: unknown marker {name!r}; the generated tables are {sorted(generated)}")
        return generated[name]

    return MARKER.sub(table, markdown)


# ---------------------------------------------------------------------- the MkDocs hook


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: fill in the tables of the Priors page; leave every other page alone."""
    if page.file.src_uri != PAGE:
        return markdown
    return render(markdown)
