#include "registry/auth.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace xb::registry {
namespace {

TEST(Auth, ParsesBearerChallenge) {
  std::vector<Challenge> challenges = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull,push")");
  ASSERT_EQ(challenges.size(), 1u);
  EXPECT_EQ(challenges[0].scheme, "bearer");
  EXPECT_EQ(challenges[0].params.at("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(challenges[0].params.at("service"), "registry.docker.io");
  EXPECT_EQ(challenges[0].params.at("scope"), "repository:library/debian:pull,push");
}

TEST(Auth, ParsesBasicTokenValuesEscapesAndSeveralChallenges) {
  std::vector<Challenge> challenges = parse_www_authenticate(
      R"(Basic realm="a \"quoted\" realm", charset=UTF-8, Bearer realm=https://t/x, error="invalid_token")");
  ASSERT_EQ(challenges.size(), 2u);
  EXPECT_EQ(challenges[0].scheme, "basic");
  EXPECT_EQ(challenges[0].params.at("realm"), "a \"quoted\" realm");
  EXPECT_EQ(challenges[0].params.at("charset"), "UTF-8");
  EXPECT_EQ(challenges[1].scheme, "bearer");
  EXPECT_EQ(challenges[1].params.at("realm"), "https://t/x");
  EXPECT_EQ(challenges[1].params.at("error"), "invalid_token");
  EXPECT_TRUE(parse_www_authenticate("").empty());
}

TEST(Auth, BasicAuthorization) { EXPECT_EQ(basic_authorization({"alice", "pw", false}), "Basic YWxpY2U6cHc="); }

TEST(Auth, ReadsAuthsInEveryForm) {
  Result<DockerConfig> config = parse_docker_config(R"({
    "auths": {
      "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"},
      "http://localhost:5000/v2/": {"auth": "YWxpY2U6cDphOnNz"},
      "ghcr.io": {"username": "bob", "password": "pw"},
      "quay.io": {"identitytoken": "refresh"},
      "empty.example": {}
    }})",
                                                    "/cfg/config.json");
  ASSERT_TRUE(config.ok()) << config.error();
  const auto& auths = config.value().auths;
  EXPECT_EQ(auths.size(), 4u);
  EXPECT_EQ(auths.at("docker.io").username, "hub");
  EXPECT_EQ(auths.at("docker.io").secret, "hubpw");
  EXPECT_EQ(auths.at("localhost:5000").secret, "p:a:ss");
  EXPECT_EQ(auths.at("ghcr.io").username, "bob");
  EXPECT_TRUE(auths.at("quay.io").identity_token);
}

TEST(Auth, ConfigErrorsNameTheFileAndEntry) {
  Result<DockerConfig> broken = parse_docker_config("[", "/cfg/config.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error(),
            "/cfg/config.json: not a JSON object; fix or remove the file (it holds registry credentials)");
  Result<DockerConfig> bad_auth =
      parse_docker_config(R"({"auths":{"r.io":{"auth":"bm9jb2xvbg=="}}})", "/cfg/config.json");
  ASSERT_FALSE(bad_auth.ok());
  EXPECT_EQ(bad_auth.error(),
            "/cfg/config.json: auths.\"r.io\".auth is not base64 of \"user:password\"; log in again or fix the entry");
}

TEST(Auth, CredHelpersThenAuthsThenCredsStore) {
  Result<DockerConfig> config = parse_docker_config(R"({
    "auths": {"a.io": {"auth": "dTpw"}, "b.io": {"auth": "dTpw"}},
    "credHelpers": {"b.io": "pass"},
    "credsStore": "desktop"})",
                                                    "/c.json");
  ASSERT_TRUE(config.ok());
  std::vector<std::string> asked;
  CredentialHelper helper = [&](const std::string& name, const std::string& server) -> Result<std::string> {
    asked.push_back(name + " " + server);
    if (server == "none.io") return std::string();
    return std::string(R"({"ServerURL":")" + server + R"(","Username":"h-)" + name + R"(","Secret":"s"})");
  };
  auto b = find_credentials(config.value(), "b.io", helper);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b.value()->username, "h-pass");
  auto a = find_credentials(config.value(), "a.io", helper);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value()->username, "u");
  EXPECT_EQ(a.value()->secret, "p");
  auto hub = find_credentials(config.value(), "docker.io", helper);
  ASSERT_TRUE(hub.ok());
  EXPECT_EQ(hub.value()->username, "h-desktop");
  auto none = find_credentials(config.value(), "none.io", helper);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  EXPECT_EQ(asked, (std::vector<std::string>{"pass b.io", "desktop https://index.docker.io/v1/", "desktop none.io"}));
}

TEST(Auth, NoConfigMeansAnonymous) {
  Result<DockerConfig> config = parse_docker_config("{}", "/c.json");
  ASSERT_TRUE(config.ok());
  auto found = find_credentials(config.value(), "localhost:5000");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found.value().has_value());
}

TEST(Auth, ConfigPathFollowsDockerConfig) {
  const char* saved = std::getenv("DOCKER_CONFIG");
  std::string previous = saved ? saved : "";
  setenv("DOCKER_CONFIG", "/somewhere", 1);
  EXPECT_EQ(docker_config_path(), std::filesystem::path("/somewhere/config.json"));
  if (saved)
    setenv("DOCKER_CONFIG", previous.c_str(), 1);
  else
    unsetenv("DOCKER_CONFIG");
}

TEST(Auth, MissingHelperIsAClearError) {
  Result<std::string> answer = run_credential_helper("xbuild-test-no-such-helper", "r.io");
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(
      answer.error(),
      "docker-credential-xbuild-test-no-such-helper was not found on PATH; install it or remove the helper from " +
          docker_config_path().string());
}

TEST(Auth, TokenResponses) {
  EXPECT_EQ(parse_token_response(R"({"token":"t1"})").value(), "t1");
  EXPECT_EQ(parse_token_response(R"({"access_token":"t2"})").value(), "t2");
  Result<std::string> none = parse_token_response("{}");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), "the token server's answer holds no token");
}

TEST(Auth, RegistryErrorBodies) {
  EXPECT_EQ(registry_error_text(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"),
            "MANIFEST_UNKNOWN: manifest unknown");
  EXPECT_EQ(registry_error_text(R"({"errors":[{"code":"DENIED"},{"message":"slow down","code":7}]})"),
            "DENIED; slow down");
  EXPECT_EQ(registry_error_text("<html>502</html>"), "");
  EXPECT_EQ(registry_error_text(R"({"errors":"none"})"), "");
}

}  // namespace
}  // namespace xb::registry
