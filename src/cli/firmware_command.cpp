// `xbuild firmware`: env (the stage environment and generated cross files of a bare-metal
// target), test (one image under qemu-system-arm with a timeout and a pass pattern; this is
// the XBUILD_EXEC of firmware stages) and pack (the .elf/.bin/.hex/size report as an OCI
// artifact).
#include "cli/firmware_command.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include "firmware/artifact.h"
#include "firmware/qemu_test.h"
#include "toolchain/cross_files.h"
#include "toolchain/environment.h"
#include "toolchain/firmware_target.h"
#include "toolchain/toolchain.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

struct FirmwareOptions {
  std::string target;
  fs::path elf;
  double timeout_seconds = 10;
  double hang_timeout_seconds = 10;
  std::string icount = std::to_string(firmware::kDefaultIcountShift);  // a shift, or "off"
  std::string icount_source = "--icount ";                             // where `icount` came from
  std::string pass_pattern = firmware::kDefaultPassPattern;
  std::string output;
  std::string name;
  fs::path config_file = "xbuild.toml";
  fs::path state_dir;  // empty: <the config's directory>/.xbuild, as `xbuild run` has it
};

firmware::Target load(const std::string& name) {
  return firmware::find_target(data_directory() / "toolchains" / "firmware", name).value_or_throw();
}

fs::path self_path() {
  std::error_code error;
  fs::path self = fs::read_symlink("/proc/self/exe", error);
  return error ? fs::path("xbuild") : self;
}

// The state directory `xbuild run` would use for the project, so that the files land beside
// its other generated files and never in whatever directory the command runs in.
fs::path state_directory(const FirmwareOptions& options) {
  if (!options.state_dir.empty()) return fs::absolute(options.state_dir).lexically_normal();
  const fs::path config = fs::absolute(options.config_file).lexically_normal();
  if (!fs::is_regular_file(config))
    throw Error("firmware env: " + config.string() +
                    " does not exist; run it in the project's directory, or name the project's config (--config "
                    "FILE) or where the cross files go (--state-dir DIR)",
                2);
  return config.parent_path() / ".xbuild";
}

int env_command(const FirmwareOptions& options) {
  firmware::Target target = load(options.target);
  const fs::path dir = state_directory(options) / "firmware" / target.name;
  fs::create_directories(dir);
  std::vector<std::string> wrapper = {self_path().string(), "firmware", "test", "--target", target.name};
  write_file_atomic(dir / "meson-cross.ini", firmware::meson_cross_file(target, wrapper)).value_or_throw();
  write_file_atomic(dir / "toolchain.cmake", firmware::cmake_toolchain_file(target, wrapper)).value_or_throw();
  for (const auto& [key, value] :
       firmware::stage_environment(target, self_path(), dir / "meson-cross.ini", dir / "toolchain.cmake"))
    std::cout << key << "=" << shell_quote(value) << "\n";
  std::cerr << "xbuild firmware env: wrote " << (dir / "meson-cross.ini").string() << " and "
            << (dir / "toolchain.cmake").string() << "\n";
  return 0;
}

// The instruction counting of --icount or $XBUILD_FIRMWARE_ICOUNT: a shift, or nullopt for "off".
std::optional<int> icount_shift(const std::string& value, const std::string& where) {
  if (value == "off") return std::nullopt;
  char* end = nullptr;
  long shift = std::strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || shift < 0 || shift > firmware::kMaxIcountShift)
    throw Error(where + "\"" + value + "\" is not an instruction counting shift from 0 to " +
                    std::to_string(firmware::kMaxIcountShift) + " or \"off\"; fix [firmware] icount or the option",
                2);
  return static_cast<int>(shift);
}

// `xbuild run` passes [firmware] timeout, hang_timeout, icount and pass_pattern to XBUILD_EXEC
// through the stage's environment; an option on the command line wins over them.
void test_defaults_from_environment(FirmwareOptions& options, bool timeout_given, bool pattern_given, bool hang_given,
                                    bool icount_given) {
  if (const char* hang = std::getenv("XBUILD_FIRMWARE_HANG_TIMEOUT"); hang && *hang && !hang_given) {
    char* end = nullptr;
    double seconds = std::strtod(hang, &end);
    if (*end != '\0' || !(seconds >= 0.1 && seconds <= 3600))
      throw Error(std::string("XBUILD_FIRMWARE_HANG_TIMEOUT=\"") + hang +
                      "\" is not a number of seconds between 0.1 and 3600; fix [firmware] hang_timeout or the variable",
                  2);
    options.hang_timeout_seconds = seconds;
  }
  if (const char* icount = std::getenv("XBUILD_FIRMWARE_ICOUNT"); icount && *icount && !icount_given) {
    options.icount = icount;
    options.icount_source = "XBUILD_FIRMWARE_ICOUNT=";
  }
  if (const char* timeout = std::getenv("XBUILD_FIRMWARE_TIMEOUT"); timeout && *timeout && !timeout_given) {
    char* end = nullptr;
    double seconds = std::strtod(timeout, &end);
    if (*end != '\0' || !(seconds >= 0.1 && seconds <= 3600))
      throw Error(std::string("XBUILD_FIRMWARE_TIMEOUT=\"") + timeout +
                      "\" is not a number of seconds between 0.1 and 3600; fix [firmware] timeout or the variable",
                  2);
    options.timeout_seconds = seconds;
  }
  if (const char* pattern = std::getenv("XBUILD_FIRMWARE_PASS_PATTERN"); pattern && *pattern && !pattern_given)
    options.pass_pattern = pattern;
}

