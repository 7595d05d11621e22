// A scratch directory per test (ccache's way): created fresh under $TMPDIR, removed when the
// test passes, kept (and its path printed) when it fails so the evidence can be inspected.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace xb::testing {

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }
  // Writes a file (creating parent directories) and returns its path.
  std::filesystem::path write(std::string_view relative, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// Every file under `root` with its size and content hash, for "nothing changed" checks.
std::string snapshot_tree(const std::filesystem::path& root);

}  // namespace xb::testing
