#include "support/scratch_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "util/fs.h"
#include "util/sha256.h"

namespace xb::testing {

namespace fs = std::filesystem;

ScratchDir::ScratchDir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "xbuild-test";
  std::replace(name.begin(), name.end(), '/', '_');
  std::string pattern = (fs::temp_directory_path() / ("xbuild-" + name + "-XXXXXX")).string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = fs::canonical(pattern);
}

ScratchDir::~ScratchDir() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info && info->result() && info->result()->Failed()) {
    std::fprintf(stderr, "scratch directory kept: %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path ScratchDir::write(std::string_view relative, std::string_view content) const {
  fs::path file = path_ / relative;
  fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return file;
}

std::string snapshot_tree(const fs::path& root) {
  std::vector<std::string> rows;
  if (!fs::exists(root)) return "<missing>";
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root)) {
    std::string row = fs::relative(entry.path(), root).string();
    if (entry.is_symlink()) {
      row += " -> " + fs::read_symlink(entry.path()).string();
    } else if (entry.is_regular_file()) {
      row += " " + std::to_string(entry.file_size()) + " " + sha256_file(entry.path()).value();
    } else if (entry.is_directory()) {
      row += "/";
    }
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end());
  std::string out;
  for (const std::string& row : rows) out += row + "\n";
  return out;
}

}  // namespace xb::testing
