// Sharded runs merged back together: three shards of examples/hello (five platforms, build
// stage only) built separately and merged with `xbuild merge` give the layout of one unsharded
// run, file for file; the refusals (a platform missing, a shard given twice, a stale shard from
// a changed config or another SOURCE_DATE_EPOCH, a failed shard, a bad --shard) leave the
// output untouched; --allow-partial merges the good shards, and the shards' JUnit and metadata
// files are merged into one (read back with python3's XML parser). Each layout's index.json
// records the run's result and identity (config digest, git commit and dirty flag, created).
// The merged layout is pushed to a real registry and read back with skopeo, and unpacked with
// umoci. Shards packed by the durations an unsharded run measured (--durations) merge to the same
// index, and plan shows their assignment.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/run_report.h"
#include "support/registry_fixture.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::vector<std::string> kCrossCompilers = {"make",
                                                  "x86_64-linux-gnu-gcc",
                                                  "aarch64-linux-gnu-gcc",
                                                  "arm-linux-gnueabihf-gcc",
                                                  "i686-linux-gnu-gcc",
                                                  "riscv64-linux-gnu-gcc"};

// examples/hello without its test stage: the split, not qemu, is under test here.
fs::path hello_project(const ScratchDir& scratch) {
  fs::path project = copy_example("hello", scratch / "hello");
  std::string config = read_file(project / "xbuild.toml").value();
  std::size_t test = config.find("[stage.test]");
  std::size_t image = config.find("[image]");
  config.erase(test, image - test);
  scratch.write("hello/xbuild.toml", config);
  return project;
}

std::string slurp(const fs::path& file) { return read_file(file).value(); }

// The annotations of a layout's index.json itself, "key=value" a line.
std::string layout_annotations(const fs::path& layout) {
  json top = json::parse(slurp(layout / "index.json"));
  std::string text;
  if (top.contains("annotations"))
    for (const auto& [key, value] : top["annotations"].items()) text += key + "=" + value.get<std::string>() + "\n";
  return text;
}

std::string sha256_of(const std::string& text) {
  CommandResult sum =
      run({"python3", "-c", "import hashlib,sys; print('sha256:' + hashlib.sha256(sys.argv[1].encode()).hexdigest())",
           text});
  return std::string(trim(sum.out));
}

std::vector<std::string> platforms_of(const fs::path& layout) {
  json top = json::parse(slurp(layout / "index.json"));
  std::string digest = top["manifests"][0]["digest"];
  json index = json::parse(slurp(layout / "blobs/sha256" / digest.substr(7)));
  std::vector<std::string> platforms;
  for (const json& manifest : index["manifests"]) {
    std::string name =
        manifest["platform"]["os"].get<std::string>() + "/" + manifest["platform"]["architecture"].get<std::string>();
    if (manifest["platform"].contains("variant")) name += "/" + manifest["platform"]["variant"].get<std::string>();
    platforms.push_back(name);
  }
  return platforms;
}

class ShardMerge : public ::testing::Test {
 protected:
  void build_shards() {
    project_ = hello_project(scratch_);
    for (int i = 1; i <= 3; ++i) {
      std::string shard = std::to_string(i) + "/3";
      CommandResult result =
          xbuild({"run", "--no-cache", "--shard", shard, "-o", "oci:" + shard_dir(i).string()}, project_);
      ASSERT_EQ(result.exit_code, 0) << result.err;
    }
  }
  fs::path shard_dir(int i) const { return scratch_ / ("shard-" + std::to_string(i)); }

  ScratchDir scratch_;
  fs::path project_;
};

