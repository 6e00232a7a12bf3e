"""The command line as a person uses it: exit codes and messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from forecast import names as N
from forecast.cli import EXIT_BAD_INPUT, main


def test_data_prints_the_history_summary(capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("History: 778 observations")
    assert "Last observation per series" in out


def test_data_as_of_and_series(capsys):
    assert main(["data", "--as-of", "2019-12-31", "--series", "nareis"]) == 0
    out = capsys.readouterr().out
    assert "as known on 2019-12-31" in out
    assert "first_applications" not in out


def test_bad_history_file_gives_clear_error_and_exit_code(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text(
        ",".join(N.RECORD_COLUMNS) + "\nnareis,2025-01-01,2025-03-31,-1,persons,cbs,exact,https://x.org,\n",
        encoding="utf-8",
    )
    assert main(["data", "--history", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "mine.csv, line 2 (series 'nareis'): negative count -1" in err


def test_missing_history_file(tmp_path, capsys):
    assert main(["data", "--history", str(tmp_path / "nope.csv")]) == EXIT_BAD_INPUT
    assert "file not found" in capsys.readouterr().err


def test_unknown_series(capsys):
    # refused while the arguments are parsed (argparse: SystemExit with the bad-input code)
    with pytest.raises(SystemExit) as exc:
        main(["data", "--series", "instroom"])
    assert exc.value.code == EXIT_BAD_INPUT
    assert "argument --series: unknown series 'instroom'" in capsys.readouterr().err


def test_console_script_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "forecast", "data", "--as-of", "2016-01-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "as known on 2016-01-01" in proc.stdout


def test_fit_with_an_invalid_priors_folder(tmp_path, capsys):
    bad = tmp_path / "priors"
    bad.mkdir()
    (bad / "chain.toml").write_text('[nareis_ratio]\ndistribution = "Lognormal"\n', encoding="utf-8")
    assert main(["fit", "--priors", str(bad), "--out", str(tmp_path / "out")]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "chain.toml [nareis_ratio]: unknown distribution 'Lognormal'" in err
    assert not (tmp_path / "out").exists()


def test_fit_with_an_unwritable_out_folder(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert main(["fit", "--out", str(blocker / "out")]) == EXIT_BAD_INPUT
    assert "cannot write to --out" in capsys.readouterr().err


def test_fit_help_explains_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("--history", "--priors", "--seed", "--out", "--quick", "--strict"):
        assert option in out


@pytest.mark.slow
def test_fit_quick_writes_a_result_that_loads(tmp_path, capsys):
    from forecast.model import ChainModel, FitDiagnosticsWarning

    out = tmp_path / "out"
    # the quick preset (2 x 200 draws) cannot reach ESS >= 400: the gate must say so, loudly
    with pytest.warns(FitDiagnosticsWarning, match="FIT FAILED THE DIAGNOSTICS GATE"):
        assert main(["fit", "--quick", "--quiet", "--seed", "2026", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "sampler diagnostics FAILED" in text and "DO NOT USE THESE NUMBERS" in text
    assert "In-sample coverage" in text
    assert sorted(p.name for p in out.iterdir()) == ["fit.nc"]
    model = ChainModel.load(out / "fit.nc")
    assert model.idata.attrs["random_seed"] == "2026"
    assert model.idata["posterior"].sizes["draw"] == 200
    assert model.idata.attrs["diagnostics_passed"] == 0
    assert not model.diagnostics.passed
    # the prior beside the posterior (500 draws, seeded): the same variables, dims and coordinates
    post, prior = model.idata["posterior"].to_dataset(), model.idata["prior"].to_dataset()
    assert prior.sizes["draw"] == 500 and set(prior.data_vars) == set(post.data_vars)
    for name in post.data_vars:
        assert prior[name].dims == post[name].dims, name
        assert prior[name].attrs["units"] == post[name].attrs["units"], name
    for dim in set(post.dims) - {"chain", "draw"}:  # months as dates, knots, biases, scales
        assert (prior[dim].values == post[dim].values).all(), dim
    assert model.idata["prior_predictive"]["value"].sizes["row"] == model.idata["observed_data"].sizes["row"]
    assert model.idata["prior"]["backlog0"].attrs["units"] == "persons"
    # --strict turns a failed gate into exit code 3 (no prior draws: --prior-draws 0)
    with pytest.warns(FitDiagnosticsWarning):
        strict = ["fit", "--quick", "--strict", "--prior-draws", "0", "--seed", "2026", "--out", str(out)]
        assert main(strict) == 3


@pytest.fixture(scope="module")
def saved_fit(saved_quick_fit):
    """The quick fit (tests/conftest.py): these tests check what the commands do with a saved fit."""
    return saved_quick_fit


@pytest.mark.slow
def test_scenarios_writes_summaries_and_answers_targets(saved_fit, tmp_path, capsys, monkeypatch):
    """One grid run (the same seed's byte-identical files: tests/reports/test_reports.py, which reruns
    `forecast scenarios` on the fit of `forecast run` and compares with what the run wrote)."""
    out = tmp_path / "out"
    # what it takes: two targets (one as a percentage), answered after the grid
    targets = [
        "p_need_exceeds_capacity <= 60% @ normalisatie",
        "noodopvang_person_months_mean<125000@implementatie",
    ]
    args = ["scenarios", "--fit", str(saved_fit), "--out", str(out), "--capacity", "75000"]
    assert main([*args, "--target", targets[0], "--target", targets[1]]) == 0
    text = capsys.readouterr().out
    assert "2**9 = 512 combinations" in text and "kabinetsbeleid" in text
    assert "flat 75,000 places" in text
    names = sorted(p.name for p in (out / "scenarios").iterdir())
    assert names == [
        "MANIFEST.json",
        "bundles_monthly.nc",
        "contributions.nc",
        "contributions_cost.csv",
        "contributions_need.csv",
        "phase_summary.csv",
        "phase_summary.nc",
        "scenario_result.nc",
        "target_met.csv",
        "target_minimal.csv",
    ]
    import pandas as pd

    table = pd.read_csv(out / "scenarios" / "phase_summary.csv")
    assert len(table) == (512 + 5) * 3
    assert table["p_need_exceeds_capacity"].between(0, 1).all()
    # the answer is a filter of phase_summary.csv's combinations (never a bundle), cheapest first
    from forecast.scenarios import load_measures

    combos = table[~table["scenario"].isin(list(load_measures().bundles))]
    in_fase = {f: rows.set_index("scenario") for f, rows in combos.groupby("fase")}
    ok = (in_fase["normalisatie"]["p_need_exceeds_capacity"] <= 0.6) & (
        in_fase["implementatie"]["noodopvang_person_months_mean"] < 125000
    )
    met = pd.read_csv(out / "scenarios" / "target_met.csv")
    minimal = pd.read_csv(out / "scenarios" / "target_minimal.csv")
    assert set(met["scenario"]) == set(ok[ok].index) and 0 < len(met) < 512
    assert met["cost_meur_mean"].is_monotonic_increasing
    assert set(minimal["scenario"]) <= set(met["scenario"]) and len(minimal) > 0
    assert f"{len(met)} of the 512 combinations of the 9 measures meet it." in text
    assert f"Cheapest: {met['scenario'][0].replace('+', ' + ')} (" in text
    # a complete set, and Ctrl-C while the next set is written leaves it exactly as it was
    from forecast import atomic
    from forecast.model import io as model_io

    atomic.check_manifest(out / "scenarios")
    before = {p.name: p.read_bytes() for p in (out / "scenarios").iterdir()}
    calls = []

    def interrupted_save(tree, path):
        calls.append(path)
        if len(calls) == 2:  # the first .nc is written, the second is not
            raise KeyboardInterrupt
        return real_save(tree, path)

    real_save = model_io.save_tree
    monkeypatch.setattr(model_io, "save_tree", interrupted_save)
    args = ["scenarios", "--fit", str(saved_fit), "--out", str(out), "--capacity", "90000"]
    assert main(args) == 130
    assert {p.name: p.read_bytes() for p in (out / "scenarios").iterdir()} == before
    atomic.check_manifest(out / "scenarios")


@pytest.mark.slow
def test_scenarios_bad_input(saved_fit, tmp_path, capsys):
    assert main(["scenarios", "--out", str(tmp_path / "nofit")]) == 2
    assert "no fitted model" in capsys.readouterr().err
    # a bad --target fails before the fit is read (there is none here) and names what is wrong
    target = "p_need_exceeds_capacity <= 0.10 @ normalisatie and cost_mean <= 5 @ normalisatie"
    assert main(["scenarios", "--out", str(tmp_path / "nofit"), "--target", target]) == 2
    err = capsys.readouterr().err
    assert "--target: target 'cost_mean <= 5 @ normalisatie': unknown quantity 'cost_mean'" in err
    # --capacity is checked while the arguments are parsed (argparse: SystemExit 2), before the fit loads
    bad = tmp_path / "cap.csv"
    bad.write_text("month,places\n2025-01,70000\n2025-02,many\n")
    for capacity, message in (
        ("lots", "neither a number of places nor a CSV file"),
        (str(bad), f"{bad}, line 3"),
        ("-1", "is not a positive whole number of places"),
    ):
        with pytest.raises(SystemExit) as exc:
            main(["scenarios", "--fit", str(saved_fit), "--out", str(tmp_path), "--capacity", capacity])
        assert exc.value.code == 2
        assert message in capsys.readouterr().err
    # a capacity path that misses forecast months: refused before any scenario is computed
    short = tmp_path / "short.csv"
    short.write_text("month,places\n2025-01,70000\n")
    assert main(["scenarios", "--fit", str(saved_fit), "--out", str(tmp_path), "--capacity", str(short)]) == 2
    assert f"--capacity {short}: the capacity path has no value for" in capsys.readouterr().err
    assert not (tmp_path / "scenarios").exists()


@pytest.mark.slow
def test_evaluate_a_fase_without_data_reuses_the_fit_and_says_so(saved_fit, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["evaluate", "--fase", "implementatie", "--fit", str(saved_fit), "--out", str(out), "--lang", "en"]
    assert main([*args, "--in-force", "meer_huisvestingsoplossingen", "taal_werk_participatie"]) == 0
    text = capsys.readouterr().out
    assert "nothing to refit" in text
    import pandas as pd

    table = pd.read_csv(out / "evaluation" / "implementatie_effects.csv")
    assert set(table["measure"]) == {"meer_huisvestingsoplossingen", "taal_werk_participatie"}
    assert (table["months_with_data"] == 0).all() and table["contraction"].abs().max() < 0.05
    page = (out / "reports" / "evaluatie_implementatie.html").read_text(encoding="utf-8")
    assert "Evaluation" in page and 'src="data:image/png;base64,' in page
    assert main([*args, "--in-force", "no_such_measure"]) == 2
    assert "--in-force: unknown measure(s) no_such_measure" in capsys.readouterr().err


def test_backtest_keeps_its_fits_and_can_score_without_the_anchor(tmp_path, monkeypatch, capsys):
    """``--fits``, ``--no-anchor``, ``--target-accept`` and ``--max-horizon`` reach the backtest's
    settings (the run itself is tested in tests/evaluation/test_backtest.py on saved fits)."""
    from forecast.evaluation import backtest

    seen = {}

    class Stop(Exception):
        pass

    def capture(origins, history, settings, **kwargs):
        seen["settings"] = settings
        raise Stop

    monkeypatch.setattr(backtest, "backtest", capture)
    argv = ["backtest", "--origins", "2020-01-01", "--serial", "--out", str(tmp_path / "out")]
    with pytest.raises(Stop):
        main([*argv, "--fits", str(tmp_path / "fits"), "--no-anchor", "--target-accept", "0.9"])
    assert seen["settings"].fits == str(tmp_path / "fits") and seen["settings"].anchored is False
    assert seen["settings"].target_accept == 0.9
    assert seen["settings"].sampler_settings("2020-01-01").target_accept == 0.9
    with pytest.raises(Stop):
        main([*argv, "--max-horizon", "48"])
    assert seen["settings"].max_horizon == 48
    assert seen["settings"].buckets == ((3, 6), (7, 12), (13, 24), (25, 36), (37, 48))
    with pytest.raises(Stop):
        main(argv)
    assert seen["settings"].fits is None and seen["settings"].anchored is True
    assert seen["settings"].target_accept == 0.8
    assert seen["settings"].max_horizon == 24 and seen["settings"].buckets == ((3, 6), (7, 12), (13, 24))
