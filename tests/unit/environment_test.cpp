// Tests for environment.cpp (the stage environment of toolchains/*.toml entries and of bare-metal
// targets) and discovery.cpp (discover() against a fake finder, the real finder against this
// machine). The real-OS checks skip when a tool is missing, except in CI.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/fake_tool_finder.h"
#include "support/require.h"
#include "support/scratch_dir.h"
#include "toolchain/cross_files.h"
#include "toolchain/environment.h"
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

using Environment = std::map<std::string, std::string>;

const ToolchainCatalog& shipped_catalog() {
  static const ToolchainCatalog catalog = ToolchainCatalog::load(data_directory() / "toolchains").value_or_throw();
  return catalog;
}

Platform platform(std::string_view spec) { return parse_platform(spec).value_or_throw(); }

const Toolchain& toolchain_for(std::string_view spec) {
  const Toolchain* toolchain = shipped_catalog().find(platform(spec));
  if (!toolchain) throw Error("no toolchain for " + std::string(spec));
  return *toolchain;
}

TEST(EnvironmentTest, CrossArmV7StageSeesExactlyThis) {
  StageEnvironmentInput input;
  input.target = platform("linux/arm/v7");
  input.build = platform("linux/amd64");
  input.strategy = Strategy::cross;
  input.toolchain = &toolchain_for("linux/arm/v7");
  input.source_dir = "/home/me/app";
  input.output_dir = "/home/me/app/.xbuild/out/linux-arm-v7";
  input.work_dir = "/home/me/app/.xbuild/work/linux-arm-v7";
  input.meson_cross_file = "/home/me/app/.xbuild/cross/linux-arm-v7.ini";
  input.cmake_toolchain_file = "/home/me/app/.xbuild/cross/linux-arm-v7.cmake";
  input.source_date_epoch = 1700000000;

  EXPECT_EQ(stage_environment(input),
            (Environment{
                {"AR", "arm-linux-gnueabihf-ar"},
                {"BUILDPLATFORM", "linux/amd64"},
                {"CC", "arm-linux-gnueabihf-gcc"},
                {"CMAKE_TOOLCHAIN_FILE", "/home/me/app/.xbuild/cross/linux-arm-v7.cmake"},
                {"CXX", "arm-linux-gnueabihf-g++"},
                {"LD", "arm-linux-gnueabihf-ld"},
                {"NM", "arm-linux-gnueabihf-nm"},
                {"OBJCOPY", "arm-linux-gnueabihf-objcopy"},
                {"PKG_CONFIG", "pkg-config"},
                {"PKG_CONFIG_LIBDIR", "/usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig"},
                {"RANLIB", "arm-linux-gnueabihf-ranlib"},
                {"SOURCE_DATE_EPOCH", "1700000000"},
                {"STRIP", "arm-linux-gnueabihf-strip"},
                {"TARGETARCH", "arm"},
                {"TARGETOS", "linux"},
                {"TARGETPLATFORM", "linux/arm/v7"},
                {"TARGETVARIANT", "v7"},
                {"XBUILD_ARCH", "arm"},
                {"XBUILD_CMAKE_ARGS", "-DCMAKE_TOOLCHAIN_FILE=/home/me/app/.xbuild/cross/linux-arm-v7.cmake"},
                {"XBUILD_CONFIGURE_ARGS", "--host=arm-linux-gnueabihf"},
                {"XBUILD_EXEC", "qemu-arm-static -L /usr/arm-linux-gnueabihf"},
                {"XBUILD_MESON_ARGS", "--cross-file /home/me/app/.xbuild/cross/linux-arm-v7.ini"},
                {"XBUILD_MESON_CROSS_FILE", "/home/me/app/.xbuild/cross/linux-arm-v7.ini"},
                {"XBUILD_OS", "linux"},
                {"XBUILD_OUT", "/home/me/app/.xbuild/out/linux-arm-v7"},
                {"XBUILD_WORK", "/home/me/app/.xbuild/work/linux-arm-v7"},
                {"XBUILD_PLATFORM", "linux/arm/v7"},
                {"XBUILD_SRC", "/home/me/app"},
                {"XBUILD_STRATEGY", "cross"},
                {"XBUILD_TRIPLE", "arm-linux-gnueabihf"},
                {"XBUILD_VARIANT", "v7"},
            }));
}

