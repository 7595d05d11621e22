// The distribution-spec client against a real registry (Debian's docker-registry on
// 127.0.0.1): chunked uploads, skips, mounts, many transfers at once on one loop; and against
// a fake HTTP client, for what a local registry does not do: Location headers relative to the
// request, Retry-After dates, Bearer tokens, headers the client reads.
#include "registry/registry_client.h"

#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <random>

#include "oci/image.h"
#include "support/fake_http_client.h"
#include "support/registry_fixture.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::registry {
namespace {

namespace fs = std::filesystem;

class RegistryClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOLS("docker-registry");
    registry_ = std::make_unique<testing::LocalRegistry>(scratch_ / "registry");
    ASSERT_TRUE(registry_->ok()) << registry_->error();
    uv_loop_init(&loop_);
    http_ = make_curl_http_client(&loop_);
    RegistryOptions options;
    options.chunk_threshold = 1000;
    options.chunk_size = 16 * 1024;
    options.credentials = [](const std::string&) -> Result<std::optional<Credentials>> {
      return std::optional<Credentials>();
    };
    client_ = std::make_unique<RegistryClient>(*http_, registry_->host(), options);
  }
  void TearDown() override {
    if (!http_) return;
    client_.reset();
    http_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Runs the loop until `pending` reaches zero.
  void run_until_done(const int& pending) {
    while (pending > 0 && uv_run(&loop_, UV_RUN_ONCE) != 0) {
    }
    ASSERT_EQ(pending, 0);
  }

  BlobUpload random_blob(const std::string& name, std::size_t size, unsigned seed) {
    std::mt19937 generator(seed);
    std::string content(size, '\0');
    for (char& c : content) c = static_cast<char>(generator());
    fs::path path = scratch_.write(name, content);
    return BlobUpload{sha256_digest(content), static_cast<std::int64_t>(size), path, {}};
  }

  Result<BlobOutcome> upload(const std::string& repository, const BlobUpload& blob,
                             const std::string& mount_from = "") {
    std::optional<Result<BlobOutcome>> outcome;
    int pending = 1;
    client_->upload_blob(repository, blob, mount_from, [&](Result<BlobOutcome> result) {
      outcome.emplace(std::move(result));
      --pending;
    });
    run_until_done(pending);
    return std::move(*outcome);
  }

  testing::ScratchDir scratch_;
  std::unique_ptr<testing::LocalRegistry> registry_;
  uv_loop_t loop_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<RegistryClient> client_;
};

TEST_F(RegistryClientTest, ChunkedUploadThenSkipThenDownloadVerified) {
  BlobUpload blob = random_blob("big", 100 * 1024 + 7, 1);
  Result<BlobOutcome> first = upload("test/chunked", blob);
  ASSERT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first.value(), BlobOutcome::uploaded);
  Result<BlobOutcome> second = upload("test/chunked", blob);
  ASSERT_TRUE(second.ok()) << second.error();
  EXPECT_EQ(second.value(), BlobOutcome::existed);

  oci::Descriptor descriptor{"application/octet-stream", blob.digest, blob.size, std::nullopt, {}};
  std::optional<Status> fetched;
  int pending = 1;
  client_->get_blob("test/chunked", descriptor, scratch_ / "back", [&](Status status) {
    fetched.emplace(std::move(status));
    --pending;
  });
  run_until_done(pending);
  ASSERT_TRUE(fetched->ok()) << fetched->error();
  EXPECT_EQ(sha256_file(scratch_ / "back").value(), blob.digest);
  EXPECT_FALSE(fs::exists(scratch_ / "back.partial"));
}

TEST_F(RegistryClientTest, DownloadWithTheWrongDigestFailsAndLeavesNothing) {
  BlobUpload blob = random_blob("small", 500, 2);
  ASSERT_TRUE(upload("test/verify", blob).ok());
  // Ask for the right blob but claim a different size: the check after the download fails.
  oci::Descriptor descriptor{"application/octet-stream", blob.digest, blob.size + 1, std::nullopt, {}};
  std::optional<Status> fetched;
  int pending = 1;
  client_->get_blob("test/verify", descriptor, scratch_ / "out", [&](Status status) {
    fetched.emplace(std::move(status));
    --pending;
  });
  run_until_done(pending);
  ASSERT_FALSE(fetched->ok());
  EXPECT_EQ(fetched->error(), "cannot get " + registry_->host() + "/test/verify@" + blob.digest +
                                  ": the downloaded content does not match its digest and size (501 bytes)");
  EXPECT_FALSE(fs::exists(scratch_ / "out"));
  EXPECT_FALSE(fs::exists(scratch_ / "out.partial"));
}

