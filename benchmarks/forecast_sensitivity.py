"""Rescore saved backtest fits with one parameter held at a value in the forecast; writes a backtest run.

usage: python benchmarks/forecast_sensitivity.py --fits FOLDER [--parameter NAME --value V]
                                                 [--series S [S ...]] [--first 2017-01-01]
                                                 [--last 2022-07-01] [--step 6] [--draws 1000]
                                                 [--tune 300] [--chains 4] [--target-accept 0.8]
                                                 [--seed 2026] [--max-horizon 24]
                                                 [--out out/sensitivity]

Which of a model's parameters drives a forecast's miss? For every origin whose fit is saved in
``--fits`` (``benchmarks/backtest.py --fits``; an origin without one is an error, nothing is
fitted), the fitted months are left exactly as fitted, and only the **forecast** continues the
chain with the scalar parameter ``NAME`` set to ``V`` in every posterior draw. The forecasts are
then scored as the backtest scores them (the same targets, seeds, baselines, anchor and
conditioning: :func:`forecast.evaluation.backtest.run_origin`) and written as a backtest run:
``forecasts.csv``, ``scores.csv``, ``summary.txt`` and ``held.txt`` (what was held, and the fits'
folder), which ``benchmarks/compare_backtests.py`` compares figure by figure with another run.
Without ``--parameter`` the fits are rescored as they are: the run to compare with, for instance
with ``--series`` adding a series the backtest does not score (``housed_statushouders``).

This is a diagnostic, not a model: a parameter held at a value the fit did not give it answers
"how much of the miss is this parameter's", and nothing more. The sampler settings must be those
the fits were made with (a saved fit made with others is refused, naming the file).

Example (2026-11-30; ``docs/validation.md``, "the inflow, not the housing"): the supply's catch-up
share of the achterstand, ``backlog_share``, whose posterior is its prior at every development
origin, held at 0::

    .venv/bin/python benchmarks/forecast_sensitivity.py --fits out/fits_gate --draws 2000 \\
        --target-accept 0.9 --max-horizon 48 --parameter backlog_share --value 0 --out out/no_catch_up

About 5 s per origin on 2 cores (63 s for the 12 development origins).
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from forecast.cli import values as V

if TYPE_CHECKING:
    from forecast.model import ChainModel

#: The file of the run's set that records the held parameter and the fits' folder.
HELD_FILE = "held.txt"


def hold_in_forecast(model: ChainModel, parameter: str, value: float) -> ChainModel:
    """Return ``model`` whose forecasts continue the chain with ``parameter`` at ``value``.

    The fitted months keep the fit's own latents (computed once, from the untouched posterior); the
    posterior draws of ``parameter`` are then replaced by ``value``, which only the forecast
    (:meth:`ChainModel.forward <forecast.model.ChainModel.forward>`) reads. A deterministic that the
    posterior stores and that is computed from ``parameter`` keeps its fitted draws: hold a
    parameter the forecast reads itself.

    Parameters
    ----------
    model : ChainModel
        A fitted model, freshly loaded (it is changed in place).
    parameter : str
        A scalar parameter of the posterior (one value per draw).
    value : float
        The value every draw takes in the forecast.

    Returns
    -------
    ChainModel
        ``model`` itself.

    Raises
    ------
    ValueError
        When ``parameter`` is not a scalar parameter of the posterior.
    """
    idata = model.require_fit()
    post = idata["posterior"]
    if parameter not in post.data_vars:
        raise ValueError(f"--parameter {parameter!r} is not in the posterior: {sorted(post.data_vars)}")
    draws = post[parameter]
    if set(draws.dims) != {"chain", "draw"}:
        raise ValueError(f"--parameter {parameter!r} has dims {draws.dims}: only a scalar can be held")
    fitted = model.latents()
    model.latents = lambda: fitted  # the fitted months stay as fitted; the instance attribute shadows
    idata["posterior"][parameter] = draws * 0.0 + float(value)
    return model


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fits", required=True, help="folder of saved fits (fit_YYYY-MM.nc)")
    ap.add_argument(
        "--parameter", default=None, help="scalar posterior parameter to hold in the forecast (default: none)"
    )
    ap.add_argument("--value", type=float, default=None, help="its value in every draw of the forecast")
    ap.add_argument(
        "--series",
        nargs="+",
        default=None,
        help="the series to score (default: the backtest's, forecast.evaluation.backtest.SCORED_SERIES)",
    )
    ap.add_argument("--first", default="2017-01-01", help="first origin (first day of a month)")
    ap.add_argument("--last", default="2022-07-01", help="last origin")
    ap.add_argument("--step", type=int, default=6, help="months between origins")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--target-accept", type=V.target_accept, default=0.8)  # forecast's own rule
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--samples", type=int, default=1000, help="baseline draws per target")
    ap.add_argument(
        "--max-horizon", type=V.int_at_least(24), default=24, help="longest scored horizon in months, >= 24"
    )
    ap.add_argument("--out", default="out/sensitivity", help="folder of the run's tables")
    return ap


def main(argv: list[str] | None = None) -> None:
    ap = _parser()
    a = ap.parse_args(argv)

    import math
    import warnings

    import pandas as pd

    from forecast.data.history import load_history
    from forecast.evaluation.backtest import (
        BacktestResult,
        BacktestSettings,
        buckets_to,
        default_origins,
        fit_file,
        run_origin,
        saved_or_fitted,
    )
    from forecast.evaluation.backtest.scoring import scoring_design
    from forecast.model.diagnostics import FitDiagnosticsWarning

    if (a.parameter is None) != (a.value is None):
        ap.error("--parameter and --value go together")
    if a.value is not None and not math.isfinite(a.value):
        ap.error(f"--value must be a finite number, got {a.value}")
    t0 = time.perf_counter()
    try:  # an unknown series is refused here, before any fit is read
        settings = BacktestSettings(
            draws=a.draws,
            tune=a.tune,
            chains=a.chains,
            target_accept=a.target_accept,
            random_seed=a.seed,
            n_samples=a.samples,
            max_horizon=a.max_horizon,
            buckets=buckets_to(a.max_horizon),
            fits=a.fits,
            **({"series": tuple(a.series)} if a.series else {}),
        )
    except ValueError as exc:
        ap.error(str(exc))
    origins = default_origins(a.first, a.last, a.step)
    missing = [f"{o:%Y-%m}" for o in origins if not fit_file(a.fits, o).exists()]
    if missing:
        ap.error(f"no saved fit in {a.fits} for {', '.join(missing)} (benchmarks/backtest.py --fits)")
    history = load_history()
    design = scoring_design(history, origins, settings)
    results = []
    for o in origins:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FitDiagnosticsWarning)  # recorded in the fits table
            try:  # a fit saved with other sampler settings or data is refused, naming the file
                model = saved_or_fitted(history, o, settings)
            except ValueError as exc:
                ap.error(str(exc))
        if a.parameter is not None:
            try:
                hold_in_forecast(model, a.parameter, a.value)
            except ValueError as exc:
                ap.error(str(exc))
        results.append(run_origin(o, history, design, settings, model=model))
        print(f"{o:%Y-%m} scored ({time.perf_counter() - t0:.0f} s)", flush=True)
    forecasts = pd.concat([r.forecasts for r in results], ignore_index=True)
    fits = pd.DataFrame([r.fit for r in results])
    result = BacktestResult(forecasts, fits, settings, {}, time.perf_counter() - t0)
    held = (
        f"forecast with {a.parameter} = {a.value:g} in every draw (the fitted months as fitted)"
        if a.parameter is not None
        else "forecast as fitted (no parameter held)"
    )
    # what was held travels in the run's own set of files, beside the tables it changed
    paths = result.save(a.out, figures={HELD_FILE: f"{held}; fits read back from {a.fits}\n".encode()})
    print(held)
    print(result.summary())
    print(f"written to {paths['summary'].parent}/")


if __name__ == "__main__":
    main()
