"""``forecast evaluate``: the phase gate, a refit with the measures in force and what they did in a fase.

The command checks its input before the (long) refit, prints the effects and the next fase's
outlook, and writes the effects, the outlook and the dataset per fase with the report page.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.cli import values as V
from forecast.cli.common import (
    EXIT_DIAGNOSTICS_FAILED,
    EXIT_OK,
    BadInput,
    chain_model,
    check_writable,
    history_from_args,
    load_fit,
    measures_from_args,
    sampler_settings,
)
from forecast.cli.options import add_common, add_fit_options, add_history_options
from forecast.names import PHASES

if TYPE_CHECKING:
    from forecast.evaluation import PhaseEvaluation
    from forecast.scenarios import MeasureSet


def _ended(args: argparse.Namespace, measures: MeasureSet) -> dict[str, str]:
    """``--ended`` as measure -> first month without it, after ``--in-force`` is checked."""
    unknown = [m for m in args.in_force if m not in measures]
    if unknown:
        raise BadInput(
            f"--in-force: unknown measure(s) {', '.join(unknown)}; the measures are {', '.join(measures.ids)}"
        )
    ended = {}
    for measure, month in args.ended or ():
        if measure not in args.in_force:
            raise BadInput(f"--ended {measure}={month}: {measure!r} is not in --in-force")
        if measure in ended:
            raise BadInput(f"--ended names {measure!r} twice")
        ended[measure] = month
    return ended


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from forecast.evaluation import PhaseEvaluationError, PhaseGate, evaluate_phase
    from forecast.reports.phase_gate import effects_table

    # everything that can be wrong with the input is checked before the (long) refit, and before
    # any folder is made
    out = Path(args.out)
    dest = out / "evaluation"
    check_writable(dest)
    check_writable(out / "reports")
    history = history_from_args(args)
    measures = measures_from_args(args)
    ended = _ended(args, measures)
    # the rest as evaluate_phase will check it (a measure in force that acts in the fase, ...)
    PhaseGate(args.in_force, args.fase, measures=measures, ended=ended or None)
    chain_model(args, history)  # the priors and the fitted window
    reuse = load_fit(args, out) if args.fit else None
    settings = sampler_settings(args)
    print(
        f"evaluating fase {args.fase} with in force: {', '.join(args.in_force)}; the refit with their "
        f"effects free, if any acts in the data: {settings.chains} chains x {settings.draws} draws after "
        f"{settings.tune} tuning steps, seed {args.seed} ...",
        flush=True,
    )
    try:
        ev = evaluate_phase(
            history,
            args.in_force,
            args.fase,
            measures=measures,
            priors=args.priors,
            ended=ended or None,
            model=reuse,
            sampling=settings,  # --sampler, --seed, --draws, --tune, --chains, --target-accept
        )
    except PhaseEvaluationError as exc:  # e.g. a --fit to reuse that belongs to other data
        raise BadInput(str(exc)) from None
    if ev.model is reuse:
        print(f"no measure acts in the fitted months: nothing to refit, {args.fit} reused", flush=True)
    print(ev.model, flush=True)
    table = effects_table(ev)
    print(f"\nFase {args.fase}: {ev.months_observed_in_phase()} fitted month(s) in the fase")
    verdict = "verdict_nl" if args.lang == "nl" else "verdict"
    for _, row in table.iterrows():
        print(
            f"  {row['effect']}: prior {row['prior_mean']:+.3g} (sd {row['prior_sd']:.3g}) -> posterior "
            f"{row['posterior_mean']:+.3g} (sd {row['posterior_sd']:.3g}); "
            f"contraction {row['contraction']:.2f}; {row[verdict]}"
        )
    outlook = _outlook(ev)
    _write_evaluation(args, ev, table, outlook, out)
    if args.strict and ev.diagnostics is not None and not ev.diagnostics.passed:
        return EXIT_DIAGNOSTICS_FAILED
    return EXIT_OK


def _outlook(ev: PhaseEvaluation) -> pd.DataFrame | None:
    """The next fase's outlook, printed; None where there is no next fase or no outlook."""
    from forecast.evaluation import PhaseEvaluationError

    outlook = None
    if ev.gate.next_fase is not None:
        try:
            outlook = ev.outlook()
        except PhaseEvaluationError as exc:  # the data reach beyond the next fase
            print(f"\nno outlook: {exc}")
        else:
            in_force = ", ".join(outlook.attrs["measures_in_force"]) or "no measures"
            print(f"\nNext fase {outlook.attrs['fase']} under {in_force}:")
            print(outlook.to_string(float_format=lambda v: f"{v:,.3f}"))
    return outlook


