# Two commands for a fresh machine (Python 3.11, no Redis or PostgreSQL needed):
#   make run   - install, migrate, load the bundled catalogue, index it, start web + worker
#   make test  - run the whole test suite
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint lint-imports format

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

install: $(VENV)/.installed

# A local development server: debug on (settings default to production), the demo admin
# created only for a loopback HOST.
run: export DJANGO_DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py bootstrap_demo --host $(HOST)
	@echo ""
	@echo "  Netflix RecSys: http://$(HOST):$(PORT)/   admin: http://$(HOST):$(PORT)/admin/"
	@echo "  admin login: admin / admin on a loopback HOST in debug (a local demo; change it)"
	@echo ""
	$(BIN)/python manage.py runstack --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The import contracts of .importlinter: which app may import which.
lint-imports: install
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
