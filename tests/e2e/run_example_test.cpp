// examples/hello end to end: the real xbuild binary, the real cross compilers and qemu-user,
// and the result read back by skopeo and umoci (independent OCI clients).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct PlatformCase {
  std::string platform, architecture, variant;
  std::vector<std::string> runner;  // how this host runs the binary
  int elf_machine;
  std::string self_test;  // what the binary's --self-test prints
};

const std::vector<PlatformCase>& platforms() {
  static const std::vector<PlatformCase> cases = {
      {"linux/amd64", "amd64", "", {}, 0x3e, "self-test passed on amd64 (64-bit)"},
      {"linux/arm64", "arm64", "", {"qemu-aarch64-static"}, 0xb7, "self-test passed on arm64 (64-bit)"},
      {"linux/arm/v7", "arm", "v7", {"qemu-arm-static"}, 0x28, "self-test passed on arm (32-bit)"},
      {"linux/386", "386", "", {"qemu-i386-static"}, 0x03, "self-test passed on 386 (32-bit)"},
      {"linux/riscv64", "riscv64", "", {"qemu-riscv64-static"}, 0xf3, "self-test passed on riscv64 (64-bit)"},
  };
  return cases;
}

const std::vector<std::string> kExampleTools = {"make",
                                                "skopeo",
                                                "umoci",
                                                "x86_64-linux-gnu-gcc",
                                                "aarch64-linux-gnu-gcc",
                                                "arm-linux-gnueabihf-gcc",
                                                "i686-linux-gnu-gcc",
                                                "riscv64-linux-gnu-gcc",
                                                "qemu-aarch64-static",
                                                "qemu-arm-static",
                                                "qemu-i386-static",
                                                "qemu-riscv64-static"};

// Builds examples/hello once for the whole suite; the tests read what it wrote.
class HelloExample : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scratch_ = std::make_unique<ScratchDir>();
    project_ = copy_example("hello", scratch_->path() / "hello");
    layout_ = scratch_->path() / "layout";
    result_ = xbuild({"run", "xbuild.toml", "--output", "oci:" + layout_.string()}, project_);
  }
  static void TearDownTestSuite() { scratch_.reset(); }

  void SetUp() override {
    XB_REQUIRE_TOOLS(kExampleTools);
    ASSERT_EQ(result_.exit_code, 0) << result_.out << result_.err;
  }

  static json inspect_raw(const std::string& reference) {
    CommandResult inspect = run({"skopeo", "inspect", "--raw", reference});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    return json::parse(inspect.out);
  }

  static inline std::unique_ptr<ScratchDir> scratch_;
  static inline fs::path project_, layout_;
  static inline CommandResult result_;
};

// The whole output of examples/hello, pinned: any change to a layer, an image config, a
// manifest or the index shows here. (SOURCE_DATE_EPOCH is pinned by xbuild(); the binaries are
// static, so an update of Debian's cross compilers or C libraries changes it too.)
TEST_F(HelloExample, IndexDigestIsPinned) {
  json layout_index = json::parse(read_file(layout_ / "index.json").value());
  ASSERT_EQ(layout_index["manifests"].size(), 1u);
  EXPECT_EQ(layout_index["manifests"][0]["digest"],
            "sha256:ae48a9b967515639cf1615f738cb892e22d452560cce88a59687d954281d7906");
}

