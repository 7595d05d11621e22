#!/usr/bin/env bash
# The baseline xbuild is measured against: the five builds and self-tests of examples/hello run
# one after another by a plain shell script, with the same compilers and the same QEMU runners.
#   bench/sequential-hello.sh SOURCE_DIR OUT_DIR
set -euo pipefail
src=$1
out=$2
build() {  # platform-slug CC runner...
  local slug=$1 cc=$2
  shift 2
  mkdir -p "$out/$slug"
  make -s -C "$src/src" CC="$cc" OUT="$out/$slug"
  "$@" "$out/$slug/hello" --self-test
}
build linux-amd64 x86_64-linux-gnu-gcc
build linux-arm64 aarch64-linux-gnu-gcc qemu-aarch64-static -L /usr/aarch64-linux-gnu
build linux-arm-v7 arm-linux-gnueabihf-gcc qemu-arm-static -L /usr/arm-linux-gnueabihf
build linux-386 i686-linux-gnu-gcc qemu-i386-static -L /usr/i686-linux-gnu
build linux-riscv64 riscv64-linux-gnu-gcc qemu-riscv64-static -L /usr/riscv64-linux-gnu
