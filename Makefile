# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## Create the environment, migrate the SQLite database, load the demo record and serve.
run: $(STAMP)
	$(BIN)/findings migrate
	$(BIN)/findings demo
	$(BIN)/findings serve --host 127.0.0.1 --port 8000

## Install what the tests need and run them all.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

migrate: $(STAMP)
	$(BIN)/findings migrate

demo: $(STAMP)
	$(BIN)/findings demo

clean:
	rm -rf $(VENV) data .pytest_cache
