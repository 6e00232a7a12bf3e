"""Optional parts of the stack, installed as extras, and the clear error when one is missing.

Shared by all layers, like :mod:`forecast.names` (it imports nothing else of the package). ``pip
install forecast`` (what ``make run`` does) installs what the main job needs: fit, scenarios and
reports on one machine. Two stacks serve optional paths only:

* ``forecast[cluster]``: dask and distributed, for scenario grids and backtests on a dask cluster
  (``client=``, ``parallel=True``, ``lazy=True``, ``--scheduler``);
* ``forecast[backtest]``: statsmodels, for the ETS baseline of the backtests.

``forecast[all]`` installs both; the ``dev`` extra (``make test``) includes them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Each extra and the import names it provides.
EXTRAS: dict[str, tuple[str, ...]] = {
    "cluster": ("dask", "distributed"),
    "backtest": ("statsmodels",),
    "zarr": ("zarr",),
}


class MissingExtraError(ImportError):
    """An optional part of the stack is not installed; the message names the extra that installs it."""


def require(module: str, extra: str, needed_for: str) -> ModuleType:
    """Import ``module``, or say which extra installs it.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"dask.distributed"``.
    extra : str
        The extra of :data:`EXTRAS` that installs it.
    needed_for : str
        What needs it, for the message (e.g. ``"a scenario grid on a dask cluster"``).

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtraError
        When ``module`` cannot be imported: names the missing package and ``pip install
        'forecast[<extra>]'``.

    Examples
    --------
    >>> require("json", "cluster", "nothing").__name__
    'json'
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{needed_for} needs {module.split('.')[0]!r}, which is not installed here: "
            f"pip install 'forecast[{extra}]' (or forecast[all])"
        ) from exc
