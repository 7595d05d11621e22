// The distribution-spec client against a real registry (Debian's docker-registry on
// 127.0.0.1): chunked uploads, skips, mounts, many transfers at once on one loop.
#include "registry/registry_client.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

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

  std::optional<Result<Manifest>> got, missing;
  pending = 2;
  client_->get_manifest("test/manifest", "v1", [&](Result<Manifest> manifest) {
    got.emplace(std::move(manifest));
    --pending;
  });
  client_->get_manifest("test/manifest", "nope", [&](Result<Manifest> manifest) {
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

}  // namespace
}  // namespace xb::registry
