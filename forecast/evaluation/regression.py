"""Fixed-seed regression: the key numbers of the default seeded fit and scenario run, and their check.

CI fits the model with fixed settings and seeds (:data:`FIT`, :data:`SCENARIO_SEED`), computes
:func:`key_summaries` and compares them with the reference file ``tests/regression/reference.json``
(:func:`compare`). A change that moves the numbers beyond the tolerance fails CI; when the maths
changed on purpose, regenerate the reference deliberately::

    .venv/bin/python -m forecast.evaluation.regression --write tests/regression/reference.json

Tolerance
---------
Every quantity is compared in units of its own posterior (or predictive) standard deviation,
``|x - x_ref| <= tol * sd_ref``. On one machine the same seed reproduces the numbers bit for bit;
another CPU or BLAS changes the last bits, which MCMC turns into a different chain, i.e. the same
statistical variation as another seed. The tolerance is therefore set from the spread between
seeds, measured with :func:`seed_spread` (see ``docs/validation.md`` for the measured values):
small enough that a real change of the model (a prior, an equation) fails, large enough that
another seed passes.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from forecast import names as N
from forecast.model.sampler import SamplerSettings

#: The CI fit: the default fit of ``forecast run`` and the README (the default
#: :class:`~forecast.model.sampler.SamplerSettings`: 4 chains x 1000 draws after 300 tuning steps,
#: seed :data:`forecast.names.DEFAULT_SEED`; tests/conftest.py's session fit is the same).
FIT = SamplerSettings()
#: Seed of the scenario engine's future draws in the regression run.
SCENARIO_SEED = 3
#: Scalar parameters whose posterior is checked (the ones the forecasts lean on).
PARAMETERS = (
    "instroom_sigma",
    "instroom_halflife",
    "instroom_nu",
    "nareis_ratio",
    "nareis_grant_share",
    "departure_rate",
    "nareis_housing_share",
    "capacity_sigma",
    "supply_speed",
)
#: Latent stocks checked at the last fitted month.
LATENTS = (N.OPVANGBEHOEFTE, "ind_backlog", "statushouders", "rejected")
#: Bundles whose per-fase mean need is checked.
BUNDLES = (N.BUNDLE_KABINETSBELEID, N.BUNDLE_GEEN_NIEUW_BELEID, N.BUNDLE_SAMENHANGEND_PAKKET)
#: Default tolerance in standard deviations (justified in docs/validation.md by :func:`seed_spread`).
TOLERANCE = 0.35


def _stats(name: str, x: np.ndarray) -> dict[str, dict[str, float]]:
    x = np.asarray(x, dtype=float).reshape(-1)
    sd = float(x.std())
    out = {}
    for label, value in (
        ("mean", x.mean()),
        ("q05", np.quantile(x, 0.05)),
        ("q50", np.quantile(x, 0.5)),
        ("q95", np.quantile(x, 0.95)),
    ):
        out[f"{name}.{label}"] = {"value": float(value), "sd": sd}
    return out


def key_summaries(model, engine=None) -> dict[str, dict[str, float]]:
    """The named quantities CI pins: ``{name: {"value": x, "sd": posterior sd}}``.

    Parameters
    ----------
    model : ChainModel
        A fitted model.
    engine : ScenarioEngine, optional
        Adds the per-fase mean need of :data:`BUNDLES` (mean and quantiles over draws).

    Returns
    -------
    dict of str to dict of str to float
        Keys ``posterior.<parameter>.<stat>`` (:data:`PARAMETERS`), ``latent.<stock>.last.<stat>``
        (:data:`LATENTS` at the last fitted month, persons) and, with an engine,
        ``scenario.<bundle>.<fase>.need_mean.<stat>`` (persons), with ``<stat>`` one of ``mean``,
        ``q05``, ``q50``, ``q95``; each value is ``{"value": x, "sd": sd}`` with ``sd`` the
        standard deviation of the quantity over the posterior draws.
    """
    post = model.idata["posterior"]
    out: dict[str, dict[str, float]] = {}
    for p in PARAMETERS:
        out.update(_stats(f"posterior.{p}", post[p].values))
    lat = model.latents()
    for v in LATENTS:
        out.update(_stats(f"latent.{v}.last", np.asarray(lat[v])[..., -1]))
    if engine is not None:
        draws = engine.phase_draws(list(BUNDLES))
        for b in BUNDLES:
            for f in draws[N.DIM_PHASE].values:
                x = draws["need_mean"].sel({N.DIM_SCENARIO: b, N.DIM_PHASE: f}).values
                out.update(_stats(f"scenario.{b}.{f}.need_mean", x))
    return out


def compare(
    current: Mapping[str, Mapping[str, float]],
    reference: Mapping[str, Mapping[str, float]],
    tolerance: float = TOLERANCE,
) -> list[str]:
    """Every quantity that moved by more than ``tolerance`` reference sds (or is missing / new).

    Parameters
    ----------
    current : Mapping of str to Mapping of str to float
        The new summaries, as :func:`key_summaries` returns them.
    reference : Mapping of str to Mapping of str to float
        The pinned summaries (``tests/regression/reference.json``).
    tolerance : float, optional
        Largest accepted ``|current - reference|`` in reference standard deviations; default
        :data:`TOLERANCE`.

    Returns
    -------
    list of str
        One message per problem (a quantity beyond the tolerance or not finite, missing, or new),
        sorted by name; empty when the check passes.
    """
    problems = []
    for name in sorted(set(reference) | set(current)):
        if name not in current:
            problems.append(f"{name}: in the reference, not computed any more")
            continue
        if name not in reference:
            problems.append(f"{name}: new, not in the reference (regenerate it deliberately)")
            continue
        ref, cur = reference[name], current[name]
        scale = max(float(ref["sd"]), 1e-12)
        z = abs(float(cur["value"]) - float(ref["value"])) / scale
        if not np.isfinite(z) or z > tolerance:
            problems.append(
                f"{name}: {cur['value']:.6g} vs reference {ref['value']:.6g} "
                f"({z:.2f} sd > tolerance {tolerance})"
            )
    return problems


def seed_spread(runs: list[Mapping[str, Mapping[str, float]]]) -> dict[str, float]:
    """The largest difference between runs, in reference sds, per quantity (first run = reference).

    Parameters
    ----------
    runs : list of Mapping of str to Mapping of str to float
        Summaries of :func:`key_summaries` from fits with different seeds; at least two, and every
        run has the first run's quantities.

    Returns
    -------
    dict of str to float
        For every quantity of the first run: the largest ``|value - reference value|`` over the
        other runs, divided by the first run's sd.
    """
    ref = runs[0]
    out = {}
    for name in ref:
        scale = max(float(ref[name]["sd"]), 1e-12)
        out[name] = max(abs(r[name]["value"] - ref[name]["value"]) / scale for r in runs[1:])
    return out


def regression_run(random_seed: int = FIT.random_seed) -> dict[str, dict[str, float]]:
    """Fit with :data:`FIT` (seed ``random_seed``) on the bundled history and compute the summaries.

    Runs a full MCMC fit (minutes), then a scenario engine with seed :data:`SCENARIO_SEED`.

    Parameters
    ----------
    random_seed : int, optional
        Seed of the fit; default the seed of :data:`FIT`.

    Returns
    -------
    dict of str to dict of str to float
        The :func:`key_summaries` of the fit, scenarios included.
    """
    import warnings

    from forecast.model import ChainModel, FitDiagnosticsWarning
    from forecast.scenarios.engine import ScenarioEngine

    model = ChainModel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FitDiagnosticsWarning)
        model.fit(settings=FIT, random_seed=random_seed)
    return key_summaries(model, ScenarioEngine(model, random_seed=SCENARIO_SEED))


def main(argv: Any = None) -> int:
    """``python -m forecast.evaluation.regression [--write FILE] [--spread SEED ...]``.

    Always runs :func:`regression_run` (an MCMC fit); ``--write`` writes its summaries as the new
    reference file, ``--spread`` fits again with each seed and prints the largest differences
    (:func:`seed_spread`).

    Parameters
    ----------
    argv : Any
        Command-line arguments (a list of str); default ``None`` reads ``sys.argv``.

    Returns
    -------
    int
        The exit status, 0.
    """
    ap = argparse.ArgumentParser(prog="python -m forecast.evaluation.regression", description=__doc__)
    ap.add_argument(
        "--write", metavar="FILE", help="regenerate the reference file (only when the maths changed)"
    )
    ap.add_argument(
        "--spread", type=int, nargs="+", metavar="SEED", help="also fit with these seeds and print the spread"
    )
    a = ap.parse_args(argv)
    from forecast import atomic

    base = regression_run()
    if a.write:
        atomic.write_text(a.write, json.dumps(base, indent=1, sort_keys=True) + "\n")
        print(f"wrote {a.write} ({len(base)} quantities)")
    if a.spread:
        runs = [base] + [regression_run(s) for s in a.spread]
        spread = seed_spread(runs)
        worst = sorted(spread.items(), key=lambda kv: -kv[1])
        print(f"largest difference between seed {FIT.random_seed} and {a.spread}, in posterior sds:")
        for name, z in worst[:15]:
            print(f"  {z:6.3f}  {name}")
        print(f"median {np.median(list(spread.values())):.3f}, max {worst[0][1]:.3f}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
