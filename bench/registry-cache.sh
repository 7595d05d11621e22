#!/usr/bin/env bash
# The stage cache shared through a registry, side by side in one run, ratios printed. A
# docker-registry of the script's own serves on a free 127.0.0.1 port, its storage in a scratch
# directory. Each figure is the median of $BENCH_REPEAT runs (default 5).
#   bench/registry-cache.sh          (docker-registry, skopeo and the example's compilers)
# Rows:
#   1. examples/hello (5 platforms): a cold run with --cache-to REF,mode=max vs a run on an EMPTY
#      local cache with --cache-from REF (goal: at most 10% of cold, plus the transfer). Left out,
#      with a note, when this build of xbuild has no --cache-from.
#   2. the transfer: `xbuild cache pull REF` of those entries into an empty cache vs `skopeo sync`
#      of the same tags to dir: (every blob checked by both); each row says the bytes it moved and
#      the rate.
# XBUILD_BUILD_DIR picks the build (default build-release, made when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XBUILD_BUILD_DIR:-$root/build-release}
repeat=${BENCH_REPEAT:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/xbuild-bench-cache.XXXXXX")
registry_pid=
cleanup() {
  local status=$?
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

for tool in docker-registry skopeo python3; do
  command -v "$tool" >/dev/null || { echo "registry-cache bench: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -f "$build/build.ninja" ] || meson setup "$build" "$root" -Dbuildtype=release -Dtests=false >/dev/null
ninja -C "$build" >/dev/null
xbuild="$build/xbuild"
export XBUILD_DATA_DIR="$root" SOURCE_DATE_EPOCH=1700000000
export XBUILD_CACHE_DIR="$work/unused-cache"  # every command below names its own --cache-dir

# The registry: a free loopback port, storage under $work (wiped between cold runs, so each
# cold run uploads everything again).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry/storage"
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break
  sleep 0.1
done
ref="127.0.0.1:$port/bench/hello-cache"

# Median wall time in seconds of running "$@" $repeat times; $prepare runs (untimed) before each.
median() {
  local times=() i start end
  for ((i = 0; i < repeat; i++)); do
    [ -n "${prepare:-}" ] && eval "$prepare"
    start=$EPOCHREALTIME
    "$@" >"$work/last.out" 2>&1 || { echo "benchmark command failed: $*" >&2; cat "$work/last.out" >&2; exit 1; }
    end=$EPOCHREALTIME
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

rows=()
row() {  # name, xbuild seconds, baseline name, baseline seconds, goal or note
  local ratio
  ratio=$(awk -v a="$2" -v b="$4" 'BEGIN {r = a / b; printf (r < 0.1 ? "%.3f" : "%.2f"), r}')
  rows+=("$(printf '%-46s %8.3f s  %-34s %8.3f s  %6sx  %s' "$1" "$2" "$3" "$4" "$ratio" "$5")")
}
mib_per_s() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.1f MiB in %.3f s = %.1f MiB/s", b / 1048576, s, b / 1048576 / s}'; }

cp -r "$root/examples/hello" "$work/hello"
rm -rf "$work/hello/.xbuild"
project="$work/hello/xbuild.toml"
wipe_registry="rm -rf '$work/registry/storage/docker'"

# Row 1: cold with --cache-to vs warm from the registry on an empty local cache.
if "$xbuild" run --help 2>/dev/null | grep -q -- '--cache-from'; then
  prepare="$wipe_registry; rm -rf '$work/hello/.xbuild' '$work/cold-cache'"
  t_cold=$(median "$xbuild" run --cache-dir "$work/cold-cache" --cache-to "$ref,mode=max" "$project")
  eval "$prepare"
  "$xbuild" run --cache-dir "$work/cold-cache" --cache-to "$ref,mode=max" "$project" >/dev/null 2>&1
  prepare="rm -rf '$work/hello/.xbuild' '$work/warm-cache'"
  t_warm=$(median "$xbuild" run --cache-dir "$work/warm-cache" --cache-from "$ref" "$project")
  grep -q "restored from" "$work/last.out" || { echo "the warm run restored nothing:" >&2; cat "$work/last.out" >&2; exit 1; }
  warm_row=1
  cold_seconds=$t_cold
  seed="$work/cold-cache"
else
  echo "note: $xbuild has no --cache-from; row 1 left out (the transfer rows seed the registry with cache push)" >&2
  rm -rf "$work/hello/.xbuild"
  "$xbuild" run --cache-dir "$work/seed-cache" "$project" >/dev/null 2>&1
  "$xbuild" cache push "$ref" --cache-dir "$work/seed-cache" >/dev/null
  seed="$work/seed-cache"
fi
entries=$(ls "$seed/entries" | wc -l)

# Row 2: the same entries pulled by xbuild and synced by skopeo, each into an empty directory.
prepare="rm -rf '$work/pulled'"
t_pull=$(median "$xbuild" cache pull "$ref" --cache-dir "$work/pulled")
grep -q "pulled $entries cache entr" "$work/last.out" || { echo "the pull did not fetch $entries entries:" >&2; cat "$work/last.out" >&2; exit 1; }
pull_bytes=$(du -sb "$work/pulled/entries" "$work/pulled/objects" | awk '{s += $1} END {print s}')
prepare="rm -rf '$work/synced'"
t_skopeo=$(median skopeo sync --src docker --dest dir --src-tls-verify=false "$ref" "$work/synced")
skopeo_bytes=$(du -sb "$work/synced" | awk '{print $1}')
if [ -n "${warm_row:-}" ]; then
  goal=$(awk -v c="$cold_seconds" -v p="$t_pull" 'BEGIN {printf "%.3f", 0.10 * c + p}')
  row "hello, empty local cache, --cache-from" "$t_warm" "cold run with --cache-to mode=max" "$t_cold" \
    "goal <= 0.10x + transfer: $goal s"
fi
row "xbuild cache pull ($entries entries)" "$t_pull" "skopeo sync of the same tags to dir:" "$t_skopeo" \
  "$(mib_per_s "$pull_bytes" "$t_pull") vs $(mib_per_s "$skopeo_bytes" "$t_skopeo")"

echo "registry cache, $repeat runs each (median), registry at 127.0.0.1:$port, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg):"
printf '%s\n' "${rows[@]}"
