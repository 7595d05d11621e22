#!/usr/bin/env bash
# Runs every benchmark side by side with its baseline, in one run, and prints a table of
# figures and ratios. Each row is the median of $BENCH_REPEAT runs (default 5).
#   bench/run.sh            (needs the packages of scripts/install-deps.sh)
# BENCH_ROWS picks rows by name (default: all of them): hello cjson incremental zlib trees emulate
# push many reports noop rss merge firmware ccache diagnostics, e.g. BENCH_ROWS="hello noop" bench/run.sh.
# XBUILD_BUILD_DIR picks the build.
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
export XBUILD_CACHE_DIR="$work/cache"  # never the user's cache
# The emulated rows register binfmt_misc's xbuild-qemu-aarch64 handler, as xbuild run does; when
# it was not there before, the bench removes it at the end.
handler=/proc/sys/fs/binfmt_misc/xbuild-qemu-aarch64
had_handler=no
[ -e "$handler" ] && had_handler=yes
load_start=$(cut -d' ' -f1 /proc/loadavg)  # the machine's other work, which the figures share it with

# Median wall time in seconds of running "$@" $repeat times; $prepare runs (untimed) before each.
median() {
  local times=() i start end
  for ((i = 0; i < repeat; i++)); do
    [ -n "${prepare:-}" ] && eval "$prepare"
    start=$EPOCHREALTIME  # bash's own clock: no process start inside the timed span
    "$@" >/dev/null 2>&1 || { echo "benchmark command failed: $*" >&2; exit 1; }
    end=$EPOCHREALTIME
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# Whether the row named $1 was asked for.
want() { [ -z "${BENCH_ROWS:-}" ] || [[ " $BENCH_ROWS " == *" $1 "* ]]; }

rows=()
row() {  # name, xbuild seconds, baseline name, baseline seconds, goal
  local ratio
  # Three decimals below 0.1, where two would round a 0.016 up to the 0.02 a goal names.
  ratio=$(awk -v a="$2" -v b="$4" 'BEGIN {r = a / b; printf (r < 0.1 ? "%.3f" : "%.2f"), r}')
  rows+=("$(printf '%-44s %8.3f s  %-28s %8.3f s  %6sx  %s' "$1" "$2" "$3" "$4" "$ratio" "$5")")
}

# Row 1: the five-platform example, cold, xbuild (parallel on one loop) vs a sequential script.
# The no-op row compares against this cold figure, so it measures it even when row 1 is not shown.
cp -r "$root/examples/hello" "$work/hello"
rm -rf "$work/hello/.xbuild"
if want hello || want noop; then
  prepare="rm -rf '$work/hello/.xbuild' '$work/seq'"
  t_xbuild=$(median "$xbuild" run --no-cache "$work/hello/xbuild.toml")
  t_cold=$t_xbuild
fi
if want hello; then
  t_seq=$(median "$root/bench/sequential-hello.sh" "$work/hello" "$work/seq")
  row "xbuild run examples/hello (5 platforms)" "$t_xbuild" "sequential shell script" "$t_seq" "goal <= 0.60x"
  # What this machine's cores give at best: two copies of the sequential script at once, timed
  # per copy. On an ideal 2-core machine 0.50x; xbuild's row 1 cannot beat this ratio.
  prepare="rm -rf '$work/seq' '$work/seq2'"
  t_pair=$(median bash -c "'$root/bench/sequential-hello.sh' '$work/hello' '$work/seq' & \
    '$root/bench/sequential-hello.sh' '$work/hello' '$work/seq2'; wait")
  t_half=$(awk -v a="$t_pair" 'BEGIN {print a / 2}')
  row "  ceiling: 2 scripts at once, per copy" "$t_half" "sequential shell script" "$t_seq" "(the cores' own limit)"
fi

# Prints the directory of Debian source package $1 of bookworm, unpacked once into
# $XBUILD_TEST_CACHE/sources/<name>-<version>/source as the end-to-end tests keep theirs
# (fetched into a temporary sibling, renamed when complete); prints nothing and says why on
# stderr when there is no deb-src entry or the archive does not have it.
debian_source() {
  local name=$1 dsc version sources fetch
  dsc=$(apt-get source --print-uris "$name/bookworm" 2>/dev/null |
    awk -v p="${name}_" 'index($2, p) == 1 && $2 ~ /\.dsc$/ {print $2}')
  version=${dsc#"${name}_"}
  version=${version%.dsc}
  if [ -z "$version" ]; then
    echo "skipping $name: no deb-src entry for bookworm (scripts/install-deps.sh adds one)" >&2
    return 0
  fi
  sources="${XBUILD_TEST_CACHE:-/var/cache/xbuild-tests}/sources/$name-$version"
  if [ ! -d "$sources/source" ]; then
    mkdir -p "$(dirname "$sources")"
    fetch=$(mktemp -d "$(dirname "$sources")/.$name-$version.tmp-XXXXXX")
    if ! (cd "$fetch" && apt-get source -qq --download-only "$name/bookworm" && dpkg-source -x "$dsc" source) \
      >/dev/null 2>&1; then
      rm -rf "$fetch"
      echo "skipping $name: cannot fetch its bookworm source package (apt-get source $name/bookworm)" >&2
      return 0
    fi
    mv -T "$fetch" "$sources" 2>/dev/null || rm -rf "$fetch"
  fi
  echo "$sources/source"
}

# Row: a real project, cJSON from Debian's source package, built with CMake and tested by its own
# ctest suite on the five platforms: xbuild against bench/sequential-cjson.sh (the same commands,
# one platform after another), and the machine's ceiling as in row 1. On a machine busy with
# other work, xbuild's five platforms at once get a larger share of the cores than two scripts
# do, so its ratio can come below this ceiling (the table's last line gives the load).
if ! want cjson; then
  :
elif ! command -v dpkg-source >/dev/null || ! command -v cmake >/dev/null || ! command -v unshare >/dev/null; then
  echo "skipping cjson: needs dpkg-dev, cmake and util-linux (scripts/install-deps.sh)" >&2
elif srcdir=$(debian_source cjson) && [ -n "$srcdir" ]; then
  cp -a "$srcdir" "$work/cjson"
  cp "$root/bench/projects/cjson.toml" "$work/cjson/xbuild.toml"
  prepare="rm -rf '$work/cjson/.xbuild' '$work/seq' '$work/seq2'"
  t_xbuild=$(median "$xbuild" run --no-cache "$work/cjson/xbuild.toml")
  t_seq=$(median "$root/bench/sequential-cjson.sh" "$work/cjson" "$work/seq")
  row "xbuild run cjson (5 platforms, ctest)" "$t_xbuild" "sequential shell script" "$t_seq" "goal <= 0.80x"
  t_pair=$(median bash -c "'$root/bench/sequential-cjson.sh' '$work/cjson' '$work/seq' & \
    '$root/bench/sequential-cjson.sh' '$work/cjson' '$work/seq2'; wait")
  t_half=$(awk -v a="$t_pair" 'BEGIN {print a / 2}')
  row "  ceiling: 2 scripts at once, per copy" "$t_half" "sequential shell script" "$t_seq" "(the cores' own limit)"
  rm -rf "$work/cjson" "$work/seq" "$work/seq2"
fi

# Rows: a one-line edit of XZ Utils (Debian's source package, autotools) on the five platforms.
# xbuild with a kept build tree ([stage.build] keep = ["build"]: configure once, then make
# rebuilds what the edit touches) against xbuild's full rebuild (the tree in $XBUILD_OUT, which
# each run empties: configure and make from nothing), and against the build system's own
# incremental command by hand: make and the same install in each kept tree xbuild made, one
# platform after another (the cross tools are named in the Makefiles). Each timed run follows a
# different one-line edit of src/xz/main.c (untimed), so each recompiles; the cache is on, as a
# kept tree needs (--no-cache wipes it), and an edit misses it. Both configs install into
# $XBUILD_OUT alone, so they pack the same files.
if ! want incremental; then
  :
elif ! command -v dpkg-source >/dev/null || ! command -v make >/dev/null; then
  echo "skipping incremental: needs dpkg-dev and make (scripts/install-deps.sh)" >&2
elif srcdir=$(debian_source xz-utils) && [ -n "$srcdir" ]; then
  # The config of the five platforms, with the build stage's lines from stdin.
  xz_config() {
    printf '[project]\nname = "xz-utils"\n\n[targets]\n'
    printf 'platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"]\n\n'
    printf '[stage.build]\n'
    cat
  }
  # --build as well as --host: configure knows it is cross compiling even where binfmt_misc runs
  # its test program (tests/e2e/real_projects_test.cpp).
  xz_configure='"$XBUILD_SRC/configure" $XBUILD_CONFIGURE_ARGS --disable-shared --disable-doc --disable-nls
    --disable-scripts --disable-lzmainfo --disable-lzma-links --disable-xzdec --disable-lzmadec'
  xz_configure=$(printf '%s' "$xz_configure" | tr -s '\n ' '  ')
  cp -a "$srcdir" "$work/xz-kept"
  cp -a "$srcdir" "$work/xz-full"
  xz_config >"$work/xz-kept/xbuild.toml" <<TOML
keep = ["build"]
run = '''
cd "\$XBUILD_WORK/build"
[ -f Makefile ] || $xz_configure
make
make install DESTDIR="\$XBUILD_OUT"
'''
TOML
  # The build tree goes once installed: the image holds what the kept config's does.
  xz_config >"$work/xz-full/xbuild.toml" <<TOML
run = '''
mkdir -p "\$XBUILD_OUT/build"
cd "\$XBUILD_OUT/build"
$xz_configure
make
make install DESTDIR="\$XBUILD_OUT"
cd /
rm -rf "\$XBUILD_OUT/build"
'''
TOML
  # The kept trees' first run, untimed (the full rebuild's runs are all alike).
  if ! "$xbuild" run "$work/xz-kept/xbuild.toml" >"$work/xz-kept.log" 2>&1; then
    tail -n 40 "$work/xz-kept.log" >&2
    echo "benchmark setup failed: xbuild run $work/xz-kept/xbuild.toml (log above)" >&2
    exit 1
  fi
  edits=0
  # Appends a comment no earlier run has seen to src/xz/main.c of project $1.
  edit_xz() { edits=$((edits + 1)); printf '/* bench edit %d */\n' "$edits" >>"$1/src/xz/main.c"; }
  # The baseline: make and the stage's install in each kept tree, one platform after another.
  by_hand() {
    local slug
    for slug in linux-amd64 linux-arm64 linux-arm-v7 linux-386 linux-riscv64; do
      make -C "$work/xz-kept/.xbuild/work/$slug/build" &&
        make -C "$work/xz-kept/.xbuild/work/$slug/build" install DESTDIR="$work/xz-hand/$slug" || return 1
    done
  }
  # The two figures of seconds are timed one after the other, under the same share of a busy
  # machine; the full rebuild's minutes come after.
  prepare="edit_xz '$work/xz-kept'"
  t_kept=$(median "$xbuild" run "$work/xz-kept/xbuild.toml")
  prepare="edit_xz '$work/xz-kept'; rm -rf '$work/xz-hand'"
  t_hand=$(median by_hand)
  prepare="edit_xz '$work/xz-full'"
  t_full=$(median "$xbuild" run "$work/xz-full/xbuild.toml")
  row "incremental: xz one-line edit (5 platforms)" "$t_kept" "xbuild full rebuild" "$t_full" "goal <= 0.10x"
  row "  the same xbuild run" "$t_kept" "make + install by hand, 5 trees" "$t_hand" "goal <= 1.00x"
  rm -rf "$work"/xz-*
fi

# The zlib and trees rows use sysroots and root filesystems xbuild makes from Debian packages
# (mmdebstrap) in the cache directory the end-to-end tests make theirs in,
# $XBUILD_TEST_CACHE/xbuild-cache, given with --cache-dir: they persist across bench runs, and
# the tests' arm64 bookworm sysroot with zlib1g-dev is the same tree. Each row runs its configs
# once untimed first, which makes the trees when they are missing (a bookworm point release
# names new ones) and checks that the stages pass. Their stages run with --no-cache, so nothing
# else lands in that cache.
trees="${XBUILD_TEST_CACHE:-/var/cache/xbuild-tests}/xbuild-cache"

# Why the rows that make Debian trees and emulate arm64 cannot run here, if they cannot.
trees_missing() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "root (mmdebstrap's trees, binfmt_misc and the emulated stages' chroot)"
  elif ! command -v mmdebstrap >/dev/null || ! command -v qemu-aarch64-static >/dev/null ||
    ! command -v aarch64-linux-gnu-gcc >/dev/null; then
    echo "mmdebstrap, qemu-user-static and gcc-aarch64-linux-gnu (scripts/install-deps.sh)"
  fi
}

# Runs the xbuild.toml of project $1 once, untimed, with the trees' cache; shows its log on failure.
warm() {
  if ! "$xbuild" run --no-cache --cache-dir "$trees" "$1/xbuild.toml" >"$1.log" 2>&1; then
    tail -n 40 "$1.log" >&2
    echo "benchmark setup failed: xbuild run $1/xbuild.toml (log above)" >&2
    exit 1
  fi
}

# Row: pngcheck, a real project from Debian's source package that links the target's zlib (it
# inflates a PNG's image data to check it), built by its own Makefile.unx as Debian builds it
# and tested as Debian's autopkgtests do, for linux/arm64 alone: cross against an xbuild-made
# sysroot with zlib1g-dev, against emulated (the target's own gcc under QEMU) in an xbuild-made
# root filesystem with gcc, make, libc6-dev and zlib1g-dev.
if ! want zlib; then
  :
elif [ -n "$(trees_missing)" ]; then
  echo "skipping zlib arm64: needs $(trees_missing)" >&2
elif srcdir=$(debian_source pngcheck) && [ -n "$srcdir" ]; then
  for strategy in cross emulate; do
    cp -a "$srcdir" "$work/zlib-$strategy"
    {
      printf '[project]\nname = "pngcheck"\n\n[targets]\nplatforms = ["linux/arm64"]\n'
      if [ "$strategy" = cross ]; then
        printf 'packages = ["zlib1g-dev"]\nsuite = "bookworm"\n\n[platform."linux/arm64"]\nstrategy = "cross"\n'
      else
        printf '\n[platform."linux/arm64"]\nstrategy = "emulate"\n'
        printf 'rootfs = { suite = "bookworm", packages = ["gcc", "make", "libc6-dev", "zlib1g-dev"] }\n'
      fi
      cat <<'TOML'

# Makefile.unx builds in the source directory: the programs move to $XBUILD_OUT, which also
# leaves nothing there that would make the next run's make a no-op.
[stage.build]
run = 'make -f Makefile.unx CC="$CC" && mv pngcheck pngsplit png-fix-IDAT-windowsize "$XBUILD_OUT/"'

[stage.test]
needs = ["build"]
run = '''
$XBUILD_EXEC "$XBUILD_OUT/pngcheck" -v debian/tests/openlogo-nd-100.png | grep '^No errors detected'
cp debian/tests/openlogo-nd-100.png "$XBUILD_OUT/test.png"
cd "$XBUILD_OUT"
$XBUILD_EXEC ./pngsplit test.png
cat test.png.* >concat.png
cmp test.png concat.png
'''
TOML
    } >"$work/zlib-$strategy/xbuild.toml"
    warm "$work/zlib-$strategy"
  done
  prepare="rm -rf '$work/zlib-cross/.xbuild' '$work/zlib-emulate/.xbuild'"
  t_cross=$(median "$xbuild" run --no-cache --cache-dir "$trees" "$work/zlib-cross/xbuild.toml")
  t_emulate=$(median "$xbuild" run --no-cache --cache-dir "$trees" "$work/zlib-emulate/xbuild.toml")
  row "zlib arm64: pngcheck, cross + sysroot" "$t_cross" "emulated in its rootfs" "$t_emulate" "goal <= 0.20x (5x)"
  rm -rf "$work"/zlib-*
fi

# Rows: what reusing a cached tree adds to a run: a one-stage run (`true`, linux/arm64) whose
# Debian tree is made already (the zlib row's), against the same run without it: cross with a
# sysroot of zlib1g-dev against cross with no packages, and emulated in a root filesystem made
# from packages against emulated in the directory root filesystem the e2e test EmulatedHello
# makes ($XBUILD_TEST_CACHE/rootfs-arm64-bookworm). The difference is the tree's resolution (the
# suite's InRelease fetched, the key, its locks) and, emulated, the overlay each stage gets over
# a shared tree.
if ! want trees; then
  :
elif [ -n "$(trees_missing)" ]; then
  echo "skipping trees: needs $(trees_missing)" >&2
else
  rootfs_dir="${XBUILD_TEST_CACHE:-/var/cache/xbuild-tests}/rootfs-arm64-bookworm"
  for kind in sysroot bare rootfs dir; do
    [ "$kind" = dir ] && [ ! -x "$rootfs_dir/bin/sh" ] && continue
    mkdir -p "$work/trees-$kind"
    {
      printf '[project]\nname = "trees"\n\n[targets]\nplatforms = ["linux/arm64"]\n'
      case $kind in
        sysroot) printf 'packages = ["zlib1g-dev"]\nsuite = "bookworm"\n\n[platform."linux/arm64"]\nstrategy = "cross"\n' ;;
        bare) printf '\n[platform."linux/arm64"]\nstrategy = "cross"\n' ;;
        rootfs)
          printf '\n[platform."linux/arm64"]\nstrategy = "emulate"\n'
          printf 'rootfs = { suite = "bookworm", packages = ["gcc", "make", "libc6-dev", "zlib1g-dev"] }\n'
          ;;
        dir) printf '\n[platform."linux/arm64"]\nstrategy = "emulate"\nrootfs = "%s"\n' "$rootfs_dir" ;;
      esac
      printf '\n[stage.only]\nrun = "true"\n'
    } >"$work/trees-$kind/xbuild.toml"
    warm "$work/trees-$kind"
  done
  prepare="rm -rf '$work'/trees-*/.xbuild"
  run_trees() { "$xbuild" run --no-cache --cache-dir "$trees" "$work/trees-$1/xbuild.toml"; }
  difference() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.3f s, goal <= 1 s", a - b}'; }
  t_tree=$(median run_trees sysroot)
  t_base=$(median run_trees bare)
  row "trees: run with a cached sysroot" "$t_tree" "the same, no packages" "$t_base" "$(difference "$t_tree" "$t_base")"
  t_tree=$(median run_trees rootfs)
  if [ -x "$rootfs_dir/bin/sh" ]; then
    t_base=$(median run_trees dir)
    row "trees: run in a cached rootfs (emulate)" "$t_tree" "a directory rootfs" "$t_base" "$(difference "$t_tree" "$t_base")"
  else
    rows+=("$(printf '%-44s %8.3f s  %-28s %10s  %7s  %s' "trees: run in a cached rootfs (emulate)" "$t_tree" \
      "(no $rootfs_dir)" "-" "-" "goal: the difference <= 1 s")")
  fi
  rm -rf "$work"/trees-*
