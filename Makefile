# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8050
WORKERS ?= 2
PLOTLY_BUNDLE := frontend/dist/plotly-observatory.min.js

.PHONY: setup fetch build warehouse run dev test lint api-check bench bench-quick bench-interactions fuzz load rebuild-under-load reliability-quick gallery bench-browser audit clean

setup: $(VENV)/.installed $(PLOTLY_BUNDLE)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m observatory.web.serving precompress
	touch $@

# The page's plotly.js (issue 19): a partial bundle built from npm (package-lock.json pins plotly.js
# and esbuild); lighthouse and axe-core come with it for `make audit` and the axe test. Without npm
# the app serves plotly.py's full plotly.min.js instead (observatory/web/plotlyjs.py).
$(PLOTLY_BUNDLE): package.json package-lock.json frontend/build-plotly.mjs frontend/plotly-page.js frontend/plotly-map.js frontend/plotly-observatory.js
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && npm run -s build:plotly \
	  && $(PY) -m observatory.web.serving precompress; \
	else echo "npm is missing: the app will serve the full plotly.js (apt-get install nodejs npm)"; fi

fetch: setup
	$(PY) -m observatory fetch

build: setup
	$(PY) -m observatory build
	$(PY) -m observatory.web.serving precompress

# Build only when there is no warehouse yet (make build always rebuilds).
warehouse: setup
	$(PY) -m observatory build --if-missing

run: setup fetch warehouse
	$(VENV)/bin/gunicorn --workers $(WORKERS) --threads 4 --bind $(HOST):$(PORT) --access-logfile - app:server

dev: setup warehouse
	$(PY) app.py

test: setup
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports  # the layers of pyproject.toml's [tool.importlinter]

# Issue 17: schemathesis --checks all against /api/v1 (tiny warehouse, bounded examples); prints its closing line.
api-check: setup
	$(PY) -m pytest -q -s tests/test_openapi.py

bench: setup warehouse
	$(PY) -m bench

bench-quick: setup warehouse
	$(PY) -m bench --quick

# Issue 6 alone: interactions at the real, 1M and 10M scales (synthetic warehouses under bench/data/,
# built on first use: ~4 min and ~7 GB for 10M), into bench/results.json's "interactions" key.
bench-interactions: setup warehouse
	$(PY) -m bench.interactions --into bench/results.json

# Issue 18: the reader's benchmark in headless Chromium, the observatory beside the naive peer
# (bench/naive.py), A B A B, at the real release and 10M rows, into bench/results.json's "browser"
# key. BROWSER_ARGS: e.g. --quick, --scale real, --shots bench/data/screenshots.
BROWSER_ARGS ?=
bench-browser: setup warehouse
	$(PY) -m bench.browser $(BROWSER_ARGS) --into bench/results.json

# Reliability (issue 7): hostile input, load, rebuild under load. Local servers on 127.0.0.1 only.
fuzz: setup
	$(PY) -m bench.fuzz --cases 10000

load: setup warehouse
	$(PY) -m bench.load --users 50 --seconds 60

rebuild-under-load: setup warehouse
	$(PY) -m bench.rebuild_under_load

reliability-quick: setup warehouse
	$(PY) -m bench.fuzz --cases 500
	$(PY) -m bench.load --quick
	$(PY) -m bench.rebuild_under_load --quick

# Lighthouse (mobile, desktop) on the home page and axe-core over every page and state, on the real
# warehouse; prints the table and records it under "audit" in bench/results.json.
audit: setup warehouse
	$(PY) -m bench.audit

# Pictures of every card of a fixed set of views on the real warehouse, side by side in
# gallery/index.html (issue 16; bench/gallery.py, ports 8160-8161, headless /usr/bin/chromium).
gallery: setup warehouse
	$(PY) -m bench.gallery --out gallery

clean:
	rm -rf data/warehouse data/cache .pytest_cache
