#!/usr/bin/env bash
# Installs everything dl-datalake needs on a fresh Debian 12 machine. Idempotent: Debian packages
# already present are skipped, and the pinned DuckDB library and the pinned chDB (the reference
# Delta reader the Delta tests compare against) are fetched once into the cache
# (${DLAKE_CACHE:-$HOME/.cache/dlake}). Prints the DuckDB root folder on its last line.
set -euo pipefail

readonly DUCKDB_VERSION=1.4.4
readonly DUCKDB_LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
readonly DUCKDB_LIB_SHA256=732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b
readonly DUCKDB_HDR_PKG="duckdb@1.4.4"
readonly DUCKDB_HDR_SHA256=5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed

# chDB (embedded ClickHouse; its Delta reader is delta-kernel-rs), run by the tests through node.
# Its install script is a no-op: the native library comes from the platform package it lists as
# an optional dependency, so `--ignore-scripts` loses nothing and nothing is fetched at run time.
readonly CHDB_VERSION=3.4.0
readonly CHDB_NATIVE_DIR=node_modules/@chdb/lib-linux-x64-gnu
readonly CHDB_LIB_SHA256=36ad4e999882821ef13cf2d0f52c93f48e6ee1b4498b35a201c23ce4b8d15bf5
readonly CHDB_ADDON_SHA256=8357c4029edea511d15bca47d2c0aecb4c87f53ff1d7b36298a1906a1daf7cc0

readonly PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libsqlite3-dev libssl-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcurl4-openssl-dev libcpp-httplib-dev libtomlplusplus-dev
  libpq-dev postgresql
  pybind11-dev python3-dev python3-numpy python3-pandas python3-pytest
  clang-format clang-tidy ccache
)

log() { echo "setup: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_debian_packages() {
  local missing=()
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # npm fetches DuckDB and chDB, node runs chDB in the tests; a machine that already has node/npm
  # (from any source) keeps them.
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages present"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# npm pack <spec> into $2 and check the tarball against the pinned SHA-256.
fetch_npm_tarball() {
  local spec=$1 dir=$2 sha=$3 tarball
  tarball=$(cd "$dir" && npm pack --silent "$spec" 2>/dev/null | tail -n 1)
  if [ -z "$tarball" ] || [ ! -f "$dir/$tarball" ]; then
    log "npm pack $spec failed"; exit 1
  fi
  if ! echo "$sha  $dir/$tarball" | sha256sum -c --status; then
    log "checksum mismatch for $spec ($dir/$tarball): expected $sha"; exit 1
  fi
  echo "$dir/$tarball"
}

install_duckdb() {
  local root=$1
  if [ -f "$root/lib/libduckdb.so" ] && [ -f "$root/include/duckdb.h" ] && [ -f "$root/.verified" ]; then
    log "DuckDB $DUCKDB_VERSION cached in $root"
    return
  fi
  log "fetching DuckDB $DUCKDB_VERSION into $root"
  local work
  work=$(mktemp -d)
  local lib_tgz hdr_tgz
  lib_tgz=$(fetch_npm_tarball "$DUCKDB_LIB_PKG" "$work" "$DUCKDB_LIB_SHA256")
  hdr_tgz=$(fetch_npm_tarball "$DUCKDB_HDR_PKG" "$work" "$DUCKDB_HDR_SHA256")
  tar -xzf "$lib_tgz" -C "$work" package/libduckdb.so
  tar -xzf "$hdr_tgz" -C "$work" package/src/duckdb/src/include/duckdb.h
  local staging="$root.tmp.$$"
  rm -rf "$staging"
  mkdir -p "$staging/lib" "$staging/include"
  mv "$work/package/libduckdb.so" "$staging/lib/"
  mv "$work/package/src/duckdb/src/include/duckdb.h" "$staging/include/"
  touch "$staging/.verified"
  rm -rf "$root"
  mkdir -p "$(dirname "$root")"
  mv "$staging" "$root"
  rm -rf "$work"
}

# True when the chDB under $1 was verified at install and answers a query. chDB reads files only
# below its working folder, hence `cd /` (the tests' node program does the same).
chdb_works() {
  local root=$1 answer
  [ -f "$root/.verified" ] || return 1
  answer=$(cd / && NODE_PATH="$root/node_modules" node -e \
    "process.stdout.write(require('chdb').query('SELECT 40 + 2', 'CSV'))" 2>/dev/null) || return 1
  [ "$answer" = "42" ]
}

install_chdb() {
  local root=$1
  if chdb_works "$root"; then
    log "chDB $CHDB_VERSION cached in $root"
    return
  fi
  log "installing chDB $CHDB_VERSION into $root (about 550 MB)"
  local staging="$root.tmp.$$"
  rm -rf "$staging"
  mkdir -p "$staging"
  printf '{"private": true, "dependencies": {"chdb": "%s"}}\n' "$CHDB_VERSION" >"$staging/package.json"
  if ! (cd "$staging" && npm install --ignore-scripts --no-audit --no-fund >&2); then
    log "npm install chdb@$CHDB_VERSION failed"; exit 1
  fi
  if ! printf '%s  %s\n%s  %s\n' \
      "$CHDB_LIB_SHA256" "$staging/$CHDB_NATIVE_DIR/libchdb.so" \
      "$CHDB_ADDON_SHA256" "$staging/$CHDB_NATIVE_DIR/chdb_node.node" | sha256sum -c --status; then
    log "checksum mismatch for chDB's native library in $staging/$CHDB_NATIVE_DIR"; exit 1
  fi
  touch "$staging/.verified"
  rm -rf "$root"
  mkdir -p "$(dirname "$root")"
  # -T: if a concurrent setup got there first, fail instead of moving into its folder.
  mv -T "$staging" "$root" 2>/dev/null || rm -rf "$staging"
  if ! chdb_works "$root"; then
    log "chDB installed in $root does not answer a query"; exit 1
  fi
}

main() {
  install_debian_packages
  local cache=${DLAKE_CACHE:-$HOME/.cache/dlake}
  install_chdb "${DLAKE_CHDB_DIR:-$cache/chdb-$CHDB_VERSION}"
  local root=$cache/duckdb-$DUCKDB_VERSION
  if [ -n "${DUCKDB_ROOT:-}" ]; then
    root=$DUCKDB_ROOT
    log "using DUCKDB_ROOT=$root"
  else
    install_duckdb "$root"
  fi
  echo "$root"
}

main "$@"
