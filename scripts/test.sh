#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: installs the Debian packages it needs,
# builds xbuild with warnings as errors, runs the unit and end-to-end tests, then the quality jobs
# (scripts/quality.sh: format, clang-tidy, ASan+UBSan clang build), and ends with the
# line "N passed, N failed[, N skipped]". Exit status 0 only when nothing failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XBUILD_TEST_BUILD_DIR:-$root/build}

"$root/scripts/install-deps.sh" || { echo "0 passed, 1 failed"; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" -Dwerror=true -Dbuildtype=debugoptimized || { echo "0 passed, 1 failed"; exit 1; }
fi
ninja -C "$build" || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
rm -f "$build"/*.xml  # GoogleTest reports of an earlier run must not pass for this one
rm -f "$build"/quality/*.xml  # as are the quality jobs' reports
# The quality jobs (scripts/quality.sh: format, clang-tidy, the sanitized clang build; layering is a
# `meson test`) run with the whole suite only, not for a selection of tests. Their clang build
# (as long as the main one) is made meanwhile at the lowest priority: the end-to-end tests wait on
# QEMU, registries and timeouts, and leave cores idle. XBUILD_QUALITY_OVERLAP=0 builds it after.
export XBUILD_TEST_BUILD_DIR=$build
prebuild=
if [ $# -eq 0 ] && [ "${XBUILD_QUALITY_OVERLAP:-1}" != 0 ]; then
  nice -n 19 "$root/scripts/quality.sh" prebuild >"$build/quality-prebuild.log" 2>&1 &
  prebuild=$!
fi
meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 "$@"
if [ $# -eq 0 ]; then
  [ -z "$prebuild" ] || wait "$prebuild"  # a failure shows again in the sanitize job's own build
  "$root/scripts/quality.sh" format tidy sanitize
fi
python3 "$root/scripts/summarize-tests.py" "$build" "$@"
