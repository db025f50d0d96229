# Two commands on a fresh machine: `make run` (refresh + dashboard) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-12)

.PHONY: install run refresh dashboard test test-fast audit lint bench lock clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

run: install
	$(BIN)/observatoire refresh
	$(BIN)/observatoire dashboard

refresh: install
	$(BIN)/observatoire refresh

dashboard: install
	$(BIN)/observatoire dashboard

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The loop while editing: every module, without the tests marked slow (browsers, killed
# processes, the Dask cluster...); `make test` runs them all.
test-fast: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not slow"

# Known vulnerabilities of the pinned dependencies; fails only when a fixed version exists.
audit: install
	$(BIN)/python .ci/audit.py

# About an hour on 2 cores: France at 1/2, 1 and 2x its size, the embedded demo, Chromium,
# readers arriving together on 1 then N dashboard workers (HAProxy).
bench: install
	$(BIN)/python benchmarks/national.py
	$(BIN)/python benchmarks/refresh.py
	test -f .observatoire/public.duckdb || $(BIN)/observatoire refresh
	$(BIN)/python benchmarks/partenaires.py
	$(BIN)/python benchmarks/opendata.py
	$(BIN)/python benchmarks/browser.py
	$(BIN)/python benchmarks/load.py

# Pin every dependency to the versions the tests last passed with.
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .observatoire