// A sysroot made from packages: the compilers name it, pkg-config looks only there, and QEMU loads
// target binaries' libraries from the ld prefix; configure is told the build machine too.
TEST(EnvironmentTest, ACrossStageWithASysrootUsesItEverywhere) {
  StageEnvironmentInput input;
  input.target = platform("linux/arm64");
  input.build = platform("linux/amd64");
  input.build_triple = "x86_64-linux-gnu";
  input.strategy = Strategy::cross;
  input.toolchain = &toolchain_for("linux/arm64");
  input.roots = {"/cache/sysroot", "/cache/sysroot"};
  Environment env = stage_environment(input);
  EXPECT_EQ(env.at("CC"), "aarch64-linux-gnu-gcc --sysroot=/cache/sysroot");
  EXPECT_EQ(env.at("CXX"), "aarch64-linux-gnu-g++ --sysroot=/cache/sysroot");
  EXPECT_EQ(env.at("PKG_CONFIG_SYSROOT_DIR"), "/cache/sysroot");
  EXPECT_EQ(env.at("PKG_CONFIG_LIBDIR"),
            "/cache/sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:/cache/sysroot/usr/share/"
            "pkgconfig:/cache/sysroot/usr/lib/pkgconfig");
  EXPECT_EQ(env.at("QEMU_LD_PREFIX"), "/cache/sysroot");
  EXPECT_EQ(env.at("XBUILD_EXEC"), "qemu-aarch64-static -L /cache/sysroot");
  EXPECT_EQ(env.at("XBUILD_CONFIGURE_ARGS"), "--build=x86_64-linux-gnu --host=aarch64-linux-gnu");
}

// Native: nothing to wrap a binary in, no cross files, and the host's pkg-config search path.
TEST(EnvironmentTest, NativeAmd64StageSeesExactlyThis) {
  StageEnvironmentInput input;
  input.target = platform("linux/amd64");
  input.build = platform("linux/amd64");
  input.strategy = Strategy::native;
  input.toolchain = &toolchain_for("linux/amd64");
  input.source_dir = "/src";
  input.output_dir = "/src/.xbuild/out/linux-amd64";
  input.work_dir = "/src/.xbuild/work/linux-amd64";
  input.source_date_epoch = 0;

  EXPECT_EQ(stage_environment(input), (Environment{
                                          {"AR", "x86_64-linux-gnu-ar"},
                                          {"BUILDPLATFORM", "linux/amd64"},
                                          {"CC", "x86_64-linux-gnu-gcc"},
                                          {"CXX", "x86_64-linux-gnu-g++"},
                                          {"LD", "x86_64-linux-gnu-ld"},
                                          {"NM", "x86_64-linux-gnu-nm"},
                                          {"OBJCOPY", "x86_64-linux-gnu-objcopy"},
                                          {"PKG_CONFIG", "pkg-config"},
                                          {"RANLIB", "x86_64-linux-gnu-ranlib"},
                                          {"SOURCE_DATE_EPOCH", "0"},
                                          {"STRIP", "x86_64-linux-gnu-strip"},
                                          {"TARGETARCH", "amd64"},
                                          {"TARGETOS", "linux"},
                                          {"TARGETPLATFORM", "linux/amd64"},
                                          {"TARGETVARIANT", ""},
                                          {"XBUILD_ARCH", "amd64"},
                                          {"XBUILD_CMAKE_ARGS", ""},
                                          {"XBUILD_CONFIGURE_ARGS", ""},
                                          {"XBUILD_EXEC", ""},
                                          {"XBUILD_MESON_ARGS", ""},
                                          {"XBUILD_OS", "linux"},
                                          {"XBUILD_OUT", "/src/.xbuild/out/linux-amd64"},
                                          {"XBUILD_WORK", "/src/.xbuild/work/linux-amd64"},
                                          {"XBUILD_PLATFORM", "linux/amd64"},
                                          {"XBUILD_SRC", "/src"},
                                          {"XBUILD_STRATEGY", "native"},
                                          {"XBUILD_TRIPLE", "x86_64-linux-gnu"},
                                          {"XBUILD_VARIANT", ""},
                                      }));
}

