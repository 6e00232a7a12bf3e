"""Every public module, class, function, method and property has a numpydoc docstring that holds.

"Public" is what a user reaches without an underscore: each module of the package whose dotted
path has no part starting with ``_``, the names it defines (its ``__all__`` where it has one), and
their methods and properties. Each docstring is checked with :func:`numpydoc.validate.validate`
against the checks in :data:`ENFORCED`: it exists, has a one-line summary, documents every
parameter (with a type and a description) and nothing that is not a parameter, and says what a
function returns. The extended summary (ES01), "See Also" (SA01) and examples (EX01) are left to
the author's judgement.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Iterator

import pytest

import forecast

numpydoc_validate = pytest.importorskip("numpydoc.validate")

#: numpydoc checks every public docstring must pass (``numpydoc.validate.ERROR_MSGS`` has the texts).
ENFORCED = {
    "GL06",  # unknown section
    "GL07",  # sections in the wrong order
    "GL08",  # no docstring
    "SS01",  # no summary
    "PR01",  # a parameter is not documented
    "PR02",  # a documented parameter does not exist
    "PR04",  # a parameter has no type
    "PR07",  # a parameter has no description
    "RT01",  # a function that returns something has no Returns section
    "RT03",  # a return value has no description
}


def _public_modules() -> Iterator[object]:
    yield forecast
    for info in pkgutil.walk_packages(forecast.__path__, "forecast."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        yield importlib.import_module(info.name)


def _own(obj: object, module: object) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def public_objects() -> Iterator[tuple[str, object]]:
    """Yield ``(dotted name, object)`` for every public function, class, method and property."""
    seen: set[str] = set()
    for module in _public_modules():
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or not _own(obj, module):
                continue
            qualified = f"{module.__name__}.{name}"
            if qualified in seen:
                continue
            seen.add(qualified)
            yield qualified, obj
            if not inspect.isclass(obj):
                continue
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                method = inspect.isfunction(value) and _own(value, module) and value.__name__ != "<lambda>"
                if method or isinstance(value, property):
                    yield f"{qualified}.{member}", value


def numpydoc_errors(name: str) -> list[str]:
    """The enforced numpydoc errors of one object, as ``"CODE message"`` lines."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = numpydoc_validate.validate(name)
    return [f"{code} {message}" for code, message in result["errors"] if code in ENFORCED]


def test_the_walk_finds_the_public_api():
    found = dict(public_objects())
    assert len(found) > 200
    for name in (
        "forecast.model.chain_model.ChainModel.fit",
        "forecast.scenarios.engine.ScenarioEngine.phase_draws",
        "forecast.data.history.History.merge",
        "forecast.evaluation.phase_gate.gate.evaluate_phase",
    ):
        assert name in found, name
    # the backend namespaces' one-line aliases (``NP.exp = staticmethod(np.exp)``) are not API of their own
    assert "forecast.model.dynamics.NP.concatenate" in found
    assert not any(name.endswith((".NP.exp", ".PT.exp", ".NP.stack")) for name in found)


def test_every_public_module_has_a_docstring():
    missing = [m.__name__ for m in _public_modules() if not (m.__doc__ or "").strip()]
    assert not missing, missing


def test_every_public_docstring_passes_numpydoc_validation():
    failures = {}
    for name, _ in public_objects():
        errors = numpydoc_errors(name)
        if errors:
            failures[name] = errors
    report = "\n".join(f"{name}:\n    " + "\n    ".join(errs) for name, errs in sorted(failures.items()))
    assert not failures, f"{len(failures)} public objects fail numpydoc validation:\n{report}"


def test_the_check_catches_an_undocumented_parameter(monkeypatch):
    def undocumented(a, b):
        """Add two numbers.

        Parameters
        ----------
        a : float
            The first.
        """
        return a + b

    monkeypatch.setattr(forecast, "undocumented_example", undocumented, raising=False)
    undocumented.__module__ = "forecast"
    errors = numpydoc_errors("forecast.undocumented_example")
    assert any(e.startswith("PR01") for e in errors)
    assert any(e.startswith("RT01") for e in errors)
