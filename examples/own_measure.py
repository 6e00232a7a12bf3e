"""Define your own measure and scenario, and forecast them with the shipped ones.

Run: ``.venv/bin/python examples/own_measure.py [--full | --fit out/fit.nc]``

The policy note says the IND's large backlogs will determine the size of reception for years
("de huidige grote voorraden bij de IND de komende jaren bepalend"), but the package has no IND
measure. Suppose a ministry modeller wants to know what a new IND taskforce would do. This example:

1. sizes the measure's effect prior from the one comparable intervention in the history, the 2020
   IND Taskforce (``events.csv``: 8,200 old cases decided from 1 April to 31 December 2020), against
   the IND's first-instance decisions in the last full year of data (2024);
2. writes a measures file of its own: the shipped ``priors/policy/measures.toml`` plus the new
   measure and a new named scenario (bundle), and loads it with the same strict checks;
3. forecasts every combination of the ten measures (``2**10``) and prints the new scenario per fase
   and the new measure's contribution.

The prior is this example's assumption, stated and derived in the file it writes; the numbers it
is derived from are real figures with their sources. Without arguments the fit is a smoke run
(2 chains x 200 draws, diagnostics FAILED); ``--full`` fits with the defaults; ``--fit FILE`` uses
a saved fit (``forecast fit``).
"""

import math
import sys
import tempfile
import warnings
from pathlib import Path

import forecast
from forecast import names as N
from forecast.model import ChainModel, FitDiagnosticsWarning
from forecast.scenarios import (
    PolicyConfigError,
    ScenarioEngine,
    contribution_table,
    load_measures,
    phase_table,
)
from forecast.scenarios.files import default_policy_path

if "--fit" in sys.argv:
    model = ChainModel.load(sys.argv[sys.argv.index("--fit") + 1])
else:
    model = ChainModel(forecast.load_history())
    runs = {} if "--full" in sys.argv else {"draws": 200, "tune": 300, "chains": 2}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitDiagnosticsWarning)  # the verdict is printed below
        model.fit(random_seed=2026, **runs)
print(model.diagnostics)

# 1. The effect prior, from the history. The 2020 Taskforce decided 8,200 cases in 9 months
#    (events.csv, ind_taskforce_2020, https://www.openkamer.org/kamervraag/2021Z03045/).
history = model.history
taskforce = history.events.set_index(N.EVENT).loc["ind_taskforce_2020"]
TASKFORCE_DECIDED, TASKFORCE_MONTHS = 8_200, 9  # "8,200 decided by 31 Dec 2020" from the 1 Apr cut-off
assert f"{TASKFORCE_DECIDED:,} decided by 31 Dec 2020" in taskforce[N.DESCRIPTION]
decisions = history.select("ind_decisions", definition="ind_first").observations
year = decisions[(decisions[N.PERIOD_START] == "2024-01-01") & (decisions[N.PERIOD_END] == "2024-12-31")]
per_month = float(year[N.VALUE].iloc[0]) / 12
mu = math.log1p(TASKFORCE_DECIDED / TASKFORCE_MONTHS / per_month)
sigma = mu / 2  # the assumption: half to one and a half times the 2020 pace is likely; no effect unlikely
print(
    f"\nIND first decisions in 2024: {per_month:,.0f} a month ({year[N.SOURCE_URL].iloc[0]});"
    f"\nthe 2020 Taskforce added {TASKFORCE_DECIDED / TASKFORCE_MONTHS:,.0f} a month:"
    f" log multiplier mu = {mu:.3f} (x{math.exp(mu):.2f}), sigma = {sigma:.3f}"
)

