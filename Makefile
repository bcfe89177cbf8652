# PropDesk: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# The tests run in parallel (pytest-xdist), one worker per CPU, a test file per worker at a time;
# each worker has its own SQLite file or PostgreSQL database (core/testing.py). WORKERS=0: serial.
WORKERS ?= auto
XDIST   := -n $(WORKERS) --dist loadfile
FLASK  := $(BIN)/flask --app wsgi
# Running needs the runtime dependencies only; the tests add their extras (Playwright,
# hypothesis, time-machine, ruff, psycopg).
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test test-clock install install-test translations lint bench clean extract

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(TEST_STAMP) $(RUN_STAMP)

install: $(RUN_STAMP) translations

install-test: $(TEST_STAMP) translations

translations: $(RUN_STAMP)
	@$(BIN)/python -m core.i18n_tools compile

run: install
	$(FLASK) upgrade
	$(FLASK) demo load --if-empty
	@echo ""
	@echo "PropDesk on http://127.0.0.1:$(PORT)  — demo logins (demo only!), password demo1234:"
	@echo "  admin manager supervisor clerk frontdesk cashier archivist technician cleaning"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The PostgreSQL pass runs on the clock at New Year just after midnight in Shanghai (the 1st of
# a month and of a year, still the previous day and year in UTC): the SQLite pass has the
# ordinary instant, so one pass covers both the other database and an awkward date.
PG_CLOCK ?= 2027-01-01T00:05:00+08:00
test: install-test
	$(BIN)/python -m pytest -q $(XDIST) $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && rc=0; \
	if [ $$rc -eq 0 ] && [ -n "$$PROPDESK_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL, the clock at $(PG_CLOCK) =="; \
	  PROPDESK_TEST_NOW=$(PG_CLOCK) PROPDESK_TEST_DB=postgres $(BIN)/python -m pytest -q $(XDIST) -m "not browser" $(PYTEST_ARGS); rc=$$?; \
	  [ $$rc -eq 5 ] && rc=0; \
	fi; exit $$rc

# The SQLite suite again at awkward instants (tests run on a shifted clock, see core/testing.py):
# 29 February just after midnight (a leap day and the last day of a month, still the 28th in
# UTC). New Year is the PostgreSQL pass's clock (PG_CLOCK). Browser, concurrency/large-data
# ("slow") tests and the route walk (bad input, no dates) run once, in `make test`.
CLOCKS ?= 2028-02-29T00:30:00+08:00
CLOCK_ARGS ?= -m "not browser and not slow" --ignore=tests/test_route_walk.py
test-clock: install-test
	@for when in $(CLOCKS); do \
	  echo "== the clock at $$when =="; \
	  PROPDESK_TEST_NOW=$$when $(BIN)/python -m pytest -q $(XDIST) $(CLOCK_ARGS) $(PYTEST_ARGS); rc=$$?; \
	  [ $$rc -eq 5 ] && rc=0; [ $$rc -eq 0 ] || exit $$rc; \
	done

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

extract: $(RUN_STAMP)
	$(BIN)/python -m core.i18n_tools extract

bench: install-test
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/propdesk.db* *.egg-info
