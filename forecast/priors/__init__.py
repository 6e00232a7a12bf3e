"""Priors layer: reviewable prior files (``priors/*.toml``) and their loader."""

from forecast.priors.config import (
    DISTRIBUTIONS,
    Prior,
    PriorConfig,
    PriorConfigError,
    default_priors_dir,
    load_priors,
)

__all__ = ["DISTRIBUTIONS", "Prior", "PriorConfig", "PriorConfigError", "default_priors_dir", "load_priors"]
