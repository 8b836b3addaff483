# dxflow: `make run` installs everything and serves the app; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))

.PHONY: install run test lint translations extract-messages bench clean

install: $(STAMP) $(CATALOGUES)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

run: install
	$(PY) scripts/devserver.py

# The whole suite runs in parallel (pytest-xdist; each worker has its own databases, see tests/conftest.py);
# `make test PYTEST_ARGS="-k jobs"` runs a subset serially, `PYTEST_ARGS='-n 4 -m "not slow"'` the quick loop.
PYTEST_ARGS ?= -n 4 --durations=20
# Installs Chromium and starts PostgreSQL/Redis first when they are missing (or says in one line what to install).
test: install
	scripts/ensure_test_services.sh
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# Refresh the message catalogues after adding translatable strings.
extract-messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

bench: install
	for script in bench/bench_*.py; do $(PY) $$script; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
