"""Compare backtest runs figure by figure, with a block bootstrap over origins.

Two versions of the model (or a model and the baselines) are compared on the **same** held-out
figures: the rows of :attr:`forecast.evaluation.backtest.BacktestResult.forecasts` that every compared
method forecast. A difference of mean log CRPS is uncertain because the figures of one origin share
its fit and its forecast: they are not independent. The uncertainty is therefore taken from a
**block bootstrap over origins**: origins are drawn with replacement (all figures of a drawn origin
together) and the mean difference recomputed, 2,000 times by default.

The origins split into a **development** set and a **confirmation** set
(:data:`DEVELOPMENT_ORIGINS`, :data:`CONFIRMATION_ORIGINS`): a model is developed against the first
and scored once, at the end, on the second, so that its design is not tuned to what it is judged on.
Origins after the confirmation set are **fresh** (:data:`FRESH_FROM`): their outcomes come after every
figure the model was developed or confirmed on, so once the history holds them they make the next
one-time confirmation (the confirmation set has been scored more than once; docs/validation.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecast import names as N

#: Origins a model is developed against (issue #13): every half year 2017-01 .. 2022-07.
DEVELOPMENT_ORIGINS = tuple(pd.date_range("2017-01-01", "2022-07-01", freq="6MS"))
#: Origins scored once, at the end: 2023-01 .. 2024-07.
CONFIRMATION_ORIGINS = tuple(pd.date_range("2023-01-01", "2024-07-01", freq="6MS"))
#: Origins from this date on (after the confirmation set) form the **fresh** set: outcomes no version of
#: the model was judged on, for a new one-time confirmation.
FRESH_FROM = pd.Timestamp("2025-01-01")
#: The sets an origin can belong to (:func:`origin_set`).
ORIGIN_SETS = ("development", "confirmation", "fresh", "other")

ORIGIN = "origin"
METHOD = "method"
BUCKET = "horizon_bucket"
CRPS_LOG = "crps_log"
#: The columns that identify one held-out figure of one origin.
FIGURE_KEY = (ORIGIN, N.SERIES, N.DEFINITION, N.PERIOD_START, N.PERIOD_END)


def bucket_order(labels: Iterable[str]) -> list[str]:
    """Horizon bucket labels (``"3-6"``, ``"25-36"``, ...) in the order of their first month.

    Parameters
    ----------
    labels : iterable of str
        Bucket labels ``"FIRST-LAST"``, repeats allowed.

    Returns
    -------
    list of str
        The distinct labels, shortest horizons first.

    Examples
    --------
    >>> bucket_order(["13-24", "3-6", "25-36", "7-12", "3-6"])
    ['3-6', '7-12', '13-24', '25-36']
    """
    return sorted({str(label) for label in labels}, key=lambda label: int(label.split("-")[0]))


def origin_set(origin: pd.Timestamp) -> str:
    """The set an origin belongs to: ``"development"``, ``"confirmation"``, ``"fresh"`` or ``"other"``.

    Parameters
    ----------
    origin : pandas.Timestamp
        A backtest origin.

    Returns
    -------
    str
        The set's name (:data:`ORIGIN_SETS`): ``"fresh"`` for any origin from :data:`FRESH_FROM` on,
        ``"other"`` for one before it in neither set.
    """
    o = pd.Timestamp(origin)
    if o in DEVELOPMENT_ORIGINS:
        return "development"
    if o in CONFIRMATION_ORIGINS:
        return "confirmation"
    if o >= FRESH_FROM:
        return "fresh"
    return "other"


def combine_runs(runs: Mapping[str, pd.DataFrame], baselines_from: str | None = None) -> pd.DataFrame:
    """One table of the model rows of several runs (labelled by run) and the baselines of one.

    Parameters
    ----------
    runs : mapping of str to pandas.DataFrame
        Label -> a backtest's ``forecasts`` table (``method`` = ``model`` or a baseline).
    baselines_from : str, optional
        The run whose baseline rows are kept (default the first); the baselines see only the data,
        so every run on the same history has the same ones.

    Returns
    -------
    pandas.DataFrame
        The rows with ``method`` = the run's label for its model rows, the baselines' names
        otherwise, and ``set`` (:func:`origin_set`).
    """
    labels = list(runs)
    base = baselines_from or labels[0]
    parts = []
    for label, frame in runs.items():
        f = frame.copy()
        f[ORIGIN] = pd.to_datetime(f[ORIGIN])
        model = f[f[METHOD] == "model"].assign(**{METHOD: label})
        parts.append(model)
        if label == base:
            parts.append(f[f[METHOD] != "model"])
    out = pd.concat(parts, ignore_index=True)
    out["set"] = out[ORIGIN].map(origin_set)
    return out


def _common(frame: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """The rows of figures that every method of ``methods`` forecast (finite CRPS)."""
    f = frame[frame[METHOD].isin(methods) & np.isfinite(frame[CRPS_LOG])]
    counts = f.groupby(list(FIGURE_KEY))[METHOD].nunique()
    keep = counts[counts == len(methods)].index
    return f.set_index(list(FIGURE_KEY)).loc[keep].reset_index()


def crps_differences(
    frame: pd.DataFrame,
    method: str,
    others: Sequence[str],
    *,
    n_boot: int = 2000,
    level: float = 0.9,
    seed: int = 0,
) -> pd.DataFrame:
    """Mean log CRPS of ``method`` and of each of ``others``, and their difference with a bootstrap interval.

    Per origin set, series and horizon bucket, on the figures that ``method`` and **all** of
    ``others`` forecast for that series (a baseline that does not apply to a series, such as the
    seasonal naive for stocks, is left out of that series).

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`combine_runs`' table.
    method : str
        The method judged (a run's label).
    others : sequence of str
        The methods it is compared with (another run's label, baselines).
    n_boot : int, optional
        Bootstrap resamples of the origins (default 2000).
    level : float, optional
        Level of the interval (default 0.9).
    seed : int, optional
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        One row per (set, series, bucket, other): ``n`` figures, ``origins``, ``crps`` of ``method``,
        ``crps_other``, ``difference`` (``method`` minus other: < 0 means ``method`` is better),
        ``lo`` and ``hi`` (the bootstrap interval of the difference) and ``better`` (the whole
        interval below 0), ``pit_mean`` and ``cover_80`` of ``method``.
    """
    rng = np.random.default_rng(seed)
    rows = []
    a = (1 - level) / 2
    for (set_, series), g in frame.groupby(["set", N.SERIES]):
        finite = g[np.isfinite(g[CRPS_LOG])]
        present = [m for m in others if (finite[METHOD] == m).any()]
        if not (g[METHOD] == method).any() or not present:
            continue
        common = _common(g, [method, *present])
        for bucket in bucket_order(common[BUCKET].unique()):
            c = common[common[BUCKET] == bucket]
            if c.empty:
                continue
            own = c[c[METHOD] == method].set_index(list(FIGURE_KEY))
            origins = own.index.get_level_values(ORIGIN).unique()
            for other in present:
                theirs = c[c[METHOD] == other].set_index(list(FIGURE_KEY))[CRPS_LOG]
                diff = (own[CRPS_LOG] - theirs.reindex(own.index)).groupby(level=ORIGIN)
                sums, counts = diff.sum(), diff.count()
                idx = rng.integers(0, len(origins), size=(n_boot, len(origins)))
                s = sums.reindex(origins).to_numpy()[idx].sum(axis=1)
                k = counts.reindex(origins).to_numpy()[idx].sum(axis=1)
                boot = s / k
                rows.append(
                    {
                        "set": set_,
                        N.SERIES: series,
                        BUCKET: bucket,
                        "other": other,
                        "n": len(own),
                        "origins": len(origins),
                        "crps": float(own[CRPS_LOG].mean()),
                        "crps_other": float(theirs.mean()),
                        "difference": float(sums.sum() / counts.sum()),
                        "lo": float(np.quantile(boot, a)),
                        "hi": float(np.quantile(boot, 1 - a)),
                        "pit_mean": float(own["pit"].mean()),
                        "cover_80": float(own["cover_80"].mean()),
                    }
                )
    out = pd.DataFrame(rows)
    if len(out):
        out["better"] = out["hi"] < 0
        out[BUCKET] = pd.Categorical(out[BUCKET], bucket_order(out[BUCKET]), ordered=True)
        out = out.sort_values(["set", N.SERIES, BUCKET, "other"]).reset_index(drop=True)
    return out


__all__ = [
    "CONFIRMATION_ORIGINS",
    "DEVELOPMENT_ORIGINS",
    "FRESH_FROM",
    "ORIGIN_SETS",
    "bucket_order",
    "combine_runs",
    "crps_differences",
    "origin_set",
]
