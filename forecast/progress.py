"""Progress bars for long work: shown in a terminal, silent in logs, tests and with ``--quiet``.

Shared by all layers, like :mod:`forecast.names` (it imports nothing else of the package). The
scenario grid (:meth:`~forecast.scenarios.ScenarioEngine.phase_draws`), the summaries of a scenario
run (:func:`~forecast.scenarios.scenario_result`), the explorer's fans of every scenario
(:func:`~forecast.scenarios.fans.scenario_fans`) and the backtest's origins
(:func:`~forecast.evaluation.backtest.backtest`) draw a `tqdm <https://tqdm.github.io>`_ bar with
the time left at the pace so far. The sampler's own bar serves the fits
(:class:`~forecast.model.SamplerSettings`, ``progressbar``).

Every caller takes ``progress``: ``True`` shows the bar, ``False`` never, and ``None`` (the
default) shows it only when standard error is a terminal, so that a log file, a pipe, a notebook's
captured output and the tests get no bar characters. A bar only reports: the numbers are the same
with or without it.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def shown(progress: bool | None) -> bool:
    """Whether a bar is drawn for ``progress``.

    Parameters
    ----------
    progress : bool or None
        ``True``: always; ``False``: never; ``None``: when standard error is a terminal.

    Returns
    -------
    bool
        True when the bar is drawn.
    """
    if progress is None:
        isatty = getattr(sys.stderr, "isatty", None)
        return bool(isatty and isatty())
    return bool(progress)


def progress_bar(total: int, description: str, progress: bool | None = None, unit: str = "step") -> Any:
    """A progress bar over ``total`` steps on standard error, or a silent one.

    Parameters
    ----------
    total : int
        The number of steps.
    description : str
        What the steps do (shown left of the bar).
    progress : bool or None, optional
        As in :func:`shown`; default None (in a terminal only).
    unit : str, optional
        The name of one step (default ``"step"``).

    Returns
    -------
    tqdm.tqdm
        The bar: ``update(n)`` after ``n`` steps, ``set_postfix_str(text)`` for the step under way,
        ``write(text)`` for a line above it, ``close()`` at the end (or use it as a context manager).
        A silent bar accepts the same calls and prints nothing.
    """
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        disable=not shown(progress),
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
        leave=True,
    )


__all__ = ["progress_bar", "shown"]
