// Tests for build/trees: what a config's packages and root filesystems resolve to against a fake
// Debian mirror, a fake dpkg and a fake registry (sysroots of crossing targets, the suite each
// gets, a native target's missing packages, root filesystems made of packages or pulled, an image
// without the platform); making them with a command that writes a few files instead of
// mmdebstrap (once, with its progress, only for running targets, nothing left by a failure); and
// the run's two plannings, the second giving a crossing target's stages its sysroot.
#include "build/trees.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <memory>

#include "build/inputs.h"
#include "build/planning.h"
#include "debian/tree_record.h"
#include "support/build_world.h"
#include "support/fake_debian_mirror.h"
#include "support/fake_image_registry.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using debian::TreeSpec;
using testing::BuildWorld;
using testing::FakeDebianMirror;
using testing::FakeImageRegistry;

constexpr const char* kMirror = "http://mirror.example/debian";
constexpr const char* kImage = "r.example/library/debian:bookworm";

std::vector<std::string> sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

// What fills a tree instead of mmdebstrap: a header and two lines of progress; each run appends
// "<kind> <suite>/<architecture>" to `runs`.
std::string fill_script() {
  return R"(echo "$3" >> "$2"
mkdir -p "$1/usr/include" "$1/etc"
echo header > "$1/usr/include/zlib.h"
echo "I: extracting archives..."
echo "I: success in 0.1 seconds" >&2
)";
}

// mmdebstrap that fails for a package the suite lacks after writing part of the tree.
std::string failing_script() {
  return R"(echo "$3" >> "$2"
mkdir -p "$1/usr/lib"
echo half > "$1/usr/lib/libz.so"
echo "E: Unable to locate package xbuild-no-such-package" >&2
exit 1
)";
}

// Each test's world: the machine's suite is bookworm, its mirror the fake one, dpkg a table.
class TreesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    world_.services.debian_suite = "bookworm";
    world_.services.debian_mirror = kMirror;
    world_.services.http_client = mirror_.client();
    world_.services.missing_host_packages = [this](const std::vector<std::string>& names) {
      asked_dpkg_.push_back(names);
      std::vector<std::string> missing;
      for (const std::string& name : names)
        if (std::find(not_installed_.begin(), not_installed_.end(), name) != not_installed_.end())
          missing.push_back(name);
      return missing;
    };
    use_script(fill_script());
  }

  void use_script(const std::string& script) {
    const fs::path runs = world_.scratch / "runs";
    world_.services.make_tree_command = [script, runs](const TreeSpec& spec, const fs::path& dir) {
      std::string label = std::string(debian::kind_name(spec.kind)) + " " + spec.suite + "/" + spec.architecture;
      return std::vector<std::string>{"sh", "-c", script, "sh", dir.string(), runs.string(), label};
    };
  }

  fs::path cache() const { return world_.scratch / "cache"; }
  std::string config_file() const { return (world_.project() / "xbuild.toml").string(); }

  TreeOptions options() {
    TreeOptions options = tree_options(cache(), world_.state(), registry_options_, world_.services);
    options.http.retry.max_attempts = 1;
    return options;
  }

  // The first plan of `config_text` (no trees), and what its trees resolve to.
  ResolvedTrees resolve(const std::string& config_text) {
    world_.write_config(config_text);
    config_ = std::make_unique<Config>(read_config(world_.options.config_file));
    Plan first = plan_targets({*config_, world_.state(), 0, {}, {}}, world_.services, world_.finder);
    return resolve_trees(*config_, first, options());
  }

  // The run's plan of `config_text`: planned twice, with the trees resolved in between.
  Plan plan(const std::string& config_text, ResolvedTrees* trees = nullptr) {
    world_.write_config(config_text);
    config_ = std::make_unique<Config>(read_config(world_.options.config_file));
    TreeOptions tree_options = options();
    PlanRequest request{*config_, world_.state(), 0, {}, {}};
    request.trees = &tree_options;
    return plan_targets(request, world_.services, world_.finder, trees);
  }

  TreesInUse make(const ResolvedTrees& trees, const std::set<std::string>& running) {
    return make_trees(trees, running, options(), world_.terminal);
  }

  // The key of the tree of `packages` made from the fake mirror's release file of `suite`.
  static std::string key_of(TreeSpec::Kind kind, const std::string& suite, const std::string& architecture,
                            std::vector<std::string> packages) {
    TreeSpec spec = debian::normalize_spec({kind, suite, architecture, kMirror, std::move(packages)}).value();
    return debian::tree_key(spec, sha256_digest(FakeDebianMirror::release(suite)));
  }
  fs::path sysroot_dir(const std::string& key) const { return cache() / "debian/sysroot" / key; }
  fs::path rootfs_dir(const std::string& key) const { return cache() / "debian/rootfs" / key; }

  std::vector<std::string> runs() const {
    Result<std::string> text = read_file(world_.scratch / "runs");
    return text ? sorted(split(std::string(trim(text.value())), '\n')) : std::vector<std::string>{};
  }

  // What is under <cache>/debian/<kind>, by name, but the lock files.
  std::vector<std::string> made(const std::string& kind) const {
    std::vector<std::string> names;
    std::error_code error;
    for (fs::directory_iterator it(cache() / "debian" / kind, error); !error && it != fs::directory_iterator();
         it.increment(error)) {
      std::string name = it->path().filename().string();
      if (name.find(".make-lock") == std::string::npos && name.find(".use-lock") == std::string::npos)
        names.push_back(name);
    }
    return sorted(names);
  }

  FakeDebianMirror mirror_{kMirror};
  BuildWorld world_;
  registry::RegistryOptions registry_options_;
  std::vector<std::string> not_installed_;
  std::vector<std::vector<std::string>> asked_dpkg_;
  std::unique_ptr<Config> config_;
};

