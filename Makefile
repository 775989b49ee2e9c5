# The book's commands. Run `make help` for the list; the README explains each.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Build folders: `make book` writes _build/html; `make test` builds afresh into _build/test.
BOOK_OUT := _build
TEST_OUT := _build/test
JB_STRICT := -n -W --keep-going
NBVAL_TIMEOUT := 120
export NUMBA_DISABLE_PERFORMANCE_WARNINGS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help book test lab bench clean system-check lint unit nbval test-build browser js-test

help:
	@echo "make book   build the HTML book into $(BOOK_OUT)/html (creates $(VENV) on first use)"
	@echo "make test   lint, library tests, nbval on every chapter, strict build, browser tests"
	@echo "make lab    JupyterLab on the chapters"
	@echo "make bench  benchmarks: ratios against plain NumPy, JSON in _build/bench/results.json"
	@echo "make clean  remove builds, caches, vendored assets and the virtual environment"

# --- set-up -----------------------------------------------------------------------------------

system-check:
	@missing=""; \
	command -v $(PYTHON) >/dev/null || missing="$$missing python3"; \
	$(PYTHON) -c "import venv, ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Missing system packages:$$missing"; \
	  echo "On Debian/Ubuntu: sudo apt-get install$$missing"; exit 1; fi

$(BIN)/.installed: requirements.txt pyproject.toml | system-check
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $@

# MathJax, require.js and the widget manager come from npm at build time, into git-ignored
# folders, so the built book typesets maths and draws widgets without a network.
_vendor/.installed: package.json package-lock.json | system-check
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf _vendor && mkdir -p _vendor
	cp -r node_modules/mathjax/es5 _vendor/mathjax
	cp node_modules/requirejs/require.js _vendor/require.min.js
	cp node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js _vendor/
	cp node_modules/@jupyter-widgets/html-manager/dist/*.{woff,woff2,ttf,eot,svg} _vendor/
	@touch $@

setup: $(BIN)/.installed _vendor/.installed

# jupyter-cache keys a notebook by its own code cells only, so a change in lib/ (or in the
# pinned packages) would leave stale outputs in the book: drop the cache when they change.
invalidate-stale-cache:
	@sum=$$(cat requirements.txt $$(find lib -name '*.py' | sort) | sha256sum | cut -c1-16); \
	if [ "$$(cat $(BOOK_OUT)/.lib-hash 2>/dev/null)" != "$$sum" ]; then \
	  rm -rf $(BOOK_OUT)/.jupyter_cache; mkdir -p $(BOOK_OUT); echo "$$sum" > $(BOOK_OUT)/.lib-hash; \
	  echo "lib/ changed: notebooks will be executed afresh"; fi

.PHONY: setup invalidate-stale-cache

# --- the two commands -------------------------------------------------------------------------

book: setup invalidate-stale-cache
	@# Sphinx does not overwrite a static file that exists: start _static afresh.
	rm -rf $(BOOK_OUT)/html/_static
	$(BIN)/jupyter-book build . $(JB_STRICT)
	@echo "Open $(BOOK_OUT)/html/index.html"

test: lint unit js-test nbval test-build browser
	@echo "All checks passed."

lint: setup
	$(BIN)/ruff check lib tests benchmarks chapters tools

unit: setup
	$(BIN)/python -m pytest tests --ignore=tests/browser -q -p no:cacheprovider

nbval: setup
	$(BIN)/python -m pytest --nbval-lax --nbval-cell-timeout=$(NBVAL_TIMEOUT) \
	  -p no:cacheprovider -q chapters

# The explorers' JavaScript (js/) against vectors the library writes, and ESLint.
JS_VECTORS := $(BOOK_OUT)/js-vectors/vectors.json
js-test: setup
	$(BIN)/python tools/write_test_vectors.py $(JS_VECTORS)
	OPTBOOK_VECTORS=$(JS_VECTORS) node --test tests/js/
	npx --no-install eslint .

# The test build executes every notebook from scratch (a fresh cache in its own folder).
test-build: setup
	rm -rf $(TEST_OUT)
	$(BIN)/jupyter-book build . --path-output $(TEST_OUT) $(JB_STRICT)

browser: setup
	$(BIN)/python -m pytest tests/browser -q -p no:cacheprovider --html-root $(TEST_OUT)/_build/html

# --- the rest ---------------------------------------------------------------------------------

lab: setup
	$(BIN)/jupyter lab chapters

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(BOOK_OUT) _vendor node_modules $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
