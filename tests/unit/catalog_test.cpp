// Tests for catalog.cpp: the shipped toolchains/*.toml and qemu/*.toml, find(), data_directory(),
// and the exact errors a bad toolchain file gets.
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "support/scratch_dir.h"
#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {
namespace {

namespace fs = std::filesystem;

const ToolchainCatalog& shipped_catalog() {
  static const ToolchainCatalog catalog = ToolchainCatalog::load(data_directory() / "toolchains").value_or_throw();
  return catalog;
}

Platform platform(std::string_view spec) { return parse_platform(spec).value_or_throw(); }

// Loads a directory holding the given files and returns the error text ("" when it loads).
std::string load_error(const testing::ScratchDir& scratch,
                       const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [name, text] : files) scratch.write("toolchains/" + name, text);
  Result<ToolchainCatalog> catalog = ToolchainCatalog::load(scratch / "toolchains");
  return catalog.ok() ? std::string() : catalog.error();
}

// A valid toolchain file, to break one line at a time.
const char* const kGoodFile = R"(platform = "linux/arm64"
triple = "aarch64-linux-gnu"
sysroot = "/usr/aarch64-linux-gnu"
pkg_config_libdir = "/usr/lib/aarch64-linux-gnu/pkgconfig"
runner = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"]
qemu_arch = "aarch64"

[tools]
CC = "aarch64-linux-gnu-gcc"
CXX = "aarch64-linux-gnu-g++"
AR = "aarch64-linux-gnu-ar"
RANLIB = "aarch64-linux-gnu-ranlib"
STRIP = "aarch64-linux-gnu-strip"
LD = "aarch64-linux-gnu-ld"
OBJCOPY = "aarch64-linux-gnu-objcopy"
NM = "aarch64-linux-gnu-nm"

[meson]
system = "linux"
cpu_family = "aarch64"
cpu = "aarch64"
endian = "little"

[cmake]
system_name = "Linux"
system_processor = "aarch64"

[packages]
compiler = ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]
cxx = ["g++-aarch64-linux-gnu"]
runner = ["qemu-user-static"]
)";

std::string replaced(std::string text, std::string_view from, std::string_view to) {
  std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(CatalogTest, LoadsEveryShippedToolchainInNameOrder) {
  std::vector<std::string> ids;
  for (const Toolchain& toolchain : shipped_catalog().all()) ids.push_back(toolchain.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"linux-386", "linux-amd64", "linux-arm-v7", "linux-arm64", "linux-riscv64",
                                           "windows-amd64"}));
}

TEST(CatalogTest, EveryShippedLinuxToolchainHasItsFields) {
  for (const Toolchain& toolchain : shipped_catalog().all()) {
    if (toolchain.platform.os != "linux") continue;
    SCOPED_TRACE(toolchain.id);
    EXPECT_EQ(toolchain.platform.slug(), toolchain.id);
    EXPECT_EQ(toolchain.source, data_directory() / "toolchains" / (toolchain.id + ".toml"));
    EXPECT_FALSE(toolchain.triple.empty());
    EXPECT_FALSE(toolchain.qemu_arch.empty());
    for (const char* variable : {"CC", "CXX", "AR", "RANLIB", "STRIP", "LD", "OBJCOPY", "NM"}) {
      ASSERT_EQ(toolchain.tools.count(variable), 1u) << variable;
      EXPECT_TRUE(starts_with(toolchain.tools.at(variable), toolchain.triple + "-")) << variable;
    }
    EXPECT_EQ(toolchain.tools.size(), 8u);
    EXPECT_EQ(toolchain.meson.system, "linux");
    EXPECT_EQ(toolchain.meson.endian, "little");
    EXPECT_FALSE(toolchain.meson.cpu_family.empty());
    EXPECT_FALSE(toolchain.meson.cpu.empty());
    EXPECT_EQ(toolchain.cmake.system_name, "Linux");
    EXPECT_FALSE(toolchain.cmake.system_processor.empty());
    ASSERT_EQ(toolchain.packages.count("compiler"), 1u);
    EXPECT_EQ(toolchain.packages.at("compiler").size(), 2u);
    EXPECT_EQ(toolchain.packages.count("cxx"), 1u);
    EXPECT_EQ(toolchain.packages.count("runner"), 1u);
    EXPECT_TRUE(starts_with(toolchain.pkg_config_libdir, "/usr/lib/"));
    EXPECT_TRUE(toolchain.runner_env.empty());
    EXPECT_TRUE(toolchain.runner_setup.command.empty());
    // A cross toolchain runs its binaries with qemu-<arch>-static -L <the target's libraries>; the
    // host's does not.
    if (toolchain.sysroot.empty()) {
      EXPECT_TRUE(toolchain.runner.empty());
    } else {
      EXPECT_EQ(toolchain.runner,
                (std::vector<std::string>{"qemu-" + toolchain.qemu_arch + "-static", "-L", "{ld_prefix}"}));
      EXPECT_EQ(toolchain.packages.at("runner"), std::vector<std::string>{"qemu-user-static"});
    }
  }
}