std::string project(const std::string& platforms, const std::string& targets_extra, const std::string& rest = "") {
  return "[project]\nname = \"t\"\n[targets]\nplatforms = [" + platforms + "]\n" + targets_extra + rest +
         "[stage.build]\nrun = \"build\"\ninputs = []\n";
}

const TargetPlan& target_of(const Plan& plan, const std::string& platform) {
  for (const TargetPlan& target : plan.targets)
    if (target.platform.str() == platform) return target;
  ADD_FAILURE() << "no target " << platform;
  return plan.targets.front();
}

const JobPlan& job_of(const Plan& plan, const std::string& label) {
  for (const JobPlan& job : plan.jobs)
    if (job.label() == label) return job;
  ADD_FAILURE() << "no job " << label;
  return plan.jobs.front();
}

TEST_F(TreesTest, ACrossTargetWithPackagesGetsASysrootNamedByItsKeyInTheCache) {
  ResolvedTrees trees =
      resolve(project(R"("linux/amd64", "linux/arm64")", "packages = [\"zlib1g-dev\", \"libssl-dev\"]\n"));
  const std::string key = key_of(TreeSpec::Kind::sysroot, "bookworm", "arm64", {"zlib1g-dev", "libssl-dev"});
  ASSERT_EQ(trees.sysroots.size(), 1u);
  const SysrootPlan& sysroot = trees.sysroots.at("linux/arm64");
  EXPECT_EQ(sysroot.dir, sysroot_dir(key));
  EXPECT_EQ(sysroot.description,
            "the sysroot of bookworm/arm64 with libssl-dev, zlib1g-dev, made by the run (mmdebstrap)");
  ASSERT_EQ(trees.trees.size(), 1u);
  EXPECT_EQ(trees.trees[0].tree.key, key);
  EXPECT_EQ(trees.trees[0].platforms, std::vector<std::string>{"linux/arm64"});
  EXPECT_EQ(trees.trees[0].declared_in, "[targets] packages in " + config_file());
  EXPECT_TRUE(trees.rootfs.empty());
  EXPECT_TRUE(trees.problems.empty());
  EXPECT_TRUE(trees.warnings.empty());
  EXPECT_TRUE(trees.pulls.empty());
  // The native target's packages are asked of dpkg, in the order declared; it has them all.
  EXPECT_EQ(asked_dpkg_, (std::vector<std::vector<std::string>>{{"zlib1g-dev", "libssl-dev"}}));
  EXPECT_TRUE(trees.missing_host_packages.empty());
  EXPECT_EQ(mirror_.urls(), std::vector<std::string>{"http://mirror.example/debian/dists/bookworm/InRelease"});
  EXPECT_FALSE(fs::exists(cache())) << "resolving writes nothing";
}

TEST_F(TreesTest, TheSuiteIsTheRootfsTablesThenThePlatformsThenTheTargetsThenTheHosts) {
  // Without [targets] suite: the host's, but riscv64 (no port in bookworm) gets trixie.
  ResolvedTrees trees = resolve(project(R"("linux/arm64", "linux/riscv64", "linux/arm/v7", "linux/s390x")",
                                        "packages = [\"zlib1g-dev\"]\n",
                                        "[platform.\"linux/arm/v7\"]\nsuite = \"sid\"\n"
                                        "[platform.\"linux/s390x\"]\nstrategy = \"emulate\"\nsuite = \"sid\"\n"
                                        "rootfs = { suite = \"trixie\", packages = [\"make\"] }\n"));
  EXPECT_TRUE(trees.problems.empty()) << trees.problems.begin()->second.front();
  EXPECT_EQ(trees.sysroots.at("linux/arm64").dir,
            sysroot_dir(key_of(TreeSpec::Kind::sysroot, "bookworm", "arm64", {"zlib1g-dev"})));
  EXPECT_EQ(trees.sysroots.at("linux/riscv64").dir,
            sysroot_dir(key_of(TreeSpec::Kind::sysroot, "trixie", "riscv64", {"zlib1g-dev"})));
  EXPECT_EQ(trees.sysroots.at("linux/arm/v7").dir,
            sysroot_dir(key_of(TreeSpec::Kind::sysroot, "sid", "armhf", {"zlib1g-dev"})));
  EXPECT_EQ(trees.rootfs.at("linux/s390x").dir,
            rootfs_dir(key_of(TreeSpec::Kind::rootfs, "trixie", "s390x", {"make", "zlib1g-dev"})));
  EXPECT_EQ(trees.sysroots.at("linux/riscv64").description,
            "the sysroot of trixie/riscv64 with zlib1g-dev, made by the run (mmdebstrap)");
  EXPECT_EQ(trees.sysroots.at("linux/arm/v7").description,
            "the sysroot of sid/armhf with zlib1g-dev, made by the run (mmdebstrap)");
  EXPECT_EQ(mirror_.urls(), (std::vector<std::string>{"http://mirror.example/debian/dists/bookworm/InRelease",
                                                      "http://mirror.example/debian/dists/sid/InRelease",
                                                      "http://mirror.example/debian/dists/trixie/InRelease",
                                                      "http://mirror.example/debian/dists/trixie/InRelease"}));

  // [targets] suite is over the host's (riscv64's too); [platform.X] suite over it; a rootfs
  // table without a suite takes its platform's.
  trees = resolve(project(R"("linux/arm64", "linux/riscv64", "linux/arm/v7", "linux/s390x", "linux/ppc64le")",
                          "packages = [\"zlib1g-dev\"]\nsuite = \"sid\"\n",
                          "[platform.\"linux/arm/v7\"]\nsuite = \"trixie\"\n"
                          "[platform.\"linux/s390x\"]\nstrategy = \"emulate\"\nsuite = \"bookworm\"\n"
                          "rootfs = { packages = [\"make\"] }\n"
                          "[platform.\"linux/ppc64le\"]\nstrategy = \"emulate\"\n"
                          "rootfs = { packages = [\"make\"] }\n"));
  EXPECT_TRUE(trees.problems.empty()) << trees.problems.begin()->second.front();
  EXPECT_EQ(trees.sysroots.at("linux/arm64").description,
            "the sysroot of sid/arm64 with zlib1g-dev, made by the run (mmdebstrap)");
  EXPECT_EQ(trees.sysroots.at("linux/riscv64").description,
            "the sysroot of sid/riscv64 with zlib1g-dev, made by the run (mmdebstrap)");
  EXPECT_EQ(trees.sysroots.at("linux/arm/v7").description,
            "the sysroot of trixie/armhf with zlib1g-dev, made by the run (mmdebstrap)");
  EXPECT_EQ(trees.rootfs.at("linux/s390x").description,
            "the root filesystem of bookworm/s390x with make, zlib1g-dev, made by the run (mmdebstrap)");
  EXPECT_EQ(trees.rootfs.at("linux/ppc64le").description,
            "the root filesystem of sid/ppc64el with make, zlib1g-dev, made by the run (mmdebstrap)");
}