TEST_F(ShardMerge, ThreeShardsMergedEqualOneUnshardedRunFileForFile) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  build_shards();
  // The split: platforms sorted by name (386, amd64, arm/v7, arm64, riscv64), dealt round-robin;
  // each shard's index keeps config order.
  EXPECT_EQ(platforms_of(shard_dir(1)), (std::vector<std::string>{"linux/arm64", "linux/386"}));
  EXPECT_EQ(platforms_of(shard_dir(2)), (std::vector<std::string>{"linux/amd64", "linux/riscv64"}));
  EXPECT_EQ(platforms_of(shard_dir(3)), (std::vector<std::string>{"linux/arm/v7"}));

  ReportedRun whole = xbuild_run({"--no-cache", "-o", "oci:" + (scratch_ / "whole").string()}, project_);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  fs::path merged = scratch_ / "merged";
  CommandResult merge = xbuild({"merge", "oci:" + shard_dir(3).string(), shard_dir(1).string(),
                                "oci:" + shard_dir(2).string(), "-o", "oci:" + merged.string()});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;

  // Every file: index.json, oci-layout, the index, each manifest, config and layer.
  EXPECT_EQ(snapshot_tree(merged), snapshot_tree(scratch_ / "whole"));
  json top = json::parse(slurp(merged / "index.json"));
  std::string index_digest = top["manifests"][0]["digest"];
  EXPECT_EQ(
      merge.out.rfind("xbuild: merged 3 layouts (5 platforms); wrote oci:" + merged.string() + " (tag 1.0.0)\n", 0), 0u)
      << merge.out;
  // merge writes no metadata file: its closing lines are its only report of the index.
  EXPECT_NE(merge.out.find("\n  index          " + index_digest + "\n"), std::string::npos) << merge.out;
  EXPECT_EQ(whole.index_digest(), index_digest) << whole.metadata;
  // The same merge into an archive equals the unsharded run's archive.
  CommandResult whole_tar = xbuild({"run", "-o", "oci-archive:" + (scratch_ / "whole.tar").string()}, project_);
  ASSERT_EQ(whole_tar.exit_code, 0) << whole_tar.err;
  CommandResult merge_tar = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(), "-o",
                                    "oci-archive:" + (scratch_ / "merged.tar").string()});
  ASSERT_EQ(merge_tar.exit_code, 0) << merge_tar.err;
  EXPECT_EQ(slurp(scratch_ / "merged.tar"), slurp(scratch_ / "whole.tar"));
  // The shard annotations stay in the shards.
  json shard_top = json::parse(slurp(shard_dir(2) / "index.json"));
  std::string shard_index = shard_top["manifests"][0]["digest"];
  json annotations = json::parse(slurp(shard_dir(2) / "blobs/sha256" / shard_index.substr(7)))["annotations"];
  EXPECT_EQ(annotations["dev.xbuild.shard"], "2/3");
  EXPECT_EQ(annotations["dev.xbuild.platforms"], "linux/amd64,linux/arm64,linux/arm/v7,linux/386,linux/riscv64");
}

TEST_F(ShardMerge, AMissingShardIsRefusedUnlessAllowPartial) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  build_shards();
  fs::path merged = scratch_ / "merged";
  scratch_.write("merged/keep", "previous");
  CommandResult refused =
      xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), "-o", "oci:" + merged.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err,
            "xbuild: error: cannot merge: 1 of the 5 expected platforms is missing: linux/arm/v7; merge their shards "
            "too, or pass --allow-partial to merge what is there\n");
  EXPECT_EQ(slurp(merged / "keep"), "previous");

  CommandResult partial = xbuild(
      {"merge", shard_dir(1).string(), shard_dir(2).string(), "-o", "oci:" + merged.string(), "--allow-partial"});
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.out.find("\nxbuild: warning: linux/arm/v7 is missing (--allow-partial)\n"), std::string::npos)
      << partial.out;
  EXPECT_EQ(platforms_of(merged),
            (std::vector<std::string>{"linux/amd64", "linux/arm64", "linux/386", "linux/riscv64"}));

  // --expect overrides the shards' list: here it names a platform none of them has.
  CommandResult expected = xbuild({"merge", shard_dir(3).string(), "-o", "oci:" + (scratch_ / "x").string(), "--expect",
                                   "linux/arm/v7,linux/s390x"});
  EXPECT_EQ(expected.exit_code, 1);
  EXPECT_EQ(expected.err,
            "xbuild: error: cannot merge: 1 of the 2 expected platforms is missing: linux/s390x; merge their shards "
            "too, or pass --allow-partial to merge what is there\n");
  CommandResult unexpected =
      xbuild({"merge", shard_dir(3).string(), "-o", "oci:" + (scratch_ / "x").string(), "--expect", "linux/amd64"});
  EXPECT_EQ(unexpected.exit_code, 1);
  EXPECT_EQ(unexpected.err, "xbuild: error: cannot merge: " + shard_dir(3).string() +
                                " holds linux/arm/v7, which is not one of the expected platforms (linux/amd64)\n");
  EXPECT_FALSE(fs::exists(scratch_ / "x"));
}

