"""Check saved backtest fits for jumps at the forecast origin; prints a table.

Usage::

    .venv/bin/python benchmarks/origin_jumps.py out/fits_dev            # every fit_YYYY-MM.nc there
    .venv/bin/python benchmarks/origin_jumps.py out/fits_dev 2021-07 2022-01

For every saved fit (``benchmarks/backtest.py --fits``) the fitted chain is continued one month, and
each latent's step from the last fitted month to the first forecast month (the median over draws
of ``log(first forecast / last fitted)``) is printed beside its typical step in the month before
(in brackets). A forecast continues the fitted processes, so a step far above the one before it is
either a real break at the origin (a new taakstelling at a half-year's start, an event that ends,
a regime that starts) or a fault: this check found the IND capacity anchored twice (2021-07: +0.24)
and a capacity statement known before it was made (2022-01: +0.18).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.model import ChainModel
from forecast.model.forward import FORECAST_VARIABLES


def origin_steps(model: ChainModel, seed: int = 7) -> dict[str, str]:
    """Each latent's log step at the origin, with its absolute log step one month earlier.

    Parameters
    ----------
    model : ChainModel
        A fitted model.
    seed : int
        Seed of the forecast's future (the first month barely depends on it).

    Returns
    -------
    dict of str to str
        ``"+0.24 (0.01)"`` per variable of :data:`~forecast.model.forward.FORECAST_VARIABLES` that the
        fit's latents hold too.
    """
    end = pd.Period(model.settings.end, "M") + 1
    out = model.forward(f"{end}", seed).simulate(anchored=False)
    fitted = model.latents()
    steps = {}
    for name in FORECAST_VARIABLES:
        if name not in fitted:
            continue
        past = fitted[name].reshape(-1, fitted[name].shape[-1])
        first = out[name].reshape(out[name].shape[0], -1)[:, 0]
        with np.errstate(all="ignore"):
            jump = np.nanmedian(np.log(first / past[:, -1]))
            before = np.nanmedian(np.abs(np.log(past[:, -1] / past[:, -2])))
        steps[name] = f"{jump:+.2f} ({before:.2f})"
    return steps


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fits", type=Path, help="folder of saved fits (fit_YYYY-MM.nc)")
    ap.add_argument("origins", nargs="*", help="origins YYYY-MM (default: every saved fit)")
    args = ap.parse_args()
    files = [args.fits / f"fit_{o}.nc" for o in args.origins] or sorted(args.fits.glob("fit_*.nc"))
    if not files:
        raise SystemExit(f"{args.fits}: no saved fits (fit_YYYY-MM.nc)")
    table = {}
    for path in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a small fit's gate verdict is not what is checked here
            model = ChainModel.load(path)
            table[path.stem.removeprefix("fit_")] = origin_steps(model)
    print("log step at the origin (median over draws), with the absolute step one month before it")
    print(pd.DataFrame(table).to_string())


if __name__ == "__main__":
    main()
