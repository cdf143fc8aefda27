# The README's two commands: `make demo` (install + offline demo interview) and `make test` (install + tests +
# the wheel check: .ci/wheel_check).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-all lint bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mockint simulate --persona average -n 3 --show

test: $(STAMP)
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo 'no tests collected'; rc=0; fi; \
	  if [ $$rc -ne 0 ]; then exit $$rc; fi
	.ci/wheel_check  # the built wheel, installed into a fresh venv outside the repo, runs an offline session

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ''

lint: $(STAMP)
	$(BIN)/ruff check agent tests evals
	$(BIN)/mypy agent

bench: $(STAMP)
	$(BIN)/mockint bench
