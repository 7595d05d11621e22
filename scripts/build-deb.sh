#!/usr/bin/env bash
# Builds the xbuild Debian package (debian/) without writing into the source tree: the tree's
# files (what git tracks, plus new files it does not ignore; without git, everything but build
# directories and state) are copied to a fresh directory under OUTDIR, dpkg-buildpackage runs
# there, and the .deb files and .buildinfo/.changes are left in OUTDIR; the copy is removed. The
# copy's path is always OUTDIR/.build-deb (one build at a time per OUTDIR: a lock), so that a
# ccache in front of the compiler finds the objects of the last build from the same OUTDIR.
#   scripts/build-deb.sh [OUTDIR]     (default: ./deb-out)
# Needs the Build-Depends of debian/control (scripts/install-deps.sh installs them) and
# DEB_BUILD_OPTIONS as usual, e.g. DEB_BUILD_OPTIONS="parallel=2 nocheck".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-deb-out}" && cd "${1:-deb-out}" && pwd)
case "$out/" in
  "$root"/*) echo "build-deb.sh: OUTDIR $out is inside the source tree $root; name one outside it" >&2; exit 2 ;;
esac

exec 9>"$out/.build-deb.lock"
flock 9
work=$out/.build-deb
rm -rf "$work"
mkdir "$work"
trap 'rm -rf "$work"' EXIT
# dpkg-buildpackage writes its results next to the tree: the tree is $work/xbuild.
mkdir "$work/xbuild"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi; done |
    tar --null -T - -cf -) | tar -C "$work/xbuild" -xf -
else
  tar -C "$root" --exclude=./.git --exclude=./.xbuild --exclude='./build' --exclude='./build-*' \
    --exclude=./deb-out -cf - . | tar -C "$work/xbuild" -xf -
fi

(cd "$work/xbuild" && dpkg-buildpackage -us -uc -b)
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
find "$work" -maxdepth 1 -name '*.ddeb' -exec mv {} "$out"/ \;
ls "$out"/*.deb
