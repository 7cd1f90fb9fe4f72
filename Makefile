# samgak — one task runner; CI calls these targets too.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup demo serve seed test test-fast lint bench-holder bench-identity bench-collect bench-payments bench-offers bench-combine bench-scoring clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt tests/interop/package-lock.json
	@command -v $(PY) >/dev/null 2>&1 || { echo "needs Python 3.11 ($(PY))"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/interop --no-audit --no-fund --silent; \
	  else echo "npm not found: the openid-client interop test will be skipped"; fi
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install samgak with its pinned dependencies

demo: $(STAMP) ## seed a small synthetic alliance, train the credit model, serve everything on http://127.0.0.1:8000
	$(BIN)/samgak seed --customers 300
	$(BIN)/samgak score train --people 2000
	$(BIN)/samgak serve --host 127.0.0.1 --port 8000

seed: $(STAMP) ## seed N customers (make seed N=100000)
	$(BIN)/samgak seed --customers $(or $(N),300)

test: lint ## the static checks, then every test (the PostgreSQL half runs when SAMGAK_TEST_DATABASE_URL is set)
	$(BIN)/pytest -q

lint: $(STAMP) ## ruff (lint + format check), mypy, import-linter
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy src/samgak
	$(BIN)/lint-imports

bench-holder: $(STAMP) ## data-holder pages vs the raw driver, SQLite and PostgreSQL (writes benchmarks/results/holder.json)
	$(BIN)/python -m benchmarks.holder

bench-identity: $(STAMP) ## our OpenID provider vs panva's oidc-provider, both driven by openid-client (writes benchmarks/results/identity.json)
	@command -v npm >/dev/null 2>&1 || { echo "bench-identity needs Node.js and npm"; exit 1; }
	npm ci --prefix benchmarks/oidc --no-audit --no-fund --silent
	$(BIN)/python -m benchmarks.identity

bench-collect: $(STAMP) ## MyData first collection of 10,000 customers vs the holders' own maximum (writes benchmarks/results/collect.json)
	@command -v wrk >/dev/null 2>&1 || { echo "bench-collect needs wrk (apt-get install wrk)"; exit 1; }
	$(BIN)/python -m benchmarks.collect

bench-payments: $(STAMP) ## the ledger core on PostgreSQL vs pgbench's bare payment SQL (writes benchmarks/results/payments.json)
	@command -v pgbench >/dev/null 2>&1 || { echo "bench-payments needs pgbench (apt-get install postgresql-client)"; exit 1; }
	$(BIN)/python -m benchmarks.payments

bench-offers: $(STAMP) ## the monthly benefit run for 100,000 customers on PostgreSQL vs a plain SQL aggregate (writes benchmarks/results/offers.json)
	$(BIN)/python -m benchmarks.offers

bench-combine: $(STAMP) ## lattice search on UCI Adult vs exhaustive; link + review of two 5M-row exports on DuckDB vs a plain DuckDB join, and on Spark (writes benchmarks/results/combine.json)
	$(BIN)/python -m benchmarks.combine

bench-scoring: $(STAMP) ## credit scoring of 100,000 customers and of one vs the bare predict_proba, German credit CV AUC (writes benchmarks/results/scoring.json)
	$(BIN)/python -m benchmarks.scoring

clean: ## remove the demo databases
	rm -rf var
