#!/usr/bin/env bash
# Shard imbalance with skewed stage costs, side by side in one run: the shards dealt round-robin
# by name (--shard I/N alone) against the shards packed by measured time (--shard I/N
# --durations FILE, the durations from a first unsharded run's --metadata-file). Prints each
# shard's wall time and max shard time / mean shard time for both (goal <= 1.15 packed).
#   bench/shard-balance.sh          (needs the cross compilers of scripts/install-deps.sh)
# BENCH_SHARDS: the shard counts to try (default "2 3"); BENCH_SCALE: seconds per cost unit
# (default 1). XBUILD_BUILD_DIR picks the build, as bench/run.sh.
#
# The project: five Linux platforms whose build stage sleeps 2, 3, 3, 4 and 6 units
# ([platform."...".stage.build] overrides), the skew of a matrix where emulated or big targets
# take longest; riscv64 the longest, as emulated targets often are. Each shard runs with -j 1, so
# its wall time is the sum of its stages, as on a runner whose every core one compile keeps busy;
# the shards run one after another here, each measured on its own, as separate CI runners would
# run them side by side. Every run is --no-cache: runners start empty.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XBUILD_BUILD_DIR:-$root/build-release}
shard_counts=${BENCH_SHARDS:-2 3}
scale=${BENCH_SCALE:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/xbuild-shard-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

[ -f "$build/build.ninja" ] || meson setup "$build" "$root" -Dbuildtype=release -Dtests=false >/dev/null
ninja -C "$build" xbuild >/dev/null
xbuild="$build/xbuild"
export XBUILD_DATA_DIR="$root" SOURCE_DATE_EPOCH=1700000000
export XBUILD_CACHE_DIR="$work/cache"  # never the user's cache

# platform=cost units, in config order
costs=("linux/amd64=2" "linux/arm64=4" "linux/arm/v7=3" "linux/386=3" "linux/riscv64=6")
project="$work/skew"
mkdir -p "$project"
{
  printf '[project]\nname = "skew"\nversion = "1.0.0"\n\n[targets]\nplatforms = ['
  sep=""
  for entry in "${costs[@]}"; do
    printf '%s"%s"' "$sep" "${entry%%=*}"
    sep=", "
  done
  printf ']\n\n[stage.build]\nrun = '\''echo built > "$XBUILD_OUT/built"'\''\n'
  for entry in "${costs[@]}"; do
    seconds=$(awk -v u="${entry##*=}" -v s="$scale" 'BEGIN {print u * s}')
    printf '\n[platform."%s".stage.build]\nrun = '\''sleep %s && echo built > "$XBUILD_OUT/built"'\''\n' \
      "${entry%%=*}" "$seconds"
  done
} >"$project/xbuild.toml"

# Wall time in seconds of "$@" (bash's own clock: no process start inside the timed span).
timed() {
  local start end
  start=$EPOCHREALTIME
  "$@" >"$work/last.log" 2>&1 || {
    echo "benchmark command failed: $*" >&2
    cat "$work/last.log" >&2
    exit 1
  }
  end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}'
}

# The first, unsharded run: its metadata holds each stage's measured duration.
durations="$work/durations.json"
t_whole=$(timed "$xbuild" run --no-cache -j 1 --metadata-file "$durations" -o "oci:$work/whole" \
  "$project/xbuild.toml")

# Runs every shard of $1 shards (extra arguments after it), prints "t1 t2 ... max/mean".
run_shards() {
  local count=$1 i times=() ratio
  shift
  for ((i = 1; i <= count; i++)); do
    rm -rf "$work/shard-$i"
    times+=("$(timed "$xbuild" run --no-cache -j 1 --shard "$i/$count" "$@" -o "oci:$work/shard-$i" \
      "$project/xbuild.toml")")
  done
  ratio=$(printf '%s\n' "${times[@]}" | awk '{s += $1; if ($1 > m) m = $1} END {printf "%.2f", m / (s / NR)}')
  echo "${times[*]} $ratio"
}

load_start=$(cut -d' ' -f1 /proc/loadavg)
echo "shard balance: 5 platforms, build stages of $(printf '%s ' "${costs[@]}")(x ${scale} s), -j 1 per shard"
echo "unsharded run (its --metadata-file is the durations file): ${t_whole} s"
for count in $shard_counts; do
  read -r -a rr <<<"$(run_shards "$count")"
  read -r -a packed <<<"$(run_shards "$count" --durations "$durations")"
  echo
  echo "$count shards           $(for ((i = 1; i <= count; i++)); do printf '%9s' "shard $i"; done)   max/mean"
  printf '  round-robin      '
  for ((i = 0; i < count; i++)); do printf '%7.2f s' "${rr[$i]}"; done
  printf '   %5sx\n' "${rr[$count]}"
  printf '  duration-packed  '
  for ((i = 0; i < count; i++)); do printf '%7.2f s' "${packed[$i]}"; done
  printf '   %5sx  goal <= 1.15x\n' "${packed[$count]}"
  # The longest shard is when the merge can start: what packing saves a nightly run.
  printf '%s\n' "${rr[@]:0:count}" | sort -g | tail -1 >"$work/rr-max"
  printf '%s\n' "${packed[@]:0:count}" | sort -g | tail -1 >"$work/packed-max"
  awk -v a="$(cat "$work/packed-max")" -v b="$(cat "$work/rr-max")" \
    'BEGIN {printf "  longest shard, packed / round-robin: %.2fx (%.2f s / %.2f s)\n", a / b, a, b}'
  "$xbuild" plan --shard "1/$count" --durations "$durations" "$project/xbuild.toml" |
    sed -n '2,/^PLATFORM/p' | grep '^shard ' | sed 's/^/  plan: /'
done
echo
echo "load average: $load_start at the start, $(cut -d' ' -f1 /proc/loadavg) at the end ($(nproc) cores)"
