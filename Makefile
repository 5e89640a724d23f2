# Strat — build, demo and test entry points. Every target installs what is missing first.
SWIFT ?= swift
RELEASE_FLAGS = -c release --static-swift-stdlib
BIN_DEBUG = .build/debug/strat
BIN_RELEASE = .build/release/strat

.PHONY: deps build release demo test check-scripts bench bench-smoke fuzz sanitize clean

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

demo: release
	@$(BIN_RELEASE) run examples/netflix-engineering.strat

test: deps
	$(SWIFT) build --build-tests
	STRAT_BIN=$(CURDIR)/$(BIN_DEBUG) $(SWIFT) test --skip-build

clean:
	rm -rf .build