TEST_F(RegistryClientTest, MountsFromAnotherRepository) {
  BlobUpload blob = random_blob("shared", 3000, 3);
  ASSERT_TRUE(upload("test/source", blob).ok());
  Result<BlobOutcome> mounted = upload("test/target", BlobUpload{blob.digest, blob.size, {}, {}}, "test/source");
  ASSERT_TRUE(mounted.ok()) << mounted.error();
  EXPECT_EQ(mounted.value(), BlobOutcome::mounted);
}

TEST_F(RegistryClientTest, ManyTransfersAtOnceOnOneLoop) {
  int pending = 0;
  int uploaded = 0;
  for (unsigned i = 0; i < 24; ++i) {
    ++pending;
    client_->upload_blob("test/many", random_blob("b" + std::to_string(i), 2000 + i, 100 + i), "",
                         [&](Result<BlobOutcome> outcome) {
                           EXPECT_TRUE(outcome.ok()) << outcome.error();
                           if (outcome.ok() && outcome.value() == BlobOutcome::uploaded) ++uploaded;
                           --pending;
                         });
  }
  run_until_done(pending);
  EXPECT_EQ(uploaded, 24);
}

TEST_F(RegistryClientTest, ManifestPutGetAndMissingTag) {
  BlobUpload config = random_blob("config", 10, 4);
  ASSERT_TRUE(upload("test/manifest", config).ok());
  std::string body =
      R"({"config":{"digest":")" + config.digest +
      R"(","mediaType":"application/vnd.oci.image.config.v1+json","size":10},"layers":[],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})";
  std::optional<Status> put;
  int pending = 1;
  client_->put_manifest("test/manifest", "v1", "application/vnd.oci.image.manifest.v1+json", body, [&](Status status) {
    put.emplace(std::move(status));
    --pending;
  });
  run_until_done(pending);
  ASSERT_TRUE(put->ok()) << put->error();

  std::optional<Result<oci::Manifest>> got, missing;
  pending = 2;
  client_->get_manifest("test/manifest", "v1", [&](Result<oci::Manifest> manifest) {
    got.emplace(std::move(manifest));
    --pending;
  });
  client_->get_manifest("test/manifest", "nope", [&](Result<oci::Manifest> manifest) {
    missing.emplace(std::move(manifest));
    --pending;
  });
  run_until_done(pending);
  ASSERT_TRUE(got->ok()) << got->error();
  EXPECT_EQ(got->value().body, body);
  EXPECT_EQ(got->value().digest, sha256_digest(body));
  EXPECT_EQ(got->value().config.digest, config.digest);
  ASSERT_FALSE(missing->ok());
  EXPECT_EQ(missing->error(), "cannot get " + registry_->host() +
                                  "/test/manifest:nope: not found (HTTP 404) (MANIFEST_UNKNOWN: manifest unknown)");
}

