# The two commands of the README's quick start, each doing its own set-up:
#   make demo   install deps, build, check and test the built-in example, then sync it through
#               `accord sandbox` (emulated Salesforce + HubSpot APIs) and show edits crossing over
#   (make demo-files: the same sync over a copy of the jsonl sample data)
#   make test   install deps, build (RelWithDebInfo), run every test
# Other targets: build, sanitize (ASan+UBSan test run), bench, fmt, clean.

BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps configure build demo demo-files test sanitize bench fmt clean

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

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

sanitize:
	@$(MAKE) test BUILD_DIR=build-asan CMAKE_FLAGS=-DACCORD_SANITIZE=ON

bench: build
	@$(BUILD_DIR)/check_bench

fmt: build
	@$(BUILD_DIR)/accord fmt examples tests

clean:
	rm -rf $(BUILD_DIR) build-asan
