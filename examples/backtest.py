"""Rolling-origin backtest: would the model have forecast what happened next?

Run: ``.venv/bin/python examples/backtest.py [--full] [--serial]``

At each forecast origin the chain model is fitted on the history known then
(``History.until(origin)``), continued 3-24 months under the policy in force, and scored with the
baselines (persistence, seasonal naive, ETS) against every figure published later: coverage of
the central 50/80/95 % intervals, CRPS on the log scale, the 90 % pinball loss and PIT values.

The origins are independent tasks and run on a local ``dask.distributed`` cluster (one worker
process per origin, as many as there are cores); ``--serial`` runs them one after the other in
this process instead, with the same numbers. Pass a ``dask.distributed.Client`` as ``client=`` to
run them on a real cluster.

Without ``--full`` this is a CI-sized smoke run: two origins (2017-01 and 2017-07, the shortest
fits) with 2 chains x 100 draws after 150 tuning steps, about a minute on two cores (most of it
compiling the two models). Its fits fail the diagnostics gate (too few draws) and its scores rest
on about a hundred figures: the numbers show the output, not the model's skill. ``--full`` runs
every half year 2017-01 .. 2024-07 with the model's 4 chains x 1000 draws (about 7 minutes on two
idle cores; ``benchmarks/backtest.py`` is the same run with more options).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from forecast.evaluation.backtest import backtest, default_origins
from forecast.reports.backtest import figure_files


def main(argv: list[str]) -> None:
    full = "--full" in argv
    parallel = "--serial" not in argv
    if full:
        result = backtest(default_origins(), parallel=parallel)  # the model's 4 chains x 1000 draws
    else:
        origins = default_origins("2017-01-01", "2017-07-01")
        result = backtest(origins, parallel=parallel, draws=100, tune=150, chains=2, n_samples=300)
    print(result.summary())

    # the tidy table: one row per origin and published figure, the model's quantiles and the baselines
    table = result.table()
    cols = ["origin", "series", "definition", "period_end", "horizon", "observed", "model_q10", "model_q50"]
    cols += ["model_q90", "persistence_q50", "ets_q50"]
    print(table[cols].head(12).to_string(index=False, float_format=lambda v: f"{v:,.0f}"))

    with tempfile.TemporaryDirectory() as tmp:
        out = Path("out/backtest") if full else Path(tmp)
        paths = result.save(out, figures=figure_files(result))  # pit.png, crps.png
        print(f"wrote {', '.join(p.name for p in paths.values())}" + (f" to {out}/" if full else ""))


if __name__ == "__main__":
    main(sys.argv[1:])
