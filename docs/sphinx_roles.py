"""MkDocs hook: render the Sphinx roles of the docstrings (``:class:`History```) as code or links.

The docstrings use numpydoc sections with Sphinx cross-reference roles (``:func:``, ``:class:``,
``:meth:``, ``:attr:``, ``:mod:``, ``:data:``), which Markdown leaves as ``:class:<code>X</code>``.
This hook drops the role prefix; a target written with its full path (``forecast.…``, optionally
with Sphinx's ``~`` to show only the last name) becomes an optional cross-reference that
mkdocs-autorefs turns into a link when that object is on an API page, and into plain code when it
is not (no warning either way).

The docstrings' reStructuredText block markers are dropped too: a paragraph ending in ``::`` (a
literal block follows, which Markdown already renders as code) ends in one colon, and a
``.. math::`` line before its (code-rendered) formula goes. Inline ``:math:`` shows as code.
"""

from __future__ import annotations

import html
import re
from typing import Any

ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj|math):<code>(~?)([^<]*)</code>")
#: reST block markers as Markdown renders them: ``.. math::`` as a paragraph, ``text::`` at a paragraph's end.
MATH_DIRECTIVE = re.compile(r"<p>\.\. math::</p>\s*|(?<=<code>)\.\. math::\s*\n")
LITERAL_MARKER = re.compile(r"(?<=[^\s:])::</p>")


def _replace(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    shown = target.rsplit(".", 1)[-1] if tilde else target
    if not target.startswith("forecast."):
        return f"<code>{shown}</code>"
    return f'<autoref identifier="{html.escape(target)}" optional><code>{shown}</code></autoref>'


def render_roles(content: str) -> str:
    """Replace every rendered role, and drop the reST block markers, in a page's HTML."""
    content = MATH_DIRECTIVE.sub("", content)
    content = LITERAL_MARKER.sub(":</p>", content)
    return ROLE.sub(_replace, content)


def on_page_content(html_content: str, page: Any, config: Any, files: Any) -> str:
    """MkDocs hook: applied to every page after its Markdown was converted."""
    return render_roles(html_content)
