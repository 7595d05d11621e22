// Tests for image: the documents are compared as exact strings (canonical JSON).
#include "oci/image.h"

#include <gtest/gtest.h>

#include "oci/document.h"

namespace xb::oci {
namespace {

Descriptor blob(const char* media_type, const char* digest, std::int64_t size) {
  Descriptor descriptor;
  descriptor.media_type = media_type;
  descriptor.digest = digest;
  descriptor.size = size;
  return descriptor;
}

TEST(ImageTest, Rfc3339) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(rfc3339(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(rfc3339(4102444799), "2099-12-31T23:59:59Z");
}

TEST(ImageTest, FullConfig) {
  ImageConfig config;
  config.platform = Platform{"linux", "arm", "v7", ""};
  config.created = 1700000000;
  config.entrypoint = {"/app/hello"};
  config.cmd = {"--verbose"};
  config.env = {"A=1", "PATH=/usr/bin"};
  config.working_dir = "/app";
  config.user = "1000:1000";
  config.labels = {{"org.example.b", "2"}, {"org.example.a", "1"}};
  config.diff_ids = {"sha256:1111"};
  EXPECT_EQ(image_config_json(config),
            R"({"architecture":"arm","config":{"Cmd":["--verbose"],"Entrypoint":["/app/hello"],)"
            R"("Env":["A=1","PATH=/usr/bin"],"Labels":{"org.example.a":"1","org.example.b":"2"},)"
            R"("User":"1000:1000","WorkingDir":"/app"},"created":"2023-11-14T22:13:20Z",)"
            R"("history":[{"created":"2023-11-14T22:13:20Z","created_by":"xbuild"}],"os":"linux",)"
            R"("rootfs":{"diff_ids":["sha256:1111"],"type":"layers"},"variant":"v7"})");
}

TEST(ImageTest, MinimalConfigLeavesEmptyFieldsOut) {
  ImageConfig config;
  config.platform = Platform{"linux", "amd64", "", ""};
  config.diff_ids = {"sha256:1111"};
  EXPECT_EQ(image_config_json(config),
            R"({"architecture":"amd64","config":{},"created":"1970-01-01T00:00:00Z",)"
            R"("history":[{"created":"1970-01-01T00:00:00Z","created_by":"xbuild"}],"os":"linux",)"
            R"("rootfs":{"diff_ids":["sha256:1111"],"type":"layers"}})");
}

TEST(ImageTest, ConfigWithOsVersionAndOneHistoryEntryPerLayer) {
  ImageConfig config;
  config.platform = Platform{"windows", "amd64", "", "10.0.20348.2582"};
  config.diff_ids = {"sha256:1111", "sha256:2222"};
  config.created_by = "xbuild test";
  EXPECT_EQ(image_config_json(config), R"({"architecture":"amd64","config":{},"created":"1970-01-01T00:00:00Z",)"
                                       R"("history":[{"created":"1970-01-01T00:00:00Z","created_by":"xbuild test"},)"
                                       R"({"created":"1970-01-01T00:00:00Z","created_by":"xbuild test"}],)"
                                       R"("os":"windows","os.version":"10.0.20348.2582",)"
                                       R"("rootfs":{"diff_ids":["sha256:1111","sha256:2222"],"type":"layers"}})");
}

TEST(ImageTest, ConfigWithoutLayersHasAnEmptyLayerHistoryEntry) {
  ImageConfig config;
  config.platform = Platform{"linux", "riscv64", "", ""};
  EXPECT_EQ(image_config_json(config),
            R"({"architecture":"riscv64","config":{},"created":"1970-01-01T00:00:00Z",)"
            R"("history":[{"created":"1970-01-01T00:00:00Z","created_by":"xbuild","empty_layer":true}],)"
            R"("os":"linux","rootfs":{"diff_ids":[],"type":"layers"}})");
}

TEST(ImageTest, Manifest) {
  Descriptor config = blob(kMediaTypeConfig, "sha256:cccc", 123);
  Descriptor layer = blob(kMediaTypeLayerGzip, "sha256:llll", 4567);
  EXPECT_EQ(manifest_json(config, {layer}),
            R"({"config":{"digest":"sha256:cccc","mediaType":"application/vnd.oci.image.config.v1+json","size":123},)"
            R"("layers":[{"digest":"sha256:llll","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",)"
            R"("size":4567}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
}

TEST(ImageTest, ManifestWithAnnotations) {
  Descriptor config = blob(kMediaTypeConfig, "sha256:cccc", 1);
  EXPECT_EQ(manifest_json(config, {}, {{kAnnotationCreated, "2023-11-14T22:13:20Z"}}),
            R"({"annotations":{"org.opencontainers.image.created":"2023-11-14T22:13:20Z"},)"
            R"("config":{"digest":"sha256:cccc","mediaType":"application/vnd.oci.image.config.v1+json","size":1},)"
            R"("layers":[],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
}

TEST(ImageTest, IndexWithPlatforms) {
  Descriptor amd64 = blob(kMediaTypeManifest, "sha256:aaaa", 10);
  amd64.platform = Platform{"linux", "amd64", "", ""};
  Descriptor arm = blob(kMediaTypeManifest, "sha256:bbbb", 20);
  arm.platform = Platform{"linux", "arm", "v7", ""};
  Descriptor windows = blob(kMediaTypeManifest, "sha256:wwww", 30);
  windows.platform = Platform{"windows", "amd64", "", "10.0.20348.2582"};
  EXPECT_EQ(index_json({amd64, arm, windows}),
            R"({"manifests":[)"
            R"({"digest":"sha256:aaaa","mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("platform":{"architecture":"amd64","os":"linux"},"size":10},)"
            R"({"digest":"sha256:bbbb","mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("platform":{"architecture":"arm","os":"linux","variant":"v7"},"size":20},)"
            R"({"digest":"sha256:wwww","mediaType":"application/vnd.oci.image.manifest.v1+json",)"
            R"("platform":{"architecture":"amd64","os":"windows","os.version":"10.0.20348.2582"},"size":30}],)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
}

TEST(ImageTest, IndexWithAnnotatedDescriptor) {
  Descriptor index = blob(kMediaTypeIndex, "sha256:iiii", 99);
  index.annotations[kAnnotationRefName] = "1.0.0";
  EXPECT_EQ(index_json({index}, {{"org.example", "x"}}),
            R"({"annotations":{"org.example":"x"},"manifests":[)"
            R"({"annotations":{"org.opencontainers.image.ref.name":"1.0.0"},"digest":"sha256:iiii",)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","size":99}],)"
            R"("mediaType":"application/vnd.oci.image.index.v1+json","schemaVersion":2})");
}

// A Windows base image's foreign layer: its urls are written after the other fields (sorted
// keys) and read back unchanged, so a derived image's manifest keeps the descriptor as it was.
TEST(ImageTest, NonDistributableLayerKeepsItsUrls) {
  const std::string digest = "sha256:" + std::string(64, 'f');
  Descriptor config = blob(kMediaTypeConfig, ("sha256:" + std::string(64, 'c')).c_str(), 1);
  Descriptor foreign = blob(kMediaTypeDockerForeignLayerGzip, digest.c_str(), 1234);
  foreign.urls = {"https://example.invalid/a.tar.gz", "https://example.invalid/b.tar.gz"};
  std::string manifest = manifest_json(config, {foreign});
  EXPECT_NE(manifest.find(R"({"digest":")" + digest +
                          R"(","mediaType":"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip","size":1234,)"
                          R"("urls":["https://example.invalid/a.tar.gz","https://example.invalid/b.tar.gz"]})"),
            std::string::npos)
      << manifest;
  EXPECT_EQ(manifest_json(config, {blob(kMediaTypeLayerGzip, digest.c_str(), 1)}).find("urls"), std::string::npos);