fi

# Row: examples/hello for linux/arm64 alone, emulated (the target's gcc under QEMU inside the
# cached arm64 root filesystem the e2e tests build) against cross (Debian's aarch64 gcc).
rootfs="${XBUILD_TEST_CACHE:-/var/cache/xbuild-tests}/rootfs-arm64-bookworm"
if ! want emulate; then
  :
elif [ "$(id -u)" -ne 0 ] || [ ! -x "$rootfs/bin/sh" ]; then
  echo "skipping emulate vs cross: needs root and $rootfs (made by the e2e test EmulatedHello)" >&2
else
  for strategy in emulate cross; do
    mkdir -p "$work/arm64-$strategy"
    cp -r "$root/examples/hello/." "$work/arm64-$strategy/"
    rm -rf "$work/arm64-$strategy/.xbuild"
    sed -i 's|^platforms = .*|platforms = ["linux/arm64"]|' "$work/arm64-$strategy/xbuild.toml"
    printf '\n[platform."linux/arm64"]\nstrategy = "%s"\n' "$strategy" >>"$work/arm64-$strategy/xbuild.toml"
  done
  printf 'rootfs = "%s"\n' "$rootfs" >>"$work/arm64-emulate/xbuild.toml"
  prepare="rm -rf '$work/arm64-emulate/.xbuild' '$work/arm64-cross/.xbuild'"
  t_emulate=$(median "$xbuild" run --no-cache "$work/arm64-emulate/xbuild.toml")
  t_cross=$(median "$xbuild" run --no-cache "$work/arm64-cross/xbuild.toml")
  row "examples/hello linux/arm64, emulate" "$t_emulate" "the same, cross" "$t_cross" "(QEMU cost)"
