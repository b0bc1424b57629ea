#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test (unit, CLI and process-level) in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$(bash scripts/build.sh)
cd "$build_dir"
ctest -j "$(nproc)" --output-on-failure --timeout 900
