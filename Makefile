# Thin front over CMake presets. `make demo` and `make test` are the two set-up commands.
PRESET ?= default
BUILD_DIR := build/$(PRESET)
JOBS ?= $(shell nproc)

.PHONY: all bootstrap configure configure-bench build python compare-python demo test stress fuzz fuzz-build test-tsan test-asan bench bench-redis bench-cluster compare compare-values scale scenarios format clean

all: build

bootstrap:
	@scripts/bootstrap.sh

configure: bootstrap
	@cmake --preset $(PRESET) >/dev/null

# The benchmark's peer systems (LMDB, SQLite, RocksDB) are installed only for it.
configure-bench:
	@scripts/bootstrap.sh --bench

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# The Python package (python/), assembled in build/default/python/nadb:
# PYTHONPATH=build/default/python /usr/bin/python3 -c "import nadb" (make test runs its tests).
python: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target nadb_python

# The main job: the quickstart example on the embedded fs backend, in a temporary data folder.
demo: build
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	  $(BUILD_DIR)/examples/quickstart "$$dir"

test: build fuzz-build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900
	@cd build/fuzz && env -u NADB_FUZZ_SECONDS ctest --output-on-failure -j $(JOBS)

# The randomized stress tests for DURATION seconds each, with a new seed (make test runs a
# fixed seed: 4 s of the first, 400 steps per backend of the second): the
# multi-threaded one (tests/stress/random_stress_test.cpp) and the composed one of every
# operation on each backend (tests/stress/composed_test.cpp; COMPOSED=fs, memory or redis runs
# one backend). SEED=n replays a run (each prints its seed).
DURATION ?= 600
COMPOSED ?= *
stress: build
	@NADB_STRESS_SECONDS=$(DURATION) $(if $(SEED),NADB_STRESS_SEED=$(SEED)) \
	  $(BUILD_DIR)/tests/stress_tests
	@NADB_STRESS_SECONDS=$(DURATION) $(if $(SEED),NADB_STRESS_SEED=$(SEED)) \
	  $(BUILD_DIR)/tests/composed_tests --gtest_filter='Backends/Composed.Run/$(COMPOSED)'

# The libFuzzer targets of fuzz/ (clang, ASan + UBSan, build/fuzz; fuzz/run.sh). make test
# replays each seed corpus and runs a fixed-seed, fixed-count mutation pass (deterministic);
# make fuzz explores for FUZZ_SECONDS each and merges what adds coverage into fuzz/corpus/
# (a crash leaves its input in build/fuzz/fuzz/crash-*).
FUZZ_SECONDS ?= 300
fuzz-build: bootstrap
	@cmake --preset fuzz >/dev/null
	@cmake --build build/fuzz -j $(JOBS)

fuzz: fuzz-build
	@cd build/fuzz && NADB_FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -j $(JOBS)