fi

# Rows: pushing examples/hello's five-platform layout to a local registry (Debian's
# docker-registry, started here and stopped at the end), xbuild against skopeo copy --all,
# each run into a fresh repository; then a re-push of the unchanged image (every blob skipped).
if ! want push; then
  :
elif ! command -v docker-registry >/dev/null || ! command -v skopeo >/dev/null; then
  echo "skipping registry push: needs docker-registry and skopeo (scripts/install-deps.sh)" >&2
else
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$work/registry"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$work/registry/storage" "$port" >"$work/registry/config.yml"
  docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
  registry_pid=$!
  trap 'kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  layout="$work/hello/.xbuild/oci"
  [ -f "$layout/index.json" ] || "$xbuild" run "$work/hello/xbuild.toml" >/dev/null
  registry="127.0.0.1:$port"
  runs=0
  push_xbuild() { runs=$((runs + 1)); "$xbuild" push "oci:$layout" "$registry/bench/xbuild-$runs:1.0.0"; }
  push_skopeo() {
    runs=$((runs + 1))
    skopeo copy --all --dest-tls-verify=false "oci:$layout:1.0.0" "docker://$registry/bench/skopeo-$runs:1.0.0"
  }
  prepare=""
  t_xbuild=$(median push_xbuild)
  t_skopeo=$(median push_skopeo)
  row "push examples/hello (5 platforms, new repo)" "$t_xbuild" "skopeo copy --all" "$t_skopeo" "goal < 1.00x"
  "$xbuild" push "oci:$layout" "$registry/bench/again:1.0.0" >/dev/null
  skopeo copy --all --dest-tls-verify=false "oci:$layout:1.0.0" "docker://$registry/bench/again-skopeo:1.0.0" >/dev/null
  t_xbuild=$(median "$xbuild" push "oci:$layout" "$registry/bench/again:1.0.0")
  t_skopeo=$(median skopeo copy --all --dest-tls-verify=false "oci:$layout:1.0.0" "docker://$registry/bench/again-skopeo:1.0.0")
  row "re-push unchanged (every blob skipped)" "$t_xbuild" "skopeo copy --all" "$t_skopeo" "goal xbuild < 0.1 s"
  kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null || true
  trap 'rm -rf "$work"' EXIT
