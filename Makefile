# Two commands on a fresh machine:  make run  |  make test
# Each creates .venv (with the Python that .python-version names) when missing,
# installs the package with its extras, then runs.

SHELL := /bin/bash
PY_VERSION := $(shell cat .python-version)
# pyenv's shim honours .python-version; otherwise look for pythonX.Y on PATH.
PYTHON ?= $(shell command -v python$(PY_VERSION) 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# make run installs the package and its runtime dependencies only; make test (and lint, docs) add the
# dev extras (pytest, playwright, ruff, mkdocs). Each stamp is redone when pyproject.toml changes.
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# Test workers: one per core this process may use (nproc honours taskset), at most 4; on one core
# none (-n 0: in this process). Each test file runs whole on one worker (--dist loadfile), so its
# module fixtures are built once, in the order tests/conftest.py gives (the longest files first);
# the fit cache's lock (forecast/model/fitcache.py) makes the workers sample each shared fit once.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); if [ $$n -gt 4 ]; then echo 4; elif [ $$n -gt 1 ]; then echo $$n; else echo 0; fi)

.PHONY: run test lint docs install clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 12) else "need Python >= 3.12 for .venv, got %d.%d; install Python $(PY_VERSION) (pyenv install $(PY_VERSION))" % v[:2])'
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(DEV_STAMP) $(STAMP)

install: $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/forecast run --out out

test: $(DEV_STAMP) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder --durations=25

# The report tests open the pages in a real headless browser: Debian's chromium, installed when absent.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing chromium (headless browser for the report tests)"; \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The documentation site (mkdocs.yml, docs/): any warning fails the build.
docs: $(DEV_STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf $(VENV) build dist site *.egg-info .pytest_cache .ruff_cache .hypothesis
