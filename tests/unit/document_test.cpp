// Tests for oci/document: manifests and indexes as registries and layouts serve them (OCI and
// Docker media types), a layout's index.json, image configs; every refusal by its message.
#include "oci/document.h"

#include <gtest/gtest.h>

#include "oci/image.h"
#include "util/sha256.h"

namespace xb::oci {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kDigestC = "sha256:" + std::string(64, 'c');

TEST(Document, MediaTypes) {
  EXPECT_TRUE(is_index_media_type(kMediaTypeIndex));
  EXPECT_TRUE(is_index_media_type("application/vnd.docker.distribution.manifest.list.v2+json"));
  EXPECT_FALSE(is_index_media_type(kMediaTypeManifest));
  EXPECT_TRUE(is_manifest_media_type(kMediaTypeManifest));
  EXPECT_TRUE(is_manifest_media_type("application/vnd.docker.distribution.manifest.v2+json"));
  EXPECT_FALSE(is_manifest_media_type(kMediaTypeConfig));
}

TEST(Document, Sha256Digests) {
  EXPECT_TRUE(is_sha256_digest(kDigestA));
  EXPECT_TRUE(is_sha256_digest(sha256_digest("x")));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(63, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(65, 'a')));
  EXPECT_FALSE(is_sha256_digest("sha256:" + std::string(64, 'A')));
  EXPECT_FALSE(is_sha256_digest("sha256:../../../../../../../../../../../../../../../../../../etc/passwd"));
  EXPECT_FALSE(is_sha256_digest("sha512:" + std::string(64, 'a')));
  EXPECT_FALSE(is_sha256_digest(""));
}

TEST(Document, ParsesAnImageManifestWithItsExactBytes) {
  Descriptor config{kMediaTypeConfig, kDigestA, 12, std::nullopt, {}};
  Descriptor layer{kMediaTypeLayerGzip, kDigestB, 345, std::nullopt, {{"org.example", "x"}}};
  std::string body = manifest_json(config, {layer}, {{kAnnotationCreated, "2023-11-14T22:13:20Z"}});
  Result<Manifest> parsed = parse_manifest(body, "", "test");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().media_type, kMediaTypeManifest);
  EXPECT_FALSE(parsed.value().is_index());
  EXPECT_EQ(parsed.value().body, body);
  EXPECT_EQ(parsed.value().digest, sha256_digest(body));
  EXPECT_EQ(parsed.value().size(), static_cast<std::int64_t>(body.size()));
  EXPECT_EQ(parsed.value().config, config);
  ASSERT_EQ(parsed.value().layers.size(), 1u);
  EXPECT_EQ(parsed.value().layers[0], layer);
  EXPECT_EQ(parsed.value().annotations.at(kAnnotationCreated), "2023-11-14T22:13:20Z");
}

// A size below 0 or beyond any blob a registry takes is a damaged or hostile document,
// refused where it is read, naming the document and the descriptor.
TEST(Document, ASizeOutOfRangeIsRefusedNamingTheDescriptor) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  for (const std::string& size :
       {std::string("-1"), std::string("1000000000000"), std::string("18446744073709551615")}) {
    std::string index = R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                        R"("digest":")" +
                        digest + R"(","size":)" + size + "}]}";
    EXPECT_EQ(parse_layout_index(index, "dir/index.json").error(),
              "dir/index.json: the descriptor of " + digest + " declares a size of " + size +
                  " bytes; a blob's size is 0 to 274877906944 bytes (256 GiB)");
    std::string manifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                           R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
                           digest +
                           R"(","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
                           R"("digest":")" +
                           digest + R"(","size":)" + size + "}]}";
    EXPECT_EQ(parse_manifest(manifest, "", "r.example/x:1").error(),
              "r.example/x:1: the descriptor of " + digest + " declares a size of " + size +
                  " bytes; a blob's size is 0 to 274877906944 bytes (256 GiB)");
  }
  EXPECT_TRUE(parse_layout_index(R"({"manifests":[{"digest":")" + digest + R"(","size":274877906944}]})", "i").ok());
}

TEST(Document, ParsesAnIndexWithPlatformsAndArtifactTypes) {
  Descriptor image{kMediaTypeManifest, kDigestA, 10, Platform{"windows", "amd64", "", "10.0.20348.2582"}, {}};
  Descriptor firmware{kMediaTypeManifest, kDigestB, 20, Platform{"none", "arm", "cortex-m3", ""}, {}};
  firmware.artifact_type = "application/vnd.xbuild.firmware.v1";
  Result<Manifest> parsed = parse_manifest(index_json({image, firmware}, {{"org.example", "y"}}), "", "test");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_TRUE(parsed.value().is_index());
  EXPECT_EQ(parsed.value().manifests, (std::vector<Descriptor>{image, firmware}));
  EXPECT_EQ(parsed.value().annotations.at("org.example"), "y");
}

TEST(Document, TheMediaTypeComesFromTheDocumentElseContentTypeElseItsShape) {
  std::string docker = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
                       R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                       kDigestA + R"(","size":1},"layers":[]})";
  EXPECT_EQ(parse_manifest(docker, kMediaTypeIndex, "t").value().media_type,
            "application/vnd.docker.distribution.manifest.v2+json");
  std::string bare = R"({"schemaVersion":2,"manifests":[]})";
  EXPECT_EQ(parse_manifest(bare, "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8", "t")
                .value()
                .media_type,
            "application/vnd.docker.distribution.manifest.list.v2+json");
  EXPECT_EQ(parse_manifest(bare, "", "t").value().media_type, kMediaTypeIndex);
  EXPECT_EQ(
      parse_manifest(R"({"config":{"digest":")" + kDigestA + R"(","size":1},"layers":[]})", "", "t").value().media_type,
      kMediaTypeManifest);
}

