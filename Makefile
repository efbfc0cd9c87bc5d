# report-qa: `make run` serves the chat, `make test` runs every test. Both set up what they need.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast install models index bench lint clean

run: models index
	$(PY) -m ui

test: models
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not integration and not browser"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first and alone: with it in place pip keeps the local CPU build instead of pulling CUDA.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

models: install
	$(PY) -m index.provision

# Incremental: adds or updates the default report, keeps documents added since (uploads, `index add`).
index: models
	$(PY) -m index add corpus/documents

bench: models
	$(PY) -m bench.bench_index
	$(PY) -m bench.bench_llm
	$(PY) -m bench.bench_answer
	$(PY) -m bench.bench_ui

clean:
	rm -rf $(VENV) .data test-artifacts
