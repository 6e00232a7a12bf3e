"""Reports layer: self-contained HTML pages per fase and an index, with their tables as CSV.

* :mod:`forecast.reports.pages`: :func:`build_reports` (the pages, the CSV tables, the netCDF summary).
* :mod:`forecast.reports.figures`: the matplotlib figures embedded in the pages.
* :mod:`forecast.reports.labels`: Dutch (default) and English labels.
* :mod:`forecast.reports.backtest`: the figures of a backtest (PIT, CRPS per horizon bucket).
* :mod:`forecast.reports.phase_gate`: the phase gate's verdicts in words, its figure and its page.
* :mod:`forecast.reports.headline`: the index page's first screen and ``headline.csv``.
* :mod:`forecast.reports.explorer`: ``explorer.html``, the offline scenario explorer.
* :mod:`forecast.reports.render`: the page frame and house style (Jinja2 templates one can replace).
* :mod:`forecast.reports.markup`: the HTML pieces (escaped text, embedded images, tables, cell formats).
"""

from forecast.reports.labels import LANGUAGES, labels
from forecast.reports.pages import ReportBuilder, build_reports

__all__ = ["LANGUAGES", "ReportBuilder", "build_reports", "labels"]