TEST(Document, RefusesWhatItCannotUse) {
  EXPECT_EQ(parse_manifest("[]", "", "r/x:1").error(), "r/x:1: the manifest is not a JSON object");
  EXPECT_EQ(parse_manifest("{", "", "r/x:1").error(), "r/x:1: the manifest is not a JSON object");
  EXPECT_EQ(parse_manifest(R"({"mediaType":"text/plain"})", "", "r/x:1").error(),
            "r/x:1: unsupported media type \"text/plain\"");
  EXPECT_EQ(parse_manifest("{}", "", "r/x:1").error(), "r/x:1: unsupported media type \"\"");
  EXPECT_EQ(parse_manifest("{}", kMediaTypeIndex, "r/x:1").error(), "r/x:1: the index has no manifests");
  EXPECT_EQ(parse_manifest("{}", kMediaTypeManifest, "r/x:1").error(), "r/x:1: the manifest has no config");
  EXPECT_EQ(parse_manifest(R"({"manifests":[{"digest":")" + kDigestA + R"("}]})", kMediaTypeIndex, "r/x:1").error(),
            "r/x:1: a descriptor lacks its digest or size");
  EXPECT_EQ(parse_manifest(R"({"config":{"digest":"sha512:abc","size":1}})", kMediaTypeManifest, "r/x:1").error(),
            "r/x:1: unsupported digest \"sha512:abc\" (only sha256 is supported)");
  EXPECT_EQ(parse_manifest(R"({"config":{"digest":")" + kDigestA + R"(","size":1},"layers":[{"size":2}]})",
                           kMediaTypeManifest, "r/x:1")
                .error(),
            "r/x:1: a descriptor lacks its digest or size");
}

TEST(Document, ReadsALayoutIndex) {
  Descriptor root{kMediaTypeIndex, kDigestA, 99, std::nullopt, {{kAnnotationRefName, "1.0"}}};
  Result<std::vector<Descriptor>> roots = parse_layout_index(index_json({root}), "/l/index.json");
  ASSERT_TRUE(roots.ok()) << roots.error();
  EXPECT_EQ(roots.value(), std::vector<Descriptor>{root});
  EXPECT_TRUE(parse_layout_index(R"({"manifests":[]})", "/l/index.json").value().empty());
  EXPECT_EQ(parse_layout_index("{}", "/l/index.json").error(), "/l/index.json: not an image index");
  EXPECT_EQ(parse_layout_index("nonsense", "/l/index.json").error(), "/l/index.json: not an image index");
  EXPECT_EQ(parse_layout_index(R"({"manifests":[{}]})", "/l/index.json").error(),
            "/l/index.json: a descriptor lacks its digest or size");
}

TEST(Document, ReadsAnImageConfigBack) {
  ImageConfig written;
  written.platform = Platform{"linux", "arm", "v7", ""};
  written.created = 1700000000;
  written.entrypoint = {"/app/hello"};
  written.cmd = {"--verbose"};
  written.env = {"A=1", "PATH=/usr/bin"};
  written.working_dir = "/app";
  written.user = "1000:1000";
  written.labels = {{"org.example.a", "1"}};
  written.diff_ids = {kDigestA, kDigestB};
  Result<ImageConfig> read = parse_image_config(image_config_json(written), "test");
  ASSERT_TRUE(read.ok()) << read.error();
  EXPECT_EQ(read.value().platform, written.platform);
  EXPECT_EQ(read.value().entrypoint, written.entrypoint);
  EXPECT_EQ(read.value().cmd, written.cmd);
  EXPECT_EQ(read.value().env, written.env);
  EXPECT_EQ(read.value().working_dir, written.working_dir);
  EXPECT_EQ(read.value().user, written.user);
  EXPECT_EQ(read.value().labels, written.labels);
  EXPECT_EQ(read.value().diff_ids, written.diff_ids);

  // Fields of the wrong type read as absent.
  Result<ImageConfig> odd =
      parse_image_config(R"({"os":"linux","config":{"Env":"A=1","User":7},"rootfs":{"diff_ids":[1,"x"]}})", "test");
  ASSERT_TRUE(odd.ok()) << odd.error();
  EXPECT_TRUE(odd.value().env.empty());
  EXPECT_EQ(odd.value().user, "");
  EXPECT_EQ(odd.value().diff_ids, std::vector<std::string>{"x"});
  EXPECT_EQ(parse_image_config("[1]", "base (config x)").error(),
            "base (config x): the image config is not a JSON object");
}

TEST(Document, PlatformOfConfig) {
  EXPECT_EQ(platform_of_config(R"({"os":"windows","architecture":"amd64","os.version":"10.0.1"})", "t").value(),
            (Platform{"windows", "amd64", "", "10.0.1"}));
  EXPECT_EQ(platform_of_config(R"({"os":"linux"})", "r/x:1").error(),
            "r/x:1: the image config names no os and architecture");
  EXPECT_EQ(platform_of_config("null", "r/x:1").error(), "r/x:1: the image config is not a JSON object");
}

}  // namespace
}  // namespace xb::oci