TEST_F(TreesTest, ASuiteTheMirrorLacksIsAProblemOfItsTargetsNamingWhereThePackagesAreDeclared) {
  ResolvedTrees trees;
  Plan planned = plan(project(R"("linux/arm64")", "packages = [\"zlib1g-dev\"]\nsuite = \"forky\"\n"), &trees);
  const std::string problem =
      "the sysroot of forky/arm64 with zlib1g-dev ([targets] packages in " + config_file() +
      "): the Debian mirror http://mirror.example/debian has no suite \"forky\" "
      "(http://mirror.example/debian/dists/forky/InRelease: HTTP 404): check the suite's name (bookworm, trixie, "
      "sid, ...)";
  EXPECT_EQ(trees.problems, (std::map<std::string, std::vector<std::string>>{{"linux/arm64", {problem}}}));
  EXPECT_TRUE(trees.sysroots.empty());
  EXPECT_TRUE(trees.trees.empty());
  EXPECT_FALSE(planned.ready());
  EXPECT_EQ(target_of(planned, "linux/arm64").problems, std::vector<std::string>{problem});

  // [platform.X] packages alone are declared there.
  plan(project(R"("linux/arm64")", "suite = \"forky\"\n", "[platform.\"linux/arm64\"]\npackages = [\"zlib1g-dev\"]\n"),
       &trees);
  EXPECT_EQ(trees.problems.at("linux/arm64"),
            std::vector<std::string>{"the sysroot of forky/arm64 with zlib1g-dev ([platform.\"linux/arm64\"] "
                                     "packages in " +
                                     config_file() +
                                     "): the Debian mirror http://mirror.example/debian has no suite \"forky\" "
                                     "(http://mirror.example/debian/dists/forky/InRelease: HTTP 404): check the "
                                     "suite's name (bookworm, trixie, sid, ...)"});
}

TEST_F(TreesTest, AnUnreachableMirrorWithNoTreeMadeBeforeIsAProblem) {
  mirror_.reachable = false;
  ResolvedTrees trees = resolve(project(R"("linux/arm64")", "packages = [\"zlib1g-dev\"]\n"));
  EXPECT_EQ(trees.problems.at("linux/arm64"),
            std::vector<std::string>{
                "the sysroot of bookworm/arm64 with zlib1g-dev ([targets] packages in " + config_file() +
                "): cannot reach the Debian mirror http://mirror.example/debian: Could not resolve host: "
                "mirror.example; and the sysroot of bookworm/arm64 with these packages was never made on this "
                "machine: xbuild needs the mirror once to make it"});
  EXPECT_TRUE(trees.trees.empty());
}

TEST_F(TreesTest, AnUnreachableMirrorLetsATreeMadeBeforeStandInWithAWarning) {
  // A sysroot of the same spec, made three days ago from an older release file.
  TreeSpec spec =
      debian::normalize_spec({TreeSpec::Kind::sysroot, "bookworm", "arm64", kMirror, {"zlib1g-dev"}}).value();
  const std::string key = debian::tree_key(spec, "sha256:0123");
  fs::create_directories(sysroot_dir(key) / "usr/include");
  debian::TreeRecord record;
  record.spec = spec;
  record.release = "sha256:0123";
  record.made_at = static_cast<std::int64_t>(std::time(nullptr)) - 3 * 86400 - 600;
  ASSERT_TRUE(write_file_atomic(debian::record_path(sysroot_dir(key)), debian::format_record(record)).ok());

  mirror_.reachable = false;
  ResolvedTrees trees = resolve(project(R"("linux/arm64")", "packages = [\"zlib1g-dev\"]\n"));
  const std::string warning =
      "cannot reach the Debian mirror http://mirror.example/debian: Could not resolve host: mirror.example; using "
      "the sysroot of bookworm/arm64 made 3 days ago";
  EXPECT_EQ(trees.warnings, std::vector<std::string>{warning});
  EXPECT_TRUE(trees.problems.empty());
  EXPECT_EQ(trees.sysroots.at("linux/arm64").dir, sysroot_dir(key));
  EXPECT_EQ(trees.sysroots.at("linux/arm64").description, "the sysroot of bookworm/arm64 with zlib1g-dev");

  TreesInUse in_use = make(trees, {"linux/arm64"});
  EXPECT_EQ(world_.terminal.lines, std::vector<std::string>{"xbuild: warning: " + warning});
  EXPECT_EQ(in_use.locks.size(), 1u);
  EXPECT_TRUE(runs().empty()) << "nothing is made";
}

