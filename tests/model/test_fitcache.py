"""The fit cache: keys that follow every input, entries read back whole, one sampler per key at a time."""

from __future__ import annotations

import threading
import time

import pytest
import xarray as xr

from forecast.model import fitcache

RUN = {"sampler": "nutpie", "draws": 10, "tune": 10, "chains": 2, "random_seed": 1}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(fitcache.ENVIRONMENT_VARIABLE, str(tmp_path))
    return tmp_path


def test_the_key_follows_config_data_and_every_sampler_setting():
    key = fitcache.fit_key("sha256:c", "sha256:d", RUN)
    assert key == fitcache.fit_key("sha256:c", "sha256:d", dict(RUN))
    assert key != fitcache.fit_key("sha256:c2", "sha256:d", RUN)
    assert key != fitcache.fit_key("sha256:c", "sha256:d2", RUN)
    for name, other in (("draws", 11), ("tune", 11), ("chains", 4), ("random_seed", 2), ("sampler", "pymc")):
        assert key != fitcache.fit_key("sha256:c", "sha256:d", {**RUN, name: other}), name


def test_the_key_follows_the_kind_of_machine_but_not_its_core_count(monkeypatch):
    """Draws are bit-identical on one kind of processor, not across kinds: a cache carried to another
    machine must not serve them; the number of cores does not change them."""
    here = fitcache.machine()
    key = fitcache.fit_key("sha256:c", "sha256:d", RUN)
    monkeypatch.setattr(fitcache, "machine", lambda: {**here, "cores": "64"})
    assert fitcache.fit_key("sha256:c", "sha256:d", RUN) == key
    for part in fitcache.MACHINE_KEY:
        monkeypatch.setattr(fitcache, "machine", lambda part=part: {**here, part: here[part] + "-other"})
        assert fitcache.fit_key("sha256:c", "sha256:d", RUN) != key, part


def test_off_unless_the_variable_names_a_folder(monkeypatch):
    monkeypatch.delenv(fitcache.ENVIRONMENT_VARIABLE, raising=False)
    assert fitcache.cache_folder() is None
    assert fitcache.load("k") is None and fitcache.store("k", xr.DataTree()) is None
    with fitcache.locked("k"):  # a no-op without a cache
        pass


def test_store_and_load_round_trip(cache):
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"a": ("draw", [1.0, 2.0])})})
    fitcache.store("key", tree)
    back = fitcache.load("key")
    xr.testing.assert_identical(back["posterior"].to_dataset(), tree["posterior"].to_dataset())
    (cache / "bad.nc").write_bytes(b"not netcdf")
    assert fitcache.load("bad") is None  # an unreadable entry is sampled again


def test_a_second_process_waits_for_the_key_the_first_is_sampling(cache):
    """Parallel test workers sample a shared fit once: the lock holds the second until the first stores."""
    events: list[str] = []
    inside = threading.Event()

    def first():
        with fitcache.locked("key"):
            events.append("first in")
            inside.set()
            time.sleep(1.0)
            events.append("first out")

    def second():
        inside.wait()
        with fitcache.locked("key"):
            events.append("second in")

    def other_key():
        inside.wait()
        with fitcache.locked("another key"):
            events.append("other key in")

    threads = [threading.Thread(target=f) for f in (first, second, other_key)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert events.index("second in") > events.index("first out")
    assert events.index("other key in") < events.index("first out")  # another key does not wait
