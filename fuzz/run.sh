#!/bin/sh
# run.sh BINARY NAME: one fuzz target, from its seed corpus fuzz/corpus/NAME.
#   make test (NADB_FUZZ_SECONDS unset): replays every seed input, then a fixed-seed run of
#     NADB_FUZZ_RUNS mutations (default 2000) whose finds go to a throwaway folder: the same
#     commit passes or fails the same way everywhere.
#   make fuzz (NADB_FUZZ_SECONDS=N): explores for N seconds from the seeds and what earlier
#     runs kept in build/fuzz/fuzz/corpus/NAME, then merges the inputs that add coverage into
#     the seed corpus (commit them). A crash leaves its input in build/fuzz/fuzz/crash-*.
# Any single allocation over 512 MB fails the run: a length read from the input must be
# bounded by the bytes there before anything is allocated.
set -eu
binary=$1
name=$2
seeds=$(dirname "$0")/corpus/$name
limits="-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -print_final_stats=1"
if [ -z "${NADB_FUZZ_SECONDS:-}" ]; then
  found=$(mktemp -d)
  trap 'rm -rf "$found"' EXIT
  "$binary" $limits -seed=1 -runs="${NADB_FUZZ_RUNS:-2000}" "$found" "$seeds"
else
  mkdir -p "corpus/$name"
  "$binary" $limits -max_total_time="$NADB_FUZZ_SECONDS" "corpus/$name" "$seeds"
  "$binary" $limits -merge=1 "$seeds" "corpus/$name"
fi
