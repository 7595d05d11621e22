// The OCI archive as a container engine loads it: podman names the image after the archive's
// io.containerd.image.name (with only the ref name, a tag, it would call it
// "localhost/<tag>:latest"). podman keeps its images in a scratch directory of the test (its own
// root, run root and temporary directory, the vfs storage driver), so the machine's are untouched.
#include <gtest/gtest.h>

#include <stdlib.h>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

// podman refuses a run root longer than 50 characters: a short directory of its own in /tmp.
class RunRoot {
 public:
  RunRoot() {
    std::string pattern = "/tmp/podman-run-XXXXXX";
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~RunRoot() {
    std::error_code error;
    if (!path_.empty()) fs::remove_all(path_, error);
  }
  RunRoot(const RunRoot&) = delete;
  RunRoot& operator=(const RunRoot&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// podman with every place it writes under `dir` or `run_root`.
std::vector<std::string> podman(const fs::path& dir, const RunRoot& run_root, std::vector<std::string> args) {
  std::vector<std::string> argv = {"podman",
                                   "--root",
                                   (dir / "root").string(),
                                   "--runroot",
                                   run_root.path().string(),
                                   "--tmpdir",
                                   (dir / "tmp").string(),
                                   "--storage-driver",
                                   "vfs",
                                   "--events-backend",
                                   "file",
                                   "--cgroup-manager",
                                   "cgroupfs"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

TEST(ArchiveLoad, PodmanLoadNamesTheImageAsTheConfigDoes) {
  XB_REQUIRE_TOOLS("podman", "make", "x86_64-linux-gnu-gcc", "aarch64-linux-gnu-gcc", "qemu-aarch64-static");
  XB_REQUIRE_ROOT("(podman stores the layers without a user namespace)");
  ScratchDir scratch;
  fs::path project = copy_example("hello", scratch / "hello");
  scratch.write("hello/xbuild.toml", kTwoPlatformConfig);
  fs::path archive = scratch / "hello.tar";
  ReportedRun built = xbuild_run({"--set", "image.name=registry.example/app", "-t", "1.0", "-t", "nightly", "-o",
                                  "oci-archive:" + archive.string()},
                                 project);
  ASSERT_EQ(built.exit_code, 0) << built.err;

  fs::path engine = scratch / "podman";
  RunRoot run_root;
  ASSERT_FALSE(run_root.path().empty());
  CommandResult loaded = run(podman(engine, run_root, {"load", "-i", archive.string()}));
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  EXPECT_EQ(loaded.out, "Loaded image: registry.example/app:1.0\n");
  CommandResult images = run(podman(engine, run_root, {"images", "--format", "{{.Repository}}:{{.Tag}}"}));
  ASSERT_EQ(images.exit_code, 0) << images.err;
  EXPECT_EQ(images.out, "registry.example/app:1.0\n");
  // The index's image for this machine, with the run's entrypoint.
  CommandResult inspected = run(
      podman(engine, run_root,
             {"image", "inspect", "--format", "{{.Architecture}} {{.Config.Entrypoint}}", "registry.example/app:1.0"}));
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  EXPECT_EQ(inspected.out, "amd64 [/app/hello]\n");
}

}  // namespace
}  // namespace xb::testing
