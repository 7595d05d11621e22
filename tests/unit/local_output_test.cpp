// Tests for package/local_output: the summary's exact text, a plan packaged to local:DIR (the
// files as the layer holds them, the digests those of the layout, DIR replaced as a whole or
// left as it was), the tree digest that lets a rerun keep DIR, and where DIR may be.
#include "package/local_output.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "oci/layout_reader.h"
#include "package/package.h"
#include "support/scratch_dir.h"
#include "util/fs.h"
#include "util/sha256.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> directory_names(const fs::path& directory) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

std::string hex_of(const std::string& content) { return sha256_digest(content).substr(7); }

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

TEST(LocalSummaryTest, IsWrittenAsThisExactText) {
  LocalSummary summary;
  summary.project = "hello";
  summary.version = "1.0.0";
  summary.tag = "1.0.0";
  summary.index = {oci::kMediaTypeIndex, "sha256:" + std::string(64, 'a'), 512, {}, {}};
  LocalPlatform image;
  image.platform = Platform{"linux", "arm", "v7", ""};
  image.directory = "linux-arm-v7";
  image.manifest = {oci::kMediaTypeManifest, "sha256:" + std::string(64, 'b'), 400, image.platform, {}};
  image.base_name = "debian:bookworm";
  image.base_digest = "sha256:" + std::string(64, 'c');
  image.files = {{"app/hello", "", 12, std::string(64, 'd'), 0755}, {"app/hi", "hello", 0, "", 0777}};
  LocalPlatform firmware;
  firmware.platform = Platform{"none", "arm", "cortex-m4", ""};
  firmware.directory = "none-arm-cortex-m4";
  firmware.firmware = true;
  firmware.manifest = {oci::kMediaTypeManifest, "sha256:" + std::string(64, 'e'), 900, firmware.platform, {}};
  firmware.files = {{"crc16.bin", "", 3, std::string(64, 'f'), 0644}};
  summary.platforms = {image, firmware};

  const std::string a = std::string(64, 'a'), b = std::string(64, 'b'), c = std::string(64, 'c'),
                    d = std::string(64, 'd'), e = std::string(64, 'e'), f = std::string(64, 'f');
  EXPECT_EQ(local_summary_json(summary),
            "{\n"
            "  \"project\": \"hello\",\n"
            "  \"version\": \"1.0.0\",\n"
            "  \"tag\": \"1.0.0\",\n"
            "  \"index\": {\"mediaType\": \"application/vnd.oci.image.index.v1+json\", \"digest\": \"sha256:" +
                a +
                "\", \"size\": 512},\n"
                "  \"platforms\": [\n"
                "    {\n"
                "      \"platform\": \"linux/arm/v7\",\n"
                "      \"directory\": \"linux-arm-v7\",\n"
                "      \"kind\": \"image\",\n"
                "      \"manifest\": {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": "
                "\"sha256:" +
                b +
                "\", \"size\": 400},\n"
                "      \"base\": {\"name\": \"debian:bookworm\", \"digest\": \"sha256:" +
                c +
                "\"},\n"
                "      \"files\": [\n"
                "        {\"path\": \"app/hello\", \"size\": 12, \"sha256\": \"" +
                d +
                "\", \"mode\": \"0755\"},\n"
                "        {\"path\": \"app/hi\", \"symlink\": \"hello\"}\n"
                "      ]\n"
                "    },\n"
                "    {\n"
                "      \"platform\": \"none/arm/cortex-m4\",\n"
                "      \"directory\": \"none-arm-cortex-m4\",\n"
                "      \"kind\": \"firmware\",\n"
                "      \"manifest\": {\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": "
                "\"sha256:" +
                e +
                "\", \"size\": 900},\n"
                "      \"files\": [\n"
                "        {\"path\": \"crc16.bin\", \"size\": 3, \"sha256\": \"" +
                f +
                "\", \"mode\": \"0644\"}\n"
                "      ]\n"
                "    }\n"
                "  ]\n"
                "}\n");
}

