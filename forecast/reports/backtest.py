"""Figures of a rolling-origin backtest: the PIT histograms and the CRPS per horizon bucket.

The evaluation layer (:mod:`forecast.evaluation.backtest`) returns data; this module draws it.
:func:`pit_figure` and :func:`crps_figure` draw one :class:`~forecast.evaluation.backtest.BacktestResult`,
and :func:`figure_files` gives both as PNG files for :meth:`BacktestResult.save
<forecast.evaluation.backtest.BacktestResult.save>` (``pit.png`` and ``crps.png``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from forecast import names as N
from forecast.evaluation.backtest import (
    BUCKET,
    CRPS_LOG,
    METHOD,
    METHODS,
    MODEL,
    PIT,
    BacktestResult,
    bucket_label,
)
from forecast.evaluation.baselines import BASELINES

#: Dots per inch of the backtest's figures.
DPI = 110


def pit_figure(result: BacktestResult, path: str | Path | None = None) -> Figure:
    """Histogram of the model's PIT values per series (10 bins; flat = calibrated).

    Parameters
    ----------
    result : BacktestResult
        The backtest drawn.
    path : str or pathlib.Path, optional
        Also write the figure to this file (110 dpi; format from the suffix).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per scored series and one for all series: the model's PIT density (bars) and
        each baseline's (lines), with the uniform density 1 dashed.
    """
    f = result.forecasts
    series = [s for s in result.settings.series if (f[N.SERIES] == s).any()]
    fig = Figure(figsize=(3.2 * (len(series) + 1), 3.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(series) + 1, sharey=True))
    bins = np.linspace(0, 1, 11)
    for ax, s in zip(axes, [*series, None], strict=True):
        sel = f[(f[METHOD] == MODEL) & ((f[N.SERIES] == s) if s else True)][PIT].dropna()
        ax.hist(sel, bins=bins, density=True, color="#0072B2", alpha=0.8, edgecolor="white")
        for b, colour in zip(BASELINES, ("#D55E00", "#009E73", "#CC79A7"), strict=True):
            other = f[(f[METHOD] == b) & ((f[N.SERIES] == s) if s else True)][PIT].dropna()
            if len(other):
                ax.hist(other, bins=bins, density=True, histtype="step", color=colour, label=b)
        ax.axhline(1.0, color="#555555", ls="--", lw=1)
        ax.set_title(f"{s or 'all series'} (n={len(sel)})", fontsize=9)
        ax.set_xlabel("PIT")
    axes[0].set_ylabel("density")
    axes[-1].legend(fontsize=7, loc="upper center")
    fig.suptitle("PIT of held-out figures: model (bars) and baselines (lines)", fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def crps_figure(result: BacktestResult, path: str | Path | None = None) -> Figure:
    """Mean log CRPS per series and horizon bucket: the model against each baseline (common figures).

    Parameters
    ----------
    result : BacktestResult
        The backtest drawn.
    path : str or pathlib.Path, optional
        Also write the figure to this file (110 dpi; format from the suffix).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per scored series, one bar per method and horizon bucket.
    """
    s = result.scores(common=True)
    series = [x for x in result.settings.series if (s[N.SERIES] == x).any()]
    fig = Figure(figsize=(3.4 * max(len(series), 1), 3.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(series), 1)))
    labels = [bucket_label(*b) for b in result.settings.buckets]
    width = 0.8 / len(METHODS)
    colours = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")
    for ax, name in zip(axes, series, strict=False):
        sel = s[s[N.SERIES] == name]
        for j, (m, colour) in enumerate(zip(METHODS, colours, strict=True)):
            vals = [sel[(sel[METHOD] == m) & (sel[BUCKET] == b)][CRPS_LOG] for b in labels]
            y = [float(v.iloc[0]) if len(v) else np.nan for v in vals]
            ax.bar(np.arange(len(labels)) + (j - 1.5) * width, y, width, color=colour, label=m)
        ax.set_xticks(np.arange(len(labels)), labels)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("horizon (months)")
    axes[0].set_ylabel("mean CRPS (log scale)")
    axes[-1].legend(fontsize=7)
    fig.suptitle("CRPS of held-out figures, lower is better", fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=DPI)
    return fig


def figure_files(result: BacktestResult) -> dict[str, bytes]:
    """The backtest's figures as PNG files, for :meth:`BacktestResult.save`.

    Parameters
    ----------
    result : BacktestResult
        The backtest drawn.

    Returns
    -------
    dict of str to bytes
        ``"pit.png"`` (:func:`pit_figure`) and ``"crps.png"`` (:func:`crps_figure`), each at
        :data:`DPI` dots per inch with no timestamp in the metadata.
    """
    images = {}
    for name, draw in (("pit.png", pit_figure), ("crps.png", crps_figure)):
        buf = io.BytesIO()
        draw(result).savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
        images[name] = buf.getvalue()
    return images
