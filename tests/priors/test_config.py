"""The prior-file loader: valid files load, every kind of invalid entry is named."""

from __future__ import annotations

import math

import pytest

from forecast.priors import Domain, PriorConfig, PriorConfigError, load_priors

GOOD = """
[level_sd]
distribution = "HalfNormal"
sigma = 0.1
unit = "log persons per month"
rationale = "month-to-month changes are a few percent"
source = "CBS 80059NED"

[grant_rate]
distribution = "Beta"
alpha = 6
beta = 3
unit = "fraction"
rationale = "60-80% of first decisions grant"
source = "IND jaarcijfers"
"""


def write(tmp_path, text, name="chain.toml"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_valid_file_loads(tmp_path):
    cfg = load_priors(write(tmp_path, GOOD), required=["level_sd", "grant_rate"])
    assert len(cfg) == 2
    p = cfg["grant_rate"]
    assert p.distribution == "Beta" and p.params == {"alpha": 6.0, "beta": 3.0}
    assert p.file == "chain.toml"
    mean, sd = p.mean_sd()
    assert mean == pytest.approx(6 / 9)
    assert sd == pytest.approx(math.sqrt(18 / (81 * 10)))
    table = cfg.to_frame()
    assert list(table["parameter"]) == ["grant_rate", "level_sd"]
    assert table.loc[0, "source"] == "IND jaarcijfers"


def test_round_trip_and_hash(tmp_path):
    cfg = load_priors(write(tmp_path, GOOD))
    again = PriorConfig.from_dict(cfg.to_dict())
    assert again.hash == cfg.hash
    changed = cfg.replace(level_sd={"sigma": 0.2})
    assert changed["level_sd"].params == {"sigma": 0.2}
    assert changed.hash != cfg.hash


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('distribution = "HalfNormal"', 'distribution = "HalfCauchyish"'),
            "unknown distribution 'HalfCauchyish'",
        ),
        (("sigma = 0.1\n", ""), "HalfNormal needs parameter(s) sigma"),
        (("sigma = 0.1", "sigma = -0.1"), "sigma must be > 0, got -0.1"),
        (("sigma = 0.1", "sigma = 0.1\nmu = 3"), "HalfNormal has no parameter 'mu'"),
        (("sigma = 0.1", 'sigma = "wide"'), "must be a finite number"),
        (('source = "CBS 80059NED"\n', ""), "missing 'source'"),
        (
            ('rationale = "month-to-month changes are a few percent"', 'rationale = " "'),
            "missing 'rationale'",
        ),
        (("[grant_rate]", "[grant_rate\n"), "not valid TOML"),
    ],
)
def test_invalid_entry_names_file_and_entry(tmp_path, edit, message):
    old, new = edit
    with pytest.raises(PriorConfigError) as err:
        load_priors(write(tmp_path, GOOD.replace(old, new, 1)))
    assert message in str(err.value)
    assert "chain.toml" in str(err.value)


def test_unknown_and_missing_parameter_names(tmp_path):
    folder = write(tmp_path, GOOD)
    with pytest.raises(PriorConfigError, match=r"chain\.toml \[grant_rate\]: unknown parameter name"):
        load_priors(folder, required=["level_sd"])
    with pytest.raises(PriorConfigError, match="missing prior"):
        load_priors(folder, required=["level_sd", "grant_rate", "nareis_ratio"])


def test_a_name_defined_twice(tmp_path):
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    with pytest.raises(PriorConfigError, match=r"b\.toml \[level_sd\]: already defined in a\.toml"):
        load_priors(tmp_path)


def test_not_a_folder(tmp_path):
    with pytest.raises(PriorConfigError, match="not a folder"):
        load_priors(tmp_path / "nope")
    with pytest.raises(PriorConfigError, match=r"no \*\.toml"):
        load_priors(tmp_path)


def test_bounds_must_be_ordered(tmp_path):
    text = (
        GOOD
        + '\n[u]\ndistribution = "Uniform"\nlower = 2\nupper = 1\nunit = "x"\nrationale = "r"\nsource = "s"\n'
    )
    with pytest.raises(PriorConfigError, match=r"lower \(2\) must be below upper \(1\)"):
        load_priors(write(tmp_path, text))


def test_every_distribution_has_a_support():
    from forecast.priors import DISTRIBUTIONS, SUPPORTS

    assert set(SUPPORTS) == set(DISTRIBUTIONS)


def test_domains_are_checked_by_the_loader(tmp_path):
    folder = write(tmp_path, GOOD)
    domains = {"level_sd": Domain("positive", "a scale"), "grant_rate": "unit_interval"}
    assert len(load_priors(folder, required=["level_sd", "grant_rate"], domains=domains)) == 2
    # without required, the priors with a declared domain are still checked
    wrong = {"level_sd": "real", "grant_rate": Domain("positive", "a scale")}
    assert len(load_priors(folder, domains=wrong)) == 2  # HalfNormal and Beta are inside both
    bad = write(tmp_path, GOOD.replace('"HalfNormal"', '"Normal"\nmu = 0.0', 1))
    with pytest.raises(PriorConfigError) as err:
        load_priors(bad, domains=domains)
    assert (
        "chain.toml [level_sd]: level_sd must be positive (a scale), but Normal(mu=0, sigma=0.1) puts mass "
        "on negative values" in str(err.value)
    )
    # every problem is listed at once, with the name checks
    with pytest.raises(
        PriorConfigError, match=r"(?s)missing prior\(s\) for: extra.*level_sd must be positive"
    ):
        load_priors(bad, required=["level_sd", "grant_rate", "extra"], domains={**domains, "extra": "real"})


def test_a_required_name_without_a_domain_is_a_fault_of_the_caller(tmp_path):
    with pytest.raises(ValueError, match=r"no domain declared for parameter.* grant_rate"):
        load_priors(
            write(tmp_path, GOOD), required=["level_sd", "grant_rate"], domains={"level_sd": "positive"}
        )
    with pytest.raises(ValueError, match="unknown domain 'negative'"):
        Domain("negative")
