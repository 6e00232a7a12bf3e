"""The distributions a prior may use, and :class:`Prior`: one parameter's distribution and its story.

What each distribution needs (:data:`DISTRIBUTIONS`, :data:`POSITIVE`), where it puts mass
(:data:`SUPPORTS`), and the :class:`Prior` read from a prior file: its distribution and parameters
with the unit, rationale and source a reviewer checks, its support, mean and standard deviation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: Distributions a prior may use: their required and optional parameters.
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Normal": (("mu", "sigma"), ()),
    "HalfNormal": (("sigma",), ()),
    "LogNormal": (("mu", "sigma"), ()),
    "StudentT": (("nu", "mu", "sigma"), ()),
    "HalfStudentT": (("nu", "sigma"), ()),
    "Beta": (("alpha", "beta"), ()),
    "Gamma": (("alpha", "beta"), ()),
    "Exponential": (("lam",), ()),
    "TruncatedNormal": (("mu", "sigma"), ("lower", "upper")),
    "Uniform": (("lower", "upper"), ()),
}
#: Parameters that must be strictly positive.
POSITIVE = frozenset({"sigma", "nu", "alpha", "beta", "lam"})
#: The support of each distribution of :data:`DISTRIBUTIONS`: its (lower, upper) bounds, a number or
#: the name of the parameter that sets the bound (``TruncatedNormal``'s and ``Uniform``'s
#: ``lower``/``upper``; an optional one left out is unbounded).
SUPPORTS: dict[str, tuple[float | str, float | str]] = {
    "Normal": (-math.inf, math.inf),
    "HalfNormal": (0.0, math.inf),
    "LogNormal": (0.0, math.inf),
    "StudentT": (-math.inf, math.inf),
    "HalfStudentT": (0.0, math.inf),
    "Beta": (0.0, 1.0),
    "Gamma": (0.0, math.inf),
    "Exponential": (0.0, math.inf),
    "TruncatedNormal": ("lower", "upper"),
    "Uniform": ("lower", "upper"),
}


@dataclass(frozen=True)
class Prior:
    """One parameter's prior.

    Parameters
    ----------
    name : str
        The model parameter it belongs to.
    distribution : str
        A key of :data:`DISTRIBUTIONS` (PyMC's class name).
    params : dict
        The distribution's parameters.
    unit, rationale, source : str
        What the parameter is measured in, why this prior, and where the
        numbers come from.
    file : str, optional
        The file it was read from (default ``""``).
    """

    name: str
    distribution: str
    params: dict[str, float]
    unit: str
    rationale: str
    source: str
    file: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return the entry as a plain dictionary.

        Returns
        -------
        dict
            ``name``, ``distribution``, the distribution's parameters, ``unit``, ``rationale``
            and ``source``: the TOML table plus its name (``file`` is left out).
        """
        return {
            "name": self.name,
            "distribution": self.distribution,
            **self.params,
            "unit": self.unit,
            "rationale": self.rationale,
            "source": self.source,
        }

    def support(self) -> tuple[float, float]:
        """Give the interval of values the prior puts mass on.

        Returns
        -------
        lower, upper : float
            The bounds of the distribution's support (:data:`SUPPORTS`); ``-inf`` / ``inf``
            where it is unbounded. ``HalfNormal`` is ``(0, inf)``, ``Beta`` ``(0, 1)``,
            ``Uniform`` and ``TruncatedNormal`` their ``lower`` and ``upper``.
        """
        lo, hi = SUPPORTS[self.distribution]
        if isinstance(lo, str):
            lo = self.params.get(lo, -math.inf)
        if isinstance(hi, str):
            hi = self.params.get(hi, math.inf)
        return float(lo), float(hi)

    def spec(self) -> str:
        """Write the distribution and its parameters as one call, for messages.

        Returns
        -------
        str
            E.g. ``"Normal(mu=-1, sigma=0.5)"``: the parameters in the order of
            :data:`DISTRIBUTIONS`.
        """
        required, optional = DISTRIBUTIONS[self.distribution]
        order = [k for k in (*required, *optional) if k in self.params]
        order += [k for k in self.params if k not in order]
        return f"{self.distribution}({', '.join(f'{k}={self.params[k]:g}' for k in order)})"

    def mean_sd(self) -> tuple[float, float]:
        """Compute the mean and standard deviation of the prior (for tables and checks).

        Returns
        -------
        mean : float
            The prior mean. For ``StudentT`` its ``mu`` (whatever ``nu``); for
            ``TruncatedNormal`` the untruncated location ``mu``; NaN for ``HalfStudentT``.
        sd : float
            The prior standard deviation, in the parameter's unit. Infinite for ``StudentT``
            with ``nu <= 2``; the untruncated ``sigma`` for ``TruncatedNormal``; NaN for
            ``HalfStudentT``.
        """
        p = self.params
        d = self.distribution
        if d == "Normal":
            return p["mu"], p["sigma"]
        if d == "HalfNormal":
            return p["sigma"] * math.sqrt(2 / math.pi), p["sigma"] * math.sqrt(1 - 2 / math.pi)
        if d == "LogNormal":
            m = math.exp(p["mu"] + p["sigma"] ** 2 / 2)
            return m, m * math.sqrt(math.expm1(p["sigma"] ** 2))
        if d == "Beta":
            a, b = p["alpha"], p["beta"]
            return a / (a + b), math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        if d == "Gamma":
            return p["alpha"] / p["beta"], math.sqrt(p["alpha"]) / p["beta"]
        if d == "Exponential":
            return 1 / p["lam"], 1 / p["lam"]
        if d == "Uniform":
            return (p["lower"] + p["upper"]) / 2, (p["upper"] - p["lower"]) / math.sqrt(12)
        if d == "StudentT":
            sd = p["sigma"] * math.sqrt(p["nu"] / (p["nu"] - 2)) if p["nu"] > 2 else math.inf
            return p["mu"], sd
        if d == "HalfStudentT":
            return math.nan, math.nan
        return p["mu"], p["sigma"]  # TruncatedNormal: the untruncated location and scale
