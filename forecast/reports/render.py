"""The page frame and the house style as Jinja2 templates that an organisation can replace.

Every report page is rendered through ``templates/page.html`` (the frame: header, navigation,
main, footer) with ``templates/style.css`` included in its ``<style>``. Both ship with the package.
A folder of one's own (``forecast run --templates DIR``, ``forecast report --templates DIR``,
:class:`PageRenderer` ``(templates=DIR)``) is searched first: a ``style.css`` there changes the
house style (colours, fonts, widths), a ``page.html`` the frame (a logo, a disclaimer, a footer),
without editing Python. The variables of ``page.html`` are ``lang``, ``title``, ``subtitle``,
``nav``, ``body`` and ``footer``; ``nav`` and ``body`` are HTML, the others text (escaped).
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
from markupsafe import Markup

from forecast import __version__
from forecast.reports.labels import labels

#: The bundled templates (``page.html``, ``style.css``).
TEMPLATES = Path(__file__).with_name("templates")


class PageRenderer:
    """Renders report pages through the page template, one's own folder first.

    Parameters
    ----------
    templates : str or os.PathLike, optional
        A folder whose ``page.html`` and/or ``style.css`` replace the bundled ones (a file that
        is not there is taken from the package).

    Raises
    ------
    FileNotFoundError
        When ``templates`` is given but is not a folder.
    jinja2.TemplateSyntaxError
        When a template of that folder is not valid Jinja2 (the message names file and line).
    """

    def __init__(self, templates: str | os.PathLike | None = None) -> None:
        searched = [str(TEMPLATES)]
        if templates is not None:
            folder = Path(templates)
            if not folder.is_dir():
                raise FileNotFoundError(f"--templates {folder}: not a folder")
            searched.insert(0, str(folder))
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(searched),
            autoescape=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
        )
        # compile now: a broken template fails before any page is computed or written
        self.page_template = self.environment.get_template("page.html")
        self.environment.get_template("style.css")

    def page(self, title: str, lang: str, nav: str, body: str) -> str:
        """One self-contained HTML page.

        Parameters
        ----------
        title : str
            The page's title (text).
        lang : {"nl", "en"}
            The page's language: ``<html lang>``, the subtitle and the footer.
        nav : str
            The navigation links (HTML).
        body : str
            The page's content (HTML).

        Returns
        -------
        str
            The page, as the template renders it.
        """
        L = labels(lang)
        return self.page_template.render(
            lang=lang,
            title=title,
            subtitle=L["subtitle"],
            nav=Markup(nav),
            body=Markup(body),
            footer=L["generated"].format(version=__version__),
        )


__all__ = ["TEMPLATES", "PageRenderer"]
