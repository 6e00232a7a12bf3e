r"""Rolling-origin backtests: would the model have forecast what happened next?

For every forecast origin :math:`o` (by default every half year from 2017-01-01 to 2024-07-01,
:func:`default_origins`) the chain model is fitted on **what was known at** :math:`o` only
(:meth:`forecast.History.until`, leak-free: observations with ``period_end <= o``, inputs announced by
then, events started by then with unknown ends blanked), on the months 2014-01 to the month before
:math:`o`. It is then continued under the policy in force (:meth:`ChainModel.forward
<forecast.model.ChainModel.forward>`, no new measure) for :data:`BacktestSettings.max_horizon`
months and compared with every figure of the **full** history that was published later.

Like with like
--------------
A published figure is not a latent quantity: it has its own definition (CBS persons vs IND counts,
COA "recht op opvang" vs "personen in opvang"), its own period or date, and noise by its quality
flag. The backtest therefore predicts each figure through the model's own observation model
(:mod:`forecast.model.design`, :func:`forecast.model.build.row_predictions`):

1. :func:`scoring_design` maps every figure of the full history onto the monthly grid from
   ``start`` to the last origin plus the horizon (one design for all origins, so every origin is
   scored on the same figures). Each used row :math:`i` measures a sum
   :math:`a_i = \sum_e w_e Z_{k_e}` of the latent vector
   :math:`Z = [\text{flows}\ (F T),\ \text{stocks with their initial state}\ (S (T + 1))]`.
2. :func:`continued_latents` builds that vector per posterior draw: the fitted months
   (:meth:`ChainModel.latents <forecast.model.ChainModel.latents>`), then the forecast months
   (:meth:`Forward.simulate <forecast.model.Forward.simulate>`), then zeros up to the design's end
   (rows there are beyond the horizon and never scored). The layout depends only on the grid start
   and length, so the fitted months reproduce the fit's own row predictions exactly (a test checks).
3. Each figure's predictive draw is :math:`g^{-1}(\mu_i + s_i\,t_\nu)` with
   :math:`\mu_i = \log a_i + b_{d(i)}` (the definition's bias :math:`b`, 0 for the reference
   definition) and :math:`s_i^2 = \sigma_{\text{type}}^2 + \epsilon_{q(i)}^2` (learned discrepancy
   plus quality noise), exactly the fit's likelihood. A definition first published after the
   origin (e.g. Eurostat's IND backlog from 2022) has no posterior bias: its bias is drawn from
   its prior.

Targets
-------
The used, non-residual rows of the series in :data:`SCORED_SERIES` (every definition) whose latent
months all lie at or after the origin month (a flow period that straddles the origin is partly
known and is not scored) and whose **horizon** :math:`h` is between ``min_horizon`` and
``max_horizon`` months, where :math:`h` counts the months from the origin month to the last latent
month the figure measures, inclusive (a monthly flow for the origin month has :math:`h = 1`; a
stock dated 31 March for a 1 January origin has :math:`h = 3`). Figures that the design drops as
nested in finer figures of the same definition, and residual rows (a coarse figure minus its finer
rows), are not scored.

Scores and baselines
--------------------
Per target and method (the model and the baselines of :mod:`forecast.evaluation.baselines`), from
predictive draws on the log scale (:mod:`forecast.evaluation.scores`): the CRPS (log scale, the
headline; natural scale too), the pinball loss of the 90 % quantile (under-forecasting reception
need is the costlier error), the PIT value and whether the central 50/80/95 % intervals hold the
figure. :meth:`BacktestResult.scores` aggregates them per series, horizon bucket
(:data:`BUCKETS`; :func:`buckets_to` adds a bucket per year beyond 24 months) and method.

Modules
-------
:mod:`~forecast.evaluation.backtest.origins` (origins, seeds, settings, column names),
:mod:`~forecast.evaluation.backtest.scoring` (the design, targets and draws of one origin),
:mod:`~forecast.evaluation.backtest.result` (the result and its tables) and
:mod:`~forecast.evaluation.backtest.runner` (one origin, many origins); every public name is
importable from this package. The figures are drawn by :mod:`forecast.reports.backtest`.

Parallel
--------
Each origin is one independent task (:func:`run_origin`), seeded from the run's seed and the
origin's date alone (:func:`origin_seed`), so the result does not depend on where or in which
order the origins run: :func:`backtest` runs them in this process one after the other (default),
on a local ``dask.distributed`` cluster (``parallel=True``), or on a user's ``Client`` (a real
cluster), with equal results.
"""

from forecast.evaluation.backtest.origins import (
    BUCKET,
    BUCKETS,
    COVER,
    CRPS,
    CRPS_LOG,
    DEFAULT_FIRST_ORIGIN,
    DEFAULT_LAST_ORIGIN,
    DEFAULT_STEP_MONTHS,
    HORIZON,
    METHOD,
    METHODS,
    MIN_FORECAST_MONTHS,
    MODEL,
    OBSERVED,
    ORIGIN,
    PINBALL,
    PIT,
    QUANTILES,
    REFERENCE,
    ROW,
    SCORED_SERIES,
    TARGET_COVERAGE_HORIZONS,
    TARGET_COVERAGE_RANGE,
    TARGET_CRPS_BUCKET,
    TARGET_CRPS_SERIES,
    BacktestSettings,
    as_origins,
    bucket_label,
    buckets_to,
    check_origin,
    default_origins,
    forecast_months,
    horizon_bucket,
    origin_month,
    origin_seed,
    quantile_column,
)
from forecast.evaluation.backtest.result import TIMING_COLUMNS, BacktestResult, OriginResult
from forecast.evaluation.backtest.runner import backtest, fit_at_origin, fit_file, run_origin, saved_or_fitted
from forecast.evaluation.backtest.scoring import (
    continued_latents,
    model_samples,
    score_frame,
    scoring_design,
    scoring_posterior,
    target_rows,
)

__all__ = [
    "BUCKET",
    "BUCKETS",
    "COVER",
    "CRPS",
    "CRPS_LOG",
    "DEFAULT_FIRST_ORIGIN",
    "DEFAULT_LAST_ORIGIN",
    "DEFAULT_STEP_MONTHS",
    "HORIZON",
    "METHOD",
    "METHODS",
    "MIN_FORECAST_MONTHS",
    "MODEL",
    "OBSERVED",
    "ORIGIN",
    "PINBALL",
    "PIT",
    "QUANTILES",
    "REFERENCE",
    "ROW",
    "SCORED_SERIES",
    "TARGET_COVERAGE_HORIZONS",
    "TARGET_COVERAGE_RANGE",
    "TARGET_CRPS_BUCKET",
    "TARGET_CRPS_SERIES",
    "TIMING_COLUMNS",
    "BacktestResult",
    "BacktestSettings",
    "OriginResult",
    "as_origins",
    "backtest",
    "bucket_label",
    "buckets_to",
    "check_origin",
    "continued_latents",
    "default_origins",
    "fit_at_origin",
    "fit_file",
    "forecast_months",
    "horizon_bucket",
    "model_samples",
    "origin_month",
    "origin_seed",
    "quantile_column",
    "run_origin",
    "saved_or_fitted",
    "score_frame",
    "scoring_design",
    "scoring_posterior",
    "target_rows",
]
