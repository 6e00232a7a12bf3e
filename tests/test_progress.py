"""Progress bars: drawn in a terminal or when asked, silent in logs, pipes, tests and with --quiet."""

from __future__ import annotations

import io
import sys

from forecast.progress import progress_bar, shown


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_shown_follows_the_terminal_unless_told(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not shown(None) and shown(True) and not shown(False)
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert shown(None) and not shown(False)


def test_a_bar_writes_to_standard_error_only_when_shown(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar(3, "scenario summaries", None) as bar:
        for step in ("contributions", "phase summary", "coverage"):
            bar.set_postfix_str(step)
            bar.update(1)
    assert "scenario summaries" in terminal.getvalue() and "3/3" in terminal.getvalue()
    quiet = _Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress_bar(3, "scenario summaries", False) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""
