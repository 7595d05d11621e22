// Kept directories' keys: what wipes one (strategy, compiler, root, the stage's configuration)
// and what must not (its input files, its timeout, the jobs it needs, the clone's directory).
#include "cache/work_dirs.h"

#include <gtest/gtest.h>

#include "support/scratch_dir.h"
#include "util/fs.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

Plan one_job_plan(const fs::path& project, const fs::path& state) {
  Plan plan;
  plan.state_dir = state;
  TargetPlan target;
  target.platform = parse_platform("linux/arm64").value();
  target.strategy = Strategy::cross;
  target.status.compiler = "/usr/bin/aarch64-linux-gnu-gcc";
  target.status.compiler_version = "12.2.0";
  target.work_dir = state / "work" / "linux-arm64";
  plan.targets.push_back(target);
  JobPlan build;
  build.stage = "build";
  build.command = "cmake --build \"$XBUILD_WORK/build\"";
  build.keep = {"build", "deps/zlib"};
  build.env = {{"XBUILD_SRC", project.string()}, {"XBUILD_WORK", target.work_dir.string()}};
  plan.jobs.push_back(build);
  return plan;
}

class WorkDirsTest : public ::testing::Test {
 protected:
  std::vector<KeptDirectory> kept(const Plan& plan) { return kept_directories(plan, project(), {}); }
  fs::path project() const { return scratch_ / "p"; }
  fs::path state() const { return scratch_ / "p/.xbuild"; }
  // The decision for the first kept directory of `now`, after one made with `before`'s key.
  KeepDecision after(const Plan& before, const Plan& now, const std::string& clean = "") {
    KeptDirectory made = kept(before)[0];
    return decide(kept(now)[0], true, record_text(made), clean);
  }
  ScratchDir scratch_;
};

TEST_F(WorkDirsTest, EachKeptPathIsADirectoryOfTheWorkDirWithARecordOfItsOwn) {
  std::vector<KeptDirectory> dirs = kept(one_job_plan(project(), state()));
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_EQ(dirs[0].path, "build");
  EXPECT_EQ(dirs[0].dir, state() / "work/linux-arm64/build");
  EXPECT_EQ(dirs[1].dir, state() / "work/linux-arm64/deps/zlib");
  EXPECT_EQ(dirs[0].record.parent_path(), state() / "work/.keys/linux-arm64");
  EXPECT_NE(dirs[0].record, dirs[1].record);
  EXPECT_EQ(dirs[0].key, dirs[1].key);
  EXPECT_EQ(dirs[0].key.at("compiler"), "/usr/bin/aarch64-linux-gnu-gcc 12.2.0");
  EXPECT_EQ(dirs[0].key.at("strategy"), "cross");
}

TEST_F(WorkDirsTest, AnUnchangedKeyIsReusedAndAMissingDirectoryIsNew) {
  Plan plan = one_job_plan(project(), state());
  EXPECT_EQ(describe(after(plan, plan)), "reused");
  EXPECT_EQ(describe(decide(kept(plan)[0], false, std::nullopt, "")), "new");
  EXPECT_EQ(describe(decide(kept(plan)[0], false, std::nullopt, "--clean")), "new");
  EXPECT_EQ(describe(decide(kept(plan)[0], true, std::nullopt, "")), "wiped: no record of what it was built with");
  EXPECT_EQ(describe(after(plan, plan, "--clean")), "wiped: --clean");
}

TEST_F(WorkDirsTest, EachPartOfTheKeySaysWhatChanged) {
  Plan before = one_job_plan(project(), state());
  Plan compiler = before;
  compiler.targets[0].status.compiler_version = "13.1.0";
  EXPECT_EQ(describe(after(before, compiler)),
            "wiped: the compiler changed (/usr/bin/aarch64-linux-gnu-gcc 12.2.0 -> /usr/bin/aarch64-linux-gnu-gcc "
            "13.1.0)");
  Plan strategy = before;
  strategy.targets[0].strategy = Strategy::emulate;
  EXPECT_EQ(describe(after(before, strategy)), "wiped: the strategy changed (cross -> emulate)");
  Plan sysroot = before;
  sysroot.targets[0].sysroot = "/cache/debian/sysroot/0123abcd";
  EXPECT_EQ(describe(after(before, sysroot)), "wiped: the root filesystem or sysroot changed (its packages or image)");
  Plan command = before;
  command.jobs[0].command = "make";
  EXPECT_EQ(describe(after(before, command)),
            "wiped: the stage's configuration changed (its command, shell or environment)");
  Plan env = before;
  env.jobs[0].env["CFLAGS"] = "-O2";
  EXPECT_EQ(describe(after(before, env)),
            "wiped: the stage's configuration changed (its command, shell or environment)");
}

TEST_F(WorkDirsTest, TimeoutNeedsAndTheClonesDirectoryDoNotWipe) {
  Plan before = one_job_plan(project(), state());
  Plan timeout = before;
  timeout.jobs[0].timeout_seconds = 600;
  EXPECT_EQ(describe(after(before, timeout)), "reused");
  // Another clone of the project, its state directory inside it: the same key.
  Plan moved = one_job_plan(scratch_ / "q", scratch_ / "q/.xbuild");
  KeptDirectory there = kept_directories(moved, scratch_ / "q", {})[0];
  EXPECT_EQ(there.key, kept(before)[0].key);
}

TEST_F(WorkDirsTest, OnlyTheVariablesAStageDeclaresAreInItsKey) {
  Plan plan = one_job_plan(project(), state());
  KeptDirectory quiet = kept_directories(plan, project(), {"CI_JOB_ID=1", "HOME=/root"})[0];
  KeptDirectory other = kept_directories(plan, project(), {"CI_JOB_ID=2", "HOME=/home/me"})[0];
  EXPECT_EQ(quiet.key, other.key);
  plan.jobs[0].pass_env = {"CI_JOB_ID"};
  EXPECT_NE(kept_directories(plan, project(), {"CI_JOB_ID=1"})[0].key,
            kept_directories(plan, project(), {"CI_JOB_ID=2"})[0].key);
}

}  // namespace
}  // namespace xb