TEST_F(TreesTest, ANativeTargetLackingItsPackagesIsAProblemWithTheAptLine) {
  not_installed_ = {"libssl-dev", "libbz2-dev"};
  ResolvedTrees trees;
  Plan planned = plan(project(R"("linux/amd64", "linux/arm64")", "packages = [\"zlib1g-dev\", \"libssl-dev\"]\n",
                              "[platform.\"linux/amd64\"]\npackages = [\"libbz2-dev\"]\n"),
                      &trees);
  EXPECT_EQ(asked_dpkg_, (std::vector<std::vector<std::string>>{{"zlib1g-dev", "libssl-dev", "libbz2-dev"}}));
  EXPECT_EQ(trees.missing_host_packages,
            (std::map<std::string, std::vector<std::string>>{{"linux/amd64", {"libssl-dev", "libbz2-dev"}}}));
  EXPECT_FALSE(trees.sysroots.count("linux/amd64")) << "nothing is made for a native target";
  EXPECT_FALSE(planned.ready());
  const TargetPlan& native = target_of(planned, "linux/amd64");
  EXPECT_EQ(native.strategy, Strategy::native);
  EXPECT_EQ(native.problems,
            std::vector<std::string>{"builds natively with this machine's libraries, which lack libssl-dev, "
                                     "libbz2-dev (declared in [targets] or [platform.\"linux/amd64\"] packages)"});
  EXPECT_TRUE(target_of(planned, "linux/arm64").problems.empty());
  const std::string rendered = render_plan(planned);
  EXPECT_NE(rendered.find("\nmissing:\n  linux/amd64: builds natively with this machine's libraries, which lack "
                          "libssl-dev, libbz2-dev (declared in [targets] or [platform.\"linux/amd64\"] packages)\n  to "
                          "install: apt-get install "
                          "--no-install-recommends libssl-dev libbz2-dev\n"),
            std::string::npos)
      << rendered;

  not_installed_.clear();
  EXPECT_TRUE(plan(project(R"("linux/amd64")", "packages = [\"zlib1g-dev\"]\n"), &trees).ready());
  EXPECT_TRUE(trees.missing_host_packages.empty());
  EXPECT_TRUE(trees.trees.empty());
  EXPECT_EQ(mirror_.urls().size(), 1u) << "only the arm64 sysroot asks the mirror";
}

TEST_F(TreesTest, AnEmulatedTargetsRootfsTableIsARootFilesystemOfItsAndTheTargetsPackages) {
  world_.services.root = true;
  world_.finder.add_file("/usr/bin/qemu-aarch64-static");
  ResolvedTrees trees;
  Plan planned = plan(project(R"("linux/arm64")", "packages = [\"zlib1g-dev\"]\n",
                              "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\npackages = [\"libbz2-dev\"]\n"
                              "rootfs = { packages = [\"make\", \"gcc\"] }\n"),
                      &trees);
  const std::string key =
      key_of(TreeSpec::Kind::rootfs, "bookworm", "arm64", {"make", "gcc", "zlib1g-dev", "libbz2-dev"});
  ASSERT_EQ(trees.rootfs.count("linux/arm64"), 1u);
  const RootfsPlan& rootfs = trees.rootfs.at("linux/arm64");
  EXPECT_EQ(rootfs.dir, rootfs_dir(key));
  EXPECT_EQ(rootfs.image, "debian:" + key);
  EXPECT_TRUE(rootfs.layers.empty());
  EXPECT_EQ(rootfs.description,
            "the root filesystem of bookworm/arm64 with gcc, libbz2-dev, make, zlib1g-dev, made by the run "
            "(mmdebstrap)");
  EXPECT_TRUE(trees.sysroots.empty()) << "an emulated target has no sysroot";
  ASSERT_EQ(trees.trees.size(), 1u);
  EXPECT_EQ(trees.trees[0].tree.spec.packages, (std::vector<std::string>{"gcc", "libbz2-dev", "make", "zlib1g-dev"}));
  EXPECT_EQ(trees.trees[0].declared_in,
            "the rootfs of [platform.\"linux/arm64\"], [targets] packages and [platform.\"linux/arm64\"] packages in " +
                config_file());

  const TargetPlan& target = target_of(planned, "linux/arm64");
  EXPECT_EQ(target.strategy, Strategy::emulate);
  ASSERT_TRUE(target.emulation.has_value());
  EXPECT_EQ(target.emulation->rootfs, rootfs_dir(key));
  EXPECT_EQ(target.emulation->rootfs_image, "debian:" + key);
  EXPECT_EQ(target.emulation->overlay, world_.state() / "overlay/linux-arm64");
  EXPECT_TRUE(planned.ready()) << render_plan(planned);
  const std::string rendered = render_plan(planned);
  EXPECT_NE(rendered.find("\nroot filesystems (never written: each emulated stage runs on an overlay of its own):\n"
                          "  linux/arm64: the root filesystem of bookworm/arm64 with gcc, libbz2-dev, make, "
                          "zlib1g-dev, made by the run (mmdebstrap), in " +
                          rootfs_dir(key).string() + "\n"),
            std::string::npos)
      << rendered;
}

