#!/usr/bin/env bash
# The baseline of the real-project row: cJSON's build and ctest suite for the five platforms of
# its xbuild config (bench/run.sh writes it), one platform after another by a plain shell script:
# the same CMake and ctest commands, compilers and QEMU. ctest runs the test programs by their
# path, so the script runs in a user and mount namespace with a binfmt_misc instance of its own
# (Linux 6.7 or later), registers QEMU there for the four foreign architectures (qemu/*.toml),
# and QEMU loads their libraries from a prefix over Debian's cross C library with an empty
# ld.so.cache, as xbuild does.
#   bench/sequential-cjson.sh SOURCE_DIR OUT_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$2"
src=$(cd "$1" && pwd)
out=$(cd "$2" && pwd)

if [ "${SEQUENTIAL_CJSON_NAMESPACE:-}" != yes ]; then
  exec env SEQUENTIAL_CJSON_NAMESPACE=yes unshare --user --map-root-user --mount "$0" "$src" "$out"
fi
mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
field() { sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "$root/qemu/$2.toml" | sed 's/\\\\/\\/g'; }
for arch in aarch64 arm i386 riscv64; do
  printf ':qemu-%s:M:0:%s:%s:%s:F\n' "$arch" "$(field magic "$arch")" "$(field mask "$arch")" \
    "$(field interpreter "$arch")" >/proc/sys/fs/binfmt_misc/register
done

build() {  # platform-slug [triple cmake-processor]
  local slug=$1 triple=${2:-x86_64-linux-gnu} cross=() runner=()
  if [ "$#" -gt 1 ]; then
    cat >"$out/$slug.cmake" <<CMAKE
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR $3)
set(CMAKE_C_COMPILER $triple-gcc)
set(CMAKE_CXX_COMPILER $triple-g++)
set(CMAKE_AR $triple-ar)
set(CMAKE_FIND_ROOT_PATH "/usr/$triple;/")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
CMAKE
    cross=("-DCMAKE_TOOLCHAIN_FILE=$out/$slug.cmake")
    mkdir -p "$out/prefix-$slug/etc"
    ln -sfn "/usr/$triple/lib" "$out/prefix-$slug/lib"
    : >"$out/prefix-$slug/etc/ld.so.cache"
    runner=("QEMU_LD_PREFIX=$out/prefix-$slug")
  fi
  (
    cd "$src"
    CC=$triple-gcc cmake -S . -B "$out/$slug/build" -G Ninja "${cross[@]}" -DBUILD_SHARED_LIBS=OFF \
      -DENABLE_CJSON_TEST=ON -DENABLE_CJSON_UTILS=ON
    cmake --build "$out/$slug/build"
    env "${runner[@]}" ctest --test-dir "$out/$slug/build" --output-on-failure
  )
}
build linux-amd64
build linux-arm64 aarch64-linux-gnu aarch64
build linux-arm-v7 arm-linux-gnueabihf armv7l
build linux-386 i686-linux-gnu i686
build linux-riscv64 riscv64-linux-gnu riscv64
