# Thin front over CMake presets. `make demo` and `make test` are the two set-up commands.
PRESET ?= default
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure configure-bench build demo test test-tsan bench bench-redis format clean

all: build

bootstrap:
	@scripts/bootstrap.sh

configure: bootstrap
	@cmake --preset $(PRESET) >/dev/null

# The benchmark's peer systems (LMDB) are installed only for it.
configure-bench:
	@scripts/bootstrap.sh --bench

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The main job: the quickstart example on the embedded fs backend, in a temporary data folder.
demo: build
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	  $(BUILD_DIR)/examples/quickstart "$$dir"

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

# Only the concurrency tests, built with ThreadSanitizer.
test-tsan: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L tsan

# The standard 100k workload (../shared/bench/WORKLOAD.md) on the fs and memory backends.
BENCH_N ?= 100000
BENCH_REPEAT ?= 3
BENCH_SYSTEMS ?= nadb-fs,nadb-memory,lmdb,sqlite
bench: configure-bench build
	@mkdir -p $(BUILD_DIR)/bench-data
	@python3 $(CURDIR)/../shared/bench/gen_workload.py $(BUILD_DIR)/bench-data/workload-$(BENCH_N).bin \
	  --n $(BENCH_N) --gets $(BENCH_N) --deletes $$(( $(BENCH_N) / 10 )) >/dev/null
	@$(BUILD_DIR)/bench/nadb-bench --workload $(BUILD_DIR)/bench-data/workload-$(BENCH_N).bin \
	  --systems $(BENCH_SYSTEMS) --repeat $(BENCH_REPEAT) --data $(BUILD_DIR)/bench-data \
	  $(if $(REDIS),--redis $(REDIS))

# The same workload on the redis backend against raw pipelined Redis commands (a throwaway
# redis-server on a free loopback port, or REDIS=host:port).
bench-redis: BENCH_SYSTEMS = nadb-redis,redis-raw
bench-redis: bench

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build