int test_command(const FirmwareOptions& options) {
  const std::optional<int> shift = icount_shift(options.icount, options.icount_source);
  firmware::Target target = load(options.target);
  if (!fs::is_regular_file(options.elf))
    throw Error("firmware test: " + options.elf.string() + " does not exist; build the test image first");
  firmware::TestOptions test;
  test.elf = options.elf;
  test.timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
  test.hang_timeout = std::chrono::milliseconds(static_cast<long long>(options.hang_timeout_seconds * 1000));
  test.icount_shift = shift;
  test.pass_pattern = options.pass_pattern;
  test.on_line = [](std::string_view line) { std::cout << line << "\n" << std::flush; };
  firmware::TestOutcome outcome = firmware::run_test(target, test).value_or_throw();
  std::cout << firmware::verdict_line(target, options.elf, outcome) << "\n";
  for (const std::string& line : firmware::quoted_console(outcome)) std::cout << line << "\n";
  return outcome.passed ? 0 : 1;
}

int pack_command(const FirmwareOptions& options) {
  firmware::Target target = load(options.target);
  firmware::PackOptions pack;
  pack.elf = options.elf;
  pack.output = options.output;
  pack.name = options.name;
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) pack.source_date_epoch = std::atoll(epoch);
  firmware::PackResult result = firmware::pack(target, pack).value_or_throw();
  std::cout << "firmware " << options.elf.filename().string() << " for " << target.name << ": text " << result.size.text
            << ", data " << result.size.data << ", bss " << result.size.bss << " bytes\n"
            << "wrote " << options.output << " (" << result.manifest_digest << ")\n";
  return 0;
}

}  // namespace

std::function<int()> add_firmware_commands(CLI::App& app) {
  auto options = std::make_shared<FirmwareOptions>();
  CLI::App* firmware =
      app.add_subcommand("firmware", "Bare-metal ARM targets: environment, tests under QEMU, OCI artifact");
  firmware->require_subcommand(1);
  CLI::App* env = firmware->add_subcommand(
      "env", "Print a target's stage environment (KEY=value, shell-quoted); write its Meson and CMake cross files");
  CLI::App* test = firmware->add_subcommand(
      "test", "Run a test image under qemu-system-arm (exit code, pass pattern, timeout, hang)");
  CLI::App* pack =
      firmware->add_subcommand("pack", "Write a firmware image's .elf, .bin, .hex and size report as an OCI artifact");
  for (CLI::App* sub : {env, test, pack})
    sub->add_option("--target", options->target, "The target: a file name in toolchains/firmware/ (cortex-m3)")
        ->required();
  env->add_option("--config", options->config_file, "The project's config; its directory holds the state directory")
      ->capture_default_str();
  env->add_option("--state-dir", options->state_dir,
                  "Where the cross files go, as <dir>/firmware/<target>/ (default: <project>/.xbuild)");
  test->add_option("elf", options->elf, "The test image")->required();
  CLI::Option* timeout =
      test->add_option("--timeout", options->timeout_seconds,
                       "Seconds before QEMU is stopped and the test fails (default: $XBUILD_FIRMWARE_TIMEOUT, else 10)")
          ->check(CLI::Range(0.1, 3600.0));
  CLI::Option* hang = test->add_option("--hang-timeout", options->hang_timeout_seconds,
                                       "Seconds without console output before QEMU is stopped and the test fails as "
                                       "hung (default: $XBUILD_FIRMWARE_HANG_TIMEOUT, else 10; at most --timeout)")
                          ->check(CLI::Range(0.1, 3600.0));
  CLI::Option* icount =
      test->add_option("--icount", options->icount,
                       "QEMU's instruction counting shift, 0 to 10, or off (default: $XBUILD_FIRMWARE_ICOUNT, else " +
                           std::to_string(firmware::kDefaultIcountShift) + ")");
  CLI::Option* pattern = test->add_option(
      "--pass-pattern", options->pass_pattern,
      "Regex the console must match (default: $XBUILD_FIRMWARE_PASS_PATTERN, else Unity's summary + OK)");
  pack->add_option("elf", options->elf, "The firmware image")->required();
  pack->add_option("-o,--output", options->output, "oci:DIR or oci-archive:FILE")->required();
  pack->add_option("--name", options->name, "File names in the artifact (default: the ELF's name)");
  return [=]() -> int {
    if (env->parsed()) return env_command(*options);
    if (test->parsed()) {
      test_defaults_from_environment(*options, timeout->count() > 0, pattern->count() > 0, hang->count() > 0,
                                     icount->count() > 0);
      return test_command(*options);
    }
    if (pack->parsed()) return pack_command(*options);
    return -1;
  };
}

}  // namespace xb