TEST(LocalSummaryTest, EmptyListsStayValidJson) {
  LocalSummary summary;
  summary.project = "p";
  LocalPlatform empty;
  empty.platform = Platform{"linux", "amd64", "", ""};
  empty.directory = "linux-amd64";
  summary.platforms = {empty};
  std::string json = local_summary_json(summary);
  EXPECT_NE(json.find("      \"files\": []\n    }\n  ]\n}\n"), std::string::npos) << json;
  summary.platforms.clear();
  EXPECT_NE(local_summary_json(summary).find("  \"platforms\": []\n}\n"), std::string::npos);
}

class LocalOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.project = {"hello", "2.1"};
    config_.image.tags = {"2.1", "latest"};
    config_.image.entrypoint = {"/app/hello"};
    config_.image.copy = {{"hello", "/app/hello"}, {"share", "/usr/share/hello"}};
    plan_.source_date_epoch = 1700000000;
    add_target(Platform{"linux", "amd64", "", ""}, "amd64 binary\n");
    add_target(Platform{"linux", "arm", "v7", ""}, "arm binary\n");
  }

  void add_target(const Platform& platform, const std::string& binary) {
    TargetPlan target;
    target.platform = platform;
    target.output_dir = scratch_ / ("state/out/" + platform.slug());
    fs::permissions(scratch_.write("state/out/" + platform.slug() + "/hello", binary), fs::perms(0755));
    scratch_.write("state/out/" + platform.slug() + "/share/greeting.txt", "hi\n");
    fs::create_directory_symlink("..", target.output_dir / "share/up");
    fs::create_symlink("greeting.txt", target.output_dir / "share/hello.txt");
    scratch_.write("state/out/" + platform.slug() + "/build.log", "not copied\n");
    plan_.targets.push_back(target);
  }

  Result<PackageResult> package_to(const std::string& output) {
    Result<OutputTarget> target = parse_output(output, scratch_.path());
    EXPECT_TRUE(target.ok()) << target.error();
    return package_and_publish(config_, plan_, target.value());
  }

  fs::path dist() const { return scratch_ / "dist"; }

  Config config_;
  Plan plan_;
  testing::ScratchDir scratch_;
};

TEST_F(LocalOutputTest, EachPlatformGetsItsLayersFilesAndTheSummaryTheLayoutsDigests) {
  Result<PackageResult> layout = package_to("oci:layout");
  ASSERT_TRUE(layout.ok()) << layout.error();
  Result<PackageResult> local = package_to("local:dist");
  ASSERT_TRUE(local.ok()) << local.error();
  EXPECT_EQ(local.value().index, layout.value().index);
  ASSERT_EQ(local.value().images.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(local.value().images[i].manifest, layout.value().images[i].manifest);

  EXPECT_EQ(directory_names(dist()), (std::vector<std::string>{"linux-amd64", "linux-arm-v7", "xbuild.json"}));
  EXPECT_EQ(read_file(dist() / "linux-amd64/app/hello").value(), "amd64 binary\n");
  EXPECT_EQ(read_file(dist() / "linux-arm-v7/app/hello").value(), "arm binary\n");
  EXPECT_EQ(mode_of(dist() / "linux-amd64/app/hello"), 0755u);
  EXPECT_EQ(read_file(dist() / "linux-amd64/usr/share/hello/greeting.txt").value(), "hi\n");
  EXPECT_EQ(fs::read_symlink(dist() / "linux-amd64/usr/share/hello/hello.txt"), "greeting.txt");
  EXPECT_EQ(fs::read_symlink(dist() / "linux-amd64/usr/share/hello/up"), "..");
  EXPECT_FALSE(fs::exists(dist() / "linux-amd64/build.log"));
  struct stat hello {};
  ASSERT_EQ(::stat((dist() / "linux-amd64/app/hello").c_str(), &hello), 0);
  EXPECT_EQ(hello.st_mtime, 1700000000);  // SOURCE_DATE_EPOCH, as in the layer
  // Nothing is left next to DIR: the staging area is gone.
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"dist", "layout", "state"}));

  std::string summary = read_file(dist() / "xbuild.json").value();
  EXPECT_EQ(summary.rfind("{\n  \"project\": \"hello\",\n  \"version\": \"2.1\",\n  \"tag\": \"2.1\",\n", 0), 0u)
      << summary;
  EXPECT_NE(summary.find("\"digest\": \"" + layout.value().index.digest + "\""), std::string::npos) << summary;
  for (const PackagedImage& image : layout.value().images)
    EXPECT_NE(summary.find("\"digest\": \"" + image.manifest.digest + "\""), std::string::npos) << summary;
  EXPECT_NE(summary.find("        {\"path\": \"app/hello\", \"size\": 13, \"sha256\": \"" + hex_of("amd64 binary\n") +
                         "\", \"mode\": \"0755\"},\n"
                         "        {\"path\": \"usr/share/hello/greeting.txt\", \"size\": 3, \"sha256\": \"" +
                         hex_of("hi\n") +
                         "\", \"mode\": \"0644\"},\n"
                         "        {\"path\": \"usr/share/hello/hello.txt\", \"symlink\": \"greeting.txt\"},\n"
                         "        {\"path\": \"usr/share/hello/up\", \"symlink\": \"..\"}\n"
                         "      ]\n"),
            std::string::npos)
      << summary;
  EXPECT_EQ(local.value().local_tree, local_tree_digest(dist()).value());
}