fi

# Row: 500 trivial jobs (one platform, 500 stages of `true`) through xbuild against the same
# 500 commands through ninja, both with -j of the number of cores.
if want many; then
  mkdir -p "$work/many"
  {
    printf '[project]\nname = "many"\n[targets]\nplatforms = ["linux/amd64"]\n'
    for i in $(seq 500); do printf '[stage.s%d]\nrun = "true"\n' "$i"; done
  } >"$work/many/xbuild.toml"
  {
    printf 'rule r\n  command = /bin/sh -c true\n'
    for i in $(seq 500); do printf 'build out%d: r\n' "$i"; done
  } >"$work/many/build.ninja"
  prepare=""
  t_many=$(median "$xbuild" run --no-cache -j "$(nproc)" "$work/many/xbuild.toml")
  t_ninja=$(median ninja -C "$work/many" -j "$(nproc)")
  row "500 trivial jobs" "$t_many" "ninja, the same 500 commands" "$t_ninja" "goal <= 1.50x"
fi

# Row: what the report writers add to a 500-job run (5 platforms x 100 stages of `true`, images
# packed): the run with --junit, --metadata-file, --report-html and --report-markdown against the
# same run without them. The two alternate, so the machine's other work weighs on both alike.
if want reports; then
  mkdir -p "$work/reports" "$work/reports-out"
  {
    printf '[project]\nname = "reports"\n[targets]\n'
    printf 'platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"]\n'
    for i in $(seq 100); do printf '[stage.s%d]\nrun = "true"\n' "$i"; done
  } >"$work/reports/xbuild.toml"
  out=$work/reports-out
  prepare=""
  plain=() reported=()
  for ((r = 0; r < repeat; r++)); do
    plain+=("$(repeat=1 median "$xbuild" run --no-cache -j "$(nproc)" "$work/reports/xbuild.toml")")
    reported+=("$(repeat=1 median "$xbuild" run --no-cache -j "$(nproc)" --junit "$out/junit.xml" \
      --metadata-file "$out/metadata.json" --report-html "$out/report.html" --report-markdown "$out/report.md" \
      "$work/reports/xbuild.toml")")
  done
  middle() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  row "500 jobs, --junit --metadata-file --report-*" "$(middle "${reported[@]}")" "the same run, no report files" \
    "$(middle "${plain[@]}")" "goal <= 1.05x"
  rm -rf "$work/reports" "$work/reports-out"
