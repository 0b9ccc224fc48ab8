# jupyter_pipelines: every set-up step lives here, so that a fresh machine needs only these targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv lab demo test test-unit test-integration lint format bench clean

help:
	@echo "make lab     install into .venv and run the demo workspace"
	@echo "make test    install what the tests need and run lint and the whole suite"
	@echo "make bench   run the benchmarks and print their figures"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "jupyter_pipelines needs Python 3.10+, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed: install it with 'apt-get install -y python3-venv'"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	@touch $@

venv: $(STAMP)

lab: venv
	$(BIN)/python examples/quickstart/run_demo.py

lint: venv
	$(BIN)/ruff check jupyter_pipelines tests benchmarks examples
	$(BIN)/ruff format --check jupyter_pipelines tests benchmarks examples
	$(BIN)/lint-imports
	$(BIN)/mypy jupyter_pipelines/model jupyter_pipelines/engine

format: venv
	$(BIN)/ruff format jupyter_pipelines tests benchmarks examples
	$(BIN)/ruff check --fix jupyter_pipelines tests benchmarks examples

test-unit: venv
	$(BIN)/pytest tests/unit

test-integration: venv
	$(BIN)/pytest tests/integration

test: lint
	$(BIN)/pytest -ra

bench: venv
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-artifacts
