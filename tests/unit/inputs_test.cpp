// The first pass of `xbuild run`: the config, the shard, the state directory, the output and
// the push references, each mistake an error with exit status 2 before anything runs.
#include "build/inputs.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "oci/merge.h"
#include "support/scratch_dir.h"

namespace xb {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;

const char* const kConfig = R"(
[project]
name = "hello"
[targets]
platforms = ["linux/amd64", "linux/arm64", "linux/riscv64"]
[stage.build]
run = "make"
)";

class InputsTest : public ::testing::Test {
 protected:
  InputsTest() {
    scratch_.write("p/xbuild.toml", kConfig);
    options_.config_file = scratch_ / "p/xbuild.toml";
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
  }
  ~InputsTest() override { unsetenv("SOURCE_DATE_EPOCH"); }

  // The message of the error read_run_inputs() throws, with its exit status.
  std::string error_of(int expected_status = 2) {
    try {
      read_run_inputs(options_);
    } catch (const Error& error) {
      EXPECT_EQ(error.exit_code(), expected_status);
      return error.what();
    }
    return "(no error)";
  }

  ScratchDir scratch_;
  RunOptions options_;
};

TEST_F(InputsTest, DefaultsAreTheProjectsStateDirectoryAndItsLayout) {
  RunInputs inputs = read_run_inputs(options_);
  EXPECT_EQ(inputs.state_dir, scratch_ / "p/.xbuild");
  EXPECT_EQ(inputs.output.str(), "oci:" + (scratch_ / "p/.xbuild/oci").string());
  EXPECT_EQ(inputs.source_date_epoch, 1700000000);
  EXPECT_EQ(inputs.config.platforms.size(), 3u);
  EXPECT_TRUE(inputs.index_annotations.empty());
  EXPECT_TRUE(inputs.push_references.empty());
  EXPECT_FALSE(fs::exists(scratch_ / "p/.xbuild"));  // nothing is written
}

TEST_F(InputsTest, AShardKeepsItsPlatformsAndAnnotatesTheIndex) {
  options_.shard = "2/2";
  RunInputs inputs = read_run_inputs(options_);
  ASSERT_EQ(inputs.config.platforms.size(), 1u);
  EXPECT_EQ(inputs.config.platforms[0].str(), "linux/arm64");
  EXPECT_EQ(inputs.index_annotations.at(oci::kAnnotationShard), "2/2");
  EXPECT_EQ(inputs.index_annotations.at(oci::kAnnotationPlatforms), "linux/amd64,linux/arm64,linux/riscv64");
}

TEST_F(InputsTest, SettingsChangeTheConfigBeforeTheCommandLinesOtherOptions) {
  options_.settings = {"image.name=registry.example/app", "stage.build.run=make all", "image.tags=[\"a\"]"};
  options_.tags = {"b"};
  RunInputs inputs = read_run_inputs(options_);
  EXPECT_EQ(inputs.config.image.name, "registry.example/app");
  EXPECT_EQ(inputs.config.stages.at(0).run, "make all");
  EXPECT_EQ(inputs.config.image.tags, std::vector<std::string>{"b"});  // -t/--tag over --set image.tags
}

// The setting's problem on stderr, the error after it, and nothing written.
TEST_F(InputsTest, ABadSettingIsNamedAndNothingRuns) {
  options_.settings = {"stage.biuld.run=make all"};
  ::testing::internal::CaptureStderr();
  std::string error = error_of();
  EXPECT_EQ(::testing::internal::GetCapturedStderr(),
            "xbuild: --set stage.biuld.run=make all: unknown stage \"biuld\"; did you mean \"build\"?\n");
  EXPECT_EQ(error, "1 error in --set; nothing was run");
  EXPECT_FALSE(fs::exists(scratch_ / "p/.xbuild"));
}

