"""The diagnostics gate run after every fit.

A fit passes when, over all free parameters of the posterior,

* the rank-normalised split R-hat is at most ``max_rhat`` (default 1.01),
* the bulk and tail effective sample sizes are at least ``min_ess`` (default 400),
* no transition diverged, and
* the E-BFMI of every chain is at least ``min_bfmi`` (default 0.3).

A failed fit is not hidden: :func:`check_fit` returns a :class:`FitDiagnostics`
with ``passed=False`` and the reasons, the model warns loudly
(:class:`FitDiagnosticsWarning`) and the saved result carries the verdict.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import arviz as az
import numpy as np
import xarray as xr


class FitDiagnosticsWarning(UserWarning):
    """A fit failed the diagnostics gate; its numbers should not be trusted."""


@dataclass(frozen=True)
class Thresholds:
    """Limits of the diagnostics gate.

    Parameters
    ----------
    max_rhat : float, optional
        Largest rank-normalised split R-hat allowed (default 1.01).
    min_ess : float, optional
        Smallest bulk and tail effective sample size allowed, over all chains together
        (default 400).
    max_divergences : int, optional
        Most divergent transitions allowed, over all chains (default 0).
    min_bfmi : float, optional
        Smallest E-BFMI allowed for any chain (default 0.3).
    """

    max_rhat: float = 1.01
    min_ess: float = 400.0
    max_divergences: int = 0
    min_bfmi: float = 0.3


@dataclass(frozen=True)
class FitDiagnostics:
    """Summary of a fit's sampler diagnostics and the gate's verdict.

    Parameters
    ----------
    max_rhat : float
        Largest R-hat over all scalar elements of the checked parameters.
    worst_rhat : str
        The parameter where R-hat is largest.
    min_ess_bulk, min_ess_tail : float
        Smallest bulk and tail effective sample sizes over the same elements.
    divergences : int
        Divergent transitions after tuning, all chains; -1 when unknown (a saved fit that kept
        only its verdict, ``diagnostics_passed``, and not these details).
    min_bfmi : float
        Lowest E-BFMI over the chains (NaN when the sample stats hold no ``energy``).
    draws, chains : int
        Draws per chain after tuning, and the number of chains.
    thresholds : Thresholds, optional
        The limits the fit was judged against (default :class:`Thresholds`).
    passed : bool, optional
        Whether every limit held (default True).
    failures : tuple of str, optional
        Why it failed, in words (default empty: it passed).
    """

    max_rhat: float
    worst_rhat: str
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    min_bfmi: float
    draws: int
    chains: int
    thresholds: Thresholds = field(default_factory=Thresholds)
    passed: bool = True
    failures: tuple[str, ...] = ()

    def to_json(self) -> str:
        """Write the diagnostics as JSON text (stored in a saved fit's attributes).

        Returns
        -------
        str
            Every field, the thresholds as a nested object, with sorted keys.
        """
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FitDiagnostics:
        """Read back :meth:`to_json`.

        Parameters
        ----------
        text : str
            JSON text written by :meth:`to_json`.

        Returns
        -------
        FitDiagnostics
            The diagnostics as they were written.
        """
        d = json.loads(text)
        d["thresholds"] = Thresholds(**d["thresholds"])
        d["failures"] = tuple(d["failures"])
        return cls(**d)

    def __str__(self) -> str:
        verdict = "PASSED" if self.passed else "FAILED"
        lines = [
            f"sampler diagnostics {verdict} ({self.chains} chains x {self.draws} draws)",
            f"  max R-hat      {self.max_rhat:.4f}  (<= {self.thresholds.max_rhat}; "
            f"worst: {self.worst_rhat})",
            f"  min ESS bulk   {self.min_ess_bulk:.0f}  (>= {self.thresholds.min_ess:.0f})",
            f"  min ESS tail   {self.min_ess_tail:.0f}  (>= {self.thresholds.min_ess:.0f})",
            f"  divergences    {self.divergences if self.divergences >= 0 else 'unknown'}  "
            f"(<= {self.thresholds.max_divergences})",
            f"  min E-BFMI     {self.min_bfmi:.3f}  (>= {self.thresholds.min_bfmi})",
        ]
        if not self.passed:
            lines.append("  !! " + "; ".join(self.failures))
            lines.append("  !! DO NOT USE THESE NUMBERS: the sampler did not converge.")
        return "\n".join(lines)


def _worst(tree: xr.DataTree, reduce: str) -> tuple[float, str]:
    """The largest (``"max"``) or smallest (``"min"``) value over all variables, and its variable.

    A value that cannot be computed (NaN: a parameter that never moved in a chain), or no value at
    all, gives NaN, which fails every threshold of the gate.
    """
    ds = tree.to_dataset() if isinstance(tree, xr.DataTree) else tree
    best_val, best_name = (-np.inf if reduce == "max" else np.inf), ""
    for name, da in ds.data_vars.items():
        vals = np.asarray(da.values, dtype=float)
        if vals.size == 0:
            continue
        if np.isnan(vals).any():
            return float("nan"), f"{name}: not computable"
        v = float(np.max(vals) if reduce == "max" else np.min(vals))
        if (reduce == "max" and v > best_val) or (reduce == "min" and v < best_val):
            best_val, best_name = v, str(name)
    if not np.isfinite(best_val):
        return float("nan"), "no parameters"
    return best_val, best_name


def check_fit(
    idata: xr.DataTree,
    var_names: Sequence[str] | None = None,
    thresholds: Thresholds | None = None,
    *,
    warn: bool = True,
) -> FitDiagnostics:
    """Run the diagnostics gate on a fitted result.

    Parameters
    ----------
    idata : xarray.DataTree
        With ``posterior`` and ``sample_stats`` groups (``diverging`` and
        ``energy`` in sample stats).
    var_names : sequence of str, optional
        The free parameters to check (default: every posterior variable).
    thresholds : Thresholds, optional
        The limits of the gate (default :class:`Thresholds`: R-hat <= 1.01, ESS >= 400, no
        divergences, E-BFMI >= 0.3).
    warn : bool, optional
        Emit :class:`FitDiagnosticsWarning` when the gate fails (default True).

    Returns
    -------
    FitDiagnostics
        The worst values and the verdict; ``passed`` is False, with the reasons in
        ``failures``, when any limit is broken (a NaN E-BFMI, from sample stats without
        ``energy``, counts as broken; so does an R-hat or ESS that cannot be computed, from a
        parameter that never moved, or from no parameters at all).
    """
    th = thresholds or Thresholds()
    names = list(var_names) if var_names is not None else None
    post = idata["posterior"]
    rhat, worst = _worst(az.rhat(idata, var_names=names), "max")
    ess_bulk, _ = _worst(az.ess(idata, var_names=names, method="bulk"), "min")
    ess_tail, _ = _worst(az.ess(idata, var_names=names, method="tail"), "min")
    stats = idata["sample_stats"]
    div = int(np.asarray(stats["diverging"].values).sum()) if "diverging" in stats else 0
    bfmi_vals = (
        np.asarray(az.bfmi(idata)["energy"].values, dtype=float) if "energy" in stats else np.array([np.nan])
    )
    bfmi = float(np.nanmin(bfmi_vals)) if np.isfinite(bfmi_vals).any() else float("nan")
    failures = []
    if not rhat <= th.max_rhat:
        failures.append(f"max R-hat {rhat:.4f} > {th.max_rhat} ({worst})")
    if not ess_bulk >= th.min_ess:
        failures.append(f"min ESS bulk {ess_bulk:.0f} < {th.min_ess:.0f}")
    if not ess_tail >= th.min_ess:
        failures.append(f"min ESS tail {ess_tail:.0f} < {th.min_ess:.0f}")
    if div > th.max_divergences:
        failures.append(f"{div} divergent transitions")
    if not bfmi >= th.min_bfmi:
        failures.append(f"min E-BFMI {bfmi:.3f} < {th.min_bfmi}")
    diag = FitDiagnostics(
        max_rhat=rhat,
        worst_rhat=worst,
        min_ess_bulk=ess_bulk,
        min_ess_tail=ess_tail,
        divergences=div,
        min_bfmi=bfmi,
        draws=int(post.sizes["draw"]),
        chains=int(post.sizes["chain"]),
        thresholds=th,
        passed=not failures,
        failures=tuple(failures),
    )
    if warn and not diag.passed:
        warnings.warn(
            "FIT FAILED THE DIAGNOSTICS GATE: " + "; ".join(failures), FitDiagnosticsWarning, stacklevel=2
        )
    return diag
