# Thin front door. Everything real happens in CMake; this only installs what is missing,
# configures once and calls the build.
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
MANIFEST   ?=

.PHONY: all deps configure build run test bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh --if-missing

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_ARGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run-node.sh $(BUILD)/bin/butter $(MANIFEST)

test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j $(JOBS) $(if $(TESTS),-R '$(TESTS)',)

bench: build
	$(BUILD)/bin/butter-bench-all $(BUILD)

# libFuzzer targets (fuzz/), built with clang in build-fuzz; each runs FUZZ_SECONDS (fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) bash fuzz/run.sh

clean:
	rm -rf $(BUILD)
