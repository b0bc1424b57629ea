#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh) and builds dl-datalake into ${BUILD_DIR:-build}.
# Extra arguments go to CMake's configure step. In CI (CI=true) warnings are errors.
set -euo pipefail
cd "$(dirname "$0")/.."

duckdb_root=$(bash scripts/setup.sh | tail -n 1)
build_dir=${BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

# ccache keeps compiled objects in the cache folder, keyed by content with paths relative to the
# checkout, so a fresh clone recompiles only what changed.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_DIR=${CCACHE_DIR:-${DLAKE_CACHE:-$HOME/.cache/dlake}/ccache}
  export CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
  -DDUCKDB_ROOT="$duckdb_root" -DDLAKE_WERROR="$werror" "${launcher[@]}" "$@" >&2
cmake --build "$build_dir" -j "$(nproc)" >&2
echo "$build_dir"