// An emulated stage without a toolchain runs the target's own tools: only the xbuild names.
TEST(EnvironmentTest, EmulatedStageWithoutToolchainHasNoToolVariables) {
  StageEnvironmentInput input;
  input.target = platform("linux/riscv64");
  input.build = platform("linux/amd64");
  input.strategy = Strategy::emulate;
  input.source_dir = "/src";
  input.output_dir = "/out";
  input.source_date_epoch = 42;
  Environment env = stage_environment(input);
  EXPECT_EQ(env.count("CC"), 0u);
  EXPECT_EQ(env.count("PKG_CONFIG_LIBDIR"), 0u);
  EXPECT_EQ(env.at("XBUILD_STRATEGY"), "emulate");
  EXPECT_EQ(env.at("XBUILD_EXEC"), "");
  EXPECT_EQ(env.at("XBUILD_TRIPLE"), "");
  EXPECT_EQ(env.at("SOURCE_DATE_EPOCH"), "42");
}

TEST(EnvironmentTest, ExecPrefixIsTheRunnerOnlyForCross) {
  const Toolchain& arm64 = toolchain_for("linux/arm64");
  EXPECT_EQ(exec_prefix(arm64, Strategy::cross),
            (std::vector<std::string>{"qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"}));
  EXPECT_TRUE(exec_prefix(arm64, Strategy::native).empty());
  EXPECT_TRUE(exec_prefix(arm64, Strategy::emulate).empty());
  EXPECT_TRUE(exec_prefix(toolchain_for("linux/amd64"), Strategy::cross).empty());
}

TEST(EnvironmentTest, ExecIsQuotedForTheShell) {
  Toolchain toolchain = toolchain_for("linux/arm64");
  toolchain.runner = {"/opt/my qemu/qemu-aarch64", "-L", "/opt/it's/sysroot"};
  StageEnvironmentInput input;
  input.target = toolchain.platform;
  input.build = platform("linux/amd64");
  input.strategy = Strategy::cross;
  input.toolchain = &toolchain;
  EXPECT_EQ(stage_environment(input).at("XBUILD_EXEC"), "'/opt/my qemu/qemu-aarch64' -L '/opt/it'\\''s/sysroot'");
}

TEST(EnvironmentTest, WindowsStageRunsBinariesUnderWineInTheStateDirectorysPrefix) {
  StageEnvironmentInput input;
  input.target = platform("windows/amd64");
  input.build = platform("linux/amd64");
  input.strategy = Strategy::cross;
  input.toolchain = &toolchain_for("windows/amd64");
  input.source_dir = "/home/me/app";
  input.output_dir = "/home/me/app/.xbuild/out/windows-amd64";
  input.state_dir = "/home/me/app/.xbuild";
  Environment env = stage_environment(input);
  EXPECT_EQ(env.at("XBUILD_EXEC"), "wine");
  EXPECT_EQ(env.at("WINEPREFIX"), "/home/me/app/.xbuild/wine/windows-amd64");
  EXPECT_EQ(env.at("WINEDEBUG"), "-all");
  EXPECT_EQ(env.at("CC"), "x86_64-w64-mingw32-gcc");
  EXPECT_EQ(env.at("XBUILD_OS"), "windows");
  EXPECT_EQ(env.at("TARGETOS"), "windows");
  // The runner's variables belong to the runner: a strategy that does not use it has none.
  input.strategy = Strategy::native;
  EXPECT_EQ(stage_environment(input).count("WINEPREFIX"), 0u);
  const std::string meson = meson_cross_file(toolchain_for("windows/amd64"), {"wine"});
  EXPECT_NE(meson.find("system = 'windows'\n"), std::string::npos) << meson;
  EXPECT_NE(meson.find("exe_wrapper = ['wine']\n"), std::string::npos) << meson;
}