def _write_evaluation(
    args: argparse.Namespace,
    ev: PhaseEvaluation,
    table: pd.DataFrame,
    outlook: pd.DataFrame | None,
    out: Path,
) -> None:
    """Write a phase evaluation: the effects, the outlook and the dataset as one set per fase, and the
    report page (the verdicts in words and the figure from :mod:`forecast.reports.phase_gate`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options ``fase``, ``lang`` and ``templates``.
    ev : PhaseEvaluation
        The evaluation.
    table : pandas.DataFrame
        Its effects table (:func:`forecast.reports.phase_gate.effects_table`).
    outlook : pandas.DataFrame or None
        The next fase's outlook, where there is one.
    out : pathlib.Path
        The output folder: the files go to ``out/evaluation``, the page to ``out/reports``.
    """
    import xarray as xr

    from forecast import atomic
    from forecast.model.io import save_tree
    from forecast.reports.phase_gate import effects_table, evaluation_page

    dest = out / "evaluation"
    written = [f"{args.fase}_effects.csv", *([f"{args.fase}_outlook.csv"] if outlook is not None else [])]
    written.append(f"{args.fase}.nc")
    # one set per fase: an error or Ctrl-C leaves the previous files, never a mix of old and new
    with atomic.output_set(dest, keep=True, command="evaluate", fase=args.fase) as stage:
        (stage / written[0]).write_text(
            table.to_csv(index=False, float_format=atomic.csv_number), encoding="utf-8"
        )
        if outlook is not None:
            (stage / f"{args.fase}_outlook.csv").write_text(
                outlook.to_csv(float_format=atomic.csv_number), encoding="utf-8"
            )
        dataset = ev.to_dataset(table=effects_table(ev, all_effects=True))
        save_tree(xr.DataTree(dataset), stage / f"{args.fase}.nc")
    page = out / "reports" / f"evaluatie_{args.fase}.html"
    atomic.write_text(page, evaluation_page(ev, args.lang, outlook, templates=args.templates))
    print(f"saved {dest}/: {', '.join(written)}; the report page {page}", flush=True)


def add_evaluate_parser(sub: Any) -> None:
    """Add the ``evaluate`` subcommand.

    Parameters
    ----------
    sub : object
        The subcommands of the ``forecast`` parser (what ``ArgumentParser.add_subparsers`` returns).
    """
    evaluate = sub.add_parser(
        "evaluate",
        help="phase gate: refit with the measures in force and judge what they did in a fase",
        description="Refit the chain model on the history (bundled, or yours merged onto it) with the "
        "effects of the measures in force as free parameters, and report per effect prior vs posterior, "
        "P(at least as large as planned), the contraction and a verdict, plus how the next fase's need "
        "changes: OUT/evaluation/<fase>_effects.csv, <fase>_outlook.csv, <fase>.nc and the report page "
        "OUT/reports/evaluatie_<fase>.html.",
    )
    evaluate.add_argument("--fase", required=True, choices=PHASES, help="which fase: " + ", ".join(PHASES))
    evaluate.add_argument(
        "--in-force",
        required=True,
        nargs="+",
        metavar="MEASURE",
        help="the measure ids actually in force (see priors/policy/measures.toml)",
    )
    evaluate.add_argument(
        "--ended",
        type=V.ended,
        nargs="+",
        metavar="MEASURE=YYYY-MM",
        help="measures that stopped acting, with the first month without them",
    )
    evaluate.add_argument(
        "--measures", metavar="FILE", help="your own measures TOML (default: the bundled one)"
    )
    evaluate.add_argument(
        "--fit",
        metavar="FILE",
        help="a saved fit of the same history, reused when no measure acts in the fitted months "
        "(then there is nothing to refit)",
    )
    add_history_options(evaluate)
    add_fit_options(evaluate)
    add_common(evaluate, lang=True)
    evaluate.set_defaults(func=_cmd_evaluate)
