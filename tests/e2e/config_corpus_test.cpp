// The malformed-config corpus (tests/data/config, each case's diagnostics golden-tested by
// config_golden_test.cpp) through the real binary: every case makes `xbuild plan` and `xbuild run`
// exit 2 with the golden text on stderr, bounded, and nothing written in the project. Then what
// cannot be a file of the corpus, made here: paths that are no config (a directory, a FIFO,
// /dev/zero through a symbolic link, a file over the 4 MiB bound), 10,000 platforms on one line,
// and the same checks reached through --set and -t.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxOutput = 64 * 1024;

fs::path corpus() { return source_root() / "tests" / "data" / "config"; }

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(corpus()))
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// What the binary prints for a golden: the diagnostics, then the count as its error line.
std::string stderr_of(const std::string& golden) {
  std::string body = golden.substr(0, golden.size() - 1);
  std::size_t last = body.rfind('\n');
  return body.substr(0, last + 1) + "xbuild: error: " + body.substr(last + 1) + "; nothing was run\n";
}

TEST(ConfigCorpus, EveryCaseExitsTwoWithItsGoldenTextAndWritesNothing) {
  const std::vector<std::string> names = case_names();
  ASSERT_GE(names.size(), 100u);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    ScratchDir scratch;
    fs::path project = scratch / "p";
    fs::create_directories(project);
    fs::copy_file(corpus() / (name + ".toml"), project / "xbuild.toml");
    const std::string before = snapshot_tree(scratch.path());
    // plan and run alternately: both read the config through the same pass.
    CommandResult result =
        xbuild({i % 2 == 0 ? "plan" : "run"}, project, {{"XBUILD_CACHE_DIR", (scratch / "c").string()}});
    EXPECT_EQ(result.exit_code, 2) << name << ": " << result.err;
    EXPECT_LE(result.err.size(), kMaxOutput) << name;
    EXPECT_EQ(result.out, "") << name;
    EXPECT_EQ(result.err, stderr_of(read_file(corpus() / (name + ".expected")).value())) << name;
    EXPECT_EQ(snapshot_tree(scratch.path()), before) << name << " wrote into the project";
    EXPECT_FALSE(fs::exists(project / ".xbuild")) << name;
  }
}

class ConfigFiles : public ::testing::Test {
 protected:
  // `xbuild plan -f FILE` in an empty project: its stderr, after checking exit 2 and that
  // nothing was written.
  std::string refused(const fs::path& file) {
    fs::create_directories(project_);
    const std::string before = snapshot_tree(project_);
    CommandResult result = xbuild({"plan", "-f", file.string()}, project_);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(snapshot_tree(project_), before);
    return result.err;
  }
  ScratchDir scratch_;
  fs::path project_ = scratch_ / "p";
};

TEST_F(ConfigFiles, ADevicePipeDirectoryOrHugeFileIsRefusedBeforeItIsRead) {
  const std::string bound = "; a config is a regular file of at most 4 MiB\n";
  fs::path zero = scratch_ / "zero.toml";
  fs::create_symlink("/dev/zero", zero);
  EXPECT_EQ(refused(zero), zero.string() + ": error: cannot read " + zero.string() + ": it is a character device" +
                               bound + "xbuild: error: 1 error in " + zero.string() + "; nothing was run\n");

  fs::path fifo = scratch_ / "fifo.toml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(refused(fifo), fifo.string() + ": error: cannot read " + fifo.string() + ": it is a FIFO (a named pipe)" +
                               bound + "xbuild: error: 1 error in " + fifo.string() + "; nothing was run\n");

  fs::path directory = scratch_ / "dir.toml";
  fs::create_directories(directory);
  EXPECT_EQ(refused(directory), directory.string() + ": error: cannot read " + directory.string() +
                                    ": it is a directory; name the config file in it, such as -f " +
                                    (directory / "xbuild.toml").string() + "\nxbuild: error: 1 error in " +
                                    directory.string() + "; nothing was run\n");

  fs::path huge = scratch_ / "huge.toml";
  ASSERT_TRUE(write_file_atomic(huge, "[project]\n").ok());
  fs::resize_file(huge, (4u << 20) + 1);  // sparse: the check reads its size, not its bytes
  EXPECT_EQ(refused(huge), huge.string() + ": error: cannot read " + huge.string() + ": it is 4194305 bytes" + bound +
                               "xbuild: error: 1 error in " + huge.string() + "; nothing was run\n");
}

