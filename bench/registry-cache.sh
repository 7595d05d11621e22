#!/usr/bin/env bash
# The stage cache shared through a registry, side by side in one run, ratios printed. A
# docker-registry of the script's own serves on a free 127.0.0.1 port, its storage in a scratch
# directory. Each figure is the median of $BENCH_REPEAT runs (default 5).
#   bench/registry-cache.sh          (docker-registry, skopeo and the example's compilers)
# Rows, for examples/hello and for Debian's cJSON (CMake and ctest; when its source is in the
# test cache), each on the five platforms:
#   1. a cold run with --cache-to REF,mode=max vs a run on an EMPTY local cache with
#      --cache-from REF (goal: at most 10% of cold, plus the transfer);
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

# A project's two rows: (1) a cold run with --cache-to REF,mode=max (the registry wiped before
# each) vs a run on an EMPTY local cache with --cache-from REF; (2) `xbuild cache pull` of the
# entries the cold run wrote vs `skopeo sync` of the same tags to dir:, with bytes and rates.
# The goal of (1): at most 10% of cold plus the transfer, (2)'s time.
measure() {  # name, project directory, run arguments...
  local name=$1 dir=$2 ref="127.0.0.1:$port/bench/$1-cache"
  shift 2
  local project="$dir/xbuild.toml" wipe="rm -rf '$work/registry/storage/docker/registry/v2/repositories/bench/$name-cache'"
  prepare="$wipe; rm -rf '$dir/.xbuild' '$work/cold-$name'"
  local t_cold t_warm t_pull t_skopeo entries pull_bytes skopeo_bytes goal
  t_cold=$(median "$xbuild" run "$@" --cache-dir "$work/cold-$name" --cache-to "$ref,mode=max" "$project")
  eval "$prepare"
  "$xbuild" run "$@" --cache-dir "$work/cold-$name" --cache-to "$ref,mode=max" "$project" >/dev/null 2>&1
  prepare="rm -rf '$dir/.xbuild' '$work/warm-$name'"
  t_warm=$(median "$xbuild" run "$@" --cache-dir "$work/warm-$name" --cache-from "$ref" "$project")
  grep -q "restored from" "$work/last.out" || { echo "the warm run restored nothing:" >&2; cat "$work/last.out" >&2; exit 1; }
  if grep -q "running (" "$work/last.out"; then echo "the warm $name run ran stages:" >&2; cat "$work/last.out" >&2; exit 1; fi
  entries=$(ls "$work/cold-$name/entries" | wc -l)
  prepare="rm -rf '$work/pulled'"
  t_pull=$(median "$xbuild" cache pull "$ref" --cache-dir "$work/pulled")
  grep -q "pulled $entries cache entr" "$work/last.out" || { echo "the pull did not fetch $entries entries:" >&2; cat "$work/last.out" >&2; exit 1; }
  pull_bytes=$(du -sb "$work/pulled/entries" "$work/pulled/objects" | awk '{s += $1} END {print s}')
  prepare="rm -rf '$work/synced'"
  t_skopeo=$(median skopeo sync --src docker --dest dir --src-tls-verify=false "$ref" "$work/synced")
  skopeo_bytes=$(du -sb "$work/synced" | awk '{print $1}')
  prepare=
  goal=$(awk -v c="$t_cold" -v p="$t_pull" 'BEGIN {printf "%.3f", 0.10 * c + p}')
  row "$name, empty local cache, --cache-from" "$t_warm" "cold run with --cache-to mode=max" "$t_cold" \
    "goal <= 0.10x cold + transfer = $goal s"
  row "$name: cache pull ($entries entries)" "$t_pull" "skopeo sync of the same tags to dir:" "$t_skopeo" \
    "$(mib_per_s "$pull_bytes" "$t_pull") vs $(mib_per_s "$skopeo_bytes" "$t_skopeo")"
}

cp -r "$root/examples/hello" "$work/hello"
rm -rf "$work/hello/.xbuild"
measure hello "$work/hello"

# A real project: Debian's cJSON (CMake, its ctest suite) on the five platforms, from the source
# bench/run.sh's cjson row fetched into the test cache.
cjson=$(ls -d "${XBUILD_TEST_CACHE:-/var/cache/xbuild-tests}"/sources/cjson-*/source 2>/dev/null | tail -1 || true)
if [ -z "$cjson" ]; then
  echo "note: no cJSON source in ${XBUILD_TEST_CACHE:-/var/cache/xbuild-tests}/sources (BENCH_ROWS=cjson bench/run.sh fetches it); its rows left out" >&2
else
  cp -a "$cjson" "$work/cjson"
  rm -rf "$work/cjson/.xbuild"
  cp "$root/bench/projects/cjson.toml" "$work/cjson/xbuild.toml"
  measure cjson "$work/cjson"
fi

echo "registry cache, $repeat runs each (median), registry at 127.0.0.1:$port, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg):"
printf '%s\n' "${rows[@]}"
