// The words a run's jobs end with — ok, cached, failed, cancelled, skipped, timed out — the same in
// the plain lines, the json events, the summary table and the metadata file, with why for the
// ones that did not end ok; the failed output shown again; every failure named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "e2e/e2e_support.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Three platforms of shell stages: no compiler runs, but each platform's is looked for.
const char* const kConfig = R"(
[project]
name = "states"

[targets]
platforms = ["linux/amd64", "linux/arm64", "linux/riscv64"]

[stage.build]
run = 'echo built > "$XBUILD_OUT/built"'

[stage.test]
needs = ["build"]
run = 'true'

[image]
copy = [{ from = "built", to = "/built" }]
)";

std::string mask(std::string text) {
  text = std::regex_replace(text, std::regex("\"(elapsed|seconds|wall_seconds)\":[0-9.]+"), "\"$1\":T");
  return std::regex_replace(text, std::regex("[0-9]+\\.[0-9]s\\b"), "Ts");
}

const std::string kWhy =
    "missing riscv64-linux-gnu-gcc (install gcc-riscv64-linux-gnu); left out by --skip-unavailable";

class States : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_TOOLS("aarch64-linux-gnu-gcc", "qemu-aarch64-static");
    // A PATH holding everything in /usr/bin but the riscv64 cross compiler: a machine that cannot
    // build linux/riscv64.
    fs::create_directories(bin_);
    for (const fs::directory_entry& entry : fs::directory_iterator("/usr/bin"))
      if (entry.path().filename() != "riscv64-linux-gnu-gcc")
        fs::create_symlink(entry.path(), bin_ / entry.path().filename());
    fs::create_directories(project_);
    // linux/amd64's build, stored in the cache: the runs below restore it.
    scratch_.write("project/xbuild.toml", kConfig);
    CommandResult warm = run_xbuild({"run", "--platform", "linux/amd64"});
    ASSERT_EQ(warm.exit_code, 0) << warm.err;
  }

  CommandResult run_xbuild(std::vector<std::string> args) {
    args.insert(args.end(), {"--cache-dir", (scratch_ / "cache").string(), "-o", "oci:" + (scratch_ / "oci").string()});
    return xbuild(args, project_, {{"PATH", bin_.string()}});
  }

  json metadata() { return json::parse(read_file(scratch_ / "metadata.json").value()); }
  std::string log(const std::string& slug, const std::string& stage) {
    return (project_ / ".xbuild/logs" / slug / (stage + ".log")).string();
  }

  ScratchDir scratch_;
  fs::path project_ = scratch_ / "project";
  fs::path bin_ = scratch_ / "bin";
};

// linux/arm64's build fails while linux/amd64's test runs: the test is cancelled, not failed, and
// so is linux/arm64's test, which never started; linux/amd64's build comes from the cache and
// linux/riscv64 is skipped.
TEST_F(States, AFailureCancelsTheOthersAndSaysBecauseOfWhich) {
  scratch_.write("project/xbuild.toml", std::string(kConfig) + R"(
[platform."linux/amd64".stage.test]
run = 'sleep 30'

[platform."linux/arm64".stage.build]
run = 'echo compiling; sleep 1; echo "error: boom" >&2; exit 2'
)");
  CommandResult result = run_xbuild({"run", "-j", "2", "--skip-unavailable", "--progress", "plain", "--metadata-file",
                                     (scratch_ / "metadata.json").string()});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(mask(result.out), "[+Ts] linux/riscv64 build skipped (" + kWhy +
                                  ")\n"
                                  "[+Ts] linux/riscv64 test skipped (" +
                                  kWhy +
                                  ")\n"
                                  "[+Ts] linux/amd64 build cached\n"
                                  "[+Ts] linux/arm64 build started\n"
                                  "[+Ts] linux/amd64 test started\n"
                                  "[linux/arm64 build] compiling\n"
                                  "[linux/arm64 build] error: boom\n"
                                  "[+Ts] linux/arm64 build failed in Ts (exit status 2)\n"
                                  "[+Ts] linux/amd64 test cancelled in Ts (because linux/arm64 build failed)\n"
                                  "[+Ts] linux/arm64 test cancelled (because linux/arm64 build failed)\n"
                                  "PLATFORM       STRATEGY  STAGES\n"
                                  "linux/amd64    native    build cached, test cancelled Ts\n"
                                  "linux/arm64    cross     build failed Ts, test cancelled\n"
                                  "linux/riscv64  cross     build skipped, test skipped\n"
                                  "linux/amd64 test cancelled: because linux/arm64 build failed\n"
                                  "linux/arm64 build failed: exit status 2\n"
                                  "linux/arm64 test cancelled: because linux/arm64 build failed\n"
                                  "linux/riscv64 build skipped: " +
                                  kWhy +
                                  "\n"
                                  "linux/riscv64 test skipped: " +
                                  kWhy +
                                  "\n"
                                  "xbuild: linux/arm64 build failed (exit status 2); its output (" +
                                  log("linux-arm64", "build") +
                                  "):\n"
                                  "     1 | compiling\n"
                                  "     2 | error: boom\n");
  EXPECT_NE(result.err.find("xbuild: error: stage \"build\" failed on linux/arm64 (exit status 2); its log is " +
                            log("linux-arm64", "build") + "\n"),
            std::string::npos)
      << result.err;
  json written = metadata();
  EXPECT_EQ(written["platforms"]["linux/amd64"]["stages"], json({{"build", "cached"}, {"test", "cancelled"}}));
  EXPECT_EQ(written["platforms"]["linux/amd64"]["details"], json({{"test", "because linux/arm64 build failed"}}));
  EXPECT_EQ(written["platforms"]["linux/arm64"]["stages"], json({{"build", "failed"}, {"test", "cancelled"}}));
  EXPECT_EQ(written["platforms"]["linux/arm64"]["details"],
            json({{"build", "exit status 2"}, {"test", "because linux/arm64 build failed"}}));
  EXPECT_EQ(written["platforms"]["linux/riscv64"]["stages"], json({{"build", "skipped"}, {"test", "skipped"}}));
  EXPECT_EQ(written["platforms"]["linux/riscv64"]["details"], json({{"build", kWhy}, {"test", kWhy}}));
}