TEST_F(LocalOutputTest, ARerunReplacesTheWholeDirectory) {
  ASSERT_TRUE(package_to("local:dist").ok());
  scratch_.write("dist/linux-amd64/stray", "left by hand\n");
  scratch_.write("dist/linux-amd64/app/hello", "edited\n");
  ASSERT_TRUE(package_to("local:dist").ok());
  EXPECT_FALSE(fs::exists(dist() / "linux-amd64/stray"));
  EXPECT_EQ(read_file(dist() / "linux-amd64/app/hello").value(), "amd64 binary\n");
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"dist", "state"}));
}

TEST_F(LocalOutputTest, AFailureLeavesThePreviousDirectoryAndNoStagingBehind) {
  ASSERT_TRUE(package_to("local:dist").ok());
  std::string before = testing::snapshot_tree(dist());
  fs::remove(plan_.targets[1].output_dir / "hello");
  Result<PackageResult> failed = package_to("local:dist");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(),
            "linux/arm/v7: cannot copy \"hello\" into the image: " + (plan_.targets[1].output_dir / "hello").string() +
                " does not exist; a stage should have written it to $XBUILD_OUT");
  EXPECT_EQ(testing::snapshot_tree(dist()), before);
  EXPECT_EQ(directory_names(scratch_.path()), (std::vector<std::string>{"dist", "state"}));
}

// The tree fails after the first platform's files are written: it says which platform and why,
// and what it wrote stays in the tree it was given (the caller's staging area), not in DIR.
TEST_F(LocalOutputTest, ATreeThatFailsHalfwayNamesThePlatform) {
  Result<PackageResult> layout = package_to("oci:layout");
  ASSERT_TRUE(layout.ok()) << layout.error();
  LocalTreeRequest request{scratch_ / "layout", "hello", "2.1", "2.1", layout.value().index, {}, 0};
  for (const PackagedImage& image : layout.value().images) request.manifests.push_back(image.manifest);
  const std::string missing = request.manifests[1].digest;
  fs::remove(scratch_ / "layout/blobs/sha256" / missing.substr(7));
  Result<LocalSummary> written = write_local_tree(request, scratch_ / "tree");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().rfind(
                "linux/arm/v7: the layout " + (scratch_ / "layout").string() + " lacks the blob " + missing + ": ", 0),
            0u)
      << written.error();
  EXPECT_EQ(directory_names(scratch_ / "tree"), std::vector<std::string>{"linux-amd64"});
  EXPECT_FALSE(fs::exists(scratch_ / "tree/xbuild.json"));
  EXPECT_FALSE(fs::exists(dist()));
  // The tree must be new: an existing one is not written into.
  Result<LocalSummary> again = write_local_tree(request, scratch_ / "tree");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(), "cannot create directory " + (scratch_ / "tree").string() + ": File exists");
}

TEST_F(LocalOutputTest, AWindowsImagesFilesAreThoseUnderFiles) {
  plan_.targets.clear();
  config_.image.copy = {{"hello", "/app/hello.exe"}};
  add_target(Platform{"windows", "amd64", "", ""}, "MZ windows binary\n");
  ASSERT_TRUE(package_to("local:dist").ok());
  EXPECT_EQ(directory_names(dist() / "windows-amd64"), (std::vector<std::string>{"app"}));
  EXPECT_EQ(read_file(dist() / "windows-amd64/app/hello.exe").value(), "MZ windows binary\n");
}