// A sysroot that holds the target's own .pc files (a copied target filesystem) gets
// PKG_CONFIG_SYSROOT_DIR and Meson's sys_root; Debian's multiarch layout does not (see above).
TEST(EnvironmentTest, PkgConfigSysrootOnlyWhenThePcFilesAreInsideTheSysroot) {
  Toolchain toolchain = toolchain_for("linux/arm64");
  StageEnvironmentInput input;
  input.target = toolchain.platform;
  input.build = platform("linux/amd64");
  input.strategy = Strategy::cross;
  input.toolchain = &toolchain;
  EXPECT_EQ(stage_environment(input).count("PKG_CONFIG_SYSROOT_DIR"), 0u);
  EXPECT_EQ(meson_cross_file(toolchain, {}).find("sys_root"), std::string::npos);

  toolchain.sysroot = "/opt/sysroots/arm64";
  toolchain.pkg_config_libdir = "/opt/sysroots/arm64/usr/lib/pkgconfig:/opt/sysroots/arm64/usr/share/pkgconfig";
  Environment env = stage_environment(input);
  EXPECT_EQ(env.at("PKG_CONFIG_SYSROOT_DIR"), "/opt/sysroots/arm64");
  EXPECT_EQ(env.at("PKG_CONFIG_LIBDIR"), toolchain.pkg_config_libdir);
  EXPECT_NE(meson_cross_file(toolchain, {}).find("sys_root = '/opt/sysroots/arm64'\n"), std::string::npos);
}

// A bare-metal stage: the target's tools by its triple, its flags, and `xbuild firmware test`
// as XBUILD_EXEC; the cross files only when their paths are given.
TEST(EnvironmentTest, FirmwareStageSeesItsToolsAndFlags) {
  firmware::Target m0;
  m0.name = "m0";
  m0.triple = "arm-none-eabi";
  m0.cpu = "cortex-m0";
  m0.machine = "microbit";
  m0.cflags = {"-mcpu=cortex-m0", "-mthumb"};
  m0.ldflags = {"--specs=rdimon.specs"};
  Environment env = firmware::stage_environment(m0, "/usr/bin/xbuild", {}, {});
  EXPECT_EQ(env.at("CC"), "arm-none-eabi-gcc");
  EXPECT_EQ(env.at("CFLAGS"), "-mcpu=cortex-m0 -mthumb");
  EXPECT_EQ(env.at("CXXFLAGS"), "-mcpu=cortex-m0 -mthumb");
  EXPECT_EQ(env.at("LDFLAGS"), "--specs=rdimon.specs");
  EXPECT_EQ(env.at("SIZE"), "arm-none-eabi-size");
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_TARGET"), "m0");
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_CPU"), "cortex-m0");
  EXPECT_EQ(env.at("XBUILD_FIRMWARE_MACHINE"), "microbit");
  EXPECT_EQ(env.at("XBUILD_EXEC"), "/usr/bin/xbuild firmware test --target m0");
  EXPECT_EQ(env.count("XBUILD_MESON_CROSS_FILE"), 0u);
  EXPECT_EQ(env.count("CMAKE_TOOLCHAIN_FILE"), 0u);
  env = firmware::stage_environment(m0, "/usr/bin/xbuild", "/s/m0.ini", "/s/m0.cmake");
  EXPECT_EQ(env.at("XBUILD_MESON_CROSS_FILE"), "/s/m0.ini");
  EXPECT_EQ(env.at("CMAKE_TOOLCHAIN_FILE"), "/s/m0.cmake");
}

// --- discover() against a fake finder ---------------------------------------------------------

class DiscoverTest : public ::testing::Test {
 protected:
  const Toolchain& arm64 = toolchain_for("linux/arm64");
  testing::FakeToolFinder finder;
};

