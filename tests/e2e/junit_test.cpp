// --junit as a CI system reads it: the file of real runs parsed by python3-junitparser (not by
// us), with the reports of the stages' own test frameworks merged in per platform: ctest's
// --output-junit of cJSON (Debian's source package, CMake) and Meson's testlog.junit.xml, on a
// native and a cross platform. Also: a failure's real cause from the middle of a long log,
// stages that did not run as skipped, timestamps and the run's wall time, and a cached stage
// marked as cached and still bringing its tests.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "e2e/debian_source.h"
#include "e2e/e2e_support.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// What junitparser reads in a JUnit file, as JSON: the totals, and each suite with its cases
// (their results by type, messages, failure text, output and properties).
const char* const kJunitparser = R"(
import json, sys
from junitparser import JUnitXml, Error, Failure

def properties(element):
    return {p.get("name"): p.get("value") for p in element.findall("properties/property")}

xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "skipped": xml.skipped,
       "time": xml.time, "timestamp": xml._elem.get("timestamp"), "suites": {}}
for suite in xml:
    cases = []
    for case in suite:
        results = case.result if isinstance(case.result, list) else ([case.result] if case.result else [])
        cases.append({"classname": case.classname, "name": case.name, "time": case.time,
                      "results": [type(r).__name__.lower() for r in results],
                      "messages": [r.message for r in results],
                      "failure_text": "".join(r.text or "" for r in results if isinstance(r, (Failure, Error))),
                      "system_out": case.system_out or "", "properties": properties(case._elem)})
    out["suites"][suite.name] = {"tests": suite.tests, "failures": suite.failures, "skipped": suite.skipped,
                                 "time": suite.time, "timestamp": suite.timestamp,
                                 "properties": properties(suite._elem), "cases": cases}
print(json.dumps(out))
)";

json parse_junit(const ScratchDir& scratch, const fs::path& file) {
  fs::path script = scratch.write("read_junit.py", kJunitparser);
  CommandResult parsed = run({"/usr/bin/python3", script.string(), file.string()});
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  return parsed.exit_code == 0 ? json::parse(parsed.out) : json::object();
}

// The cases of `suite` whose classname is `classname`, by name.
std::map<std::string, json> cases_of(const json& suite, const std::string& classname) {
  std::map<std::string, json> cases;
  for (const json& test : suite["cases"])
    if (test["classname"] == classname) cases[test["name"].get<std::string>()] = test;
  return cases;
}

// ctest's own --output-junit, read with junitparser too: the names of its tests.
std::set<std::string> ctest_names(const ScratchDir& scratch, const fs::path& file) {
  fs::path script = scratch.write("names.py",
                                  "import sys\nfrom junitparser import JUnitXml\n"
                                  "xml = JUnitXml.fromfile(sys.argv[1])\n"
                                  "suites = [xml] if xml._tag == 'testsuite' else list(xml)\n"
                                  "for suite in suites:\n    for case in suite:\n        print(case.name)\n");
  CommandResult names = run({"/usr/bin/python3", script.string(), file.string()});
  EXPECT_EQ(names.exit_code, 0) << names.err;
  std::set<std::string> out;
  for (const std::string& name : split(names.out, '\n'))
    if (!name.empty()) out.insert(name);
  return out;
}

std::chrono::system_clock::time_point parse_timestamp(const std::string& text) {
  std::tm utc{};
  int millis = 0;
  EXPECT_TRUE(std::regex_match(text, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << text;
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour, &utc.tm_min,
              &utc.tm_sec, &millis);
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&utc)) + std::chrono::milliseconds(millis);
}

// A check whose log is 65 lines, the assertion that fails it on line 8 (a test runner's
// summary follows it, as ctest's and Meson's do).
const char* const kFailingCheck = R"(
[platform."linux/arm64".stage.check]
run = '''
for step in 1 2 3 4 5 6 7; do echo "frames step $step of 65"; done
echo "test_frames.c:8: Assertion \`frames == 12' failed."
for step in $(seq 9 65); do echo "frames step $step of 65"; done
exit 1
'''
)";