TEST_F(ShardMerge, AStaleOrDuplicateShardIsRefusedNamingWhatDiffers) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  build_shards();
  std::string digest = sha256_of(sha256_of(slurp(project_ / "xbuild.toml")) + "\n");
  EXPECT_EQ(layout_annotations(shard_dir(3)),
            "dev.xbuild.config.digest=" + digest +
                "\n"
                "dev.xbuild.platforms=linux/amd64,linux/arm64,linux/arm/v7,linux/386,linux/riscv64\n"
                "dev.xbuild.result=ok\n"
                "dev.xbuild.shard=3/3\n"
                "org.opencontainers.image.created=2023-11-14T22:13:20Z\n");
  // Shard 3 again, from a changed config: the config digest differs.
  const std::string original = slurp(project_ / "xbuild.toml");
  std::string config = original;
  config.replace(config.find("labels = {"), 10, "labels = { \"changed\" = \"yes\", ");
  scratch_.write("hello/xbuild.toml", config);
  fs::path changed = scratch_ / "shard-3b";
  CommandResult again = xbuild({"run", "--no-cache", "--shard", "3/3", "-o", "oci:" + changed.string()}, project_);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  std::string changed_digest = sha256_of(sha256_of(config) + "\n");
  CommandResult stale = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), changed.string(), "-o",
                                "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_EQ(stale.err, "xbuild: error: cannot merge: " + changed.string() +
                           " (shard 3/3) cannot be merged: it is stale: config digest " + changed_digest +
                           " instead of " + digest + " (as in " + shard_dir(1).string() +
                           " and 1 more); run shard 3/3 again from the same commit, xbuild.toml and command line as "
                           "the others, or pass --allow-partial to merge the others without it\n");
  EXPECT_FALSE(fs::exists(scratch_ / "m"));

  CommandResult twice = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(),
                                changed.string(), "-o", "oci:" + (scratch_ / "m").string(), "--allow-partial"});
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_EQ(twice.err, "xbuild: error: cannot merge: shard 3/3 is given twice: " + shard_dir(3).string() + " and " +
                           changed.string() + "; name each shard's layout once\n");
  EXPECT_FALSE(fs::exists(scratch_ / "m"));

  // A shard from another SOURCE_DATE_EPOCH: its created time differs.
  scratch_.write("hello/xbuild.toml", original);
  CommandResult later = xbuild({"run", "--no-cache", "--shard", "2/3", "-o", "oci:" + (scratch_ / "late").string()},
                               project_, {{"SOURCE_DATE_EPOCH", "1700000001"}});
  ASSERT_EQ(later.exit_code, 0) << later.err;
  CommandResult mixed = xbuild({"merge", shard_dir(1).string(), (scratch_ / "late").string(), shard_dir(3).string(),
                                "-o", "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(mixed.exit_code, 1);
  EXPECT_EQ(mixed.err, "xbuild: error: cannot merge: " + (scratch_ / "late").string() +
                           " (shard 2/3) cannot be merged: it is stale: created (SOURCE_DATE_EPOCH) "
                           "2023-11-14T22:13:21Z instead of 2023-11-14T22:13:20Z (as in " +
                           shard_dir(1).string() +
                           " and 1 more); run shard 2/3 again from the same commit, xbuild.toml and command line as "
                           "the others, or pass --allow-partial to merge the others without it\n");
  EXPECT_FALSE(fs::exists(scratch_ / "m"));
}

TEST_F(ShardMerge, AFailedShardIsMarkedAndRefusedAndAllowPartialMergesTheRestWithTheReports) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  XB_REQUIRE_TOOLS("skopeo", "umoci", "python3");
  build_shards();
  std::string good_config = layout_annotations(shard_dir(2));
  // Shard 2 again with a source that does not compile: same config, same identity, a failed run.
  std::string source = slurp(project_ / "src/hello.c");
  scratch_.write("hello/src/hello.c", source + "\nthis does not compile\n");
  CommandResult failed =
      xbuild({"run", "--no-cache", "--shard", "2/3", "-o", "oci:" + shard_dir(2).string()}, project_);
  ASSERT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_NE(failed.err.find("xbuild: oci:" + shard_dir(2).string() +
                            " now holds no image, only this shard's result (failed): xbuild merge refuses it\n"),
            std::string::npos)
      << failed.err;
  // Nothing of the previous image is left to publish: no manifest, no blob; the result and
  // identity are the good run's but for the result.
  json top = json::parse(slurp(shard_dir(2) / "index.json"));
  EXPECT_EQ(top["manifests"], json::array());
  EXPECT_TRUE(fs::is_empty(shard_dir(2) / "blobs/sha256"));
  std::string marked = good_config;
  marked.replace(marked.find("dev.xbuild.result=ok"), 20, "dev.xbuild.result=failed");
  EXPECT_EQ(layout_annotations(shard_dir(2)), marked);
  CommandResult inspect = run({"skopeo", "inspect", "--raw", "oci:" + shard_dir(2).string()});
  EXPECT_NE(inspect.exit_code, 0) << inspect.out;

  fs::path merged = scratch_ / "merged";
  fs::path junit = scratch_ / "junit.xml";
  fs::path metadata = scratch_ / "metadata.json";
  std::vector<std::string> args = {
      "merge",   shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(), "-o", "oci:" + merged.string(),
      "--junit", junit.string(),        "--metadata-file",     metadata.string()};
  CommandResult refused = xbuild(args);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.err, "xbuild: error: cannot merge: " + shard_dir(2).string() +
                             " (shard 2/3) cannot be merged: its run failed; fix the failure and run shard 2/3 again, "
                             "or pass --allow-partial to merge the others without it\n");
  EXPECT_FALSE(fs::exists(merged));
  EXPECT_FALSE(fs::exists(junit));
  EXPECT_FALSE(fs::exists(metadata));

  args.push_back("--allow-partial");
  CommandResult partial = xbuild(args);
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
  EXPECT_NE(partial.out.find("\nxbuild: warning: left out " + shard_dir(2).string() +
                             " (shard 2/3): its run failed (--allow-partial)\n"
                             "xbuild: warning: linux/amd64 is missing (--allow-partial)\n"
                             "xbuild: warning: linux/riscv64 is missing (--allow-partial)\n"),
            std::string::npos)
      << partial.out;
  EXPECT_EQ(platforms_of(merged), (std::vector<std::string>{"linux/arm64", "linux/arm/v7", "linux/386"}));
  EXPECT_NE(layout_annotations(merged).find("dev.xbuild.missing=linux/amd64,linux/riscv64\n"), std::string::npos);
  // skopeo and umoci read the merged layout back.
  CommandResult index = run({"skopeo", "inspect", "--raw", "oci:" + merged.string() + ":1.0.0"});
  ASSERT_EQ(index.exit_code, 0) << index.err;
  EXPECT_EQ(json::parse(index.out)["manifests"].size(), 3u);
  fs::path single = scratch_ / "single";
  CommandResult copied = run({"skopeo", "copy", "--override-arch", "arm64", "oci:" + merged.string() + ":1.0.0",
                              "oci:" + single.string() + ":one"});
  ASSERT_EQ(copied.exit_code, 0) << copied.err;
  CommandResult unpacked =
      run({"umoci", "unpack", "--rootless", "--image", single.string() + ":one", (scratch_ / "bundle").string()});
  ASSERT_EQ(unpacked.exit_code, 0) << unpacked.err;
  EXPECT_EQ(elf_machine(scratch_ / "bundle/rootfs/app/hello"), 0xb7);

  // The JUnit of all three shards (the failed one's too), as a JUnit parser reads it.
  const char* const kReadJunit = R"(
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall('testsuite')
print(root.tag, root.get('tests'), root.get('failures'), root.get('skipped'))
print(sum(int(s.get('tests')) for s in suites), sum(int(s.get('failures')) for s in suites))
for s in suites:
    print(s.get('name'), [(c.get('name'), 'failure' if c.find('failure') is not None else 'ok') for c in s.findall('testcase')])