TEST_F(DiscoverTest, EverythingPresentIsUsable) {
  finder.add_program("aarch64-linux-gnu-gcc", "12.2.0")
      .add_program("qemu-aarch64-static")
      .add_file("/usr/aarch64-linux-gnu/include/stdio.h");
  ToolchainStatus status = discover(arm64, finder);
  EXPECT_TRUE(status.usable());
  EXPECT_EQ(status.compiler, fs::path("/usr/bin/aarch64-linux-gnu-gcc"));
  EXPECT_EQ(status.compiler_version, "12.2.0");
  EXPECT_TRUE(status.libc_present);
  EXPECT_EQ(status.runner, fs::path("/usr/bin/qemu-aarch64-static"));
  EXPECT_TRUE(status.missing.empty());
  EXPECT_TRUE(status.missing_packages.empty());
  // The C++ compiler is optional: discovery does not ask for it.
  EXPECT_EQ(finder.asked, (std::vector<std::string>{
                              "find_program aarch64-linux-gnu-gcc",
                              "compiler_version /usr/bin/aarch64-linux-gnu-gcc",
                              "exists /usr/aarch64-linux-gnu/include/stdio.h",
                              "find_program qemu-aarch64-static",
                          }));
}

TEST_F(DiscoverTest, MissingCompilerNamesItsPackage) {
  finder.add_program("qemu-aarch64-static").add_file("/usr/aarch64-linux-gnu/include/stdio.h");
  ToolchainStatus status = discover(arm64, finder);
  EXPECT_FALSE(status.usable());
  EXPECT_EQ(status.compiler, std::nullopt);
  EXPECT_EQ(status.compiler_version, "");
  EXPECT_EQ(status.missing, std::vector<std::string>{"aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)"});
  EXPECT_EQ(status.missing_packages, std::vector<std::string>{"gcc-aarch64-linux-gnu"});
}

TEST_F(DiscoverTest, MissingRunnerNamesQemuUserStatic) {
  finder.add_program("aarch64-linux-gnu-gcc", "12.2.0").add_file("/usr/aarch64-linux-gnu/include/stdio.h");
  ToolchainStatus status = discover(arm64, finder);
  EXPECT_FALSE(status.usable());
  EXPECT_EQ(status.runner, std::nullopt);
  EXPECT_EQ(status.missing, std::vector<std::string>{"qemu-aarch64-static (install qemu-user-static)"});
  EXPECT_EQ(status.missing_packages, std::vector<std::string>{"qemu-user-static"});
}

TEST_F(DiscoverTest, NothingInstalledListsEveryPackageOnce) {
  Toolchain toolchain = arm64;
  toolchain.packages["runner"] = {"qemu-user-static", "gcc-aarch64-linux-gnu"};  // a repeat
  ToolchainStatus status = discover(toolchain, finder);
  EXPECT_EQ(status.missing, (std::vector<std::string>{
                                "aarch64-linux-gnu-gcc (install gcc-aarch64-linux-gnu)",
                                "C library headers for aarch64-linux-gnu (install libc6-dev-arm64-cross)",
                                "qemu-aarch64-static (install qemu-user-static gcc-aarch64-linux-gnu)",
                            }));
  EXPECT_EQ(status.missing_packages,
            (std::vector<std::string>{"gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross", "qemu-user-static"}));
}

TEST_F(DiscoverTest, HostToolchainChecksUsrIncludeAndHasNoRunner) {
  finder.add_program("x86_64-linux-gnu-gcc", "12.2.0");
  ToolchainStatus status = discover(toolchain_for("linux/amd64"), finder);
  EXPECT_EQ(status.missing, std::vector<std::string>{"C library headers for x86_64-linux-gnu (install libc6-dev)"});
  EXPECT_EQ(status.missing_packages, std::vector<std::string>{"libc6-dev"});
  EXPECT_EQ(finder.asked, (std::vector<std::string>{
                              "find_program x86_64-linux-gnu-gcc",
                              "compiler_version /usr/bin/x86_64-linux-gnu-gcc",
                              "exists /usr/include/stdio.h",
                          }));
}

// --- the real finder and the generated files against this machine ---------------------------

// Sets an environment variable for one scope and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