TEST_F(HelloExample, SkopeoSeesAnIndexWithFivePlatforms) {
  json index = inspect_raw("oci:" + layout_.string());
  EXPECT_EQ(index["mediaType"], "application/vnd.oci.image.index.v1+json");
  EXPECT_EQ(index["schemaVersion"], 2);
  ASSERT_EQ(index["manifests"].size(), platforms().size());
  for (std::size_t i = 0; i < platforms().size(); ++i) {
    const json& entry = index["manifests"][i];
    const PlatformCase& expected = platforms()[i];
    EXPECT_EQ(entry["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(entry["platform"]["os"], "linux") << expected.platform;
    EXPECT_EQ(entry["platform"]["architecture"], expected.architecture) << expected.platform;
    if (expected.variant.empty())
      EXPECT_FALSE(entry["platform"].contains("variant")) << expected.platform;
    else
      EXPECT_EQ(entry["platform"]["variant"], expected.variant) << expected.platform;
  }
  // The layout's own index.json holds one descriptor, the index, tagged with the first tag.
  json layout_index = json::parse(read_file(layout_ / "index.json").value());
  ASSERT_EQ(layout_index["manifests"].size(), 1u);
  EXPECT_EQ(layout_index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "1.0.0");
}

TEST_F(HelloExample, EveryPlatformUnpacksWithUmociToABinaryThatRuns) {
  for (const PlatformCase& platform : platforms()) {
    SCOPED_TRACE(platform.platform);
    fs::path single = scratch_->path() / ("single-" + platform.architecture + platform.variant);
    std::vector<std::string> copy = {"skopeo", "copy", "--override-arch", platform.architecture};
    if (!platform.variant.empty()) copy.insert(copy.end(), {"--override-variant", platform.variant});
    copy.insert(copy.end(), {"oci:" + layout_.string() + ":1.0.0", "oci:" + single.string() + ":one"});
    CommandResult copied = run(copy);
    ASSERT_EQ(copied.exit_code, 0) << copied.err;

    fs::path bundle = scratch_->path() / ("bundle-" + platform.architecture + platform.variant);
    std::vector<std::string> unpack = {"umoci", "unpack"};
    if (geteuid() != 0) unpack.push_back("--rootless");
    unpack.insert(unpack.end(), {"--image", single.string() + ":one", bundle.string()});
    CommandResult unpacked = run(unpack);
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;

    fs::path binary = bundle / "rootfs" / "app" / "hello";
    ASSERT_TRUE(fs::is_regular_file(binary));
    EXPECT_EQ(elf_machine(binary), platform.elf_machine);
    std::vector<std::string> argv = platform.runner;
    argv.insert(argv.end(), {binary.string(), "--self-test"});
    CommandResult ran = run(argv);
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.out, platform.self_test + "\n");

    // The runtime config umoci derived from our image config.
    json runtime = json::parse(read_file(bundle / "config.json").value());
    EXPECT_EQ(runtime["process"]["args"], json::array({"/app/hello"}));
  }
}

TEST_F(HelloExample, OutputIsPrefixedPerPlatformAndStage) {
  for (const PlatformCase& platform : platforms())
    EXPECT_NE(result_.out.find("[" + platform.platform + " test] " + platform.self_test + "\n"), std::string::npos)
        << result_.out;
  EXPECT_NE(result_.out.find("xbuild: built 5 platforms in "), std::string::npos) << result_.out;
}

TEST_F(HelloExample, TwoCleanBuildsElsewhereGiveTheSameIndexDigest) {
  ScratchDir other;
  fs::path project = copy_example("hello", other.path() / "somewhere" / "else");
  fs::path layout = other.path() / "layout";
  CommandResult second = xbuild({"run", "xbuild.toml", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(read_file(layout / "index.json").value(), read_file(layout_ / "index.json").value());
  EXPECT_EQ(snapshot_tree(layout / "blobs"), snapshot_tree(layout_ / "blobs"));
}

TEST_F(HelloExample, ArchiveOutputHoldsTheSameIndex) {
  ScratchDir other;
  fs::path project = copy_example("hello", other.path() / "hello");
  fs::path archive = other.path() / "hello.tar";
  CommandResult built = xbuild({"run", "xbuild.toml", "-o", "oci-archive:" + archive.string()}, project);
  ASSERT_EQ(built.exit_code, 0) << built.err;
  EXPECT_EQ(inspect_raw("oci-archive:" + archive.string()), inspect_raw("oci:" + layout_.string()));
}

TEST_F(HelloExample, PlanShowsTheStrategyToolchainAndRunnerOfEachPlatform) {
  CommandResult plan = xbuild({"plan"}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("linux/amd64    native"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("linux/arm64    cross     aarch64-linux-gnu-gcc"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("qemu-aarch64-static -L " + (project_ / ".xbuild/qemu-prefix/linux-arm64").string()),
            std::string::npos)
      << plan.out;
  // This kernel (Linux >= 6.7) gives each stage binfmt_misc handlers of its own: binaries run by
  // their path under QEMU, linux/386's too, with the target's libraries.
  EXPECT_NE(plan.out.find("target binaries run by their path (ctest, make check):\n"
                          "  linux/arm64: QEMU through a binfmt_misc handler of the stage's own, libraries from " +
                          (project_ / ".xbuild/qemu-prefix/linux-arm64").string() + "\n"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("  linux/386: QEMU through a binfmt_misc handler of the stage's own"), std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("linux/arm64: auto: cross toolchain aarch64-linux-gnu (toolchains/linux-arm64.toml)"),
            std::string::npos)
      << plan.out;
  EXPECT_NE(plan.out.find("  test (needs build)\n"), std::string::npos) << plan.out;
}

}  // namespace
}  // namespace xb::testing
