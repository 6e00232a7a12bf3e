"""Merging new rows into a history: new keys are added, equal values accepted, contradictions refused.

A quarterly update is merged onto the history row by row. An observation is identified by its key
:data:`forecast.names.RECORD_KEY`; an input row is a vintage, compared with the vintage of the same
input announced the same day (or, without an ``announced`` date, with the current value). New rows that
contradict existing ones raise :class:`MergeConflictError`, listing every conflict, unless
overwriting was asked for.
"""

from __future__ import annotations

import pandas as pd

from forecast import names as N
from forecast.data.problems import MAX_LISTED_PROBLEMS, DataValidationError
from forecast.data.records import current_inputs, input_vintages_frame, vintage_problems
from forecast.data.writing import format_value


class MergeConflictError(ValueError):
    """Raised when new rows contradict existing ones and overwriting was not asked for.

    The message lists the conflicts (at most :data:`~forecast.data.problems.MAX_LISTED_PROBLEMS`
    of them, then how many more).

    Parameters
    ----------
    conflicts : pandas.DataFrame
        One row per conflict: the key columns :data:`forecast.names.RECORD_KEY`,
        ``value_existing``, ``source_existing``, ``value_new`` and ``source_new`` (sources as
        ``file:line``).
    table : str
        Which table the rows belong to (``"observation"`` or ``"input"``), for the message.

    Attributes
    ----------
    conflicts : pandas.DataFrame
        One row per conflict: the key, the existing value and source, the new
        value and source.
    """

    def __init__(self, conflicts: pd.DataFrame, table: str):
        self.conflicts = conflicts
        lines = [
            f"{r.series} {r.period_start:%Y-%m-%d}..{r.period_end:%Y-%m-%d} ({r.definition}): "
            f"existing {format_value(r.value_existing)} [{r.source_existing}] vs "
            f"new {format_value(r.value_new)} [{r.source_new}]"
            for r in conflicts.itertuples()
        ]
        shown = lines[:MAX_LISTED_PROBLEMS]
        more = f"\n  ... and {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
        super().__init__(
            f"{len(lines)} new {table} row(s) contradict the history; to replace the existing values "
            f"pass overwrite=True (on the command line: --overwrite):\n  " + "\n  ".join(shown) + more
        )


def merge_records(old: pd.DataFrame, new: pd.DataFrame, overwrite: bool, table: str) -> pd.DataFrame:
    """Merge new records into old ones by their key :data:`forecast.names.RECORD_KEY`.

    Parameters
    ----------
    old, new : pandas.DataFrame
        Typed records (observations), as :func:`forecast.data.records.records_frame` builds them.
    overwrite : bool
        Replace an old row whose value the new row contradicts, instead of raising.
    table : str
        Which table the rows belong to (``"observation"``), for the message of a conflict.

    Returns
    -------
    pandas.DataFrame
        The old rows (less those overwritten) and the new rows with a new key (with ``overwrite``:
        every new row), sorted by series, definition, period end and period start.

    Raises
    ------
    MergeConflictError
        When a new row contradicts an old one and ``overwrite`` is False.
    """
    key = list(N.RECORD_KEY)
    both = old.merge(new, on=key, how="inner", suffixes=("_existing", "_new"))
    differs = both[both["value_existing"] != both["value_new"]]
    if len(differs) and not overwrite:
        conflicts = differs[
            [
                *key,
                "value_existing",
                "source_file_existing",
                "line_existing",
                "value_new",
                "source_file_new",
                "line_new",
            ]
        ].copy()
        conflicts["source_existing"] = (
            conflicts["source_file_existing"] + ":" + conflicts["line_existing"].astype(str)
        )
        conflicts["source_new"] = conflicts["source_file_new"] + ":" + conflicts["line_new"].astype(str)
        raise MergeConflictError(
            conflicts[[*key, "value_existing", "source_existing", "value_new", "source_new"]], table
        )
    old_keys = pd.MultiIndex.from_frame(old[key])
    new_keys = pd.MultiIndex.from_frame(new[key])
    if overwrite:
        kept_old = old[~old_keys.isin(new_keys)]
        merged = pd.concat([kept_old, new], ignore_index=True)
    else:
        merged = pd.concat([old, new[~new_keys.isin(old_keys)]], ignore_index=True)
    return merged.sort_values([N.SERIES, N.DEFINITION, N.PERIOD_END, N.PERIOD_START], kind="stable")


def merge_inputs(old: pd.DataFrame, new: pd.DataFrame, overwrite: bool) -> pd.DataFrame:
    """Merge new input vintages into old ones, by the rules of :meth:`forecast.data.history.History.merge`.

    Parameters
    ----------
    old : pandas.DataFrame
        The existing vintages, as :func:`forecast.data.records.input_vintages_frame` returns them.
    new : pandas.DataFrame
        The new input rows, with or without ``announced``.
    overwrite : bool
        Replace contradicted vintages instead of raising.

    Returns
    -------
    pandas.DataFrame
        The merged vintages, as :func:`forecast.data.records.input_vintages_frame` returns them.

    Raises
    ------
    MergeConflictError
        When a new row contradicts an existing vintage and ``overwrite`` is False.
    DataValidationError
        When the merged vintages hold two different values of one input known from the same day.
    """
    new = input_vintages_frame(new)
    key = list(N.RECORD_KEY)
    cur_frame = current_inputs(old)
    current = {
        tuple(r): i
        for i, r in zip(cur_frame.index, cur_frame[key].itertuples(index=False, name=None), strict=True)
    }
    by_key: dict[tuple, list[int]] = {}
    for i, r in zip(old.index, old[key].itertuples(index=False, name=None), strict=True):
        by_key.setdefault(tuple(r), []).append(i)
    drop: set[int] = set()
    add: list[int] = []
    conflicts: list[dict[str, object]] = []
    for j, row in new.iterrows():
        k = tuple(row[c] for c in key)
        rows = by_key.get(k, [])
        announced = row[N.ANNOUNCED]
        same_day = [i for i in rows if _same_date(old.at[i, N.ANNOUNCED], announced)]
        if same_day:
            target = old.loc[same_day[0]]
            replaced = same_day
        elif pd.isna(announced) and rows:
            target = cur_frame.loc[current[k]]
            replaced = rows
        else:
            add.append(j)
            continue
        if target[N.VALUE] == row[N.VALUE]:
            continue
        conflicts.append(
            {
                **{c: row[c] for c in key},
                "value_existing": target[N.VALUE],
                "source_existing": f"{target[N.SOURCE_FILE]}:{target[N.LINE]}",
                "value_new": row[N.VALUE],
                "source_new": f"{row[N.SOURCE_FILE]}:{row[N.LINE]}",
            }
        )
        drop.update(replaced)
        add.append(j)
    if conflicts and not overwrite:
        raise MergeConflictError(pd.DataFrame(conflicts), "input")
    merged = pd.concat([old.drop(index=sorted(drop)), new.loc[add]], ignore_index=True)
    problems = vintage_problems(merged)
    if problems:
        raise DataValidationError(problems)
    return input_vintages_frame(merged)


def _same_date(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return not pd.isna(a) and not pd.isna(b) and pd.Timestamp(a) == pd.Timestamp(b)
