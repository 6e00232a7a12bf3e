"""How a fault in an input is reported: one :class:`Problem` each, all raised in :class:`DataValidationError`.

Every reader of the data layer (history files, frames, official forecasts) reports faults in these
terms: the file, the line, the series and what is wrong, all of them at once, so that a modeller can
fix a file in one pass. Nothing is ever half-loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Stop listing problems after this many (the message says how many more).
MAX_LISTED_PROBLEMS = 30


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    Parameters
    ----------
    source : str
        The file name (or ``"<frame>"`` for a DataFrame).
    line : int or None
        1-based line in the file (the header is line 1), or the row label of a
        DataFrame; ``None`` for a problem with the whole file.
    series : str or None
        The series of the row, when known.
    message : str
        What is wrong, in words.
    """

    source: str
    line: int | None
    series: str | None
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}, line {self.line}"
        if self.series:
            where += f" (series {self.series!r})"
        return f"{where}: {self.message}"


class DataValidationError(ValueError):
    """Raised when a history file or frame is invalid; nothing is loaded.

    The message lists the problems, at most :data:`MAX_LISTED_PROBLEMS` of them (then how many
    more).

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found, in file order.

    Attributes
    ----------
    problems : list of Problem
        Every problem found, in file order.
    """

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        shown = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        more = len(self.problems) - len(shown)
        text = f"{len(self.problems)} problem(s) in the input:\n  " + "\n  ".join(shown)
        if more:
            text += f"\n  ... and {more} more"
        super().__init__(text)
