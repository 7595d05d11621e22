// The OCI name and tag grammar that [image] and the registry's references share.
#include "util/image_name.h"

#include <gtest/gtest.h>

#include <string>

namespace xb {
namespace {

TEST(ImageName, TagsFollowTheDistributionSpec) {
  EXPECT_TRUE(is_tag("latest"));
  EXPECT_TRUE(is_tag("1.0.0-rc_1"));
  EXPECT_TRUE(is_tag("_x"));
  EXPECT_TRUE(is_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_tag(std::string(129, 'a')));
  EXPECT_FALSE(is_tag(""));
  EXPECT_FALSE(is_tag(".hidden"));
  EXPECT_FALSE(is_tag("-x"));
  EXPECT_FALSE(is_tag("bad tag"));
  EXPECT_FALSE(is_tag("a/b"));
  EXPECT_FALSE(is_tag(std::string("a\0b", 3)));
}

TEST(ImageName, RepositoryComponentsAreLowercaseWithSeparatorsBetween) {
  for (const char* good : {"app", "my-app", "my--app", "app_2", "a__b", "a.b", "0"})
    EXPECT_TRUE(is_repository_component(good)) << good;
  for (const char* bad : {"", "App", "-app", "app-", "a..b", "a___b", "a_.b", ".", "..", "a b"})
    EXPECT_FALSE(is_repository_component(bad)) << bad;
}

TEST(ImageName, NamesSayWhatIsWrong) {
  for (const char* good :
       {"app", "team/app", "registry.example/team/app", "localhost:5000/app", "Registry.Example:443/a"})
    EXPECT_EQ(image_name_problem(good), "") << good;
  EXPECT_EQ(image_name_problem(""), "is empty");
  EXPECT_EQ(image_name_problem("../../etc/x"),
            "has the path component \"..\": a repository path is lowercase letters and digits, separated by '/', "
            "'.', '_' or '-'");
  EXPECT_EQ(image_name_problem("UPPER/Case:bad tag"),
            "holds a tag or a digest: name the repository here and give tags in \"tags\"");
  EXPECT_EQ(image_name_problem("host_name.example/app"),
            "starts with \"host_name.example\", which is not a registry host: letters, digits, '-' and '.', then an "
            "optional :PORT");
  EXPECT_EQ(image_name_problem("localhost:port/app"),
            "starts with \"localhost:port\", which is not a registry host: letters, digits, '-' and '.', then an "
            "optional :PORT");
}

}  // namespace
}  // namespace xb
