# Strat — build, demo and test entry points. Every target installs what is missing first.
SWIFT ?= swift
SHELL := /bin/bash
# The release binary is one static executable (Swift runtime, libstdc++, libedit and its
# dependencies, glibc): nothing for the dynamic loader to map or relocate at start-up,
# which was two thirds of `strat eval -e 1+1` (docs/performance.md). These are command-line
# flags, not settings of Package.swift, so the package stays free of unsafe flags. The
# libraries come from libedit-dev's static archives; `=` defers pkg-config until `deps` ran.
STATIC_LINK = -Xswiftc -static-executable $(foreach l,$(shell pkg-config --static --libs libedit libbsd 2>/dev/null),-Xlinker $(l))
RELEASE_FLAGS = -c release --static-swift-stdlib $(STATIC_LINK)
BIN_DEBUG = .build/debug/strat
BIN_RELEASE = .build/release/strat

.PHONY: install test-scripts-release browser-deps test-html screenshot deps build release demo test test-lsp venv-test stdlib example package-check bench bench-deps bench-smoke fuzz fuzz-lsp sanitize clean lib test-capi test-python

# libedit-dev is not on a fresh machine; install it (and pkg-config) only when missing.
deps:
	@if ! pkg-config --exists libedit 2>/dev/null; then \
	  echo "installing libedit-dev…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libedit-dev pkg-config >/dev/null; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product strat

# `make install PREFIX=~/.local` puts strat on the PATH: the release binary in PREFIX/bin and
# its completion scripts where bash-completion, zsh and fish look (docs/cli.md). DESTDIR
# stages a package. INSTALL_BIN installs another build instead (the CLI tests pass the debug
# binary, so as not to build a release just to test the layout).
PREFIX ?= /usr/local
INSTALL_BIN ?=

install:
	@if [ -z "$(INSTALL_BIN)" ]; then $(MAKE) --no-print-directory release; fi
	@set -e; bin="$(if $(INSTALL_BIN),$(INSTALL_BIN),$(BIN_RELEASE))"; root="$(DESTDIR)$(PREFIX)"; \
	  install -d "$$root/bin" "$$root/share/bash-completion/completions" \
	    "$$root/share/zsh/site-functions" "$$root/share/fish/vendor_completions.d"; \
	  install -m 755 "$$bin" "$$root/bin/strat.tmp" && mv -f "$$root/bin/strat.tmp" "$$root/bin/strat"; \
	  "$$root/bin/strat" completions bash > "$$root/share/bash-completion/completions/strat"; \
	  "$$root/bin/strat" completions zsh > "$$root/share/zsh/site-functions/_strat"; \
	  "$$root/bin/strat" completions fish > "$$root/share/fish/vendor_completions.d/strat.fish"; \
	  echo "installed $$root/bin/strat and its bash, zsh and fish completions"

demo: release
	@$(BIN_RELEASE) run examples/netflix-engineering.strat

# Python for the tests (reference computations): a venv in .venv-test/ with the pinned
# packages of Tests/requirements.txt, made (python3-venv installed) only when missing and
# refreshed when the requirements change.
VENV = .venv-test

venv-test: $(VENV)/.installed

$(VENV)/.installed: Tests/requirements.txt
	@if [ ! -x $(VENV)/bin/python3 ]; then \
	  python3 -c 'import ensurepip' 2>/dev/null || { echo "installing python3-venv…"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }; \
	  python3 -m venv $(VENV); \
	fi
	$(VENV)/bin/python3 -m pip install -q --disable-pip-version-check -r Tests/requirements.txt
	@touch $@

test: deps venv-test
	python3 scripts/gen_stdlib.py --check
	$(SWIFT) build --build-tests
	set -o pipefail; STRAT_BIN=$(CURDIR)/$(BIN_DEBUG) $(SWIFT) test --skip-build --disable-swift-testing 2>&1 | tee .build/test.log
	@# Shipped examples and the standard library are in the formatter's canonical layout.
	$(BIN_DEBUG) fmt --check examples/*.strat stdlib/*.strat
	$(MAKE) example
	$(MAKE) package-check
	$(MAKE) test-lsp
	$(MAKE) bench-smoke
	$(VENV)/bin/python3 Tests/Uncertainty/stats_test.py $(BIN_DEBUG)
	$(MAKE) test-capi test-python
	$(MAKE) test-html
	@# One closing line for CI: XCTest's totals (the example host and bench-smoke fail the run on their own).
	@grep -E "Executed [0-9]+ tests" .build/test.log | tail -1 | sed -E 's/.*Executed ([0-9]+) tests, with ([0-9]+) failures.*/tests: \1 passed, \2 failed/'

