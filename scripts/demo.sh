#!/usr/bin/env bash
# Sets up the machine, builds, and runs the main job on the embedded defaults: creates a demo
# lake, ingests the bundled samples (with 15m and 1h aggregates), lists the lake, reads a slice,
# aggregates to 4h and 1d, reads a resampled day, uploads a feature set and joins it onto the
# candles point in time, and runs maintenance (compaction, cleanup, verify); then runs the CoinMarketCap pipeline (extract, transform, warehouse load, tests, gold
# exports) into the embedded warehouse against the fake CoinMarketCap API (build/testing/fake-cmc),
# offline.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=$(bash scripts/build.sh)
dlake="$root/$build_dir/apps/dlake/dlake"
lake=${DEMO_LAKE:-$root/demo-lake}

# Returns dlake's exit code, so that `run … || …` can tolerate a failure (set -e ends the demo on
# any other).
run() {
  local status
  echo "+ dlake $*"
  "$dlake" "$@" && status=0 || status=$?
  echo
  return "$status"
}

rm -rf "$lake"
run init "$lake"
export DLAKE_LAKE=$lake
run ingest --source "$root/samples/BTCUSDT-1m-2024-03-01_03.csv" --exchange binance \
  --market futures --symbol BTC/USDT:USDT --aggregate 15m,1h
run ingest --source "$root/samples/ETHUSDT-1h-2024-03.csv" --exchange binance --market spot \
  --symbol ETHUSDT --period 1h
run ingest --source "$root/samples/BTCUSDT-trades-2024-03-01.csv" --exchange binance \
  --market futures --symbol BTCUSDT --type ticks
run list
run read --exchange binance --symbol BTCUSDT --start "2024-03-01T23:55" --end "2024-03-02T00:05"
run read --exchange binance --symbol ETHUSDT --period 1h --start 2024-03-05 --end 2024-03-05 \
  --columns ts,close,volume --format csv --limit 5
run aggregate --exchange binance --symbol BTCUSDT --to 4h,1d
run read --exchange binance --symbol BTCUSDT --timeframe 4h --start 2024-03-02 --end 2024-03-02
# A feature set computed from the lake (the 15-minute return, stamped when it is known: at the
# 15m candle's close), uploaded as a version with its lineage and joined back onto the 1m
# candles point in time.
features_csv=$(mktemp --suffix=.csv)
"$dlake" --lake "$lake" read --exchange binance --symbol BTCUSDT --timeframe 15m \
  --columns ts,close --format csv |
  awk -F, 'NR == 1 { print "ts,ret_15m"; next } { if (prev) printf "%.0f,%.8f\n", $1 + 900000, $2 / prev - 1; prev = $2 }' \
    >"$features_csv"
run upload-feature --path "$features_csv" --exchange binance --symbol BTCUSDT \
  --feature-set momentum --version 1.0.0 --source BINANCE/FUTURES/BTCUSDT/raw/1m --code-ref demo.sh
rm -f "$features_csv"
run features show momentum
run read --exchange binance --symbol BTCUSDT --start "2024-03-02T00:28" --end "2024-03-02T00:33" \
  --columns ts,close --with-features momentum
run maintain

# CoinMarketCap: the fake Pro API on a free local port, stopped when the demo ends in any way.
fake_cmc="$root/$build_dir/testing/fake-cmc"
cmc_key=demo-cmc-key
url_file=$(mktemp)
"$fake_cmc" --scale small --key "$cmc_key" >"$url_file" &
fake_cmc_pid=$!
stop_fake_cmc() {
  kill "$fake_cmc_pid" 2>/dev/null || true
  wait "$fake_cmc_pid" 2>/dev/null || true
  rm -f "$url_file"
}
trap stop_fake_cmc EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cmc_url=""
for _ in $(seq 300); do  # 30 s
  if read -r line <"$url_file"; then
    cmc_url=$line
    break
  fi
  kill -0 "$fake_cmc_pid" 2>/dev/null || { echo "demo: fake-cmc exited before serving" >&2; exit 1; }
  sleep 0.1
done
[ -n "$cmc_url" ] || { echo "demo: fake-cmc printed no URL within 30 s" >&2; exit 1; }
echo "Fake CoinMarketCap API: $cmc_url"
echo

export DLAKE_CMC_URL=$cmc_url CMC_API_KEY=$cmc_key DLAKE_CMC_REQUESTS_PER_MINUTE=100000
unset DLAKE_WAREHOUSE_URL  # the embedded warehouse, $DLAKE_LAKE/warehouse/warehouse.duckdb
run cmc extract --group init
run cmc transform --group all
run warehouse init
run warehouse load --group all
# Exit 1 means a data test found rows in the fake's generated data: shown, and the demo goes on.
run warehouse test || {
  status=$?
  [ "$status" -eq 1 ] || exit "$status"
  echo "(warehouse test exited 1: data tests found rows in the fake's data; the demo goes on)"
  echo
}
run warehouse status
run gold snapshot --view vw_top_categories_by_market_cap
run gold dump --keep 2
echo "Demo lake: $lake"
