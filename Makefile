# Everyday commands. `make run` and `make test` set up .venv from requirements-dev.lock on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALES := bot/locales
# Both locks pin every package with its hashes; `make locks` keeps today's pins and adds what
# pyproject.toml gained, `make locks UPGRADE=--upgrade` moves everything to the newest versions.
COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make locks" $(UPGRADE)

.PHONY: install run demo test lint format bench locales locks env-example dist wheel-check clean

# The development venv: the runtime lock's packages plus the tools (pytest, ruff, mypy, uv...),
# the project installed editable. A deployment installs the wheel with requirements.lock only.
install: $(STAMP)

$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
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

# requirements.lock: what a deployment runs (with the postgres and redis extras);
# requirements-dev.lock: the same pins plus the development tools.
locks: install
	$(COMPILE) --extra postgres --extra redis -o requirements.lock
	$(COMPILE) --extra postgres --extra redis --group dev -c requirements.lock -o requirements-dev.lock

# .env.example and README's settings table, from the settings models.
env-example: install
	$(BIN)/python -m bot.envfile --write .

dist: install
	rm -rf dist
	$(BIN)/python -m pip wheel --quiet --no-deps -w dist .

# The wheel installed and run as a shop would, outside this tree (what CI and the Dockerfile do).
wheel-check:
	.ci/wheel-check

clean:
	rm -rf $(VENV) var dist build .mypy_cache .ruff_cache .pytest_cache
