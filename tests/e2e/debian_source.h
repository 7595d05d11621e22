// Real third-party projects for end-to-end tests: Debian source packages, fetched once into the
// test cache and reused. Each is always asked for with its suite (PKG/bookworm), never the
// highest version any configured deb-src offers, so another suite's entries change nothing.
#pragma once

#include <filesystem>
#include <string>

namespace xb::testing {

// A source package unpacked with Debian's patches applied. `tree` is empty and `error` says why
// when it could not be had (no deb-src entry for the suite, apt-get or dpkg-source failed).
struct DebianSource {
  std::string version;         // "1.7.15-1+deb12u4"
  std::filesystem::path tree;  // <cache>/sources/<package>-<version>/source
  std::string error;
};

// The package as the suite's deb-src entries name it: `apt-get source --print-uris` names its
// version (no download), and <cache>/sources/<package>-<version>/ holds it once fetched (the
// .dsc, its archives and the unpacked `source/`). A missing one is downloaded by `apt-get source
// --download-only PACKAGE/SUITE` and unpacked by `dpkg-source -x` in a temporary sibling, which
// is then renamed: an interrupted fetch leaves nothing under the final name.
DebianSource fetch_debian_source(const std::string& package, const std::string& suite);

// Copies a tree as `cp -a` does, keeping the modification times: make must not think that
// autotools' generated files are older than their inputs.
bool copy_tree(const std::filesystem::path& from, const std::filesystem::path& to, std::string* error);

}  // namespace xb::testing
