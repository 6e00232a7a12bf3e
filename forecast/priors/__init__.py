"""Priors layer: reviewable prior files (``priors/*.toml``) and their loader."""

from forecast.priors.config import (
    DISTRIBUTIONS,
    DOMAIN_KINDS,
    SUPPORTS,
    Domain,
    Prior,
    PriorConfig,
    PriorConfigError,
    check_domain,
    default_priors_dir,
    load_priors,
)

__all__ = [
    "DISTRIBUTIONS",
    "DOMAIN_KINDS",
    "SUPPORTS",
    "Domain",
    "Prior",
    "PriorConfig",
    "PriorConfigError",
    "check_domain",
    "default_priors_dir",
    "load_priors",
]
