#!/usr/bin/env bash
# Runs every benchmark side by side with its baseline, in one run, and prints a table of
# figures and ratios. Each row is the median of $BENCH_REPEAT runs (default 5).
#   bench/run.sh            (needs the packages of scripts/install-deps.sh)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XBUILD_BUILD_DIR:-$root/build-release}
repeat=${BENCH_REPEAT:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/xbuild-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -f "$build/build.ninja" ] || meson setup "$build" "$root" -Dbuildtype=release -Dtests=false >/dev/null
ninja -C "$build" >/dev/null
xbuild="$build/xbuild"
export XBUILD_DATA_DIR="$root" SOURCE_DATE_EPOCH=1700000000

# Median wall time in seconds of running "$@" $repeat times; $prepare runs (untimed) before each.
median() {
  local times=() i start end
  for ((i = 0; i < repeat; i++)); do
    [ -n "${prepare:-}" ] && eval "$prepare"
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; exit 1; }
    end=$(date +%s.%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

rows=()
row() {  # name, xbuild seconds, baseline name, baseline seconds, goal
  local ratio
  ratio=$(awk -v a="$2" -v b="$4" 'BEGIN {print a / b}')
  rows+=("$(printf '%-44s %8.3f s  %-28s %8.3f s  %6.2fx  %s' "$1" "$2" "$3" "$4" "$ratio" "$5")")
}

# Row 1: the five-platform example, cold, xbuild (parallel on one loop) vs a sequential script.
cp -r "$root/examples/hello" "$work/hello"
rm -rf "$work/hello/.xbuild"
prepare="rm -rf '$work/hello/.xbuild' '$work/seq'"
t_xbuild=$(median "$xbuild" run "$work/hello/xbuild.toml")
t_seq=$(median "$root/bench/sequential-hello.sh" "$work/hello" "$work/seq")
row "xbuild run examples/hello (5 platforms)" "$t_xbuild" "sequential shell script" "$t_seq" "goal <= 0.60x"

echo "cores: $(nproc), runs per figure: $repeat (median)"
printf '%-44s %10s  %-28s %10s  %7s  %s\n' "benchmark" "xbuild" "baseline" "time" "ratio" "goal"
printf '%s\n' "${rows[@]}"
