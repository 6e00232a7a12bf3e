"""Fit the chain model to the bundled history and inspect the posterior.

Run: ``.venv/bin/python examples/fit_model.py [--full]``

Without ``--full`` this is a smoke run (2 chains x 200 draws, about half a minute) whose
diagnostics will say FAILED: too few draws for the gate. ``--full`` runs the default fit
(4 chains x 1000 draws after 300 tuning steps, about 90 s on two cores).
"""

import sys
import warnings

import forecast
from forecast.model import ChainModel, FitDiagnosticsWarning

full = "--full" in sys.argv
model = ChainModel(forecast.load_history())
print(model)

runs = {} if full else {"draws": 200, "tune": 300, "chains": 2}
with warnings.catch_warnings():
    if not full:  # the smoke run is expected to fail the gate; the printed verdict says so
        warnings.simplefilter("ignore", FitDiagnosticsWarning)
    model.fit(random_seed=2026, **runs)
print(model.diagnostics)

# Reception need (persons and places) at the end of each year: posterior median and 90 % band
need = model.latent_dataset()
for var in ("opvangbehoefte", "opvangbehoefte_places"):
    year_end = need[var].sel(month=need.month.dt.month == 12)
    q = year_end.quantile([0.05, 0.5, 0.95], dim=("chain", "draw"))
    print(f"\n{var} at year end (5 % / 50 % / 95 %)")
    for month in q.month.values:
        lo, mid, hi = q.sel(month=month).values
        print(f"  {str(month)[:7]}  {lo:9,.0f}  {mid:9,.0f}  {hi:9,.0f}")

# How well the model reproduces each observed series
print(model.coverage().sort_values("n", ascending=False).head(10))
