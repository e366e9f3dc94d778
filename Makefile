# mcutune: the two set-up commands are `make demo` and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build demo test test-core test-slow test-sanitize fuzz bench format clean

all: build

deps:
	@scripts/install_deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)

# The whole suite but the exhaustive sweeps (label "slow": `make test-slow`).
# `make test-core` runs the quick self-contained set.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE slow

test-slow: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L slow

test-core: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L core

# The suite under AddressSanitizer + UBSan (docs/reliability.md, "Sanitizers"):
# its own build dir at -Og, without the web dashboard and the benchmarks; a
# finding in any process (leaks included) fails the stage.
SAN_BUILD ?= build-asan
SAN_LABELS ?= core
# Exhaustive sweeps that take > 10 min each under ASan (run in `make test`).
SAN_EXCLUDE ?= ^(patch: every \(n_patch, split_idx\) of the ten zoo|space: JSON, CSV and table|layer-wise code is bit-exact on the host|sampled candidates of every zoo network)
SAN_CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-Og -g1 -DNDEBUG" \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-Og -g1 -DNDEBUG" \
  -DMCUTUNE_SANITIZE=address,undefined -DMCUTUNE_BUILD_WEB=OFF -DMCUTUNE_BUILD_BENCH=OFF

$(SAN_BUILD)/build.ninja:
	cmake -S . -B $(SAN_BUILD) -G Ninja $(SAN_CMAKE_FLAGS)

test-sanitize: deps $(SAN_BUILD)/build.ninja
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/sanitizers/lsan.supp \
	  cmake --build $(SAN_BUILD) -j $(JOBS)
	@scripts/test_sanitize.sh $(SAN_BUILD) '$(SAN_LABELS)' $(JOBS) '$(SAN_EXCLUDE)'

bench: build
	@scripts/bench.sh $(BUILD)

# libFuzzer over the untrusted-input doors (docs/reliability.md, "Fuzzing"):
# a clang build in build-fuzz, FUZZ_SECONDS per target; fails on any crash.
FUZZ_SECONDS ?= 60
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD) out
