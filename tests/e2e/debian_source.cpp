#include "e2e/debian_source.h"

#include "e2e/debian_rootfs.h"
#include "e2e/e2e_support.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {

namespace fs = std::filesystem;

namespace {

// The .dsc file `apt-get source --print-uris` names: "'URI' PACKAGE_VERSION.dsc SIZE HASH".
std::string dsc_name(const std::string& listing) {
  for (const std::string& line : split(listing, '\n')) {
    if (!starts_with(line, "'")) continue;
    std::vector<std::string> words = split(line, ' ');
    if (words.size() >= 2 && words[1].size() > 4 && words[1].compare(words[1].size() - 4, 4, ".dsc") == 0)
      return words[1];
  }
  return "";
}

std::string failure(const std::string& what, const CommandResult& result) {
  return what + " failed (exit status " + std::to_string(result.exit_code) + "): " + result.err + result.out;
}

}  // namespace

DebianSource fetch_debian_source(const std::string& package, const std::string& suite) {
  DebianSource source;
  const std::string pinned = package + "/" + suite;
  CommandResult listed = run({"apt-get", "source", "--print-uris", pinned});
  const std::string dsc = listed.exit_code == 0 ? dsc_name(listed.out) : "";
  if (dsc.empty()) {
    source.error = "apt-get source --print-uris " + pinned + " names no .dsc (does the machine have a deb-src " +
                   "entry for " + suite + "? scripts/install-deps.sh adds one): " + listed.err + listed.out;
    return source;
  }
  source.version = dsc.substr(package.size() + 1, dsc.size() - package.size() - 1 - 4);
  const fs::path entry = rootfs_cache_dir() / "sources" / (package + "-" + source.version);
  if (fs::is_directory(entry / "source")) {
    source.tree = entry / "source";
    return source;
  }

  std::error_code ec;
  fs::create_directories(entry.parent_path(), ec);
  Result<fs::path> staging = make_sibling_temp_dir(entry);
  if (!staging) {
    source.error = staging.error();
    return source;
  }
  CommandResult downloaded = run({"apt-get", "source", "--download-only", pinned}, {}, staging.value());
  CommandResult unpacked;
  if (downloaded.exit_code == 0)
    unpacked = run({"dpkg-source", "-x", (staging.value() / dsc).string(), (staging.value() / "source").string()});
  if (downloaded.exit_code != 0 || unpacked.exit_code != 0) {
    source.error = downloaded.exit_code != 0 ? failure("apt-get source --download-only " + pinned, downloaded)
                                             : failure("dpkg-source -x " + dsc, unpacked);
    fs::remove_all(staging.value(), ec);
    return source;
  }
  fs::rename(staging.value(), entry, ec);
  if (ec) fs::remove_all(staging.value(), ec);  // another test fetched it first: theirs is the same
  if (!fs::is_directory(entry / "source")) {
    source.error = "cannot rename the fetched " + pinned + " to " + entry.string();
    return source;
  }
  source.tree = entry / "source";
  return source;
}

bool copy_tree(const fs::path& from, const fs::path& to, std::string* error) {
  CommandResult copied = run({"cp", "-a", from.string(), to.string()});
  if (copied.exit_code != 0) *error = failure("cp -a " + from.string() + " " + to.string(), copied);
  return copied.exit_code == 0;
}

}  // namespace xb::testing
