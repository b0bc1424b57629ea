#!/usr/bin/env bash
# Installs the build into a temporary prefix (cmake --install) and checks what a program outside
# the project gets: every public header compiles on its own with nothing but the installed
# include folder, and a program linked with `pkg-config --libs dlake` runs.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
source=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags dlake)
libs=$(pkg-config --libs dlake)

# Each public header on its own: no private header, no third-party header is needed.
count=0
while IFS= read -r header; do
  echo "#include \"${header#"$work/prefix/include/"}\"" >"$work/one.cc"
  if ! c++ $cflags -fsyntax-only "$work/one.cc" 2>"$work/err"; then
    echo "public header ${header#"$work/prefix/include/"} does not compile on its own:" >&2
    cat "$work/err" >&2
    exit 1
  fi
  count=$((count + 1))
done < <(find "$work/prefix/include/dlake" -name '*.h' | sort)
[ "$count" -ge 20 ] || { echo "only $count public headers installed" >&2; exit 1; }
echo "$count public headers compile on their own"

c++ $cflags "$source/tests/install/consumer.cc" -o "$work/consumer" $libs
out=$("$work/consumer" "$work/run")
echo "$out"
echo "$out" | head -n 1 | grep -qx '\[\]' || { echo "expected an empty lake listing" >&2; exit 1; }
echo "$out" | tail -n 1 | grep -q '"rows":1' || { echo "expected a table of one row" >&2; exit 1; }
