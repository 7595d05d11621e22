// Golden diagnostics: every tests/data/config/<case>.toml is parsed as "xbuild.toml" and what a
// user would see (ConfigErrors::render(): every diagnostic with its caret lines, then the count)
// must equal <case>.expected byte for byte. Adding a case is adding the two files. The source
// tree is found through $XBUILD_DATA_DIR, as tests/meson.build sets it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "build_paths.h"
#include "config/config.h"
#include "util/fs.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

fs::path cases_directory() {
  const char* root = std::getenv("XBUILD_DATA_DIR");
  return fs::path(root && *root ? root : XBUILD_SOURCE_DATA_DIR) / "tests" / "data" / "config";
}

// The case names (file stems), sorted.
std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(cases_directory(), error), end; !error && it != end; it.increment(error))
    if (it->path().extension() == ".toml") names.push_back(it->path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ConfigGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConfigGoldenTest, RendersExactlyTheExpectedDiagnostics) {
  const fs::path toml = cases_directory() / (GetParam() + ".toml");
  const fs::path expected = cases_directory() / (GetParam() + ".expected");
  Result<std::string> text = read_file(toml);
  ASSERT_TRUE(text.ok()) << text.error();
  ConfigResult result = parse_config(text.value(), "xbuild.toml");
  const ConfigErrors* errors = std::get_if<ConfigErrors>(&result);
  ASSERT_NE(errors, nullptr) << toml.string() << " is valid; a golden case must have errors";
  // XBUILD_UPDATE_GOLDENS=1 writes what the reader says now: review the diff before committing.
  if (const char* update = std::getenv("XBUILD_UPDATE_GOLDENS"); update && std::string(update) == "1") {
    ASSERT_TRUE(write_file_atomic(expected, errors->render()).ok());
  }
  Result<std::string> wanted = read_file(expected);
  ASSERT_TRUE(wanted.ok()) << wanted.error() << " (every case needs its .expected)";
  EXPECT_EQ(errors->render(), wanted.value()) << "for " << toml.string();
}

INSTANTIATE_TEST_SUITE_P(Cases, ConfigGoldenTest, ::testing::ValuesIn(case_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace_if(
                               name.begin(), name.end(),
                               [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
                           return name;
                         });

// The directory is read when the test binary starts; an empty list would pass silently, and an
// .expected without its .toml would never be compared.
TEST(ConfigGoldenCases, AreThereAndComplete) {
  EXPECT_GE(case_names().size(), 30u) << "no golden cases found in " << cases_directory().string();
  std::error_code error;
  for (fs::directory_iterator it(cases_directory(), error), end; !error && it != end; it.increment(error)) {
    fs::path file = it->path();
    if (file.extension() == ".expected") {
      EXPECT_TRUE(fs::exists(fs::path(file).replace_extension(".toml"))) << file;
    }
  }
}

}  // namespace
}  // namespace xb