try:
    import junitparser
    xml = junitparser.JUnitXml.fromfile(sys.argv[1])
    print('junitparser', sum(1 for suite in xml for case in suite))
except ImportError:
    print('junitparser', root.get('tests'))
)";
  CommandResult parsed = run({"python3", "-c", kReadJunit, junit.string()});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  std::vector<std::string> lines = split(parsed.out, '\n');
  ASSERT_GE(lines.size(), 8u) << parsed.out;
  std::vector<std::string> totals = split(lines[0], ' ');
  ASSERT_EQ(totals.size(), 4u) << parsed.out;
  EXPECT_EQ(totals[0], "testsuites");
  EXPECT_EQ(lines[1], totals[1] + " " + totals[2]) << "the totals are the suites' sums\n" << parsed.out;
  EXPECT_EQ(totals[1], "5") << parsed.out;  // one build stage per platform
  EXPECT_NE(totals[2], "0") << parsed.out;
  EXPECT_EQ(lines[2], "linux/arm64 [('build', 'ok')]") << parsed.out;
  EXPECT_EQ(lines[3], "linux/386 [('build', 'ok')]") << parsed.out;
  EXPECT_EQ(lines[6], "linux/arm/v7 [('build', 'ok')]") << parsed.out;
  EXPECT_EQ(lines[7], "junitparser 5") << parsed.out;
  // linux/amd64 and linux/riscv64, the failed shard's: its failure is in the report.
  EXPECT_EQ(lines[4].substr(0, 12), "linux/amd64 ") << parsed.out;
  EXPECT_EQ(lines[5].substr(0, 14), "linux/riscv64 ") << parsed.out;
  EXPECT_NE((lines[4] + lines[5]).find("'failure'"), std::string::npos) << parsed.out;

  // The metadata: every platform's entry, the merged index.
  json report = json::parse(slurp(metadata));
  std::string merged_index = json::parse(slurp(merged / "index.json"))["manifests"][0]["digest"];
  EXPECT_EQ(report["containerimage.digest"], merged_index);
  EXPECT_EQ(report["containerimage.descriptor"]["digest"], merged_index);
  EXPECT_EQ(report["image.name"], "localhost:5000/examples/hello:1.0.0");
  std::vector<std::string> names;
  // In the shards' order, as the file has them.
  nlohmann::ordered_json in_order = nlohmann::ordered_json::parse(slurp(metadata));
  for (const auto& [name, entry] : in_order["platforms"].items()) names.push_back(name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"linux/arm64", "linux/386", "linux/amd64", "linux/riscv64", "linux/arm/v7"}));
  json shard_index = json::parse(slurp(merged / "blobs/sha256" / merged_index.substr(7)));
  EXPECT_EQ(report["platforms"]["linux/arm64"]["containerimage.digest"], shard_index["manifests"][0]["digest"]);
  EXPECT_FALSE(report["platforms"]["linux/amd64"].contains("containerimage.digest"));
  EXPECT_EQ(report["platforms"]["linux/arm/v7"]["stages"]["build"], "ok");

  // The source fixed and shard 2 run again: the merge is whole again.
  scratch_.write("hello/src/hello.c", source);
  CommandResult fixed = xbuild({"run", "--no-cache", "--shard", "2/3", "-o", "oci:" + shard_dir(2).string()}, project_);
  ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
  args.pop_back();
  CommandResult whole = xbuild(args);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  EXPECT_EQ(platforms_of(merged).size(), 5u);
}

