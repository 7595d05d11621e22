#!/usr/bin/env bash
# Installs everything xbuild needs to build, run its bundled example and run its test suite on
# Debian 12 (bookworm), and adds deb-src entries for the machine's own Debian mirror (the tests of
# real projects fetch their sources with apt-get source). Safe to run again: nothing is done when
# every package is installed and the deb-src entries are in place.
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
  libarchive-dev libssl-dev zlib1g-dev libcli11-dev libfmt-dev libexpat1-dev
)
# Cross toolchains (C and C++: CMake projects that name CXX, even to build C only, need both)
# and QEMU user mode for the five Linux platforms of examples/hello.
target_deps=(
  make qemu-user-static
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf libc6-dev-armhf-cross
  gcc-i686-linux-gnu g++-i686-linux-gnu libc6-dev-i386-cross
  gcc-riscv64-linux-gnu g++-riscv64-linux-gnu libc6-dev-riscv64-cross
)
# Independent OCI clients the tests read our output back with (podman: how `podman load` names an
# archive), file(1) for ELF checks, and a JUnit parser the --junit files are read back with.
test_deps=(skopeo umoci podman file python3 jq python3-junitparser)
# The --report-html page is rendered by a real browser in the tests: headless Chromium.
browser_deps=(chromium)

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
# The man pages xbuild(1) and xbuild.toml(5) from docs/commands.md and docs/config.md (go-md2man;
# groff checks them), the real shells the completion tests run, and python3-jsonschema, which
# validates the examples and test configs against docs/xbuild.schema.json.
doc_deps=(go-md2man groff bash-completion zsh python3-jsonschema)
# Bare-metal ARM firmware (toolchains/firmware/, examples/firmware): the compiler, newlib with
# semihosting (rdimon), QEMU's system emulator for the Cortex-M boards, and the gdb that
# `xbuild firmware debug` attaches to QEMU's gdb stub.
firmware_deps=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm gdb-multiarch)
# Windows (toolchains/windows-amd64.toml, examples/greet): mingw-w64 cross-compiles, wine runs
# the .exe tests (wine64 is the 64-bit loader; wine the `wine` command that starts it).
windows_deps=(gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev wine wine64)
# Remote builders: ssh and rsync to reach them; the tests start their own sshd on 127.0.0.1.
remote_deps=(openssh-client openssh-server rsync)
# Real projects from Debian's source packages (tests/e2e/real_projects_test.cpp): dpkg-source
# unpacks them; CMake, Meson, autotools (make) build them; ctest, meson test (with Python test
# runners) and make check run their own test suites.
real_project_deps=(dpkg-dev cmake meson ninja-build pkgconf make python3)
# [targets] ccache: ccache in front of the compilers; redis-server as its remote storage in the
# tests and the benchmark, which start their own on 127.0.0.1 (the package's service is not
# needed).
ccache_deps=(ccache redis-server)
# The quality jobs (scripts/quality.sh): clang-format, clang-tidy, and clang with lld and the
# sanitizer runtimes (libclang-rt-14-dev: libclang_rt.asan/ubsan) for the ASan+UBSan build.
quality_deps=(clang clang-format clang-tidy lld libclang-rt-14-dev)
# The Debian package (debian/, scripts/build-deb.sh): dpkg-buildpackage with debhelper, lintian to
# check the result; its test installs it into a clean chroot made by mmdebstrap (emulate_deps).
deb_deps=(debhelper dpkg-dev fakeroot lintian)
all=("${build_deps[@]}" "${target_deps[@]}" "${test_deps[@]}" "${browser_deps[@]}" "${emulate_deps[@]}" "${registry_deps[@]}" "${bench_deps[@]}" "${firmware_deps[@]}" "${windows_deps[@]}" "${remote_deps[@]}" "${real_project_deps[@]}" "${ccache_deps[@]}" "${doc_deps[@]}" "${quality_deps[@]}" "${deb_deps[@]}")

