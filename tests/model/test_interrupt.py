"""Ctrl-C during sampling stops the fit: no truncated fit is checked, kept or saved.

nutpie's blocking ``sample`` answers a KeyboardInterrupt by returning the draws made so far as if the
fit had finished; :func:`forecast.model.build.sample` samples in the background and cancels instead.
A fresh process starts a long fit and sends itself SIGINT three seconds after sampling has begun.
Without the fix the interrupt was lost and the 200,000-draw fit ran on (the test then times out).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from forecast.model import fitcache

pytestmark = pytest.mark.slow

SCRIPT = """
import json, os, signal, threading, warnings
import nutpie
import forecast
from forecast.model import ChainModel, ModelSettings

# a test run started in the background (`make test &` in a script) passes SIGINT on as ignored, and
# Python then installs no KeyboardInterrupt handler; at a terminal a user's Ctrl-C has Python's handler
signal.signal(signal.SIGINT, signal.default_int_handler)
warnings.simplefilter("ignore")
started = []
original = nutpie.sample


def sample_then_interrupt(*args, **kwargs):
    out = original(*args, **kwargs)  # sampling runs from here on
    started.append(True)
    threading.Timer(3.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    return out


nutpie.sample = sample_then_interrupt
history = forecast.load_history().until("2017-01-01")
model = ChainModel(history, settings=ModelSettings(start="2014-01", end="2016-12"))
try:
    model.fit(draws=200_000, tune=1000, chains=2, random_seed=4)
    outcome = "finished"
except KeyboardInterrupt:
    outcome = "interrupted"
print(json.dumps({"outcome": outcome, "sampling_started": bool(started), "fitted": model.idata is not None}))
"""


def test_ctrl_c_during_sampling_stops_the_fit():
    env = {k: v for k, v in os.environ.items() if k != fitcache.ENVIRONMENT_VARIABLE}  # really sample
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=240, check=False
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result == {"outcome": "interrupted", "sampling_started": True, "fitted": False}
