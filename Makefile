# PropDesk: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi
STAMP  := $(VENV)/.installed

.PHONY: run test install translations lint bench clean extract

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@$(BIN)/python -m core.i18n_tools compile

run: install
	$(FLASK) upgrade
	$(FLASK) demo load --if-empty
	@echo ""
	@echo "PropDesk on http://127.0.0.1:$(PORT)  — demo logins (demo only!), password demo1234:"
	@echo "  admin manager supervisor clerk frontdesk cashier archivist technician cleaning"
	@echo ""
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS); rc=$$?; [ $$rc -eq 5 ] && rc=0; \
	if [ $$rc -eq 0 ] && [ -n "$$PROPDESK_TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL =="; \
	  PROPDESK_TEST_DB=postgres $(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS); rc=$$?; \
	  [ $$rc -eq 5 ] && rc=0; \
	fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check .

extract: $(STAMP)
	$(BIN)/python -m core.i18n_tools extract

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) instance/propdesk.db* *.egg-info
