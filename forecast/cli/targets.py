"""``--target``: what it takes, on the command line (``forecast scenarios`` and ``forecast report``).

:func:`targets_from_args` reads the targets before any work, so that a bad one fails at once with
exit code 2; :func:`answer_files` gives the two tables of the answer
(:func:`forecast.scenarios.targets.meeting`) that the commands write next to their other output.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from forecast import atomic
from forecast.cli.common import BadInput

if TYPE_CHECKING:
    from forecast.scenarios import ScenarioResult
    from forecast.scenarios.targets import Target, TargetAnswer

#: The files of an answer: the combinations that meet the targets, and the subset-minimal ones.
TARGET_FILES: tuple[str, ...] = ("target_met.csv", "target_minimal.csv")


def targets_from_args(args: argparse.Namespace, fases: Sequence[str]) -> tuple[Target, ...]:
    """The targets of ``--target`` (none when it is not given), checked against the fase names.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``target``: a list of texts, or None).
    fases : sequence of str
        The fase names of the run.

    Returns
    -------
    tuple of Target
        Empty when no ``--target`` was given.

    Raises
    ------
    BadInput
        With the parser's message (:class:`~forecast.scenarios.targets.TargetError`).
    """
    from forecast.scenarios.targets import TargetError, parse_targets

    texts = getattr(args, "target", None)
    if not texts:
        return ()
    try:
        return parse_targets(texts, fases)
    except TargetError as exc:
        raise BadInput(f"--target: {exc}") from None


def answer(result: ScenarioResult, targets: Sequence[Target]) -> TargetAnswer:
    """:meth:`ScenarioResult.meeting` of the targets, its refusal as bad input.

    Parameters
    ----------
    result : ScenarioResult
        The scenario result.
    targets : sequence of Target
        What :func:`targets_from_args` read (not empty).

    Returns
    -------
    TargetAnswer
        The answer.

    Raises
    ------
    BadInput
        For a target on a fase without forecast months.
    """
    from forecast.scenarios.targets import TargetError

    try:
        return result.meeting(targets)
    except TargetError as exc:
        raise BadInput(f"--target: {exc}") from None


def answer_files(found: TargetAnswer) -> dict[str, str]:
    """The answer's tables as CSV text, by file name (:data:`TARGET_FILES`).

    Parameters
    ----------
    found : TargetAnswer
        The answer.

    Returns
    -------
    dict of str to str
        ``target_met.csv`` (every combination that meets the targets, cheapest first) and
        ``target_minimal.csv`` (the subset-minimal ones); header only when none meets.
    """
    met, minimal = TARGET_FILES
    return {
        met: found.met.to_csv(index=False, float_format=atomic.csv_number),
        minimal: found.minimal.to_csv(index=False, float_format=atomic.csv_number),
    }


__all__ = ["TARGET_FILES", "answer", "answer_files", "targets_from_args"]
