"""The domain of a model parameter: the values it may take, which its prior's support must lie inside.

The model declares a :class:`Domain` per parameter (a scale is positive, a share lies between 0 and
1, an effect is real); :func:`domain_problem` says, in words a reviewer of a prior file can act on,
when a prior puts mass outside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from forecast.priors.distributions import Prior

#: The kinds of :class:`Domain`: the (lower, upper) bounds of the values a parameter may take.
DOMAIN_KINDS: dict[str, tuple[float, float]] = {
    "real": (-math.inf, math.inf),
    "positive": (0.0, math.inf),
    "unit_interval": (0.0, 1.0),
}
#: Per domain kind, how a message states it, and the distributions that fit it.
_DOMAIN_WORDS = {
    "real": ("real", "any distribution"),
    "positive": (
        "positive",
        "use HalfNormal, LogNormal, Gamma, Exponential or HalfStudentT "
        "(or a TruncatedNormal or Uniform with lower >= 0)",
    ),
    "unit_interval": (
        "between 0 and 1",
        "use Beta (or a TruncatedNormal or Uniform with 0 <= lower < upper <= 1)",
    ),
}


@dataclass(frozen=True)
class Domain:
    """The values a model parameter may take: a prior's support must lie inside them.

    The model declares one per parameter (:data:`forecast.model.build.PARAMETER_DOMAINS`), from
    how the parameter is used: a scale, ratio, lag or stock is ``"positive"``; a share or rate
    used as a probability is ``"unit_interval"``; a logit, log, effect or bias is ``"real"``.

    Parameters
    ----------
    kind : str
        A key of :data:`DOMAIN_KINDS`: ``"real"``, ``"positive"`` or ``"unit_interval"``.
    role : str, optional
        What the parameter is, for messages, e.g. ``"a scale"`` (default ``""``).

    Raises
    ------
    ValueError
        For an unknown ``kind``.

    Examples
    --------
    >>> Domain("positive", "a scale").describe()
    'positive (a scale)'
    >>> Domain("unit_interval").bounds
    (0.0, 1.0)
    """

    kind: str
    role: str = ""

    def __post_init__(self) -> None:
        if self.kind not in DOMAIN_KINDS:
            raise ValueError(f"unknown domain {self.kind!r}; the domains are {', '.join(DOMAIN_KINDS)}")

    @property
    def bounds(self) -> tuple[float, float]:
        """The (lower, upper) bounds of the values the parameter may take (:data:`DOMAIN_KINDS`)."""
        return DOMAIN_KINDS[self.kind]

    def describe(self) -> str:
        """State the domain in words, for messages.

        Returns
        -------
        str
            E.g. ``"positive (a scale)"``, or ``"between 0 and 1"`` (a unit interval domain without
            a role).
        """
        words = _DOMAIN_WORDS[self.kind][0]
        return f"{words} ({self.role})" if self.role else words


def domain_problem(prior: Prior, domain: Domain) -> str | None:
    """Why a prior's support is not inside its parameter's domain, or None when it is.

    Parameters
    ----------
    prior : Prior
        The prior.
    domain : Domain
        The parameter's domain.

    Returns
    -------
    str or None
        The problem, naming the file, the parameter, the distribution with its parameters and the
        domain, and suggesting distributions that fit; None when the support lies inside.
    """
    lo, hi = prior.support()
    dlo, dhi = domain.bounds
    below, above = lo < dlo, hi > dhi
    if not (below or above):
        return None
    if below and above:
        where = f"values below {dlo:g} and above {dhi:g}"
    elif below:
        where = "negative values" if dlo == 0 else f"values below {dlo:g}"
    else:
        where = f"values above {dhi:g}"
    return (
        f"{prior.file or '<config>'} [{prior.name}]: {prior.name} must be {domain.describe()}, but "
        f"{prior.spec()} puts mass on {where}; {_DOMAIN_WORDS[domain.kind][1]}"
    )


def as_domain(domain: Domain | str) -> Domain:
    """Take a domain, or the kind of one.

    Parameters
    ----------
    domain : Domain or str
        A domain, or a kind of :data:`DOMAIN_KINDS`.

    Returns
    -------
    Domain
        ``domain`` itself, or a :class:`Domain` of that kind without a role.
    """
    return domain if isinstance(domain, Domain) else Domain(domain)
