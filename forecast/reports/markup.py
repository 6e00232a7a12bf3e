"""The HTML pieces every report page is made of: escaped text, embedded images, tables, cell formats.

Numbers in cells are written as the page's reader writes them (:func:`forecast.reports.labels.number`):
``70.824`` and ``0,97`` on Dutch pages, ``70,824`` and ``0.97`` on English ones, never ``-0``.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping

import pandas as pd

from forecast.reports.labels import MISSING, number


def esc(x: object) -> str:
    """Text made safe for HTML.

    Parameters
    ----------
    x : object
        Anything; its ``str`` is escaped.

    Returns
    -------
    str
        ``<``, ``>``, ``&`` and quotes escaped.
    """
    return html.escape(str(x))


def img(data: bytes, alt: str) -> str:
    """A PNG embedded in the page as a ``data:`` URI (nothing is fetched).

    Parameters
    ----------
    data : bytes
        The PNG.
    alt : str
        The alternative text.

    Returns
    -------
    str
        An ``<img>`` element.
    """
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def table(
    df: pd.DataFrame,
    fmt: Mapping[str, Callable[[object], str]] | None = None,
    index: bool = True,
    lang: str = "nl",
) -> str:
    """A table in the number format of ``lang``.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    fmt : mapping of column to formatter, optional
        The cell format of some columns (e.g. :meth:`Formats.prob`); other numbers are written whole.
    index : bool, optional
        Write the index as the first column(s) (default True).
    lang : {"nl", "en"}, optional
        The number format (default Dutch).

    Returns
    -------
    str
        A ``<table>`` element; a missing number is written as :data:`~forecast.reports.labels.MISSING`.
    """
    fmt = fmt or {}
    return df.to_html(
        index=index,
        escape=True,
        border=0,
        na_rep=MISSING,
        formatters={c: fmt[c] for c in df.columns if c in fmt},
        float_format=lambda v: number(v, 0, lang),
    )


class Formats:
    """The cell formats of one language: persons (whole), probabilities (2 decimals), percentages.

    Parameters
    ----------
    lang : {"nl", "en"}
        The language whose number format the cells use.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def persons(self, v: float) -> str:
        """A whole number of persons (or places, or euro).

        Parameters
        ----------
        v : float
            The number.

        Returns
        -------
        str
            E.g. ``70.824``.
        """
        return number(v, 0, self.lang)

    def prob(self, v: float) -> str:
        """A probability with two decimals.

        Parameters
        ----------
        v : float
            The probability.

        Returns
        -------
        str
            E.g. ``0,97``.
        """
        return number(v, 2, self.lang)

    def pct(self, v: float) -> str:
        """A share as a whole percentage.

        Parameters
        ----------
        v : float
            The share (0.42 for 42 %).

        Returns
        -------
        str
            E.g. ``42%``; :data:`~forecast.reports.labels.MISSING` for a missing value.
        """
        return MISSING if pd.isna(v) else f"{number(100 * v, 0, self.lang)}%"

    def decimals(self, places: int, sign: bool = False) -> Callable[[float], str]:
        """A formatter with a fixed number of decimals.

        Parameters
        ----------
        places : int
            Digits after the decimal separator.
        sign : bool, optional
            Write ``+`` before a positive number (differences).

        Returns
        -------
        callable
            Number to text.
        """
        return lambda v: number(v, places, self.lang, sign=sign)


__all__ = ["Formats", "esc", "img", "table"]
