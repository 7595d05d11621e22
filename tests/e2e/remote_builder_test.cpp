// Remote builders over SSH: a second sshd started by the test on 127.0.0.1 with its own config,
// port, host key and client key (nothing of the machine's ~/.ssh is read or written: the
// builder's ssh_config names the test's key and known_hosts). linux/amd64 is routed to it (the
// same machine, so natively), linux/arm64 stays local; the remote outputs end up in the index,
// digest-equal to a local build. Then the refusals: a wrong host key, an unreachable builder
// failing its platform, and fallback = "local".
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "e2e/e2e_support.h"
#include "support/registry_fixture.h"
#include "util/fs.h"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* const kPrivsepDir = "/run/sshd";  // sshd, run as root, insists on it

class SshBuilder : public ::testing::Test {
 protected:
  void SetUp() override {
    XB_REQUIRE_ROOT("for sshd, which runs as root here");
    XB_REQUIRE_TOOLS("ssh", "ssh-keygen", "rsync", "make", "cc", "aarch64-linux-gnu-gcc");
    XB_REQUIRE_MACHINE(fs::exists("/usr/sbin/sshd"), "missing /usr/sbin/sshd (openssh-server)");
    sshd_ = "/usr/sbin/sshd";
    fs::path d = scratch_ / "ssh";
    fs::create_directories(d);
    for (const char* key : {"host_key", "client_key", "other_host_key"}) {
      CommandResult made = run({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", (d / key).string()});
      ASSERT_EQ(made.exit_code, 0) << made.err;
    }
    fs::copy_file(d / "client_key.pub", d / "authorized_keys");
    port_ = free_port();
    scratch_.write("ssh/sshd_config", "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " +
                                          (d / "host_key").string() + "\nAuthorizedKeysFile " +
                                          (d / "authorized_keys").string() + "\nPidFile " + (d / "sshd.pid").string() +
                                          "\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                                          "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n");
    std::string host_key = read_file(d / "host_key.pub").value();
    host_key = host_key.substr(0, host_key.find(' ', host_key.find(' ') + 1));
    scratch_.write("ssh/known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " + host_key + "\n");
    std::string other_key = read_file(d / "other_host_key.pub").value();
    other_key = other_key.substr(0, other_key.find(' ', other_key.find(' ') + 1));
    scratch_.write("ssh/wrong_known_hosts", "[127.0.0.1]:" + std::to_string(port_) + " " + other_key + "\n");
    scratch_.write("ssh/ssh_config", ssh_config("known_hosts"));
    scratch_.write("ssh/wrong_ssh_config", ssh_config("wrong_known_hosts"));

    created_privsep_ = !fs::exists(kPrivsepDir);
    if (created_privsep_) fs::create_directories(kPrivsepDir);
    pid_ = spawn_background({sshd_, "-D", "-e", "-f", (d / "sshd_config").string()}, d / "sshd.log");
    ASSERT_TRUE(wait_for_port(port_, 10)) << (read_file(d / "sshd.log").ok() ? read_file(d / "sshd.log").value() : "");
  }

  void TearDown() override {
    if (pid_ > 0) stop_background(pid_);
    if (created_privsep_) fs::remove(kPrivsepDir);
  }

  std::string ssh_config(const std::string& known_hosts) const {
    fs::path d = scratch_ / "ssh";
    return "Host xbuild-test-builder\n  HostName 127.0.0.1\n  Port " + std::to_string(port_) + "\n  IdentityFile " +
           (d / "client_key").string() + "\n  IdentitiesOnly yes\n  UserKnownHostsFile " + (d / known_hosts).string() +
           "\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n";
  }

  // examples/hello for linux/amd64 (on the builder) and linux/arm64 (here, cross).
  fs::path project(const std::string& builder_extra) {
    fs::path project = copy_example("hello", scratch_ / "hello");
    std::string config = read_file(project / "xbuild.toml").value();
    config.replace(config.find("platforms = ["),
                   config.find('\n', config.find("platforms = [")) - config.find("platforms = ["),
                   "platforms = [\"linux/amd64\", \"linux/arm64\"]");
    config.erase(config.find("[stage.test]"), config.find("[image]") - config.find("[stage.test]"));
    config += "\n[builder.box]\nssh = \"root@xbuild-test-builder\"\nplatforms = [\"linux/amd64\"]\nssh_config = \"" +
              (scratch_ / "ssh/ssh_config").string() + "\"\ndir = \"" + (scratch_ / "remote").string() + "\"\n" +
              builder_extra;
    scratch_.write("hello/xbuild.toml", config);
    return project;
  }

  static std::string manifest_of(const fs::path& layout, const std::string& platform) {
    std::string index = json::parse(read_file(layout / "index.json").value())["manifests"][0]["digest"];
    json document = json::parse(read_file(layout / "blobs/sha256" / index.substr(7)).value());
    for (const json& manifest : document["manifests"])
      if (manifest["platform"]["os"].get<std::string>() + "/" +
              manifest["platform"]["architecture"].get<std::string>() ==
          platform)
        return manifest["digest"];
    return "";
  }

  ScratchDir scratch_;
  std::string sshd_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool created_privsep_ = false;
};

TEST_F(SshBuilder, APlatformRoutedToTheBuilderIsBuiltThereAndPackagedHere) {
  fs::path hello = project("");
  CommandResult plan = xbuild({"plan"}, hello);
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("\nlinux/amd64  native    builder box"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("  linux/amd64: [builder.box] declares it: native on root@xbuild-test-builder\n"),
            std::string::npos)
      << plan.out;

  CommandResult remote = xbuild({"run", "--no-cache", "-o", "oci:" + (scratch_ / "remote-oci").string()}, hello);
  ASSERT_EQ(remote.exit_code, 0) << remote.err << remote.out;
  // It ran there: the builder's directory holds the sources and the output.
  bool built_there = false;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(scratch_ / "remote"))
    if (entry.path().filename() == "hello" && entry.path().parent_path().filename() == "out") built_there = true;
  EXPECT_TRUE(built_there);
  EXPECT_EQ(elf_machine(hello / ".xbuild/out/linux-amd64/hello"), 0x3e);

  // The same image as a local build, digest for digest.
  std::string config = read_file(hello / "xbuild.toml").value();
  scratch_.write("hello/xbuild.toml", config.substr(0, config.find("\n[builder.box]")));
  CommandResult local = xbuild({"run", "--no-cache", "-o", "oci:" + (scratch_ / "local-oci").string()}, hello);
  ASSERT_EQ(local.exit_code, 0) << local.err;
  EXPECT_FALSE(manifest_of(scratch_ / "remote-oci", "linux/amd64").empty());
  EXPECT_EQ(manifest_of(scratch_ / "remote-oci", "linux/amd64"), manifest_of(scratch_ / "local-oci", "linux/amd64"));
  EXPECT_EQ(manifest_of(scratch_ / "remote-oci", "linux/arm64"), manifest_of(scratch_ / "local-oci", "linux/arm64"));
}

TEST_F(SshBuilder, JobsCapsTheStagesRunningAtOnceOnTheBuilder) {
  // Two stages without needs, run at once (-j 4) unless the builder's jobs = 1 serializes them:
  // each holds a directory next to its sources on the builder and fails if the other has it.
  fs::path hello = project("jobs = 1\n");
  std::string config = read_file(hello / "xbuild.toml").value();
  const std::string exclusive =
      "run = '[ \"$XBUILD_PLATFORM\" = linux/amd64 ] || exit 0; mkdir \"$XBUILD_SRC/../busy\" || exit 9; sleep 1; "
      "rmdir \"$XBUILD_SRC/../busy\"'\n";
  config.insert(config.find("[image]"), "[stage.a]\n" + exclusive + "\n[stage.b]\n" + exclusive + "\n");
  scratch_.write("hello/xbuild.toml", config);
  CommandResult result = xbuild({"run", "--no-cache", "-j", "4"}, hello);
  ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
  EXPECT_TRUE(fs::exists(scratch_ / "hello/.xbuild/builders/box/slot-1"));
  EXPECT_FALSE(fs::exists(scratch_ / "hello/.xbuild/builders/box/slot-2"));
}

// A kept directory of a platform routed to a builder lives on the builder, under its work/
// ($XBUILD_WORK there), and is checked against its key there: reused when only the sources
// changed, wiped when the stage's configuration changed or with --clean, said in one line here.
TEST_F(SshBuilder, AKeptDirectoryLivesOnTheBuilderAndIsWipedThereWhenItsKeyChanges) {
  fs::path hello = project("");
  std::string config = read_file(hello / "xbuild.toml").value();
  const std::string stage =
      "[stage.objects]\nkeep = [\"obj\"]\nrun = 'cd \"$XBUILD_WORK/obj\" && if [ -f stamp ]; then echo reused; else "
      "echo fresh; touch stamp; fi'\n";
  config.insert(config.find("[image]"), stage + "\n");
  scratch_.write("hello/xbuild.toml", config);
  auto log = [&](const std::string& slug) { return read_file(hello / ".xbuild/logs" / slug / "objects.log").value(); };

  CommandResult first = xbuild({"run", "--progress", "plain"}, hello);
  ASSERT_EQ(first.exit_code, 0) << first.err << first.out;
  EXPECT_EQ(log("linux-amd64"), "fresh\n");
  EXPECT_EQ(log("linux-arm64"), "fresh\n");
  fs::path builder_work;  // $XBUILD_WORK on the builder
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(scratch_ / "remote"))
    if (entry.path().filename() == "stamp" && entry.path().parent_path().filename() == "obj" &&
        entry.path().parent_path().parent_path().filename() == "work")
      builder_work = entry.path().parent_path().parent_path();
  ASSERT_FALSE(builder_work.empty());

  scratch_.write("hello/notes.txt", "an edit of the sources");
  CommandResult edited = xbuild({"run", "--progress", "plain"}, hello);
  ASSERT_EQ(edited.exit_code, 0) << edited.err << edited.out;
  EXPECT_EQ(edited.out.find("wiped"), std::string::npos) << edited.out;
  EXPECT_EQ(log("linux-amd64"), "reused\n");
  EXPECT_EQ(log("linux-arm64"), "reused\n");

  config.insert(config.find("[stage.objects]\n") + 16, "env = { LEVEL = \"2\" }\n");
  scratch_.write("hello/xbuild.toml", config);
  CommandResult reconfigured = xbuild({"run", "--progress", "plain"}, hello);
  ASSERT_EQ(reconfigured.exit_code, 0) << reconfigured.err << reconfigured.out;
  EXPECT_NE(reconfigured.out.find("xbuild: linux/amd64 objects: $XBUILD_WORK/obj wiped on builder box: the stage's "
                                  "configuration changed (its command, shell or environment)\n"),
            std::string::npos)
      << reconfigured.out;
  EXPECT_NE(reconfigured.out.find("xbuild: linux/arm64 objects: $XBUILD_WORK/obj wiped: the stage's configuration "
                                  "changed (its command, shell or environment)\n"),
            std::string::npos)
      << reconfigured.out;
  EXPECT_EQ(log("linux-amd64"), "fresh\n");

  // What no stage keeps does not survive there either.
  fs::create_directories(builder_work / ".stray");
  CommandResult clean = xbuild({"run", "--progress", "plain", "--clean"}, hello);
  ASSERT_EQ(clean.exit_code, 0) << clean.err << clean.out;
  EXPECT_NE(clean.out.find("xbuild: linux/amd64 objects: $XBUILD_WORK/obj wiped on builder box: --clean\n"),
            std::string::npos)
      << clean.out;
  EXPECT_EQ(log("linux-amd64"), "fresh\n");
  EXPECT_FALSE(fs::exists(builder_work / ".stray"));
  EXPECT_TRUE(fs::exists(builder_work / "obj/stamp"));
}

TEST_F(SshBuilder, AWrongHostKeyIsRefusedByOpenSsh) {
  fs::path hello = project("");
  std::string config = read_file(hello / "xbuild.toml").value();
  config.replace(config.find("ssh/ssh_config"), 14, "ssh/wrong_ssh_config");
  scratch_.write("hello/xbuild.toml", config);
  CommandResult result = xbuild({"run", "--no-cache"}, hello);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find(
                "xbuild: builder box (ssh root@xbuild-test-builder) is unreachable: Host key verification "
                "failed.; linux/amd64 fails (fallback = \"local\" in [builder.box] would build it here instead)\n"),
            std::string::npos)
      << result.out;
}

