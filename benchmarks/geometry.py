"""Where NUTS spends its steps: the stiffest directions of the full fit's posterior; prints a table.

usage: python benchmarks/geometry.py [--draws 1000] [--tune 300] [--chains 4] [--seed 1]
                                     [--start 2014-01] [--end 2024-12] [--directions 6]

Fits the chain model on the bundled history as ``benchmarks/fit.py`` does, with nutpie's
unconstrained draws kept, and standardises each coordinate by its posterior sd (what nutpie's
diagonal mass matrix does). What is left for NUTS is the posterior's correlation matrix: its step
size is set by the narrowest direction and its trajectories must span the widest, so the mean
leapfrog steps per draw grow about as the square root of the ratio of its largest to its smallest
eigenvalue. The table lists that condition number, the smallest eigenvalues with the coordinates
that make up their eigenvectors (the directions that set the step size), the largest, and the most
strongly correlated pairs; a reparametrisation that samples the combination the data pin (a shear,
Jacobian 1: the same model) removes such a direction.

Measured on 2 cores (2026-11-30, 80 s): condition number 7,061. The largest eigenvalues (33 and
27) and most of the smallest are the seasonal effects against the AR(1) level of instroom in the
same calendar month (pairwise correlations -0.95): the monthly first applications pin
``instroom_level + season``, not the two apart. The smallest (0.0047) is ``nareis_ratio`` against
the nareis walk's knots. See docs/validation.md, "Where the full fit's time goes".
"""

from __future__ import annotations

import argparse
import time


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=300)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2014-01")
    ap.add_argument("--end", default="2024-12")
    ap.add_argument("--directions", type=int, default=6, help="smallest eigen-directions to list")
    return ap


def coordinate_names(model) -> list[str]:
    """Name every coordinate of the model's unconstrained vector, in nutpie's order.

    Parameters
    ----------
    model : pymc.Model
        The model; its initial point holds one entry per value variable (transformed), in order.

    Returns
    -------
    list of str
        ``name`` for a scalar, ``name[k]`` for the k-th element of a vector (flattened).
    """
    import numpy as np

    names = []
    for name, value in model.initial_point().items():
        n = int(np.size(value))
        names += [f"{name}[{k}]" for k in range(n)] if n > 1 else [name]
    return names


def main(argv: list[str] | None = None) -> None:
    a = _parser().parse_args(argv)
    t0 = time.perf_counter()
    import warnings

    import numpy as np
    import nutpie

    import forecast
    from forecast.model import build as B
    from forecast.model import design as D
    from forecast.priors import load_priors

    history = forecast.load_history()
    design = D.build_design(history, a.start, a.end)
    inputs = D.build_inputs(history, a.start, a.end)
    model = B.build_model(design, inputs, load_priors(required=B.MODEL_PARAMETERS))
    with warnings.catch_warnings(), B.exact_float_compile():
        warnings.simplefilter("ignore")
        compiled = nutpie.compile_pymc_model(model, backend="numba")
        trace = nutpie.sample(
            compiled,
            draws=a.draws,
            tune=a.tune,
            chains=a.chains,
            seed=a.seed,
            store_unconstrained=True,
            progress_bar=False,
        )
    u = np.asarray(trace["sample_stats"]["unconstrained_draw"].values)  # (chain, draw, coordinate)
    names = coordinate_names(model)
    if len(names) != u.shape[-1]:
        raise RuntimeError(f"{len(names)} coordinate names for {u.shape[-1]} unconstrained coordinates")
    steps = float(np.asarray(trace["sample_stats"]["n_steps"].values).mean())
    x = (u - u.mean(axis=1, keepdims=True)).reshape(-1, u.shape[-1])  # within-chain deviations
    corr = np.corrcoef((x / x.std(axis=0)).T)
    eig, vec = np.linalg.eigh(corr)

    def loading(k: int) -> str:
        top = np.argsort(-np.abs(vec[:, k]))[:6]
        return ", ".join(f"{names[j]} {vec[j, k]:+.2f}" for j in top)

    print(f"chain model fit: {a.chains} chains x {a.draws} draws (+{a.tune} tune), seed {a.seed}")
    print(f"{'coordinates':34s} {u.shape[-1]:8d}")
    print(f"{'mean leapfrog steps / draw':34s} {steps:8.1f}")
    print(f"{'condition number of the correlation':34s} {eig[-1] / eig[0]:8.0f}")
    print("\nnarrowest directions (they set the step size):")
    for k in range(min(a.directions, len(eig))):
        print(f"  {eig[k]:8.4f}  {loading(k)}")
    print("widest directions (the trajectories must span them):")
    for k in range(1, min(3, len(eig)) + 1):
        print(f"  {eig[-k]:8.2f}  {loading(len(eig) - k)}")
    off = np.abs(np.triu(corr, 1))
    print("most correlated pairs:")
    for flat in np.argsort(-off.ravel())[:8]:
        i, j = np.unravel_index(flat, off.shape)
        print(f"  {corr[i, j]:+.3f}  {names[i]}  {names[j]}")
    print(f"\nwall time (s) {time.perf_counter() - t0:.1f}")


if __name__ == "__main__":
    main()
