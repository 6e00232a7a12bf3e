"""Simulation-based calibration of the chain model, full run on the reduced configuration.

usage: python benchmarks/sbc.py [--simulations 100] [--draws 300] [--tune 300] [--chains 2] [--seed 2026]

Prints the rank-uniformity test per parameter (chi-square over 10 bins, Bonferroni over the
parameters), the rank histograms as text, divergences and the wall time. See
forecast/evaluation/sbc.py for the configuration.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--simulations", type=int, default=100)
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    a = ap.parse_args(argv)
    from forecast.evaluation.sbc import run_sbc

    t0 = time.perf_counter()
    res = run_sbc(
        a.simulations, draws=a.draws, tune=a.tune, chains=a.chains, random_seed=a.seed, verbose=True
    )
    wall = time.perf_counter() - t0
    print(f"\nSBC: {res.settings}, wall {wall:.0f} s")
    print(
        f"divergences: {int(res.diagnostics['divergences'].sum())} in total, "
        f"{int((res.diagnostics['divergences'] > 0).sum())} of {len(res.diagnostics)} fits"
    )
    u = res.uniformity()
    print("\n| parameter | chi2 | dof | p | p (Bonferroni) |\n|---|---|---|---|---|")
    for p, r in u.iterrows():
        print(f"| {p} | {r.chi2:.1f} | {int(r.dof)} | {r.p_value:.3f} | {r.p_adjusted:.3f} |")
    edges = np.linspace(0, res.L + 1, 11)
    print("\nrank histograms (10 bins)")
    for p in res.ranks.columns:
        counts, _ = np.histogram(res.ranks[p], bins=edges)
        print(f"  {p:22s} {' '.join(f'{c:3d}' for c in counts)}")


if __name__ == "__main__":
    main()
