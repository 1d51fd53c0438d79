# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install lint format check-migrations clean

# A setting as the app resolves it: environment, then .env, then its default.
# honcho is given no env file (each process reads .env itself, so the environment
# wins there as everywhere) and hands each process its own PORT (the worker gets
# web's + 100), so the web's PORT and SITE_URL are passed to all three.
setting = $(shell $(BIN)/python manage.py shell --no-imports -c "from django.conf import settings; print(settings.$(1))")

run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_admin
	@echo "Starting web ($(call setting,SITE_URL)/), worker, beat and the mail receiver (127.0.0.1:2525). Ctrl-C stops them all."
	PATH="$(CURDIR)/$(BIN):$$PATH" PORT="$(call setting,PORT)" SITE_URL="$(call setting,SITE_URL)" $(BIN)/honcho start --env /dev/null

test: install
	$(BIN)/pytest

install: $(VENV)/.installed node_modules/.installed

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Front-end packages (Bootstrap, icons) exactly as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check-migrations: install
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) node_modules var