TEST_F(ShardMerge, AGitCheckoutsCommitAndDirtyFlagAreRecorded) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  XB_REQUIRE_TOOLS("git");
  project_ = hello_project(scratch_);
  auto git = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-C", project_.string()});
    CommandResult result = run(argv);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  };
  git({"init", "-q"});
  git({"add", "-A"});
  git({"commit", "-q", "-m", "hello"});
  std::string head(trim(run({"git", "-C", project_.string(), "rev-parse", "HEAD"}).out));
  fs::path layout = scratch_ / "shard";
  CommandResult clean = xbuild({"run", "--shard", "3/3", "-o", "oci:" + layout.string()}, project_);
  ASSERT_EQ(clean.exit_code, 0) << clean.err;
  std::string annotations = layout_annotations(layout);
  EXPECT_NE(annotations.find("dev.xbuild.source.dirty=false\n"), std::string::npos) << annotations;
  EXPECT_NE(annotations.find("org.opencontainers.image.revision=" + head + "\n"), std::string::npos) << annotations;
  // A new commit whose images are the same: the layout records it.
  scratch_.write("hello/NOTES", "notes\n");
  git({"add", "NOTES"});
  git({"commit", "-q", "-m", "notes"});
  std::string next(trim(run({"git", "-C", project_.string(), "rev-parse", "HEAD"}).out));
  CommandResult cached = xbuild({"run", "--shard", "3/3", "-o", "oci:" + layout.string()}, project_);
  ASSERT_EQ(cached.exit_code, 0) << cached.err;
  EXPECT_NE(layout_annotations(layout).find("org.opencontainers.image.revision=" + next + "\n"), std::string::npos)
      << layout_annotations(layout);
  // A tracked file changed: dirty; the merge of it with the clean one names the difference.
  scratch_.write("hello/src/Makefile", slurp(project_ / "src/Makefile") + "\n");
  fs::path dirty = scratch_ / "dirty";
  CommandResult changed = xbuild({"run", "--shard", "1/3", "-o", "oci:" + dirty.string()}, project_);
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  EXPECT_NE(layout_annotations(dirty).find("dev.xbuild.source.dirty=true\n"), std::string::npos);
  CommandResult merge = xbuild({"merge", layout.string(), dirty.string(), "-o", "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(merge.exit_code, 1);
  EXPECT_EQ(merge.err, "xbuild: error: cannot merge: " + dirty.string() +
                           " (shard 1/3) cannot be merged: it is stale: uncommitted changes true instead of false (as "
                           "in " +
                           layout.string() +
                           "); run shard 1/3 again from the same commit, xbuild.toml and command line as the others, "
                           "or pass --allow-partial to merge the others without it\n");
}

TEST_F(ShardMerge, PlanShowsTheShardsPlatforms) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  project_ = hello_project(scratch_);
  CommandResult plan = xbuild({"plan", "--shard", "2/3"}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out.rfind("shard 2/3: linux/amd64, linux/riscv64 (of 5 platforms)\n", 0), 0u) << plan.out;
  EXPECT_EQ(plan.out.find("linux/arm64"), std::string::npos) << plan.out;
  CommandResult bad = xbuild({"plan", "--shard", "3/2"}, project_);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "xbuild: error: --shard 3/2: the shard number must be from 1 to 2\n");
}

