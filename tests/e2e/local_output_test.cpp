// `-o local:DIR` end to end: examples/hello (five Linux platforms), examples/greet (Linux and
// Windows) and examples/firmware (three bare-metal targets and linux/amd64) written as plain files, each run next to an
// `-o oci:` run of the same project. What DIR holds is compared with the layout: each image's top layer unpacked by GNU
// tar, each artifact's blobs by their titles, and xbuild.json's digests with the layout's index. A rerun with nothing
// changed keeps DIR; a changed DIR is replaced by a new one; a failing rerun and bad -o values leave everything as it
// was.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "e2e/layout_json.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kHelloTools = {"make",
                                              "tar",
                                              "skopeo",
                                              "x86_64-linux-gnu-gcc",
                                              "aarch64-linux-gnu-gcc",
                                              "arm-linux-gnueabihf-gcc",
                                              "i686-linux-gnu-gcc",
                                              "riscv64-linux-gnu-gcc",
                                              "qemu-aarch64-static",
                                              "qemu-arm-static",
                                              "qemu-i386-static",
                                              "qemu-riscv64-static"};

const std::vector<std::string> kGreetTools = {
    "make", "tar", "skopeo", "aarch64-linux-gnu-gcc", "qemu-aarch64-static", "x86_64-w64-mingw32-gcc", "wine"};

const std::vector<std::string> kFirmwareTools = {
    "make", "gcc", "tar", "arm-none-eabi-gcc", "arm-none-eabi-objcopy", "arm-none-eabi-size", "qemu-system-arm"};

struct Entry {
  char type = 'f';  // f file, d directory, l symlink
  unsigned mode = 0;
  std::string content;  // a file's bytes, a symlink's target

  friend bool operator==(const Entry&, const Entry&) = default;
};

// Every entry under `root` by its relative path.
std::map<std::string, Entry> tree_of(const fs::path& root) {
  std::map<std::string, Entry> entries;
  for (fs::recursive_directory_iterator it(root), end; it != end; ++it) {
    struct stat info {};
    EXPECT_EQ(::lstat(it->path().c_str(), &info), 0);
    Entry entry;
    entry.mode = info.st_mode & 07777;
    if (S_ISDIR(info.st_mode)) {
      entry.type = 'd';
    } else if (S_ISLNK(info.st_mode)) {
      entry.type = 'l';
      entry.mode = 0;
      entry.content = fs::read_symlink(it->path()).string();
    } else {
      entry.content = read_file(it->path()).value();
    }
    entries[it->path().lexically_relative(root).string()] = entry;
  }
  return entries;
}

std::vector<std::string> names_in(const fs::path& directory) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

