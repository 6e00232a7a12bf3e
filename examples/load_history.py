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

# A quarterly update: new rows in the bundled schema, merged onto the history
update = pd.DataFrame(
    [
        (
            "coa_statushouders",
            "2025-04-01",
            "2025-04-01",
            17000,
            "persons",
            "coa",
            "approx",
            "https://example.org/my-source",
            "illustration of the schema: replace with a real figure and its source",
        )
    ],
    columns=list(N.RECORD_COLUMNS),
)
merged = history.merge(update)
print(merged.last_observations().loc[["coa_statushouders"]])
