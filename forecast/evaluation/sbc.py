"""Simulation-based calibration (SBC) of the chain model on a reduced configuration.

SBC (Talts et al. 2018, arXiv:1804.06788) checks the model and its sampler together: draw a
parameter set ``theta*`` from the prior, simulate data from the model at ``theta*``, fit, and take the
rank of ``theta*`` among ``L`` (thinned) posterior draws. When the sampler computes the posterior
correctly, the rank is uniform on ``0..L`` for every parameter, whatever the prior.

Reduced configuration
---------------------
The full model on 2014-2024 costs about two minutes per fit; SBC needs many fits. The reduced
configuration keeps the **same structure and priors** on a shorter window (default 2018-07..2022-12:
both the IND and the housing switch lie inside it, with the six months before the housing switch
that anchor the housing supply) and fewer draws; the observation rows are those
of the real history in that window (the real sparsity pattern: same periods, definitions and
quality noise), re-drawn from the observation model at ``theta*`` (as in the recovery test). The
simulation is ours rather than a library's (``simuk`` draws data from PyMC's observed variables; the
chain's likelihood is one fused ``Potential``, which PyMC cannot simulate from).

Uniformity is judged by a test statistic, not by eye: per parameter a chi-square test over ``bins``
equal-width rank bins, with the p-values combined by Bonferroni over the parameters
(:meth:`SBCResult.uniformity`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.data import History, load_history
from forecast.model import build as B
from forecast.model import design as D
from forecast.model.chain_model import back_transform
from forecast.model.sampler import SamplerSettings
from forecast.priors import load_priors

#: Parameters whose ranks are collected (the ones the forecasts lean on; all scalars).
SBC_PARAMETERS = (
    "instroom_sigma",
    "instroom_halflife",
    "nareis_ratio",
    "nareis_app_lag_mean",
    "nareis_housing_share",
    "departure_rate",
    "repeat_sigma",
    "capacity_sigma",
    "discrepancy_flow",
)


@dataclass
class SBCResult:
    """Ranks of the true values per simulation and parameter, with the run's settings.

    Parameters
    ----------
    ranks : pandas.DataFrame
        One row per simulation, one column per parameter: the number of the ``L`` kept posterior
        draws below the true value, in ``0..L``.
    L : int
        Posterior draws kept per fit for the rank (``thin_to`` of :func:`run_sbc`).
    settings : dict
        The run's settings: ``n_simulations``, ``window``, ``draws``, ``tune``, ``chains``,
        ``random_seed`` and ``rows`` (observation rows per fit).
    diagnostics : pandas.DataFrame
        One row per simulation: ``simulation``, ``divergences`` (count over all chains) and
        ``seconds`` (wall time of simulation and fit).
    truths : pandas.DataFrame
        One row per simulation, one column per parameter: the prior draw the data were simulated
        from (what each rank compares the posterior draws with).
    """

    ranks: pd.DataFrame  # one row per simulation, one column per parameter; values 0..L
    L: int
    settings: dict = field(default_factory=dict)
    diagnostics: pd.DataFrame = field(default_factory=pd.DataFrame)
    truths: pd.DataFrame = field(default_factory=pd.DataFrame)

    def uniformity(self, bins: int = 10) -> pd.DataFrame:
        """Chi-square test of uniform ranks per parameter (``bins`` equal bins of ``0..L``).

        Parameters
        ----------
        bins : int, optional
            Number of equal-width rank bins (default 10); clamped to at least 2 and at most
            ``L + 1`` and about one bin per five simulations.

        Returns
        -------
        pandas.DataFrame
            Per parameter: ``chi2``, degrees of freedom, ``p_value`` and the Bonferroni-adjusted
            ``p_adjusted`` (times the number of parameters, capped at 1).
        """
        from scipy import stats

        n = len(self.ranks)
        bins = max(2, min(bins, self.L + 1, max(n // 5, 2)))
        edges = np.linspace(0, self.L + 1, bins + 1)
        rows = []
        for p in self.ranks.columns:
            counts, _ = np.histogram(self.ranks[p].to_numpy(), bins=edges)
            expected = n / bins
            chi2 = float(((counts - expected) ** 2 / expected).sum())
            pv = float(stats.chi2.sf(chi2, bins - 1))
            rows.append({"parameter": p, "chi2": chi2, "dof": bins - 1, "p_value": pv})
        out = pd.DataFrame(rows).set_index("parameter")
        out["p_adjusted"] = np.minimum(1.0, out["p_value"] * len(out))
        return out


class _PriorDraws:
    """One draw of every parameter from the prior per call: ``pm.draw(..., draws=1, random_seed=seed)``
    with the draw function compiled once (PyMC's ``pm.draw`` compiles it on every call, about 10 s)."""

    def __init__(self, model_pm):
        from pymc.pytensorf import compile as compile_pymc

        self.names = [v.name for v in (*model_pm.free_RVs, *model_pm.deterministics)]
        with model_pm:
            self._fn, updates = compile_pymc(
                inputs=[], outputs=[model_pm[n] for n in self.names], random_seed=False, return_updates=True
            )
        self._rngs = list(updates)

    def __call__(self, seed: int) -> list[np.ndarray]:
        from pymc.pytensorf import reseed_rngs

        reseed_rngs(self._rngs, int(seed))  # as pm.draw(..., draws=1, random_seed=seed) seeds its function
        return self._fn()


def _simulate_rows(
    model_pm, prior: _PriorDraws, design: D.Design, inputs: dict, rng: np.random.Generator, seed: int
):
    """One prior draw of every parameter and the observation rows simulated at it."""
    import xarray as xr

    names = prior.names
    values = prior(seed)
    data = {}
    for name, val in zip(names, values, strict=True):
        dims = ("chain", "draw", *(model_pm.named_vars_to_dims.get(name) or ()))
        data[name] = (dims, np.asarray(val)[None, None, ...])
    used = {d for _, (dims, _) in data.items() for d in dims[2:]}
    coords = {d: list(model_pm.coords[d]) for d in used if model_pm.coords.get(d) is not None}
    truth = xr.Dataset(data, coords=coords)
    latents = B.posterior_latents(truth, design, inputs)
    loc, scale, nu, transform = B.row_predictions(truth, latents, design, inputs)
    sim = loc[0, 0] + scale[0, 0] * rng.standard_t(nu, size=loc.shape[-1])
    natural = back_transform(sim, transform)
    return truth, natural


#: How each SBC fit samples by default: 2 chains of 300 tuning steps and 300 draws (the reduced
#: configuration of the module docstring).
SBC_SAMPLER = SamplerSettings(draws=300, tune=300, chains=2)


def run_sbc(
    n_simulations: int = 100,
    *,
    start: str = "2018-07",
    end: str = "2022-12",
    settings: SamplerSettings = SBC_SAMPLER,
    draws: int | None = None,
    tune: int | None = None,
    chains: int | None = None,
    random_seed: int | None = None,
    thin_to: int = 99,
    history: History | None = None,
    parameters: tuple[str, ...] = SBC_PARAMETERS,
    verbose: bool = False,
) -> SBCResult:
    """Run SBC on the reduced configuration (see the module docstring).

    Parameters
    ----------
    n_simulations : int
        Prior draws (each one fit).
    start, end : str
        The reduced window (months).
    settings : SamplerSettings, optional
        How each fit samples (nutpie; default :data:`SBC_SAMPLER`: 2 chains of 300 tuning steps and
        300 draws, seed :data:`forecast.names.DEFAULT_SEED`). Its seed also seeds the prior draws and
        the simulated noise.
    draws, tune, chains, random_seed : int, optional
        Override the field of ``settings`` of that name.
    thin_to : int
        ``L``: posterior draws kept (evenly thinned) for the rank, so ranks lie in ``0..L``.
    history : History, optional
        The history whose observation rows (in the window) are re-simulated; default
        :func:`forecast.data.load_history`.
    parameters : tuple of str
        Scalar parameters whose ranks are collected; default :data:`SBC_PARAMETERS`.
    verbose : bool
        Print the time and divergences of each simulation.

    Returns
    -------
    SBCResult
        The ranks (one row per simulation, ranks in ``0..thin_to``), the settings, per-fit
        diagnostics and the true values the ranks compare with.
    """
    sampler = settings.override(draws=draws, tune=tune, chains=chains, random_seed=random_seed)
    draws, tune, chains, random_seed = sampler.draws, sampler.tune, sampler.chains, sampler.random_seed
    history = history if history is not None else load_history()
    priors = load_priors(required=B.MODEL_PARAMETERS)
    design = D.build_design(history, start, end)
    inputs = D.build_inputs(history, start, end)
    base = B.build_model(design, inputs, priors)
    prior = _PriorDraws(base)
    compiled = B.CompiledModel(base)  # every simulation refits the same design: one compilation
    rng = np.random.default_rng(random_seed)
    ranks, diags, truths = [], [], []
    for i in range(n_simulations):
        t0 = time.perf_counter()
        truth, natural = _simulate_rows(base, prior, design, inputs, rng, random_seed + 1000 + i)
        sim_design = dataclasses.replace(design, rows=design.rows.assign(value=natural))
        tree = compiled.sample(sim_design, draws=draws, tune=tune, chains=chains, random_seed=random_seed + i)
        post = tree["posterior"]
        div = int(np.asarray(tree["sample_stats"]["diverging"].values).sum())
        row, true = {}, {}
        for p in parameters:
            x = np.asarray(post[p].values).reshape(-1)
            keep = x[np.linspace(0, len(x) - 1, thin_to).round().astype(int)]
            true[p] = float(np.asarray(truth[p].values).reshape(-1)[0])
            row[p] = int((keep < true[p]).sum())
        ranks.append(row)
        truths.append(true)
        diags.append({"simulation": i, "divergences": div, "seconds": time.perf_counter() - t0})
        if verbose:
            print(
                f"simulation {i + 1}/{n_simulations}: {diags[-1]['seconds']:.1f} s, {div} divergences",
                flush=True,
            )
    return SBCResult(
        pd.DataFrame(ranks),
        thin_to,
        {
            "n_simulations": n_simulations,
            "window": f"{start}..{end}",
            "draws": draws,
            "tune": tune,
            "chains": chains,
            "random_seed": random_seed,
            "rows": len(design.rows),
        },
        pd.DataFrame(diags),
        pd.DataFrame(truths),
    )
