"""The documentation site: the generated priors tables and the strict build."""

from __future__ import annotations

import doctest
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PRIORS = ROOT / "priors"


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_priors", ROOT / "docs" / "gen_priors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_priors = _load_generator()


def _toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_generated_tables_name_every_prior_measure_effect_phase_and_bundle():
    tables = gen_priors.tables(PRIORS)
    text = "\n".join(tables.values())
    model_priors = [name for path in sorted(PRIORS.glob("*.toml")) for name in _toml(path)]
    assert len(model_priors) > 30
    for name in model_priors:
        assert f"`{name}`" in tables["model_priors"], name
    measures = _toml(PRIORS / "policy" / "measures.toml")
    for m in measures["measure"]:
        assert f"`{m['id']}`" in tables["measures"], m["id"]
        for e in m["effects"]:
            assert f"`{m['id']}.{e['target']}`" in tables["effects"], (m["id"], e["target"])
    for b in measures["bundle"]:
        assert f"`{b['id']}`" in tables["bundles"], b["id"]
    for p in _toml(PRIORS / "policy" / "phases.toml")["phase"]:
        assert f"`{p['name']}`" in tables["phases"], p["name"]
    assert "<!--" not in text


def test_every_marker_of_the_priors_page_is_filled_and_table_cells_stay_one_line():
    page = (ROOT / "docs" / gen_priors.PAGE).read_text(encoding="utf-8")
    markers = set(gen_priors.MARKER.findall(page))
    assert markers == set(gen_priors.tables(PRIORS))
    rendered = gen_priors.render(page, PRIORS)
    assert not gen_priors.MARKER.search(rendered)
    tables, current = [], []
    for line in [*rendered.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert len(tables) >= 5
    for table in tables:  # an unescaped "|" in a cell would add a column
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
        assert len(widths) == 1, table[0]
    assert "instroom_sigma" in rendered


def test_an_unknown_marker_fails_loudly():
    with pytest.raises(ValueError, match="unknown marker"):
        gen_priors.render("<!-- generated: no_such_table -->", PRIORS)


def test_free_text_is_escaped_for_a_table_cell():
    cell = gen_priors._text("a | b\n  <c> *d* [e] x_y")
    assert "\n" not in cell
    assert r"\|" in cell and "&lt;c&gt;" in cell and r"\*d\*" in cell and r"\[e\]" in cell


def test_the_examples_page_lists_every_example_script():
    page = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    scripts = sorted(p.name for p in (ROOT / "examples").glob("*.py"))
    assert len(scripts) >= 8
    for script in scripts:
        assert f"`{script}`" in page, f"docs/examples.md does not describe examples/{script}"


def test_the_interactive_examples_of_the_pages_hold():
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    found = 0
    for page in sorted((ROOT / "docs").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for number, block in enumerate(re.findall(r"```python\n(>>> .*?)```", text, flags=re.S)):
            test = parser.get_doctest(block, {}, f"{page.name}[{number}]", str(page), 0)
            result = runner.run(test, out=lambda s: None)
            assert result.failed == 0, f"{page.name}: example {number} fails:\n{block}"
            found += 1
    assert found >= 2


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    priors_html = (site / "priors.html").read_text(encoding="utf-8")
    assert "instroom_sigma" in priors_html
    assert "verbod_op_voorrang" in priors_html
    assert "geen_nieuw_beleid" in priors_html
    assert "&lt;!-- generated" not in priors_html and "<!-- generated" not in priors_html
    for page in ("getting-started", "examples", "model", "data", "data-sources", "scenarios", "glossary"):
        assert (site / f"{page}.html").is_file(), page
    for module in ("forecast", "data", "priors", "model", "scenarios"):
        assert (site / "api" / f"{module}.html").is_file(), module
    assert "ChainModel" in (site / "api" / "model.html").read_text(encoding="utf-8")
    # the example scripts are included, not copied by hand
    examples = (site / "examples.html").read_text(encoding="utf-8")
    assert "ind_taskforce_2026" in examples and "LocalCluster" in examples and "History.from_csv" in examples
    # the bundled README is included, not copied by hand
    sources = (site / "data-sources.html").read_text(encoding="utf-8")
    assert "Known breaks and caveats" in sources
    # the site works opened from disk, offline: pages are files, every link between them resolves, and
    # no page loads anything from another machine (no web fonts, scripts or stylesheets off the site)
    pages = sorted(p for p in site.rglob("*.html") if p.name != "404.html")  # 404: a web server's page
    broken, remote = [], []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        remote += [
            f"{page.name}: {m}"
            for m in re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="(https?:[^"]+)"', html)
        ]
        remote += [
            f"{page.name}: @import {m}" for m in re.findall(r"@import url\(['\"]?(https?:[^)'\"]+)", html)
        ]
        for link in re.findall(r'href="([^"#?:]+)(?:#[^"]*)?"', html):
            if not (page.parent / link).resolve().exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
    assert not remote, remote[:10]
    assert not broken, broken[:10]
    # the docstrings' reST markers do not leak onto the API pages (docs/sphinx_roles.py)
    leaks = [
        p.name
        for p in (site / "api").glob("*.html")
        if re.search(r"::</p>|\.\. math::|:math:<", p.read_text())
    ]
    assert not leaks, leaks
