#!/usr/bin/env bash
# Sets up the machine, builds, and runs the main job on the bundled sample data: creates a demo
# lake, ingests the samples, lists the lake, reads a slice and verifies it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=$(bash scripts/build.sh)
dlake="$root/$build_dir/apps/dlake/dlake"
lake=${DEMO_LAKE:-$root/demo-lake}

run() { echo "+ dlake $*"; "$dlake" "$@"; echo; }

rm -rf "$lake"
run init "$lake"
export DLAKE_LAKE=$lake
run ingest --source "$root/samples/BTCUSDT-1m-2024-03-01_03.csv" --exchange binance \
  --market futures --symbol BTC/USDT:USDT
run ingest --source "$root/samples/ETHUSDT-1h-2024-03.csv" --exchange binance --market spot \
  --symbol ETHUSDT --period 1h
run ingest --source "$root/samples/BTCUSDT-trades-2024-03-01.csv" --exchange binance \
  --market futures --symbol BTCUSDT --type ticks
run list
run read --exchange binance --symbol BTCUSDT --start "2024-03-01T23:55" --end "2024-03-02T00:05"
run read --exchange binance --symbol ETHUSDT --period 1h --start 2024-03-05 --end 2024-03-05 \
  --columns ts,close,volume --format csv --limit 5
run verify
echo "Demo lake: $lake"
