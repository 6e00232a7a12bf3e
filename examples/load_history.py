"""Load the bundled history, cut it at a date and add a quarter of new figures.

Run: ``.venv/bin/python examples/load_history.py``
"""

import pandas as pd

import forecast
from forecast import names as N

history = forecast.load_history()
print(history.coverage().loc[["first_applications", "nareis", "coa_occupancy"]])

# What was known at the end of 2022 (a leak-free cut for backtests)
known = history.until("2022-12-31")
print(f"known on 2022-12-31: {len(known)} of {len(history)} observations")

# A quarterly update: new rows in the bundled schema (one real figure per row, with its source),
# merged onto what was known. Here: the COA count of statushouders on 1 January 2025, from the bundle.
# A figure that contradicts one already held raises MergeConflictError; examples/add_quarter.py adds
# a whole quarter and refits.
known = history.until("2024-12-31")
rows = history.observations
update = rows[(rows[N.SERIES] == "coa_statushouders") & (rows[N.PERIOD_START] == pd.Timestamp("2025-01-01"))]
merged = known.merge(update[list(N.RECORD_COLUMNS)])
print(update[[N.SERIES, N.PERIOD_START, N.VALUE, N.QUALITY, N.SOURCE_URL]].to_string(index=False))
print(merged.last_observations().loc[["coa_statushouders"]])
