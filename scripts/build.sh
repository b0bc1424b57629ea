#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and builds dl-datalake into ${BUILD_DIR:-build}.
# Extra arguments go to CMake's configure step. In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

duckdb_root=$(bash scripts/setup.sh | tail -n 1)
build_dir=${BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DDUCKDB_ROOT="$duckdb_root" -DDLAKE_WERROR="$werror" "$@" >&2
cmake --build "$build_dir" -j "$(nproc)" >&2
echo "$build_dir"