TEST_F(ShardMerge, BadShardValuesAndArgumentsAreRefusedBeforeAnythingRuns) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  project_ = hello_project(scratch_);
  std::string before = snapshot_tree(scratch_.path());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"x", "--shard \"x\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3"},
      {"1/3/2", "--shard \"1/3/2\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3"},
      {"-1/3", "--shard \"-1/3\" is not I/N: write the shard's number and the shard count, e.g. --shard 2/3"},
      {"1/0", "--shard 1/0: the shard count must be at least 1"},
      {"0/3", "--shard 0/3: the shard number must be from 1 to 3"},
      {"4/3", "--shard 4/3: the shard number must be from 1 to 3"},
      {"6/6", "--shard 6/6: " + (project_ / "xbuild.toml").string() +
                  " has 5 platforms, so shard 6 would build nothing; use at most 5 shards"},
  };
  for (const auto& [value, message] : cases) {
    CommandResult result = xbuild({"run", "--shard", value}, project_);
    EXPECT_EQ(result.exit_code, 2) << value;
    EXPECT_EQ(result.err, "xbuild: error: " + message + "\n") << value;
  }
  CommandResult push = xbuild({"run", "--shard", "1/2", "--push"}, project_);
  EXPECT_EQ(push.exit_code, 2);
  EXPECT_EQ(push.err,
            "xbuild: error: --push with --shard would tag an index of one shard; merge the shards, then push: xbuild "
            "merge LAYOUT... -o oci:DIR --push REF\n");
  CommandResult not_layout =
      xbuild({"merge", (scratch_ / "nowhere").string(), "-o", "oci:" + (scratch_ / "m").string()});
  EXPECT_EQ(not_layout.exit_code, 2);
  EXPECT_EQ(not_layout.err,
            "xbuild: error: " + (scratch_ / "nowhere").string() + " is not an OCI layout (no index.json there)\n");
  EXPECT_EQ(snapshot_tree(scratch_.path()), before);
}

// The platforms of each shard as plan prints them ("shard I/3: a, b (expected N.N s)"), by shard
// number.
std::map<int, std::vector<std::string>> planned_shards(const std::string& out) {
  std::map<int, std::vector<std::string>> shards;
  for (const std::string& line : split(out, '\n')) {
    if (!starts_with(line, "shard ") || line.find("/3: ") == std::string::npos) continue;
    int index = std::stoi(line.substr(6));
    std::string list = line.substr(line.find(": ") + 2);
    list = list.substr(0, list.find(" (expected"));
    for (const std::string& name : split(list, ',')) shards[index].push_back(std::string(trim(name)));
  }
  return shards;
}

