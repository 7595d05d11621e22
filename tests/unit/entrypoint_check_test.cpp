// Whether an image can start its program: tiny ELF programs (dynamically linked, naming a
// loader, or static), scripts and missing files, FROM scratch and on base images whose real
// tar.gz layers provide the loader through a merged-usr symlink or remove it with a whiteout.
#include "package/entrypoint_check.h"

#include <gtest/gtest.h>

#include "emulate/elf_probe.h"
#include "support/scratch_dir.h"
#include "support/tiny_elf.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::tiny_elf;

constexpr const char* kLoader = "/lib/ld-linux-aarch64.so.1";

const std::string kDynamicWarning =
    "linux/arm64: the entrypoint /app/hello is linked dynamically and needs /lib/ld-linux-aarch64.so.1, which the "
    "image does not have: link it statically (-static) or start from a base image that has it ([image] from)";

class EntrypointCheckTest : public ::testing::Test {
 protected:
  EntrypointCheckTest() {
    config_.platform = parse_platform("linux/arm64").value();
    config_.entrypoint = {"/app/hello"};
  }

  void dynamic_program(const std::string& relative = "out/hello") {
    scratch_.write(relative, tiny_elf(true, false, 0xb7, kLoader));
  }
  std::vector<oci::LayerSource> app() const { return {{scratch_ / "out/hello", "/app/hello"}}; }

  // A base image of the layers made from scratch_/<name>..., bottom first.
  oci::BaseImage base(const std::vector<std::string>& names) {
    oci::BaseImage image;
    image.name = "oci:/layouts/base";
    for (const std::string& name : names) {
      Result<oci::LayerBlob> blob = oci::write_layer({{scratch_ / name, "/"}}, 0, scratch_ / "blobs");
      EXPECT_TRUE(blob.ok()) << blob.error();
      image.layer_files.push_back(scratch_ / "blobs/sha256" / blob.value().digest.substr(7));
    }
    return image;
  }
  // /lib -> usr/lib, with the loader in /usr/lib (Debian since bookworm).
  void merged_usr(const std::string& name) {
    scratch_.write(name + "/usr/lib/ld-linux-aarch64.so.1", "loader");
    fs::create_symlink("usr/lib", scratch_ / name / "lib");
  }

  ScratchDir scratch_;
  oci::ImageConfig config_;
};

TEST_F(EntrypointCheckTest, ADynamicProgramFromScratchNamesItsLoaderAndTheFix) {
  dynamic_program();
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), kDynamicWarning);
}

TEST_F(EntrypointCheckTest, AStaticProgramAScriptAndOurOwnLoaderNeedNothing) {
  scratch_.write("out/hello", exit_zero_elf("aarch64").value());
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), std::nullopt);
  scratch_.write("out/hello", "#!/bin/sh\necho hello\n");
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), std::nullopt);

  dynamic_program("image/app/hello");
  scratch_.write("image/usr/lib/ld-linux-aarch64.so.1", "loader");
  fs::create_symlink("usr/lib", scratch_ / "image/lib");
  EXPECT_EQ(entrypoint_warning({{scratch_ / "image", "/"}}, config_, nullptr), std::nullopt);
}

TEST_F(EntrypointCheckTest, TheCommandIsCheckedWhenThereIsNoEntrypoint) {
  dynamic_program();
  config_.entrypoint.clear();
  config_.cmd = {"/app/hello", "--serve"};
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr),
            "linux/arm64: the command /app/hello is linked dynamically and needs /lib/ld-linux-aarch64.so.1, which "
            "the image does not have: link it statically (-static) or start from a base image that has it ([image] "
            "from)");
  config_.cmd.clear();
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), std::nullopt);  // nothing to start
}

