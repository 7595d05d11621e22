// Base images from OCI layouts on disk, and the warning about an entrypoint that cannot start.
//
// The base is built by xbuild itself: a project whose images hold the real glibc loader and C
// library of each platform's toolchain, laid out as merged-usr Debian lays them out (/lib ->
// usr/lib, /lib64 -> usr/lib). A second project builds hello dynamically linked on
// `from = "oci:../base/.xbuild/oci:glibc"`; its images are read back with skopeo and umoci, and
// hello runs from the unpacked root filesystem through the loader the base brought. FROM
// scratch, the same dynamically linked hello gets a warning for each platform; linked
// statically, none.
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBaseConfig = R"toml([project]
name = "base"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

# The toolchain's own glibc: the loader and libc.so.6 under /usr/lib, reached through /lib and
# /lib64 as on a merged-usr Debian.
[stage.libc]
run = '''
set -e
libdir=$(dirname "$($CC -print-file-name=libc.so.6)")
mkdir -p "$XBUILD_OUT/usr/lib"
cp -L "$libdir/libc.so.6" "$libdir"/ld-linux-*.so.* "$XBUILD_OUT/usr/lib/"
ln -s usr/lib "$XBUILD_OUT/lib"
ln -s usr/lib "$XBUILD_OUT/lib64"
'''

[image]
tags = ["glibc"]
)toml";

// hello, linked as `link` says ("" dynamically, "-static"), on the base `from`.
std::string app_config(const std::string& from, const std::string& link) {
  return R"([project]
name = "app"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = '$CC -O2 )" +
         link + R"( -o "$XBUILD_OUT/hello" src/hello.c'

[image]
from = ")" +
         from +
         R"("
entrypoint = ["/app/hello"]
copy = [{ from = "hello", to = "/app/hello" }]
)";
}

const char* const kWarningAmd64 =
    "xbuild: warning: linux/amd64: the entrypoint /app/hello is linked dynamically and needs "
    "/lib64/ld-linux-x86-64.so.2, which the image does not have: link it statically (-static) or start from a base "
    "image that has it ([image] from)\n";
const char* const kWarningArm64 =
    "xbuild: warning: linux/arm64: the entrypoint /app/hello is linked dynamically and needs "
    "/lib/ld-linux-aarch64.so.1, which the image does not have: link it statically (-static) or start from a base "
    "image that has it ([image] from)\n";

