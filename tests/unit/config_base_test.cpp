// [image] from: "scratch" or an image reference (the reference is parsed later, by the
// registry code, when plan or run reads the base image). What is refused, and how it is said,
// is in tests/data/config/image_from_*.
#include <gtest/gtest.h>

#include "config/config.h"

namespace xb {
namespace {

std::string with_from(const std::string& from) {
  return "[project]\nname = \"hello\"\n\n[targets]\nplatforms = [\"linux/amd64\"]\n\n[stage.build]\nrun = \"make\"\n\n"
         "[image]\nfrom = \"" +
         from + "\"\n";
}

TEST(ConfigBaseImage, AcceptsScratchAndReferences) {
  for (const std::string from : {"scratch", "debian:12", "127.0.0.1:5000/base/hello:1.0.0"}) {
    ConfigResult result = parse_config(with_from(from), "xbuild.toml");
    ASSERT_TRUE(std::holds_alternative<Config>(result)) << std::get<ConfigErrors>(result).render();
    EXPECT_EQ(std::get<Config>(result).image.from, from);
  }
}

}  // namespace
}  // namespace xb
