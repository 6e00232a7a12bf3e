"""Priors as reviewable data.

Every prior of the model lives in a TOML file under ``priors/`` (shipped inside
the package as ``forecast/priors/defaults``). One table per parameter::

    [instroom_level_sd]
    distribution = "HalfNormal"
    sigma = 0.05
    unit = "log persons per month"
    rationale = "Month-to-month changes of the log level of first applications ..."
    source = "CBS StatLine 80059NED monthly first applications 2014-2024"

A domain expert changes a prior by editing the file; no code changes. The loader
checks every entry: a known distribution, all of its parameters and no others,
positive scales, a unit, a rationale and a source, and (against the model) no
unknown and no missing parameter names, and that every prior's support lies inside
its parameter's :class:`Domain` (a scale must be positive, a share inside (0, 1)):
the model declares the domains (:data:`forecast.model.build.PARAMETER_DOMAINS`) and
passes them to :meth:`PriorConfig.require` / :func:`load_priors`. Errors name the
file and the entry.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

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
#: Descriptive fields every entry must have (non-empty strings).
META = ("unit", "rationale", "source")


class PriorConfigError(ValueError):
    """An invalid prior file or entry; the message names file and entry."""


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


def _domain_problem(prior: Prior, domain: Domain) -> str | None:
    """Why ``prior``'s support is not inside ``domain``, or None when it is."""
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


def check_domain(prior: Prior, domain: Domain | str) -> Prior:
    """Check that a prior's support lies inside its parameter's domain.

    Parameters
    ----------
    prior : Prior
        The prior.
    domain : Domain or str
        The parameter's domain, or a kind of :data:`DOMAIN_KINDS`.

    Returns
    -------
    Prior
        ``prior``, unchanged, for chaining.

    Raises
    ------
    PriorConfigError
        When the support reaches outside the domain (a ``Normal`` on a scale, a ``Normal`` or
        ``Gamma`` on a share, ...): the message names the file, the parameter, the distribution
        with its parameters and the domain, and suggests distributions that fit.

    Examples
    --------
    >>> p = Prior("grant_rate", "Beta", {"alpha": 6.0, "beta": 3.0}, "fraction", "r", "s", "chain.toml")
    >>> check_domain(p, "unit_interval").name
    'grant_rate'
    >>> check_domain(p, Domain("positive", "a scale")).distribution
    'Beta'
    """
    problem = _domain_problem(prior, _as_domain(domain))
    if problem:
        raise PriorConfigError(problem)
    return prior


def _as_domain(domain: Domain | str) -> Domain:
    return domain if isinstance(domain, Domain) else Domain(domain)


