"""Model layer: the chain's dynamics, the observation model, the PyMC model and its fit.

- :mod:`forecast.model.dynamics` — the one definition of the chain (numpy and PyTensor);
- :mod:`forecast.model.mapping` — what each observation measures (series, definition -> latents, noise);
- :mod:`forecast.model.design` — how each observation maps onto the monthly chain;
- :mod:`forecast.model.build` — the PyMC model built from priors and design;
- :mod:`forecast.model.inputs` — the known monthly inputs (events, IND capacity, taakstelling);
- :mod:`forecast.model.chain_model` — :class:`ChainModel`, the user-facing class: build, fit, save, load;
- :mod:`forecast.model.predictive` — what a fitted chain predicts (:class:`ChainPredictions`);
- :mod:`forecast.model.settings`, :mod:`forecast.model.sampler` — the modelled window, how to sample;
- :mod:`forecast.model.forward` — the fitted chain continued beyond the data, draw by draw;
- :mod:`forecast.model.diagnostics`, :mod:`forecast.model.io`, :mod:`forecast.model.saved_fit` — the
  gate, save/load, a saved fit read back and checked.
"""

from forecast.model.build import ModelEffect, effect_variable
from forecast.model.chain_model import ChainModel
from forecast.model.diagnostics import FitDiagnostics, FitDiagnosticsWarning, Thresholds, check_fit
from forecast.model.forward import FORECAST_VARIABLES, Forward
from forecast.model.predictive import ChainPredictions, ModelNotFittedError, planning_occupancy_rate
from forecast.model.sampler import SamplerSettings
from forecast.model.settings import ModelSettings

__all__ = [
    "FORECAST_VARIABLES",
    "ChainModel",
    "ChainPredictions",
    "FitDiagnostics",
    "FitDiagnosticsWarning",
    "Forward",
    "ModelEffect",
    "ModelNotFittedError",
    "ModelSettings",
    "SamplerSettings",
    "Thresholds",
    "check_fit",
    "effect_variable",
    "planning_occupancy_rate",
]