# The script corpus (Tests/Scripts) against the release binary as well: optimisation
# (and the release-only exclusivity and stack behaviour) must not change any result.
# `make test` replays it against the debug binary; this reuses an existing release build.
test-scripts-release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product strat
	$(SWIFT) build --build-tests
	STRAT_BIN=$(CURDIR)/$(BIN_RELEASE) $(SWIFT) test --skip-build --disable-swift-testing --filter ScriptTests

# The language server end to end through a real LSP client (pytest-lsp): Tests/LSP/.
test-lsp: venv-test
	$(SWIFT) build --product strat
	cd Tests/LSP && STRAT_BIN=$(CURDIR)/$(BIN_DEBUG) $(CURDIR)/$(VENV)/bin/python3 -m pytest -q -p no:cacheprovider

# The HTML report in a real browser (docs/html-report.md): Debian's chromium and
# chromium-driver, installed only when missing, driven by selenium from the venv.
browser-deps: venv-test
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  echo "installing chromium and chromium-driver…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

test-html: browser-deps
	$(SWIFT) build --product strat
	STRAT_BIN=$(CURDIR)/$(BIN_DEBUG) $(VENV)/bin/python3 -m pytest -q -p no:cacheprovider Tests/Browser

# The README's screenshot of the Netflix report, drawn by Chromium from the current build.
screenshot: browser-deps
	$(SWIFT) build --product strat
	STRAT_BIN=$(CURDIR)/$(BIN_DEBUG) $(VENV)/bin/python3 Tests/Browser/screenshot.py

# Regenerate the bundled standard library after editing stdlib/*.strat.
stdlib:
	python3 scripts/gen_stdlib.py

# The embedding example (docs/embedding.md): a separate package that depends on this one
# by path, built in its own ignored folder, then run; it exits non-zero if a check fails.
EXAMPLE_DIR = examples/embedding
EXAMPLE_SCRATCH = $(EXAMPLE_DIR)/.build

example: deps
	$(SWIFT) build --package-path $(EXAMPLE_DIR) --scratch-path $(EXAMPLE_SCRATCH)
	"$$($(SWIFT) build --package-path $(EXAMPLE_DIR) --scratch-path $(EXAMPLE_SCRATCH) --show-bin-path)/plan-tool"

# A throwaway host depending on a tagged clone of this repository by URL and version, as a
# user's package would (part of make test): fails if the manifest uses unsafe flags.
package-check: deps
	scripts/check_package_by_url.sh

# The C API (docs/embedding-c.md): lib/libstrat.so and include/strat.h. The Swift runtime is
# linked in (-static-stdlib), so C programs and Python's ctypes load the library with no
# LD_LIBRARY_PATH. It has a scratch folder of its own because -static-stdlib changes the
# compile flags: sharing .build would rebuild the release binary's objects each time.
# A copy goes next to the Python package, which finds it there once pip-installed.
LIB_SCRATCH = .build-lib
LIB = lib/libstrat.so
CAPI_CC ?= cc

lib:
	$(SWIFT) build -c release --product StratC --scratch-path $(LIB_SCRATCH) --static-swift-stdlib -Xswiftc -static-stdlib
	mkdir -p lib
	cp $(LIB_SCRATCH)/release/libStratC.so $(LIB).tmp && mv -f $(LIB).tmp $(LIB)
	cp $(LIB) bindings/python/strat/libstrat.so.tmp && mv -f bindings/python/strat/libstrat.so.tmp bindings/python/strat/libstrat.so

# The C host (Tests/capi/host.c) under AddressSanitizer, leak checking included, run from a
# fresh environment (no LD_LIBRARY_PATH) so that it finds the library by its rpath alone;
# first, a check that the library needs no Swift runtime library of the toolchain.
test-capi: lib
	@if readelf -d $(LIB) | grep -E 'NEEDED.*libswift|RUNPATH.*swift'; then \
	  echo "$(LIB) depends on the Swift toolchain's runtime libraries"; exit 1; fi
	$(CAPI_CC) -g -fsanitize=address -fno-omit-frame-pointer -Wall -Wextra -Werror -Iinclude \
	  Tests/capi/host.c -Llib -lstrat -Wl,-rpath,'$$ORIGIN/../lib' -lpthread -o $(LIB_SCRATCH)/capi-host
	env -i PATH=/usr/bin:/bin $(LIB_SCRATCH)/capi-host
	@# The first host of docs/embedding-c.md, as printed there.
	awk '/^```c$$/ { on = 1; next } /^```$$/ { if (on) exit } on' docs/embedding-c.md > $(LIB_SCRATCH)/first-host.c
	$(CAPI_CC) -Wall -Werror -Iinclude $(LIB_SCRATCH)/first-host.c -Llib -lstrat -Wl,-rpath,'$$ORIGIN/../lib' -o $(LIB_SCRATCH)/first-host
	env -i PATH=/usr/bin:/bin $(LIB_SCRATCH)/first-host > $(LIB_SCRATCH)/first-host.out
	grep -qF '{"expr":"revenue","value":40000,"unit":"$$","display":"$$40000"}' $(LIB_SCRATCH)/first-host.out
	grep -qF '"after":{"value":45000,"unit":"$$","display":"$$45000"}' $(LIB_SCRATCH)/first-host.out