// A quick build for every platform but linux/riscv64, which sleeps 3 s: the unsharded run
// measures that, and the packed shards give riscv64 a shard of its own where round-robin pairs it
// with linux/amd64. The shards, each on an empty cache, merge to the unsharded run's index, and
// so does the merge's metadata, a durations file for the next night.
TEST_F(ShardMerge, ShardsPackedByMeasuredDurationsMergeToTheUnshardedIndex) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  project_ = hello_project(scratch_);
  std::string config = slurp(project_ / "xbuild.toml");
  config.insert(config.find("[image]"),
                "[platform.\"linux/riscv64\".stage.build]\n"
                "run = 'sleep 3 && make -s -C src CC=\"$CC\" OUT=\"$XBUILD_OUT\"'\n\n");
  scratch_.write("hello/xbuild.toml", config);

  fs::path durations = scratch_ / "durations.json";
  CommandResult whole =
      xbuild({"run", "--no-cache", "-o", "oci:" + (scratch_ / "whole").string(), "--metadata-file", durations.string()},
             project_);
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  json measured = json::parse(slurp(durations));
  for (const char* platform : {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"}) {
    ASSERT_TRUE(measured["platforms"][platform]["durations"]["build"].is_number()) << measured;
    EXPECT_GT(measured["platforms"][platform]["durations"]["build"].get<double>(), 0) << platform;
  }
  EXPECT_GE(measured["platforms"]["linux/riscv64"]["durations"]["build"].get<double>(), 3.0) << measured;

  // plan: how the shards were chosen, every shard with its expected time, the selected one marked.
  CommandResult plan = xbuild({"plan", "--shard", "2/3", "--durations", durations.string()}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out.rfind("shards packed by the durations in " + durations.string() +
                               " (longest first onto the least-loaded shard; 5 of 5 platforms measured)\n"
                               "shard 1/3: linux/riscv64 (expected ",
                           0),
            0u)
      << plan.out;
  EXPECT_NE(plan.out.find(" <- this shard\n"), std::string::npos) << plan.out;
  std::map<int, std::vector<std::string>> shards = planned_shards(plan.out);
  ASSERT_EQ(shards.size(), 3u) << plan.out;
  EXPECT_EQ(shards[1], (std::vector<std::string>{"linux/riscv64"})) << plan.out;
  EXPECT_EQ(shards[2].size() + shards[3].size(), 4u) << plan.out;
  // Then the selected shard's plan, as without --durations: its platforms and no other.
  for (const std::string& platform : shards[1])
    EXPECT_EQ(plan.out.find("\n" + platform + " "), std::string::npos) << plan.out;

  // Each shard on its own empty cache, as CI runners are: the shard plan said, merged to the
  // unsharded index.
  for (int i = 1; i <= 3; ++i) {
    CommandResult shard = xbuild({"run", "--no-cache", "--shard", std::to_string(i) + "/3", "--durations",
                                  durations.string(), "-o", "oci:" + shard_dir(i).string()},
                                 project_);
    ASSERT_EQ(shard.exit_code, 0) << shard.err;
    // On stderr, with xbuild's other messages, before the stages.
    EXPECT_EQ(
        shard.err.rfind("xbuild: shard " + std::to_string(i) + "/3 packed by the durations in " + durations.string() +
                            " (longest first onto the least-loaded shard; 5 of 5 platforms "
                            "measured): ",
                        0),
        0u)
        << shard.err;
    std::vector<std::string> built = platforms_of(shard_dir(i)), expected = shards[i];
    std::sort(built.begin(), built.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(built, expected) << "shard " << i;
  }
  fs::path merged = scratch_ / "merged";
  fs::path merged_metadata = scratch_ / "merged-metadata.json";
  CommandResult merge = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(), "-o",
                                "oci:" + merged.string(), "--metadata-file", merged_metadata.string()});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_EQ(json::parse(slurp(merged_metadata))["containerimage.digest"], measured["containerimage.digest"]);
  EXPECT_EQ(snapshot_tree(merged), snapshot_tree(scratch_ / "whole"));

  // The merge's metadata keeps every shard's durations: the next night packs by it.
  json night = json::parse(slurp(merged_metadata));
  for (const char* platform : {"linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/riscv64"})
    EXPECT_TRUE(night["platforms"][platform]["durations"]["build"].is_number()) << night;
  CommandResult next = xbuild({"plan", "--shard", "1/3", "--durations", merged_metadata.string()}, project_);
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(planned_shards(next.out)[1], (std::vector<std::string>{"linux/riscv64"})) << next.out;
}

