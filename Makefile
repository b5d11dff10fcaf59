# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs, and what testing needs besides (each installed once, again when
# pyproject.toml changes).
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
# Where `make run` serves: `make run PORT=8001 HOST=0.0.0.0`.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate demo bench bench-crowd clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP) $(RUN_STAMP)

## Create the environment, migrate the SQLite database, load the demo record, and serve
## with the alert worker beside the server (both stop together).
run: $(RUN_STAMP)
	$(BIN)/findings migrate
	$(BIN)/findings demo
	$(BIN)/findings worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/findings serve --host $(HOST) --port $(PORT)

## Install what the tests need, check the types of app/ (mypy, configured in pyproject.toml)
## and run the tests.
test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

migrate: $(RUN_STAMP)
	$(BIN)/findings migrate

demo: $(RUN_STAMP)
	$(BIN)/findings demo

## Benchmark: generate a synthetic record at SCALE (1 = 200,000 decisions, 1,000,000
## recommendations), serve it, load it with hey beside raw SQL and Datasette, then a write mix;
## on SQLite and on a throwaway PostgreSQL server (BACKENDS=sqlite limits it), in one report
## (RESULTS, with its JSON beside it). BASELINE=old.json compares with an earlier run's JSON.
SCALE ?= 0.01
BENCH_SECONDS ?= 3
BACKENDS ?= sqlite,postgresql
WRITES ?= 50
BASELINE ?=
BENCH_DB := bench/out/bench-$(SCALE).sqlite3
RESULTS ?= $(if $(filter 1 1.0,$(SCALE)),bench/RESULTS.md,bench/out/RESULTS-$(SCALE).md)
# The reads are also measured at a tenth of the scale first (reads only), for the report's
# growth table; GROWTH_SCALE= (empty) skips it.
GROWTH_SCALE ?= $(if $(filter 1 1.0,$(SCALE)),0.1,$(if $(filter 0.1,$(SCALE)),0.01,))
DATASETTE := bench/out/datasette-venv/bin/datasette

$(DATASETTE):
	$(PYTHON) -m venv bench/out/datasette-venv
	bench/out/datasette-venv/bin/python -m pip install --quiet datasette

$(BENCH_DB): $(TEST_STAMP) bench/generate.py bench/histories.py bench/shape.py bench/writers.py \
		$(wildcard migrations/versions/*.py)
	$(BIN)/python -m bench.generate --scale $(SCALE) --out $@

bench: $(TEST_STAMP) $(DATASETTE) $(BENCH_DB)
	@command -v hey >/dev/null || (apt-get update -qq && apt-get install -y -qq hey) \
		|| { echo "bench needs hey: apt-get install hey"; exit 1; }
	$(if $(GROWTH_SCALE),$(MAKE) bench SCALE=$(GROWTH_SCALE) GROWTH_SCALE= WRITES=0 BASELINE= \
		RESULTS=bench/out/RESULTS-$(GROWTH_SCALE).md)
	$(BIN)/python -m bench.run --db $(BENCH_DB) --backends $(BACKENDS) --seconds $(BENCH_SECONDS) \
		--writes $(WRITES) --datasette $(DATASETTE) $(if $(BASELINE),--baseline $(BASELINE)) \
		$(if $(GROWTH_SCALE),--growth bench/out/RESULTS-$(GROWTH_SCALE).json) --out $(RESULTS)

## A crowd of readers and writers at once, with a probe (issue 30): CROWD_READERS anonymous
## readers (half pages, half API) and CROWD_WRITERS writers for CROWD_SECONDS, then
## CROWD_THEN_READERS readers alone, on SQLite and on a throwaway PostgreSQL server (BACKENDS),
## at CROWD_SCALE (0.02: 4,000 decisions); the report in bench/out/CROWD.md (and .json).
CROWD_SCALE ?= 0.02
CROWD_SECONDS ?= 60
CROWD_READERS ?= 50
CROWD_WRITERS ?= 25
CROWD_THEN_READERS ?= 36
bench-crowd: $(STAMP)
	$(BIN)/python -m bench.crowd --scale $(CROWD_SCALE) --backends $(BACKENDS) --seconds $(CROWD_SECONDS) \
		--readers $(CROWD_READERS) --writers $(CROWD_WRITERS) --then-readers $(CROWD_THEN_READERS) \
		--out bench/out/CROWD.md

clean:
	rm -rf $(VENV) data .pytest_cache bench/out
