# The README's commands. `make run` serves the site; `make test` runs every test.
# run/dev/demo install the runtime packages only (requirements.txt); test/lint/format/bench/messages
# add the tests and tooling (requirements-dev.txt).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
LINT_IMPORTS := $(BIN)/lint-imports --no-cache --no-logo
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run dev demo demo-clear test test-postgres lint layers format bench bench-launch mutation translations browser redis postgres deploy-tools clean messages venv venv-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed  # requirements-dev.txt includes requirements.txt

venv: $(VENV)/.runtime-installed

venv-dev: $(VENV)/.dev-installed

translations: venv
	@$(BIN)/pybabel compile --use-fuzzy -d buurt/translations >/dev/null

## run: create/upgrade the database, then serve the site with gunicorn on http://127.0.0.1:5000
run: venv translations
	$(FLASK) buurt init
	@echo "BuurtWhatsApp Rijnsoever draait op http://$(HOST):$(PORT)/  (stoppen: Ctrl-C)"
	@# settings and their reasons (threaded workers, no access log: URLs carry postcodes) in gunicorn.conf.py
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py app:app

## dev: the Flask development server with reload and debugger
dev: venv translations
	$(FLASK) buurt init
	$(FLASK) --debug run --host $(HOST) --port $(PORT)

## demo: fill the database with fictional demo data (remove with `make demo-clear`)
demo: venv translations
	$(FLASK) buurt init
	$(FLASK) buurt demo

demo-clear: venv
	$(FLASK) buurt demo --clear

## browser: Debian's Chromium for the browser tests (no browser downloads)
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## redis: Debian's redis-server for the shared rate-limit tests (they start their own on a free port)
redis:
	@command -v redis-server >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; }

## postgres: Debian's PostgreSQL server, for the tests that need one in every run (two hosts, pg_dump
## backups; they start their own throwaway cluster) and for `make test-postgres`
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

## deploy-tools: caddy, nginx and shellcheck for tests/ops/test_deploy.py (each checks deploy/ with the
## tool's own config test). Installed with their services kept from starting: a container has no
## systemd, and nginx's init script would start and take port 80. policy-rc.d answering 101 ("action
## not allowed") is Debian's switch for exactly that; it is removed again afterwards.
deploy-tools:
	@command -v caddy >/dev/null && command -v nginx >/dev/null && command -v shellcheck >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  if [ -e /usr/sbin/policy-rc.d ]; then KEEP=1; else KEEP=; \
	    printf '#!/bin/sh\nexit 101\n' | $$SUDO tee /usr/sbin/policy-rc.d >/dev/null; $$SUDO chmod 755 /usr/sbin/policy-rc.d; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq caddy nginx shellcheck >/dev/null; \
	  status=$$?; [ -n "$$KEEP" ] || $$SUDO rm -f /usr/sbin/policy-rc.d; exit $$status; }

## test: lint, the layer contracts and every test, browser tests included
test: venv-dev translations browser redis postgres deploy-tools
	$(BIN)/ruff check .
	$(LINT_IMPORTS)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

## test-postgres: the whole suite again on a throwaway PostgreSQL cluster on 127.0.0.1
test-postgres: venv-dev translations browser redis postgres deploy-tools
	scripts/with_postgres.sh $(BIN)/python -m pytest -q -n 2 --dist loadfile

## lint: ruff (lint + format check) and the layer contracts
lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_IMPORTS)

## layers: the import contracts in pyproject.toml (geo is pure, models are a leaf, only web imports views)
layers: venv-dev
	$(LINT_IMPORTS)

format: venv-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: every benchmark; each prints one JSON object on its last line
bench: venv-dev translations
	@command -v wrk >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

## mutation: mutation testing (mutmut) of the modules that carry the promises, each against its own
## tests (tests/mutation/targets/*.toml); not part of `make test`. TARGETS="geo-index ..." runs some.
## Fails below 90 % or on a survivor nobody has killed or explained. Summary: build/mutation/summary.md
mutation: venv-dev translations
	$(BIN)/python scripts/mutation.py $(TARGETS)

## bench-launch: launch night only (pages, lookups, sign-ups beside /health on gunicorn), and slow clients
bench-launch: venv-dev translations
	$(BIN)/python bench/bench_launch_night.py
	$(BIN)/python bench/bench_slow_clients.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

## messages: extract Dutch strings and merge them into the English catalogue (then translate the .po)
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o buurt/translations/messages.pot .
	$(BIN)/pybabel update -i buurt/translations/messages.pot -d buurt/translations
