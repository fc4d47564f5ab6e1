# The README's commands. Every target installs what it needs, so each works on a fresh
# Debian 12 or 13 machine; a second run reuses the venv and both build trees.
PYTHON ?= python3
JOBS   ?= 2
VENV   := .venv
BUILD  := build
CMAKE  := $(VENV)/bin/cmake
PY     := $(VENV)/bin/python
SANITIZE ?= OFF
CPP_BUILD := $(BUILD)/cpp$(if $(filter ON,$(SANITIZE)),-sanitize,)

.PHONY: all deps venv cpp cpp-test package-test python py-test test demo bench clean

all: test

# System packages the tests need beyond the build: Debian's Chromium for the real-browser
# OAuth test (Playwright drives it with executable_path; no browser download).
TEST_SYSTEM_PACKAGES ?= chromium

deps:
	scripts/install-deps.sh $(TEST_SYSTEM_PACKAGES)

$(VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" cmake ninja
	$(PY) scripts/test-requirements.py | PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 xargs -d "\n" $(VENV)/bin/pip install -q
	touch $@

venv: deps $(VENV)/.ready

cpp: venv
	$(CMAKE) -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) \
	  -DHARVEST_CONNECT_TESTS=ON -DHARVEST_CONNECT_SANITIZE=$(SANITIZE)
	$(CMAKE) --build $(CPP_BUILD) -j $(JOBS)

cpp-test: cpp
	$(VENV)/bin/ctest --test-dir $(CPP_BUILD) -j $(JOBS) --output-on-failure

# Install the C++ package into a local prefix and build a consumer against it.
package-test: cpp
	$(CMAKE) --install $(CPP_BUILD) --prefix $(abspath $(BUILD)/install) --component development
	$(CMAKE) -S tests/package -B $(BUILD)/package -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) \
	  -DCMAKE_PREFIX_PATH=$(abspath $(BUILD)/install)
	$(CMAKE) --build $(BUILD)/package -j $(JOBS)
	$(BUILD)/package/package_consumer

python: venv
	PATH=$(abspath $(VENV)/bin):$$PATH $(VENV)/bin/pip install -q --no-build-isolation --no-deps \
	  -Ccmake.define.HARVEST_CONNECT_SANITIZE=$(SANITIZE) .

py-test: python
	$(PY) -m pytest

test: cpp-test package-test py-test

demo: python
	$(VENV)/bin/harvest-connect demo

# Benchmarks against requests + requests-oauthlib (issue 8): tests/bench/results.md and .json.
# BENCH_ARGS=--quick for a shorter run. The C++ tree provides the crypto micro-benchmark.
bench: python
	$(VENV)/bin/pip install -q requests requests-oauthlib
	$(CMAKE) -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) \
	  -DHARVEST_CONNECT_TESTS=ON -DHARVEST_CONNECT_SANITIZE=$(SANITIZE)
	$(CMAKE) --build $(CPP_BUILD) -j $(JOBS) --target crypto_bench
	$(PY) tests/bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD) $(VENV)