  Result<Manifest> parsed = parse_manifest(manifest, "", "test");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed.value().layers.size(), 1u);
  EXPECT_EQ(parsed.value().layers[0].media_type, foreign.media_type);
  EXPECT_EQ(parsed.value().layers[0].digest, digest);
  EXPECT_EQ(parsed.value().layers[0].size, 1234);
  EXPECT_EQ(parsed.value().layers[0].urls, foreign.urls);
  EXPECT_EQ(manifest_json(parsed.value().config, parsed.value().layers), manifest);
}

TEST(ImageTest, ArtifactManifestNamesItsTypeAndHasTheEmptyConfig) {
  Descriptor config =
      blob(kMediaTypeEmpty, "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", 2);
  Descriptor elf = blob("application/vnd.xbuild.firmware.elf", "sha256:eeee", 10);
  elf.annotations["org.opencontainers.image.title"] = "blink.elf";
  EXPECT_EQ(kEmptyConfig, "{}");
  EXPECT_EQ(manifest_json(config, {elf}, {{"xbuild.firmware.cpu", "cortex-m3"}}, "application/vnd.xbuild.firmware.v1"),
            R"({"annotations":{"xbuild.firmware.cpu":"cortex-m3"},"artifactType":"application/vnd.xbuild.firmware.v1",)"
            R"("config":{"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
            R"("mediaType":"application/vnd.oci.empty.v1+json","size":2},"layers":[{"annotations":)"
            R"({"org.opencontainers.image.title":"blink.elf"},"digest":"sha256:eeee",)"
            R"("mediaType":"application/vnd.xbuild.firmware.elf","size":10}],)"
            R"("mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2})");
}

TEST(ImageTest, NonDistributableMediaTypes) {
  for (const char* type : {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                           "application/vnd.docker.image.rootfs.foreign.diff.tar",
                           "application/vnd.oci.image.layer.nondistributable.v1.tar",
                           "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                           "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"})
    EXPECT_TRUE(is_non_distributable(type)) << type;
  for (const char* type : {kMediaTypeLayerGzip, "application/vnd.docker.image.rootfs.diff.tar.gzip",
                           "application/vnd.oci.image.layer.v1.tar+zstd", kMediaTypeConfig, ""})
    EXPECT_FALSE(is_non_distributable(type)) << type;
}

TEST(ImageTest, EscapingAndUnicode) {
  ImageConfig config;
  config.platform = Platform{"linux", "amd64", "", ""};
  config.env = {"GREETING=\"h\xc3\xa9llo\"\n", "BAD=\xff"};
  EXPECT_EQ(image_config_json(config),
            "{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"GREETING=\\\"h\xc3\xa9llo\\\"\\n\","
            "\"BAD=\xef\xbf\xbd\"]},\"created\":\"1970-01-01T00:00:00Z\","
            "\"history\":[{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"xbuild\",\"empty_layer\":true}],"
            "\"os\":\"linux\",\"rootfs\":{\"diff_ids\":[],\"type\":\"layers\"}}");
}

}  // namespace
}  // namespace xb::oci
