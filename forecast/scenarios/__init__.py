"""Scenarios layer: measures and phases as reviewable data, the scenario grid and Shapley contributions.

* :mod:`forecast.scenarios.phases`: the fases of the policy note (``priors/policy/phases.toml``).
* :mod:`forecast.scenarios.measures`: the measures file (``priors/policy/measures.toml``) read and
  checked; :mod:`forecast.scenarios.effects`: what a measure and its effects are and how they act
  (ramps); :mod:`forecast.scenarios.measure_set`: all measures and bundles, with their effect paths
  and prior draws.
* :mod:`forecast.scenarios.grid`: every combination of measures (``2**k`` scenarios) and the bundles.
* :mod:`forecast.scenarios.shapley`: each measure's contribution, averaged over all combinations.
* :mod:`forecast.scenarios.engine`: the fitted chain forecast under every scenario, with capacity,
  noodopvang, cost, per-fase summaries and contributions (:class:`ScenarioEngine`), built from
  :mod:`~forecast.scenarios.inputs` (capacity path, costs), :mod:`~forecast.scenarios.terms` (effect
  draws and their terms), :mod:`~forecast.scenarios.phase_stats` (per-fase statistics) and
  :mod:`~forecast.scenarios.tables` (summaries and tables).
* :mod:`forecast.scenarios.fans`: monthly quantiles of need of every scenario (the explorer's data),
  a few scenarios at a time (:func:`scenario_fans`).
* :mod:`forecast.scenarios.result`: the finished run the reports show, saved and loaded as one
  netCDF file (:class:`ScenarioResult`, :func:`scenario_result`).
* :mod:`forecast.scenarios.targets`: what it takes: a policy target (``p_need_exceeds_capacity <= 0.10
  @ normalisatie``) and the combinations of measures that meet it, cheapest first (:func:`meeting`).
"""

from forecast.scenarios.engine import (
    CapacityPath,
    ScenarioEngine,
    ScenarioError,
    capacity_path,
    contribution_table,
    phase_table,
    reception_costs,
)
from forecast.scenarios.files import PolicyConfigError
from forecast.scenarios.grid import bundle_grid, combination_label, scenario_grid, select_bundles
from forecast.scenarios.measures import Bundle, Effect, Measure, MeasureSet, effect_name, load_measures, ramp
from forecast.scenarios.phases import Phase, PhaseSchedule, by_phase, load_phases, phase_of
from forecast.scenarios.result import RESULT_FILE, ScenarioResult, ScenarioResultError, scenario_result
from forecast.scenarios.shapley import shapley, shapley_weights
from forecast.scenarios.targets import Target, TargetAnswer, TargetError, meeting, parse_target

__all__ = [
    "RESULT_FILE",
    "Bundle",
    "CapacityPath",
    "Effect",
    "Measure",
    "MeasureSet",
    "Phase",
    "PhaseSchedule",
    "PolicyConfigError",
    "ScenarioEngine",
    "ScenarioError",
    "ScenarioResult",
    "ScenarioResultError",
    "Target",
    "TargetAnswer",
    "TargetError",
    "bundle_grid",
    "by_phase",
    "capacity_path",
    "combination_label",
    "contribution_table",
    "effect_name",
    "load_measures",
    "load_phases",
    "meeting",
    "parse_target",
    "phase_of",
    "phase_table",
    "ramp",
    "reception_costs",
    "scenario_grid",
    "scenario_result",
    "select_bundles",
    "shapley",
    "shapley_weights",
]
