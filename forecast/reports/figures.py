"""The report's figures (matplotlib, Agg backend), returned as PNG bytes to embed in the pages.

Measures and bundles are labelled by their names in the page's language; a long name is wrapped
over a few lines (:func:`wrap`) and a chart with many lines grows in height to fit them.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no screen needed; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from forecast.reports.labels import number

#: colours of the key scenarios (colour-blind safe, Okabe-Ito)
COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
HISTORY_COLOUR = "#555555"
DPI = 110
#: Characters per line of a wrapped bar label and of a wrapped legend entry.
LABEL_WIDTH, LEGEND_WIDTH = 44, 34
#: Height in inches of one line of a bar label (a chart grows to fit its wrapped labels).
LINE_HEIGHT = 0.15


def wrap(label: str, width: int = LABEL_WIDTH) -> str:
    """A label broken over lines of at most ``width`` characters, at spaces.

    Parameters
    ----------
    label : str
        A name, e.g. a measure's official name.
    width : int, optional
        The longest line (default :data:`LABEL_WIDTH`); a single longer word stays whole.

    Returns
    -------
    str
        The label with newlines.

    Examples
    --------
    >>> print(wrap("Samenhangend pakket, pijler 2: voldoende stabiele en betaalbare opvangplekken"))
    Samenhangend pakket, pijler 2: voldoende
    stabiele en betaalbare opvangplekken
    """
    return textwrap.fill(str(label), width=width, break_long_words=False, break_on_hyphens=False)


def _height(labels: Sequence[str], minimum: float) -> float:
    """A bar chart's height in inches that fits its wrapped labels."""
    lines = sum(label.count("\n") + 1 for label in labels)
    return max(minimum, LINE_HEIGHT * lines + 0.2 * len(labels) + 0.9)