// With -k the run goes on: linux/amd64's test times out, linux/arm64's build fails and its test,
// which needs it, is skipped; the json events and the final summary event say the same words, and
// the error names both failures.
TEST_F(States, KeepGoingSkipsWhatNeedsAFailureAndNamesEveryFailure) {
  std::string config = kConfig;
  config.replace(config.find("run = 'true'"), 12, "run = 'true'\ntimeout = \"1s\"");
  scratch_.write("project/xbuild.toml", config + R"(
[platform."linux/amd64".stage.test]
run = 'echo waiting; sleep 30'

[platform."linux/arm64".stage.build]
run = 'sleep 0.3; echo compiling; echo "error: boom" >&2; exit 2'
)");
  CommandResult result = run_xbuild({"run", "-k", "-j", "2", "--skip-unavailable", "--progress", "json",
                                     "--metadata-file", (scratch_ / "metadata.json").string()});
  EXPECT_EQ(result.exit_code, 1);
  const std::string skipped_riscv = ",\"state\":\"skipped\",\"elapsed\":T,\"exit\":null,\"detail\":\"" + kWhy + "\"}\n";
  EXPECT_EQ(
      mask(result.out),
      "{\"event\":\"finished\",\"platform\":\"linux/riscv64\",\"stage\":\"build\"" + skipped_riscv +
          "{\"event\":\"finished\",\"platform\":\"linux/riscv64\",\"stage\":\"test\"" + skipped_riscv +
          "{\"event\":\"status\",\"text\":\"xbuild: linux/amd64: cached (build); running (test)\"}\n"
          "{\"event\":\"finished\",\"platform\":\"linux/amd64\",\"stage\":\"build\",\"state\":\"cached\","
          "\"elapsed\":T,\"exit\":null}\n"
          "{\"event\":\"started\",\"platform\":\"linux/arm64\",\"stage\":\"build\"}\n"
          "{\"event\":\"started\",\"platform\":\"linux/amd64\",\"stage\":\"test\"}\n"
          "{\"event\":\"output\",\"platform\":\"linux/amd64\",\"stage\":\"test\",\"line\":\"waiting\"}\n"
          "{\"event\":\"output\",\"platform\":\"linux/arm64\",\"stage\":\"build\",\"line\":\"compiling\"}\n"
          "{\"event\":\"output\",\"platform\":\"linux/arm64\",\"stage\":\"build\",\"line\":\"error: boom\"}\n"
          "{\"event\":\"finished\",\"platform\":\"linux/arm64\",\"stage\":\"build\",\"state\":\"failed\","
          "\"elapsed\":T,\"exit\":2}\n"
          "{\"event\":\"status\",\"text\":\"xbuild: stage \\\"build\\\" failed on linux/arm64 (exit status 2)\"}\n"
          "{\"event\":\"status\",\"text\":\"xbuild: stage \\\"test\\\" failed on linux/amd64 (timed out after 1s)\"}\n"
          "{\"event\":\"finished\",\"platform\":\"linux/amd64\",\"stage\":\"test\",\"state\":\"timed out\","
          "\"elapsed\":T,\"exit\":null}\n"
          "{\"event\":\"status\",\"text\":\"xbuild: skipping stage \\\"test\\\" on linux/arm64: it needs stage "
          "\\\"build\\\" on linux/arm64, which failed\"}\n"
          "{\"event\":\"finished\",\"platform\":\"linux/arm64\",\"stage\":\"test\",\"state\":\"skipped\","
          "\"elapsed\":T,\"exit\":null,\"detail\":\"because linux/arm64 build, which it needs, failed\"}\n"
          "{\"event\":\"summary\",\"result\":\"failed\",\"wall_seconds\":T,\"jobs\":["
          "{\"platform\":\"linux/amd64\",\"stage\":\"build\",\"state\":\"cached\",\"seconds\":T,\"detail\":\"\"},"
          "{\"platform\":\"linux/amd64\",\"stage\":\"test\",\"state\":\"timed out\",\"seconds\":T,"
          "\"detail\":\"timed out after 1s\"},"
          "{\"platform\":\"linux/arm64\",\"stage\":\"build\",\"state\":\"failed\",\"seconds\":T,"
          "\"detail\":\"exit status 2\"},"
          "{\"platform\":\"linux/arm64\",\"stage\":\"test\",\"state\":\"skipped\",\"seconds\":T,"
          "\"detail\":\"because linux/arm64 build, which it needs, failed\"},"
          "{\"platform\":\"linux/riscv64\",\"stage\":\"build\",\"state\":\"skipped\",\"seconds\":T,\"detail\":\"" +
          kWhy +
          "\"},"
          "{\"platform\":\"linux/riscv64\",\"stage\":\"test\",\"state\":\"skipped\",\"seconds\":T,\"detail\":\"" +
          kWhy + "\"}],\"index_digest\":null}\n");
  EXPECT_NE(result.err.find("xbuild: error: 2 stages failed: linux/amd64 test (timed out after 1s), linux/arm64 "
                            "build (exit status 2); logs: " +
                            log("linux-amd64", "test") + ", " + log("linux-arm64", "build") + "\n"),
            std::string::npos)
      << result.err;
  json written = metadata();
  EXPECT_EQ(written["platforms"]["linux/amd64"]["stages"], json({{"build", "cached"}, {"test", "timed out"}}));
  EXPECT_EQ(written["platforms"]["linux/amd64"]["details"], json({{"test", "timed out after 1s"}}));
  EXPECT_EQ(written["platforms"]["linux/arm64"]["stages"], json({{"build", "failed"}, {"test", "skipped"}}));
  EXPECT_EQ(written["platforms"]["linux/arm64"]["details"],
            json({{"build", "exit status 2"}, {"test", "because linux/arm64 build, which it needs, failed"}}));
  EXPECT_EQ(written["platforms"]["linux/riscv64"]["stages"], json({{"build", "skipped"}, {"test", "skipped"}}));

  // The same run with plain progress: the table and both failed outputs shown again.
  CommandResult plain = run_xbuild({"run", "-k", "-j", "2", "--skip-unavailable", "--progress", "plain"});
  EXPECT_EQ(plain.exit_code, 1);
  EXPECT_NE(mask(plain.out).find("PLATFORM       STRATEGY  STAGES\n"
                                 "linux/amd64    native    build cached, test timed out Ts\n"
                                 "linux/arm64    cross     build failed Ts, test skipped\n"
                                 "linux/riscv64  cross     build skipped, test skipped\n"
                                 "linux/amd64 test timed out: timed out after 1s\n"
                                 "linux/arm64 build failed: exit status 2\n"
                                 "linux/arm64 test skipped: because linux/arm64 build, which it needs, failed\n"),
            std::string::npos)
      << plain.out;
  EXPECT_NE(plain.out.find("xbuild: linux/amd64 test timed out after 1s; its output (" + log("linux-amd64", "test") +
                           "):\n"
                           "     1 | waiting\n"
                           "xbuild: linux/arm64 build failed (exit status 2); its output (" +
                           log("linux-arm64", "build") +
                           "):\n"
                           "     1 | compiling\n"
                           "     2 | error: boom\n"),
            std::string::npos)
      << plain.out;
}

}  // namespace
}  // namespace xb::testing