TEST_F(LocalOutputTest, TheTreeDigestSeesEveryChange) {
  ASSERT_TRUE(package_to("local:dist").ok());
  std::string published = local_tree_digest(dist()).value();
  EXPECT_EQ(local_tree_digest(dist()).value(), published);
  scratch_.write("dist/linux-amd64/app/hello", "amd64 binarY\n");
  EXPECT_NE(local_tree_digest(dist()).value(), published);
  scratch_.write("dist/linux-amd64/app/hello", "amd64 binary\n");
  EXPECT_EQ(local_tree_digest(dist()).value(), published);
  fs::permissions(dist() / "linux-amd64/app/hello", fs::perms(0700));
  EXPECT_NE(local_tree_digest(dist()).value(), published);
  fs::permissions(dist() / "linux-amd64/app/hello", fs::perms(0755));
  scratch_.write("dist/extra", "");
  EXPECT_NE(local_tree_digest(dist()).value(), published);
  fs::remove(dist() / "extra");
  fs::remove(dist() / "linux-amd64/usr/share/hello/up");
  EXPECT_NE(local_tree_digest(dist()).value(), published);
}

// --- where DIR may be ---------------------------------------------------------------------

class LocalDestinationTest : public ::testing::Test {
 protected:
  std::string error_of(const fs::path& dir) {
    Status status = check_local_destination(dir, "local:" + dir.string());
    return status ? "(no error)" : status.error();
  }
  testing::ScratchDir scratch_;
};

TEST_F(LocalDestinationTest, ANewAnEmptyOrAnEarlierOutputIsFine) {
  EXPECT_EQ(error_of(scratch_ / "new"), "(no error)");
  fs::create_directory(scratch_ / "empty");
  EXPECT_EQ(error_of(scratch_ / "empty"), "(no error)");
  scratch_.write("earlier/xbuild.json", "{}\n");
  scratch_.write("earlier/linux-amd64/app/hello", "x");
  EXPECT_EQ(error_of(scratch_ / "earlier"), "(no error)");
}

TEST_F(LocalDestinationTest, MistakesSayWhatIsWrongAndHowToFixIt) {
  fs::path file = scratch_.write("file", "x");
  EXPECT_EQ(error_of(file), "local:" + file.string() + ": " + file.string() +
                                " exists and is not a directory; remove it, or name a directory");
  scratch_.write("project/xbuild.toml", "[project]\n");
  fs::path project = scratch_ / "project";
  EXPECT_EQ(error_of(project), "local:" + project.string() + ": " + project.string() +
                                   " is not empty and has no xbuild.json, so it is not a local output of xbuild, and "
                                   "the output replaces the whole directory; name a new or empty directory");
  fs::create_directory_symlink(project, scratch_ / "link");
  EXPECT_EQ(error_of(scratch_ / "link"),
            "local:" + (scratch_ / "link").string() + ": " + (scratch_ / "link").string() +
                " is a symlink, and the output replaces it with a directory; name the directory itself (" +
                project.string() + ")");
  EXPECT_EQ(error_of(scratch_ / "missing/dist"), "local:" + (scratch_ / "missing/dist").string() + ": the directory " +
                                                     (scratch_ / "missing").string() +
                                                     " does not exist; create it first");
  EXPECT_EQ(testing::snapshot_tree(scratch_.path()).find("dist"), std::string::npos);  // nothing was made
}

// A parent that cannot be written: checked as an unprivileged user (root may write anywhere),
// in a child process that drops to nobody when the test runs as root.
TEST_F(LocalDestinationTest, AParentThatCannotBeWrittenIsSaid) {
  fs::path parent = scratch_ / "readonly";
  fs::create_directory(parent);
  fs::permissions(parent, fs::perms(0555));
  fs::permissions(scratch_.path(), fs::perms(0755));
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(3);
    std::string message = error_of(parent / "dist");
    ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 4);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, got);
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  fs::permissions(parent, fs::perms(0755));
  EXPECT_EQ(message, "local:" + (parent / "dist").string() + ": cannot write in " + parent.string() +
                         " (Permission denied); the output is made next to dist and renamed into place: name a "
                         "directory whose parent you can write to");
}

}  // namespace
}  // namespace xb