// [targets] ccache: the root filesystem made for an emulated target holds ccache, which its
// stages' compiles run on the target's cache directory, bound into the sandbox.
TEST_F(TreesTest, AnEmulatedTargetWithCcacheGetsItInItsRootFilesystem) {
  world_.services.root = true;
  world_.finder.add_file("/usr/bin/qemu-aarch64-static");
  ResolvedTrees trees;
  Plan planned = plan(project(R"("linux/arm64")", "ccache = true\n",
                              "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\n"
                              "rootfs = { packages = [\"make\", \"gcc\"] }\n"),
                      &trees);
  ASSERT_EQ(trees.trees.size(), 1u);
  EXPECT_EQ(trees.trees[0].tree.spec.packages, (std::vector<std::string>{"ccache", "gcc", "make"}));
  const TargetPlan& target = target_of(planned, "linux/arm64");
  ASSERT_TRUE(target.ccache.has_value());
  EXPECT_EQ(target.ccache->dir, cache() / "ccache/linux-arm64");
  EXPECT_TRUE(planned.ready()) << render_plan(planned);
  EXPECT_EQ(planned.jobs[0].env.at("CCACHE_DIR"), "/xbuild/ccache");
  EXPECT_EQ(planned.jobs[0].env.at("CC"), "ccache gcc");
}

TEST_F(TreesTest, ARootfsReferenceResolvesThePlatformsImageFromTheIndexAndNamesThePull) {
  FakeImageRegistry registry("r.example", "library/debian", "bookworm", {"linux/amd64", "linux/arm64"});
  registry_options_ = registry.options();
  const std::string config_text =
      project(R"("linux/arm64")", "",
              "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\nrootfs = \"" + std::string(kImage) + "\"\n");
  ResolvedTrees trees = resolve(config_text);
  const FakeImageRegistry::Image& image = registry.images.at("linux/arm64");
  const std::string hex = image.manifest.substr(7);
  ASSERT_EQ(trees.rootfs.count("linux/arm64"), 1u) << (trees.problems.empty() ? "" : trees.problems.begin()->second[0]);
  const RootfsPlan& rootfs = trees.rootfs.at("linux/arm64");
  EXPECT_EQ(rootfs.image, image.manifest);
  EXPECT_EQ(rootfs.dir, world_.state() / "rootfs" / hex);
  ASSERT_EQ(rootfs.layers.size(), 1u);
  EXPECT_EQ(rootfs.layers[0].file, cache() / "images" / hex / "blobs/sha256" / image.layer.substr(7));
  EXPECT_EQ(rootfs.layers[0].digest, image.layer);
  EXPECT_GT(rootfs.layers[0].size, 0);
  EXPECT_EQ(rootfs.description,
            "the image " + std::string(kImage) + " for linux/arm64 (" + image.manifest + "), pulled by the run");
  ASSERT_EQ(trees.pulls.size(), 1u);
  EXPECT_EQ(trees.pulls[0].platform, "linux/arm64");
  EXPECT_EQ(trees.pulls[0].reference.str(), "r.example/library/debian@" + image.manifest);
  EXPECT_EQ(trees.pulls[0].layout, cache() / "images" / hex);
  EXPECT_EQ(trees.pulls[0].unpacked, rootfs.dir);
  EXPECT_TRUE(trees.trees.empty());
  EXPECT_TRUE(mirror_.urls().empty()) << "no Debian mirror for an image";
  EXPECT_FALSE(fs::exists(cache()));

  // The run pulls it once, into the cache; then it is not pulled again.
  make(trees, {"linux/arm64"});
  EXPECT_EQ(
      world_.terminal.lines,
      std::vector<std::string>{"xbuild: rootfs of linux/arm64: pulling r.example/library/debian@" + image.manifest});
  EXPECT_TRUE(fs::is_regular_file(rootfs.layers[0].file));
  trees = resolve(config_text);
  EXPECT_TRUE(trees.pulls.empty());
  EXPECT_EQ(trees.rootfs.at("linux/arm64").description,
            "the image " + std::string(kImage) + " for linux/arm64 (" + image.manifest + ")");
}

TEST_F(TreesTest, AnImageWithoutThePlatformIsAProblemNamingIt) {
  FakeImageRegistry registry("r.example", "library/debian", "bookworm", {"linux/amd64", "linux/s390x"});
  registry_options_ = registry.options();
  ResolvedTrees trees;
  Plan planned =
      plan(project(R"("linux/arm64")", "",
                   "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\nrootfs = \"" + std::string(kImage) + "\"\n"),
           &trees);
  const std::string problem = "rootfs \"" + std::string(kImage) + "\": " + kImage +
                              " has no image for linux/arm64 (it offers linux/amd64, linux/s390x)";
  EXPECT_EQ(trees.problems, (std::map<std::string, std::vector<std::string>>{{"linux/arm64", {problem}}}));
  EXPECT_TRUE(trees.rootfs.empty());
  EXPECT_TRUE(trees.pulls.empty());
  EXPECT_FALSE(planned.ready());
  const std::vector<std::string>& problems = target_of(planned, "linux/arm64").problems;
  EXPECT_NE(std::find(problems.begin(), problems.end(), problem), problems.end());
  EXPECT_EQ(std::count_if(problems.begin(), problems.end(),
                          [](const std::string& line) { return line.find("was not resolved") != std::string::npos; }),
            0);
}

