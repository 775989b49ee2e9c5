# The book's commands. Run `make help` for the list; the README explains each.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Build folders: `make book` writes _build/html; `make test` builds afresh into _build/test.
# Each build renders the notebooks from its jupyter-cache, which tools/execute_chapters.py fills.
BOOK_OUT := _build
TEST_OUT := _build/test
BOOK_CACHE := $(BOOK_OUT)/.jupyter_cache
TEST_CACHE := $(TEST_OUT)/_build/.jupyter_cache
JB_STRICT := -n -W --keep-going
export NUMBA_DISABLE_PERFORMANCE_WARNINGS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# $(call timed,COMMAND) prints and runs COMMAND, then a line with its wall-clock time, its CPU
# time (user and system, child processes included) and the load average when it started: each
# stage of `make test` reports what it cost (a shared machine runs slower than its cores suggest).
timed = @echo '$(1)'; TIMEFORMAT="[$@] %R s wall, %U s user + %S s system CPU; load at start $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"; time $(1)

.PHONY: help book test lab bench clean system-check lint unit binder js-test execute outputs test-build browser

help:
	@echo "make book   build the HTML book into $(BOOK_OUT)/html (creates $(VENV) on first use)"
	@echo "make test   lint, library tests, Binder's postBuild, every chapter executed once and its"
	@echo "            checked outputs compared, strict build, browser tests (with an accessibility audit)"
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

# The explorers' page script: js/ bundled by esbuild into one classic script (browsers load no
# ES modules from file://), served by the book (_config.yml) from the git-ignored _vendor/.
EXPLORERS_JS := _vendor/optbook-explorers.js
$(EXPLORERS_JS): $(wildcard js/*.js) _vendor/.installed
	npx --no-install esbuild js/page.js --bundle --format=iife --target=es2022 --outfile=$@ \
	  --log-level=warning

setup: $(BIN)/.installed _vendor/.installed $(EXPLORERS_JS)

# Chapters executed for the HTML book carry each explorer's static view (optbook.widgets.static).
STATIC_VIEWS := OPTBOOK_STATIC_VIEWS=1

# jupyter-cache keys a notebook by its own code cells only, so a change in lib/ (or in the
# pinned packages) would leave stale outputs in the book: drop the cache when they change.
invalidate-stale-cache:
	@sum=$$(cat requirements.txt $$(find lib -name '*.py' | sort) | sha256sum | cut -c1-16); \
	if [ "$$(cat $(BOOK_OUT)/.lib-hash 2>/dev/null)" != "$$sum" ]; then \
	  rm -rf $(BOOK_OUT)/.jupyter_cache; mkdir -p $(BOOK_OUT); echo "$$sum" > $(BOOK_OUT)/.lib-hash; \
	  echo "lib/ changed: notebooks will be executed afresh"; fi

.PHONY: setup invalidate-stale-cache

# --- the two commands -------------------------------------------------------------------------

# Chapters whose code changed since the last build are executed first, several at once; the
# build then renders every chapter from the cache.
book: setup invalidate-stale-cache
	$(STATIC_VIEWS) $(BIN)/python tools/execute_chapters.py --cache $(BOOK_CACHE)
	@# Sphinx does not overwrite a static file that exists: start _static afresh.
	rm -rf $(BOOK_OUT)/html/_static
	$(STATIC_VIEWS) $(BIN)/jupyter-book build . $(JB_STRICT)
	@echo "Open $(BOOK_OUT)/html/index.html"

# The order matters for time: the library tests compile the numba kernels into the cache that
# postBuild and the chapters then load (postBuild alone compiles for minutes, after them in
# seconds); js-test's vectors use only kernels the library tests and postBuild compiled.
test: lint unit binder js-test execute outputs test-build browser
	@echo "All checks passed."

lint: setup
	$(call timed,$(BIN)/ruff check lib tests benchmarks chapters tools _ext)

unit: setup
	$(call timed,$(BIN)/python -m pytest tests --ignore=tests/browser --ignore=tests/notebooks -q -p no:cacheprovider -n auto --dist loadfile)

# Binder's path: postBuild as Binder runs it, with the environment requirements.txt made.
binder: setup
	$(call timed,PATH="$(CURDIR)/$(BIN):$$PATH" ./postBuild)

# The explorers' JavaScript (js/) against vectors the library writes, and ESLint.
JS_VECTORS := $(BOOK_OUT)/js-vectors/vectors.json
js-test: setup
	$(call timed,{ $(BIN)/python tools/write_test_vectors.py $(JS_VECTORS) && OPTBOOK_VECTORS=$(JS_VECTORS) node --test tests/js/ && npx --no-install eslint .; })

# Every chapter executed once, from scratch, into the test build's own cache: every cell must run
# without raising (a notebook that raises fails here, with its traceback).
execute: setup
	rm -rf $(TEST_OUT)
	$(call timed,$(STATIC_VIEWS) $(BIN)/python tools/execute_chapters.py --cache $(TEST_CACHE))

# The checked cells' fresh outputs (from the cache) against the stored ones: tests/README.md.
outputs: execute
	$(call timed,$(BIN)/python -m pytest tests/notebooks -q -p no:cacheprovider --jupyter-cache $(TEST_CACHE))

# The strict build renders the cache that `execute` filled; executing a notebook here would mean
# the cache missed it (each chapter would then run twice), so that fails the build.
test-build: execute
	$(call timed,$(BIN)/jupyter-book build . --path-output $(TEST_OUT) $(JB_STRICT) 2>&1 | tee $(TEST_OUT)/build.log)
	@if grep -q "Executing notebook" $(TEST_OUT)/build.log; then \
	  echo "The build executed notebooks again: the cache execute_chapters.py filled missed them"; \
	  grep "Executing notebook" $(TEST_OUT)/build.log; exit 1; fi

browser: setup
	$(call timed,$(BIN)/python -m pytest tests/browser -q -p no:cacheprovider --html-root $(TEST_OUT)/_build/html)

# --- the rest ---------------------------------------------------------------------------------

lab: setup
	$(BIN)/jupyter lab chapters

bench: setup
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(BOOK_OUT) _vendor node_modules $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
