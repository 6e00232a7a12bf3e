"""What it takes: the target parser's messages, and which combinations meet a target.

The semantics are checked on a small hand-built :class:`ScenarioResult` (4 measures, 16
combinations and one bundle; no fit), whose numbers make the right answer easy to work out by
hand and by brute force. The command line's ``--target`` is tested on a real grid in
tests/test_cli.py, where the answer is also compared with a filter of ``phase_summary.csv``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from forecast import names as N
from forecast.scenarios import ScenarioResult, combination_label, phase_table
from forecast.scenarios.tables import QUANTILES
from forecast.scenarios.targets import (
    CLOSEST,
    QUANTITIES,
    TARGET_EXAMPLE,
    TARGET_FORM,
    Target,
    TargetError,
    meeting,
    parse_target,
    parse_targets,
    subset_minimal,
)

FASES = ["voorbereiding", "implementatie", "normalisatie"]
MEASURES = ["a", "b", "c", "d"]
#: cost per measure (million euro a fase); d costs nothing and does nothing
COST = {"a": 300.0, "b": 100.0, "c": 100.0, "d": 0.0}
#: how much each measure lowers P(need > capacity)
LOWERS = {"a": 0.2, "b": 0.15, "c": 0.15, "d": 0.0}


def _p(active: dict[str, int], fase: str) -> float:
    base = {"implementatie": 0.8, "normalisatie": 0.5}[fase]
    return round(base - sum(LOWERS[m] * active[m] for m in MEASURES), 10)


def _cost(active: dict[str, int]) -> float:
    return 1000.0 + sum(COST[m] * active[m] for m in MEASURES)


@pytest.fixture(scope="module")
def result() -> ScenarioResult:
    """A ScenarioResult with every combination of 4 measures and a bundle that does everything for free."""
    combos = [dict(zip(MEASURES, bits, strict=True)) for bits in itertools.product((0, 1), repeat=4)]
    labels = [combination_label([bool(c[m]) for m in MEASURES], MEASURES) for c in combos]
    scenarios, kinds = [*labels, "pakket"], ["combination"] * len(labels) + ["bundle"]
    activity = pd.DataFrame(
        [[c[m] for m in MEASURES] for c in combos] + [[1, 1, 1, 1]], index=scenarios, columns=MEASURES
    ).rename_axis(N.DIM_SCENARIO)
    shape = (len(scenarios), len(FASES))
    p, cost = np.full(shape, np.nan), np.full(shape, np.nan)  # voorbereiding: no forecast months
    for i, c in enumerate(combos):
        for j, f in enumerate(FASES[1:], start=1):
            p[i, j], cost[i, j] = _p(c, f), _cost(c)
    p[-1, 1:], cost[-1, 1:] = 0.0, 1.0  # the bundle would win everything: it is no candidate
    q = np.asarray(QUANTILES)[:, None, None]

    def band(x):  # a quantile band around x: x at the median
        return (("quantile", N.DIM_SCENARIO, N.DIM_PHASE), x[None] * (0.5 + q))

    summary = xr.Dataset(
        {
            "need_mean_q": band(50_000 + 10_000 * p),
            "need_peak_q": band(60_000 + 10_000 * p),
            "places_mean_q": band(55_000 + 10_000 * p),
            "cost_eur_q": band(cost * 1e6),
            "statushouder_share_q": band(0.2 + 0 * p),
            "exceeds_capacity_mean": ((N.DIM_SCENARIO, N.DIM_PHASE), p),
            "noodopvang_person_months_mean": ((N.DIM_SCENARIO, N.DIM_PHASE), 1e6 * p),
            "cost_eur_mean": ((N.DIM_SCENARIO, N.DIM_PHASE), cost * 1e6),
        },
        coords={
            "quantile": list(QUANTILES),
            N.DIM_SCENARIO: scenarios,
            N.DIM_PHASE: FASES,
            "scenario_kind": (N.DIM_SCENARIO, kinds),
        },
    )
    rows = [(m, "measure", m.upper()) for m in MEASURES] + [("pakket", "bundle", "Pakket")]
    return ScenarioResult(
        summary=summary,
        contributions=xr.Dataset(),
        differences=xr.Dataset(),
        monthly=xr.Dataset(),
        history=xr.Dataset(),
        observed=pd.DataFrame(),
        coverage=pd.DataFrame(),
        last_observations=pd.DataFrame(),
        sources=pd.DataFrame(),
        phases=pd.DataFrame({"fase": FASES, "forecast_months": [0, 12, 42]}),
        measures=pd.DataFrame(rows, columns=["id", "kind", "name_nl"]),
        activity=activity,
        bundles=("pakket",),
        diagnostics=None,
        diagnostics_passed=None,
        provenance={},
    )


# ------------------------------------------------------------------ the parser


def test_a_target_reads_with_or_without_spaces_and_its_text_reads_back():
    t = parse_target("p_need_exceeds_capacity<=0.10@normalisatie", FASES)
    assert t == Target("p_need_exceeds_capacity", "<=", 0.10, "normalisatie")
    assert parse_target("  p_need_exceeds_capacity <= 10 % @ normalisatie ", FASES) == t
    assert str(t) == "p_need_exceeds_capacity <= 0.1 @ normalisatie"
    assert parse_target(str(t), FASES) == t
    big = parse_target("noodopvang_person_months_mean > 1.5e4 @ implementatie", FASES)
    assert (big.op, big.value, str(big)) == (
        ">",
        15000.0,
        "noodopvang_person_months_mean > 15000 @ implementatie",
    )
    dotted = parse_target("need_p97.5>=.5e5@implementatie", FASES)
    assert str(dotted) == "need_p97.5 >= 50000 @ implementatie"
    both = parse_targets([f"{t} and cost_meur_mean<3000@normalisatie", big], FASES)
    assert [x.quantity for x in both] == ["p_need_exceeds_capacity", "cost_meur_mean", big.quantity]


def test_the_quantities_are_the_numeric_columns_of_the_phase_table(result):
    assert list(QUANTITIES) == list(phase_table(result.summary).columns)
    assert all(q.unit and q.description for q in QUANTITIES.values())


def test_the_scenarios_page_explains_every_quantity():
    page = (Path(__file__).parents[2] / "docs" / "scenarios.md").read_text(encoding="utf-8")
    section = page[page.index("## What it takes") :]
    assert [q for q in QUANTITIES if f"`{q}`" not in section] == []


def test_an_unknown_quantity_lists_the_valid_ones_and_suggests_the_closest():
    with pytest.raises(TargetError) as err:
        parse_target("p_need_exceed_capacity <= 0.1 @ normalisatie", FASES)
    message = str(err.value)
    assert "unknown quantity 'p_need_exceed_capacity'" in message
    assert "did you mean 'p_need_exceeds_capacity'?" in message
    assert f"the quantities: {', '.join(QUANTITIES)}" in message


def test_an_unknown_fase_lists_the_fases():
    with pytest.raises(TargetError, match="unknown fase 'normalsatie'; did you mean 'normalisatie'") as err:
        parse_target("cost_meur_mean <= 15000 @ normalsatie", FASES)
    assert str(err.value).endswith("the fases: voorbereiding, implementatie, normalisatie")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("p_need_exceeds_capacity <= 0.1", "it names no fase"),
        ("p_need_exceeds_capacity = 0.1 @ normalisatie", "it has no comparison (<=, <, >=, >)"),
        ("p_need_exceeds_capacity =< 0.1 @ normalisatie", "it does not read as one comparison"),
        ("<= 0.1 @ normalisatie", "it does not read as one comparison"),
        ("cost_meur_mean <= 1 @ normalisatie AND need_median < 5 @ normalisatie", "join several targets"),
    ],
)
def test_a_malformed_comparison_shows_the_form_and_an_example(text, reason):
    with pytest.raises(TargetError) as err:
        parse_target(text, FASES)
    message = str(err.value)
    assert message.startswith(f"target {text!r}: ") and reason in message
    assert TARGET_FORM in message and TARGET_EXAMPLE in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cost_meur_mean <= 15.000,5 @ normalisatie", "the value '15.000,5' is not a number"),
        ("cost_meur_mean <= lots @ normalisatie", "the value 'lots' is not a number"),
        ("cost_meur_mean <= nan @ normalisatie", "the value 'nan' is not a number"),
        ("cost_meur_mean <=  @ normalisatie", "the value '' is not a number"),
        (
            "p_need_exceeds_capacity <= 10 @ normalisatie",
            "is a probability between 0 and 1; write 0.10 or 10%",
        ),
        ("statushouder_share_median >= 120% @ normalisatie", "is a share between 0 and 1"),
        ("cost_meur_mean <= 10% @ normalisatie", "'%' is only for a probability or a share"),
    ],
)
def test_a_bad_value_says_what_a_value_is(text, expected):
    with pytest.raises(TargetError, match=expected.replace("(", r"\(").replace("?", r"\?")):
        parse_target(text, FASES)


def test_no_target_at_all_is_refused():
    with pytest.raises(TargetError, match="no target given"):
        parse_targets([], FASES)


# ------------------------------------------------------------------ the answer


def test_the_combinations_that_meet_cheapest_first_and_the_minimal_sets(result):
    answer = result.meeting("p_need_exceeds_capacity <= 0.2 @ normalisatie")
    met = answer.met
    # the bundle (cheapest, P = 0) is no candidate; every combination with two of a, b, c meets
    assert "pakket" not in set(met[N.DIM_SCENARIO])
    assert sorted(met[N.DIM_SCENARIO]) == sorted(
        ["a+b", "a+c", "b+c", "a+b+c", "a+b+d", "a+c+d", "b+c+d", "a+b+c+d"]
    )
    # cheapest first; the same cost: fewer measures first, then the scenario key
    assert list(met[N.DIM_SCENARIO]) == ["b+c", "b+c+d", "a+b", "a+c", "a+b+d", "a+c+d", "a+b+c", "a+b+c+d"]
    keys = list(zip(met["cost_meur_mean"], met["n_measures"], met[N.DIM_SCENARIO], strict=True))
    assert keys == sorted(keys)
    assert list(met.columns) == [
        N.DIM_SCENARIO,
        "n_measures",
        *MEASURES,
        "p_need_exceeds_capacity@normalisatie",
        "cost_meur_mean",
        "cost_meur_p10",
        "cost_meur_p90",
        "need_median",
        "need_p10",
        "need_p90",
    ]
    assert list(answer.minimal[N.DIM_SCENARIO]) == ["b+c", "a+b", "a+c"]
    assert answer.closest.empty
    text = str(answer)
    assert "8 of the 16 combinations of the 4 measures meet it." in text
    assert "Cheapest: b + c (2 of 4 measures): cost 1,200 million euro (80 % band 720 to 1,680)" in text
    assert "Smallest sets of measures that meet it (3;" in text


def test_minimal_sets_agree_with_a_brute_force_search_over_subsets(result):
    for target in (
        "p_need_exceeds_capacity <= 0.35 @ normalisatie",
        "p_need_exceeds_capacity < 0.65 @ implementatie",
    ):
        answer = result.meeting(target)
        meets = {frozenset(k.split("+")) - {N.NO_MEASURES_LABEL} for k in answer.met[N.DIM_SCENARIO]}
        brute = {
            s
            for s in meets
            if not any(frozenset(sub) in meets for r in range(len(s)) for sub in itertools.combinations(s, r))
        }
        got = {frozenset(k.split("+")) for k in answer.minimal[N.DIM_SCENARIO]}
        assert got == brute and len(got) > 1
    assert subset_minimal(np.zeros((0, 3))).tolist() == []


def test_meeting_agrees_with_a_filter_of_the_phase_table(result):
    targets = [
        "noodopvang_person_months_mean <= 300000 @ normalisatie",
        "cost_meur_p90 > 1500 @ implementatie",
    ]
    answer = meeting(result, targets)
    rows = result.table(measures=True).reset_index()
    combos = rows[rows[N.DIM_SCENARIO].isin(result.combinations())]
    ok_n = combos[(combos.fase == "normalisatie") & (combos.noodopvang_person_months_mean <= 300000)]
    ok_i = combos[(combos.fase == "implementatie") & (combos.cost_meur_p90 > 1500)]
    expected = set(ok_n[N.DIM_SCENARIO]) & set(ok_i[N.DIM_SCENARIO])
    assert set(answer.met[N.DIM_SCENARIO]) == expected and 0 < len(expected) < 16
    # the value columns are the table's numbers of each target's fase; the bands those of the first
    first = ok_n.set_index(N.DIM_SCENARIO).loc[answer.met[N.DIM_SCENARIO]]
    np.testing.assert_array_equal(answer.met["cost_meur_p90"], first["cost_meur_p90"])
    second = ok_i.set_index(N.DIM_SCENARIO).loc[answer.met[N.DIM_SCENARIO]]
    np.testing.assert_array_equal(answer.met["cost_meur_p90@implementatie"], second["cost_meur_p90"])


def test_a_target_no_combination_meets_gives_the_closest(result):
    answer = result.meeting(
        "p_need_exceeds_capacity <= 0.05 @ normalisatie and cost_meur_mean <= 1300 @ normalisatie"
    )
    assert answer.met.empty and answer.minimal.empty
    # by hand: the largest shortfall over both targets, relative to the bound
    expected = []
    for bits in itertools.product((0, 1), repeat=4):
        active = dict(zip(MEASURES, bits, strict=True))
        short = max(max(_p(active, "normalisatie") - 0.05, 0) / 0.05, max(_cost(active) - 1300, 0) / 1300)
        label = combination_label([bool(b) for b in bits], MEASURES)
        expected.append((short, _cost(active), sum(bits), label))
    best = sorted(expected)[:CLOSEST]
    assert list(answer.closest[N.DIM_SCENARIO]) == [e[3] for e in best]
    np.testing.assert_allclose(answer.closest["shortfall"], [e[0] for e in best])
    text = str(answer)
    assert "No combination of the 4 measures meets it: none of the 16." in text
    assert f"The {CLOSEST} closest" in text and f"short by {100 * best[0][0]:.1f} %" in text


def test_a_target_on_a_fase_without_forecast_months_is_refused(result):
    with pytest.raises(TargetError, match="the fase voorbereiding has no forecast months"):
        result.meeting("cost_meur_mean <= 1000 @ voorbereiding")
    with pytest.raises(TargetError, match="unknown fase 'overgang'"):
        result.meeting("cost_meur_mean <= 1000 @ overgang")