class BaseLayoutE2E : public ::testing::Test {
 protected:
  void SetUp() override { XB_REQUIRE_TOOLS("x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "skopeo", "umoci"); }

  // A project holding examples/hello's source and `config`.
  fs::path project(const std::string& name, const std::string& config) {
    fs::path directory = scratch_.path() / name;
    fs::create_directories(directory / "src");
    fs::copy_file(source_root() / "examples/hello/src/hello.c", directory / "src/hello.c");
    EXPECT_TRUE(write_file_atomic(directory / "xbuild.toml", config).ok());
    return directory;
  }

  // The index entry of `platform` in the layout xbuild wrote.
  static json entry_of(const fs::path& layout, const std::string& platform) {
    json index = layout_image_index(layout);
    for (const json& entry : index["manifests"])
      if (entry["platform"]["os"].get<std::string>() + "/" + entry["platform"]["architecture"].get<std::string>() ==
          platform)
        return entry;
    return json::object();
  }
  static json image_of(const fs::path& layout, const std::string& platform) {
    return layout_blob_json(layout, entry_of(layout, platform)["digest"]);
  }

  ScratchDir scratch_;
};

TEST_F(BaseLayoutE2E, ADynamicallyLinkedProgramRunsOnTheLoaderOfABaseFromALayout) {
  XB_REQUIRE_TOOLS("qemu-aarch64-static");
  fs::path base = project("base", kBaseConfig);
  CommandResult based = xbuild({"run"}, base);
  ASSERT_EQ(based.exit_code, 0) << based.out << based.err;
  fs::path base_layout = base / ".xbuild/oci";

  fs::path app = project("app", app_config("oci:../base/.xbuild/oci:glibc", ""));
  CommandResult built = xbuild({"run"}, app);
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  EXPECT_EQ(built.err.find("warning"), std::string::npos) << built.err;  // the base has the loaders

  // skopeo reads the derived index; each image starts with its platform's base layer and names it.
  CommandResult inspected = run({"skopeo", "inspect", "--raw", "oci:" + (app / ".xbuild/oci").string() + ":latest"});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  ASSERT_EQ(json::parse(inspected.out)["manifests"].size(), 2u);
  for (const std::string platform : {"linux/amd64", "linux/arm64"}) {
    SCOPED_TRACE(platform);
    json derived = image_of(app / ".xbuild/oci", platform);
    json parent = image_of(base_layout, platform);
    ASSERT_EQ(derived["layers"].size(), 2u);
    EXPECT_EQ(derived["layers"][0], parent["layers"][0]);
    EXPECT_EQ(derived["annotations"],
              json({{"org.opencontainers.image.base.name", "oci:" + base_layout.string() + ":glibc"},
                    {"org.opencontainers.image.base.digest", entry_of(base_layout, platform)["digest"]}}));
  }

  // umoci unpacks each platform's image; hello runs from it on the loader and libc of the base.
  for (const std::string architecture : {"amd64", "arm64"}) {
    SCOPED_TRACE(architecture);
    fs::path single = scratch_.path() / ("single-" + architecture);
    CommandResult copied =
        run({"skopeo", "copy", "--override-arch", architecture, "oci:" + (app / ".xbuild/oci").string() + ":latest",
             "oci:" + single.string() + ":one"});
    ASSERT_EQ(copied.exit_code, 0) << copied.err;
    fs::path bundle = scratch_.path() / ("bundle-" + architecture);
    std::vector<std::string> unpack = {"umoci", "unpack"};
    if (!is_root()) unpack.push_back("--rootless");
    unpack.insert(unpack.end(), {"--image", single.string() + ":one", bundle.string()});
    CommandResult unpacked = run(unpack);
    ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
    fs::path rootfs = bundle / "rootfs";
    EXPECT_EQ(fs::read_symlink(rootfs / "lib"), "usr/lib");
    EXPECT_TRUE(fs::is_regular_file(rootfs / "usr/lib/libc.so.6"));
    ASSERT_TRUE(fs::is_regular_file(rootfs / "app/hello"));
    // The image's own loader and libc, found in the root filesystem: run directly on amd64,
    // through QEMU (whose -L prefixes the paths the program opens) on arm64.
    std::vector<std::string> argv = architecture == "amd64"
                                        ? std::vector<std::string>{(rootfs / "usr/lib/ld-linux-x86-64.so.2").string(),
                                                                   "--library-path", (rootfs / "usr/lib").string()}
                                        : std::vector<std::string>{"qemu-aarch64-static", "-L", rootfs.string()};
    argv.insert(argv.end(), {(rootfs / "app/hello").string(), "--self-test"});
    CommandResult ran = run(argv);
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.out, "self-test passed on " + architecture + " (64-bit)\n");
  }
}

TEST_F(BaseLayoutE2E, ALayoutWithoutTheTagStopsPlanAndRunWritingNothing) {
  fs::path base = project("base", kBaseConfig);
  CommandResult based = xbuild({"run"}, base);
  ASSERT_EQ(based.exit_code, 0) << based.out << based.err;
  fs::path app = project("app", app_config("oci:../base/.xbuild/oci:2.0", ""));
  std::string expected = "xbuild: error: cannot use the base image oci:" + (base / ".xbuild/oci").string() +
                         ":2.0 ([image] from in " + (app / "xbuild.toml").string() +
                         "): no image tagged \"2.0\" in the OCI layout " + (base / ".xbuild/oci").string() +
                         "; it has: glibc\n";
  CommandResult plan = xbuild({"plan"}, app);
  EXPECT_EQ(plan.exit_code, 2);
  EXPECT_EQ(plan.out, "");
  EXPECT_EQ(plan.err, expected);
  CommandResult ran = xbuild({"run"}, app);
  EXPECT_EQ(ran.exit_code, 2);
  EXPECT_EQ(ran.err, expected);
  EXPECT_FALSE(fs::exists(app / ".xbuild/oci"));
  EXPECT_FALSE(fs::exists(app / ".xbuild/base"));
}

TEST_F(BaseLayoutE2E, FromScratchADynamicallyLinkedEntrypointIsWarnedAboutAndAStaticOneIsNot) {
  fs::path app = project("app", app_config("scratch", ""));
  CommandResult dynamic = xbuild({"run"}, app);
  ASSERT_EQ(dynamic.exit_code, 0) << dynamic.out << dynamic.err;
  EXPECT_EQ(dynamic.err, std::string(kWarningAmd64) + kWarningArm64);
  // A run with nothing to do reuses the images, and says it again.
  CommandResult again = xbuild({"run"}, app);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(again.err, std::string(kWarningAmd64) + kWarningArm64);

  ASSERT_TRUE(write_file_atomic(app / "xbuild.toml", app_config("scratch", "-static")).ok());
  CommandResult linked_statically = xbuild({"run"}, app);
  ASSERT_EQ(linked_statically.exit_code, 0) << linked_statically.out << linked_statically.err;
  EXPECT_EQ(linked_statically.err, "");
}

}  // namespace
}  // namespace xb::testing
