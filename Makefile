# Everyday commands. `make run` and `make test` set up .venv from requirements.lock on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

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
	$(BIN)/pybabel extract --project=recoms-bot --ignore-dirs="localapi .* ._" --no-location \
		--sort-output -w 99 -o locales/messages.pot bot
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching -w 99
	$(BIN)/pybabel compile -d locales -D messages --statistics

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