def check_entry(name: str, raw: Any, file: str) -> Prior:
    """Check one prior's table as read from a file and return it as a :class:`Prior`.

    Parameters
    ----------
    name : str
        The prior's name (the table's key).
    raw : mapping
        The table: ``distribution``, its parameters, and the metadata fields (:data:`META`).
    file : str
        The file it came from, named in every error.

    Returns
    -------
    Prior
        The checked prior.

    Raises
    ------
    PriorConfigError
        Naming the file and the prior: not a table, a missing or unknown distribution, missing
        metadata, an unknown, missing or invalid parameter.
    """
    where = f"{file} [{name}]"
    if not isinstance(raw, Mapping):
        raise PriorConfigError(f"{where}: expected a table of fields, got {type(raw).__name__}")
    dist = raw.get("distribution")
    if dist is None:
        raise PriorConfigError(f"{where}: missing 'distribution'")
    if dist not in DISTRIBUTIONS:
        raise PriorConfigError(
            f"{where}: unknown distribution {dist!r}; supported: {', '.join(sorted(DISTRIBUTIONS))}"
        )
    required, optional = DISTRIBUTIONS[dist]
    for m in META:
        v = raw.get(m)
        if not isinstance(v, str) or not v.strip():
            raise PriorConfigError(f"{where}: missing '{m}' (every prior needs a unit, rationale and source)")
    params: dict[str, float] = {}
    for key, value in raw.items():
        if key == "distribution" or key in META:
            continue
        if key not in required and key not in optional:
            raise PriorConfigError(
                f"{where}: {dist} has no parameter {key!r}; it takes {', '.join(required + optional)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise PriorConfigError(f"{where}: parameter {key!r} must be a finite number, got {value!r}")
        params[key] = float(value)
    missing = [k for k in required if k not in params]
    if missing:
        raise PriorConfigError(f"{where}: {dist} needs parameter(s) {', '.join(missing)}")
    for key in POSITIVE & params.keys():
        if params[key] <= 0:
            raise PriorConfigError(f"{where}: {key} must be > 0, got {params[key]:g}")
    lower, upper = params.get("lower", -math.inf), params.get("upper", math.inf)
    if lower >= upper:
        raise PriorConfigError(f"{where}: lower ({lower:g}) must be below upper ({upper:g})")
    return Prior(
        name=name,
        distribution=dist,
        params=params,
        unit=raw["unit"].strip(),
        rationale=" ".join(raw["rationale"].split()),
        source=" ".join(raw["source"].split()),
        file=file,
    )


@dataclass(frozen=True)
class PriorConfig:
    """All priors of a model, read from reviewable files.

    Use :func:`load_priors` to read them; ``config["name"]`` gives one
    :class:`Prior`.

    Parameters
    ----------
    priors : dict of str to Prior, optional
        The priors keyed by parameter name (default: none). Not validated here:
        :func:`load_priors` and :meth:`from_dict` check every entry.
    """

    priors: dict[str, Prior] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Prior:
        try:
            return self.priors[name]
        except KeyError:
            raise KeyError(f"no prior named {name!r}; the prior files define {sorted(self.priors)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.priors

    def __iter__(self):
        return iter(self.priors)

    def __len__(self) -> int:
        return len(self.priors)

    def require(
        self, names: Iterable[str], *, domains: Mapping[str, Domain | str] | None = None
    ) -> PriorConfig:
        """Check that the config defines exactly ``names``, each prior inside its domain.

        Parameters
        ----------
        names : iterable of str
            The parameter names the model needs (e.g.
            :data:`forecast.model.build.MODEL_PARAMETERS`).
        domains : mapping of str to Domain or str, optional
            The domain of every name (e.g. :data:`forecast.model.build.PARAMETER_DOMAINS`): each
            prior's support must lie inside it (:func:`check_domain`). Default: not checked.

        Returns
        -------
        PriorConfig
            This config, unchanged, for chaining.

        Raises
        ------
        PriorConfigError
            Naming every prior the model does not have (with its file), every name without a
            prior, and every prior whose support is not inside its domain.
        ValueError
            When ``domains`` is given but lacks the domain of one of ``names`` (a fault of the
            caller, not of the prior files).
        """
        wanted = set(names)
        if domains is not None:
            undeclared = sorted(wanted - set(domains))
            if undeclared:
                raise ValueError(f"no domain declared for parameter(s) {', '.join(undeclared)}")
        unknown = sorted(set(self.priors) - wanted)
        missing = sorted(wanted - set(self.priors))
        problems = []
        for name in unknown:
            problems.append(
                f"{self.priors[name].file} [{name}]: unknown parameter name (the model has no {name!r})"
            )
        if missing:
            problems.append(f"missing prior(s) for: {', '.join(missing)}")
        problems += self._domain_problems(domains or {})
        if problems:
            raise PriorConfigError("invalid prior configuration:\n  " + "\n  ".join(problems))
        return self

    def check_domains(self, domains: Mapping[str, Domain | str]) -> PriorConfig:
        """Check that every prior with a declared domain has its support inside it.

        Parameters
        ----------
        domains : mapping of str to Domain or str
            Per parameter name, its domain; priors of names not in it are not checked.

        Returns
        -------
        PriorConfig
            This config, unchanged, for chaining.

        Raises
        ------
        PriorConfigError
            Naming every prior whose support is not inside its domain (:func:`check_domain`).
        """
        problems = self._domain_problems(domains)
        if problems:
            raise PriorConfigError("invalid prior configuration:\n  " + "\n  ".join(problems))
        return self

    def _domain_problems(self, domains: Mapping[str, Domain | str]) -> list[str]:
        out = []
        for name in sorted(self.priors):
            if name in domains:
                problem = _domain_problem(self.priors[name], _as_domain(domains[name]))
                if problem:
                    out.append(problem)
        return out

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Return the priors as plain dictionaries: what :meth:`from_dict` reads back.

        Returns
        -------
        dict of str to dict
            :meth:`Prior.to_dict` of every prior, keyed by name in sorted order.
        """
        return {n: self.priors[n].to_dict() for n in sorted(self.priors)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, Any]], file: str = "<dict>") -> PriorConfig:
        """Build (and validate) a config from plain dictionaries.

        Parameters
        ----------
        data : mapping of str to mapping
            One entry per parameter name, with the fields of a TOML table (a ``name`` field, as
            :meth:`to_dict` writes it, is ignored).
        file : str, optional
            Where the entries come from, for messages and :attr:`Prior.file`
            (default ``"<dict>"``).

        Returns
        -------
        PriorConfig
            The validated config.

        Raises
        ------
        PriorConfigError
            For the first invalid entry.
        """
        priors = {}
        for name, raw in data.items():
            entry = {k: v for k, v in raw.items() if k != "name"}
            priors[name] = check_entry(name, entry, file)
        return cls(priors)

    def to_json(self) -> str:
        """Write the config as canonical JSON text.

        Returns
        -------
        str
            Compact JSON of :meth:`to_dict` with sorted keys: equal configs give equal text.
        """
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """SHA-256 of :meth:`to_json` (``sha256:<hex>``): identifies the prior config."""
        return "sha256:" + hashlib.sha256(self.to_json().encode()).hexdigest()

    def replace(self, **entries: Mapping[str, Any]) -> PriorConfig:
        """Return a copy with some entries changed, e.g. ``replace(x={"sigma": 0.2})``.

        Fields left out of a change are kept from the current prior. A change that names a
        ``distribution`` keeps only the unit, rationale and source: it must give all of the new
        distribution's parameters.

        Parameters
        ----------
        **entries : mapping of str to object
            Per parameter name, the fields to change (``distribution``, its parameters, ``unit``,
            ``rationale``, ``source``).

        Returns
        -------
        PriorConfig
            A new, validated config; this one is unchanged.

        Raises
        ------
        KeyError
            For a name that has no prior.
        PriorConfigError
            When a changed entry is invalid.
        """
        data = self.to_dict()
        for name, change in entries.items():
            if name not in data:
                raise KeyError(f"no prior named {name!r}")
            base = {k: v for k, v in data[name].items() if k in (*META, "distribution")}
            if "distribution" not in change:
                base.update({k: v for k, v in data[name].items() if k not in base and k != "name"})
            base.update(change)
            data[name] = base
        return PriorConfig.from_dict(data, file="<replaced>")

    def to_frame(self) -> pd.DataFrame:
        """Tabulate all priors.

        Returns
        -------
        pandas.DataFrame
            One row per prior, sorted by name: ``parameter``, ``distribution``, ``parameters``
            (as text), ``mean`` and ``sd`` (:meth:`Prior.mean_sd`), ``unit``, ``rationale``,
            ``source`` and ``file``.
        """
        rows = []
        for name in sorted(self.priors):
            p = self.priors[name]
            mean, sd = p.mean_sd()
            rows.append(
                {
                    "parameter": name,
                    "distribution": p.distribution,
                    "parameters": ", ".join(f"{k}={v:g}" for k, v in p.params.items()),
                    "mean": mean,
                    "sd": sd,
                    "unit": p.unit,
                    "rationale": p.rationale,
                    "source": p.source,
                    "file": p.file,
                }
            )
        return pd.DataFrame(rows)


def default_priors_dir() -> Path:
    """Locate the folder of the bundled prior files.

    Returns
    -------
    Path
        ``forecast/priors/defaults`` inside the installed package (in the source tree a link to
        the top-level ``priors/`` folder).
    """
    return Path(str(resources.files("forecast.priors") / "defaults"))


def load_priors(
    directory: str | Path | None = None,
    *,
    required: Iterable[str] | None = None,
    domains: Mapping[str, Domain | str] | None = None,
) -> PriorConfig:
    """Read every ``*.toml`` file of a priors folder.

    Parameters
    ----------
    directory : str or Path, optional
        The folder; default: the bundled priors.
    required : iterable of str, optional
        The parameter names the model needs: unknown or missing names raise.
    domains : mapping of str to Domain or str, optional
        The domain of each parameter (:data:`forecast.model.build.PARAMETER_DOMAINS`): a prior
        whose support is not inside its parameter's domain raises. With ``required``, every
        required name must have a domain.

    Returns
    -------
    PriorConfig
        Every prior of every ``*.toml`` file of the folder (subfolders such as ``policy/`` are
        not read).

    Raises
    ------
    PriorConfigError
        For a missing folder, unreadable TOML, an invalid entry, a name defined
        twice, (with ``required``) unknown or missing names, or (with ``domains``) a prior
        whose support is not inside its domain.
    ValueError
        When ``domains`` lacks the domain of a ``required`` name.
    """
    folder = Path(directory) if directory is not None else default_priors_dir()
    if not folder.is_dir():
        raise PriorConfigError(f"{folder}: not a folder of prior files")
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise PriorConfigError(f"{folder}: no *.toml prior files")
    priors: dict[str, Prior] = {}
    for path in files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PriorConfigError(f"{path.name}: not valid TOML: {exc}") from None
        for name, raw in data.items():
            if name in priors:
                raise PriorConfigError(f"{path.name} [{name}]: already defined in {priors[name].file}")
            priors[name] = check_entry(name, raw, path.name)
    config = PriorConfig(priors)
    if required is not None:
        config.require(required, domains=domains)
    elif domains is not None:
        config.check_domains(domains)
    return config
