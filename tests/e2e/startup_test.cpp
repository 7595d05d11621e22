// Linking: libcurl, libarchive and libcrypto are ordinary shared-library dependencies of the
// binary (its DT_NEEDED entries), so that dpkg-shlibdeps derives the package's Depends from them
// and their security updates reach xbuild; none is loaded by hand or linked statically.
#include <gtest/gtest.h>

#include <set>

#include "e2e/e2e_support.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

// The sonames `readelf -d` lists as NEEDED by `binary`.
std::set<std::string> needed_libraries(const std::filesystem::path& binary) {
  CommandResult dynamic = run({"readelf", "-d", binary.string()});
  EXPECT_EQ(dynamic.exit_code, 0) << dynamic.err;
  std::set<std::string> needed;
  for (const std::string& line : split(dynamic.out, '\n')) {
    if (line.find("(NEEDED)") == std::string::npos) continue;
    std::size_t open = line.find('['), close = line.rfind(']');
    if (open != std::string::npos && close != std::string::npos && close > open)
      needed.insert(line.substr(open + 1, close - open - 1));
  }
  return needed;
}

TEST(Startup, LibcurlLibarchiveAndLibcryptoAreLinkedAsSharedLibraries) {
  XB_REQUIRE_TOOLS("readelf", "nm");
  std::set<std::string> needed = needed_libraries(xbuild_binary());
  for (const char* soname : {"libcurl.so.4", "libarchive.so.13", "libcrypto.so.3"})
    EXPECT_EQ(needed.count(soname), 1u) << soname << " is not among the binary's NEEDED libraries";
  // No copy of libcrypto's code inside the binary: its SHA-256 comes from the shared library.
  CommandResult symbols = run({"nm", "--defined-only", xbuild_binary().string()});
  ASSERT_EQ(symbols.exit_code, 0) << symbols.err;
  EXPECT_EQ(symbols.out.find(" SHA256_Init\n"), std::string::npos);
  EXPECT_EQ(symbols.out.find(" EVP_DigestUpdate\n"), std::string::npos);
}

TEST(Startup, RegistryCommandsAndArchivesWorkWithTheLinkedLibraries) {
  ScratchDir scratch;
  scratch.write(
      "project/xbuild.toml",
      "[project]\nname = \"local\"\n[targets]\nplatforms = [\"linux/amd64\"]\n"
      "[stage.make]\nrun = 'echo hi > \"$XBUILD_OUT/hi\"'\n[image]\ncopy = [{ from = \"hi\", to = \"/hi\" }]\n");
  CommandResult built = xbuild({"run", "--no-cache", "-o", "oci-archive:" + (scratch / "image.tar").string()},
                               scratch / "project", {{"SOURCE_DATE_EPOCH", "1700000000"}});
  EXPECT_EQ(built.exit_code, 0) << built.err;
  EXPECT_TRUE(std::filesystem::exists(scratch / "image.tar"));
  // Nothing listens on port 9: libcurl is there and says so in words.
  CommandResult inspected = xbuild({"manifest", "inspect", "127.0.0.1:9/none:1"}, {});
  EXPECT_EQ(inspected.exit_code, 1);
  EXPECT_NE(inspected.err.find("127.0.0.1:9"), std::string::npos) << inspected.err;
}

}  // namespace
}  // namespace xb::testing
