# Tandem: `make demo` serves the demo company, `make test` runs every test on PostgreSQL.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

# Test-only production-like settings: a real database, broker and cache, DEBUG off.
DEPLOY_ENV := SECRET_KEY=test-only-key-not-secret-7f3a9c2e1b8d4f6a0c5e9b3d7a1f2e4c8b6d0a9f \
	ALLOWED_HOSTS=testserver,localhost,127.0.0.1
# The test client and the live server speak plain HTTP.
TEST_ENV := $(DEPLOY_ENV) SECURE_SSL_REDIRECT=false TANDEM_ZEAL=true

.PHONY: help install install-test demo test lint format services-stop worker beat bench simulate

help:
	@echo "make demo   - install, migrate, seed the demo company, serve on http://127.0.0.1:8000"
	@echo "make test   - install, start throwaway PostgreSQL + Redis, run lint and the whole suite"
	@echo "make lint   - ruff check and format check"
	@echo "make bench  - seed a large data set (BENCH_SIZE=S|M|L) and load-test it: bench/results.md"
	@echo "make simulate - a simulated year of promises, formula vs Tandem: bench/promise-simulation.md"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	scripts/pdf-libs.sh
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "Tandem demo on http://127.0.0.1:8000  (password for every demo login: tandem-demo)"
	@echo "  internal: sam.sales maria.manager erin.engineer pat.planner quinn.quality"
	@echo "            bob.buyer wes.warehouse fiona.finance olivia.ops (ops admin, /admin/)"
	@echo "  customers: acme.buyer borealis.buyer cobalt.buyer"
	@echo "  suppliers: delta.rep evergreen.rep fulcrum.rep"
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-test
	$(VENV)/bin/ruff check .
	eval "$$(scripts/test-services.sh start)" && \
	$(DEPLOY_ENV) $(PY) manage.py check --deploy --fail-level WARNING && \
	$(TEST_ENV) $(PY) manage.py collectstatic --noinput -v 0 && \
	$(TEST_ENV) $(VENV)/bin/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# Not part of `make test`: a fresh database, seed_bulk, gunicorn and wrk as the load
# tool (scripts/bench.py, scripts/bench.lua; installed here when missing).
# BENCH_SIZE=S takes minutes; M needs ~10 GB of disk and longer.
BENCH_SIZE ?= S
bench: install-test
	scripts/test-services.sh bench-tools
	eval "$$(scripts/test-services.sh start)" && \
	$(DEPLOY_ENV) $(PY) scripts/bench.py --size $(BENCH_SIZE) $(BENCH_ARGS)

# Not part of `make test`: a simulated year of quote requests on a fresh database
# (`<DATABASE_URL>_sim`), the lead-time formula against Tandem on the same random
# stream: bench/promise-simulation.md and .json. SIMULATE_ARGS="--days 90 --seed 3".
simulate: install-test
	eval "$$(scripts/test-services.sh start)" && \
	$(DEPLOY_ENV) $(PY) scripts/simulate.py $(SIMULATE_ARGS)

services-stop:
	scripts/test-services.sh stop

worker:
	$(VENV)/bin/celery -A config worker --loglevel=INFO

beat:
	$(VENV)/bin/celery -A config beat --loglevel=INFO

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