def png(fig) -> bytes:
    """The figure as PNG bytes (no timestamp in the metadata), and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A pyplot figure; it is closed after saving.

    Returns
    -------
    bytes
        The PNG file at :data:`DPI` dots per inch, cropped to the drawn area.
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _months(x) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.asarray(x))


def y_top(
    forecasts: Mapping[str, xr.DataArray],
    history: xr.DataArray | None = None,
    observed: pd.DataFrame | None = None,
    capacity: Sequence[tuple[str, xr.DataArray]] = (),
) -> float | None:
    """The top of a fan chart's y-axis: 1.25 times the highest 80 % band, history, observation or capacity.

    The 95 % bands are left out on purpose: their upper ends grow fast over the years and would
    squeeze the 80 % bands flat; they may run off the top of the chart (the page says so).

    Parameters
    ----------
    forecasts : mapping of label to DataArray (quantile, month)
        The forecast bands (their 0.9 quantile counts).
    history : DataArray (quantile, month), optional
        The fitted history (its 0.9 quantile counts).
    observed : DataFrame with a ``value`` column, optional
        The observations.
    capacity : sequence of (label, DataArray (month,)), optional
        Capacity paths.

    Returns
    -------
    float or None
        The top, or None when there is nothing to scale to.
    """
    tops = [float(q.sel(quantile=0.9).max()) for q in forecasts.values()]
    if history is not None:
        tops.append(float(history.sel(quantile=0.9).max()))
    if observed is not None and len(observed):
        tops.append(float(observed["value"].max()))
    tops += [float(np.nanmax(c.values)) for _, c in capacity]
    return 1.25 * max(tops) if tops else None


def fan_chart(
    title: str,
    unit: str,
    history: xr.DataArray | None,
    forecasts: Mapping[str, xr.DataArray],
    *,
    observed: pd.DataFrame | None = None,
    observed_label: str = "observed",
    history_label: str = "model (history)",
    phases: Sequence[tuple[str, pd.Timestamp, pd.Timestamp]] = (),
    highlight: str | None = None,
    capacity: Sequence[tuple[str, xr.DataArray]] = (),
    start: str | None = "2019-01-01",
    size: tuple[float, float] = (9.0, 4.2),
    lang: str = "nl",
) -> bytes:
    """A fan chart: the fitted history's band, the forecast bands per scenario, observations, fases.

    Parameters
    ----------
    title : str
        The chart's title.
    unit : str
        Label of the y-axis (e.g. persons or places).
    history : DataArray (quantile, month), optional
        Quantiles 0.1/0.5/0.9 of the fitted latent quantity.
    forecasts : mapping of label to DataArray (quantile, month)
        Quantiles 0.025, 0.1, 0.5, 0.9, 0.975 per scenario, labelled by the scenario's name: the
        median as a line, the 80 % band shaded dark, the 95 % band light.
    observed : DataFrame with columns ``date``, ``value``, ``definition``, optional
        Published figures, drawn as black markers, one marker shape per definition.
    observed_label : str, optional
        Legend prefix of the observations (``"<observed_label>: <definition>"``).
    history_label : str, optional
        Legend label of the history's median line.
    phases : sequence of (label, start, end)
        Vertical lines at the fase boundaries; ``highlight`` (a label) is shaded.
    highlight : str, optional
        Label of the fase to shade.
    capacity : sequence of (label, DataArray (month,)), optional
        Capacity paths drawn as dash-dotted step lines, the i-th in the colour of the i-th forecast
        (the capacity of that scenario).
    start : str or None, optional
        First date shown of the history and the observations (default 2019-01-01; ``None``: all).
    size : tuple of (float, float), optional
        Figure size in inches (width, height).
    lang : {"nl", "en"}, optional
        The number format of the axis (default Dutch: ``70.000``).

    Returns
    -------
    bytes
        The chart as PNG (:func:`png`); the y-axis runs from 0 to :func:`y_top`.
    """
    fig, ax = plt.subplots(figsize=size)
    lo_date = pd.Timestamp(start) if start else None
    if history is not None:
        m = _months(history["month"].values)
        keep = m >= lo_date if lo_date is not None else np.ones(len(m), bool)
        h = history.isel(month=np.flatnonzero(keep))
        mm = m[keep]
        ax.fill_between(mm, h.sel(quantile=0.1), h.sel(quantile=0.9), color=HISTORY_COLOUR, alpha=0.2, lw=0)
        ax.plot(
            mm, h.sel(quantile=0.5), color=HISTORY_COLOUR, lw=1.2, label=wrap(history_label, LEGEND_WIDTH)
        )
    for i, (label, q) in enumerate(forecasts.items()):
        c = COLOURS[i % len(COLOURS)]
        m = _months(q["month"].values)
        ax.fill_between(m, q.sel(quantile=0.025), q.sel(quantile=0.975), color=c, alpha=0.07, lw=0)
        ax.fill_between(m, q.sel(quantile=0.1), q.sel(quantile=0.9), color=c, alpha=0.22, lw=0)
        ax.plot(m, q.sel(quantile=0.5), color=c, lw=1.8, label=wrap(label, LEGEND_WIDTH))
    if observed is not None and len(observed):
        obs = observed[observed["date"] >= lo_date] if lo_date is not None else observed
        markers = "os^Dv<>"
        for j, (definition, rows) in enumerate(obs.groupby("definition", sort=True)):
            ax.scatter(
                rows["date"],
                rows["value"],
                s=12,
                marker=markers[j % len(markers)],
                color="black",
                zorder=5,
                label=wrap(f"{observed_label}: {definition}", LEGEND_WIDTH),
            )
    for i, (label, cap) in enumerate(capacity):
        c = COLOURS[i % len(COLOURS)]
        ax.step(
            _months(cap["month"].values),
            cap.values,
            where="post",
            color=c,
            lw=1.6,
            ls="-.",
            label=wrap(label, LEGEND_WIDTH),
            zorder=4,
        )
    top = y_top(forecasts, history, observed, capacity)
    ymax = top if top is not None else ax.get_ylim()[1]
    ax.set_ylim(0, ymax)
    for j, (label, a, b) in enumerate(phases):
        ax.axvline(a, color="grey", lw=0.7, ls=":")
        if label == highlight:
            ax.axvspan(a, b, color="#FFE9A8", alpha=0.45, lw=0, zorder=0)
        mid = a + (b - a) / 2
        y = ymax * (0.97 if j % 2 == 0 else 0.91)
        ax.text(mid, y, label, va="top", ha="center", fontsize=7.5, color="#444444")
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3, lw=0.5)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: number(v, 0, lang)))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return png(fig)


def contribution_chart(
    table: pd.DataFrame, title: str, unit: str, size=(8.0, 3.8), lang: str = "nl"
) -> bytes:
    """Horizontal bars of each measure's Shapley contribution: median with the 80 % band.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per measure (the index labels the bars, first row on top; a long label is
        wrapped, :func:`wrap`) with columns ``median``, ``p10`` and ``p90``, e.g. one fase of
        :func:`forecast.scenarios.contribution_table` indexed by the measures' names.
    title : str
        The chart's title.
    unit : str
        Label of the x-axis (the contribution's unit, e.g. persons).
    size : tuple of (float, float), optional
        Figure size in inches (width, height); the height grows to fit the wrapped labels.
    lang : {"nl", "en"}, optional
        The number format of the axis (default Dutch).

    Returns
    -------
    bytes
        The chart as PNG (:func:`png`); bars with a negative median (the measure lowers the
        statistic) are green, the others vermilion (orange-red).
    """
    t = table.iloc[::-1]
    names = [wrap(str(i)) for i in t.index]
    fig, ax = plt.subplots(figsize=(size[0], _height(names, size[1])))
    y = np.arange(len(t))
    colours = np.where(t["median"].to_numpy() < 0, COLOURS[2], COLOURS[1])
    ax.barh(y, t["median"], color=colours, alpha=0.8)
    ax.hlines(y, t["p10"], t["p90"], color="black", lw=1.2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3, lw=0.5)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: number(v, 0, lang, sign=True)))
    return png(fig)


def interval_chart(
    labels: Sequence[str], q10, q50, q90, title: str, unit: str, size=(7.0, 2.8), percent: bool = False
) -> bytes:
    """Point (median) and 80 % interval per label: e.g. the statushouder share per bundle.

    Parameters
    ----------
    labels : sequence of str
        One label per row, the first on top (a long label is wrapped, :func:`wrap`).
    q10 : array-like of float
        Lower end of the 80 % interval per label.
    q50 : array-like of float
        Median per label.
    q90 : array-like of float
        Upper end of the 80 % interval per label.
    title : str
        The chart's title.
    unit : str
        Label of the x-axis.
    size : tuple of (float, float), optional
        Figure size in inches (width, height); the height grows to fit the wrapped labels.
    percent : bool, optional
        Format the x-axis as percentages (values are shares in [0, 1]).

    Returns
    -------
    bytes
        The chart as PNG (:func:`png`).
    """
    names = [wrap(str(label)) for label in labels]
    fig, ax = plt.subplots(figsize=(size[0], _height(names, size[1])))
    y = np.arange(len(labels))[::-1]
    ax.hlines(y, q10, q90, color=COLOURS[0], lw=2)
    ax.plot(q50, y, "o", color=COLOURS[0])
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel(unit)
    ax.set_title(title, fontsize=11, loc="left")
    ax.grid(axis="x", alpha=0.3, lw=0.5)
    if percent:
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    return png(fig)
