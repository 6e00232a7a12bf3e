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

The vocabulary of a prior file lives next to this module: :mod:`forecast.priors.distributions` (the
distributions and :class:`Prior`) and :mod:`forecast.priors.domains` (:class:`Domain`); their public
names are importable from here as well.
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

from forecast.priors.distributions import DISTRIBUTIONS, POSITIVE, SUPPORTS, Prior
from forecast.priors.domains import DOMAIN_KINDS, Domain, as_domain, domain_problem

__all__ = [
    "DISTRIBUTIONS",
    "DOMAIN_KINDS",
    "META",
    "POSITIVE",
    "SUPPORTS",
    "Domain",
    "Prior",
    "PriorConfig",
    "PriorConfigError",
    "check_domain",
    "check_entry",
    "default_priors_dir",
    "load_priors",
]

#: Descriptive fields every entry must have (non-empty strings).
META = ("unit", "rationale", "source")


class PriorConfigError(ValueError):
    """An invalid prior file or entry; the message names file and entry."""


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
    problem = domain_problem(prior, as_domain(domain))
    if problem:
        raise PriorConfigError(problem)
    return prior


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
                problem = domain_problem(self.priors[name], as_domain(domains[name]))
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