# Only the concurrency tests, built with ThreadSanitizer.
test-tsan: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L tsan

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer (build/asan; any
# report fails its test; GCC's maybe-uninitialized warnings are off there: with sanitizers it
# reports false positives inside libstdc++'s <regex>). The packaging test is left out: an ASan library needs ASan consumers.
test-asan: bootstrap
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 900 -E packaging

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

# The same workload on the redis backend against raw pipelined Redis commands, and against
# NADB's own Redis layout written without scripts (redis-layout, redis-layout-1key: the floor
# of the layout) (a throwaway redis-server on a free loopback port, or REDIS=host:port).
bench-redis: BENCH_SYSTEMS = nadb-redis,redis-raw,redis-layout,redis-layout-1key
bench-redis: bench

# The standard workload over 16 namespaces from 8 threads on throwaway Redis Clusters of 1 and
# of 3 masters (loopback, free ports): throughput, p99 latency and their ratios.
bench-cluster: configure-bench build
	@mkdir -p $(BUILD_DIR)/bench-data
	@python3 $(CURDIR)/../shared/bench/gen_workload.py $(BUILD_DIR)/bench-data/workload-$(BENCH_N).bin \
	  --n $(BENCH_N) --gets $(BENCH_N) --deletes $$(( $(BENCH_N) / 10 )) >/dev/null
	@$(BUILD_DIR)/bench/nadb-bench --workload $(BUILD_DIR)/bench-data/workload-$(BENCH_N).bin \
	  --cluster --repeat $(BENCH_REPEAT)

# Side by side: NADB (fs, memory) and every peer built (LMDB, SQLite, RocksDB; the redis
# backend and raw Redis when redis-server is installed), BENCH_REPEAT interleaved repetitions,
# a table of medians with ratios to nadb-fs, memory and disk. The standard workload file when
# ../shared/bench is there, else the same shape generated in-process. JSON=1: JSON lines only.
COMPARE_N ?= 100000
GEN_WORKLOAD := $(CURDIR)/../shared/bench/gen_workload.py
compare: configure-bench build
	@mkdir -p $(BUILD_DIR)/bench-data
	@if [ -f $(GEN_WORKLOAD) ]; then \
	  w=$(BUILD_DIR)/bench-data/workload-$(COMPARE_N).bin; \
	  python3 $(GEN_WORKLOAD) $$w --n $(COMPARE_N) --gets $(COMPARE_N) \
	    --deletes $$(( $(COMPARE_N) / 10 )) >/dev/null && workload="--workload $$w"; \
	else workload="--generate --n $(COMPARE_N)"; fi; \
	$(BUILD_DIR)/bench/nadb-bench $$workload --systems all --repeat $(BENCH_REPEAT) \
	  --data $(BUILD_DIR)/bench-data $(if $(JSON),--json) $(if $(REDIS),--redis $(REDIS))

# The standard workload from Python (bench/python/compare.py): nadb (fs) beside python3-lmdb,
# plyvel (LevelDB), diskcache and sqlite3, BENCH_REPEAT interleaved runs, medians and ratios.
compare-python: configure-bench python
	@mkdir -p $(BUILD_DIR)/bench-data
	@w=$(BUILD_DIR)/bench-data/workload-$(COMPARE_N).bin; \
	python3 $(GEN_WORKLOAD) $$w --n $(COMPARE_N) --gets $(COMPARE_N) --deletes $$(( $(COMPARE_N) / 10 )) >/dev/null && \
	PYTHONPATH=$(CURDIR)/$(BUILD_DIR)/python /usr/bin/python3 bench/python/compare.py --workload $$w \
	  --repeat $(BENCH_REPEAT) --data $(BUILD_DIR)/bench-data $(if $(JSON),--json)

# The scale curve: the same phases at N = 10k, 100k, 1M (LARGE=1 adds 10M), cost per op.
SCALE_SYSTEMS ?= nadb-fs,nadb-memory,lmdb
scale: configure-bench build
	@mkdir -p $(BUILD_DIR)/bench-data
	@$(BUILD_DIR)/bench/nadb-bench --generate --scale 10000,100000,1000000 $(if $(LARGE),--large) \
	  --systems $(SCALE_SYSTEMS) --repeat $(BENCH_REPEAT) --data $(BUILD_DIR)/bench-data $(if $(JSON),--json)
# The standard phases with larger values, every system: 1 KiB of compressible text (100k
# keys), 64 KiB (2,000 keys) and 4 MiB (50 keys) of random bytes.
compare-values: configure-bench build
	@mkdir -p $(BUILD_DIR)/bench-data
	@for shape in "100000 1024 --text-values" "2000 65536" "50 4194304"; do \
	  set -- $$shape; echo "== $$2-byte values, $$1 keys $$3"; \
	  $(BUILD_DIR)/bench/nadb-bench --generate --n $$1 --value-size $$2 $$3 --systems all \
	    --repeat $(BENCH_REPEAT) --data $(BUILD_DIR)/bench-data $(if $(JSON),--json,--table) || exit 1; \
	done

# NADB's other workloads on the fs backend: Durability::Sync with 1, 4 and 16 writer threads,
# 4 readers beside a writer, half the keys expiring during the run.
scenarios: build
	@mkdir -p $(BUILD_DIR)/bench-data
	@$(BUILD_DIR)/bench/nadb-bench --generate --n $(BENCH_N) --scenarios \
	  --data $(BUILD_DIR)/bench-data $(if $(JSON),--json,--table)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf build
