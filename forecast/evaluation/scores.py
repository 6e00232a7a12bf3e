"""Proper scores of sample-based probabilistic forecasts: CRPS, quantile (pinball) loss, PIT, coverage.

Every function takes an ensemble ``samples`` of shape ``(..., m)`` (the predictive draws, last axis)
and observations ``y`` of shape ``(...)``, and returns one score per forecast, shape ``(...)``.
A forecast whose samples contain a NaN (a baseline that has nothing to go on) scores NaN.

The backtests (:mod:`forecast.evaluation.backtest`) score on the **log scale** (``log y`` against
``log x_i``): the five scored series differ by two orders of magnitude (nareis ~ 1,000 a month,
COA occupancy ~ 50,000 persons), and a log score is a relative error that can be averaged across
them. A monotone transform leaves PIT values and central-interval coverage unchanged.

Examples
--------
>>> import numpy as np
>>> x = np.array([[1.0, 2.0, 3.0, 4.0]])
>>> float(crps_ensemble(x, np.array([2.5]))[0])
0.16666666666666663
>>> float(pinball_loss(x, np.array([10.0]), 0.9)[0])  # under-forecast: 0.9 x (10 - q90), q90 = 3.7
5.67
>>> interval_coverage(np.vstack([x, x]), np.array([2.5, 5.0]), 0.5).tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import numpy as np

#: The central interval levels whose coverage the backtests report.
LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)
#: The quantile of the upper-tail score: under-forecasting reception need is the costlier error.
UPPER_TAIL = 0.9


def _valid(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.isfinite(y) & np.all(np.isfinite(samples), axis=-1)


def _check_open_unit(name: str, value: float) -> None:
    """Raise ``ValueError`` unless the probability ``value`` (the argument ``name``) lies in (0, 1)."""
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie in (0, 1), got {value}")


def _valid_quantiles(
    samples: np.ndarray, y: np.ndarray, q: float | list[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``y`` as floats, where it and its ensemble are finite, and the ensembles' ``q``-quantiles.

    The quantiles are of the ensembles with the invalid ones set to 0 (linear interpolation, last axis).
    """
    x = np.asarray(samples, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = _valid(x, y)
    return y, ok, np.quantile(np.where(ok[..., None], x, 0.0), q, axis=-1)


def crps_ensemble(samples: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""Continuous ranked probability score of an ensemble (energy form, fair estimator).

    .. math::

        \mathrm{CRPS}(F, y) = \mathbb{E}_F|X - y| - \tfrac12\,\mathbb{E}_F|X - X'|
        \approx \frac1m \sum_i |x_i - y| - \frac{1}{2m(m-1)} \sum_{i \ne j} |x_i - x_j|

    with the pair sum computed from the sorted ensemble
    :math:`\sum_{i,j}|x_i - x_j| = 2\sum_k (2k - m - 1)\,x_{(k)}`. The ``m(m-1)`` ("fair") divisor
    makes it an unbiased estimate of the CRPS of the distribution the ensemble is drawn from, so a
    300-draw posterior and a 1,000-draw baseline are compared on an equal footing. Lower is better;
    the unit is that of ``y`` (on the log scale: a relative error).

    Parameters
    ----------
    samples : ndarray, shape (..., m)
        Ensemble members, ``m >= 2``.
    y : ndarray, shape (...)
        Observations.

    Returns
    -------
    ndarray, shape (...)
        The CRPS of each forecast, in the unit of ``y``; NaN where ``y`` or any member is not finite.

    Raises
    ------
    ValueError
        When the ensemble has fewer than two members.
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=-1)
    y = np.asarray(y, dtype=float)
    m = x.shape[-1]
    if m < 2:
        raise ValueError("the CRPS of an ensemble needs at least two members")
    k = np.arange(1, m + 1)
    with np.errstate(invalid="ignore"):
        spread = 2.0 * np.sum((2 * k - m - 1) * x, axis=-1) / (2.0 * m * (m - 1))
        out = np.mean(np.abs(x - y[..., None]), axis=-1) - spread
    return np.where(_valid(x, y), out, np.nan)


def pinball_loss(samples: np.ndarray, y: np.ndarray, tau: float = UPPER_TAIL) -> np.ndarray:
    r"""Quantile (pinball) loss of the predictive ``tau``-quantile.

    .. math::

        \rho_\tau(y, q_\tau) = (y - q_\tau)\,(\tau - \mathbf 1\{y < q_\tau\})

    With ``tau = 0.9`` an observation above the forecast's 90 % quantile (under-forecast) costs
    ``0.9 (y - q)``, one below it only ``0.1 (q - y)``: a proper score for the upper tail, whose
    expectation is minimised by the true 90 % quantile.

    Parameters
    ----------
    samples : ndarray, shape (..., m)
        Ensemble members (predictive draws, last axis); ``q_tau`` is their empirical
        ``tau``-quantile (linear interpolation).
    y : ndarray, shape (...)
        Observations.
    tau : float
        The quantile level in (0, 1); default :data:`UPPER_TAIL` (0.9).

    Returns
    -------
    ndarray, shape (...)
        The loss of each forecast (>= 0), in the unit of ``y``; NaN where ``y`` or any member is
        not finite.

    Raises
    ------
    ValueError
        When ``tau`` is not strictly between 0 and 1.
    """
    _check_open_unit("tau", tau)
    y, ok, q = _valid_quantiles(samples, y, tau)
    out = (y - q) * (tau - (y < q))
    return np.where(ok, out, np.nan)


def pit_values(samples: np.ndarray, y: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    r"""Randomised probability integral transform (rank) of ``y`` among the ensemble.

    With :math:`b = \#\{x_i < y\}` ensemble members below the observation and :math:`a =
    \#\{x_i = y\}` tied with it,

    .. math::

        \mathrm{PIT} = \frac{b + U\,(a + 1)}{m + 1}, \qquad U \sim \mathrm U(0, 1),

    the observation's rank among the ``m + 1`` values spread uniformly over its bin. If ``y`` is
    exchangeable with the ensemble (a calibrated forecast) the PIT is exactly uniform on [0, 1]; a
    U-shaped histogram means bands too narrow, a hump bands too wide, a slope a biased forecast.

    Parameters
    ----------
    samples : ndarray, shape (..., m)
        Ensemble members (predictive draws, last axis).
    y : ndarray, shape (...)
        Observations.
    rng : numpy.random.Generator, optional
        For the randomisation (default: seeded 0, so a rerun gives the same values).

    Returns
    -------
    ndarray, shape (...)
        The PIT of each observation, in [0, 1]; NaN where ``y`` or any member is not finite.
    """
    x = np.asarray(samples, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = rng if rng is not None else np.random.default_rng(0)
    m = x.shape[-1]
    below = np.sum(x < y[..., None], axis=-1)
    at = np.sum(x == y[..., None], axis=-1)
    out = (below + rng.random(y.shape) * (at + 1)) / (m + 1)
    return np.where(_valid(x, y), out, np.nan)


def interval_coverage(samples: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    """Whether ``y`` lies in the central ``level`` interval of the ensemble (its quantiles, inclusive).

    Parameters
    ----------
    samples : numpy.ndarray
        Ensemble members, shape ``(..., m)`` (predictive draws, last axis).
    y : numpy.ndarray
        Observations, shape ``(...)``.
    level : float
        The central interval's probability in (0, 1), e.g. 0.8 for the 10 %-90 % quantiles.

    Returns
    -------
    numpy.ndarray
        Shape ``(...)``, float: 1.0 inside, 0.0 outside, NaN where ``y`` or any member is not
        finite, so that its mean over forecasts is the empirical coverage.

    Raises
    ------
    ValueError
        When ``level`` is not strictly between 0 and 1.
    """
    _check_open_unit("level", level)
    y, ok, (lo, hi) = _valid_quantiles(samples, y, [(1 - level) / 2, (1 + level) / 2])
    return np.where(ok, ((y >= lo) & (y <= hi)).astype(float), np.nan)
