#!/usr/bin/env bash
# Checks that every C++ source and header under src/ and tests/ is formatted per .clang-format.
# Changes nothing: runs `clang-format --dry-run --Werror` on each file, prints the files that
# would change, and exits 1 if there are any (0 if all are clean, 2 if clang-format is missing).
# Set CLANG_FORMAT to use a particular binary; -v also prints clang-format's diagnostics.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2

clang_format=${CLANG_FORMAT:-clang-format}
verbose=0
[ "${1:-}" = "-v" ] && verbose=1

if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "check-format: $clang_format not found" >&2
  exit 2
fi

bad=()
total=0
while IFS= read -r -d '' file; do
  total=$((total + 1))
  if ! out=$("$clang_format" --style=file --dry-run --Werror "$file" 2>&1); then
    bad+=("$file")
    [ "$verbose" -eq 1 ] && printf '%s\n' "$out" >&2
  fi
done < <(find src tests -type f \( -name '*.h' -o -name '*.cpp' \) -print0 | sort -z)

if [ "${#bad[@]}" -gt 0 ]; then
  echo "check-format: ${#bad[@]} of $total files need formatting:"
  printf '  %s\n' "${bad[@]}"
  echo "fix with: clang-format -i <file>..."
  exit 1
fi
echo "check-format: all $total files formatted"
