# report-qa: `make run` serves the chat, `make test` runs every test. Both set up what they need.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast install models browser index bench lint clean

run: models index
	$(PY) -m ui

test: models browser
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

# The browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
CHROMIUM_PKGS := chromium fonts-noto-cjk
browser:
	@if command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(CHROMIUM_PKGS) with apt-get (the browser tests need them)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_PKGS) >/dev/null; \
	else \
		echo "error: the browser tests need Chromium and CJK fonts; install them as root:"; \
		echo "       apt-get install $(CHROMIUM_PKGS)   (or run 'make test-fast' for the tests without a browser)"; \
		exit 1; \
	fi

# Incremental: adds or updates the default report, keeps documents added since (uploads, `index add`).
index: models
	$(PY) -m index add corpus/documents

bench: models
	$(PY) -m bench.bench_index
	$(PY) -m bench.bench_llm
	$(PY) -m bench.bench_answer
	$(PY) -m bench.bench_questions
	$(PY) -m bench.bench_hostile
	$(PY) -m bench.bench_ui

clean:
	rm -rf $(VENV) .data test-artifacts
