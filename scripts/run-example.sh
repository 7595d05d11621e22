#!/usr/bin/env bash
# Sets up everything and runs the main job: installs the Debian packages, builds xbuild and
# builds examples/hello for its five platforms into an OCI layout.
#   scripts/run-example.sh [extra xbuild run options, e.g. --output oci:/tmp/hello]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${XBUILD_BUILD_DIR:-$root/build-release}

"$root/scripts/install-deps.sh"
[ -f "$build/build.ninja" ] || meson setup "$build" "$root" -Dbuildtype=release -Dtests=false
ninja -C "$build"
XBUILD_DATA_DIR="$root" "$build/xbuild" run "$root/examples/hello/xbuild.toml" "$@"