# deb-src entries for the machine's own Debian mirror: every enabled `deb` entry of its sources
# (deb822 .sources stanzas and one-line .list entries) that names the suite bookworm, with the same
# URIs, suites, components and keyring, as Types: deb-src. The tests always ask for PKG/bookworm.
# Without such an entry the Debian archive itself, signed by its keyring.
deb_src_file=/etc/apt/sources.list.d/xbuild-deb-src.sources
deb_src_entries() {
  local sources=() file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && [ "$file" != "$deb_src_file" ] && sources+=("$file")
  done
  local lists=()
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$file" ] && lists+=("$file"); done
  {
    # deb822: stanzas split by blank lines; continuation lines (a leading blank) belong to the
    # field above them, and every field but Types is copied.
    [ "${#sources[@]}" -eq 0 ] || awk '
      function flush() {
        if (is_deb && has_suite && enabled) printf "Types: deb-src\n%s\n\n", body
        body = ""; is_deb = 0; has_suite = 0; enabled = 1; field = ""
      }
      BEGIN { enabled = 1 }
      FNR == 1 { flush() }
      /^[ \t]*$/ { flush(); next }
      /^#/ { next }
      /^[ \t]/ { if (field != "types") body = body "\n" $0; next }
      {
        field = tolower(substr($0, 1, index($0, ":") - 1)); value = substr($0, index($0, ":") + 1)
        if (field == "types") { is_deb = (" " value " ") ~ /[ \t]deb[ \t]/; next }
        if (field == "suites") has_suite = (" " value " ") ~ /[ \t]bookworm[ \t]/
        if (field == "enabled") enabled = tolower(value) !~ /no/
        body = (body == "" ? "" : body "\n") $0
      }
      END { flush() }' "${sources[@]}"
    # One line each: deb [options] URI SUITE COMPONENT...
    [ "${#lists[@]}" -eq 0 ] || awk '
      $1 != "deb" { next }
      {
        options = ""; i = 2
        if ($2 ~ /^\[/) {
          while (i <= NF) { options = options " " $i; if ($i ~ /\]$/) { i++; break } i++ }
          gsub(/[][]/, "", options)
        }
        if ($(i + 1) != "bookworm") next
        printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents:", $i, $(i + 1)
        for (c = i + 2; c <= NF && $c !~ /^#/; c++) printf " %s", $c
        printf "\n"
        n = split(options, option, " ")
        for (o = 1; o <= n; o++) {
          split(option[o], kv, "=")
          if (kv[1] == "signed-by") printf "Signed-By: %s\n", kv[2]
          if (kv[1] == "trusted") printf "Trusted: %s\n", kv[2]
        }
        printf "\n"
      }' "${lists[@]}"
  } | awk 'NF || printed { print } NF { printed = 1 }'
}
deb_src=$(deb_src_entries)
if [ -z "$deb_src" ]; then
  deb_src=$'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg'
fi
deb_src=$(printf '# Source packages of the Debian mirror this machine uses, for apt-get source\n# (written by xbuild'"'"'s scripts/install-deps.sh).\n%s\n' "$deb_src")

# apt-get update fetched the bookworm source index of each mirror the entries name (apt keeps it
# as /var/lib/apt/lists/<URI without its scheme, '/' as '_'>_dists_bookworm_<component>_source_Sources*).
have_source_index() {
  local uri name files
  for uri in $(printf '%s\n' "$deb_src" | sed -n 's/^URIs://p'); do
    name=${uri#*://}
    name=${name%/}
    files=(/var/lib/apt/lists/"${name//\//_}"_dists_bookworm_*_source_Sources*)
    [ -e "${files[0]}" ] || return 1
  done
}

# Nothing to do when every package is installed and the deb-src entries are in place with their
# index (no network, no apt lock).
missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${all[@]}" 2>&1 | grep -vc '^ii ' || true)
if [ "$missing" = "0" ] && [ "$(cat "$deb_src_file" 2>/dev/null)" = "$deb_src" ] && have_source_index; then
  exit 0
fi

if [ "$(cat "$deb_src_file" 2>/dev/null)" != "$deb_src" ]; then
  printf '%s\n' "$deb_src" >/etc/apt/.xbuild-deb-src.sources.tmp  # apt reads no file there
  mv /etc/apt/.xbuild-deb-src.sources.tmp "$deb_src_file"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
[ "$missing" = "0" ] || apt-get install -y -qq --no-install-recommends "${all[@]}"