# The Python package, pip-installed into the venv as a user would, then its pytest suite.
test-python: lib $(VENV)/.installed
	$(VENV)/bin/pip install -q --no-build-isolation --no-deps --force-reinstall ./bindings/python
	STRAT_BIN=$(CURDIR)/$(BIN_DEBUG) STRAT_TEST_INSTALLED=1 $(VENV)/bin/python -m pytest -q -p no:cacheprovider bindings/python/tests

# Benchmarks against Lua 5.4 and LuaJIT (docs/performance.md); lua5.4 and luajit come from Debian.
bench-deps: deps
	@if ! command -v lua5.4 >/dev/null || ! command -v luajit >/dev/null; then \
	  echo "installing lua5.4 and luajit…"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lua5.4 luajit >/dev/null; \
	fi

# squigglepy for the Monte Carlo comparison, in a venv of its own (.venv-bench/, made only
# when missing): its numpy pin need not agree with the test venv's. `make test` never uses it.
BENCH_VENV = .venv-bench

$(BENCH_VENV)/.installed:
	@if [ ! -x $(BENCH_VENV)/bin/python3 ]; then \
	  python3 -c 'import ensurepip' 2>/dev/null || { echo "installing python3-venv…"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }; \
	  python3 -m venv $(BENCH_VENV); \
	fi
	$(BENCH_VENV)/bin/python3 -m pip install -q --disable-pip-version-check squigglepy==0.30
	@touch $@

bench: bench-deps venv-test $(BENCH_VENV)/.installed
	$(SWIFT) build $(RELEASE_FLAGS) --product strat
	$(SWIFT) build $(RELEASE_FLAGS) --product strat-bench-whatif
	$(SWIFT) build $(RELEASE_FLAGS) --product strat-bench-goalseek
	python3 Benchmarks/bench.py --python $(VENV)/bin/python3 --squiggle-python $(BENCH_VENV)/bin/python3

# Small sizes, one run, no timing claims: keeps the harness from rotting (part of make test).
bench-smoke: bench-deps
	$(SWIFT) build --product strat-bench-whatif
	$(SWIFT) build --product strat-bench-goalseek
	python3 Benchmarks/bench.py --smoke --strat $(BIN_DEBUG) --whatif .build/debug/strat-bench-whatif --goalseek .build/debug/strat-bench-goalseek

# Robustness (docs/robustness.md). `make fuzz` builds the libFuzzer target (Fuzz/FuzzMain.swift
# with the StratKit sources, AddressSanitizer) and fuzzes on one worker for FUZZ_SECONDS,
# seeded from examples/, stdlib/ and Tests/Scripts/; findings land in .build-fuzz-lf/artifacts/.
FUZZ_SECONDS ?= 600

fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The language server's message layer under libFuzzer (scripts/fuzz-lsp.sh); findings land in
# .build-fuzz-lsp/artifacts/.
fuzz-lsp:
	scripts/fuzz-lsp.sh $(FUZZ_SECONDS)

# The whole test suite under AddressSanitizer (the CLI tests run the ASan-built binary), then
# the multi-engine tests under ThreadSanitizer. ASan frames are several times larger, so the
# main thread gets a bigger stack (TSan's too); use-after-return detection is off because it moves locals
# to a heap "fake stack" where the library's stack guard cannot see the real stack; leak
# detection is off (XCTest itself leaks; see docs/robustness.md).
ASAN_SCRATCH = .build-fuzz-asan
TSAN_SCRATCH = .build-fuzz-tsan
ASAN_ENV = ASAN_OPTIONS=detect_stack_use_after_return=0:detect_leaks=0

sanitize: deps
	$(SWIFT) build --build-tests -Xswiftc -sanitize=address --scratch-path $(ASAN_SCRATCH)
	ulimit -s 524288 && $(ASAN_ENV) STRAT_BIN=$(CURDIR)/$(ASAN_SCRATCH)/debug/strat \
	  $(SWIFT) test --skip-build -Xswiftc -sanitize=address --scratch-path $(ASAN_SCRATCH)
	ulimit -s 524288 && $(SWIFT) test --sanitize=thread --filter EmbeddingTests --scratch-path $(TSAN_SCRATCH)

clean:
	rm -rf .build $(EXAMPLE_SCRATCH) $(ASAN_SCRATCH) $(TSAN_SCRATCH) .build-fuzz-lf .build-fuzz-lsp $(LIB_SCRATCH) lib $(VENV) $(BENCH_VENV) \
	  bindings/python/strat/libstrat.so bindings/python/build bindings/python/*.egg-info
