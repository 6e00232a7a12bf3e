"""The README's Python examples run as written, in order, on the bundled real data.

Each ```` ```python ```` block of ``README.md`` is executed verbatim (no reduced settings) in a
fresh folder, in the order a reader meets them: the first fits the model with the default settings
and saves ``out/fit.nc``, which the scenario block loads. The data block merges a file of "your own
rows", ``my_quarter.csv``: here the real figures of the last quarter of the bundle (periods ending
after 30 September 2024), with their sources.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

import forecast
from forecast import names as N

README = Path(__file__).parents[1] / "README.md"


def python_blocks(text: str) -> list[str]:
    """The ```` ```python ```` blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def code_lines(block: str) -> list[str]:
    """The lines of a block that are code: not blank, not only a comment."""
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_make_run_installs_only_what_the_main_job_needs():
    """``make run`` installs the package and its runtime dependencies, no test or docs tools; ``make
    test`` adds the dev extras (a dry run of every step, as on a fresh machine)."""
    import subprocess

    def steps(target: str) -> str:
        dry = subprocess.run(["make", "-n", "-B", target], cwd=README.parent, capture_output=True, text=True)
        assert dry.returncode == 0, dry.stderr
        return dry.stdout

    run = steps("run")
    assert "pip install --quiet -e .\n" in run and "[dev]" not in run and "forecast run --out out" in run
    assert 'pip install --quiet -e ".[dev]"' in steps("test")


def test_the_readme_has_the_examples_in_the_expected_order():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 3
    first = blocks[0]
    assert len(code_lines(first)) <= 10, "the README promises the model in ten lines"
    assert "model.fit(" in first and 'model.save("out/fit.nc")' in first
    assert any('ChainModel.load("out/fit.nc")' in b for b in blocks[1:])


@pytest.mark.slow
def test_every_python_block_of_the_readme_runs(tmp_path, monkeypatch):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)
    observations = forecast.load_history().observations
    quarter = observations[observations[N.PERIOD_END] > pd.Timestamp("2024-09-30")]
    quarter[list(N.RECORD_COLUMNS)].to_csv("my_quarter.csv", index=False, date_format="%Y-%m-%d")
    namespaces = []
    for number, block in enumerate(blocks):
        namespace: dict = {"__name__": f"readme_block_{number}"}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"README.md python block {number}", "exec"), namespace)
        assert out.getvalue().strip(), f"block {number} printed nothing"
        namespaces.append((namespace, out.getvalue()))

    fit_ns, fit_out = namespaces[0]
    assert (tmp_path / "out" / "fit.nc").is_file()
    assert "sampler diagnostics PASSED" in fit_out, fit_out  # the default fit passes the gate
    need = fit_ns["need"]
    assert set(need.dims) == {N.DIM_CHAIN, N.DIM_DRAW, N.DIM_MONTH}
    assert float(need.sel(month="2024-12").median()) > 10_000

    scenario_ns, scenario_out = next((ns, o) for ns, o in namespaces if "engine" in ns)
    engine = scenario_ns["engine"]
    combinations, bundles = 2 ** len(engine.measures.ids), engine.bundles().sizes[N.DIM_SCENARIO]
    assert scenario_ns["draws"].sizes[N.DIM_SCENARIO] == combinations + bundles
    assert scenario_ns["paths"].sizes[N.DIM_MONTH] == 72  # 2025-01 .. 2030-12
    assert "need_median" in scenario_out

    data_ns, _ = next((ns, o) for ns, o in namespaces if "update" in ns)
    assert len(data_ns["update"]) == len(quarter)
    assert data_ns["history"].data_hash == forecast.load_history().data_hash  # the same real figures