TEST_F(SshBuilder, AnUnreachableBuilderFailsItsPlatformUnlessFallbackIsLocal) {
  int closed = free_port();
  fs::path hello = project("port = " + std::to_string(closed) + "\n");
  std::string unreachable = "xbuild: builder box (ssh root@xbuild-test-builder port " + std::to_string(closed) +
                            ") is unreachable: ssh: connect to host 127.0.0.1 port " + std::to_string(closed) +
                            ": Connection refused";
  CommandResult failed = xbuild({"run", "--no-cache", "-k"}, hello);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.out.find(unreachable + "; linux/amd64 fails (fallback = \"local\" in [builder.box] would build it "
                                          "here instead)\n"),
            std::string::npos)
      << failed.out;
  EXPECT_NE(failed.out.find("[linux/amd64 build] " + unreachable + "\n"), std::string::npos) << failed.out;
  EXPECT_NE(failed.err.find("xbuild: error: stage \"build\" failed on linux/amd64 (exit status 255)"),
            std::string::npos)
      << failed.err;

  std::string config = read_file(hello / "xbuild.toml").value();
  scratch_.write("hello/xbuild.toml", config + "fallback = \"local\"\n");
  CommandResult fallback = xbuild({"run", "--no-cache"}, hello);
  ASSERT_EQ(fallback.exit_code, 0) << fallback.err;
  EXPECT_EQ(fallback.out.rfind(unreachable + "; building linux/amd64 here instead (fallback = \"local\")\n", 0), 0u)
      << fallback.out;
  EXPECT_EQ(elf_machine(hello / ".xbuild/out/linux-amd64/hello"), 0x3e);
}

}  // namespace
}  // namespace xb::testing
