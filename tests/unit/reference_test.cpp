#include "registry/reference.h"

#include <gtest/gtest.h>

namespace xb::registry {
namespace {

Reference parse(const std::string& text) {
  Result<Reference> reference = parse_reference(text);
  EXPECT_TRUE(reference.ok()) << reference.error();
  return reference.ok() ? reference.value() : Reference{};
}

std::string parse_error(const std::string& text) {
  Result<Reference> reference = parse_reference(text);
  EXPECT_FALSE(reference.ok()) << text;
  return reference.ok() ? "" : reference.error();
}

TEST(Reference, HostPortRepositoryAndTag) {
  Reference reference = parse("localhost:5000/examples/hello:1.0.0");
  EXPECT_EQ(reference.registry, "localhost:5000");
  EXPECT_EQ(reference.repository, "examples/hello");
  EXPECT_EQ(reference.tag, "1.0.0");
  EXPECT_EQ(reference.digest, "");
  EXPECT_EQ(reference.reference(), "1.0.0");
  EXPECT_EQ(reference.str(), "localhost:5000/examples/hello:1.0.0");
}

TEST(Reference, DockerHubDefaults) {
  Reference debian = parse("debian");
  EXPECT_EQ(debian.registry, "docker.io");
  EXPECT_EQ(debian.repository, "library/debian");
  EXPECT_EQ(debian.tag, "latest");
  EXPECT_EQ(parse("user/app:2").repository, "user/app");
  EXPECT_EQ(parse("docker.io/user/app:2").registry, "docker.io");
  EXPECT_EQ(parse("index.docker.io/busybox").str(), "docker.io/library/busybox:latest");
  EXPECT_EQ(api_host("docker.io"), "registry-1.docker.io");
  EXPECT_EQ(api_host("ghcr.io"), "ghcr.io");
}

TEST(Reference, FirstComponentIsAHostOnlyWithDotColonOrLocalhost) {
  EXPECT_EQ(parse("localhost/app").registry, "localhost");
  EXPECT_EQ(parse("ghcr.io/o/app").registry, "ghcr.io");
  EXPECT_EQ(parse("myhost:443/app").registry, "myhost:443");
  EXPECT_EQ(parse("team/app").registry, "docker.io");
}

TEST(Reference, Digest) {
  std::string digest = "sha256:" + std::string(64, 'a');
  Reference reference = parse("127.0.0.1:5000/app@" + digest);
  EXPECT_EQ(reference.tag, "");
  EXPECT_EQ(reference.digest, digest);
  EXPECT_EQ(reference.reference(), digest);
  Reference both = parse("127.0.0.1:5000/app:1@" + digest);
  EXPECT_EQ(both.tag, "1");
  EXPECT_EQ(both.str(), "127.0.0.1:5000/app:1@" + digest);
  EXPECT_EQ(both.with_tag("2").str(), "127.0.0.1:5000/app:2");
  EXPECT_EQ(both.with_digest(digest).str(), "127.0.0.1:5000/app@" + digest);
}

TEST(Reference, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(parse_error(""),
            "invalid image reference \"\": it is empty; write [HOST[:PORT]/]REPOSITORY[:TAG][@DIGEST]");
  EXPECT_EQ(parse_error("localhost:5000/App"),
            "invalid image reference \"localhost:5000/App\": the repository \"App\" must be lowercase letters and "
            "digits, separated by '/', '.', '_' or '-'");
  EXPECT_EQ(parse_error("app:-bad"),
            "invalid image reference \"app:-bad\": the tag \"-bad\" may hold only letters, digits, '_', '.' and '-' "
            "(at most 128, not starting with '.' or '-')");
  EXPECT_EQ(parse_error("app@sha256:12"),
            "invalid image reference \"app@sha256:12\": the digest \"sha256:12\" is not sha256: followed by 64 "
            "lowercase hex digits");
  EXPECT_EQ(parse_error("localhost:5000/"),
            "invalid image reference \"localhost:5000/\": the repository name is missing");
  EXPECT_EQ(parse_error("https://localhost:5000/app:1"),
            "invalid image reference \"https://localhost:5000/app:1\": a reference has no scheme; write it without "
            "\"https://\": [HOST[:PORT]/]REPOSITORY[:TAG][@DIGEST]");
  parse_error("a//b");
  parse_error("a..b");
}

TEST(Reference, CredentialsAreRefusedAndTheirPasswordNotEchoed) {
  const std::string login =
      "; give them with `docker login r.example:5000` (docker's config.json and credential "
      "helpers are read)";
  EXPECT_EQ(parse_error("https://alice:s3cret@r.example:5000/app:1"),
            "invalid image reference \"https://alice:***@r.example:5000/app:1\": a reference holds no credentials; "
            "remove \"alice:***@\" and" +
                login.substr(1));
  EXPECT_EQ(parse_error("alice:s3cret@r.example:5000/team/app"),
            "invalid image reference \"alice:***@r.example:5000/team/app\": a reference holds no credentials; "
            "remove \"alice:***@\" and" +
                login.substr(1));
  EXPECT_EQ(parse_error("alice@r.example:5000/app"),
            "invalid image reference \"alice@r.example:5000/app\": a reference holds no credentials; remove "
            "\"alice@\" and" +
                login.substr(1));
  // Bad otherwise, still masked.
  EXPECT_EQ(parse_error("alice:s3cret@Bad"),
            "invalid image reference \"alice:***@Bad\": the digest \"Bad\" is not "
            "sha256: followed by 64 lowercase hex digits");
}

TEST(Reference, PlainHttpOnlyForLoopbackAndNamedRegistries) {
  EXPECT_TRUE(allows_plain_http("localhost:5000", {}));
  EXPECT_TRUE(allows_plain_http("127.0.0.1:41234", {}));
  EXPECT_TRUE(allows_plain_http("localhost", {}));
  EXPECT_FALSE(allows_plain_http("registry.example.com", {}));
  EXPECT_FALSE(allows_plain_http("10.0.0.5:5000", {}));
  EXPECT_TRUE(allows_plain_http("10.0.0.5:5000", {"10.0.0.5:5000"}));
  EXPECT_TRUE(allows_plain_http("10.0.0.5:5000", {"10.0.0.5"}));
  EXPECT_FALSE(allows_plain_http("10.0.0.5:5000", {"10.0.0.6"}));
}

}  // namespace
}  // namespace xb::registry
