#!/usr/bin/env bash
# Installs everything xbuild needs to build, run its bundled example and run its test suite on
# Debian 12 (bookworm). Safe to run again: apt skips what is already installed.
#   scripts/install-deps.sh           build + example + test dependencies
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: must run as root (it calls apt-get); try: sudo $0" >&2
  exit 2
fi

build_deps=(
  build-essential meson ninja-build pkg-config git ca-certificates
  libuv1-dev libcurl4-openssl-dev nlohmann-json3-dev libtomlplusplus-dev
  libboost-dev libboost-filesystem-dev libgtest-dev libgmock-dev
  libarchive-dev libssl-dev zlib1g-dev libcli11-dev libfmt-dev
)
# Cross toolchains and QEMU user mode for the five Linux platforms of examples/hello.
target_deps=(
  make qemu-user-static
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
  gcc-i686-linux-gnu libc6-dev-i386-cross
  gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
)
# Independent OCI clients the tests read our output back with, and file(1) for ELF checks.
test_deps=(skopeo umoci file python3 jq)

# The emulate strategy's end-to-end tests build arm64 and riscv64 Debian root filesystems with
# mmdebstrap (arch-test checks the binfmt_misc handler first); xbuild makes sysroots and root
# filesystems with it too. gpg (a recommendation of mmdebstrap's) lets it name the suite's key in
# the tree's apt sources; debian-archive-keyring holds the keys apt checks the archive with.
emulate_deps=(mmdebstrap arch-test gpg debian-archive-keyring)

# A real registry for the push/pull tests and benchmarks, htpasswd (bcrypt) for its Basic auth,
# openssl for the test token server's signing key.
registry_deps=(docker-registry apache2-utils openssl)
# The benchmarks: ninja as the baseline of the job engine (build_deps), GNU time for peak memory.
bench_deps=(time)
# Bare-metal ARM firmware (toolchains/firmware/, examples/firmware): the compiler, newlib with
# semihosting (rdimon), and QEMU's system emulator for the Cortex-M boards.
firmware_deps=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)
# Windows (toolchains/windows-amd64.toml, examples/greet): mingw-w64 cross-compiles, wine runs
# the .exe tests (wine64 is the 64-bit loader; wine the `wine` command that starts it).
windows_deps=(gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev wine wine64)
# Remote builders: ssh and rsync to reach them; the tests start their own sshd on 127.0.0.1.
remote_deps=(openssh-client openssh-server rsync)
all=("${build_deps[@]}" "${target_deps[@]}" "${test_deps[@]}" "${emulate_deps[@]}" "${registry_deps[@]}" "${bench_deps[@]}" "${firmware_deps[@]}" "${windows_deps[@]}" "${remote_deps[@]}")
# Nothing to do when every package is already installed (no network, no apt lock).
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${all[@]}" 2>&1 | grep -vc '^ii ' || true)
[ "$missing" = "0" ] && exit 0

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${all[@]}"
