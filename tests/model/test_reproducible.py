"""The same seed and data give the same draws in any process: cold or warm compile caches, any thread count.

A fit compiled from scratch once drew a different posterior from the same fit read back from
PyTensor's compile cache (PyTensor's numba backend compiled with fast-math, whose arithmetic depends on
how LLVM inlines the kernels; :func:`forecast.model.build.exact_float_compile`). Dask's workers, which
set ``OMP_NUM_THREADS=1``, then disagreed with the in-memory backtest. Here two fresh processes fit the
same small model: the first with empty compile caches and one thread everywhere, the second reading
the caches the first wrote, with two threads and another hash seed. Their draws must be identical,
bit for bit.
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
import hashlib, json, warnings
import numpy as np
import forecast
from forecast.model import ChainModel, ModelSettings

warnings.simplefilter("ignore")
history = forecast.load_history().until("2017-01-01")
model = ChainModel(history, settings=ModelSettings(start="2014-01", end="2016-12"))
model.fit(draws=60, tune=60, chains=2, random_seed=3)
post = model.idata["posterior"].to_dataset()
digest = hashlib.sha256()
for name in sorted(post.data_vars):
    digest.update(name.encode())
    digest.update(np.ascontiguousarray(post[name].values).tobytes())
print(json.dumps({"sha256": digest.hexdigest(), "level_sum": float(post["instroom_level"].sum())}))
"""


def _fit_in_a_fresh_process(env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if k != fitcache.ENVIRONMENT_VARIABLE}  # sample for real
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], env={**clean, **env}, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_cold_and_warm_caches_and_thread_counts_give_identical_draws(tmp_path):
    caches = {
        "PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}",
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
    }
    one_thread = {
        "NUMBA_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONHASHSEED": "1",
    }
    two_threads = {
        "NUMBA_NUM_THREADS": "2",
        "OMP_NUM_THREADS": "2",
        "MKL_NUM_THREADS": "2",
        "OPENBLAS_NUM_THREADS": "2",
        "PYTHONHASHSEED": "2",
    }
    cold = _fit_in_a_fresh_process(caches | one_thread)  # compiles everything from scratch
    warm = _fit_in_a_fresh_process(caches | two_threads)  # reads every kernel back from the caches
    assert cold == warm
