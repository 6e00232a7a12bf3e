"""Bad input is refused with a message that names the file and what is wrong: priors and saved fits.

Each table holds one row per bad-input case: an id, how the input is damaged, and the expected error
text (a regular expression). The saved-fit rows damage copies of ONE small saved fit made per module
without sampling (a hand-made posterior attached to a short-window model, then saved), so no MCMC
runs here.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
import warnings
from collections.abc import Callable
from pathlib import Path

import arviz as az
import numpy as np
import pytest
import xarray as xr

from forecast.model import ChainModel, ModelSettings
from forecast.model import build as B
from forecast.model.diagnostics import FitDiagnostics, FitDiagnosticsWarning
from forecast.model.io import ConfigMismatchError, SavedFitError, load_tree
from forecast.priors import (
    DISTRIBUTIONS,
    DOMAIN_KINDS,
    Domain,
    Prior,
    PriorConfigError,
    check_domain,
    default_priors_dir,
    load_priors,
)

#: A short window: building the model's design takes well under a second.
SETTINGS = ModelSettings("2014-01", "2016-12")


# ---------------------------------------------------------------------------------------- priors
def _toml_value(value: object) -> str:
    return repr(float(value)) if isinstance(value, int | float) else json.dumps(value, ensure_ascii=False)


def _write_toml(path: Path, tables: dict[str, dict]) -> None:
    lines = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def shipped_priors_copy(folder: Path, name: str, entry: dict) -> Path:
    """Copy the shipped model prior files to ``folder`` and give ``name`` a new distribution ``entry``."""
    folder.mkdir(parents=True, exist_ok=True)
    for src in sorted(default_priors_dir().glob("*.toml")):
        tables = tomllib.loads(src.read_text(encoding="utf-8"))
        if name in tables:
            meta = {k: tables[name][k] for k in ("unit", "rationale", "source")}
            tables[name] = {**entry, **meta}
        _write_toml(folder / src.name, tables)
    return folder


#: One row per refused prior: id, (parameter, the prior written in its place), expected error (regex).
BAD_PRIORS = [
    (
        "normal-on-a-scale",
        ("instroom_sigma", {"distribution": "Normal", "mu": -1, "sigma": 0.5}),
        r"chain\.toml \[instroom_sigma\]: instroom_sigma must be positive \(a scale\), but "
        r"Normal\(mu=-1, sigma=0\.5\) puts mass on negative values; use HalfNormal, LogNormal, Gamma",
    ),
    (
        "normal-on-a-share",
        ("nareis_housing_share", {"distribution": "Normal", "mu": 0.6, "sigma": 0.2}),
        r"chain\.toml \[nareis_housing_share\]: nareis_housing_share must be between 0 and 1 \(a share\), "
        r"but Normal\(mu=0\.6, sigma=0\.2\) puts mass on values below 0 and above 1; use Beta",
    ),
    (
        "gamma-on-a-probability",
        ("departure_rate", {"distribution": "Gamma", "alpha": 2, "beta": 20}),
        r"departure_rate must be between 0 and 1 \(a monthly probability\), but "
        r"Gamma\(alpha=2, beta=20\) puts mass on values above 1",
    ),
    (
        "truncated-normal-reaching-above-one-on-a-probability",
        ("departure_rate", {"distribution": "TruncatedNormal", "mu": 0.1, "sigma": 0.1, "lower": 0}),
        r"departure_rate must be between 0 and 1 .* puts mass on values above 1",
    ),
    (
        "uniform-reaching-below-zero-on-a-stock",
        ("backlog0", {"distribution": "Uniform", "lower": -100, "upper": 20000}),
        r"backlog0 must be positive \(an initial stock in persons\), but Uniform\(lower=-100, upper=20000\) "
        r"puts mass on negative values",
    ),
    (
        "student-t-on-a-lag",
        ("nareis_app_lag_mean", {"distribution": "StudentT", "nu": 4, "mu": 12, "sigma": 3}),
        r"nareis_app_lag_mean must be positive \(a lag in months\), but StudentT\(nu=4, mu=12, sigma=3\)",
    ),
]


@pytest.mark.parametrize(("damage", "expected"), [r[1:] for r in BAD_PRIORS], ids=[r[0] for r in BAD_PRIORS])
def test_a_prior_outside_its_parameters_domain_is_refused(tmp_path, damage, expected):
    name, entry = damage
    folder = shipped_priors_copy(tmp_path / "priors", name, entry)
    # the loader, as the model calls it ...
    with pytest.raises(PriorConfigError, match=expected):
        load_priors(folder, required=B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
    # ... and the model's own entry points: the constructor, and build_model on a config made in code
    with pytest.raises(PriorConfigError, match=expected):
        ChainModel(priors=folder, settings=SETTINGS)
    replaced = load_priors().replace(**{name: {k: v for k, v in entry.items()}})
    with pytest.raises(PriorConfigError, match=name):
        B.build_model(None, {}, replaced)


def test_every_shipped_prior_lies_inside_its_parameters_domain():
    assert set(B.PARAMETER_DOMAINS) == set(B.MODEL_PARAMETERS)
    config = load_priors(required=B.MODEL_PARAMETERS, domains=B.PARAMETER_DOMAINS)
    for name in B.MODEL_PARAMETERS:
        check_domain(config[name], B.PARAMETER_DOMAINS[name])


def _prior(distribution: str, **params: float) -> Prior:
    return Prior("x", distribution, {k: float(v) for k, v in params.items()}, "u", "r", "s", "test.toml")


#: The domain check per domain kind: (id, domain, prior, whether it passes).
DOMAIN_CHECKS = [
    ("positive-halfnormal", "positive", _prior("HalfNormal", sigma=1), True),
    ("positive-lognormal", "positive", _prior("LogNormal", mu=0, sigma=1), True),
    ("positive-truncated-at-0", "positive", _prior("TruncatedNormal", mu=0, sigma=1, lower=0), True),
    ("positive-beta", "positive", _prior("Beta", alpha=2, beta=2), True),
    ("positive-normal", "positive", _prior("Normal", mu=5, sigma=1), False),
    ("positive-uniform-from-minus-1", "positive", _prior("Uniform", lower=-1, upper=1), False),
    ("positive-truncated-at-minus-1", "positive", _prior("TruncatedNormal", mu=0, sigma=1, lower=-1), False),
    ("unit-beta", "unit_interval", _prior("Beta", alpha=2, beta=5), True),
    ("unit-uniform-0-1", "unit_interval", _prior("Uniform", lower=0, upper=1), True),
    (
        "unit-truncated-0-1",
        "unit_interval",
        _prior("TruncatedNormal", mu=0.2, sigma=0.1, lower=0, upper=1),
        True,
    ),
    ("unit-halfnormal", "unit_interval", _prior("HalfNormal", sigma=0.1), False),
    ("unit-uniform-to-2", "unit_interval", _prior("Uniform", lower=0, upper=2), False),
    ("unit-normal", "unit_interval", _prior("Normal", mu=0.5, sigma=0.1), False),
    # every support lies on the real line: a real domain takes any distribution (it cannot fail)
    ("real-normal", "real", _prior("Normal", mu=0, sigma=1), True),
    ("real-beta", "real", _prior("Beta", alpha=2, beta=2), True),
    ("real-halfstudentt", "real", _prior("HalfStudentT", nu=3, sigma=1), True),
    ("real-uniform", "real", _prior("Uniform", lower=-5, upper=5), True),
]


@pytest.mark.parametrize(
    ("domain", "prior", "passes"), [r[1:] for r in DOMAIN_CHECKS], ids=[r[0] for r in DOMAIN_CHECKS]
)
def test_the_domain_check_per_kind(domain, prior, passes):
    assert {r[1] for r in DOMAIN_CHECKS} == set(DOMAIN_KINDS)
    if passes:
        assert check_domain(prior, domain) is prior
        assert check_domain(prior, Domain(domain, "a thing")) is prior
    else:
        with pytest.raises(PriorConfigError, match=r"test\.toml \[x\]: x must be .* \(a thing\), but "):
            check_domain(prior, Domain(domain, "a thing"))


@pytest.mark.parametrize("distribution", sorted(DISTRIBUTIONS))
def test_every_distribution_has_a_support_and_fits_the_real_domain(distribution):
    required, _ = DISTRIBUTIONS[distribution]
    params = {k: 1.0 for k in required} | ({"lower": 0.0} if "lower" in required else {})
    prior = _prior(distribution, **params)
    lo, hi = prior.support()
    assert lo < hi and DOMAIN_KINDS["real"] == (-math.inf, math.inf)
    assert check_domain(prior, "real") is prior


# ------------------------------------------------------------------------------------- saved fits
@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory) -> Path:
    """A small saved fit that FAILED its diagnostics gate (``diagnostics_passed = 0``), made without MCMC."""
    model = ChainModel(settings=SETTINGS)
    rng = np.random.default_rng(0)
    tree = az.from_dict(
        {
            "posterior": {"nareis_ratio": rng.lognormal(-0.5, 0.1, (1, 20))},
            "sample_stats": {"diverging": np.zeros((1, 20), dtype=bool)},
        }
    )
    model.diagnostics = FitDiagnostics(
        1.2, "nareis_ratio", 10.0, 10.0, 0, 0.5, 20, 1, passed=False, failures=("max R-hat 1.2000 > 1.01",)
    )
    model.idata = model._attach(tree, sampler="nutpie", random_seed=1, draws=20, tune=20)
    return model.save(tmp_path_factory.mktemp("saved") / "fit.nc")


def _read(path: Path) -> xr.DataTree:
    with xr.open_datatree(path, engine="h5netcdf") as opened:
        return opened.load()


def damaged(src: Path, dst: Path, damage: Callable[[xr.DataTree], xr.DataTree | None]) -> Path:
    """Write a copy of ``src`` to ``dst`` with ``damage`` applied (in place, or returning a new tree)."""
    tree = _read(src)
    tree = damage(tree) or tree
    tree.to_netcdf(dst, engine="h5netcdf")
    return dst


def drop_attr(name: str) -> Callable[[xr.DataTree], None]:
    def damage(tree: xr.DataTree) -> None:
        del tree.attrs[name]

    return damage


def set_attr(name: str, value: object) -> Callable[[xr.DataTree], None]:
    def damage(tree: xr.DataTree) -> None:
        tree.attrs[name] = value

    return damage


def edit_json_attr(name: str, edit: Callable[[dict], None]) -> Callable[[xr.DataTree], None]:
    def damage(tree: xr.DataTree) -> None:
        data = json.loads(tree.attrs[name])
        edit(data)
        tree.attrs[name] = json.dumps(data)

    return damage


def drop_group(group: str) -> Callable[[xr.DataTree], xr.DataTree]:
    def damage(tree: xr.DataTree) -> xr.DataTree:
        kept = {n.path: n.to_dataset(inherit=False) for n in tree.subtree if n.path != group}
        return xr.DataTree.from_dict(kept)

    return damage


def edit_observation(tree: xr.DataTree) -> None:
    tree["fit_data/observations"]["value"].values[0] += 1.0


def _scale_up(data: dict) -> None:
    data["nareis_ratio"]["sigma"] *= 2


def _normal_on_a_scale(data: dict) -> None:
    data["instroom_sigma"] = {**data["instroom_sigma"], "distribution": "Normal", "mu": -1.0, "sigma": 0.5}


def _failed_diagnostics_say_passed(tree: xr.DataTree) -> None:
    d = json.loads(tree.attrs["diagnostics"])
    tree.attrs["diagnostics"] = json.dumps({**d, "passed": True, "failures": []})
    tree.attrs["diagnostics_passed"] = 0


#: One row per damaged saved fit: id, how it is damaged, the error class and its text (regex).
BAD_SAVED_FITS = [
    (
        "edited-fit-data",
        edit_observation,
        SavedFitError,
        r"the fit data in .*fit\.nc do not match their recorded hash: the file was edited or damaged",
    ),
    ("no-data-hash", drop_attr("data_hash"), SavedFitError, r"no 'data_hash' attribute"),
    (
        "no-diagnostics-passed",
        drop_attr("diagnostics_passed"),
        SavedFitError,
        r"no 'diagnostics_passed' attribute \(the diagnostics gate's verdict\)",
    ),
    (
        "malformed-diagnostics-passed",
        set_attr("diagnostics_passed", "yes"),
        SavedFitError,
        r"'diagnostics_passed' must be 0 or 1, got 'yes'",
    ),
    (
        "diagnostics-disagree-with-the-verdict",
        _failed_diagnostics_say_passed,
        SavedFitError,
        r"its 'diagnostics' say the gate passed, but 'diagnostics_passed' = 0",
    ),
    (
        "unreadable-diagnostics",
        set_attr("diagnostics", "{not json"),
        SavedFitError,
        r"the 'diagnostics' attribute cannot be read",
    ),
    ("no-settings", drop_attr("settings"), SavedFitError, r"no 'settings' attribute \(the model settings\)"),
    (
        "unknown-settings-key",
        edit_json_attr("settings", lambda d: d.update(thin=2)),
        SavedFitError,
        r"unknown key\(s\) 'thin' in the saved settings \(known: start, end\)",
    ),
    (
        "edited-settings",
        edit_json_attr("settings", lambda d: d.update(start="2014-02")),
        ConfigMismatchError,
        r"the priors, settings and effects saved in it do not match its config hash",
    ),
    ("no-priors", drop_attr("priors"), SavedFitError, r"no 'priors' attribute \(the prior configuration\)"),
    (
        "invalid-priors-json",
        set_attr("priors", '{"instroom_sigma": {'),
        SavedFitError,
        r"the 'priors' attribute \(the prior configuration\) is not valid JSON",
    ),
    (
        "edited-priors",
        edit_json_attr("priors", _scale_up),
        ConfigMismatchError,
        r"do not match its config hash .*: the file was edited or damaged",
    ),
    (
        "saved-prior-outside-its-domain",
        edit_json_attr("priors", _normal_on_a_scale),
        SavedFitError,
        r"(?s)the saved priors are invalid: .*instroom_sigma must be positive \(a scale\), "
        r"but Normal\(mu=-1, sigma=0\.5\)",
    ),
    (
        "saved-by-an-older-model",  # a fit from before the grant rate's knots reverted to a level
        edit_json_attr("priors", lambda d: [d.pop(n) for n in ("grant_mean", "grant_persistence")]),
        SavedFitError,
        r"saved by a version of the model without the parameter\(s\) grant_mean, grant_persistence; "
        r"this version cannot forecast from its draws: refit \(forecast fit\)",
    ),
    (
        "invalid-effects-json",
        set_attr("effects", "[{"),
        SavedFitError,
        r"the 'effects' attribute .* is not valid JSON",
    ),
    (
        "no-posterior-group",
        drop_group("/posterior"),
        SavedFitError,
        r"no 'posterior' group: not a saved fit, or a damaged one",
    ),
    (
        "no-fit-data-group",
        drop_group("/fit_data/events"),
        SavedFitError,
        r"no 'fit_data/events' group",
    ),
]


@pytest.mark.parametrize(
    ("damage", "error", "expected"), [r[1:] for r in BAD_SAVED_FITS], ids=[r[0] for r in BAD_SAVED_FITS]
)
def test_a_damaged_saved_fit_is_refused(saved_fit, tmp_path, damage, error, expected):
    path = damaged(saved_fit, tmp_path / "fit.nc", damage)
    with pytest.raises(error, match=expected) as exc:
        ChainModel.load(path)
    assert str(path) in str(exc.value)  # every message names the file


def test_the_undamaged_saved_fit_loads_with_its_failed_verdict(saved_fit):
    with pytest.warns(FitDiagnosticsWarning, match=r"FIT FAILED THE DIAGNOSTICS GATE: .*fit\.nc"):
        model = ChainModel.load(saved_fit)
    assert not model.diagnostics.passed
    assert model.diagnostics.max_rhat == 1.2
    assert model.history.data_hash == model.idata.attrs["data_hash"]


@pytest.mark.parametrize("passed", [0, 1], ids=["failed", "passed"])
def test_without_the_diagnostics_details_the_verdict_still_holds(saved_fit, tmp_path, passed):
    def damage(tree: xr.DataTree) -> None:
        del tree.attrs["diagnostics"]
        tree.attrs["diagnostics_passed"] = passed

    path = damaged(saved_fit, tmp_path / "fit.nc", damage)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ChainModel.load(path)
    gate = [w for w in caught if issubclass(w.category, FitDiagnosticsWarning)]
    assert model.diagnostics.passed is bool(passed)
    if passed:
        assert not gate
    else:
        assert len(gate) == 1 and "FIT FAILED THE DIAGNOSTICS GATE" in str(gate[0].message)
        assert re.search(r"records diagnostics_passed = 0; the details were not saved", str(gate[0].message))
        assert "DO NOT USE THESE NUMBERS" in str(model.diagnostics)
        assert "divergences    unknown" in str(model.diagnostics)


def test_edited_fit_data_in_a_zarr_store_is_refused(saved_fit, tmp_path):
    tree = load_tree(saved_fit)
    intact = tmp_path / "intact.zarr"
    tree.to_zarr(intact, consolidated=False)
    with pytest.warns(FitDiagnosticsWarning):  # the fit failed its gate, and loads as such
        assert ChainModel.load(intact).history.data_hash == tree.attrs["data_hash"]
    edit_observation(tree)
    store = tmp_path / "fit.zarr"
    tree.to_zarr(store, consolidated=False)
    with pytest.raises(SavedFitError, match=rf"the fit data in {re.escape(str(store))} do not match"):
        ChainModel.load(store)
