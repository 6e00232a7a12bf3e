"""The HTML pieces every report page is made of: escaped text, embedded images, tables, cell formats.

Numbers in cells are written as the page's reader writes them (:func:`forecast.reports.labels.number`):
``70.824`` and ``0,97`` on Dutch pages, ``70,824`` and ``0.97`` on English ones, never ``-0``.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Mapping

import pandas as pd

from forecast.reports.labels import MISSING, number

#: A header cell's opening tag, before its attributes (if any).
_TH = re.compile(r"<th(?=[ >])")


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


def figure(data: bytes, alt: str, caption: str | None = None) -> str:
    """A chart with its caption: an embedded PNG (:func:`img`) in a ``<figure>``.

    Parameters
    ----------
    data : bytes
        The PNG.
    alt : str
        The alternative text: what the chart shows, in numbers.
    caption : str, optional
        Text under the chart (its ``<figcaption>``): how to read it.

    Returns
    -------
    str
        A ``<figure>`` element.
    """
    text = "" if caption is None else f'<figcaption class="note">{esc(caption)}</figcaption>'
    return f"<figure>{img(data, alt)}{text}</figure>"


def table(
    df: pd.DataFrame,
    fmt: Mapping[str, Callable[[object], str]] | None = None,
    index: bool = True,
    lang: str = "nl",
    caption: str | None = None,
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
    caption : str, optional
        What the table shows (its ``<caption>``, read first by a screen reader).

    Returns
    -------
    str
        A ``<table>`` element: column headers ``scope="col"``, row headers ``scope="row"``, no row
        of index names; a missing number is written as :data:`~forecast.reports.labels.MISSING`.
    """
    fmt = fmt or {}
    if index and any(n is not None for n in df.index.names):
        # the index's name goes to the corner cell, not to a row of its own under the headers
        df = df.rename_axis(index=[None] * df.index.nlevels).rename_axis(
            columns=df.index.names[0] if df.index.nlevels == 1 else None
        )
    html_table = df.to_html(
        index=index,
        escape=True,
        border=0,
        na_rep=MISSING,
        formatters={c: fmt[c] for c in df.columns if c in fmt},
        float_format=lambda v: number(v, 0, lang),
    )
    head, _, body = html_table.partition("<tbody>")
    head = _TH.sub('<th scope="col"', head)
    body = _TH.sub('<th scope="row"', body)
    if caption is not None:
        head = head.replace(">", f">\n  <caption>{esc(caption)}</caption>", 1)
    return f"{head}<tbody>{body}" if body else head


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


__all__ = ["Formats", "esc", "figure", "img", "table"]
