// The end-of-run report as plain data, and its three renderings: the summary table printed
// after every run, the --metadata-file JSON (buildx-like) and the --junit XML.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <optional>

#include "firmware/size_budget.h"
#include "firmware/test_lines.h"
#include "toolchain/ccache.h"
#include "util/error.h"

namespace xb {

// A test case read from a report that a stage's own test framework wrote (ctest --output-junit,
// Meson's testlog.junit.xml, gtest's --gtest_output=xml), as the report names it.
struct ReportedTest {
  std::string classname;  // its classname, else the name of its <testsuite>
  std::string name;
  std::string file;
  double seconds = -1;  // -1: the report gives no time
  enum class Outcome { passed, failed, skipped } outcome = Outcome::passed;
  std::string message;  // of its <failure>, <error> or <skipped>
  std::string body;     // the text of its <failure> or <error>
  std::string output;   // its <system-out> and <system-err>
};

struct StageReport {
  std::string stage;
  std::string result;  // "ok", "cached", "failed", "cancelled", "skipped", "timed out"
  double seconds = 0;
  // failed: "exit status 1", "killed by signal 9", a firmware test's verdict, ...; timed out:
  // "timed out after 20s"; cancelled and skipped: why ("because linux/arm64 build failed", "because
  // linux/arm64 build, which it needs, failed", "missing riscv64-linux-gnu-gcc (install
  // gcc-riscv64-linux-gnu); left out by --skip-unavailable"); empty for ok and cached.
  std::string detail;
  std::filesystem::path log_file;
  std::vector<firmware::TestCase> tests;  // the tests its log reports (Unity, GoogleTest, CppUTest lines)
  double start_offset = 0;                // seconds after the run began (stages that ran)
  std::vector<ReportedTest> reported;     // from the reports its `reports` globs name
  double restore_seconds = 0;             // cached: how long restoring it from the cache took
};

struct PlatformReport {
  std::string platform;  // "linux/arm64"
  std::string strategy;  // "native", "cross", "emulate"
  std::vector<StageReport> stages;
  std::string manifest_digest;  // empty when no image was written
  std::int64_t manifest_size = 0;
  std::optional<firmware::Sizes> firmware_size;  // a bare-metal target's measured ELF
  std::optional<CcacheCounts> ccache;            // what its compiles did in this run ([targets] ccache)
};

struct BuildReport {
  std::vector<PlatformReport> platforms;
  std::chrono::system_clock::time_point started_at;  // when the stages began to run
  double wall_seconds = 0;                           // how long they ran, start to end
  std::string index_digest;                          // empty when no image was written
  std::int64_t index_size = 0;
  std::string image_name;             // "localhost:5000/examples/hello:1.0.0" (first tag), may be empty
  std::vector<std::string> warnings;  // a declared test report missing or unreadable, for the user
};

// One row per platform: platform, strategy, "stage state time" for each stage (the time of the
// stages that ran), the ccache hits of the run when a platform compiled through ccache ("40 hits /
// 45 (89%)"); then a line per stage that did not end ok or cached and says why ("linux/amd64 test
// cancelled: because linux/arm64 build failed"). No digests: the run's last lines list them once.
// Lines end with '\n'.
std::string render_summary(const BuildReport& report);

// The summary as one line of JSON for `--progress json`: {"event":"summary","result":<result>,
// "wall_seconds":N,"jobs":[{"platform","stage","state","seconds","detail"}...],"index_digest":D or
// null}. `result` is "ok", "failed" or "interrupted".
std::string render_summary_event(const BuildReport& report, std::string_view result);

// What a failed run shows again at its end: for each failed or timed out stage a headline
// ("xbuild: linux/arm64 test failed (exit status 1); its output (LOG):") and numbered_excerpt of its log.
std::string render_failure_output(const BuildReport& report, std::size_t tail_lines = 30);

// The last `tail_lines` lines of a log, numbered ("    36 | text"); when lines were cut, first the
// first `first_errors` of them that look like an error (looks_like_error of log_excerpt.h), then
// a line saying how many are not shown.
std::string numbered_excerpt(std::string_view log, std::size_t tail_lines, std::size_t first_errors = 5);

// {"containerimage.digest": <index>, "containerimage.descriptor": {...}, "image.name": ...,
//  "platforms": {"linux/amd64": {"containerimage.digest": <manifest>, "stages": {"build": "ok", ...},
//  "details": {"test": "because linux/arm64 build failed"}}, ...}} ("details": the stages not ok or
// cached that say why, when there are any; "durations": {"build": 12.345, ...}, the seconds each
// stage took in this run, a cached one its restore, a stage that never started left out: what
// `--shard I/N --durations FILE` packs shards by).
// A firmware target's entry also holds "firmware.size": {"text": N, "data": N, "bss": N}; a
// target compiled through ccache "ccache": {"hits": N, "misses": N, "remote_hits": N}.
std::string render_metadata(const BuildReport& report);

// The "firmware.size" of each none/arm/<target> entry of a --metadata-file, as size rows named
// by target (a --size-baseline). A file that is no JSON, or holds no firmware sizes, is an error
// naming `file`.
Result<std::vector<firmware::SizeRow>> metadata_firmware_sizes(std::string_view text, const std::string& file);

// The "durations" of a --metadata-file (a run's or a merge's) summed per platform: seconds, by
// platform name. A platform without "durations" (an older file's) is left out. A file that is
// not JSON or has no "platforms" object, or a duration that is not a number of seconds >= 0, is
// an error naming `file`.
Result<std::map<std::string, double>> metadata_durations(std::string_view text, const std::string& file);

struct JunitOptions {
  std::size_t context_lines = 40;          // a failure's body: the log's first errors and this many last lines
  std::size_t max_output_lines = 5000;     // a <system-out>: at most this many lines of a log ...
  std::size_t max_output_bytes = 1 << 20;  // ... and this many bytes (report/log_excerpt.h cuts it)
};

// One <testsuite> per platform (its timestamp when its first stage started, its time from that
// start to its last stage's end); <testsuites> has the run's start and wall time. A stage whose
// log reports tests gives one <testcase> per test (classname "<platform>.<stage>", the test's
// name; a failure with its message and file:line, <skipped> for an ignored one, a failure "did
// not finish" for one that never ended), plus the stage's own case when the stage failed and no
// test case says why. Any other stage is one <testcase> (classname the platform, name the
// stage). A failed or timed-out stage's failure has a short message (its detail) and the log's
// error context as its text; a cancelled or skipped stage is <skipped> with the reason; a cached
// stage has the property cached=true. The stage's log (bounded) is the <system-out> of its own
// case, else of its first failed test, else of its last test. The tests of the reports a stage
// declares follow its cases, their classname "<platform>.<classname>". `failures` counts only
// failed and timed-out stages and tests.
std::string render_junit(const BuildReport& report, const JunitOptions& options = {});

// The last `count` lines of a file ("" when it cannot be read).
std::string read_tail(const std::filesystem::path& file, std::size_t count);

}  // namespace xb
