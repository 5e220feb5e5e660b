#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz (-DMSSGW_FUZZ=ON), writes the seed corpora from the
# unit-test rows, and runs each target for N seconds.
#
#   tests/fuzz/run.sh [seconds per target, default 30] [target ...]     e.g.  tests/fuzz/run.sh 60 smtp_data
#
# Environment: MSSGW_FUZZ_BUILD (build dir, default <repo>/build-fuzz), MSSGW_FUZZ_JOBS (ninja -j, default 2),
# MSSGW_FUZZ_MAX_LEN (default 8192).
# Corpora grow in <build>/fuzz-corpus/<target> (kept between runs); crashes go to <build>/fuzz-artifacts/.
# Exit status: 0 when every target ran its time without a finding, 1 otherwise.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${MSSGW_FUZZ_BUILD:-$src/build-fuzz}
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(smtp_command smtp_address smtp_data smtp_reply)

mkdir -p "$build"
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMSSGW_FUZZ=ON -DMSSGW_TESTS=OFF >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
ninja -C "$build" -j "${MSSGW_FUZZ_JOBS:-2}" fuzz_smtp_seeds "${targets[@]/#/fuzz_}"

seeds="$build/fuzz-seeds"
rm -rf "$seeds"
"$build/tests/fuzz/fuzz_smtp_seeds" "$seeds"

status=0
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t/"
  mkdir -p "$corpus" "$artifacts"
  log="$build/fuzz-$t.log"
  echo "== $t: ${seconds}s (log: $log)"
  if "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len="${MSSGW_FUZZ_MAX_LEN:-8192}" -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "$seeds/$t" >"$log" 2>&1; then
    runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$")
    echo "   ok: $runs runs, $(grep -oE 'cov: [0-9]+' "$log" | tail -1), corpus $(ls "$corpus" | wc -l) files"
  else
    status=1
    echo "!! $t found a problem:"
    grep -E "ERROR|check failed|SUMMARY|Test unit written" "$log" | head -20
  fi
done
exit $status
