# The two commands of the README's quick start, each doing its own set-up:
#   make demo   install deps, build, check the built-in example and map its sample contacts
#   make test   install deps, build (RelWithDebInfo), run every test
# Other targets: build, sanitize (ASan+UBSan test run), bench, fmt, clean.

BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps configure build demo test sanitize bench fmt clean

deps:
	@scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@echo "== accord check examples/salesforce-hubspot"
	@$(BUILD_DIR)/accord check examples/salesforce-hubspot && echo "ok: no diagnostics"
	@echo "== accord map examples/salesforce-hubspot --sync people --to hubspot (JIT) < data/salesforce/Contact.jsonl"
	@$(BUILD_DIR)/accord map examples/salesforce-hubspot --sync people --to hubspot --engine jit --stats \
	  < examples/salesforce-hubspot/data/salesforce/Contact.jsonl

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
