"""Forecast reception need under every combination of the policy measures, per fase.

Run: ``.venv/bin/python examples/scenarios.py [--full | --fit out/fit.nc]``

Without arguments this is a smoke run: a small fit (2 chains x 200 draws, about half a minute; its
diagnostics say FAILED, too few draws) and then all 2**9 combinations of the measures. ``--full`` fits
with the default settings (4 chains x 1000 draws); ``--fit FILE`` uses a saved fit (``forecast fit``).
"""

import sys
import warnings

import forecast
from forecast.model import ChainModel, FitDiagnosticsWarning
from forecast.scenarios import ScenarioEngine, contribution_table, phase_table

if "--fit" in sys.argv:
    model = ChainModel.load(sys.argv[sys.argv.index("--fit") + 1])
else:
    model = ChainModel(forecast.load_history())
    runs = {} if "--full" in sys.argv else {"draws": 200, "tune": 300, "chains": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitDiagnosticsWarning)  # the verdict is printed below
        model.fit(random_seed=2026, **runs)
print(model.diagnostics)

# every combination of the measures in priors/policy/measures.toml, plus the named bundles; a flat
# 75,000 regular places (the number the beslisnota expects from the Spreidingswet's first cycle)
engine = ScenarioEngine(model, capacity=75_000, random_seed=2026)
draws = engine.phase_draws()  # per fase, scenario and posterior draw
summary = engine.summarise(draws)
table = phase_table(summary, ["kabinetsbeleid", "geen_nieuw_beleid"])
print(table[["need_median", "need_p10", "need_p90", "p_need_exceeds_capacity", "cost_meur_mean"]].to_string())

# what each measure contributes to mean need in the normalisatie fase (Shapley, with its posterior band)
contrib = contribution_table(engine.contributions(draws), "need_mean")
print(contrib.xs("normalisatie", level="fase")[["mean", "p10", "p90", "p_negative"]].round(2).to_string())

# monthly paths of one bundle, e.g. for a fan chart
paths = engine.simulate("kabinetsbeleid", variables=["opvangbehoefte", "noodopvang"]).isel(scenario=0)
year_end = paths["opvangbehoefte"].sel(month=paths.month.dt.month == 12)
print(year_end.quantile([0.1, 0.5, 0.9], dim=("chain", "draw")).round().to_pandas().to_string())
