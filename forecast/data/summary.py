"""Readable summaries of a history: coverage by frequency and year, counts per definition, the latest figures.

:class:`HistorySummaries` is the part of :class:`forecast.data.history.History` that tabulates and
describes what the history holds (``h.coverage()``, ``h.summary()``, ``print(h)``); it reads only the
history's public tables, so the summaries can never disagree with what the model is given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import names as N


class HistorySummaries:
    """Tables and text that describe a history; the base of :class:`forecast.data.history.History`.

    A subclass provides the tables as properties: ``observations``, ``inputs``, ``input_vintages``,
    ``events``, ``as_of`` and ``data_hash``.
    """

    __slots__ = ()

    # ------------------------------------------------------------------ summaries
    def coverage(self) -> pd.DataFrame:
        """Tabulate the frequencies present per series and year of ``period_end``.

        Letters: M month, Q quarter, H half-year, Y year, P point (stock),
        O other span; years before 2008 are pooled as ``<2008``.

        Returns
        -------
        pandas.DataFrame
            One row per series, one column per year (``<2008`` first); each cell holds the
            frequency letters present, ``-`` for none. Empty when there are no observations.
        """
        df = self.observations
        if df.empty:
            return pd.DataFrame()
        years = df[N.PERIOD_END].dt.year
        label = np.where(years < 2008, "<2008", years.astype(str))
        order = {f: i for i, f in enumerate(N.FREQUENCIES)}
        tab = (
            pd.DataFrame({N.SERIES: df[N.SERIES], "year": label, N.FREQUENCY: df[N.FREQUENCY]})
            .groupby([N.SERIES, "year"])[N.FREQUENCY]
            .agg(lambda s: "".join(sorted(set(s), key=order.__getitem__)))
            .unstack("year")
            .fillna("-")
        )
        cols = sorted(tab.columns, key=lambda c: (c != "<2008", c))
        return tab[cols]

    def definition_counts(self) -> pd.DataFrame:
        """Count the observations per series and definition, split by quality.

        Returns
        -------
        pandas.DataFrame
            Indexed by (series, definition); one column per quality flag
            (:data:`forecast.names.QUALITIES`) and ``total``.
        """
        return (
            self.observations.groupby([N.SERIES, N.DEFINITION, N.QUALITY])
            .size()
            .unstack(N.QUALITY, fill_value=0)
            .reindex(columns=[q for q in N.QUALITIES], fill_value=0)
            .assign(total=lambda d: d.sum(axis=1))
        )

    def last_observations(self) -> pd.DataFrame:
        """Return the latest observation of each series (by ``period_end``).

        Returns
        -------
        pandas.DataFrame
            Indexed by series (sorted): ``period_start``, ``period_end``, ``value``,
            ``definition`` and ``quality`` of the row with the latest ``period_end`` (of those,
            the latest ``period_start``).
        """
        df = self.observations.sort_values([N.PERIOD_END, N.PERIOD_START], kind="stable")
        last = df.groupby(N.SERIES).tail(1).set_index(N.SERIES).sort_index()
        return last[[N.PERIOD_START, N.PERIOD_END, N.VALUE, N.DEFINITION, N.QUALITY]]

    def summary(self) -> str:
        """Summarise the history as readable text.

        Returns
        -------
        str
            A header (number of observations, series, date range, inputs and events, the cut
            date if any, :attr:`data_hash`), then :meth:`coverage`, :meth:`definition_counts`
            and :meth:`last_observations` as tables.
        """
        obs = self.observations
        if obs.empty:
            return "History: no observations"
        head = (
            f"History: {len(obs)} observations of {obs[N.SERIES].nunique()} series "
            f"({obs[N.PERIOD_END].min():%Y-%m-%d} .. {obs[N.PERIOD_END].max():%Y-%m-%d}), "
            f"{len(self.inputs)} inputs ({len(self.input_vintages)} vintages), {len(self.events)} events"
        )
        if self.as_of is not None:
            head += f"\nas known on {self.as_of:%Y-%m-%d}"
        head += f"\ndata hash {self.data_hash}"
        cov = self.coverage()
        cov_txt = cov.to_string(col_space=4, justify="right")
        counts = self.definition_counts()
        counts_txt = counts.to_string()
        last = self.last_observations().copy()
        last[N.PERIOD_START] = last[N.PERIOD_START].dt.strftime("%Y-%m-%d")
        last[N.PERIOD_END] = last[N.PERIOD_END].dt.strftime("%Y-%m-%d")
        last[N.VALUE] = last[N.VALUE].map(
            lambda v: f"{v:,.3f}".rstrip("0").rstrip(".") if v % 1 else f"{v:,.0f}"
        )
        return "\n\n".join(
            [
                head,
                "Coverage (frequencies per year of period_end: M month, Q quarter, H half-year, "
                "Y year, P point/stock, O other span)\n" + cov_txt,
                "Observations per definition and quality\n" + counts_txt,
                "Last observation per series\n" + last.to_string(),
            ]
        )

    def __repr__(self) -> str:
        return self.summary()