TEST_F(TreesTest, ASingleImageIsTakenOnlyForItsOwnPlatform) {
  const std::string config_text =
      project(R"("linux/arm64")", "",
              "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\nrootfs = \"" + std::string(kImage) + "\"\n");
  FakeImageRegistry arm64("r.example", "library/debian", "bookworm", {"linux/arm64"}, true);
  registry_options_ = arm64.options();
  ResolvedTrees trees = resolve(config_text);
  EXPECT_TRUE(trees.problems.empty()) << trees.problems.begin()->second.front();
  EXPECT_EQ(trees.rootfs.at("linux/arm64").image, arm64.images.at("linux/arm64").manifest);
  ASSERT_EQ(trees.pulls.size(), 1u);

  FakeImageRegistry amd64("r.example", "library/debian", "bookworm", {"linux/amd64"}, true);
  registry_options_ = amd64.options();
  trees = resolve(config_text);
  EXPECT_EQ(trees.problems, (std::map<std::string, std::vector<std::string>>{
                                {"linux/arm64",
                                 {"rootfs \"" + std::string(kImage) + "\": " + kImage +
                                  " has no image for linux/arm64 (it is a single image, for linux/amd64)"}}}));
  EXPECT_TRUE(trees.rootfs.empty());
  EXPECT_TRUE(trees.pulls.empty()) << "nothing for the run to pull";
}

TEST_F(TreesTest, MakeTreesMakesEachTreeOnceWithItsProgress) {
  const std::string config_text =
      project(R"("linux/arm64", "linux/arm/v7", "linux/s390x")", "packages = [\"zlib1g-dev\"]\n",
              "[platform.\"linux/s390x\"]\nstrategy = \"emulate\"\n"
              "rootfs = { packages = [\"make\"] }\n");
  ResolvedTrees trees = resolve(config_text);
  ASSERT_EQ(trees.trees.size(), 3u);
  const fs::path arm64 = sysroot_dir(key_of(TreeSpec::Kind::sysroot, "bookworm", "arm64", {"zlib1g-dev"}));
  const fs::path armhf = sysroot_dir(key_of(TreeSpec::Kind::sysroot, "bookworm", "armhf", {"zlib1g-dev"}));
  const fs::path s390x = rootfs_dir(key_of(TreeSpec::Kind::rootfs, "bookworm", "s390x", {"make", "zlib1g-dev"}));

  TreesInUse in_use = make(trees, {"linux/arm64", "linux/arm/v7", "linux/s390x"});
  EXPECT_EQ(sorted(world_.terminal.lines),
            sorted({
                "xbuild: sysroot of linux/arm64: making the sysroot of bookworm/arm64 with zlib1g-dev (mmdebstrap)",
                "xbuild: sysroot of linux/arm64: I: extracting archives...",
                "xbuild: sysroot of linux/arm64: I: success in 0.1 seconds",
                "xbuild: sysroot of linux/arm64: made: " + arm64.string(),
                "xbuild: sysroot of linux/arm/v7: making the sysroot of bookworm/armhf with zlib1g-dev (mmdebstrap)",
                "xbuild: sysroot of linux/arm/v7: I: extracting archives...",
                "xbuild: sysroot of linux/arm/v7: I: success in 0.1 seconds",
                "xbuild: sysroot of linux/arm/v7: made: " + armhf.string(),
                "xbuild: rootfs of linux/s390x: making the root filesystem of bookworm/s390x with make, zlib1g-dev "
                "(mmdebstrap)",
                "xbuild: rootfs of linux/s390x: I: extracting archives...",
                "xbuild: rootfs of linux/s390x: I: success in 0.1 seconds",
                "xbuild: rootfs of linux/s390x: made: " + s390x.string(),
            }));
  // A tree's lines come in order.
  auto position = [&](const std::string& line) {
    return std::find(world_.terminal.lines.begin(), world_.terminal.lines.end(), line) - world_.terminal.lines.begin();
  };
  EXPECT_LT(position("xbuild: sysroot of linux/arm64: making the sysroot of bookworm/arm64 with zlib1g-dev "
                     "(mmdebstrap)"),
            position("xbuild: sysroot of linux/arm64: I: extracting archives..."));
  EXPECT_LT(position("xbuild: sysroot of linux/arm64: I: extracting archives..."),
            position("xbuild: sysroot of linux/arm64: made: " + arm64.string()));
  EXPECT_EQ(runs(),
            (std::vector<std::string>{"rootfs bookworm/s390x", "sysroot bookworm/arm64", "sysroot bookworm/armhf"}));
  EXPECT_EQ(read_file(arm64 / "usr/include/zlib.h").value(), "header\n");
  EXPECT_EQ(read_file(s390x / "usr/include/zlib.h").value(), "header\n");
  EXPECT_EQ(in_use.locks.size(), 3u) << "each tree is held while the run uses it";
  for (const FileLock& lock : in_use.locks) EXPECT_TRUE(lock.held());
  in_use = TreesInUse();

  // The next run finds them made: nothing runs, nothing is said, and the plan says so.
  world_.terminal.lines.clear();
  trees = resolve(config_text);
  EXPECT_EQ(trees.sysroots.at("linux/arm64").description, "the sysroot of bookworm/arm64 with zlib1g-dev");
  EXPECT_EQ(trees.rootfs.at("linux/s390x").description, "the root filesystem of bookworm/s390x with make, zlib1g-dev");
  in_use = make(trees, {"linux/arm64", "linux/arm/v7", "linux/s390x"});
  EXPECT_TRUE(world_.terminal.lines.empty()) << world_.terminal.lines.front();
  EXPECT_EQ(runs().size(), 3u);
  EXPECT_EQ(in_use.locks.size(), 3u);
}