std::string cjson_config() {
  return std::string(R"([project]
name = "cjson-junit"
version = "1.7.15"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = '''
cmake -S . -B "$XBUILD_OUT/build" -G Ninja $XBUILD_CMAKE_ARGS -DBUILD_SHARED_LIBS=OFF -DENABLE_CJSON_TEST=ON
cmake --build "$XBUILD_OUT/build"
'''

[stage.test]
needs = ["build"]
run = 'ctest --test-dir "$XBUILD_OUT/build" --output-junit "$XBUILD_WORK/ctest.xml"'
reports = ["$XBUILD_WORK/ctest.xml"]

[stage.check]
needs = ["test"]
run = 'echo "frames: 12"'

[stage.package]
needs = ["check"]
run = 'echo packed'
)") + kFailingCheck;
}

TEST(Junit, CtestReportsOfTwoPlatformsMergeAndACachedRunKeepsThem) {
  XB_REQUIRE_TOOLS("apt-get", "dpkg-source", "cmake", "ctest", "ninja", "aarch64-linux-gnu-gcc", "qemu-aarch64-static",
                   "python3");
  if (run({"/usr/bin/python3", "-c", "import junitparser"}).exit_code != 0)
    XB_MACHINE_CANNOT("python3-junitparser is not installed");
  ScratchDir scratch;
  DebianSource source = fetch_debian_source("cjson", "bookworm");
  if (source.tree.empty()) XB_MACHINE_CANNOT(source.error);
  const fs::path project = scratch / "cjson";
  std::string error;
  ASSERT_TRUE(copy_tree(source.tree, project, &error)) << error;
  scratch.write("cjson/xbuild.toml", cjson_config());
  const fs::path junit = scratch / "junit.xml", cache = scratch / "cache";

  const auto before = std::chrono::system_clock::now();
  CommandResult first =
      xbuild({"run", "-k", "-j", "2", "--cache-dir", cache.string(), "--junit", junit.string()}, project);
  const auto after = std::chrono::system_clock::now();
  ASSERT_EQ(first.exit_code, 1) << first.out << first.err;
  EXPECT_EQ(first.out.find("warning"), std::string::npos) << first.out;
  EXPECT_EQ(first.err.find("warning"), std::string::npos) << first.err;
  json report = parse_junit(scratch, junit);
  ASSERT_TRUE(report.contains("suites")) << read_file(junit).value();

  // Each platform: its four stages, and every test of ctest's own report, by its name.
  const std::set<std::string> names = ctest_names(scratch, project / ".xbuild/work/linux-amd64/ctest.xml");
  ASSERT_GE(names.size(), 10u);
  EXPECT_EQ(ctest_names(scratch, project / ".xbuild/work/linux-arm64/ctest.xml"), names);
  for (const std::string platform : {"linux/amd64", "linux/arm64"}) {
    const json& suite = report["suites"][platform];
    EXPECT_EQ(suite["tests"], 4 + names.size()) << platform;
    std::set<std::string> merged;
    for (const json& test : suite["cases"]) {
      std::string classname = test["classname"];
      if (classname == platform) continue;
      EXPECT_EQ(classname, platform + "." + test["name"].get<std::string>());
      EXPECT_EQ(test["results"], json::array()) << test;
      EXPECT_NE(test["system_out"].get<std::string>(), "") << test;
      merged.insert(test["name"].get<std::string>());
    }
    EXPECT_EQ(merged, names) << platform;
    EXPECT_EQ(suite["properties"]["strategy"], platform == "linux/amd64" ? "native" : "cross");
    // It began when its first stage did, within the run.
    auto began = parse_timestamp(suite["timestamp"]);
    EXPECT_GE(began, before - std::chrono::seconds(1));
    EXPECT_LE(began, after);
    EXPECT_GT(suite["time"].get<double>(), 0);
  }
  // One failure (the check); the package that needs it is skipped, not failed.
  EXPECT_EQ(report["failures"], 1);
  EXPECT_EQ(report["skipped"], 1);
  EXPECT_EQ(report["tests"], 2 * (4 + names.size()));
  // The run's wall time and start, not the sum of its jobs.
  const double wall = std::chrono::duration<double>(after - before).count();
  EXPECT_GT(report["time"].get<double>(), 0);
  EXPECT_LT(report["time"].get<double>(), wall);
  EXPECT_LE(parse_timestamp(report["timestamp"]), after);
  EXPECT_GE(parse_timestamp(report["timestamp"]), before - std::chrono::seconds(1));

  std::map<std::string, json> arm64 = cases_of(report["suites"]["linux/arm64"], "linux/arm64");
  const json& check = arm64["check"];
  EXPECT_EQ(check["results"], json({"failure"}));
  EXPECT_EQ(check["messages"], json({"failed (exit status 1)"}));
  const std::string text = check["failure_text"];
  EXPECT_EQ(text.rfind("[xbuild: 5 lines left out]\nframes step 6 of 65\nframes step 7 of 65\n"
                       "test_frames.c:8: Assertion `frames == 12' failed.\n",
                       0),
            0u)
      << text;
  EXPECT_NE(text.find("frames step 65 of 65\n"), std::string::npos) << text;
  const std::string output = check["system_out"];
  EXPECT_NE(
      output.find("frames step 7 of 65\ntest_frames.c:8: Assertion `frames == 12' failed.\nframes step 9 of 65\n"),
      std::string::npos)
      << output;
  EXPECT_NE(output.find("frames step 33 of 65\n"), std::string::npos) << output;
  EXPECT_EQ(arm64["package"]["results"], json({"skipped"}));
  EXPECT_EQ(cases_of(report["suites"]["linux/amd64"], "linux/amd64")["check"]["results"], json::array());

  // Again: everything but the failed check comes from the cache, marked so, and the ctest
  // reports come with it though $XBUILD_WORK was tidied.
  CommandResult second =
      xbuild({"run", "-k", "-j", "2", "--cache-dir", cache.string(), "--junit", junit.string()}, project);
  ASSERT_EQ(second.exit_code, 1) << second.out << second.err;
  EXPECT_EQ(second.out.find("warning"), std::string::npos) << second.out;
  EXPECT_FALSE(fs::exists(project / ".xbuild/work/linux-amd64/ctest.xml"));
  report = parse_junit(scratch, junit);
  for (const std::string platform : {"linux/amd64", "linux/arm64"}) {
    const json& suite = report["suites"][platform];
    EXPECT_EQ(suite["tests"], 4 + names.size()) << platform;
    std::map<std::string, json> stages = cases_of(suite, platform);
    for (const std::string stage : {"build", "test"}) {
      EXPECT_EQ(stages[stage]["properties"], json({{"cached", "true"}})) << platform << " " << stage;
      EXPECT_EQ(stages[stage]["results"], json::array());
    }
    std::size_t cached_tests = 0;
    for (const json& test : suite["cases"])
      if (test["classname"] != platform && test["properties"] == json({{"cached", "true"}})) ++cached_tests;
    EXPECT_EQ(cached_tests, names.size()) << platform;
  }
  EXPECT_EQ(cases_of(report["suites"]["linux/arm64"], "linux/arm64")["check"]["results"], json({"failure"}));
  EXPECT_EQ(report["failures"], 1);
}