TEST(CatalogTest, Arm64ToolchainReadsExactly) {
  const Toolchain* arm64 = shipped_catalog().find(platform("linux/arm64"));
  ASSERT_NE(arm64, nullptr);
  EXPECT_EQ(arm64->id, "linux-arm64");
  EXPECT_EQ(arm64->platform, (Platform{"linux", "arm64", "", ""}));
  EXPECT_EQ(arm64->triple, "aarch64-linux-gnu");
  EXPECT_EQ(arm64->sysroot, "/usr/aarch64-linux-gnu");
  EXPECT_EQ(arm64->tools.at("CC"), "aarch64-linux-gnu-gcc");
  EXPECT_EQ(arm64->tools.at("OBJCOPY"), "aarch64-linux-gnu-objcopy");
  EXPECT_EQ(arm64->pkg_config_libdir, "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig");
  EXPECT_EQ(arm64->runner, (std::vector<std::string>{"qemu-aarch64-static", "-L", "{ld_prefix}"}));
  EXPECT_EQ(arm64->qemu_arch, "aarch64");
  EXPECT_EQ(arm64->meson.cpu_family, "aarch64");
  EXPECT_EQ(arm64->meson.cpu, "aarch64");
  EXPECT_EQ(arm64->cmake.system_processor, "aarch64");
  EXPECT_EQ(arm64->packages.at("compiler"),
            (std::vector<std::string>{"gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"}));
  EXPECT_EQ(arm64->packages.at("cxx"), std::vector<std::string>{"g++-aarch64-linux-gnu"});
}

TEST(CatalogTest, HostToolchainHasNoSysrootAndNoRunner) {
  const Toolchain* amd64 = shipped_catalog().find(platform("linux/amd64"));
  ASSERT_NE(amd64, nullptr);
  EXPECT_EQ(amd64->triple, "x86_64-linux-gnu");
  EXPECT_EQ(amd64->tools.at("CC"), "x86_64-linux-gnu-gcc");
  EXPECT_EQ(amd64->sysroot, "");
  EXPECT_TRUE(amd64->runner.empty());
  EXPECT_EQ(amd64->packages.at("compiler"), (std::vector<std::string>{"gcc", "libc6-dev"}));
}

struct FindCase {
  const char* specifier;
  const char* id;  // nullptr: no toolchain
  const char* triple;
  const char* meson_cpu_family;
  const char* meson_cpu;
};

class CatalogFindTest : public ::testing::TestWithParam<FindCase> {};

TEST_P(CatalogFindTest, FindsByNormalizedPlatform) {
  const FindCase& c = GetParam();
  const Toolchain* toolchain = shipped_catalog().find(platform(c.specifier));
  if (!c.id) {
    EXPECT_EQ(toolchain, nullptr);
    return;
  }
  ASSERT_NE(toolchain, nullptr);
  EXPECT_EQ(toolchain->id, c.id);
  EXPECT_EQ(toolchain->triple, c.triple);
  EXPECT_EQ(toolchain->meson.cpu_family, c.meson_cpu_family);
  EXPECT_EQ(toolchain->meson.cpu, c.meson_cpu);
}

INSTANTIATE_TEST_SUITE_P(
    CatalogFind, CatalogFindTest,
    ::testing::Values(FindCase{"linux/amd64", "linux-amd64", "x86_64-linux-gnu", "x86_64", "x86_64"},
                      FindCase{"linux/x86_64", "linux-amd64", "x86_64-linux-gnu", "x86_64", "x86_64"},
                      FindCase{"linux/arm64", "linux-arm64", "aarch64-linux-gnu", "aarch64", "aarch64"},
                      FindCase{"linux/arm64/v8", "linux-arm64", "aarch64-linux-gnu", "aarch64", "aarch64"},
                      FindCase{"linux/aarch64", "linux-arm64", "aarch64-linux-gnu", "aarch64", "aarch64"},
                      FindCase{"linux/arm/v7", "linux-arm-v7", "arm-linux-gnueabihf", "arm", "armv7"},
                      FindCase{"linux/arm", "linux-arm-v7", "arm-linux-gnueabihf", "arm", "armv7"},
                      FindCase{"linux/386", "linux-386", "i686-linux-gnu", "x86", "i686"},
                      FindCase{"linux/i386", "linux-386", "i686-linux-gnu", "x86", "i686"},
                      FindCase{"linux/riscv64", "linux-riscv64", "riscv64-linux-gnu", "riscv64", "riscv64"},
                      FindCase{"linux/arm/v6", nullptr, nullptr, nullptr, nullptr},
                      FindCase{"linux/ppc64le", nullptr, nullptr, nullptr, nullptr},
                      FindCase{"windows/amd64", "windows-amd64", "x86_64-w64-mingw32", "x86_64", "x86_64"},
                      FindCase{"windows/arm64", nullptr, nullptr, nullptr, nullptr}));