TEST_F(TreesTest, TwoPlatformsOfOneTreeShareIt) {
  ResolvedTrees trees = resolve(project(R"("linux/arm64", "linux/arm64/v9")", "",
                                        "[platform.\"linux/arm64\"]\nstrategy = \"emulate\"\n"
                                        "rootfs = { packages = [\"make\"] }\n"
                                        "[platform.\"linux/arm64/v9\"]\nstrategy = \"emulate\"\n"
                                        "rootfs = { packages = [\"make\"] }\n"));
  ASSERT_EQ(trees.trees.size(), 1u);
  EXPECT_EQ(trees.trees[0].platforms, (std::vector<std::string>{"linux/arm64", "linux/arm64/v9"}));
  EXPECT_EQ(trees.trees[0].declared_in, "the rootfs of [platform.\"linux/arm64\"] in " + config_file());
  EXPECT_EQ(trees.rootfs.at("linux/arm64").dir, trees.rootfs.at("linux/arm64/v9").dir);
  make(trees, {"linux/arm64/v9"});
  const fs::path dir = rootfs_dir(key_of(TreeSpec::Kind::rootfs, "bookworm", "arm64", {"make"}));
  EXPECT_EQ(world_.terminal.lines.front(),
            "xbuild: rootfs of linux/arm64, linux/arm64/v9: making the root filesystem of bookworm/arm64 with make "
            "(mmdebstrap)");
  EXPECT_EQ(world_.terminal.lines.back(), "xbuild: rootfs of linux/arm64, linux/arm64/v9: made: " + dir.string());
  EXPECT_EQ(runs(), std::vector<std::string>{"rootfs bookworm/arm64"});
}

TEST_F(TreesTest, MakeTreesMakesNothingForTargetsThatDoNotRun) {
  FakeImageRegistry registry("r.example", "library/debian", "bookworm", {"linux/s390x"});
  registry_options_ = registry.options();
  ResolvedTrees trees = resolve(
      project(R"("linux/arm64", "linux/arm/v7", "linux/s390x")", "packages = [\"zlib1g-dev\"]\n",
              "[platform.\"linux/s390x\"]\nstrategy = \"emulate\"\nrootfs = \"" + std::string(kImage) + "\"\n"));
  ASSERT_EQ(trees.trees.size(), 2u);
  ASSERT_EQ(trees.pulls.size(), 1u);
  TreesInUse in_use = make(trees, {"linux/arm/v7"});
  const fs::path armhf = sysroot_dir(key_of(TreeSpec::Kind::sysroot, "bookworm", "armhf", {"zlib1g-dev"}));
  EXPECT_EQ(world_.terminal.lines,
            (std::vector<std::string>{
                "xbuild: sysroot of linux/arm/v7: making the sysroot of bookworm/armhf with zlib1g-dev (mmdebstrap)",
                "xbuild: sysroot of linux/arm/v7: I: extracting archives...",
                "xbuild: sysroot of linux/arm/v7: I: success in 0.1 seconds",
                "xbuild: sysroot of linux/arm/v7: made: " + armhf.string()}));
  EXPECT_EQ(runs(), std::vector<std::string>{"sysroot bookworm/armhf"});
  EXPECT_EQ(made("sysroot"),
            (std::vector<std::string>{armhf.filename().string(), armhf.filename().string() + ".tree"}));
  EXPECT_FALSE(fs::exists(cache() / "images")) << "the image of a target that does not run is not pulled";
  EXPECT_EQ(in_use.locks.size(), 1u);

  world_.terminal.lines.clear();
  in_use = make(trees, {});
  EXPECT_TRUE(world_.terminal.lines.empty());
  EXPECT_TRUE(in_use.locks.empty());
}

TEST_F(TreesTest, AFailedMakeNamesThePackageAndWhereItIsDeclaredAndLeavesNothing) {
  use_script(failing_script());
  ResolvedTrees trees =
      resolve(project(R"("linux/arm64")", "packages = [\"zlib1g-dev\", \"xbuild-no-such-package\"]\n"));
  try {
    make(trees, {"linux/arm64"});
    FAIL() << "made";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "package \"xbuild-no-such-package\" is not in bookworm for arm64 (look for its name: "
              "https://packages.debian.org/search?searchon=names&suite=bookworm&keywords=xbuild-no-such-package) "
              "(declared in [targets] packages in " +
                  config_file() + ")");
  }
  EXPECT_EQ(world_.terminal.lines,
            (std::vector<std::string>{"xbuild: sysroot of linux/arm64: making the sysroot of bookworm/arm64 with "
                                      "xbuild-no-such-package, zlib1g-dev (mmdebstrap)",
                                      "xbuild: sysroot of linux/arm64: E: Unable to locate package "
                                      "xbuild-no-such-package"}));
  EXPECT_EQ(runs(), std::vector<std::string>{"sysroot bookworm/arm64"});
  EXPECT_EQ(made("sysroot"), std::vector<std::string>{}) << "no tree, no record, no half-made directory";
  EXPECT_FALSE(fs::exists(trees.sysroots.at("linux/arm64").dir));

  // Fixed, the next run makes it.
  use_script(fill_script());
  world_.terminal.lines.clear();
  TreesInUse in_use = make(trees, {"linux/arm64"});
  EXPECT_TRUE(fs::is_regular_file(trees.sysroots.at("linux/arm64").dir / "usr/include/zlib.h"));
  EXPECT_EQ(world_.terminal.lines.back(),
            "xbuild: sysroot of linux/arm64: made: " + trees.sysroots.at("linux/arm64").dir.string());
}