fs::path write_script(const testing::ScratchDir& scratch, const std::string& name, const std::string& body) {
  fs::path path = scratch.write(name, "#!/bin/sh\n" + body);
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

TEST(DiscoverSystemTest, FindProgramSearchesPathForExecutableFiles) {
  testing::ScratchDir scratch;
  write_script(scratch, "first/tool", "exit 0\n");
  write_script(scratch, "second/tool", "exit 0\n");
  scratch.write("first/plain", "not executable");
  write_script(scratch, "second/plain", "exit 0\n");
  fs::create_directories(scratch / "first" / "dir-tool");
  ScopedEnv path("PATH", (scratch / "first").string() + ":" + (scratch / "second").string());
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  EXPECT_EQ(finder->find_program("tool"), scratch / "first" / "tool");
  EXPECT_EQ(finder->find_program("plain"), scratch / "second" / "plain");
  EXPECT_EQ(finder->find_program("dir-tool"), std::nullopt);
  EXPECT_EQ(finder->find_program("no-such-tool"), std::nullopt);
  EXPECT_EQ(finder->find_program((scratch / "first" / "tool").string()), scratch / "first" / "tool");
  EXPECT_EQ(finder->find_program((scratch / "first" / "plain").string()), std::nullopt);
  EXPECT_TRUE(finder->exists(scratch / "first" / "plain"));
  EXPECT_FALSE(finder->exists(scratch / "nothing"));
}

TEST(DiscoverSystemTest, CompilerVersionAsksTheCompiler) {
  testing::ScratchDir scratch;
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  fs::path gcc = write_script(scratch, "gcc", "[ \"$1\" = -dumpfullversion ] && echo 12.2.0\n");
  EXPECT_EQ(finder->compiler_version(gcc), "12.2.0");
  fs::path old = write_script(scratch, "old-cc", "[ \"$1\" = -dumpversion ] || exit 1\necho 15\n");
  EXPECT_EQ(finder->compiler_version(old), "15");
  fs::path broken = write_script(scratch, "broken-cc", "echo oops; exit 3\n");
  EXPECT_EQ(finder->compiler_version(broken), "");
  EXPECT_EQ(finder->compiler_version(scratch / "absent-cc"), "");
}

// A compiler that does not answer in time is killed and has no version; so has one that closes
// its output but does not exit.
TEST(DiscoverSystemTest, CompilerVersionGivesUpAfterTheTimeout) {
  testing::ScratchDir scratch;
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder(std::chrono::milliseconds(300));
  fs::path hanging = write_script(scratch, "hanging-cc", "echo 1.2.3\nexec sleep 30\n");
  fs::path lingering = write_script(scratch, "lingering-cc", "echo 1.2.3\nexec >&- sleep 30\n");
  for (const fs::path& compiler : {hanging, lingering}) {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    EXPECT_EQ(finder->compiler_version(compiler), "") << compiler;
    // Two probes (-dumpfullversion, -dumpversion) of 300 ms each, and no waiting for the sleep.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << compiler;
  }
}

// Versions are remembered between finders through the memo file: the second finder starts no
// compiler; a changed compiler binary is asked again; a failed probe is not remembered.
TEST(DiscoverSystemTest, RemembersCompilerVersionsUntilTheCompilerChanges) {
  testing::ScratchDir scratch;
  fs::path memo = scratch / "cache" / "compilers";
  fs::path asked = scratch / "asked";
  std::string body = "echo x >> " + shell_quote(asked.string()) + "\necho 4.5.6\n";
  fs::path compiler = write_script(scratch, "memo-cc", body);
  auto times_asked = [&] { return fs::exists(asked) ? split(read_file(asked).value(), '\n').size() - 1 : 0u; };

  EXPECT_EQ(make_system_tool_finder(std::chrono::seconds(5), memo)->compiler_version(compiler), "4.5.6");
  EXPECT_EQ(times_asked(), 1u);
  EXPECT_TRUE(fs::exists(memo));
  EXPECT_EQ(make_system_tool_finder(std::chrono::seconds(5), memo)->compiler_version(compiler), "4.5.6");
  EXPECT_EQ(times_asked(), 1u);

  fs::path replaced = write_script(scratch, "memo-cc.new", body + "# upgraded\n");
  fs::rename(replaced, compiler);  // a new inode and size, as a package upgrade gives
  EXPECT_EQ(make_system_tool_finder(std::chrono::seconds(5), memo)->compiler_version(compiler), "4.5.6");
  EXPECT_EQ(times_asked(), 2u);

  fs::path broken = write_script(scratch, "broken-cc", "exit 3\n");
  EXPECT_EQ(make_system_tool_finder(std::chrono::seconds(5), memo)->compiler_version(broken), "");
  EXPECT_EQ(read_file(memo).value().find("broken-cc"), std::string::npos);
}

// What the run's plan step asks before it starts a thread to probe a compiler: a version in the
// memo (or asked already) is known without starting the compiler; a changed compiler is not.
TEST(DiscoverSystemTest, KnowsRememberedVersionsWithoutAskingTheCompiler) {
  testing::ScratchDir scratch;
  fs::path memo = scratch / "cache" / "compilers";
  fs::path asked = scratch / "asked";
  std::string body = "echo x >> " + shell_quote(asked.string()) + "\necho 7.1.0\n";
  fs::path compiler = write_script(scratch, "known-cc", body);

  std::unique_ptr<ToolFinder> first = make_system_tool_finder(std::chrono::seconds(5), memo);
  EXPECT_EQ(first->known_compiler_version(compiler), std::nullopt);
  EXPECT_FALSE(fs::exists(asked));
  EXPECT_EQ(first->compiler_version(compiler), "7.1.0");
  EXPECT_EQ(first->known_compiler_version(compiler), "7.1.0");
  first.reset();  // writes the memo

  EXPECT_EQ(make_system_tool_finder(std::chrono::seconds(5), memo)->known_compiler_version(compiler), "7.1.0");
  fs::rename(write_script(scratch, "known-cc.new", body + "# upgraded\n"), compiler);
  EXPECT_EQ(make_system_tool_finder(std::chrono::seconds(5), memo)->known_compiler_version(compiler), std::nullopt);
  EXPECT_EQ(split(read_file(asked).value(), '\n').size() - 1, 1u);  // only compiler_version asked it
  EXPECT_EQ(make_system_tool_finder()->known_compiler_version(compiler), std::nullopt);  // no memo
}

// A finder answers each name once: the run asks for every compiler twice (its version probe,
// then the plan's discovery), and PATH does not change within a run.
TEST(DiscoverSystemTest, FindProgramSearchesPathOncePerName) {
  testing::ScratchDir scratch;
  fs::path tool = write_script(scratch, "bin/once-tool", "exit 0\n");
  ScopedEnv path("PATH", (scratch / "bin").string());
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  EXPECT_EQ(finder->find_program("once-tool"), tool);
  EXPECT_EQ(finder->find_program("later-tool"), std::nullopt);
  fs::remove(tool);
  write_script(scratch, "bin/later-tool", "exit 0\n");
  EXPECT_EQ(finder->find_program("once-tool"), tool);
  EXPECT_EQ(finder->find_program("later-tool"), std::nullopt);
  EXPECT_EQ(make_system_tool_finder()->find_program("later-tool"), scratch / "bin" / "later-tool");
}

TEST(DiscoverSystemTest, FindsTheInstalledArm64CrossToolchain) {
  std::unique_ptr<ToolFinder> finder = make_system_tool_finder();
  ToolchainStatus status = discover(toolchain_for("linux/arm64"), *finder);
  if (!status.usable()) XB_MACHINE_CANNOT("arm64 cross toolchain not installed: " + join(status.missing, "; "));
  ASSERT_TRUE(status.compiler.has_value());
  EXPECT_EQ(status.compiler->filename(), "aarch64-linux-gnu-gcc");
  EXPECT_EQ(split(status.compiler_version, '.').size(), 3u) << status.compiler_version;
  EXPECT_TRUE(status.libc_present);
  ASSERT_TRUE(status.runner.has_value());
  EXPECT_EQ(status.runner->filename(), "qemu-aarch64-static");
}

}  // namespace
}  // namespace xb