fi

# Row: a no-op rerun of the five-platform example (every platform from the cache) against its
# cold build (row 1).
if want noop; then
  rm -rf "$work/hello/.xbuild"
  prepare=""
  "$xbuild" run "$work/hello/xbuild.toml" >/dev/null 2>&1
  t_noop=$(median "$xbuild" run "$work/hello/xbuild.toml")
  row "no-op rerun of examples/hello (cached)" "$t_noop" "its cold build (row 1)" "$t_cold" "goal < 0.2 s, < 0.02x"
fi

# Rows: the diagnostics of a config that is all mistakes, 10,000 platforms on one line (every
# other one unknown, the rest duplicates), through `xbuild plan`: the bytes it writes and its
# time, each against the bound it is held to (64 KiB, 0.5 s). The same file cannot be run through
# the code before the bound, so the baseline is the figure the hardening issue measured then:
# 2.1 GB of stderr for a 140 KB file, each error echoing the whole line.
if want diagnostics; then
  mkdir -p "$work/diagnostics"
  awk 'BEGIN {
    printf "[project]\nname = \"diagnostics\"\n\n[targets]\nplatforms = ["
    for (i = 0; i < 10000; i++) printf "%s\"%s\"", (i ? ", " : ""), (i % 2 ? "linux/amd64" : "linux/bogus" i)
    printf "]\n\n[stage.build]\nrun = \"true\"\n"
  }' >"$work/diagnostics/xbuild.toml"
  times=()
  for ((i = 0; i < repeat; i++)); do
    start=$EPOCHREALTIME
    status=0
    "$xbuild" plan -f "$work/diagnostics/xbuild.toml" 2>"$work/diagnostics/stderr" >/dev/null || status=$?
    end=$EPOCHREALTIME
    [ "$status" -eq 2 ] || { echo "diagnostics: xbuild plan exited $status, not 2" >&2; exit 1; }
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')")
  done
  t_diagnostics=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  bytes=$(wc -c <"$work/diagnostics/stderr")
  rows+=("$(printf '%-44s %8d B  %-28s %8d B  %6.3fx  %s' "diagnostics: 10,000 platforms, stderr" "$bytes" \
    "the bound (2.1 GB before)" 65536 "$(awk -v a="$bytes" 'BEGIN {print a / 65536}')" "goal <= 64 KiB, <= 1.00x")")
  row "diagnostics: 10,000 platforms, xbuild plan" "$t_diagnostics" "the bound" 0.5 "goal <= 0.5 s, <= 1.00x"
  rm -rf "$work/diagnostics"