TEST_F(TreesTest, PackagesOfATargetAndOfItsPlatformAreDeclaredInBoth) {
  use_script(failing_script());
  ResolvedTrees trees =
      resolve(project(R"("linux/arm64", "linux/arm/v7", "linux/s390x")", "packages = [\"zlib1g-dev\"]\n",
                      "[platform.\"linux/arm64\"]\npackages = [\"xbuild-no-such-package\"]\n"
                      "[platform.\"linux/s390x\"]\nstrategy = \"emulate\"\n"
                      "rootfs = { packages = [\"make\"] }\n"));
  std::map<std::string, std::string> declared;
  for (const TreeUse& use : trees.trees) declared[use.platforms.front()] = use.declared_in;
  EXPECT_EQ(declared,
            (std::map<std::string, std::string>{
                {"linux/arm64", "[targets] packages and [platform.\"linux/arm64\"] packages in " + config_file()},
                {"linux/arm/v7", "[targets] packages in " + config_file()},
                {"linux/s390x", "the rootfs of [platform.\"linux/s390x\"] and [targets] packages in " + config_file()},
            }));
  try {
    make(trees, {"linux/arm64"});
    FAIL() << "made";
  } catch (const Error& error) {
    EXPECT_EQ(std::string(error.what()),
              "package \"xbuild-no-such-package\" is not in bookworm for arm64 (look for its name: "
              "https://packages.debian.org/search?searchon=names&suite=bookworm&keywords=xbuild-no-such-package) "
              "(declared in [targets] packages and [platform.\"linux/arm64\"] packages in " +
                  config_file() + ")");
  }
}

TEST_F(TreesTest, TheRunPlansTwiceAndTheSecondPlanGivesACrossTargetItsSysroot) {
  const std::string config_text = project(R"("linux/amd64", "linux/arm64")", "packages = [\"zlib1g-dev\"]\n");
  world_.write_config(config_text);
  Config config = read_config(world_.options.config_file);
  Plan once = plan_targets({config, world_.state(), 0, {}, {}}, world_.services, world_.finder);
  EXPECT_TRUE(target_of(once, "linux/arm64").sysroot.empty()) << "without trees' options nothing is resolved";
  EXPECT_TRUE(mirror_.urls().empty());

  ResolvedTrees trees;
  Plan twice = plan(config_text, &trees);
  ASSERT_TRUE(twice.ready()) << render_plan(twice);
  const fs::path dir = sysroot_dir(key_of(TreeSpec::Kind::sysroot, "bookworm", "arm64", {"zlib1g-dev"}));
  EXPECT_EQ(trees.sysroots.at("linux/arm64").dir, dir);
  const TargetPlan& arm64 = target_of(twice, "linux/arm64");
  EXPECT_EQ(arm64.strategy, Strategy::cross);
  EXPECT_EQ(arm64.sysroot, dir);
  EXPECT_EQ(arm64.sysroot_description, "the sysroot of bookworm/arm64 with zlib1g-dev, made by the run (mmdebstrap)");
  ASSERT_TRUE(arm64.binaries.has_value());
  EXPECT_EQ(arm64.binaries->ld_prefix, dir);

  const std::map<std::string, std::string>& env = job_of(twice, "linux/arm64 build").env;
  EXPECT_EQ(env.at("QEMU_LD_PREFIX"), dir.string());
  EXPECT_EQ(env.at("PKG_CONFIG_SYSROOT_DIR"), dir.string());
  EXPECT_EQ(env.at("PKG_CONFIG_LIBDIR"), (dir / "usr/lib/aarch64-linux-gnu/pkgconfig").string() + ":" +
                                             (dir / "usr/share/pkgconfig").string() + ":" +
                                             (dir / "usr/lib/pkgconfig").string());
  EXPECT_EQ(env.at("CC"), "aarch64-linux-gnu-gcc --sysroot=" + dir.string());
  const std::map<std::string, std::string>& native = job_of(twice, "linux/amd64 build").env;
  EXPECT_EQ(native.count("PKG_CONFIG_SYSROOT_DIR"), 0u);
  EXPECT_EQ(native.count("QEMU_LD_PREFIX"), 0u);

  const std::string rendered = render_plan(twice);
  EXPECT_NE(rendered.find("\ntarget libraries (a sysroot of Debian packages):\n  linux/arm64: the sysroot of "
                          "bookworm/arm64 with zlib1g-dev, made by the run (mmdebstrap), in " +
                          dir.string() + "\n"),
            std::string::npos)
      << rendered;
  EXPECT_FALSE(fs::exists(cache())) << "planning makes nothing";

  // A config that declares no trees is planned once and asks no mirror.
  std::size_t asked = mirror_.urls().size();
  EXPECT_TRUE(plan(project(R"("linux/arm64")", ""), &trees).ready());
  EXPECT_EQ(mirror_.urls().size(), asked);
}

}  // namespace
}  // namespace xb