// mingw-w64 and wine: binaries run under wine in a prefix of the state directory's own, made
// once by wineboot.
TEST(CatalogTest, WindowsToolchainReadsExactly) {
  const Toolchain* windows = shipped_catalog().find(parse_platform("windows/amd64").value());
  ASSERT_NE(windows, nullptr);
  EXPECT_EQ(windows->triple, "x86_64-w64-mingw32");
  EXPECT_EQ(windows->sysroot, "/usr/x86_64-w64-mingw32");
  EXPECT_EQ(windows->tools.at("CC"), "x86_64-w64-mingw32-gcc");
  EXPECT_EQ(windows->runner, std::vector<std::string>{"wine"});
  EXPECT_EQ(windows->runner_env,
            (std::map<std::string, std::string>{{"WINEDEBUG", "-all"},
                                                {"WINEDLLOVERRIDES", "mscoree,mshtml="},
                                                {"WINEPREFIX", "{state_dir}/wine/windows-amd64"}}));
  EXPECT_EQ(windows->runner_setup.command, (std::vector<std::string>{"wineboot", "--init"}));
  EXPECT_EQ(windows->runner_setup.creates, "{state_dir}/wine/windows-amd64/system.reg");
  EXPECT_EQ(windows->meson.system, "windows");
  EXPECT_EQ(windows->meson.cpu_family, "x86_64");
  EXPECT_EQ(windows->cmake.system_name, "Windows");
  EXPECT_EQ(windows->cmake.system_processor, "AMD64");
  EXPECT_EQ(windows->packages.at("compiler"),
            (std::vector<std::string>{"gcc-mingw-w64-x86-64", "mingw-w64-x86-64-dev"}));
  EXPECT_EQ(windows->packages.at("runner"), (std::vector<std::string>{"wine", "wine64"}));
}

TEST(CatalogTest, RunnerSetupWithoutAProgramIsAnError) {
  testing::ScratchDir scratch;
  std::string text = read_file(data_directory() / "toolchains" / "windows-amd64.toml").value();
  std::string error =
      load_error(scratch, {{"bad.toml", replaced(text, "command = [\"wineboot\", \"--init\"]", "command = []")}});
  EXPECT_NE(error.find("\"command\" in [runner_setup] must name a program"), std::string::npos) << error;
}

// Each toolchain's qemu_arch names a qemu/<arch>.toml whose interpreter is the runner's program.
TEST(CatalogTest, QemuArchOfEveryToolchainNamesAQemuEntry) {
  for (const Toolchain& toolchain : shipped_catalog().all()) {
    if (toolchain.platform.os != "linux") continue;  // wine runs Windows binaries, not QEMU
    SCOPED_TRACE(toolchain.id);
    fs::path entry = data_directory() / "qemu" / (toolchain.qemu_arch + ".toml");
    Result<std::string> text = read_file(entry);
    ASSERT_TRUE(text.ok()) << text.error();
    std::string interpreter = "/usr/bin/qemu-" + toolchain.qemu_arch + "-static";
    EXPECT_NE(text.value().find("\ninterpreter = \"" + interpreter + "\"\n"), std::string::npos);
    EXPECT_NE(text.value().find("\nplatform = \"" + toolchain.platform.str() + "\"\n"), std::string::npos);
    if (!toolchain.runner.empty()) {
      EXPECT_EQ(fs::path(interpreter).filename(), toolchain.runner.front());
    }
  }
}

// The value of `key = "..."` in a qemu/ file, with TOML's doubled backslashes undone.
std::string qemu_value(const std::string& text, const std::string& key) {
  for (const std::string& line : split(text, '\n')) {
    if (!starts_with(line, key + " = \"")) continue;
    std::string value = line.substr(key.size() + 4, line.size() - key.size() - 5);
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == '\\') ++i;
      out += value[i];
    }
    return out;
  }
  return "";
}

