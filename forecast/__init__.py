"""forecast: honest probabilistic forecasts for the Dutch asylum reception chain.

The library is layered, and a lower layer never imports a higher one:
``forecast.data`` (the real history, validation) -> priors -> model ->
scenarios -> evaluation -> reports, with the ``forecast`` command line on top.

>>> import forecast
>>> history = forecast.load_history()
"""

from importlib.metadata import PackageNotFoundError, version

from forecast.data import DataValidationError, History, MergeConflictError, load_history

try:
    __version__ = version("forecast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = ["DataValidationError", "History", "MergeConflictError", "__version__", "load_history"]