# 2. Your own measures file: the shipped measures, your measure and your named scenario (bundle).
MY_MEASURE = f'''
[[measure]]
id = "ind_taskforce_2026"
name_nl = "IND-taskforce voor de oude voorraad"
name_en = "IND taskforce for the oldest applications"
description = "A new IND taskforce that decides the oldest first applications at the 2020 Taskforce's pace."
phase = "implementatie"
start = "2026-07-01"
ramp_months = 6
source = "Own scenario (example). Start ASSUMED at the start of implementatie; 6 months to hire and train."

  [[measure.effects]]
  target = "decision_rate"
  kind = "log_multiplier"
  distribution = "Normal"
  mu = {mu:.4f}
  sigma = {sigma:.4f}
  unit = "log multiplier on IND first-instance decisions per month"
  rationale = """The 2020 Taskforce decided {TASKFORCE_DECIDED:,} cases in {TASKFORCE_MONTHS} months \\
({TASKFORCE_DECIDED / TASKFORCE_MONTHS:,.0f} a month) on top of regular production; against \\
{per_month:,.0f} first decisions a month in 2024 that is a multiplier of {math.exp(mu):.2f}. \\
ASSUMED sd of half the effect: 95 % interval \
x{math.exp(mu - 2 * sigma):.2f} to x{math.exp(mu + 2 * sigma):.2f}."""
  source = "events.csv ind_taskforce_2020; observations.csv ind_decisions 2024 (ind_first)"

[[bundle]]
id = "breed_gedragen_plus_ind"
name_nl = "Breed gedragen maatregelen met IND-taskforce"
name_en = "Broadly supported measures with an IND taskforce"
description = "The measures the co-governments support (zonder_omstreden_wetsvoorstellen) plus the taskforce."
measures = [
  "meer_huisvestingsoplossingen", "stabiele_opvangplekken", "taal_werk_participatie",
  "asielnoodmaatregelenwet", "tweestatusstelsel", "terugkeer_oekraine_syrie", "ind_taskforce_2026",
]
'''
folder = Path(tempfile.mkdtemp())
shipped = default_policy_path("measures.toml").read_text(encoding="utf-8")
(folder / "my_measures.toml").write_text(shipped + MY_MEASURE, encoding="utf-8")
measures = load_measures(folder / "my_measures.toml")  # the same strict checks as the shipped file
print(f"\n{folder / 'my_measures.toml'}: {len(measures.ids)} measures, e.g. {measures.ids[-1]}")
frame = measures.to_frame()
print(frame[frame["measure"] == "ind_taskforce_2026"].iloc[0][["phase", "start", "target", "mean", "sd"]])

# A mistake gets an error that names the file and the entry (and nothing runs):
(folder / "typo.toml").write_text(shipped + MY_MEASURE.replace('"decision_rate"', '"decision_speed"'))
try:
    load_measures(folder / "typo.toml")
except PolicyConfigError as error:
    print(f"\nPolicyConfigError: {error}")

# 3. Every combination of the ten measures (2**10) and the bundles, per fase. The shipped bundle
#    "kabinetsbeleid" is "all" measures, so in this file it includes the taskforce too.
engine = ScenarioEngine(model, measures=measures, capacity=75_000, random_seed=2026)
draws = engine.phase_draws()
summary = engine.summarise(draws)
print(f"\n{summary.sizes[N.DIM_SCENARIO]} scenarios x {draws.sizes[N.DIM_DRAW]} draws per chain")
mine = ["geen_nieuw_beleid", "zonder_omstreden_wetsvoorstellen", "breed_gedragen_plus_ind"]
table = phase_table(summary, mine)
columns = {"need_median": 0, "need_p10": 0, "need_p90": 0, "p_need_exceeds_capacity": 2}
print(table[list(columns)].round(columns).to_string())

contrib = contribution_table(engine.contributions(draws), "need_mean").loc["ind_taskforce_2026"]
print("\nthe taskforce's contribution to mean need (persons; Shapley over all 1,024 combinations)")
print(
    contrib[["mean", "p10", "p90", "p_negative"]]
    .round({"mean": 0, "p10": 0, "p90": 0, "p_negative": 2})
    .to_string()
)
