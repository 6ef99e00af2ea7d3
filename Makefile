# Developer commands. The two a newcomer needs:
#   make up     start the whole platform locally (infrastructure, five services, mail catcher)
#   make test   install everything and run every check and test (what CI runs)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: up down status test lint unit integration bench coverage clean-infra

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

up: $(STAMP)  ## start infrastructure + five services, seed the demo realm, print URLs
	$(PY) deploy/local/stack.py up

down: $(STAMP)  ## stop the services and the infrastructure
	$(PY) deploy/local/stack.py down

status: $(STAMP)
	$(PY) deploy/local/stack.py status

lint: $(STAMP)  ## ruff, mypy, the import-linter contracts and the docs' strict build
	$(VENV)/bin/ruff check libs services tests bench deploy
	$(VENV)/bin/ruff format --check libs services tests bench deploy
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet --site-dir .cache/site

test: $(STAMP)  ## everything CI runs: install infra, lint, all tests against real infrastructure
	bash deploy/local/infra.sh install
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/pytest
	@$(MAKE) --no-print-directory coverage

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

integration: $(STAMP)
	$(VENV)/bin/pytest tests/integration

coverage:  ## SPEC rules that no test names yet
	@if [ -x ../shared/tools/rule-coverage ]; then ../shared/tools/rule-coverage . | tail -n 12; fi

BENCH_ROWS := $(CURDIR)/.cache/bench-summary.jsonl
bench: export BENCH_SUMMARY = $(BENCH_ROWS)
bench: $(STAMP)  ## benchmarks: each prints its figures beside a baseline and its goal; then one summary table, saved in docs/benchmarks/
	INFRA_BENCH_TOOLS=1 bash deploy/local/infra.sh install
	@mkdir -p .cache && rm -f $(BENCH_ROWS)
	$(PY) bench/pipeline/run.py --events 20000
	$(PY) bench/login/run.py
	$(PY) bench/introspect/run.py
	$(PY) bench/audit/run.py --events 50000
	$(PY) bench/notify/run.py --events 5000
	$(PY) bench/publish/run.py
	$(PY) bench/store/run.py
	$(PY) bench/certs/run.py
	$(PY) bench/authz/run.py
	$(PY) bench/enroll/run.py
	$(PY) bench/latency/run.py
	$(PY) bench/forgotten/run.py
	$(PY) bench/scale/run.py $(SCALE_FLAGS)
	$(PY) bench/summary.py $(BENCH_ROWS) --out docs/benchmarks

SCALE_FLAGS ?= --size 0.01 --out docs/benchmarks/$(shell date -u +%F)-scale.md
# bench/scale at a hundredth of issue 24's sizes by default (minutes); `make bench SCALE_FLAGS=`
# seeds the full sizes (README: disk and time).

clean-infra:
	bash deploy/local/infra.sh clean
