"""The layers import in one direction only: data, priors, model, scenarios, evaluation, reports, cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "forecast"
#: Each layer and the layers it may import (names.py is shared by all).
ALLOWED = {
    "data": {"data"},
    "priors": {"priors"},
    "model": {"data", "priors", "model"},
    "scenarios": {"data", "priors", "model", "scenarios"},
    "evaluation": {"data", "priors", "model", "scenarios", "evaluation"},
    "reports": {"data", "priors", "model", "scenarios", "evaluation", "reports"},
}


def imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "forecast" and len(parts) > 1 and parts[1] in {*ALLOWED, "cli"}:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_lower_layer_never_imports_a_higher_one(layer):
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        bad = imported_layers(path) - ALLOWED[layer]
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"