// Bytes a binfmt_misc register string stands for: "\x7fELF" is four.
std::size_t escaped_length(const std::string& text) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < text.size(); ++bytes) i += starts_with(std::string_view(text).substr(i), "\\x") ? 4 : 1;
  return bytes;
}

TEST(CatalogTest, QemuEntriesCarryQemuMagicAndMask) {
  const std::vector<std::string> arches = {"aarch64", "arm", "i386", "ppc64le", "riscv64", "s390x", "x86_64"};
  for (const std::string& arch : arches) {
    SCOPED_TRACE(arch);
    Result<std::string> text = read_file(data_directory() / "qemu" / (arch + ".toml"));
    ASSERT_TRUE(text.ok()) << text.error();
    EXPECT_EQ(qemu_value(text.value(), "arch"), arch);
    EXPECT_EQ(qemu_value(text.value(), "package"), "qemu-user-static");
    EXPECT_EQ(escaped_length(qemu_value(text.value(), "magic")), 20u);
    EXPECT_EQ(escaped_length(qemu_value(text.value(), "mask")), 20u);
  }
  // DESIGN.md's (and QEMU's scripts/qemu-binfmt-conf.sh's) values, character for character.
  Result<std::string> aarch64 = read_file(data_directory() / "qemu" / "aarch64.toml");
  ASSERT_TRUE(aarch64.ok());
  EXPECT_EQ(qemu_value(aarch64.value(), "magic"),
            "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00");
  EXPECT_EQ(qemu_value(aarch64.value(), "mask"),
            "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff");
  Result<std::string> x86_64 = read_file(data_directory() / "qemu" / "x86_64.toml");
  ASSERT_TRUE(x86_64.ok());
  EXPECT_EQ(qemu_value(x86_64.value(), "mask"),
            "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff");
}

TEST(CatalogTest, ValidFileLoads) {
  testing::ScratchDir scratch;
  EXPECT_EQ(load_error(scratch, {{"custom.toml", kGoodFile}}), "");
}

TEST(CatalogTest, UnknownKeyAndMissingTripleAreReportedTogether) {
  testing::ScratchDir scratch;
  std::string file = (scratch / "toolchains" / "bad.toml").string();
  std::string error = load_error(scratch, {{"bad.toml", replaced(kGoodFile, "triple =", "tripel =")}});
  EXPECT_EQ(error, file +
                       ":1:1: error: missing required key \"triple\" at the top level\n"
                       "    1 | platform = \"linux/arm64\"\n"
                       "      | ^\n" +
                       file +
                       ":2:1: error: unknown key \"tripel\" at the top level; did you mean \"triple\"?\n"
                       "    2 | tripel = \"aarch64-linux-gnu\"\n"
                       "      | ^");
}

TEST(CatalogTest, UnknownToolAndMissingToolNameTheirTable) {
  testing::ScratchDir scratch;
  std::string file = (scratch / "toolchains" / "bad.toml").string();
  std::string error = load_error(scratch, {{"bad.toml", replaced(kGoodFile, "OBJCOPY =", "OBJCPY =")}});
  EXPECT_EQ(error, file +
                       ":8:1: error: missing required key \"OBJCOPY\" in [tools]\n"
                       "    8 | [tools]\n"
                       "      | ^\n" +
                       file +
                       ":15:1: error: unknown key \"OBJCPY\" in [tools]; did you mean \"OBJCOPY\"?\n"
                       "   15 | OBJCPY = \"aarch64-linux-gnu-objcopy\"\n"
                       "      | ^");
}

TEST(CatalogTest, WrongTypesAndBadValuesPointAtTheValue) {
  testing::ScratchDir scratch;
  std::string file = (scratch / "toolchains" / "bad.toml").string();
  std::string text = replaced(kGoodFile, "runner = [\"qemu-aarch64-static\"", "runner = [1");
  text = replaced(text, "endian = \"little\"", "endian = \"middle\"");
  text = replaced(text, "cpu = \"aarch64\"", "cpu = 64");
  text = replaced(text, "qemu_arch = \"aarch64\"", "qemu_arch = \"\"");
  EXPECT_EQ(load_error(scratch, {{"bad.toml", text}}),
            file +
                ":5:11: error: elements of \"runner\" at the top level must be strings, found an integer\n"
                "    5 | runner = [1, \"-L\", \"/usr/aarch64-linux-gnu\"]\n"
                "      |           ^\n" +
                file +
                ":6:13: error: \"qemu_arch\" at the top level must not be empty\n"
                "    6 | qemu_arch = \"\"\n"
                "      |             ^\n" +
                file +
                ":21:7: error: \"cpu\" in [meson]: expected a string, found an integer\n"
                "   21 | cpu = 64\n"
                "      |       ^\n" +
                file +
                ":22:10: error: \"endian\" in [meson] must be \"little\" or \"big\", got \"middle\"\n"
                "   22 | endian = \"middle\"\n"
                "      |          ^");
}