// Compares DIR with the layout of the same project: the summary's digests with the layout's
// index, each platform's directory with its image's top layer (unpacked by tar into `scratch`)
// or its artifact's blobs, and each file the summary lists with the file on disk.
void expect_same_as_layout(const fs::path& dist, const fs::path& layout, const fs::path& scratch,
                           const std::vector<std::string>& directories) {
  json summary = json::parse(read_file(dist / "xbuild.json").value());
  json top = json::parse(read_file(layout / "index.json").value());
  json index = layout_image_index(layout);
  EXPECT_EQ(summary["index"]["digest"], top["manifests"][0]["digest"]);
  EXPECT_EQ(summary["index"]["size"], top["manifests"][0]["size"]);
  EXPECT_EQ(summary["tag"], top["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]);
  ASSERT_EQ(summary["platforms"].size(), index["manifests"].size());
  std::vector<std::string> expected_names = directories;
  expected_names.push_back("xbuild.json");
  std::sort(expected_names.begin(), expected_names.end());
  EXPECT_EQ(names_in(dist), expected_names);

  for (std::size_t i = 0; i < index["manifests"].size(); ++i) {
    const json& entry = index["manifests"][i];
    const json& platform = summary["platforms"][i];
    std::string name =
        entry["platform"]["os"].get<std::string>() + "/" + entry["platform"]["architecture"].get<std::string>() +
        (entry["platform"].contains("variant") ? "/" + entry["platform"]["variant"].get<std::string>() : "");
    SCOPED_TRACE(name);
    EXPECT_EQ(platform["platform"], name);
    EXPECT_EQ(platform["directory"], directories[i]);
    EXPECT_EQ(platform["manifest"]["digest"], entry["digest"]);
    EXPECT_EQ(platform["manifest"]["size"], entry["size"]);
    fs::path files = dist / directories[i];
    json manifest = layout_blob_json(layout, entry["digest"]);
    if (entry.contains("artifactType")) {
      EXPECT_EQ(platform["kind"], "firmware");
      std::vector<std::string> titles;
      for (const json& layer : manifest["layers"]) {
        std::string title = layer["annotations"]["org.opencontainers.image.title"];
        titles.push_back(title);
        EXPECT_EQ(read_file(files / title).value(), layout_blob_text(layout, layer["digest"])) << title;
      }
      std::sort(titles.begin(), titles.end());
      EXPECT_EQ(names_in(files), titles);
    } else {
      EXPECT_EQ(platform["kind"], "image");
      fs::path unpacked = scratch / ("layer-" + directories[i]);
      fs::create_directories(unpacked);
      CommandResult tar = run({"tar", "-xzf", layout_blob_path(layout, manifest["layers"].back()["digest"]).string(),
                               "-C", unpacked.string(), "--no-same-owner"});
      ASSERT_EQ(tar.exit_code, 0) << tar.err;
      // A Windows layer holds the image's files under Files/ (and registry hives under Hives/).
      EXPECT_EQ(tree_of(files), tree_of(entry["platform"]["os"] == "windows" ? unpacked / "Files" : unpacked));
    }
    // Each file the summary lists is there with its size and hash; nothing else is.
    std::size_t listed = 0;
    for (const json& file : platform["files"]) {
      fs::path path = files / file["path"].get<std::string>();
      ++listed;
      if (file.contains("symlink")) {
        EXPECT_EQ(fs::read_symlink(path).string(), file["symlink"]);
        continue;
      }
      std::string bytes = read_file(path).value();
      EXPECT_EQ(file["size"], bytes.size()) << path;
      EXPECT_EQ("sha256:" + file["sha256"].get<std::string>(), sha256_digest(bytes)) << path;
    }
    std::size_t on_disk = 0;
    for (const auto& [path, found] : tree_of(files)) on_disk += found.type != 'd';
    EXPECT_EQ(listed, on_disk);
  }
}

// Any temporary directory of a run next to DIR (".dist.tmp-XXXXXX").
std::vector<std::string> leftovers(const fs::path& parent) {
  std::vector<std::string> found;
  for (const std::string& name : names_in(parent))
    if (is_temp_name(name)) found.push_back(name);
  return found;
}

ino_t inode(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_ino;
}

class LocalOutput : public ::testing::Test {
 protected:
  void SetUp() override { env_ = {{"XBUILD_CACHE_DIR", (scratch_ / "cache").string()}}; }

  CommandResult run_xbuild(const std::vector<std::string>& args, const fs::path& project) {
    return xbuild(args, project, env_);
  }

  ScratchDir scratch_;
  std::map<std::string, std::string> env_;
};

const std::vector<std::string> kHelloDirectories = {"linux-amd64", "linux-arm64", "linux-arm-v7", "linux-386",
                                                    "linux-riscv64"};

TEST_F(LocalOutput, HelloGivesEachPlatformsFilesAsTheLayoutHoldsThem) {
  XB_REQUIRE_TOOLS(kHelloTools);
  fs::path project = copy_example("hello", scratch_ / "hello");
  fs::path layout = scratch_ / "layout", dist = scratch_ / "dist";
  CommandResult oci = run_xbuild({"run", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(oci.exit_code, 0) << oci.out << oci.err;
  CommandResult local = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  ASSERT_EQ(local.exit_code, 0) << local.out << local.err;
  EXPECT_NE(local.out.find("; wrote local:" + dist.string() + " (tag 1.0.0)\n"), std::string::npos) << local.out;

  expect_same_as_layout(dist, layout, scratch_.path(), kHelloDirectories);
  const int machines[] = {0x3e, 0xb7, 0x28, 0x03, 0xf3};
  for (std::size_t i = 0; i < kHelloDirectories.size(); ++i) {
    EXPECT_EQ(names_in(dist / kHelloDirectories[i]), std::vector<std::string>{"app"});
    EXPECT_EQ(elf_machine(dist / kHelloDirectories[i] / "app/hello"), machines[i]) << kHelloDirectories[i];
  }
  json summary = json::parse(read_file(dist / "xbuild.json").value());
  EXPECT_EQ(summary["project"], "hello");
  EXPECT_EQ(summary["version"], "1.0.0");
  EXPECT_EQ(summary["platforms"][2]["files"][0]["path"], "app/hello");
  EXPECT_EQ(summary["platforms"][2]["files"][0]["mode"], "0755");
  EXPECT_TRUE(leftovers(scratch_.path()).empty());

  // The default amd64 binary runs from DIR as it is.
  CommandResult hello = run({(dist / "linux-amd64/app/hello").string(), "--self-test"});
  EXPECT_EQ(hello.exit_code, 0) << hello.err;

  CommandResult plan = run_xbuild({"plan", "-o", "local:" + dist.string()}, project);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const std::string d = dist.string();
  EXPECT_NE(plan.out.find("\noutput: local:" + d + " (files: a directory per platform and xbuild.json)\n" +
                          "  linux/amd64    " + d + "/linux-amd64/\n" + "  linux/arm64    " + d + "/linux-arm64/\n" +
                          "  linux/arm/v7   " + d + "/linux-arm-v7/\n" + "  linux/386      " + d + "/linux-386/\n" +
                          "  linux/riscv64  " + d + "/linux-riscv64/\n" + "  summary        " + d + "/xbuild.json\n"),
            std::string::npos)
      << plan.out;
}

TEST_F(LocalOutput, ARerunKeepsAnIntactDirectoryAndReplacesAChangedOne) {
  XB_REQUIRE_TOOLS(kHelloTools);
  fs::path project = copy_example("hello", scratch_ / "hello");
  fs::path dist = scratch_ / "dist";
  ASSERT_EQ(run_xbuild({"run", "-o", "local:" + dist.string()}, project).exit_code, 0);
  std::string published = snapshot_tree(dist);
  ino_t first = inode(dist);
  struct stat summary_before {};
  ASSERT_EQ(::stat((dist / "xbuild.json").c_str(), &summary_before), 0);

  // Nothing changed: every stage from the cache, DIR kept as it is (the same directory).
  CommandResult again = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("xbuild: linux/riscv64: cached (build, test)\n"), std::string::npos) << again.err;
  EXPECT_EQ(inode(dist), first);
  struct stat summary_after {};
  ASSERT_EQ(::stat((dist / "xbuild.json").c_str(), &summary_after), 0);
  EXPECT_EQ(summary_after.st_mtim.tv_nsec, summary_before.st_mtim.tv_nsec);
  EXPECT_EQ(snapshot_tree(dist), published);

  // A file edited by hand and one added: the next run puts a new directory in DIR's place.
  ASSERT_TRUE(write_file_atomic(dist / "linux-arm64/app/hello", "edited\n"));
  ASSERT_TRUE(write_file_atomic(dist / "linux-386/notes.txt", "mine\n"));
  CommandResult repaired = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  ASSERT_EQ(repaired.exit_code, 0) << repaired.err;
  EXPECT_NE(inode(dist), first);
  EXPECT_EQ(snapshot_tree(dist), published);
  EXPECT_TRUE(leftovers(scratch_.path()).empty());
}

TEST_F(LocalOutput, AFailingRerunLeavesThePreviousDirectoryAsItWas) {
  XB_REQUIRE_TOOLS(kHelloTools);
  fs::path project = copy_example("hello", scratch_ / "hello");
  fs::path dist = scratch_ / "dist";
  ASSERT_EQ(run_xbuild({"run", "-o", "local:" + dist.string()}, project).exit_code, 0);
  std::string published = snapshot_tree(dist);

  // Packaging fails after every stage succeeded (from the cache): the copy names no file.
  std::string config = read_file(project / "xbuild.toml").value();
  std::string broken = config;
  broken.replace(broken.find("from = \"hello\""), 14, "from = \"absent\"");
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", broken));
  CommandResult failed = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(failed.err.substr(failed.err.rfind("xbuild: error: ")),
            "xbuild: error: linux/amd64: cannot copy \"absent\" into the image: " +
                (project / ".xbuild/out/linux-amd64/absent").string() +
                " does not exist; a stage should have written it to $XBUILD_OUT\n");
  EXPECT_EQ(snapshot_tree(dist), published);
  EXPECT_TRUE(leftovers(scratch_.path()).empty());

  // A stage that fails: nothing is packaged, DIR stays.
  ASSERT_TRUE(write_file_atomic(project / "xbuild.toml", config));
  ASSERT_TRUE(write_file_atomic(project / "src/hello.c", "this is not C\n"));
  CommandResult broken_build = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  EXPECT_EQ(broken_build.exit_code, 1);
  EXPECT_EQ(snapshot_tree(dist), published);
  EXPECT_TRUE(leftovers(scratch_.path()).empty());
}

TEST_F(LocalOutput, BadDestinationsAreRefusedAndChangeNothing) {
  XB_REQUIRE_TOOLS(kHelloTools);
  fs::path project = copy_example("hello", scratch_ / "hello");
  fs::path file = scratch_.write("dist-file", "not a directory\n");
  fs::path other = scratch_.write("somebody/else.txt", "theirs\n").parent_path();
  std::string before = snapshot_tree(scratch_.path());

  CommandResult empty = run_xbuild({"run", "-o", "local:"}, project);
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_EQ(empty.err,
            "xbuild: error: invalid output \"local:\": name the directory to write the files to, e.g. "
            "local:dist\n");
  CommandResult onto_file = run_xbuild({"run", "-o", "local:" + file.string()}, project);
  EXPECT_EQ(onto_file.exit_code, 2);
  EXPECT_EQ(onto_file.err, "xbuild: error: local:" + file.string() + ": " + file.string() +
                               " exists and is not a directory; remove it, or name a directory\n");
  CommandResult foreign = run_xbuild({"run", "-o", "local:" + other.string()}, project);
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_EQ(foreign.err, "xbuild: error: local:" + other.string() + ": " + other.string() +
                             " is not empty and has no xbuild.json, so it is not a local output of xbuild, and the "
                             "output replaces the whole directory; name a new or empty directory\n");
  CommandResult missing = run_xbuild({"run", "-o", "local:" + (scratch_ / "no/such/dir").string()}, project);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "xbuild: error: local:" + (scratch_ / "no/such/dir").string() + ": the directory " +
                             (scratch_ / "no/such").string() + " does not exist; create it first\n");
  CommandResult push = run_xbuild({"run", "--push", "-o", "local:" + (scratch_ / "dist").string()}, project);
  EXPECT_EQ(push.exit_code, 2);
  EXPECT_EQ(push.err, "xbuild: error: --push pushes from an OCI layout, not from local:" +
                          (scratch_ / "dist").string() + "; use -o oci:DIR (or no -o)\n");
  EXPECT_EQ(snapshot_tree(scratch_.path()), before);
}

// Refused before any layout is read: the shard below is no more than its index.json.
TEST_F(LocalOutput, MergeWritesLayoutsOnly) {
  fs::path shard = scratch_.write("shard-1/index.json", "{}").parent_path();
  std::string before = snapshot_tree(scratch_.path());
  fs::path dist = scratch_ / "dist";
  CommandResult merge = run_xbuild({"merge", "oci:" + shard.string(), "-o", "local:" + dist.string()}, scratch_.path());
  EXPECT_EQ(merge.exit_code, 2);
  EXPECT_EQ(merge.err, "xbuild: error: local:" + dist.string() +
                           ": xbuild merge writes an OCI layout or archive (oci:DIR, oci-archive:FILE), not files; a "
                           "local output is written by xbuild run: run -o local:DIR without --shard, or with --shard "
                           "I/N for that shard's platforms\n");
  EXPECT_EQ(snapshot_tree(scratch_.path()), before);
}

TEST_F(LocalOutput, AWindowsImageGivesTheFilesOfItsFilesFolder) {
  XB_REQUIRE_TOOLS(kGreetTools);
  fs::path project = copy_example("greet", scratch_ / "greet");
  fs::path layout = scratch_ / "layout", dist = scratch_ / "dist";
  CommandResult oci = run_xbuild({"run", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(oci.exit_code, 0) << oci.out << oci.err;
  CommandResult local = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  ASSERT_EQ(local.exit_code, 0) << local.out << local.err;

  expect_same_as_layout(dist, layout, scratch_.path(), {"linux-amd64", "linux-arm64", "windows-amd64"});
  EXPECT_EQ(
      tree_of(dist / "windows-amd64"),
      (std::map<std::string, Entry>{
          {"app", {'d', 0755, ""}},
          {"app/greet.exe", {'f', 0755, read_file(project / ".xbuild/out/windows-amd64/app/greet.exe").value()}}}));
  EXPECT_EQ(elf_machine(dist / "linux-arm64/app/greet"), 0xb7);
  json summary = json::parse(read_file(dist / "xbuild.json").value());
  EXPECT_EQ(summary["platforms"][2]["platform"], "windows/amd64");
  EXPECT_EQ(summary["platforms"][2]["kind"], "image");
  EXPECT_EQ(summary["platforms"][2]["files"].size(), 1u);
  EXPECT_EQ(summary["platforms"][2]["files"][0]["path"], "app/greet.exe");
  EXPECT_TRUE(leftovers(scratch_.path()).empty());

  // The .exe in DIR is the PE program that wine runs, with the prefix the run set up.
  CommandResult greet = run({"wine", (dist / "windows-amd64/app/greet.exe").string(), "--self-test"},
                            {{"WINEPREFIX", (project / ".xbuild/wine/windows-amd64").string()}, {"WINEDEBUG", "-all"}});
  EXPECT_EQ(greet.exit_code, 0) << greet.out << greet.err;
}

TEST_F(LocalOutput, FirmwareTargetsGetTheirArtifactsFilesNextToTheLinuxImage) {
  XB_REQUIRE_TOOLS(kFirmwareTools);
  fs::path project = copy_example("firmware", scratch_ / "firmware");
  fs::path layout = scratch_ / "layout", dist = scratch_ / "dist";
  CommandResult oci = run_xbuild({"run", "-o", "oci:" + layout.string()}, project);
  ASSERT_EQ(oci.exit_code, 0) << oci.out << oci.err;
  CommandResult local = run_xbuild({"run", "-o", "local:" + dist.string()}, project);
  ASSERT_EQ(local.exit_code, 0) << local.out << local.err;

  expect_same_as_layout(dist, layout, scratch_.path(),
                        {"linux-amd64", "none-arm-cortex-m3", "none-arm-cortex-m4", "none-arm-cortex-m33"});
  EXPECT_EQ(names_in(dist / "linux-amd64/app"), std::vector<std::string>{"crc16"});
  for (const std::string cpu : {"cortex-m3", "cortex-m4", "cortex-m33"}) {
    SCOPED_TRACE(cpu);
    fs::path files = dist / ("none-arm-" + cpu);
    EXPECT_EQ(names_in(files),
              (std::vector<std::string>{"firmware.bin", "firmware.elf", "firmware.hex", "firmware.size.txt"}));
    // The ELF is the one the stages built; the size report names the file.
    EXPECT_EQ(read_file(files / "firmware.elf").value(),
              read_file(project / ".xbuild/out" / ("none-arm-" + cpu) / "firmware.elf").value());
    EXPECT_NE(read_file(files / "firmware.size.txt").value().find("\tfirmware.elf\n"), std::string::npos);
  }
  json summary = json::parse(read_file(dist / "xbuild.json").value());
  EXPECT_EQ(summary["project"], "crc16");
  EXPECT_EQ(summary["platforms"][2]["platform"], "none/arm/cortex-m4");
  EXPECT_EQ(summary["platforms"][2]["kind"], "firmware");
  EXPECT_EQ(summary["platforms"][2]["files"][0]["path"], "firmware.bin");
  EXPECT_TRUE(leftovers(scratch_.path()).empty());
}

}  // namespace
}  // namespace xb::testing
