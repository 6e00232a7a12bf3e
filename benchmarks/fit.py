"""Benchmark the full chain-model fit on the bundled history.

usage: python benchmarks/fit.py [--draws 1000] [--tune 300] [--chains 4] [--adaptation diag|low_rank]
                                [--target-accept 0.8] [--sampler nutpie|pymc] [--worst 10]

Prints wall time (data + build + compile + sampling), compile time, sampling time, min ESS bulk per
second of sampling, max R-hat, divergences (forecast.model.diagnostics.check_fit over all free
parameters), plus the mean leapfrog steps per draw and the step size.
"""

from __future__ import annotations

import argparse
import time


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--adaptation", default="diag")
    ap.add_argument("--target-accept", type=float, default=0.8)
    ap.add_argument("--sampler", default="nutpie")
    ap.add_argument("--start", default="2014-01")
    ap.add_argument("--end", default="2024-12")
    ap.add_argument("--worst", type=int, default=8, help="list the parameters with the highest R-hat")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    import arviz as az
    import numpy as np

    import forecast
    from forecast.model import build as B
    from forecast.model import design as D
    from forecast.model.diagnostics import check_fit
    from forecast.priors import load_priors

    history = forecast.load_history()
    design = D.build_design(history, a.start, a.end)
    inputs = D.build_inputs(history, a.start, a.end)
    priors = load_priors(required=B.MODEL_PARAMETERS)
    model = B.build_model(design, inputs, priors)
    t_build = time.perf_counter() - t0
    trace, tm = B.sample(
        model,
        draws=a.draws,
        tune=a.tune,
        chains=a.chains,
        random_seed=a.seed,
        sampler=a.sampler,
        adaptation=a.adaptation,
        target_accept=a.target_accept,
        return_timings=True,
    )
    wall = time.perf_counter() - t0
    free = [v.name for v in model.free_RVs]
    diag = check_fit(trace, var_names=free, warn=False)
    st = trace["sample_stats"]
    steps = float(np.asarray(st["n_steps"].values).mean()) if "n_steps" in st else float("nan")
    ss = float(np.asarray(st["step_size"].values).mean()) if "step_size" in st else float("nan")
    print(
        f"chain model fit: {a.chains} chains x {a.draws} draws (+{a.tune} tune), sampler={a.sampler}, "
        f"adaptation={a.adaptation}, target_accept={a.target_accept}"
    )
    print(f"{'wall time (s)':28s} {wall:8.1f}")
    print(f"{'  data + build (s)':28s} {t_build:8.1f}")
    print(f"{'  compile (s)':28s} {tm['compile_s']:8.1f}")
    print(f"{'  sampling (s)':28s} {tm['sample_s']:8.1f}")
    print(f"{'min ESS bulk':28s} {diag.min_ess_bulk:8.0f}")
    print(f"{'min ESS bulk / s sampling':28s} {diag.min_ess_bulk / tm['sample_s']:8.1f}")
    print(f"{'min ESS tail':28s} {diag.min_ess_tail:8.0f}")
    print(f"{'max R-hat':28s} {diag.max_rhat:8.4f}  ({diag.worst_rhat})")
    print(f"{'divergences':28s} {diag.divergences:8d}")
    print(f"{'min E-BFMI':28s} {diag.min_bfmi:8.3f}")
    print(f"{'mean leapfrog steps / draw':28s} {steps:8.1f}")
    print(f"{'mean step size':28s} {ss:8.4f}")
    print(f"{'gate':28s} {'PASSED' if diag.passed else 'FAILED: ' + '; '.join(diag.failures)}")
    if a.worst:
        rh = az.rhat(trace, var_names=free)
        rows = []
        for n in free:
            v = np.atleast_1d(np.asarray(rh[n].values))
            rows.append((float(np.nanmax(v)), n, int(np.nanargmax(v))))
        for r, n, i in sorted(rows, reverse=True)[: a.worst]:
            print(f"    R-hat {r:7.3f}  {n}[{i}]")
    return trace, model, design, inputs


if __name__ == "__main__":
    main()
