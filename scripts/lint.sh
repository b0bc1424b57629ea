#!/usr/bin/env bash
# The written rules, checked: clang-format (.clang-format) over every C++ file git tracks, and
# clang-tidy (.clang-tidy, findings are errors) over the library's sources.
# Usage: scripts/lint.sh format|tidy [BUILD_DIR]   (tidy needs BUILD_DIR/compile_commands.json)
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: lint.sh format|tidy [BUILD_DIR]}
build=${2:-build}

case "$what" in
  format)
    mapfile -t files < <(git ls-files '*.cc' '*.h')
    if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/dlake-format.$$; then
      grep -o '^[^:]*:[0-9]*' /tmp/dlake-format.$$ | sort -u | head -n 40 >&2
      rm -f /tmp/dlake-format.$$
      echo "lint: files above are not clang-formatted; run: clang-format -i \$(git ls-files '*.cc' '*.h')" >&2
      exit 1
    fi
    rm -f /tmp/dlake-format.$$
    echo "lint: ${#files[@]} files formatted"
    ;;
  tidy)
    mapfile -t files < <(git ls-files 'src/*.cc' | grep -v '_test\.cc$')
    # CI builds with -Werror: warnings clang does not know (GCC-only flags) must not be errors.
    run-clang-tidy -quiet -p "$build" -j "$(nproc)" -extra-arg=-Wno-unknown-warning-option \
      -extra-arg=-Wno-string-concatenation "${files[@]}" >/tmp/dlake-tidy.$$ 2>&1 || {
      grep -E 'error:|warning:' /tmp/dlake-tidy.$$ | sort -u | head -n 60 >&2
      rm -f /tmp/dlake-tidy.$$
      echo "lint: clang-tidy findings above" >&2
      exit 1
    }
    rm -f /tmp/dlake-tidy.$$
    echo "lint: clang-tidy clean on ${#files[@]} files"
    ;;
  *) echo "usage: lint.sh format|tidy [BUILD_DIR]" >&2; exit 2 ;;
esac