TEST_F(InputsTest, MistakesAreSaidBeforeAnythingRuns) {
  options_.shard = "1/2";
  options_.push = true;
  EXPECT_EQ(error_of(),
            "--push with --shard would tag an index of one shard; merge the shards, then push: xbuild merge "
            "LAYOUT... -o oci:DIR --push REF");
  options_.shard.reset();
  options_.push = false;
  options_.output = "tar:out";
  EXPECT_EQ(error_of(), "invalid output \"tar:out\": expected oci:DIR, oci-archive:FILE or local:DIR");
  options_.output.reset();
  options_.junit_file = scratch_ / "missing/junit.xml";
  EXPECT_EQ(error_of(), "--junit " + (scratch_ / "missing/junit.xml").string() + ": the directory " +
                            (scratch_ / "missing").string() + " does not exist; create it first");
  options_.junit_file.reset();
  setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
  EXPECT_EQ(error_of(), "SOURCE_DATE_EPOCH=\"yesterday\" is not a non-negative whole number of seconds");
}

TEST_F(InputsTest, PushGoesToEveryTagOfTheImagesRepository) {
  scratch_.write("p/xbuild.toml", std::string(kConfig) +
                                      "[image]\nname = \"localhost:5000/hello\"\ntags = "
                                      "[\"1.0\", \"latest\"]\n");
  options_.push = true;
  RunInputs inputs = read_run_inputs(options_);
  EXPECT_EQ(inputs.push_references,
            (std::vector<std::string>{"localhost:5000/hello:1.0", "localhost:5000/hello:latest"}));
  options_.output = "oci-archive:hello.tar";
  EXPECT_EQ(error_of(), "--push pushes from an OCI layout, not from oci-archive:" +
                            (fs::current_path() / "hello.tar").string() + "; use -o oci:DIR (or no -o)");
}

TEST_F(InputsTest, ConfigErrorsAreCountedInTheMessage) {
  scratch_.write("p/xbuild.toml", "[project]\nnam = 1\n");
  ::testing::internal::CaptureStderr();
  std::string message = error_of();
  std::string printed = ::testing::internal::GetCapturedStderr();
  std::size_t printed_errors = 0;
  for (std::size_t at = printed.find(": error: "); at != std::string::npos; at = printed.find(": error: ", at + 1))
    ++printed_errors;
  EXPECT_EQ(message, std::to_string(printed_errors) + " errors in " + (scratch_ / "p/xbuild.toml").string() +
                         "; nothing was run");
  EXPECT_NE(printed.find("unknown key \"nam\" in [project]; did you mean \"name\"?"), std::string::npos) << printed;
}

TEST_F(InputsTest, PlatformKeepsTheNamedPlatformsInTheConfigsOrderAndTagsReplaceTheImagesTags) {
  std::string config = kConfig;
  config.insert(config.find("[stage.build]"), "firmware = [\"cortex-m4\"]\n");
  scratch_.write("p/xbuild.toml", config +
                                      "[image]\nname = \"localhost:5000/hello\"\ntags = [\"1.0\"]\n"
                                      "[platform.\"linux/amd64\"]\nenv = { A = \"1\" }\n");
  options_.platforms = {"linux/riscv64,cortex-m4", "linux/aarch64"};
  options_.tags = {"nightly", "2026-12-05"};
  options_.push = true;
  RunInputs inputs = read_run_inputs(options_);
  std::vector<std::string> names;
  for (const Platform& platform : inputs.config.platforms) names.push_back(platform.str());
  EXPECT_EQ(names, (std::vector<std::string>{"linux/arm64", "linux/riscv64", "none/arm/cortex-m4"}));
  EXPECT_EQ(inputs.config.overrides.count("linux/amd64"), 1u);  // other platforms' overrides stay valid
  EXPECT_EQ(inputs.push_references,
            (std::vector<std::string>{"localhost:5000/hello:nightly", "localhost:5000/hello:2026-12-05"}));
}

TEST_F(InputsTest, APlatformTheConfigLacksOrABadTagIsAnErrorNamingTheFlag) {
  options_.platforms = {"linux/arm63"};
  EXPECT_EQ(error_of(), "--platform linux/arm63: not a platform of " + (scratch_ / "p/xbuild.toml").string() +
                            " (did you mean linux/arm64?); its platforms are linux/amd64, linux/arm64, linux/riscv64");
  options_.platforms = {"linux/amd64,"};
  EXPECT_EQ(error_of(), "--platform linux/amd64,: an empty platform name; separate names with one ','");
  options_.platforms.clear();
  options_.tags = {"ok", "-bad"};
  EXPECT_EQ(error_of(),
            "-t/--tag \"-bad\" is not a valid tag: use letters, digits, '_', '.' and '-' (at most 128, not starting "
            "with '.' or '-')");
  EXPECT_FALSE(fs::exists(scratch_ / "p/.xbuild"));
}

}  // namespace
}  // namespace xb

