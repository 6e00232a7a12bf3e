"""Model layer: the chain's dynamics, the observation model, the PyMC model and its fit.

- :mod:`forecast.model.dynamics` — the one definition of the chain (numpy and PyTensor);
- :mod:`forecast.model.design` — how each observation maps onto the monthly chain;
- :mod:`forecast.model.build` — the PyMC model built from priors and design;
- :mod:`forecast.model.chain_model` — :class:`ChainModel`, the user-facing class;
- :mod:`forecast.model.forward` — the fitted chain continued beyond the data, draw by draw;
- :mod:`forecast.model.diagnostics`, :mod:`forecast.model.io` — the gate, save/load.
"""

from forecast.model.build import ModelEffect, effect_variable
from forecast.model.chain_model import ChainModel, ModelNotFittedError, ModelSettings, planning_occupancy_rate
from forecast.model.diagnostics import FitDiagnostics, FitDiagnosticsWarning, Thresholds, check_fit
from forecast.model.forward import FORECAST_VARIABLES, Forward

__all__ = [
    "FORECAST_VARIABLES",
    "ChainModel",
    "FitDiagnostics",
    "FitDiagnosticsWarning",
    "Forward",
    "ModelEffect",
    "ModelNotFittedError",
    "ModelSettings",
    "Thresholds",
    "check_fit",
    "effect_variable",
    "planning_occupancy_rate",
]