TEST_F(EntrypointCheckTest, ABareNameIsFoundOnThePathAndARelativeOneInTheWorkdir) {
  dynamic_program();
  config_.entrypoint = {"hello"};
  std::vector<oci::LayerSource> on_path = {{scratch_ / "out/hello", "/usr/local/bin/hello"}};
  std::string warning =
      "linux/arm64: the entrypoint hello is linked dynamically and needs /lib/ld-linux-aarch64.so.1, which the image "
      "does not have: link it statically (-static) or start from a base image that has it ([image] from)";
  EXPECT_EQ(entrypoint_warning(on_path, config_, nullptr), warning);  // the default PATH
  config_.env = {"PATH=/app"};
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), warning);
  EXPECT_EQ(entrypoint_warning(on_path, config_, nullptr),
            "linux/arm64: the entrypoint hello is not in the image (looked up in PATH=/app): a stage should write it "
            "to $XBUILD_OUT (where [image] copy takes it from), or [image] entrypoint should name a file the image "
            "has");
  config_.entrypoint = {"./hello"};
  config_.working_dir = "/app";
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr),
            "linux/arm64: the entrypoint ./hello is linked dynamically and needs /lib/ld-linux-aarch64.so.1, which the "
            "image does not have: link it statically (-static) or start from a base image that has it ([image] from)");
}

TEST_F(EntrypointCheckTest, AMissingProgramFromScratchIsWarnedAboutOnItsOwn) {
  scratch_.write("out/other", "x");
  EXPECT_EQ(entrypoint_warning({{scratch_ / "out/other", "/app/other"}}, config_, nullptr),
            "linux/arm64: the entrypoint /app/hello is not in the image: a stage should write it to $XBUILD_OUT (where "
            "[image] copy takes it from), or [image] entrypoint should name a file the image has");
  config_.entrypoint.clear();
  config_.cmd = {"/app/hello"};
  EXPECT_EQ(entrypoint_warning({{scratch_ / "out/other", "/app/other"}}, config_, nullptr),
            "linux/arm64: the command /app/hello is not in the image: a stage should write it to $XBUILD_OUT (where "
            "[image] copy takes it from), or [image] cmd should name a file the image has");
}

TEST_F(EntrypointCheckTest, ABaseImageProvidesTheLoaderThroughItsMergedUsrSymlink) {
  dynamic_program();
  merged_usr("debian");
  oci::BaseImage debian = base({"debian"});
  EXPECT_EQ(entrypoint_warning(app(), config_, &debian), std::nullopt);
}

TEST_F(EntrypointCheckTest, ABaseWhoseLaterLayerRemovesTheLoaderDoesNot) {
  dynamic_program();
  merged_usr("debian");
  scratch_.write("slim/usr/lib/.wh.ld-linux-aarch64.so.1", "");
  oci::BaseImage slimmed = base({"debian", "slim"});
  EXPECT_EQ(entrypoint_warning(app(), config_, &slimmed), kDynamicWarning);
  scratch_.write("other-libc/lib/ld-musl-aarch64.so.1", "musl");
  oci::BaseImage alpine = base({"other-libc"});
  EXPECT_EQ(entrypoint_warning(app(), config_, &alpine), kDynamicWarning);
}

TEST_F(EntrypointCheckTest, AProgramTheBaseBringsIsTheBasesBusiness) {
  // Not in our layer: not looked for in the base, whose layers are then never read.
  config_.entrypoint = {"/bin/sh", "-c", "exec /app/hello"};
  scratch_.write("out/hello", exit_zero_elf("aarch64").value());
  oci::BaseImage unreadable;
  unreadable.layer_files = {scratch_.write("broken.tar.gz", "not a tar")};
  EXPECT_EQ(entrypoint_warning(app(), config_, &unreadable), std::nullopt);
}

TEST_F(EntrypointCheckTest, WindowsAndBareMetalImagesAreNotChecked) {
  dynamic_program();
  config_.platform = parse_platform("windows/amd64").value();
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), std::nullopt);
  config_.platform = parse_platform("none/arm/cortex-m4").value();
  EXPECT_EQ(entrypoint_warning(app(), config_, nullptr), std::nullopt);
}

}  // namespace
}  // namespace xb