namespace xb {
namespace {

using testing::ScratchDir;

// --source-date-epoch: checked before anything runs, then now, git or seconds; without it the
// environment, the last commit, else 0 with a note saying why and how to change it.
class SourceDateEpochTest : public ::testing::Test {
 protected:
  SourceDateEpochTest() { unsetenv("SOURCE_DATE_EPOCH"); }
  ~SourceDateEpochTest() override { unsetenv("SOURCE_DATE_EPOCH"); }
  ScratchDir scratch_;
};

TEST_F(SourceDateEpochTest, SecondsNowAndTheDefaultOutsideGit) {
  EXPECT_EQ(source_date_epoch(scratch_.path(), "1234567890").seconds, 1234567890);
  EXPECT_EQ(source_date_epoch(scratch_.path(), "0").seconds, 0);
  long long before = std::time(nullptr);
  SourceDateEpoch now = source_date_epoch(scratch_.path(), "now");
  EXPECT_GE(now.seconds, before);
  EXPECT_LE(now.seconds, std::time(nullptr));
  EXPECT_EQ(now.note, "");
  SourceDateEpoch fallback = source_date_epoch(scratch_.path());
  EXPECT_EQ(fallback.seconds, 0);
  EXPECT_EQ(fallback.note,
            "the images are dated 1970-01-01 (SOURCE_DATE_EPOCH 0): " + scratch_.path().string() +
                " is not in a git checkout, whose last commit would date them, and a fixed date keeps two builds of "
                "the same sources identical; --source-date-epoch now, git or N (or SOURCE_DATE_EPOCH) sets another");
  setenv("SOURCE_DATE_EPOCH", "42", 1);
  EXPECT_EQ(source_date_epoch(scratch_.path()).seconds, 42);
  EXPECT_EQ(source_date_epoch(scratch_.path()).note, "");
  EXPECT_EQ(source_date_epoch(scratch_.path(), "7").seconds, 7);  // the option over the environment
}

TEST_F(SourceDateEpochTest, GitIsTheLastCommitsTimeAndOutsideACheckoutAnErrorWithTheFix) {
  try {
    source_date_epoch(scratch_.path(), "git");
    FAIL() << "no error outside a git checkout";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), 2);
    EXPECT_EQ(std::string(e.what()), "--source-date-epoch git: " + scratch_.path().string() +
                                         " is not in a git checkout with a commit; commit first (git init && git add "
                                         "-A && git commit), or use --source-date-epoch now or N");
  }
  std::string dir = scratch_.path().string();
  ASSERT_EQ(std::system(("cd " + dir +
                         " && git init -q && GIT_COMMITTER_DATE=@1600000000 git -c user.name=t -c user.email=t@t "
                         "commit -q --allow-empty -m x")
                            .c_str()),
            0);
  EXPECT_EQ(source_date_epoch(scratch_.path(), "git").seconds, 1600000000);
  EXPECT_EQ(source_date_epoch(scratch_.path()).seconds, 1600000000);
}

TEST_F(SourceDateEpochTest, ABadValueIsAnErrorSayingWhatIsAccepted) {
  for (const char* bad : {"", "yesterday", "-5", "12s", "1e9", "99999999999999999999"}) {
    try {
      check_source_date_epoch(std::string(bad));
      ADD_FAILURE() << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), 2);
      EXPECT_EQ(std::string(e.what()),
                std::string("--source-date-epoch \"") + bad +
                    "\": use now (the current time), git (the time of the last commit) or a whole number of seconds "
                    "since 1970-01-01 UTC, such as 1700000000");
    }
  }
  EXPECT_NO_THROW(check_source_date_epoch(std::nullopt));
}

}  // namespace
}  // namespace xb
