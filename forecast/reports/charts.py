"""The charts of a report page with what they show in words: numbers in the alt text, bands in a caption.

:class:`PageCharts` draws the charts of a :class:`~forecast.scenarios.result.ScenarioResult`
(:mod:`forecast.reports.figures`) in the page's language, each as a ``<figure>`` whose image has an
alt text with the chart's numbers (a fan chart: each key bundle's median at the start and the end
of the forecast and its 80 % band at the end, and the capacity it shows) and, under a fan chart, a
caption that says what the dark and light bands are, whether the y-axis is cut (and where the 95 %
band goes), and why the lower end of the 95 % band can come near zero.

Capacity
--------
The model counts a month as a shortage when need in places, persons ÷ the planning occupancy rate
in force (:func:`forecast.model.planning_occupancy_rate`; the same rate for every draw and every
scenario), exceeds the regular capacity in places. The places chart draws each key bundle's
regular capacity as it is. The persons chart draws the same capacity times that rate: the number of
persons at which need in places reaches the capacity, so that a median above the line on one
chart is above it on the other. The rate is read back from the result as the ratio of the monthly
means of need in persons and in places (exact, as the rate does not vary between draws).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.reports import figures as F
from forecast.reports.labels import labels, measure_names, number, number_band
from forecast.reports.markup import figure
from forecast.scenarios.result import ScenarioResult

#: Variables whose chart is a stock of people in reception (a lower 95 % band near zero means
#: reception largely empties in the lowest draws).
STOCKS = (N.OPVANGBEHOEFTE, N.OPVANGBEHOEFTE_PLACES, "statushouders", "ind_backlog")

#: The caption explains the lower end of the 95 % band when it falls below this share of the median
#: of the same month.
LOW_SHARE = 0.25

#: What a fan chart's capacity lines are in: none, places (as they are) or persons (places x rate).
CAPACITY_UNITS = (None, "places", "persons")


class PageCharts:
    """The charts of the report pages of one result, in one language.

    Parameters
    ----------
    result : ScenarioResult
        The finished scenario run.
    lang : {"nl", "en"}
        The language of titles, legends, alt texts, captions and numbers.
    key : sequence of str
        The bundles drawn in the fan charts, in legend order.
    phases : sequence of (str, pandas.Timestamp, pandas.Timestamp)
        The fases (name, start, end exclusive), drawn as vertical lines.
    """

    def __init__(
        self,
        result: ScenarioResult,
        lang: str,
        key: Sequence[str],
        phases: Sequence[tuple[str, pd.Timestamp, pd.Timestamp]],
    ) -> None:
        self.result, self.lang, self.key, self.phases = result, lang, list(key), list(phases)
        self.L = labels(lang)
        self.names = measure_names(result.measures, lang)
        # the planning occupancy rate per forecast month (places = persons / rate): the same in every
        # scenario, so the first one's means give it
        m = result.monthly.isel({N.DIM_SCENARIO: 0}, drop=True)
        self.rate = m[f"{N.OPVANGBEHOEFTE}_mean"] / m[f"{N.OPVANGBEHOEFTE_PLACES}_mean"]

    # ------------------------------------------------------------------ words
    def _pct(self, share: float) -> str:
        return f"{number(100 * share, 0, self.lang)}%"

    def _rate_text(self) -> str:
        """The planning occupancy rate over the forecast, e.g. ``91%`` (or ``91%–96%`` when it changes)."""
        rates = sorted({round(float(r), 2) for r in self.rate.values})
        return self._pct(rates[0]) if len(rates) == 1 else f"{self._pct(rates[0])}–{self._pct(rates[-1])}"

    def _name(self, key: str) -> str:
        return self.names.get(key, key)

    def _capacity(self, unit: str | None) -> list[tuple[str, xr.DataArray]]:
        """Each key bundle's mean regular capacity path, in places or converted to persons."""
        if unit is None:
            return []
        out = []
        for s in self.key:
            cap = self.result.monthly[f"{N.REGULAR_CAPACITY}_mean"].sel({N.DIM_SCENARIO: s}, drop=True)
            if unit == "persons":
                cap = cap * self.rate
                label = self.L["capacity_persons_of"].format(rate=self._rate_text(), scenario=self._name(s))
            else:
                label = self.L["capacity_of"].format(scenario=self._name(s))
            out.append((label, cap))
        return out

    def _fan_alt(self, title: str, unit: str, forecasts: dict, capacity: list) -> str:
        """A fan chart's numbers: each bundle's median at both ends, its 80 % band at the end, capacity."""
        lang, L = self.lang, self.L
        parts = [title]
        for name, q in forecasts.items():
            months = pd.DatetimeIndex(q["month"].values)
            med = q.sel(quantile=0.5).values
            parts.append(
                L["alt_scenario"].format(
                    scenario=name,
                    trend=L["rises"] if med[-1] >= med[0] else L["falls"],
                    a=number(med[0], 0, lang),
                    m0=f"{months[0]:%Y-%m}",
                    b=number(med[-1], 0, lang),
                    m1=f"{months[-1]:%Y-%m}",
                    band=number_band(float(q.sel(quantile=0.1)[-1]), float(q.sel(quantile=0.9)[-1]), lang),
                )
            )
        for label, cap in capacity:
            months = pd.DatetimeIndex(cap["month"].values)
            parts.append(
                L["alt_capacity"].format(
                    label=label[:1].upper() + label[1:],
                    unit=unit,
                    a=number(float(cap[0]), 0, lang),
                    m0=f"{months[0]:%Y-%m}",
                    b=number(float(cap[-1]), 0, lang),
                    m1=f"{months[-1]:%Y-%m}",
                )
            )
        return ". ".join(parts) + "."

    def _fan_caption(
        self, var: str, forecasts: dict, top: float | None, fase: str | None, unit: str | None
    ) -> str:
        """What the bands are, whether the axis is cut, why the lower 95 % end can come near zero."""
        L, lang = self.L, self.lang
        text = [L["fan_bands"]]
        if fase is not None:
            text.append(L["fan_fase"])
        if unit == "places":
            text.append(L["fan_capacity_places"])
        elif unit == "persons":
            text.append(L["fan_capacity_persons"].format(rate=self._rate_text()))
        if not forecasts:
            return " ".join(text)
        upper = {n: q.sel(quantile=0.975) for n, q in forecasts.items()}
        highest = max(upper, key=lambda n: float(upper[n].max()))
        if top is not None and float(upper[highest].max()) > top:
            at = int(np.argmax(upper[highest].values))
            month = pd.Timestamp(upper[highest]["month"].values[at])
            text.append(
                L["fan_clipped"].format(
                    top=number(top, 0, lang),
                    high=number(float(upper[highest].values[at]), 0, lang),
                    month=f"{month:%Y-%m}",
                )
            )
        lower = {n: q.sel(quantile=0.025) for n, q in forecasts.items()}
        lowest = min(lower, key=lambda n: float(lower[n].min()))
        at = int(np.argmin(lower[lowest].values))
        low, median = float(lower[lowest].values[at]), float(forecasts[lowest].sel(quantile=0.5).values[at])
        if low < LOW_SHARE * median:
            month = pd.Timestamp(lower[lowest]["month"].values[at])
            text.append(L["fan_low"].format(low=number(low, 0, lang), month=f"{month:%Y-%m}"))
            if var in STOCKS:
                text.append(L["fan_low_stock"])
        return " ".join(text)

    # ------------------------------------------------------------------ charts
    def fan(self, var: str, title: str, unit: str, fase: str | None, capacity: str | None = None) -> str:
        """A fan chart of one monthly variable for the key bundles, with its alt text and caption.

        Parameters
        ----------
        var : str
            A variable of :attr:`ScenarioResult.monthly` (``<var>_q``), e.g. ``"opvangbehoefte"``.
        title : str
            The chart's title (also the start of its alt text).
        unit : str
            The y-axis label.
        fase : str or None
            The fase to shade (a fase page), or None (the index).
        capacity : {None, "places", "persons"}, optional
            Draw each key bundle's regular capacity, in places or converted to persons
            (:data:`CAPACITY_UNITS`; see the module's docstring).

        Returns
        -------
        str
            A ``<figure>``: the embedded PNG, its alt text with the numbers and its caption.

        Raises
        ------
        ValueError
            For a ``capacity`` not in :data:`CAPACITY_UNITS`.
        """
        if capacity not in CAPACITY_UNITS:
            raise ValueError(f"capacity must be one of {CAPACITY_UNITS}, got {capacity!r}")
        L, r = self.L, self.result
        forecasts = {
            self._name(s): r.monthly[f"{var}_q"].sel({N.DIM_SCENARIO: s}, drop=True) for s in self.key
        }
        caps = self._capacity(capacity)
        o = r.observed[r.observed["variable"] == var]
        observed = o[["date", "value", "definition"]] if len(o) else None
        history = r.history.get(var, None)
        png = F.fan_chart(
            title,
            unit,
            history,
            forecasts,
            observed=observed,
            observed_label=L["observed"],
            history_label=L["fitted"],
            phases=self.phases,
            highlight=fase,
            capacity=caps,
            lang=self.lang,
        )
        top = F.y_top(forecasts, history, observed, caps)
        return figure(
            png,
            self._fan_alt(title, unit, forecasts, caps),
            self._fan_caption(var, forecasts, top, fase, capacity),
        )

    def contributions(self, table: pd.DataFrame, title: str, unit: str) -> str:
        """Each measure's contribution as bars (median, 80 % band), labelled by name.

        Parameters
        ----------
        table : pandas.DataFrame
            One fase of :meth:`ScenarioResult.contribution_table`, indexed by measure id, with
            ``median``, ``p10`` and ``p90``.
        title : str
            The chart's title.
        unit : str
            The unit of the contributions (the x-axis label).

        Returns
        -------
        str
            A ``<figure>`` whose alt text gives every measure's median and band.
        """
        lang = self.lang
        named = table.rename(index=self._name)
        items = "; ".join(
            f"{name} {number(r['median'], 0, lang, sign=True)} "
            f"({number(r['p10'], 0, lang, sign=True)} – {number(r['p90'], 0, lang, sign=True)})"
            for name, r in named.iterrows()
        )
        png = F.contribution_chart(named, title, unit, lang=lang)
        return figure(png, self.L["alt_bars"].format(title=title, unit=unit, items=items))

    def shares(self, fase: str, bundles: Sequence[str], title: str, unit: str) -> str:
        """The statushouder share per bundle in a fase (median, 80 % band), labelled by name.

        Parameters
        ----------
        fase : str
            The fase.
        bundles : sequence of str
            The bundles, the first on top.
        title : str
            The chart's title.
        unit : str
            The x-axis label.

        Returns
        -------
        str
            A ``<figure>`` whose alt text gives every bundle's median share and band.
        """
        sq = self.result.summary["statushouder_share_q"].sel(
            {N.DIM_PHASE: fase, N.DIM_SCENARIO: list(bundles)}
        )
        q10, q50, q90 = (np.asarray(sq.sel(quantile=q).values) for q in (0.1, 0.5, 0.9))
        names = [self._name(b) for b in bundles]
        items = "; ".join(
            f"{n} {self._pct(m)} ({self._pct(a)} – {self._pct(b)})"
            for n, a, m, b in zip(names, q10, q50, q90, strict=True)
        )
        png = F.interval_chart(names, q10, q50, q90, title, unit, percent=True)
        return figure(png, self.L["alt_share"].format(title=title, items=items))


__all__ = ["CAPACITY_UNITS", "LOW_SHARE", "STOCKS", "PageCharts"]