// The client on a FakeHttpClient: what it sends, answered from canned responses.
class FakeRegistryTest : public ::testing::Test {
 protected:
  FakeRegistryTest() {
    uv_loop_init(&loop_);
    http_ = std::make_unique<testing::FakeHttpClient>(&loop_);
    options_.credentials = [](const std::string&) -> Result<std::optional<Credentials>> {
      return std::optional<Credentials>(Credentials{"alice", "pw", false});
    };
  }
  ~FakeRegistryTest() override {
    client_.reset();
    http_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Made on first use, so a test can set options_ first.
  RegistryClient& client() {
    if (!client_) client_ = std::make_unique<RegistryClient>(*http_, "r.example", options_);
    return *client_;
  }
  void on(const std::string& method, const std::string& url, testing::CannedResponse response) {
    http_->on(method, url, std::move(response));
  }
  // Starts `start` and runs the loop until everything the fake was asked for is answered.
  template <class T>
  T run(const std::function<void(std::function<void(T)>)>& start) {
    std::optional<T> result;
    start([&result](T value) { result.emplace(std::move(value)); });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(http_->unanswered().empty()) << http_->unanswered().front();
    return result ? std::move(*result) : T(fail("no answer"));
  }
  Result<oci::Manifest> get_manifest(const std::string& reference) {
    return run<Result<oci::Manifest>>(
        [&](std::function<void(Result<oci::Manifest>)> done) { client().get_manifest("app", reference, done); });
  }
  Result<BlobOutcome> upload(BlobUpload blob) {
    return run<Result<BlobOutcome>>(
        [&](std::function<void(Result<BlobOutcome>)> done) { client().upload_blob("app", blob, "", done); });
  }
  std::vector<std::string> sent() const {
    std::vector<std::string> lines;
    for (const HttpRequest& request : http_->requests()) lines.push_back(request.method + " " + request.url);
    return lines;
  }

  uv_loop_t loop_;
  RegistryOptions options_;
  std::unique_ptr<testing::FakeHttpClient> http_;
  std::unique_ptr<RegistryClient> client_;
};

const std::string kManifestUrl = "https://r.example/v2/app/manifests/1.0";

std::string manifest_body() {
  oci::Descriptor config{oci::kMediaTypeConfig, "sha256:" + std::string(64, 'c'), 2, std::nullopt, {}};
  return oci::manifest_json(config, {});
}

// An IMF-fixdate `seconds` from now.
std::string http_date(std::int64_t seconds) {
  std::time_t when = std::time(nullptr) + seconds;
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

TEST_F(FakeRegistryTest, ALocationRelativeToTheUploadRequestIsResolvedAgainstIt) {
  std::string content = "hello";
  std::string digest = sha256_digest(content);
  std::string encoded = "sha256%3A" + digest.substr(7);
  on("HEAD", "https://r.example/v2/app/blobs/" + digest, {404});
  on("POST", "https://r.example/v2/app/blobs/uploads/", {202, {"Location: 7a1c?_state=one"}});
  on("PUT", "https://r.example/v2/app/blobs/uploads/7a1c?_state=one&digest=" + encoded,
     {201, {"Docker-Content-Digest: " + digest}});
  Result<BlobOutcome> outcome = upload(BlobUpload{digest, 5, {}, content});
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_EQ(outcome.value(), BlobOutcome::uploaded);
  EXPECT_EQ(http_->requests().back().body, "hello");
  EXPECT_EQ(testing::FakeHttpClient::header(http_->requests().back(), "content-type"), "application/octet-stream");
}

TEST_F(FakeRegistryTest, EachChunksLocationIsResolvedAgainstThePatchItAnswered) {
  options_.chunk_threshold = 4;
  options_.chunk_size = 4;
  testing::ScratchDir scratch;
  std::string content = "0123456789";
  std::string digest = sha256_digest(content);
  std::string uploads = "https://r.example/v2/app/blobs/uploads/";
  on("HEAD", "https://r.example/v2/app/blobs/" + digest, {404});
  on("POST", uploads, {202, {"Location: /v2/app/blobs/uploads/9f?_state=1"}});
  on("PATCH", uploads + "9f?_state=1", {202, {"Location: 9f?_state=2"}});
  on("PATCH", uploads + "9f?_state=2", {202, {"Location: ../uploads/9f?_state=3"}});
  on("PATCH", uploads + "9f?_state=3", {202, {"Location: https://storage.example/up/9f?_state=4"}});
  on("PUT", "https://storage.example/up/9f?_state=4&digest=sha256%3A" + digest.substr(7), {201});
  Result<BlobOutcome> outcome = upload(BlobUpload{digest, 10, scratch.write("blob", content), {}});
  ASSERT_TRUE(outcome.ok()) << outcome.error();
  EXPECT_EQ(outcome.value(), BlobOutcome::uploaded);
  const std::vector<HttpRequest>& requests = http_->requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(testing::FakeHttpClient::header(requests[2], "Content-Range"), "0-3");
  EXPECT_EQ(testing::FakeHttpClient::header(requests[4], "Content-Range"), "8-9");
  EXPECT_EQ(requests[4].body_offset, 8);
  EXPECT_EQ(requests[4].body_length, 2);
  EXPECT_TRUE(requests[5].body.empty() && requests[5].body_file.empty());
}

TEST_F(FakeRegistryTest, RetryAfterGivenAsAnHttpDateSetsTheDelay) {
  on("GET", kManifestUrl, {503, {"Retry-After: Sun, 06 Nov 1994 08:49:37 GMT"}});
  on("GET", kManifestUrl, {429, {"Retry-After: " + http_date(3600)}});
  on("GET", kManifestUrl, {503, {"Retry-After: 2"}});
  on("GET", kManifestUrl, {200, {"Content-Type: application/vnd.oci.image.manifest.v1+json"}, manifest_body()});
  Result<oci::Manifest> manifest = get_manifest("1.0");
  ASSERT_TRUE(manifest.ok()) << manifest.error();
  // A date past is no wait, a date an hour away the longest wait (max_delay), "2" two seconds.
  EXPECT_EQ(http_->delays(),
            (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(0), std::chrono::milliseconds(10000),
                                                    std::chrono::milliseconds(2000)}));
}

TEST_F(FakeRegistryTest, ABearerChallengeGetsATokenAndTheRequestIsSentAgainWithIt) {
  on("GET", kManifestUrl,
     {401,
      {R"(WWW-Authenticate: Bearer realm="https://auth.example/token",service="r.example",scope="repository:app:pull")"},
      R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})"});
  on("GET", "https://auth.example/token?service=r.example&scope=repository%3Aapp%3Apull",
     {200, {}, R"({"token":"t0k"})"});
  on("GET", kManifestUrl, {200, {}, manifest_body()});
  on("GET", "https://r.example/v2/app/manifests/2.0", {200, {}, manifest_body()});
  Result<oci::Manifest> manifest = get_manifest("1.0");
  ASSERT_TRUE(manifest.ok()) << manifest.error();
  EXPECT_EQ(sent(),
            (std::vector<std::string>{"GET " + kManifestUrl,
                                      "GET https://auth.example/token?service=r.example&scope=repository%3Aapp%3Apull",
                                      "GET " + kManifestUrl}));
  const std::vector<HttpRequest>& requests = http_->requests();
  EXPECT_EQ(testing::FakeHttpClient::header(requests[0], "Authorization"), "");
  EXPECT_EQ(testing::FakeHttpClient::header(requests[1], "Authorization"), "Basic YWxpY2U6cHc=");
  EXPECT_EQ(testing::FakeHttpClient::header(requests[2], "Authorization"), "Bearer t0k");
  EXPECT_NE(testing::FakeHttpClient::header(requests[2], "Accept").find(oci::kMediaTypeIndex), std::string::npos);
  // The token is kept for the repository: the next request sends it at once.
  ASSERT_TRUE(get_manifest("2.0").ok());
  EXPECT_EQ(testing::FakeHttpClient::header(http_->requests().back(), "Authorization"), "Bearer t0k");
}

TEST_F(FakeRegistryTest, ARefusedTokenEndsTheRequestWithTheTokenServersAnswer) {
  on("GET", kManifestUrl, {401, {R"(WWW-Authenticate: Bearer realm="https://auth.example/token")"}});
  on("GET", "https://auth.example/token", {403, {}, R"({"errors":[{"code":"DENIED","message":"no"}]})"});
  Result<oci::Manifest> manifest = get_manifest("1.0");
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(
      manifest.error(),
      "cannot get r.example/app:1.0: cannot get a token from https://auth.example/token: access denied (HTTP 403) "
      "(DENIED: no)");
}

TEST_F(FakeRegistryTest, ReadsTheHeadersItNeedsWhateverTheirCase) {
  // No mediaType in the document: Content-Type says what it is, its parameters left out.
  std::string docker = R"({"schemaVersion":2,"config":{"digest":"sha256:)" + std::string(64, 'c') +
                       R"(","size":2,"mediaType":"application/vnd.docker.container.image.v1+json"},"layers":[]})";
  on("GET", kManifestUrl,
     {200,
      {"CONTENT-TYPE: application/vnd.docker.distribution.manifest.v2+json; charset=utf-8",
       "docker-content-digest: " + sha256_digest(docker)},
      docker});
  Result<oci::Manifest> manifest = get_manifest("1.0");
  ASSERT_TRUE(manifest.ok()) << manifest.error();
  EXPECT_EQ(manifest.value().media_type, "application/vnd.docker.distribution.manifest.v2+json");

  std::string wrong = "sha256:" + std::string(64, '0');
  on("GET", "https://r.example/v2/app/manifests/2.0", {200, {"Docker-Content-Digest: " + wrong}, manifest_body()});
  Result<oci::Manifest> mismatch = get_manifest("2.0");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error(), "r.example/app:2.0: the manifest's content does not match its digest " + wrong);
}

}  // namespace
}  // namespace xb::registry
