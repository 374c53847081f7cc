# The two commands of the README:
#   make demo   set everything up, then serve the demo and the emulator on http://127.0.0.1:8000/
#   make test   set everything up, then run every test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test setup setup-test vendor bench clean dist

# PAGES=DIR serves your own pages from DIR instead of the demo (the runtime at /kaltura-avatar/).
demo: setup
	$(PY) -m kaltura_avatar_emulator --host $(HOST) --port $(PORT) $(if $(PAGES),--pages $(PAGES))

test: setup-test
	scripts/run-tests.sh

setup: $(VENV)/.installed vendor
	@scripts/system-deps.sh demo

setup-test: $(VENV)/.installed vendor
	@scripts/system-deps.sh test

$(VENV)/.installed: pyproject.toml
	@scripts/system-deps.sh demo
	test -x $(VENV)/bin/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

vendor: $(VENV)/.installed
	$(PY) scripts/build_vendor.py

# The demo as a static site in dist/ (page, config, SDK wheel, runtime, .gz twins).
# BACKEND=http://host:port points the page at an avatar backend on another origin.
# PAGES=DIR builds your own pages instead, the runtime beside them in dist/kaltura-avatar/.
dist: setup
	$(PY) scripts/build_dist.py $(if $(BACKEND),--backend $(BACKEND)) $(if $(PAGES),--pages $(PAGES))

# Each bench script writes its section to bench/results/; report.py merges them into
# bench/report.json and bench/report.md (committed).
bench: setup-test
	$(PY) bench/bench_emulator.py
	$(PY) bench/bench_boot.py
	$(PY) bench/bench_session.py
	$(PY) bench/bench_soak.py
	$(PY) bench/report.py

clean:
	rm -rf $(VENV) .cache static/vendor dist
