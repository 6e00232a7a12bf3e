"""Data layer: the bundled real history, its strict loader and validation, and the official forecasts."""

from forecast.data.history import History, MergeConflictError, load_history
from forecast.data.official import load_official_forecasts
from forecast.data.validation import DataValidationError, Problem

__all__ = [
    "DataValidationError",
    "History",
    "MergeConflictError",
    "Problem",
    "load_history",
    "load_official_forecasts",
]
