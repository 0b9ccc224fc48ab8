# jupyter_pipelines: every set-up step lives here, so that a fresh machine needs only these targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help venv labext binder browser test-js lab demo test test-unit test-integration test-docker docker docker-stop azurite azurite-stop lint format bench bench-peers clean

help:
	@echo "make lab     install into .venv and start JupyterLab on the demo workspace (examples/)"
	@echo "make test    install what the tests need and run lint and the whole suite"
	@echo "make bench   run the benchmarks and print their figures"

LABEXT := jupyter_pipelines/labextension/package.json
LABEXT_SOURCES := $(shell find labextension/src labextension/style -type f 2>/dev/null) labextension/package.json labextension/package-lock.json labextension/tsconfig.json

# pip install -e builds the front end once (scripts/build_labextension.py: npm ci, then only
# when its sources change); "jupyter labextension develop" links it so rebuilds take effect.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "jupyter_pipelines needs Python 3.10+, found " + sys.version' 
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "python3 -m venv failed: install it with 'apt-get install -y python3-venv'"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (apt-get install -y nodejs npm)"; exit 1; }
	$(BIN)/python -m pip install -q -e ".[test]"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter labextension develop --overwrite . >/dev/null 2>&1
	@touch $@

# Rebuilds the front end when its sources change (the same builder as pip's, which skips a
# bundle built from the sources as they are).
$(LABEXT): $(LABEXT_SOURCES) | $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/build_labextension.py
	@touch $@

labext: $(LABEXT)

# The prebuilt front end that Binder installs (it has no Node.js): refresh and commit it after
# changing labextension/ (tests/integration/test_binder_replay.py says when it is stale).
binder: $(LABEXT)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python scripts/build_labextension.py --copy-to binder/labextension

venv: $(STAMP)

# As root (containers, fresh cloud machines) Jupyter needs --allow-root to start. The demo
# workspace is examples/.pipelines, made first so that `make lab`, `make demo` and the
# notebooks in examples/demos all use it (a server uses the nearest one upwards).
lab: $(LABEXT)
	@mkdir -p examples/.pipelines
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/jupyter lab --ServerApp.root_dir=examples \
	  --LabApp.default_url=/lab/tree/quickstart/quickstart.pipeline.yaml \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

demo: venv
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

test-js: $(LABEXT)
	cd labextension && npm test

browser:
	@bash scripts/ensure-chromium.sh

# A Docker engine for the container tests: started when none answers and we are root, with
# the test images built offline and cached (see docs/docker.md). Where none can be started,
# scripts/docker-engine.sh says why and tests/docker skip with that reason.
docker:
	@bash scripts/docker-engine.sh start
	@bash scripts/docker-base-image.sh

docker-stop:
	@bash scripts/docker-engine.sh stop

test-docker: venv docker
	@status=0; $(BIN)/pytest -ra tests/docker || status=$$?; \
	  bash scripts/docker-engine.sh stop; exit $$status

# Azurite, the Azure Storage emulator, for tests/azure: installed into .cache/azurite, on the
# loopback with a temporary data folder (scripts/azurite.sh); where it cannot start, the tests
# skip with the reason it wrote.
azurite: venv
	@bash scripts/azurite.sh start

azurite-stop:
	@bash scripts/azurite.sh stop

# The engine "docker" and the emulator "azurite" started (only those) are stopped after
# pytest, even when tests fail.
test: lint test-js browser docker azurite
	@status=0; $(BIN)/pytest -ra || status=$$?; \
	  bash scripts/docker-engine.sh stop; bash scripts/azurite.sh stop; \
	  if [ -f "$${JP_DOCKER_STATE:-$${TMPDIR:-/tmp}/jupyter-pipelines-docker}/unavailable" ]; then \
	    echo "*** container tests were SKIPPED: $$(cat "$${JP_DOCKER_STATE:-$${TMPDIR:-/tmp}/jupyter-pipelines-docker}/unavailable") ***"; fi; \
	  exit $$status

bench: venv
	$(BIN)/python benchmarks/run_all.py

# Elyra and Ploomber in venvs of their own (a temporary folder, installed with uv) against us
# on the same 10-notebook fan-out; not part of make test or make bench.
bench-peers: venv
	$(BIN)/python benchmarks/peers/bench_peers.py

clean:
	rm -rf $(VENV) labextension/node_modules labextension/lib jupyter_pipelines/labextension .pytest_cache .ruff_cache .mypy_cache test-artifacts
