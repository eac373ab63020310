# Everyday commands. `make run` and `make test` set up .venv from requirements.lock on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := bot/locales

.PHONY: install run demo test test-fast lint format bench locales clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: install
	$(BIN)/recoms-bot run

demo: install
	$(BIN)/recoms demo

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python -m benchmarks

locales: install
	$(BIN)/pybabel extract --project=recoms-bot --ignore-dirs="localapi locales .* ._" --no-location \
		--sort-output -w 99 -o $(LOCALES)/messages.pot bot
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --no-fuzzy-matching -w 99
	$(BIN)/pybabel compile -d $(LOCALES) -D messages --statistics

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