// A Meson project's tests on two platforms (the cross one through the cross file's exe_wrapper),
// its testlog.junit.xml merged: a passing, a skipped and a failing test; a report that is missing
// and one that is no XML are warnings naming the file and the stage.
TEST(Junit, MesonTestlogMergesAndBadReportsAreWarnings) {
  XB_REQUIRE_TOOLS("meson", "ninja", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "python3");
  if (run({"/usr/bin/python3", "-c", "import junitparser"}).exit_code != 0)
    XB_MACHINE_CANNOT("python3-junitparser is not installed");
  ScratchDir scratch;
  scratch.write("demo/meson.build", R"(project('demo', 'c')
adds = executable('adds', 'adds.c')
test('adds', adds)
test('later', adds, args : ['skip'])
test('frames', adds, args : ['frames'])
)");
  scratch.write("demo/adds.c", R"(#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "skip") == 0) return 77;
  if (argc > 1 && strcmp(argv[1], "frames") == 0) {
    for (int step = 1; step <= 30; ++step) printf("frame %d ok\n", step);
    printf("adds.c:7: expected 12 frames, got 11\n");
    return 1;
  }
  printf("1 + 1 = %d\n", 1 + 1);
  return 0;
}
)");
  scratch.write("demo/xbuild.toml", R"([project]
name = "demo"

[targets]
platforms = ["linux/amd64", "linux/arm64"]

[stage.build]
run = 'meson setup "$XBUILD_WORK/build" $XBUILD_MESON_ARGS && meson compile -C "$XBUILD_WORK/build"'

[stage.test]
needs = ["build"]
run = 'echo "not xml" > "$XBUILD_OUT/broken.xml"; meson test -C "$XBUILD_WORK/build"'
reports = ["$XBUILD_WORK/build/meson-logs/testlog.junit.xml", "$XBUILD_OUT/broken.xml", "$XBUILD_OUT/gtest-*.xml"]
)");
  const fs::path project = scratch / "demo", junit = scratch / "junit.xml";
  CommandResult result = xbuild({"run", "-k", "--no-cache", "--junit", junit.string()}, project);
  ASSERT_EQ(result.exit_code, 1) << result.out << result.err;
  for (const std::string platform : {"linux/amd64", "linux/arm64"}) {
    const std::string slug = platform == "linux/amd64" ? "linux-amd64" : "linux-arm64";
    const std::string broken = (project / ".xbuild/out" / slug / "broken.xml").string();
    EXPECT_NE(result.err.find("xbuild: warning: " + platform + " test: the test report " + broken +
                              " is not valid XML (line 1: syntax error); its tests are not in the JUnit file\n"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("xbuild: warning: " + platform +
                              " test: no test report matches \"$XBUILD_OUT/gtest-*.xml\" (its `reports`); did the "
                              "stage write it there?\n"),
              std::string::npos)
        << result.err;
  }
  json report = parse_junit(scratch, junit);
  ASSERT_TRUE(report.contains("suites"));
  // Per platform: build, test (failed), and Meson's three tests; failures: the stage and its test.
  EXPECT_EQ(report["tests"], 10);
  EXPECT_EQ(report["failures"], 4);
  EXPECT_EQ(report["skipped"], 2);
  for (const std::string platform : {"linux/amd64", "linux/arm64"}) {
    std::map<std::string, json> tests = cases_of(report["suites"][platform], platform + ".demo");
    ASSERT_EQ(tests.size(), 3u) << platform;
    EXPECT_EQ(tests["adds"]["results"], json::array());
    EXPECT_EQ(tests["adds"]["system_out"], "1 + 1 = 2\n");
    EXPECT_EQ(tests["later"]["results"], json({"skipped"}));
    EXPECT_EQ(tests["frames"]["results"], json({"failure"}));
    EXPECT_NE(tests["frames"]["failure_text"].get<std::string>().find("adds.c:7: expected 12 frames, got 11\n"),
              std::string::npos)
        << tests["frames"];
    EXPECT_NE(tests["frames"]["system_out"].get<std::string>().find("frame 15 ok\n"), std::string::npos);
    EXPECT_EQ(cases_of(report["suites"][platform], platform)["test"]["results"], json({"failure"}));
  }
}

}  // namespace
}  // namespace xb::testing
