r"""Scoring at one origin: the design of the later figures, the targets, the model's and baselines' draws.

:func:`scoring_design` maps every figure of the full history onto one monthly grid; :func:`target_rows`
picks the figures scored at an origin with their horizons; :func:`continued_latents` and
:func:`scoring_posterior` continue a fit past its origin; :func:`model_samples` gives the model's
predictive draws of each target through its own observation model, and :func:`score_frame` scores a
method's draws (CRPS, pinball loss, PIT, interval coverage). The mathematics is in
:mod:`forecast.evaluation.backtest`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.data import History
from forecast.evaluation import scores as S
from forecast.evaluation.backtest.origins import (
    BUCKET,
    COVER,
    CRPS,
    CRPS_LOG,
    HORIZON,
    METHOD,
    OBSERVED,
    ORIGIN,
    PINBALL,
    PIT,
    QUANTILES,
    REFERENCE,
    ROW,
    BacktestSettings,
    check_origin,
    forecast_months,
    horizon_bucket,
    origin_month,
    quantile_column,
)
from forecast.model import ChainModel
from forecast.model import build as B
from forecast.model import dynamics as dyn
from forecast.model.design import Design, build_design


def scoring_design(
    history: History, origins: Iterable[pd.Timestamp], settings: BacktestSettings | None = None
) -> Design:
    """The observation design of the full history on ``settings.start`` .. the last origin + horizon
    (at least :data:`MIN_FORECAST_MONTHS`).

    Parameters
    ----------
    history : History
        The full history, whose later figures are the targets.
    origins : iterable of pandas.Timestamp
        The forecast origins; the latest one sets the design's end.
    settings : BacktestSettings, optional
        Sampler, window and scoring settings (default ``BacktestSettings()``).

    Returns
    -------
    Design
        One design for all origins, on the months from ``settings.start`` to the last origin's
        month plus ``max(settings.max_horizon, MIN_FORECAST_MONTHS) - 1``.
    """
    settings = settings or BacktestSettings()
    last = max(origin_month(o) for o in origins) + forecast_months(settings.max_horizon) - 1
    return build_design(history, settings.start, f"{last}")


def _row_months(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """First and last latent month (index from ``design.start``) that each row's numerator measures.

    Read from the design's own index into the latent vector: a flow entry ``k < F T`` is month
    ``k mod T``; a stock entry is the end of month ``(k - F T) mod (T + 1) - 1`` (index 0 being the
    initial state, the end of the month before the start).
    """
    T, F = design.T, len(dyn.FLOWS)
    z = design.z_index
    month = np.where(z < F * T, z % T, (z - F * T) % (T + 1) - 1)
    first = np.empty(len(design.num_agg), dtype=np.int64)
    last = np.empty(len(design.num_agg), dtype=np.int64)
    for i, a in enumerate(design.num_agg):
        m = month[design.agg_start[a] : design.agg_end[a] + 1]
        first[i], last[i] = m.min(), m.max()
    return first, last


def target_rows(
    design: Design, origin: pd.Timestamp | str, settings: BacktestSettings | None = None
) -> pd.DataFrame:
    """The figures scored at ``origin``: one row each, with its horizon and bucket.

    Kept are the used, non-residual log-scale (count) rows of ``settings.series`` that measure no
    month before the origin month, end after the origin and have a horizon from
    ``settings.min_horizon`` to ``settings.max_horizon``.

    Parameters
    ----------
    design : Design
        :func:`scoring_design` of the full history.
    origin : pandas.Timestamp or str
        The forecast origin, the first day of a month.
    settings : BacktestSettings, optional
        Sampler, window and scoring settings (default ``BacktestSettings()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``origin``, ``series``, ``definition``, ``reference``, ``frequency``,
        ``period_start``, ``period_end``, ``horizon``, ``horizon_bucket``, ``observed``,
        ``quality``, ``source_file``, ``line`` and ``row`` (the row's position in ``design``);
        sorted by series, definition, period end and period start.

    Raises
    ------
    ValueError
        When ``origin`` is not the first day of a month.
    """
    settings = settings or BacktestSettings()
    origin = check_origin(origin)
    rows = design.rows.reset_index(drop=True)
    first, last = _row_months(design)
    t0 = (origin_month(origin) - origin_month(design.start)).n
    horizon = last - t0 + 1
    keep = (
        rows[N.SERIES].isin(settings.series).to_numpy()
        & (rows["residual_of"] == "").to_numpy()
        & (rows["transform"] == "log").to_numpy()
        & (first >= t0)
        & (rows[N.PERIOD_END] > origin).to_numpy()
        & (horizon >= settings.min_horizon)
        & (horizon <= settings.max_horizon)
    )
    out = rows.loc[keep, [N.SERIES, N.DEFINITION, "reference", N.FREQUENCY, N.PERIOD_START, N.PERIOD_END]]
    out = out.rename(columns={"reference": REFERENCE})
    out.insert(0, ORIGIN, origin)
    out[HORIZON] = horizon[keep]
    out[BUCKET] = [horizon_bucket(int(h), settings.buckets) for h in horizon[keep]]
    out[OBSERVED] = rows.loc[keep, N.VALUE].to_numpy(float)
    for col in (N.QUALITY, N.SOURCE_FILE, N.LINE):
        out[col] = rows.loc[keep, col].to_numpy()
    out[ROW] = np.nonzero(keep)[0]
    return out.sort_values([N.SERIES, N.DEFINITION, N.PERIOD_END, N.PERIOD_START]).reset_index(drop=True)


def continued_latents(
    model: ChainModel,
    horizon_end: pd.Timestamp,
    random_seed: int,
    total_months: int,
    conditioned: bool = True,
) -> dict[str, np.ndarray]:
    """The latent flows and stocks over the fitted months, then the forecast, then zeros.

    Parameters
    ----------
    model : ChainModel
        Fitted.
    horizon_end : Timestamp
        Last forecast month.
    random_seed : int
        Seed of the forecast (:meth:`ChainModel.forward <forecast.model.ChainModel.forward>`).
    total_months : int
        Length of the returned paths (the scoring design's ``T``); months after ``horizon_end`` are 0.
    conditioned : bool, optional
        Condition the forecast on the taakstellingen set for its months (default True); the fitted
        months then take the forecast's draws (:meth:`Forward.paired
        <forecast.model.forward.Forward.paired>`).

    Returns
    -------
    dict of str to ndarray
        Every flow of :data:`forecast.model.dynamics.FLOWS` and stock of
        :data:`~forecast.model.dynamics.STOCKS`, shape ``(chain, draw, total_months)``. The
        taakstelling backlog is not forecast (NaN in the forecast months; it is not scored).

    Raises
    ------
    ValueError
        When ``total_months`` is shorter than the fitted plus the forecast months.
    """
    fitted = model.latents()
    fw = model.forward(horizon_end, random_seed, condition=conditioned)
    future = fw.simulate(anchored=False)  # the observation model reads the chain's own stocks
    c, d = fw.shape
    H = len(fw.months)
    out = {}
    for name in (*dyn.FLOWS, *dyn.STOCKS):
        past = fw.paired(np.asarray(fitted[name], dtype=float))  # the conditioned forecast's draws
        T = past.shape[-1]
        pad = total_months - T - H
        if pad < 0:
            raise ValueError(
                f"the scoring design has {total_months} months, fewer than {T} fitted + {H} forecast"
            )
        if name in future:
            ahead = np.broadcast_to(np.asarray(future[name], dtype=float), (fw.n, H)).reshape(c, d, H)
        else:
            ahead = np.full((c, d, H), np.nan)
        out[name] = np.concatenate([past, ahead, np.zeros((c, d, pad))], axis=-1)
    return out


def scoring_posterior(model: ChainModel, design: Design, rng: np.random.Generator) -> xr.Dataset:
    """What :func:`~forecast.model.build.row_predictions` reads, for every bias group of ``design``.

    The initial stocks and discrepancy scales are the posterior's. Biases of definitions the fit
    saw are the posterior's; a definition without posterior draws (first published after the
    origin) gets draws from its prior; reference definitions have none (0).

    Parameters
    ----------
    model : ChainModel
        The fitted model of one origin.
    design : Design
        The scoring design, whose bias groups need a bias.
    rng : numpy.random.Generator
        Draws the biases of definitions the fit did not see from their priors.

    Returns
    -------
    xarray.Dataset
        Dims ``(chain, draw)``: the posterior's initial stocks (:data:`forecast.model.build.INITIAL_STATE`),
        ``discrepancy`` with a ``scale`` dimension for the design's learned scales (a series the fit
        did not see drawn around its type's sd), and ``obs_bias`` with a ``bias`` dimension (names
        ``bias__<series>__<definition>``) for the design's bias groups.

    Raises
    ------
    ValueError
        When the model is not fitted, or a bias prior that must be drawn is not Normal.
    """
    if model.idata is None:
        raise ValueError("the model is not fitted")
    post = model.idata["posterior"].to_dataset()
    c, d = post.sizes[N.DIM_CHAIN], post.sizes[N.DIM_DRAW]
    wanted = [f"bias__{s}__{dd}" for s, dd in design.groups]
    biases = B.bias_draws(post, model.priors, wanted, (c, d), rng)
    names, values = list(biases), list(biases.values())
    ds = post[[k for k in B.INITIAL_STATE.values() if k in post]]
    # each learned series' discrepancy sd; a series the fit did not see (first published after the
    # origin) draws its own around its type's, as the model's partial pooling does
    learned = [sc for sc in design.scales if ":" in sc]
    fitted = list(post["discrepancy"].coords["scale"].values) if "discrepancy" in post else []
    sds = []
    for sc in learned:
        if sc in fitted:
            sds.append(np.asarray(post["discrepancy"].sel(scale=sc).values))
        else:
            kind = sc.split(":", 1)[0]
            z = rng.standard_normal((c, d))
            sds.append(
                np.asarray(post[f"discrepancy_{kind}"].values)
                * np.exp(np.asarray(post["discrepancy_spread"].values) * z)
            )
    if learned:
        ds = ds.assign(discrepancy=((N.DIM_CHAIN, N.DIM_DRAW, "scale"), np.stack(sds, axis=-1)))
        ds = ds.assign_coords(scale=learned)
    if names:
        ds = ds.assign(obs_bias=((N.DIM_CHAIN, N.DIM_DRAW, "bias"), np.stack(values, axis=-1)))
        ds = ds.assign_coords(bias=names)
    return ds


def model_samples(
    model: ChainModel,
    design: Design,
    targets: pd.DataFrame,
    origin: pd.Timestamp,
    seed: int,
    max_horizon: int = 24,
    anchored: bool = True,
    conditioned: bool = True,
) -> np.ndarray:
    """Log predictive draws of the target figures from the fitted model: ``(len(targets), chains x draws)``.

    The model's posterior is continued ``max_horizon`` (at least :data:`MIN_FORECAST_MONTHS`) months
    from the origin month
    (:func:`continued_latents`), mapped onto every figure by the observation model
    (:func:`~forecast.model.build.row_predictions` on ``design``) and drawn as
    ``loc + scale * t(nu)`` on the log scale.

    Parameters
    ----------
    model : ChainModel
        The model fitted at ``origin``.
    design : Design
        :func:`scoring_design` of the full history.
    targets : pandas.DataFrame
        The figures to forecast, from :func:`target_rows` (its ``row`` column indexes ``design``).
    origin : pandas.Timestamp
        The forecast origin.
    seed : int
        Seed of the forecast's future, the draws of unseen biases and the observation noise.
    max_horizon : int, optional
        Forecast months from the origin month (default 24; at least :data:`MIN_FORECAST_MONTHS`).
    anchored : bool, optional
        Carry each counted stock's gap from the chain on from its last counts (default True,
        :meth:`StockAnchor.rows <forecast.model.anchor.StockAnchor.rows>`); False: the chain's own
        stocks with independent discrepancies.
    conditioned : bool, optional
        Condition the forecast on the taakstellingen set at the origin for its months (default
        True, :mod:`forecast.model.conditioning`); the posterior's biases and the fitted latents take
        the forecast's draws.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(targets), chains x draws)``: log predictive draws of each figure.

    Raises
    ------
    ValueError
        When a target is not on the log scale, or the design is too short for the forecast.
    """
    rng = np.random.default_rng([seed, 2])
    horizon_end = (origin_month(origin) + forecast_months(max_horizon) - 1).to_timestamp()
    latents = continued_latents(model, horizon_end, seed + 1, design.T, conditioned)
    fw = model.forward(horizon_end, seed + 1, condition=conditioned)
    post = scoring_posterior(model, design, np.random.default_rng([seed, 4]))
    post = post.copy(data={k: fw.paired(v.values) for k, v in post.data_vars.items()})
    with np.errstate(all="ignore"):  # rows beyond the horizon see zero latents; they are not scored
        loc, scale, nu, transform = B.row_predictions(post, latents, design)
        if anchored:  # a counted stock starts from its last counts: its gap from the chain carried on
            loc, scale = fw.anchor.rows(loc, scale, design)
    rows = targets[ROW].to_numpy()
    if np.any(transform[rows] != "log"):
        raise ValueError("only figures on the log scale (counts) are scored")
    loc, scale = loc[..., rows], scale[..., rows]
    draws = loc + scale * rng.standard_t(nu, size=loc.shape)
    return draws.reshape(-1, len(rows)).T


def score_frame(
    targets: pd.DataFrame, method: str, log_samples: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Quantiles and scores of one method's log draws ``(len(targets), m)`` against the observed figures.

    Parameters
    ----------
    targets : pandas.DataFrame
        The scored figures, from :func:`target_rows` (with ``observed`` and ``row``).
    method : str
        The method's name (one of :data:`METHODS`), written to the ``method`` column.
    log_samples : numpy.ndarray
        Shape ``(len(targets), m)``: predictive draws of the log figures; a row with a NaN is a
        missing forecast.
    rng : numpy.random.Generator
        For the randomised PIT.

    Returns
    -------
    pandas.DataFrame
        ``targets`` without ``row``, with ``method`` after ``observed``, the predictive quantiles
        (:data:`QUANTILES`, natural scale), ``crps_log``, ``crps`` (natural scale),
        ``pinball90_log``, ``pit`` and ``cover_50`` / ``cover_80`` / ``cover_95``; NaN where the
        forecast is missing.
    """
    y = np.log(targets[OBSERVED].to_numpy(float))
    x = np.asarray(log_samples, dtype=float)
    out = targets.drop(columns=[ROW]).copy()
    out.insert(out.columns.get_loc(OBSERVED) + 1, METHOD, method)
    ok = np.all(np.isfinite(x), axis=-1)
    with np.errstate(all="ignore"):
        q = np.quantile(np.where(ok[:, None], x, 0.0), QUANTILES, axis=-1)
        for level, values in zip(QUANTILES, q, strict=True):
            out[quantile_column(level)] = np.where(ok, np.exp(values), np.nan)
        out[CRPS_LOG] = S.crps_ensemble(x, y)
        out[CRPS] = S.crps_ensemble(np.exp(x), np.exp(y))
    out[PINBALL] = S.pinball_loss(x, y, S.UPPER_TAIL)
    out[PIT] = S.pit_values(x, y, rng)
    for level, col in COVER.items():
        out[col] = S.interval_coverage(x, y, level)
    return out
