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
# llama.cpp's default native build crashes with SIGILL on these machines; a portable AVX2 build works,
# plus the AVX-512 kernels where /proc/cpuinfo lists every extension they use: on 2 cores of a Xeon
# with AVX-512 VNNI they evaluate a prompt ~40% faster (66 → 92 tokens/s, the answer's first token).
CPU_FLAGS := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has = $(filter $(1),$(CPU_FLAGS))
LLAMA_AVX512 := $(if $(and $(call has,avx512f),$(call has,avx512cd),$(call has,avx512vl),$(call has,avx512dq),$(call has,avx512bw)),\
  -DGGML_AVX512=ON $(if $(call has,avx512_vnni),-DGGML_AVX512_VNNI=ON) $(if $(call has,avx512vbmi),-DGGML_AVX512_VBMI=ON))
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON $(strip $(LLAMA_AVX512))
LLAMA_VERSION ?= 0.3.36
# pip's own wheel cache ignores CMAKE_ARGS (a wheel built with other flags would be reused), so the
# wheel is built once per set of flags into a folder named for them, outside the repository.
LLAMA_WHEELS ?= $(HOME)/.cache/rag-bilingual/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)
LLM_MODEL ?= qwen2.5-coder-1.5b-instruct-q4_k_m

.PHONY: install deps models run search test eval bench clean browser-deps scale-deps ocr-deps

install: deps models

deps: $(VENV)/.deps-installed

# The Makefile is a prerequisite too: it holds the llama.cpp build flags, so an existing .venv built
# with other flags is given the wheel for these.
$(VENV)/.deps-installed: pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	if ls /opt/wheels/torch-$(TORCH_VERSION)+cpu-*.whl >/dev/null 2>&1; then \
	  $(PIP) install -q "torch==$(TORCH_VERSION)"; \
	else \
	  $(PIP) install -q "torch==$(TORCH_VERSION)" --index-url $(TORCH_CPU_INDEX); \
	fi
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps --no-cache-dir -w $(LLAMA_WHEELS) "llama-cpp-python==$(LLAMA_VERSION)"
	$(PIP) install -q --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(PIP) install -q -e ".[test,llm,ui]"
	touch $@

models: deps
	$(VENV)/bin/rag fetch-models embeddinggemma-300m $(LLM_MODEL) qwen2.5-coder-0.5b-instruct-q4_k_m

run: install
	$(VENV)/bin/rag chat

search: install
	$(VENV)/bin/rag search

# The browser tests drive Debian's chromium; without a CJK font it draws Chinese as empty boxes.
# strace lets the fault tests kill `rag index` at an exact system call (they skip those cases without it).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
	    || ! command -v strace >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk strace >/dev/null; \
	fi

# The store contract tests run on Milvus Lite and the Ray path on local Ray: the scale extra.
scale-deps: $(VENV)/.scale-installed

$(VENV)/.scale-installed: $(VENV)/.deps-installed
	$(PIP) install -q -e ".[scale]"
	touch $@

# The OCR reader's tests read a scanned page: the ocr extra.
ocr-deps: $(VENV)/.ocr-installed

$(VENV)/.ocr-installed: $(VENV)/.deps-installed
	$(PIP) install -q -e ".[ocr]"
	touch $@

test: install browser-deps scale-deps ocr-deps
	$(PY) -m pytest -q -rsx -p no:cacheprovider $(PYTEST_ARGS)

eval: install
	$(VENV)/bin/rag eval --answerer extractive
	$(VENV)/bin/rag eval --answerer llm
	$(VENV)/bin/rag eval xquad --data ../shared/benchmarks/xquad --limit 300

# Speed and memory figures (README, Performance); the LangChain comparison needs the bench extra.
bench: install
	$(PIP) install -q -e ".[bench]"
	$(VENV)/bin/rag bench

clean:
	rm -rf $(VENV) index/gen-* index/CURRENT
