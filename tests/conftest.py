"""Shared fixtures: the default seeded fit of the real history, and the fit cache of the whole run."""

from __future__ import annotations

import os
import tempfile

import pytest

from forecast.model import ChainModel, fitcache
from forecast.model.diagnostics import Thresholds

#: The session's fit of the bundled history: exactly the README's and ``forecast run``'s default fit
#: (4 chains x 1000 draws after 300 tuning steps, seed 2026), so that the README test reads it back
#: from the fit cache instead of sampling it again, and the fixed-seed regression pins the numbers
#: a user gets. The full diagnostics gate applies.
SESSION_FIT = {"draws": 1000, "tune": 300, "chains": 4, "random_seed": 2026}

# A CI-sized seeded fit for tests that sample a model of their own (parameter recovery): 2 chains x
# 1000 draws after 600 tuning steps. Its gate scales the full one (R-hat <= 1.01, ESS >= 400 over 4
# chains) to 2 chains: ESS >= 200, and R-hat <= 1.02 because split R-hat from 2 chains is a noisier
# estimate. No divergences, E-BFMI >= 0.3 as in full. Measured on the recovery fit (2026-11-29):
# 600 tuning steps give max R-hat 1.0051, min ESS bulk 582 / tail 640, 0 divergences (1000 steps:
# 1.0100, 611 / 669; 500 steps: 1.0142, 350 / 556), at 34 s of sampling instead of 42 s.
SMALL = {"draws": 1000, "tune": 600, "chains": 2, "random_seed": 11}
SMALL_GATE = Thresholds(max_rhat=1.02, min_ess=200, max_divergences=0, min_bfmi=0.3)


#: The test files with the longest runs (real MCMC fits, fresh processes), longest first, measured on
#: a 2-core machine (2026-11-29). Pytest runs them first, and `make test` hands whole files to its
#: workers in collection order (``--dist loadfile --no-loadscope-reorder``): the long files start at
#: once and the many short ones fill the workers' time at the end, instead of one long file running
#: alone after everything else. The first starts the session's fit (:data:`SESSION_FIT`), which the
#: later ones read from the fit cache. Files not listed keep their order, after these.
LONGEST_FILES: tuple[str, ...] = (
    "tests/model/test_forward.py",  # the session fit, about 2 minutes, then six short windows
    "tests/model/test_reproducible.py",  # two fresh processes with cold compile caches, about 2 minutes
    "tests/evaluation/test_sbc.py",  # two fits of simulated data
    "tests/model/test_recovery.py",  # two fits of simulated data
    "tests/test_examples.py",  # the examples' own smoke fits
    "tests/evaluation/test_phase_gate.py",  # fits with effects
    "tests/evaluation/test_backtest.py",  # two origins, in memory and on a dask cluster
    "tests/test_cli.py",
    "tests/scenarios/test_engine.py",
    "tests/model/test_interrupt.py",
    "tests/evaluation/test_official.py",
    "tests/reports/test_reports.py",
    "tests/test_readme.py",
)


def pytest_collection_modifyitems(config, items):
    """Run :data:`LONGEST_FILES` first, in their order (each file's tests stay together and in order)."""
    rank = {path: i for i, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(LONGEST_FILES)))


def pytest_configure(config):
    """Turn on the fit cache (forecast/model/fitcache.py) for the whole run, examples included.

    A fit is a pure function of code, data, priors and sampler settings (bit-identical in any
    process), so the suite samples each distinct fit once: the README, the examples and the command
    line tests ask for the same fits as the fixtures. The cache lives in pytest's cache folder
    (``.pytest_cache``; keyed by the package's source, data, priors and settings, so an edit never
    reads old draws), or a temporary folder when the cache plugin is off. A cache the user set is kept.
    """
    if os.environ.get(fitcache.ENVIRONMENT_VARIABLE):
        return
    cache = getattr(config, "cache", None)
    folder = cache.mkdir("forecast-fits") if cache is not None else tempfile.mkdtemp(prefix="forecast-fits-")
    os.environ[fitcache.ENVIRONMENT_VARIABLE] = str(folder)


@pytest.fixture(scope="session")
def fitted() -> ChainModel:
    """The chain model fitted to the bundled real history with the default settings (:data:`SESSION_FIT`)."""
    model = ChainModel()
    model.fit(**SESSION_FIT)
    model.sample_posterior_predictive(random_seed=3)
    return model


@pytest.fixture(scope="session")
def small_fit() -> tuple[dict, Thresholds]:
    """The CI-sized sampler settings and gate (for tests that sample a model of their own)."""
    return SMALL, SMALL_GATE


@pytest.fixture(scope="session")
def saved_quick_fit(tmp_path_factory):
    """``forecast fit --quick`` on the bundled history (2 chains x 200 draws after 300 tuning steps,
    seed 2026; its gate fails), saved: the fit the command-line tests, the reports and the examples
    share through the fit cache. Tests of what a command does with a fit, not of the fit's numbers,
    take it: their scenario grids then run over 400 draws, not 4,000 (the numbers are tested on
    :func:`fitted` in tests/scenarios/)."""
    import warnings

    from forecast.cli.common import quick_settings
    from forecast.model import FitDiagnosticsWarning

    model = ChainModel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitDiagnosticsWarning)
        model.fit(settings=quick_settings())
    path = tmp_path_factory.mktemp("quick-fit") / "fit.nc"
    model.save(path)
    return path
