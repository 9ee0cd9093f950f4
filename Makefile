# authgate developer commands. `make run` and `make test` create .venv themselves.

# The first Python >= 3.11 on PATH; override with `make PYTHON=/path/to/python3.12 ...`.
ifeq ($(origin PYTHON), undefined)
PYTHON := $(shell for p in python3 python3.14 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; \
	done)
endif
VENV ?= .venv
BIN := $(VENV)/bin

# Install stamps are keyed on the content of pyproject.toml: changing it reinstalls.
KEY := $(shell cksum < pyproject.toml | cut -d' ' -f1)
RUN_STAMP := $(VENV)/.installed-run-$(KEY)
TEST_STAMP := $(VENV)/.installed-test-$(KEY)
BENCH_STAMP := $(VENV)/.installed-bench-$(KEY)

ARGS ?=
PYTEST_ARGS ?=
# pytest-xdist processes for `make test`: one per core (`make test TEST_WORKERS=0` runs in one).
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help
BENCH_ARGS ?= --write-docs docs/benchmarks.md

.PHONY: help run test fuzz lint docs bench clean messages translations

help:
	@echo "make run    start authgate on http://127.0.0.1:8080 (SQLite in ./data); ARGS='--port 8081'"
	@echo "make test   run the whole test suite; PYTEST_ARGS='-k flow' to select"
	@echo "make fuzz   100,000 malformed requests per database (tests/fuzz); FUZZ_REQUESTS=..."
	@echo "make lint   ruff check, ruff format --check, mypy --strict, import contracts"
	@echo "make docs   regenerate docs/configuration.md and the README's settings and specifications tables"
	@echo "make messages      extract the pages' messages and update every .po catalog"
	@echo "make translations  compile the .po catalogs to the .mo files the server reads"
	@echo "make bench  run the benchmark (~35 min; needs node/npm) and rewrite docs/benchmarks.md"
	@echo "make clean  remove .venv and caches (keeps ./data)"

# (Re)create the virtualenv when it is missing or its Python is unusable or too old.
define ensure_venv
	@if [ -z "$(PYTHON)" ]; then \
		echo "authgate needs Python 3.11 or newer; install it or run make PYTHON=/path/to/python3.11" >&2; \
		exit 1; \
	fi
	@if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		echo "creating $(VENV) with $(PYTHON)"; \
		rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	fi
endef

$(RUN_STAMP):
	$(ensure_venv)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@rm -f $(VENV)/.installed-run-*
	@touch $@

$(TEST_STAMP):
	$(ensure_venv)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@ $(RUN_STAMP)

$(BENCH_STAMP):
	$(ensure_venv)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@rm -f $(VENV)/.installed-*
	@touch $@ $(TEST_STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/authgate serve $(ARGS)

# pytest exits 5 when it collected no tests: that is a failure here, not a success.
# The last line is the run's wall-clock time, pass or fail.
# The suite starts about 160 authgate processes: byte-compiled first, each of them loads the
# package instead of compiling it again where PYTHONDONTWRITEBYTECODE is set (CI machines).
test: $(TEST_STAMP)
	@$(BIN)/python -m compileall -q src tests >/dev/null
	@start=$$(date +%s); \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS); status=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s"; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	exit $$status

# The full fuzz run (tests/fuzz): `make test` sends 2,000 requests per database.
FUZZ_REQUESTS ?= 100000
fuzz: $(TEST_STAMP)
	AUTHGATE_FUZZ_REQUESTS=$(FUZZ_REQUESTS) $(BIN)/python -m pytest -s tests/fuzz $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests scripts bench
	$(BIN)/ruff format --check src tests scripts bench
	$(BIN)/mypy
	$(BIN)/mypy scripts
	$(BIN)/lint-imports

docs: $(RUN_STAMP)
	$(BIN)/python scripts/gen_config_docs.py
	$(BIN)/python scripts/gen_spec_summary.py

# The pages' translations (docs/theming.md, "Languages"): the .po catalogs and the compiled .mo
# files are both committed; tests/web/test_catalogs.py fails when they disagree.
LOCALES := src/authgate/web/locales
messages: $(RUN_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k t --no-location --sort-output --project authgate \
		--msgid-bugs-address "" -o $(LOCALES)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching \
		--ignore-obsolete

translations: $(RUN_STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) --statistics

# The benchmark (bench/README.md): authgate and node-oidc-provider under the same driver.
# BENCH_ARGS='--quick' for a short smoke run that leaves the docs alone.
bench: $(BENCH_STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/python -m bench all $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache src/*.egg-info
