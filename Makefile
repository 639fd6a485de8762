# Two entry points do all set-up on a fresh machine:
#   make run   installs everything (Python deps, model weights) and starts the app on the bundled corpus
#   make test  installs everything and runs the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# A CPU-only torch: this machine image keeps one in /opt/wheels (pip's find-links); elsewhere
# PyTorch's CPU index provides it. Either way no multi-GB CUDA build is pulled in.
TORCH_VERSION ?= 2.13.0
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: install deps models run search test ci bench-xquad clean

install: deps models

deps: $(VENV)/.deps-installed

$(VENV)/.deps-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	if ls /opt/wheels/torch-$(TORCH_VERSION)+cpu-*.whl >/dev/null 2>&1; then \
	  $(PIP) install -q "torch==$(TORCH_VERSION)"; \
	else \
	  $(PIP) install -q "torch==$(TORCH_VERSION)" --index-url $(TORCH_CPU_INDEX); \
	fi
	$(PIP) install -q -e ".[test]"
	touch $@

models: deps
	$(VENV)/bin/rag fetch-models

run: install
	$(VENV)/bin/rag search

search: run

test: install
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench-xquad: install
	$(VENV)/bin/rag bench-xquad --data ../shared/benchmarks/xquad --limit 300 --out eval/reports/xquad.json

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT
