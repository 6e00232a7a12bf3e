"""Add a new quarter of figures to the history and refit: what did the quarter change?

Run: ``.venv/bin/python examples/add_quarter.py [--full] [--out DIR]``

Every quarter a modeller adds the newest published figures and refits. This example replays the
last quarter of the bundled history: it starts from what was known on 30 September 2024, writes the
figures published for the fourth quarter of 2024 (periods ending October 2024 to 1 January 2025:
the 2024 year totals, the November/December/January stock counts) to a CSV folder in the bundled
schema, as you would write your own, validates and merges them, and refits. It then prints what
the new quarter changed: the stocks at the end of the data and the outlook for the end of 2025.

Every number is a real published figure with its source URL (copied from the bundled history;
nothing here is made up). Without ``--full`` both fits are smoke runs (2 chains x 200 draws,
diagnostics FAILED: too few draws); ``--full`` runs the default fits (4 chains x 1000 draws).
The merged history and the new fit are written to ``--out`` (default: a temporary folder).
"""

import sys
import tempfile
import warnings
from pathlib import Path

import pandas as pd

import forecast
from forecast import names as N
from forecast.model import ChainModel, FitDiagnosticsWarning

full = "--full" in sys.argv
out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else Path(tempfile.mkdtemp())
runs = {} if full else {"draws": 200, "tune": 300, "chains": 2}

bundled = forecast.load_history()
last_quarter = bundled.until("2024-09-30")  # stands in for "your history, as of last quarter"
print(f"known on 2024-09-30: {len(last_quarter)} figures; the bundle holds {len(bundled)}")

# 1. The new quarter in the bundled schema, one figure per row with its definition and source:
#    observations (periods ending after 30 September), inputs (settings that start after it: the
#    2025 taakstelling, capacity decisions, the 2025 planning occupancy rate, cost per resident) and
#    new events (the Syria decision moratorium of December 2024). Here they are the bundled rows; in
#    real use, your own.
cut = pd.Timestamp("2024-09-30")
folder = out / "new_quarter"
folder.mkdir(parents=True, exist_ok=True)
observations, inputs, events = bundled.observations, bundled.inputs, bundled.events
new_obs = observations[observations[N.PERIOD_END] > cut]
new_obs[list(N.RECORD_COLUMNS)].to_csv(folder / N.OBSERVATIONS_FILE, index=False, date_format="%Y-%m-%d")
new_inputs = inputs[inputs[N.PERIOD_START] > cut]
new_inputs[list(N.RECORD_COLUMNS)].to_csv(folder / N.INPUTS_FILE, index=False, date_format="%Y-%m-%d")
new_events = events[events[N.EVENT_START] > cut]
new_events = new_events.assign(start=new_events.start_text, end=new_events.end_text)  # as written: YYYY-MM
new_events[list(N.EVENT_COLUMNS)].to_csv(folder / N.EVENTS_FILE, index=False)
print(f"\nthe new quarter in {folder}:")
print(f"{len(new_obs)} figures, {len(new_inputs)} inputs, {len(new_events)} events")
print(new_obs[[N.SERIES, N.PERIOD_START, N.PERIOD_END, N.VALUE, N.DEFINITION]].to_string(index=False))

# 2. Validate and merge. A bad file raises DataValidationError naming the file, line and series;
#    a figure that contradicts one already held raises MergeConflictError (merge(..., overwrite=True)
#    lets a revised figure replace the old one). Merging the same quarter twice changes nothing.
update = forecast.History.from_csv(folder)  # reads observations.csv, inputs.csv and events.csv
history = last_quarter.merge(update)
assert history.merge(update).data_hash == history.data_hash
assert history.data_hash == bundled.data_hash  # the cut plus its quarter is the bundle again
history.to_csv(out / "history")  # the merged history, for `forecast run --history out/history --replace`
print(f"\nmerged: {len(history)} figures, {history.data_hash[:19]}…; written to {out / 'history'}")


# 3. Refit on both, with the same seed, and compare.
def fit(h: forecast.History) -> ChainModel:
    model = ChainModel(h)
    with warnings.catch_warnings():
        if not full:  # the smoke fits are expected to fail the gate; the verdict is printed
            warnings.simplefilter("ignore", FitDiagnosticsWarning)
        model.fit(random_seed=2026, **runs)
    verdict = "PASSED" if model.diagnostics.passed else "FAILED: " + "; ".join(model.diagnostics.failures)
    print(f"fitted {model.settings.start}..{model.settings.end}: diagnostics {verdict}")
    return model


before, after = fit(last_quarter), fit(history)
after.save(out / "fit.nc")


def band(x) -> str:
    lo, mid, hi = x.quantile([0.05, 0.5, 0.95], dim=(N.DIM_CHAIN, N.DIM_DRAW)).values
    return f"{mid:8,.0f} ({lo:,.0f}–{hi:,.0f})"


# the stocks in September 2024 as each fit saw them: the new quarter's year totals and stock counts
# inform September too, so the second fit knows that month better
print("\nstocks in 2024-09, median (90 % band)      before the quarter           after")
for var in ("opvangbehoefte", "statushouders", "ind_backlog"):
    b, a = (m.latent_dataset()[var].sel(month=pd.Timestamp("2024-09-01")) for m in (before, after))
    print(f"  {var:<24} {band(b).rjust(30)}  {band(a).rjust(30)}")

# the outlook under current policy (no new measures): reception need at the end of 2025
print("\nopvangbehoefte in 2025-12 under current policy")
for label, model in (("before the quarter", before), ("after the quarter", after)):
    need = model.forecast(horizon_end="2025-12", random_seed=2026)["opvangbehoefte"]
    need = need.sel(month=pd.Timestamp("2025-12-01"))
    print(f"  {label:<20} {band(need)}")
print(f"\nthe new fit is saved in {out / 'fit.nc'} (ChainModel.load, or forecast scenarios --fit)")