// --durations without --shard, or naming a file that is not a run's metadata: exit status 2
// before anything runs, nothing written.
TEST_F(ShardMerge, ABadDurationsFileIsRefusedBeforeAnythingRuns) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  project_ = hello_project(scratch_);
  fs::path junit = scratch_.write("junit.xml", "<testsuites/>\n");
  fs::path missing = scratch_ / "missing.json";
  std::string before = snapshot_tree(scratch_.path());
  const std::string fix =
      "; pass the --metadata-file of an earlier run or of xbuild merge (xbuild run --metadata-file FILE), or leave "
      "--durations out to deal the shards round-robin by name\n";
  for (const char* command : {"run", "plan"}) {
    CommandResult alone = xbuild({command, "--durations", junit.string()}, project_);
    EXPECT_EQ(alone.exit_code, 2) << command;
    EXPECT_EQ(alone.err, "xbuild: error: --durations " + junit.string() +
                             " packs the shards of a sharded run: add --shard I/N, or leave --durations out\n")
        << command;
    CommandResult absent = xbuild({command, "--shard", "1/2", "--durations", missing.string()}, project_);
    EXPECT_EQ(absent.exit_code, 2) << command;
    EXPECT_EQ(absent.err, "xbuild: error: --durations " + missing.string() + ": cannot read " + missing.string() +
                              ": No such file or directory" + fix)
        << command;
    CommandResult malformed = xbuild({command, "--shard", "1/2", "--durations", junit.string()}, project_);
    EXPECT_EQ(malformed.exit_code, 2) << command;
    EXPECT_EQ(malformed.err, "xbuild: error: --durations " + junit.string() +
                                 " is not the --metadata-file of an xbuild run (no \"platforms\" object)" + fix)
        << command;
  }
  EXPECT_EQ(snapshot_tree(scratch_.path()), before);

  // A file that knows none of the platforms: round-robin, and plan says so.
  fs::path strangers = scratch_.write(
      "strangers.json", R"({"platforms": {"windows/amd64": {"stages": {"build": "ok"}, "durations": {"build": 9}}}})");
  CommandResult plan = xbuild({"plan", "--shard", "2/3", "--durations", strangers.string()}, project_);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_EQ(plan.out.rfind("shards dealt round-robin by name: " + strangers.string() +
                               " measured none of these 5 platforms\n"
                               "shard 1/3: linux/arm64, linux/386\n"
                               "shard 2/3: linux/amd64, linux/riscv64 <- this shard\n"
                               "shard 3/3: linux/arm/v7\n",
                           0),
            0u)
      << plan.out;
}

TEST_F(ShardMerge, MergePushesTheMergedIndexToARegistry) {
  XB_REQUIRE_TOOLS(kCrossCompilers);
  XB_REQUIRE_TOOLS("docker-registry", "skopeo");
  build_shards();
  LocalRegistry registry(scratch_ / "registry");
  ASSERT_TRUE(registry.ok()) << registry.error();
  fs::path merged = scratch_ / "merged";
  std::string reference = registry.host() + "/nightly/hello:latest";
  CommandResult merge = xbuild({"merge", shard_dir(1).string(), shard_dir(2).string(), shard_dir(3).string(), "-o",
                                "oci:" + merged.string(), "--push", reference, "--insecure-registry", registry.host()});
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  std::string index_digest = json::parse(slurp(merged / "index.json"))["manifests"][0]["digest"];
  EXPECT_EQ(merge.out.rfind("xbuild: pushed " + reference + " (" + index_digest + ")\n", 0), 0u) << merge.out;
  CommandResult inspect = run({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  EXPECT_EQ(inspect.out, slurp(merged / "blobs/sha256" / index_digest.substr(7)));
}

}  // namespace
}  // namespace xb::testing
