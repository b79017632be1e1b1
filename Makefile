# The two commands of the README's quick start, each doing its own set-up:
#   make demo   install deps, build, check and test the built-in example, then sync it through
#               `accord sandbox` (emulated Salesforce + HubSpot APIs) and show edits crossing over
#   (make demo-files: the same sync over a copy of the jsonl sample data)
#   make test   install deps, build (RelWithDebInfo), run every test
# Other targets: build, sanitize (ASan+UBSan test run), bench, soak (model harness, SOAK_SECONDS), fmt, clean,
#   install (PREFIX=/usr/local, DESTDIR=), deb (build/accord_VERSION_ARCH.deb).

BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps configure build demo demo-files test sanitize bench fmt clean soak install deb

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@scripts/demo $(BUILD_DIR)

# The same sync over jsonl folders instead of the APIs (a copy of the example data).
DEMO_DATA = $(BUILD_DIR)/demo-data

demo-files: build
	@rm -rf $(DEMO_DATA) && cp -r examples/salesforce-hubspot/data $(DEMO_DATA)
	@echo "== accord plan examples/salesforce-hubspot --data $(DEMO_DATA)   (a copy of the example data)"
	@$(BUILD_DIR)/accord plan examples/salesforce-hubspot --data $(DEMO_DATA) || true
	@echo "== accord run examples/salesforce-hubspot --data $(DEMO_DATA)"
	@$(BUILD_DIR)/accord run examples/salesforce-hubspot --data $(DEMO_DATA) || true
	@echo "== accord run again: nothing changed on either side, so nothing is written"
	@$(BUILD_DIR)/accord run examples/salesforce-hubspot --data $(DEMO_DATA) || true
	@echo "== accord errors --data $(DEMO_DATA)"
	@$(BUILD_DIR)/accord errors --data $(DEMO_DATA)

# The tests' JIT object cache lives in the build folder, not in the user's ~/.cache.
test: build
	@cd $(BUILD_DIR) && ACCORD_JIT_CACHE=$(abspath $(BUILD_DIR))/jit-cache-test ctest --output-on-failure -j $(JOBS) --timeout 600

# The binary, man pages, completions, docs and TextMate grammar under PREFIX (cmake/ship.cmake);
# DESTDIR=/tmp/stage stages them for a package.
PREFIX ?= /usr/local
install: build
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# The Debian package, accord_VERSION_ARCH.deb in BUILD_DIR (cmake/package.cmake).
deb: build
	@cd $(BUILD_DIR) && cpack -G DEB

sanitize:
	@$(MAKE) test BUILD_DIR=build-asan CMAKE_FLAGS=-DACCORD_SANITIZE=ON

# The model harness (tests/model/) for as long as asked: random rule sets and histories
# under faults against `accord sandbox`, each checked against the reference model.
# Failing seeds are shrunk and written to tests/model/regressions/.
#   make soak SOAK_SECONDS=3600 [SOAK_SEED=N] [SOAK_KNOWN=issue22-1,...] [SOAK_MODE=--push]
SOAK_SECONDS ?= 600
SOAK_SEED ?= $(shell date +%s)
SOAK_KNOWN ?=
SOAK_MODE ?=
soak: build
	@ACCORD=$(BUILD_DIR)/accord python3 tests/model/harness.py --seed $(SOAK_SEED) --histories 1000000 \
	  --budget-seconds $(SOAK_SECONDS) --known "$(SOAK_KNOWN)" --save tests/model/regressions $(SOAK_MODE)

bench: build
	@$(BUILD_DIR)/check_bench

fmt: build
	@$(BUILD_DIR)/accord fmt examples tests

clean:
	rm -rf $(BUILD_DIR) build-asan
