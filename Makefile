# OKR Hub — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed serve worker beat lint format messages bench bench-import scaleout bench-replies clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# Pinned: requirements.lock holds every package, runtime and test, at the version CI runs.
$(STAMP): $(PY) pyproject.toml requirements.lock
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

install: $(STAMP)

.env:
	cp .env.example .env

migrate: install .env
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

serve: install .env
	$(PY) manage.py runserver 127.0.0.1:8000

## make run: install, migrate, load the demo organisation and serve on http://127.0.0.1:8000
run: seed
	@echo ""
	@echo "  OKR Hub runs on http://127.0.0.1:8000 — log in as member / demo (see the logins above)."
	@echo ""
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: the whole suite (PostgreSQL when DATABASE_URL is set, else SQLite)
# On every core (TEST_WORKERS=0: in this one process); tests/conftest.py says which tests share a worker.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

worker: install .env
	$(BIN)/celery -A okrhub worker --loglevel=info

beat: install .env
	$(BIN)/celery -A okrhub beat --loglevel=info

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make messages: refresh locale/nb/LC_MESSAGES/django.po from the code and templates
messages: install .env
	$(PY) manage.py makemessages -l nb --ignore=.venv --ignore=staticfiles --ignore=bench --ignore=tests --ignore=test-artifacts
	$(PY) manage.py compilemessages --ignore=.venv

## make bench: load test a 200-team organisation served like production (bench/README.md); SMOKE=1: seconds
bench: install
	$(PY) bench/run.py $(if $(SMOKE),--smoke) $(BENCH_ARGS)

## make scaleout: nginx + two web nodes + two workers + beat on loopback, checked (docs/scaling.md); PostgreSQL
scaleout: install
	timeout 240 $(BIN)/pytest -m scaleout tests/scaleout $(SCALEOUT_ARGS)

## make bench-import: import a 10,000-row spreadsheet, report the time and peak memory (bench/README.md)
bench-import: install
	$(PY) bench/imports.py $(BENCH_ARGS)

## make bench-replies: process 1,000 replies to check-in reminders, report the time (bench/README.md)
bench-replies: install
	$(PY) bench/replies.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
