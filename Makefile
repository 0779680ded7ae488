# Gatehouse: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export GATEHOUSE_DATA_DIR ?= ./var

.PHONY: run test lint bench reliability install install-test clean

$(BIN)/gatehouse: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install: $(BIN)/gatehouse

$(VENV)/.test-installed: pyproject.toml $(BIN)/gatehouse
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install-test: $(VENV)/.test-installed

run: install
	GATEHOUSE_DEV=$${GATEHOUSE_DEV:-1} $(BIN)/gatehouse db upgrade
	GATEHOUSE_DEV=$${GATEHOUSE_DEV:-1} $(BIN)/gatehouse demo
	GATEHOUSE_DEV=$${GATEHOUSE_DEV:-1} GATEHOUSE_ALLOW_PRIVATE_MAIL_HOSTS=$${GATEHOUSE_ALLOW_PRIVATE_MAIL_HOSTS:-1} \
		$(BIN)/gatehouse serve --port $(PORT)

# The whole suite on SQLite; again on PostgreSQL when GATEHOUSE_TEST_POSTGRES_URL names a server.
test: install-test
	$(BIN)/pytest -q
	@if [ -n "$$GATEHOUSE_TEST_POSTGRES_URL" ]; then \
		echo "== again on PostgreSQL"; \
		GATEHOUSE_TEST_DATABASE=postgres $(BIN)/pytest -q -m "not sqlite_only"; \
	fi

lint: install-test
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

bench: install-test
	$(BIN)/python -m tests.bench.run

# 60 s of forgot-password load with the mail server down, the worker killed and restarted, then
# the mail server up: every e-mail delivered once. Writes docs/reliability.md. PostgreSQL when
# GATEHOUSE_RELIABILITY_POSTGRES_URL names a server (a private database is made and dropped).
reliability: install-test
	$(BIN)/python -m tests.reliability.run --seconds 60 --write-docs

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
