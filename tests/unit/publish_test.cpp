// The publish pass: packaging into the output, the package key that lets a rerun with nothing
// changed skip packaging, and when that reuse is refused.
#include "build/publish.h"

#include <gtest/gtest.h>

#include "build/inputs.h"
#include "build/planning.h"
#include "support/build_world.h"
#include "support/tiny_elf.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::BuildWorld;

class PublishTest : public ::testing::Test {
 protected:
  PublishTest() {
    EXPECT_EQ(world_.run(), 0);  // the run that published and recorded its package key
    config_ = read_config(world_.options.config_file);
    PlanRequest planned{config_, world_.state(), 0, {}, {}};
    planned.layout_annotations = read_run_inputs(world_.options).layout_annotations;  // as the run had it
    plan_ = plan_targets(planned, world_.services, world_.finder);
    cache_ = look_up_cache(config_, plan_, {true, true, world_.scratch / "cache"});
    output_ = OutputTarget{OutputTarget::Kind::layout, world_.state() / "oci"};
  }

  PublishRequest request() { return {config_, plan_, output_, bases_, cache_, {}, {}}; }

  BuildWorld world_;
  Config config_;
  Plan plan_;
  CacheLookup cache_;
  OutputTarget output_;
  std::vector<oci::BaseImage> bases_;
};

TEST_F(PublishTest, EverythingCachedAndTheLayoutIntactIsReused) {
  std::optional<PackageResult> reused = reusable_package(request());
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->ref_name, "1.0.0");
  ASSERT_EQ(reused->images.size(), 2u);
  EXPECT_EQ(reused->images[1].platform.str(), "linux/arm64");
  Result<std::string> index = read_file(output_.path / "index.json");
  EXPECT_NE(index.value().find(reused->index.digest), std::string::npos);
}

TEST_F(PublishTest, ReuseIsRefusedWhenAnythingDiffers) {
  cache_.cached[3] = false;  // a job that runs
  EXPECT_FALSE(reusable_package(request()));
  cache_.cached[3] = true;
  OutputTarget elsewhere{OutputTarget::Kind::layout, world_.scratch / "elsewhere"};
  EXPECT_FALSE(reusable_package({config_, plan_, elsewhere, bases_, cache_, {}, {}}));
  Plan other_commit = plan_;  // the run's identity, on index.json, changed
  other_commit.layout_annotations["org.opencontainers.image.revision"] = "0123abc";
  EXPECT_FALSE(reusable_package({config_, other_commit, output_, bases_, cache_, {}, {}}));
  fs::remove_all(output_.path / "blobs");  // the index is gone from the layout
  EXPECT_FALSE(reusable_package(request()));
}

TEST_F(PublishTest, PublishingWritesTheLayoutAndRecordsItsPackageKey) {
  fs::remove_all(output_.path);
  fs::remove(world_.state() / "package-key");
  PackageResult images = publish(request(), nullptr, world_.terminal);
  EXPECT_TRUE(fs::is_regular_file(output_.path / "index.json"));
  std::string recorded = read_file(world_.state() / "package-key").value();
  EXPECT_NE(recorded.find("\n" + images.index.digest + "\n"), std::string::npos) << recorded;
  EXPECT_TRUE(reusable_package(request()));
}

// local:DIR: reused while DIR holds exactly the tree that was published; else written again.
TEST_F(PublishTest, ALocalOutputIsKeptWhileItIsTheTreeThatWasPublished) {
  output_ = OutputTarget{OutputTarget::Kind::local, world_.scratch / "dist"};
  EXPECT_FALSE(reusable_package(request()));  // the package key names the output
  PackageResult images = publish(request(), nullptr, world_.terminal);
  ASSERT_TRUE(fs::is_regular_file(output_.path / "xbuild.json"));
  std::string recorded = read_file(world_.state() / "package-key").value();
  EXPECT_NE(recorded.find("\nlocal-tree " + images.local_tree + "\n"), std::string::npos) << recorded;
  std::optional<PackageResult> reused = reusable_package(request());
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->index.digest, images.index.digest);
  EXPECT_EQ(reused->local_tree, images.local_tree);

  ASSERT_TRUE(write_file_atomic(output_.path / "linux-amd64/stray", "left by hand\n"));
  EXPECT_FALSE(reusable_package(request()));
  publish(request(), nullptr, world_.terminal);
  EXPECT_FALSE(fs::exists(output_.path / "linux-amd64/stray"));
  EXPECT_TRUE(reusable_package(request()));
  fs::remove(output_.path / "xbuild.json");
  EXPECT_FALSE(reusable_package(request()));
}

// FROM scratch around a dynamically linked entrypoint: a warning line per platform once the
// images are published, and the same lines from the next run, which reuses what it published.
TEST(PublishWarningsTest, ArePrintedAndPrintedAgainWhenThePackageIsReused) {
  BuildWorld world(std::string(testing::kTwoPlatformProject) + "entrypoint = [\"/build\"]\n");
  world.scripts["build"].effect = [](const ProcessSpec& spec) {
    bool arm64 = spec.env.at("XBUILD_PLATFORM") == "linux/arm64";
    std::string loader = arm64 ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2";
    (void)write_file_atomic(fs::path(spec.env.at("XBUILD_OUT")) / "build",
                            testing::tiny_elf(true, false, arm64 ? 0xb7 : 0x3e, loader));
  };
  const std::vector<std::string> expected = {
      "xbuild: warning: linux/amd64: the entrypoint /build is linked dynamically and needs "
      "/lib64/ld-linux-x86-64.so.2, which the image does not have: link it statically (-static) or start from a base "
      "image that has it ([image] from)",
      "xbuild: warning: linux/arm64: the entrypoint /build is linked dynamically and needs /lib/ld-linux-aarch64.so.1, "
      "which the image does not have: link it statically (-static) or start from a base image that has it ([image] "
      "from)"};
  auto warnings = [&world] {
    std::vector<std::string> lines;
    for (const std::string& line : world.terminal.lines)
      if (line.rfind("xbuild: warning: ", 0) == 0) lines.push_back(line);
    world.terminal.lines.clear();
    return lines;
  };
  ASSERT_EQ(world.run(), 0);
  EXPECT_EQ(warnings(), expected);
  std::size_t started = world.started.size();
  fs::file_time_type published = fs::last_write_time(world.state() / "oci/index.json");
  ASSERT_EQ(world.run(), 0);
  EXPECT_EQ(world.started.size(), started) << "the second run should come from the cache";
  EXPECT_EQ(fs::last_write_time(world.state() / "oci/index.json"), published) << "and reuse the package";
  EXPECT_EQ(warnings(), expected);
}

}  // namespace
}  // namespace xb
