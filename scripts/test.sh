#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test. Used by .ci/run; ends with ctest's summary line.
#   scripts/test.sh            sanitizer build (ASan+UBSan) of the unit tests, then the full suite on a normal build
#   MSSGW_SKIP_SANITIZE=1      skip the sanitizer pass (quicker local runs)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash scripts/install-deps.sh

if [ "${MSSGW_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== sanitizer build (ASan + UBSan): unit tests"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMSSGW_SANITIZE=ON >/dev/null
  cmake --build build-asan -j "$jobs" --target unit_tests
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -L unit -j "$jobs" --output-on-failure --timeout 600
fi

echo "== release build: every test"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build -j "$jobs" --output-on-failure --timeout 900
