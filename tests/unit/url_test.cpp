// Tests for registry/url: Location headers resolved the way RFC 3986 says, query parameters
// and form bodies percent-encoded (libcurl's URL API and curl_easy_escape).
#include "registry/url.h"

#include <gtest/gtest.h>

namespace xb::registry {
namespace {

const std::string kUploads = "http://127.0.0.1:5000/v2/test/app/blobs/uploads/";

TEST(Url, ALocationIsResolvedAgainstTheRequestItAnswered) {
  // Absolute, absolute-path and relative references, as registries send them.
  EXPECT_EQ(resolve_url(kUploads, "https://storage.example/up/1?sig=a%2Fb").value(),
            "https://storage.example/up/1?sig=a%2Fb");
  EXPECT_EQ(resolve_url(kUploads, "/v2/test/app/blobs/uploads/3f2a?_state=x%3D%3D").value(),
            "http://127.0.0.1:5000/v2/test/app/blobs/uploads/3f2a?_state=x%3D%3D");
  EXPECT_EQ(resolve_url(kUploads, "3f2a").value(), "http://127.0.0.1:5000/v2/test/app/blobs/uploads/3f2a");
  EXPECT_EQ(
      resolve_url("http://127.0.0.1:5000/v2/test/app/blobs/uploads/3f2a?_state=1", "uploads/4b1c?_state=2").value(),
      "http://127.0.0.1:5000/v2/test/app/blobs/uploads/uploads/4b1c?_state=2");
  EXPECT_EQ(resolve_url("https://r.example/v2/a/blobs/uploads/1", "../uploads/2").value(),
            "https://r.example/v2/a/blobs/uploads/2");
  EXPECT_EQ(resolve_url("https://r.example/v2/a/blobs/uploads/1", "?_state=3").value(),
            "https://r.example/v2/a/blobs/uploads/1?_state=3");
}

TEST(Url, RefusesWhatIsNotAUrl) {
  EXPECT_EQ(resolve_url("not a url", "x").error(), "\"not a url\" is not a URL");
  EXPECT_EQ(resolve_url(kUploads, "http://[::1").error(), "\"http://[::1\" is not a URL or a URL reference");
  EXPECT_EQ(add_query("::", {{"a", "b"}}).error(), "\"::\" is not a URL");
}

TEST(Url, AnErrorShowsNoPassword) {
  EXPECT_EQ(resolve_url("http://u:s3cret@[::1", "x").error(), "\"http://u:***@[::1\" is not a URL");
}

TEST(Url, QueryParametersArePercentEncodedAndAppended) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  EXPECT_EQ(add_query(kUploads, {{"mount", digest}, {"from", "test/base image"}}).value(),
            kUploads + "?mount=sha256%3A" + std::string(64, 'a') + "&from=test%2Fbase%20image");
  EXPECT_EQ(add_query("https://r.example/v2/a/blobs/uploads/1?_state=x%3D", {{"digest", digest}}).value(),
            "https://r.example/v2/a/blobs/uploads/1?_state=x%3D&digest=sha256%3A" + std::string(64, 'a'));
  EXPECT_EQ(add_query("https://auth.example/token", {{"service", "registry.example"},
                                                     {"scope", "repository:a/b:pull,push"},
                                                     {"scope", "repository:c:pull"}})
                .value(),
            "https://auth.example/token?service=registry.example&scope=repository%3Aa%2Fb%3Apull%2Cpush&"
            "scope=repository%3Ac%3Apull");
  EXPECT_EQ(add_query("https://auth.example/token", {}).value(), "https://auth.example/token");
}

TEST(Url, FormBodiesKeepOnlyUnreservedCharacters) {
  EXPECT_EQ(form_encode({}), "");
  EXPECT_EQ(form_encode({{"grant_type", "refresh_token"}, {"refresh_token", "a b+c/d=e~f.g-h_i\xc3\xa9"}}),
            "grant_type=refresh_token&refresh_token=a%20b%2Bc%2Fd%3De~f.g-h_i%C3%A9");
}

}  // namespace
}  // namespace xb::registry
