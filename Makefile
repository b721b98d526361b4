# Thin front door. Everything real happens in CMake; this only installs what is missing,
# configures once and calls the build.
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
MANIFEST   ?=

.PHONY: all deps configure build run test bench fuzz tsan format format-check tidy clean

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

# ThreadSanitizer over the tests whose nodes share one multi-threaded runtime (many nodes, one
# io_context on several threads, strands per node), built in build-tsan. Only those targets are
# built: a TSan build of everything costs half an hour on 2 cores and the rest is single-threaded.
# It stays at -O2: at -O1 (a third faster to compile) two streaming storage tests run side by side
# (-j 2) were too slow for their replication deadlines (a 12 MiB put reported 0 replicas).
TSAN_TARGETS = butter butter_all_plugins test-unit-transport test-unit-http test-integration-node \
               test-integration-hotswap test-integration-discovery-multicast test-integration-pcg-storage \
               test-integration-ir-dbfs test-integration-nat-ambassador
TSAN_TESTS   = ^(unit transport|unit http|integration (node|hotswap|discovery-multicast|pcg-storage|ir-dbfs|nat-ambassador)):
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DBUTTER_TSAN=ON -DBUTTER_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build build-tsan -j $(JOBS) --target $(TSAN_TARGETS)
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure --timeout 900 -j $(JOBS) -R '$(TSAN_TESTS)'

# The layout of every C and C++ file (.clang-format); CI runs format-check.
format: deps
	scripts/format.sh

format-check: deps
	scripts/format.sh --check

# clang-tidy (.clang-tidy) over the host and the SDK's headers, from a compile database that
# scripts/tidy.sh configures file by file in build-tidy (nothing is compiled there).
tidy: deps
	scripts/tidy.sh

clean:
	rm -rf $(BUILD)
