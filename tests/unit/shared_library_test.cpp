// Tests for util/shared_library: a library and its functions found, and the two messages that
// say what to install (the library missing, a function missing).
#include "util/shared_library.h"

#include <gtest/gtest.h>

namespace xb {
namespace {

// zlib's own functions, as a table of a library every test machine has.
struct ZlibApi {
  const char* (*version)() = nullptr;
  std::vector<LibrarySymbol> symbols() { return {{"zlibVersion", version}}; }
};

constexpr SharedLibrary kZlib = {"zlib", "libz.so.1", "compressing needs zlib", "install zlib1g"};

TEST(SharedLibrary, LoadsTheFunctionsOfATableOnce) {
  const Result<const ZlibApi*>& api = load_api<ZlibApi>(kZlib);
  ASSERT_TRUE(api.ok()) << api.error();
  ASSERT_NE(api.value()->version, nullptr);
  EXPECT_EQ(api.value()->version()[0], '1');
  EXPECT_EQ(&load_api<ZlibApi>(kZlib), &api);  // the same result, not loaded again
}

TEST(SharedLibrary, AMissingLibrarySaysWhatNeedsItAndWhatToInstall) {
  const char* (*function)() = nullptr;
  std::vector<LibrarySymbol> symbols = {{"nothing", function}};
  Status loaded = load_shared_library(
      {"libnothing", "libxbuild-test-nothing.so.0", "testing needs libnothing", "install nothing"}, symbols);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error(),
            "testing needs libnothing, and it cannot be loaded: libxbuild-test-nothing.so.0: cannot open shared object "
            "file: No such file or directory; install nothing");
}

TEST(SharedLibrary, MissingFunctionsAreNamed) {
  const char* (*version)() = nullptr;
  int (*first)() = nullptr;
  void (*second)(int) = nullptr;
  std::vector<LibrarySymbol> symbols = {
      {"xbuild_test_missing_first", first}, {"zlibVersion", version}, {"xbuild_test_missing_second", second}};
  Status loaded = load_shared_library(kZlib, symbols);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error(),
            "the zlib found (libz.so.1) lacks xbuild_test_missing_first, xbuild_test_missing_second; install zlib1g");
  EXPECT_NE(version, nullptr);
  EXPECT_EQ(first, nullptr);
}

}  // namespace
}  // namespace xb
