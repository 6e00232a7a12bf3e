"""The result of a phase evaluation: prior vs posterior per effect, and the next fase's outlook.

:class:`PhaseEvaluation` holds the refitted model and every effect's prior and posterior draws; it
gives the table of effects with a verdict code each (:meth:`PhaseEvaluation.table`, codes of
:mod:`forecast.evaluation.phase_gate.verdict`), the outlook of the next fase under prior vs posterior
effects (:meth:`PhaseEvaluation.outlook`), the whole as a dataset and its provenance. It returns
data only: the figure and the verdict sentences are drawn and written by
:mod:`forecast.reports.phase_gate`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from forecast import names as N
from forecast.evaluation.phase_gate.plan import (
    DECISIVE,
    DIM_EFFECT,
    ESTIMATED,
    INTERVAL,
    MIN_CONTRACTION,
    OUTLOOK_STATISTICS,
    PRIOR_SAMPLES,
    EffectPlan,
    PhaseEvaluationError,
)
from forecast.evaluation.phase_gate.verdict import p_at_least, p_direction, verdict_code
from forecast.model import ChainModel
from forecast.priors.config import Prior
from forecast.scenarios.engine import ScenarioEngine

if TYPE_CHECKING:
    from forecast.evaluation.phase_gate.gate import PhaseGate


def _prior_samples(priors: Sequence[Prior], n: int, seed: int) -> list[np.ndarray]:
    """``n`` draws from each prior (one PyMC ``pm.draw`` for all, so one compile)."""
    import pymc as pm

    if not priors:
        return []
    rvs = [getattr(pm, p.distribution).dist(**p.params) for p in priors]
    values = pm.draw(rvs, draws=n, random_seed=seed)
    values = [values] if len(rvs) == 1 else values
    return [np.asarray(v, dtype=float).reshape(n) for v in values]


class PhaseEvaluation:
    """The result of a phase evaluation (use :func:`evaluate_phase` or :meth:`PhaseGate.evaluate`).

    Parameters
    ----------
    gate : PhaseGate
        The set-up: fase, measures in force, ends, replacements.
    model : ChainModel
        The fitted chain model (with the estimated effects as free parameters).
    plans : sequence of EffectPlan
        Every effect of the measures in force and how it was treated (:meth:`PhaseGate.plan`).
    random_seed : int, optional
        Seeds the draws from the effect priors and the forecast of the next fase (default
        :data:`forecast.names.DEFAULT_SEED`).
    min_contraction : float, optional
        Below this contraction the verdict is "cannot tell yet" (default :data:`MIN_CONTRACTION`).
    decisive : float, optional
        A probability at least this large (or at most ``1 - decisive``) is a clear verdict
        (default :data:`DECISIVE`).

    Attributes
    ----------
    gate : PhaseGate
        The set-up: fase, measures in force, ends, replacements.
    model : ChainModel
        The fitted chain model (with the estimated effects as free parameters).
    plans : list of EffectPlan
        Every effect of the measures in force and how it was treated.
    prior_draws : dict of str to numpy.ndarray
        :data:`PRIOR_SAMPLES` draws of each effect's prior (for intervals and probabilities).
    posterior_draws : dict of str to numpy.ndarray
        ``(chain, draw)`` per effect: MCMC draws of the estimated ones, draws of the prior for the
        others (posterior = prior).
    """

    def __init__(
        self,
        gate: PhaseGate,
        model: ChainModel,
        plans: Sequence[EffectPlan],
        *,
        random_seed: int = N.DEFAULT_SEED,
        min_contraction: float = MIN_CONTRACTION,
        decisive: float = DECISIVE,
    ) -> None:
        self.gate = gate
        self.model = model
        self.plans = list(plans)
        self.random_seed = int(random_seed)
        self.min_contraction = float(min_contraction)
        self.decisive = float(decisive)
        post = model.idata["posterior"]
        self._shape = (post.sizes[N.DIM_CHAIN], post.sizes[N.DIM_DRAW])
        n = self._shape[0] * self._shape[1]
        self.prior_draws: dict[str, np.ndarray] = {}
        self.posterior_draws: dict[str, np.ndarray] = {}
        big = _prior_samples([p.effect.prior for p in self.plans], PRIOR_SAMPLES, self.random_seed + 101)
        others = [p for p in self.plans if p.status != ESTIMATED]
        small = _prior_samples([p.effect.prior for p in others], n, self.random_seed + 102)
        same = dict(zip([p.name for p in others], small, strict=True))
        for p, x in zip(self.plans, big, strict=True):
            self.prior_draws[p.name] = x
            if p.status == ESTIMATED:
                self.posterior_draws[p.name] = np.asarray(post[p.variable].values, dtype=float)
            else:  # the likelihood does not depend on it: the posterior is the prior
                self.posterior_draws[p.name] = same[p.name].reshape(self._shape)
        self._table: pd.DataFrame | None = None
        self._outlook: pd.DataFrame | None = None
        self._outlook_draws: xr.Dataset | None = None

    # ------------------------------------------------------------------ properties
    @property
    def fase(self) -> str:
        """The evaluated fase."""
        return self.gate.fase

    @property
    def diagnostics(self):
        """The diagnostics gate's verdict on the fit (:class:`~forecast.model.FitDiagnostics`)."""
        return self.model.diagnostics

    def months_observed_in_phase(self) -> int:
        """Fitted months that lie in the fase (0 when the data end before it).

        Returns
        -------
        int
            Number of the model's fitted months from the fase's start up to (not including) its end.
        """
        m = self.model.fitted_months()
        return int(np.sum((m >= self.gate.phase.start) & (m < self.gate.phase.end)))

    # ------------------------------------------------------------------ the table
    def table(self, all_effects: bool = False) -> pd.DataFrame:
        """One row per effect of the measures evaluated (those in force that act in the fase).

        Parameters
        ----------
        all_effects : bool
            Also the effects of the measures in force that do not act in the fase (earlier ones that
            ended, later ones not yet started); column ``in_fase`` tells them apart.

        Returns
        -------
        pandas.DataFrame
            Columns: ``measure``, ``target``, ``effect`` (``"<measure>.<target>"``), ``in_fase``,
            ``status`` (estimated / no_data / not_on_chain / switch_not_fitted), ``months_with_data``
            (fitted months in which it acts), ``prior_mean``, ``prior_sd``, ``prior_lo94``, ``prior_hi94``,
            ``posterior_mean``, ``posterior_sd``, ``posterior_lo94``, ``posterior_hi94`` (central
            94 % intervals), ``p_at_least_planned`` (and ``prior_p_at_least_planned``, its value under
            the prior), ``p_planned_direction``, ``contraction`` and ``verdict_code`` (a code of
            :data:`~forecast.evaluation.phase_gate.verdict.VERDICTS`; the sentences are
            :func:`forecast.reports.phase_gate.effects_table`'s ``verdict`` and ``verdict_nl``).
        """
        if self._table is None:
            self._table = self._full_table()
        t = self._table if all_effects else self._table[self._table["in_fase"]]
        return t.reset_index(drop=True)

    def _full_table(self) -> pd.DataFrame:
        lo, hi = (1 - INTERVAL) / 2, (1 + INTERVAL) / 2
        rows = []
        for p in self.plans:
            mu, sd = p.effect.prior.mean_sd()
            prior = self.prior_draws[p.name]
            plo, phi = np.quantile(prior, [lo, hi])
            prior_least = p_at_least(prior, mu)
            if p.status == ESTIMATED:
                x = self.posterior_draws[p.name].reshape(-1)
                pm_, psd = float(x.mean()), float(x.std(ddof=1))
                qlo, qhi = (float(v) for v in np.quantile(x, [lo, hi]))
                contraction = 1.0 - psd**2 / sd**2 if sd > 0 and math.isfinite(sd) else math.nan
                p_least, p_dir = p_at_least(x, mu), p_direction(x, mu)
            else:  # exactly the prior
                pm_, psd, qlo, qhi = mu, sd, float(plo), float(phi)
                contraction = 0.0
                p_least, p_dir = prior_least, p_direction(prior, mu)
            code = verdict_code(
                p.status,
                contraction,
                p_least,
                p_dir,
                (qlo, qhi),
                self.min_contraction,
                self.decisive,
            )
            rows.append(
                {
                    "measure": p.effect.measure,
                    "target": p.effect.target,
                    "effect": p.name,
                    "in_fase": p.in_fase,
                    "status": p.status,
                    "months_with_data": p.months_with_data,
                    "prior_mean": mu,
                    "prior_sd": sd,
                    "prior_lo94": float(plo),
                    "prior_hi94": float(phi),
                    "posterior_mean": pm_,
                    "posterior_sd": psd,
                    "posterior_lo94": qlo,
                    "posterior_hi94": qhi,
                    "prior_p_at_least_planned": prior_least,
                    "p_at_least_planned": p_least,
                    "p_planned_direction": p_dir,
                    "contraction": contraction,
                    "verdict_code": code,
                }
            )
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ the next fase
    def _engine(self, effect_draws: Mapping[str, np.ndarray]) -> ScenarioEngine:
        gate = self.gate
        last = self.model.fitted_months()[-1]
        horizon = max(gate.phases.end - pd.Timedelta(days=1), last + pd.DateOffset(months=24))
        horizon = (pd.Period(horizon, "M")).to_timestamp(how="end").normalize()
        return ScenarioEngine(
            self.model,
            gate.measures,
            phases=gate.phases,
            horizon_end=horizon,
            random_seed=self.random_seed,
            effect_draws=effect_draws,
            # the evaluated measures act in the months a set taakstelling would condition on, and the
            # weights see the current-policy path only: the outlook compares the effects unconditioned
            condition=False,
        )

    def outlook_draws(self) -> xr.Dataset:
        """Per-draw statistics of every fase of the forecast under the measures in force in the next fase
        (:attr:`PhaseGate.next_in_force`), with the effects drawn from the prior and from the posterior.

        Both use the same fitted chain and the same random numbers of the future (common random
        numbers): they differ only in the effect draws.

        Returns
        -------
        xarray.Dataset
            :data:`OUTLOOK_STATISTICS`, dims (``effects`` = prior/posterior, chain, draw, fase).
        """
        if self._outlook_draws is not None:
            return self._outlook_draws
        gate = self.gate
        gate.check_outlook(self.model)
        n = self._shape[0] * self._shape[1]
        names = gate.measures.effect_names
        # one draw of every effect per posterior draw from its prior; the estimated effects' posterior
        # draws replace them in the posterior version (the others are the same draws in both)
        prior = gate.measures.sample_prior(n, seed=self.random_seed + 7919)
        posterior = dict(prior)
        for p in self.plans:
            if p.status == ESTIMATED:
                posterior[p.name] = self.posterior_draws[p.name].reshape(-1)
        active = xr.DataArray(
            np.isin(np.array(gate.measures.ids), np.array(gate.next_in_force, dtype=object))[None, :],
            dims=(N.DIM_SCENARIO, N.DIM_MEASURE),
            coords={N.DIM_SCENARIO: ["in_force"], N.DIM_MEASURE: list(gate.measures.ids)},
        )
        parts = []
        for label, draws in (("prior", prior), ("posterior", posterior)):
            engine = self._engine({k: draws[k] for k in names})
            ds = engine.phase_draws(active)[list(OUTLOOK_STATISTICS)].sel({N.DIM_SCENARIO: "in_force"})
            ds = ds.drop_vars([c for c in ds.coords if c not in ds.dims])
            parts.append(ds.expand_dims(effects=[label]))
        out = xr.concat(parts, dim="effects")
        out.attrs.update(
            {
                "next_in_force": json.dumps(list(gate.next_in_force)),
                "random_seed": self.random_seed,
                "forecast_from": f"{self.model.fitted_months()[-1] + pd.offsets.MonthBegin(1):%Y-%m}",
            }
        )
        self._outlook_draws = out
        return out

    def outlook(self) -> pd.DataFrame:
        """The next fase under the measures in force: effects from the prior vs from the posterior.

        Returns
        -------
        pandas.DataFrame
            One row per statistic of :data:`OUTLOOK_STATISTICS` (mean over the next fase's forecast
            months; ``need_mean`` is the mean need in persons), with columns ``prior_mean``,
            ``prior_p10``, ``prior_p90``, ``posterior_mean``, ``posterior_p10``, ``posterior_p90`` and
            ``change`` (``posterior_mean - prior_mean``: the same chain and future, other effect draws).
            ``attrs`` hold the fase, its forecast months and the measures in force.

        Raises
        ------
        PhaseEvaluationError
            When the evaluated fase is the last one, or no month of the next fase is forecast.
        """
        if self._outlook is not None:
            return self._outlook.copy()
        gate = self.gate
        if gate.next_fase is None:
            raise PhaseEvaluationError(f"{gate.fase!r} is the last fase: there is no next fase to forecast")
        ds = self.outlook_draws()
        bounds = json.loads(ds.attrs.get("phases", "{}")) if "phases" in ds.attrs else {}
        x = ds.sel({N.DIM_PHASE: gate.next_fase})
        if not np.isfinite(x["need_mean"].values).any():
            raise PhaseEvaluationError(
                f"no month of the next fase {gate.next_fase!r} is forecast (the data reach beyond it)"
            )
        sample = (N.DIM_CHAIN, N.DIM_DRAW)
        rows = []
        for stat in OUTLOOK_STATISTICS:
            row: dict[str, Any] = {"statistic": stat}
            for label in ("prior", "posterior"):
                v = x[stat].sel(effects=label)
                row[f"{label}_mean"] = float(v.mean(sample))
                row[f"{label}_p10"] = float(v.quantile(0.1, dim=sample))
                row[f"{label}_p90"] = float(v.quantile(0.9, dim=sample))
            row["change"] = row["posterior_mean"] - row["prior_mean"]
            rows.append(row)
        out = pd.DataFrame(rows).set_index("statistic")
        out.attrs.update(
            {
                "fase": gate.next_fase,
                "months": bounds.get(gate.next_fase, []),
                "measures_in_force": list(gate.next_in_force),
            }
        )
        self._outlook = out
        return out.copy()

    def to_dataset(self, include_outlook: bool = True, table: pd.DataFrame | None = None) -> xr.Dataset:
        """The evaluation as an xarray Dataset.

        Holds the table's columns on the ``effect`` dimension, the posterior draws
        (``posterior``: effect, chain, draw) and, with ``include_outlook``, the next fase's
        outlook statistics (``outlook_<statistic>``: effects = prior/posterior, chain, draw, fase).
        ``attrs``: fase, its dates, the measures in force, ends and replacements, the fitted window,
        data and config hashes, the fit's diagnostics verdict and seed.

        Parameters
        ----------
        include_outlook : bool, optional
            Add the outlook statistics (default ``True``; skipped when the fase is the last one). This
            runs the scenario engine twice unless :meth:`outlook_draws` already did.
        table : pandas.DataFrame, optional
            The effects table to store, one row per effect of the measures in force (default
            :meth:`table` with ``all_effects=True``, its verdicts as codes); e.g.
            :func:`forecast.reports.phase_gate.effects_table` for the verdicts in words.

        Returns
        -------
        xarray.Dataset
            The table's columns, ``posterior`` and the optional ``outlook_<statistic>`` variables,
            with :meth:`provenance` as ``attrs``.
        """
        t = (self.table(all_effects=True) if table is None else table).set_index("effect")
        ds = xr.Dataset({c: (DIM_EFFECT, t[c].to_numpy()) for c in t.columns}, coords={DIM_EFFECT: t.index})
        post = self.model.idata["posterior"]
        ds["posterior"] = (
            (DIM_EFFECT, N.DIM_CHAIN, N.DIM_DRAW),
            np.stack([self.posterior_draws[p.name] for p in self.plans])
            if self.plans
            else np.zeros((0, *self._shape)),
        )
        ds = ds.assign_coords({N.DIM_CHAIN: post[N.DIM_CHAIN].values, N.DIM_DRAW: post[N.DIM_DRAW].values})
        if include_outlook and self.gate.next_fase is not None:
            o = self.outlook_draws()
            for stat in OUTLOOK_STATISTICS:
                ds[f"outlook_{stat}"] = o[stat].drop_vars([N.DIM_CHAIN, N.DIM_DRAW])
        ds.attrs.update(self.provenance())
        return ds

    def provenance(self) -> dict[str, Any]:
        """What the evaluation rests on (strings and numbers, for attrs and reports).

        Returns
        -------
        dict of str to Any
            The fase, its start and end (exclusive), the next fase, the measures in force, evaluated
            and in force next (JSON lists), ends and replacements (JSON), the fitted window, the months
            observed in the fase, data and config hashes, the measures file, whether the fit passed its
            diagnostics (0/1), the seed and the verdict thresholds.
        """
        gate, model = self.gate, self.model
        m = model.fitted_months()
        diag = model.diagnostics
        return {
            "fase": gate.fase,
            "fase_start": f"{gate.phase.start:%Y-%m-%d}",
            "fase_end": f"{gate.phase.end:%Y-%m-%d}",
            "next_fase": gate.next_fase or "",
            "measures_in_force": json.dumps(list(gate.in_force)),
            "measures_evaluated": json.dumps(list(gate.evaluated)),
            "next_in_force": json.dumps(list(gate.next_in_force)),
            "ended": json.dumps({k: f"{v:%Y-%m}" for k, v in gate.ended.items()}),
            "replaces": json.dumps({k: list(v) for k, v in gate.replaces.items()}),
            "fitted_window": f"{m[0]:%Y-%m}..{m[-1]:%Y-%m}",
            "months_observed_in_fase": self.months_observed_in_phase(),
            "data_hash": model.history.data_hash,
            "model_config_hash": model.config_hash,
            "measures_file": gate.measures.file,
            "diagnostics_passed": int(bool(diag and diag.passed)),
            "random_seed": self.random_seed,
            "min_contraction": self.min_contraction,
            "decisive": self.decisive,
        }

    def __repr__(self) -> str:
        t = self.table()
        lines = [
            f"PhaseEvaluation(fase {self.fase!r}, {self.months_observed_in_phase()} fitted month(s) in it, "
            f"window {self.provenance()['fitted_window']})"
        ]
        for _, r in t.iterrows():
            lines.append(f"  {r['effect']}: {r['verdict_code']}")
        return "\n".join(lines)