TEST(CatalogTest, BadPlatformIsReportedAtItsValue) {
  testing::ScratchDir scratch;
  std::string file = (scratch / "toolchains" / "bad.toml").string();
  std::string error =
      load_error(scratch, {{"bad.toml", replaced(kGoodFile, "platform = \"linux/arm64\"", "platform = \"linux/\"")}});
  EXPECT_EQ(error, file + ":1:12: error: " + parse_platform("linux/").error() +
                       "\n"
                       "    1 | platform = \"linux/\"\n"
                       "      |            ^");
}

TEST(CatalogTest, MissingTableIsReportedAtTheStart) {
  testing::ScratchDir scratch;
  std::string file = (scratch / "toolchains" / "bad.toml").string();
  std::string text = kGoodFile;
  text = text.substr(0, text.find("[cmake]")) + text.substr(text.find("[packages]"));
  EXPECT_EQ(load_error(scratch, {{"bad.toml", text}}), file +
                                                           ":1:1: error: missing required table [cmake]\n"
                                                           "    1 | platform = \"linux/arm64\"\n"
                                                           "      | ^");
}

TEST(CatalogTest, SyntaxErrorNamesItsPlace) {
  testing::ScratchDir scratch;
  std::string error = load_error(scratch, {{"bad.toml", "platform = \"linux/arm64\nx = 1\n"}});
  EXPECT_TRUE(starts_with(error, (scratch / "toolchains" / "bad.toml").string() + ":1:")) << error;
  EXPECT_NE(error.find("error: TOML syntax error"), std::string::npos) << error;
}

TEST(CatalogTest, TwoFilesForOnePlatformIsAnError) {
  testing::ScratchDir scratch;
  std::string error = load_error(
      scratch, {{"a.toml", kGoodFile}, {"b.toml", replaced(kGoodFile, "\"linux/arm64\"", "\"linux/aarch64\"")}});
  EXPECT_EQ(error, (scratch / "toolchains" / "b.toml").string() +
                       ":1:12: error: platform linux/arm64 is already provided by " +
                       (scratch / "toolchains" / "a.toml").string() +
                       "\n"
                       "    1 | platform = \"linux/aarch64\"\n"
                       "      |            ^");
}

TEST(CatalogTest, ErrorsOfEveryFileAreReportedInNameOrder) {
  testing::ScratchDir scratch;
  std::string error = load_error(scratch, {{"b.toml", replaced(kGoodFile, "triple =", "tripel =")},
                                           {"a.toml", replaced(kGoodFile, "sysroot =", "sysrot =")},
                                           {"notes.txt", "not a toolchain"}});
  std::size_t a = error.find("a.toml:1:1: error: missing required key \"sysroot\"");
  std::size_t b = error.find("b.toml:1:1: error: missing required key \"triple\"");
  EXPECT_NE(a, std::string::npos) << error;
  EXPECT_NE(b, std::string::npos) << error;
  EXPECT_LT(a, b);
}

TEST(CatalogTest, MissingOrEmptyDirectoryIsAnError) {
  testing::ScratchDir scratch;
  fs::path missing = scratch / "nowhere";
  Result<ToolchainCatalog> none = ToolchainCatalog::load(missing);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), "cannot read toolchain directory " + missing.string() + ": No such file or directory");
  Result<ToolchainCatalog> empty = ToolchainCatalog::load(scratch.path());
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error(), "no toolchain files (*.toml) in " + scratch.path().string());
}

// Sets an environment variable for one scope and puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
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

TEST(CatalogTest, DataDirectoryComesFromTheEnvironmentFirst) {
  {
    ScopedEnv env("XBUILD_DATA_DIR", "/opt/xbuild-data");
    EXPECT_EQ(data_directory(), fs::path("/opt/xbuild-data"));
  }
  {
    // Without it: relative to the binary, never a path compiled in. This test binary has neither
    // <build>/share/xbuild nor an xbuild-data link next to it (meson makes that one next to
    // xbuild), so the answer is the installed layout's, which an error message then names.
    ScopedEnv env("XBUILD_DATA_DIR", nullptr);
    fs::path binary_dir = fs::read_symlink("/proc/self/exe").parent_path();
    EXPECT_EQ(data_directory(), (binary_dir / ".." / "share" / "xbuild").lexically_normal());
  }
}

}  // namespace
}  // namespace xb