fi

# Row: peak resident memory while packing a 500 MiB output (incompressible), against tar | gzip
# of the same file; /usr/bin/time -v, one run each.
if ! want rss; then
  :
elif [ -x /usr/bin/time ]; then
  mkdir -p "$work/big"
  printf '[project]\nname = "big"\n[targets]\nplatforms = ["linux/amd64"]\n[stage.make]\nrun = "head -c 524288000 /dev/urandom > $XBUILD_OUT/big"\n' \
    >"$work/big/xbuild.toml"
  rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {gsub(/ /, "", $2); print $2}'; }
  kb_xbuild=$(rss "$xbuild" run --no-cache "$work/big/xbuild.toml")
  kb_tar=$(rss sh -c "tar -C '$work/big/.xbuild/out/linux-amd64' -cf - big | gzip -6 > '$work/big.tar.gz'")
  rows+=("$(printf '%-44s %6d MiB  %-28s %6d MiB  %6.2fx  %s' "peak RSS packing a 500 MiB output" \
    "$((kb_xbuild / 1024))" "tar | gzip (gzip's RSS)" "$((kb_tar / 1024))" \
    "$(awk -v a="$kb_xbuild" -v b="$kb_tar" 'BEGIN {print a / b}')" "goal < 64 MiB")")
  rm -rf "$work/big" "$work/big.tar.gz"
else
  echo "skipping peak RSS: needs /usr/bin/time (package time)" >&2
fi

# Row: merging the three shard layouts of the five-platform example (run --shard I/3) into one
# index (every blob verified, then hard-linked) against copying the unsharded layout (cp -r).
if want merge; then
  for i in 1 2 3; do "$xbuild" run --shard "$i/3" -o "oci:$work/shard-$i" "$work/hello/xbuild.toml" >/dev/null; done
  "$xbuild" run -o "oci:$work/unsharded" "$work/hello/xbuild.toml" >/dev/null
  prepare="rm -rf '$work/merged' '$work/copied'"
  t_merge=$(median "$xbuild" merge "$work/shard-1" "$work/shard-2" "$work/shard-3" -o "oci:$work/merged")
  t_copy=$(median cp -r "$work/unsharded" "$work/copied")
  row "merge 3 shards of examples/hello" "$t_merge" "cp -r of the unsharded layout" "$t_copy" "(verify + link)"
  rm -rf "$work/merged" "$work/copied" "$work"/shard-? "$work/unsharded"
fi

# Rows: one firmware test (examples/firmware's test.elf on cortex-m3) through `xbuild firmware
# test` (vector table check, process group, hang and overall timeouts, pass pattern) against
# qemu-system-arm run directly on the same ELF with the same machine, CPU and semihosting flags:
# with QEMU's instruction counting, as xbuild runs tests by default (-icount
# shift=6,align=off,sleep=off, firmware/qemu_test.h's kDefaultIcountShift), and without it
# (--icount off). The goal column gives xbuild's overhead per ELF. Then what instruction counting
# costs a suite: `xbuild run` of examples/firmware (three Cortex-M targets and linux/amd64, each
# built and tested) with [firmware] icount at its default against icount = false.
if ! want firmware; then
  :
elif command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null; then
  cp -r "$root/examples/firmware" "$work/firmware"
  rm -rf "$work/firmware/.xbuild"
  # The target's environment (CC, CFLAGS, LDFLAGS with xbuild's startup), as a stage has it.
  (set -a; eval "$("$xbuild" firmware env --target cortex-m3 --config "$work/firmware/xbuild.toml" 2>/dev/null)"; set +a
   make -s -C "$work/firmware" OUT="$work/firmware/build" "$work/firmware/build/test.elf" >/dev/null)
  elf="$work/firmware/build/test.elf"
  qemu=(qemu-system-arm -M mps2-an385 -cpu cortex-m3 -nographic -monitor none
    -semihosting-config enable=on,target=native)
  overhead() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.3f s per ELF, goal <= 0.1 s", a - b}'; }
  prepare=""
  t_icount=$(median "$xbuild" firmware test --target cortex-m3 "$elf")
  t_qemu=$(median "${qemu[@]}" -icount shift=6,align=off,sleep=off -kernel "$elf")
  row "firmware test cortex-m3, -icount (default)" "$t_icount" "qemu-system-arm, same flags" "$t_qemu" \
    "$(overhead "$t_icount" "$t_qemu")"
  t_off=$(median "$xbuild" firmware test --target cortex-m3 --icount off "$elf")
  t_qemu=$(median "${qemu[@]}" -kernel "$elf")
  row "firmware test cortex-m3, --icount off" "$t_off" "qemu-system-arm, same flags" "$t_qemu" \
    "$(overhead "$t_off" "$t_qemu")"
  row "  the same ELF, -icount against off" "$t_icount" "xbuild firmware test, off" "$t_off" "(icount's cost)"
  rm -rf "$work/firmware/build"
  cp -r "$work/firmware" "$work/firmware-off"
  sed -i 's/^timeout = "30s"$/&\nicount = false/' "$work/firmware-off/xbuild.toml"
  grep -q '^icount = false$' "$work/firmware-off/xbuild.toml" || {
    echo "benchmark setup failed: no [firmware] timeout line in examples/firmware/xbuild.toml to add icount after" >&2
    exit 1
  }
  prepare="rm -rf '$work/firmware/.xbuild' '$work/firmware-off/.xbuild'"
  t_icount=$(median "$xbuild" run --no-cache "$work/firmware/xbuild.toml")
  t_off=$(median "$xbuild" run --no-cache "$work/firmware-off/xbuild.toml")
  row "xbuild run examples/firmware, -icount" "$t_icount" "the same, icount = false" "$t_off" "(icount's cost)"
  rm -rf "$work/firmware" "$work/firmware-off"
else
  echo "skipping firmware test: needs gcc-arm-none-eabi and qemu-system-arm" >&2
fi

# Rows: [targets] ccache on a clean rebuild (--no-cache: every stage runs, $XBUILD_OUT starts
# empty) on the five Linux platforms, CMake and Ninja, of two projects from Debian's source
# packages: cJSON (small: CMake's configure step, which ccache cannot shorten, is most of it)
# and zstd (its library and program: compiling is most of it). Each with every target's local
# ccache warm against no ccache at all (cold); then with a fresh local cache and a warm remote
# storage (a redis-server of the bench's own on 127.0.0.1, warmed by another cache directory: a
# second machine) against the same cold figure.
ccache_rows() {  # label, source directory, the stage's commands
  local label=$1 srcdir=$2 script=$3 copy t_cold t_local t_remote
  for copy in cold local remote second; do
    rm -rf "$work/ccache-$copy" "$work/ccache-$copy-cache"
    cp -a "$srcdir" "$work/ccache-$copy"
  done
  ccache_config "$work/ccache-cold" "" "$script"
  ccache_config "$work/ccache-local" "ccache = true" "$script"
  ccache_config "$work/ccache-remote" "ccache = true
ccache_remote = \"redis://127.0.0.1:$port\"" "$script"
  cp "$work/ccache-remote/xbuild.toml" "$work/ccache-second/xbuild.toml"
  # Warm once, untimed: the local cache of its own, and the remote from the "second machine".
  "$xbuild" run --no-cache --cache-dir "$work/ccache-local-cache" "$work/ccache-local/xbuild.toml" >/dev/null
  "$xbuild" run --no-cache --cache-dir "$work/ccache-second-cache" "$work/ccache-second/xbuild.toml" >/dev/null
  prepare="rm -rf '$work/ccache-cold/.xbuild'"
  t_cold=$(median "$xbuild" run --no-cache --cache-dir "$work/ccache-cold-cache" "$work/ccache-cold/xbuild.toml")
  prepare="rm -rf '$work/ccache-local/.xbuild'"
  t_local=$(median "$xbuild" run --no-cache --cache-dir "$work/ccache-local-cache" "$work/ccache-local/xbuild.toml")
  row "clean rebuild $label (5 platforms), ccache warm" "$t_local" "the same without ccache" "$t_cold" "goal <= 0.30x"
  prepare="rm -rf '$work/ccache-remote/.xbuild' '$work/ccache-remote-cache'"
  t_remote=$(median "$xbuild" run --no-cache --cache-dir "$work/ccache-remote-cache" "$work/ccache-remote/xbuild.toml")
  row "  fresh local cache, remote (redis) warm" "$t_remote" "the same without ccache" "$t_cold" "goal <= 0.30x"
  rm -rf "$work"/ccache-*
}
ccache_config() {  # project directory, extra [targets] keys, the stage's commands
  cat >"$1/xbuild.toml" <<TOML
[project]
name = "ccache-bench"

[targets]
platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"]
$2

[stage.build]
run = '''
$3
'''
TOML
}
if ! want ccache; then
  :
elif ! command -v ccache >/dev/null || ! command -v redis-server >/dev/null || ! command -v cmake >/dev/null ||
  ! command -v dpkg-source >/dev/null; then
  echo "skipping ccache: needs ccache, redis-server, cmake and dpkg-dev (scripts/install-deps.sh)" >&2
else
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  if srcdir=$(debian_source cjson) && [ -n "$srcdir" ]; then
    ccache_rows cjson "$srcdir" 'cmake -S . -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=ON -DENABLE_CJSON_UTILS=ON
cmake --build "$XBUILD_OUT/build"'
  fi
  if srcdir=$(debian_source libzstd) && [ -n "$srcdir" ]; then
    ccache_rows zstd "$srcdir" 'cmake -S build/cmake -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_TESTS=OFF -DZSTD_LEGACY_SUPPORT=OFF
cmake --build "$XBUILD_OUT/build"'
  fi
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
fi

if [ "$had_handler" = no ] && [ -e "$handler" ]; then echo -1 >"$handler"; fi

echo "cores: $(nproc), runs per figure: $repeat (median), load average at start and end: $load_start, $(cut -d' ' -f1 /proc/loadavg)"
printf '%-44s %10s  %-28s %10s  %7s  %s\n' "benchmark" "xbuild" "baseline" "time" "ratio" "goal"
printf '%s\n' "${rows[@]}"
