"""How the posterior is sampled (forecast/model/sampler.py): one SamplerSettings, keywords override it."""

from __future__ import annotations

import dataclasses

import pytest

from forecast import names as N
from forecast.model import ChainModel, SamplerSettings, fitcache
from forecast.model import build as B

#: The default fit: nutpie, 4 chains x 1000 draws after 300 tuning steps (1000 until 2026-11-30;
#: nutpie's own default, measured in forecast/model/sampler.py), seed 2026.
FIT_DEFAULTS = {"sampler": "nutpie", "draws": 1000, "tune": 300, "chains": 4, "random_seed": 2026}


def test_the_defaults_are_fit_s_defaults():
    settings = SamplerSettings()
    assert N.DEFAULT_SEED == 2026
    assert {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)} == {
        **FIT_DEFAULTS,
        "target_accept": 0.8,
        "progressbar": None,
    }
    # the fit cache's key of a default fit is the one it always had (target_accept only when not 0.8)
    assert settings.run_key() == FIT_DEFAULTS
    assert SamplerSettings(target_accept=0.9).run_key() == {**FIT_DEFAULTS, "target_accept": 0.9}


def test_settings_are_frozen_and_checked():
    settings = SamplerSettings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.draws = 10
    with pytest.raises(ValueError, match="unknown sampler 'stan'"):
        SamplerSettings(sampler="stan")
    with pytest.raises(ValueError, match="unknown sampler"):
        settings.override(sampler="stan")
    with pytest.raises(TypeError, match="unknown sampler setting"):
        settings.override(draw=10)
    for rate in (0.0, 1.0, 80.0, float("nan")):
        with pytest.raises(ValueError, match="target_accept must lie strictly between 0 and 1"):
            settings.override(target_accept=rate)


def test_a_keyword_overrides_its_field_and_none_keeps_it():
    quick = SamplerSettings(draws=200, tune=300, chains=2, random_seed=7)
    assert quick.override() is quick
    assert quick.override(draws=None, random_seed=None) is quick
    changed = quick.override(random_seed=1, progressbar=False)
    assert (changed.draws, changed.tune, changed.chains, changed.random_seed) == (200, 300, 2, 1)
    assert changed.progressbar is False
    assert quick.random_seed == 7  # unchanged


class _Sampled(Exception):
    """Raised by the stand-in sampler: the test stops before any MCMC."""


def test_fit_samples_with_the_settings_and_the_keywords_override_them(monkeypatch):
    seen: list[dict] = []

    def sample(model, **run):
        seen.append(run)
        raise _Sampled

    monkeypatch.setattr(B, "sample", sample)
    monkeypatch.setattr(fitcache, "load", lambda key: None)  # always a cache miss: the sampler is asked
    model = ChainModel()
    with pytest.raises(_Sampled):
        model.fit(progressbar=False)
    with pytest.raises(_Sampled):
        model.fit(
            settings=SamplerSettings(draws=50, tune=60, chains=1, random_seed=5), draws=70, progressbar=False
        )
    with pytest.raises(_Sampled):
        model.fit(settings=SamplerSettings(target_accept=0.95), sampler="pymc", progressbar=True)
    assert seen == [
        {**FIT_DEFAULTS, "progressbar": False},
        {"sampler": "nutpie", "draws": 70, "tune": 60, "chains": 1, "random_seed": 5, "progressbar": False},
        {**FIT_DEFAULTS, "sampler": "pymc", "target_accept": 0.95, "progressbar": True},
    ]
    with pytest.raises(ValueError, match="unknown sampler"):
        model.fit(sampler="stan")
