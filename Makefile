# The two commands of the README: `make run` serves the tool, `make test` runs every test.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgresql install lint bench lock audit clean

NODE_STAMP := node_modules/.installed

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# axe-core (accessibility checks in the browser tests) comes from the npm registry.
$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

run: install
	$(VENV)/bin/sbg run

# The whole suite on SQLite (with the browser tests), then again on PostgreSQL.
test: test-sqlite test-postgresql

test-sqlite: install $(NODE_STAMP)
	$(PY) -m pytest -q

test-postgresql: install
	SBG_TEST_DB=postgresql $(PY) -m pytest -q -m "not browser"

lint: install
	$(VENV)/bin/lint-imports

bench: install
	for name in engine launch import_frameworks import_db pull pull_service pull_now student_overview teacher_grid sync load lms_outage; do \
		$(PY) -m benchmarks.$$name || exit 1; done

lock:
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra test --strip-extras -o requirements.lock pyproject.toml

audit: install
	$(PY) -m pip install --quiet pip-audit
	$(VENV)/bin/pip-audit --require-hashes -r requirements.lock

clean:
	rm -rf $(VENV) instance .pytest_cache