// The case: every platform a line's error, each echoing a 140 KB line.
TEST_F(ConfigFiles, TenThousandPlatformsOnOneLineGiveAScreenfulQuickly) {
  std::string platforms;
  for (int i = 0; i < 10000; ++i)
    platforms += std::string(i ? ", " : "") + (i % 2 ? "\"linux/amd64\"" : "\"linux/bogus\"");
  fs::create_directories(project_);
  ASSERT_TRUE(write_file_atomic(project_ / "xbuild.toml", "[project]\nname = \"p\"\n\n[targets]\nplatforms = [" +
                                                              platforms + "]\n\n[stage.build]\nrun = \"true\"\n")
                  .ok());
  auto start = std::chrono::steady_clock::now();
  CommandResult result = xbuild({"plan"}, project_);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_LE(result.err.size(), kMaxOutput);
  EXPECT_LT(seconds, 5.0) << "a debug build; bench/run.sh's diagnostics row holds the release to 0.5 s";
  // 5,000 unknown platforms and 4,999 duplicates: 50 shown, each line cut around its caret.
  EXPECT_EQ(result.err.substr(0, result.err.find("xbuild.toml:5:59")),
            "xbuild.toml:5:14: error: unknown platform \"linux/bogus\" in [targets] platforms: unknown architecture "
            "\"bogus\" in platform \"linux/bogus\"\n"
            "    5 | platforms = [\"linux/bogus\", \"linux/amd64\", \"linux/bogus\", \"linux/amd64\", \"linux/bogus\", "
            "\"linux/amd64\xE2\x80\xA6\n"
            "      |              ^\n"
            "xbuild.toml:5:44: error: unknown platform \"linux/bogus\" in [targets] platforms: unknown architecture "
            "\"bogus\" in platform \"linux/bogus\"\n"
            "    5 | platforms = [\"linux/bogus\", \"linux/amd64\", \"linux/bogus\", \"linux/amd64\", \"linux/bogus\", "
            "\"linux/amd64\xE2\x80\xA6\n"
            "      |                                            ^\n");
  EXPECT_NE(result.err.find("\nxbuild.toml: and 9949 more errors\nxbuild: error: 9999 errors in xbuild.toml; "
                            "nothing was run\n"),
            std::string::npos)
      << result.err.substr(result.err.size() > 2000 ? result.err.size() - 2000 : 0);
  EXPECT_FALSE(fs::exists(project_ / ".xbuild"));
}

TEST_F(ConfigFiles, SettingsAndTagsAreCheckedAsTheFileIs) {
  fs::create_directories(project_);
  ASSERT_TRUE(write_file_atomic(project_ / "xbuild.toml",
                                "[project]\nname = \"p\"\n\n[targets]\nplatforms = "
                                "[\"linux/amd64\"]\n\n[stage.build]\nrun = \"touch ran\"\n")
                  .ok());
  const std::string before = snapshot_tree(project_);
  CommandResult nul = xbuild({"run", "--set", "stage.build.run=\"touch ran\\u0000; exit 7\""}, project_);
  EXPECT_EQ(nul.exit_code, 2);
  EXPECT_EQ(nul.err,
            "xbuild: --set stage.build.run=\"touch ran\\u0000; exit 7\": \"run\" in [stage.build] holds a NUL "
            "character, where the text would end: remove it\nxbuild: error: 1 error in --set; nothing was run\n");
  CommandResult name = xbuild({"plan", "--set", "image.name=../../etc/x", "--set", "project.name=a b"}, project_);
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_EQ(name.err,
            "xbuild: --set image.name=../../etc/x: invalid image name \"../../etc/x\" in [image]: it has the path "
            "component \"..\": a repository path is lowercase letters and digits, separated by '/', '.', '_' or '-'; "
            "for example name = \"registry.example:5000/team/app\"\n"
            "xbuild: --set project.name=a b: invalid project name \"a b\" in [project]: use 1 to 128 letters, digits, "
            "'.', '_' and '-', starting with a letter or digit (it names directories on the builders)\n"
            "xbuild: error: 2 errors in --set; nothing was run\n");
  CommandResult twice = xbuild({"plan", "-t", "1.0", "-t", "2.0", "-t", "1.0"}, project_);
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_EQ(twice.err, "xbuild: error: -t/--tag \"1.0\" is given twice: name each tag once\n");
  EXPECT_EQ(snapshot_tree(project_), before);
}

}  // namespace
}  // namespace xb::testing
