// Cache keys: what changes a key and what must not (the clone's directory, volatile variables,
// ignored files).
#include "cache/cache_key.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

// Two targets, each with build and test (test needs build), as make_plan lays them out.
Plan two_target_plan(const fs::path& project, const fs::path& state) {
  Plan plan;
  plan.state_dir = state;
  for (const char* name : {"linux/amd64", "linux/arm64"}) {
    TargetPlan target;
    target.platform = parse_platform(name).value();
    target.strategy = Strategy::cross;
    target.status.compiler = "/usr/bin/cc";
    target.status.compiler_version = "14.2.0";
    target.output_dir = state / "out" / name;
    std::size_t index = plan.targets.size();
    plan.targets.push_back(target);
    JobPlan build;
    build.target = index;
    build.stage = "build";
    build.command = "make";
    build.env = {{"XBUILD_SRC", project.string()}, {"XBUILD_OUT", (state / "out" / name).string()}};
    JobPlan test = build;
    test.stage = "test";
    test.command = "./hello";
    test.needs = {plan.jobs.size()};
    plan.jobs.push_back(build);
    plan.jobs.push_back(test);
  }
  return plan;
}

const std::vector<std::string> kEnv = {"PATH=/usr/bin:/bin", "HOME=/root"};

TEST(CacheKey, TwoClonesInDifferentDirectoriesShareKeys) {
  CacheKeys first = compute_cache_keys(two_target_plan("/a/hello", "/a/hello/.xbuild"), "/a/hello", "sha256:in",
                                       {"PATH=/usr/bin", "PWD=/a/hello"});
  CacheKeys second = compute_cache_keys(two_target_plan("/b/work/hello", "/b/work/hello/.xbuild"), "/b/work/hello",
                                        "sha256:in", {"PATH=/usr/bin", "PWD=/b/work/hello", "SHLVL=3"});
  EXPECT_EQ(first.jobs, second.jobs);
  EXPECT_EQ(first.targets, second.targets);
  EXPECT_NE(first.jobs[0], first.jobs[2]) << "platforms have different keys";
}

TEST(CacheKey, ACommandChangeReachesTheStagesThatNeedIt) {
  Plan plan = two_target_plan("/p", "/p/.xbuild");
  CacheKeys before = compute_cache_keys(plan, "/p", "sha256:in", kEnv);
  plan.jobs[0].command = "make V=1";  // linux/amd64 build
  CacheKeys after = compute_cache_keys(plan, "/p", "sha256:in", kEnv);
  EXPECT_NE(before.jobs[0], after.jobs[0]);
  EXPECT_NE(before.jobs[1], after.jobs[1]) << "test needs build";
  EXPECT_EQ(before.jobs[2], after.jobs[2]);
  EXPECT_EQ(before.jobs[3], after.jobs[3]);
  EXPECT_NE(before.targets[0], after.targets[0]);
  EXPECT_EQ(before.targets[1], after.targets[1]);
}

TEST(CacheKey, ToolchainEnvironmentAndInputsChangeKeysButVolatileVariablesDoNot) {
  Plan plan = two_target_plan("/p", "/p/.xbuild");
  CacheKeys base = compute_cache_keys(plan, "/p", "sha256:in", kEnv);
  EXPECT_EQ(compute_cache_keys(plan, "/p", "sha256:in", {"PATH=/usr/bin:/bin", "HOME=/root", "TERM=xterm", "OLDPWD=/x"})
                .targets,
            base.targets);
  EXPECT_NE(compute_cache_keys(plan, "/p", "sha256:in", {"PATH=/usr/bin:/bin", "HOME=/root", "CFLAGS=-O0"}).targets[0],
            base.targets[0]);
  EXPECT_NE(compute_cache_keys(plan, "/p", "sha256:other", kEnv).targets[0], base.targets[0]);
  Plan newer = plan;
  newer.targets[1].status.compiler_version = "14.3.0";
  CacheKeys upgraded = compute_cache_keys(newer, "/p", "sha256:in", kEnv);
  EXPECT_EQ(upgraded.targets[0], base.targets[0]);
  EXPECT_NE(upgraded.targets[1], base.targets[1]);
}

TEST(CacheKey, ProjectInputsFollowContentAndModeButNotIgnoredPaths) {
  ScratchDir scratch;
  fs::path project = scratch / "p";
  scratch.write("p/src/hello.c", "int main() { return 0; }\n");
  scratch.write("p/xbuild.toml", "[project]\n");
  scratch.write("p/.xbuildignore", "# generated\nbuild/\n*.tmp\n");
  std::string base = hash_project_inputs(project, project / ".xbuild").value();

  scratch.write("p/.git/HEAD", "ref: refs/heads/main\n");
  scratch.write("p/.xbuild/out/linux-amd64/hello", "ELF");
  scratch.write("p/build/obj.o", "object");
  scratch.write("p/src/notes.tmp", "scratch");
  EXPECT_EQ(hash_project_inputs(project, project / ".xbuild").value(), base);

  scratch.write("p/src/hello.c", "int main() { return 1; }\n");
  std::string edited = hash_project_inputs(project, project / ".xbuild").value();
  EXPECT_NE(edited, base);
  fs::permissions(project / "src/hello.c", fs::perms::owner_exec, fs::perm_options::add);
  EXPECT_NE(hash_project_inputs(project, project / ".xbuild").value(), edited);

  scratch.write("q/src/hello.c", "int main() { return 0; }\n");
  scratch.write("q/xbuild.toml", "[project]\n");
  scratch.write("q/.xbuildignore", "# generated\nbuild/\n*.tmp\n");
  EXPECT_EQ(hash_project_inputs(scratch / "q", scratch / "q/.xbuild").value(), base) << "the directory is not hashed";
}

TEST(CacheKey, AStateDirectoryInsideTheProjectIsNotAnInput) {
  ScratchDir scratch;
  scratch.write("p/src/hello.c", "x");
  std::string base = hash_project_inputs(scratch / "p", scratch / "p/state").value();
  scratch.write("p/state/logs/build.log", "log");
  EXPECT_EQ(hash_project_inputs(scratch / "p", scratch / "p/state").value(), base);
}

}  // namespace
}  // namespace xb
