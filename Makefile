# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format services bench bench-quick bench-replay bench-graphql bench-notifications bench-tokens clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	$(BIN)/aspe demo --if-empty
	$(BIN)/aspe serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

services:
	bash infra/start-services.sh

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/append.py

# The benchmarks' quick modes, a few minutes in all.
bench-quick: $(VENV)/.installed-dev
	$(BIN)/python bench/append.py --quick
	$(BIN)/python bench/replay.py --quick
	$(BIN)/python bench/graphql_load.py --quick
	$(BIN)/python bench/notifications.py --quick

bench-replay: $(VENV)/.installed-dev
	$(BIN)/python bench/replay.py

bench-graphql: $(VENV)/.installed-dev
	$(BIN)/python bench/graphql_load.py

bench-notifications: $(VENV)/.installed-dev
	$(BIN)/python bench/notifications.py

bench-tokens: $(VENV)/.installed-dev
	$(BIN)/python bench/token_check.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
