// `xbuild firmware`: env (the stage environment and generated cross files of a bare-metal
// target), test (one image under qemu-system-arm with a timeout and a pass pattern; this is
// the XBUILD_EXEC of firmware stages), exec (one image run as if it ran here: the exe_wrapper
// and CMAKE_CROSSCOMPILING_EMULATOR of the generated cross files), pack (the .elf/.bin/.hex/size
// report as an OCI artifact) and debug (the image under QEMU's gdb stub, gdb-multiarch attached).
#include "cli/firmware_command.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>

#include "build/inputs.h"
#include "firmware/artifact.h"
#include "firmware/bin_regions.h"
#include "firmware/debug.h"
#include "firmware/qemu_test.h"
#include "firmware/startup.h"
#include "firmware/vector_table.h"
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

// --config, read when the file is there.
std::optional<Config> project_config(const FirmwareOptions& options) {
  const fs::path config = fs::absolute(options.config_file).lexically_normal();
  if (!fs::is_regular_file(config)) return std::nullopt;
  return read_config(config);
}

// The project's own target ([firmware.target.NAME] in `project`) or a bundled one.
firmware::Target load(const FirmwareOptions& options, const std::optional<Config>& project) {
  return firmware::resolve_target(data_directory() / "toolchains" / "firmware", options.target,
                                  project ? &*project : nullptr)
      .value_or_throw();
}

firmware::Target load(const FirmwareOptions& options) { return load(options, project_config(options)); }

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
  const std::optional<Config> project = project_config(options);
  firmware::Target target = load(options, project);
  const fs::path state_dir = state_directory(options);
  const fs::path dir = state_dir / "firmware" / target.name;
  // The startup the project's [firmware] startup names (without a project: xbuild's own),
  // compiled into the state directory as `xbuild run` does.
  const FirmwareSpec spec = project ? project->firmware : FirmwareSpec{};
  if (spec.startup) {
    target.startup =
        firmware::resolve_startup(target, data_directory() / "toolchains" / "firmware", spec.startup_source, state_dir)
            .value_or_throw();
    if (firmware::prepare_startup(target).value_or_throw())
      std::cerr << "xbuild firmware env: compiled " << target.startup->source.string() << " into "
                << target.startup->object.string() << "\n";
  }
  fs::create_directories(dir);
  std::vector<std::string> wrapper = firmware::firmware_command(target, self_path(), "exec");
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
  firmware::Target target = load(options);
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

// QEMU takes this process's place, the way qemu-user runs a Linux binary: the console is stdout,
// the firmware's exit status (semihosting) is the exit status, a signal reaches QEMU itself, and
// there is no timeout or pattern of xbuild's. Meson's sanity check and cc.run(), CMake's try_run
// and both build systems' tests judge by that exit status. `args[0]` is the ELF; all of `args`
// become the firmware's argv through semihosting.
int exec_command(const FirmwareOptions& options, const std::vector<std::string>& args) {
  if (args.empty())
    throw Error("firmware exec: name the image to run: xbuild firmware exec --target T ELF [ARG...]", 2);
  firmware::Target target = load(options);
  const fs::path elf = args.front();
  if (!fs::is_regular_file(elf)) throw Error("firmware exec: " + elf.string() + " does not exist; build it first", 2);
  if (std::optional<std::uint32_t> address = firmware::vector_table_address(target)) {
    std::optional<std::string> problem = firmware::vector_table_problem(elf, *address).value_or_throw();
    if (problem) {
      std::cerr << "xbuild firmware exec: " << *problem << "; qemu-system-arm was not started\n";
      for (const std::string& line : firmware::vector_table_hint(target, *address)) std::cerr << line << "\n";
      return 1;
    }
  }
  // The same clock as `firmware test`: instruction counting unless [firmware] icount says otherwise.
  const char* icount = std::getenv("XBUILD_FIRMWARE_ICOUNT");
  std::vector<std::string> command =
      firmware::qemu_command(target, elf,
                             icount && *icount ? icount_shift(icount, "XBUILD_FIRMWARE_ICOUNT=")
                                               : std::optional<int>(firmware::kDefaultIcountShift),
                             args);
  std::vector<char*> argv;
  for (std::string& word : command) argv.push_back(word.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  throw Error("firmware exec: cannot start " + command.front() + " (" + std::strerror(errno) + "); install " +
              join(target.packages.at("runner"), " ") + " (target " + target.name + ")");
}

int pack_command(const FirmwareOptions& options) {
  firmware::Target target = load(options);
  firmware::PackOptions pack;
  pack.elf = options.elf;
  pack.output = options.output;
  pack.name = options.name;
  // Checked as `xbuild run` checks it: a value that is not a whole number of seconds is an error,
  // not the epoch (atoll's 0). Unset or empty, the artifact keeps the default time.
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch)
    pack.source_date_epoch = source_date_epoch(fs::current_path()).seconds;
  firmware::PackResult result = firmware::pack(target, pack).value_or_throw();
  std::cout << "firmware " << options.elf.filename().string() << " for " << target.name << ": text " << result.size.text
            << ", data " << result.size.data << ", bss " << result.size.bss << " bytes\n";
  for (const firmware::BinFile& bin : result.bins)
    std::cout << bin.file << ": " << bin.bytes << " bytes, load at " << firmware::hex_address(bin.load_address) << "\n";
  std::cout << "wrote " << options.output << " (" << result.manifest_digest << ")\n";
  return 0;
}

// `firmware debug`: QEMU halted at reset with its gdb stub, gdb-multiarch attached (or, with
// --print, the gdb command printed and QEMU waited for).
struct DebugCommandOptions {
  std::string target;
  fs::path config_file = "xbuild.toml";  // where a project's own target is defined
  fs::path elf;
  bool print = false;
  int port = 0;
  std::vector<std::string> gdb_args;
};

int debug_command(const DebugCommandOptions& options) {
  FirmwareOptions lookup;
  lookup.target = options.target;
  lookup.config_file = options.config_file;
  firmware::Target target = load(lookup);
  firmware::DebugOptions debug;
  debug.elf = options.elf;
  debug.gdb_args = options.gdb_args;
  debug.print_only = options.print;
  debug.port = options.port;
  debug.on_listening = [&](const std::vector<std::string>& gdb, int port) {
    std::cerr << "xbuild firmware debug: " << options.elf.filename().string() << " on " << target.cpu << " ("
              << target.machine << "), halted at reset; gdb stub on 127.0.0.1:" << port << "\n";
    if (!options.print) return;
    std::vector<std::string> quoted;
    for (const std::string& word : gdb) quoted.push_back(shell_quote(word));
    std::cout << join(quoted, " ") << "\n" << std::flush;
    std::cerr << "xbuild firmware debug: waiting for qemu-system-arm to end (Ctrl-C stops it)\n";
  };
  Result<int> status = firmware::debug(target, debug);
  if (!status) throw Error("firmware debug: " + status.error());
  return status.value();
}

void add_debug_command(CLI::App& firmware, DebugCommandOptions& options) {
  CLI::App* debug = firmware.add_subcommand(
      "debug", "Run an image under qemu-system-arm halted at reset, with gdb-multiarch attached (-- GDB ARGS...)");
  debug
      ->add_option(
          "--target", options.target,
          "The target: the project's [firmware.target.NAME], or a file name in toolchains/firmware/ (cortex-m3)")
      ->required();
  debug->add_option("--config", options.config_file,
                    "The project's xbuild.toml, for its own [firmware.target.NAME] (default: ./xbuild.toml)");
  debug->add_option("elf", options.elf, "The image (its symbols are loaded into gdb)")->required();
  debug->add_option("gdb_args", options.gdb_args, "Passed to gdb after `--` (-batch -ex 'break main' ...)");
  debug->add_flag("--print", options.print, "Print the gdb command and wait for QEMU to end, instead of running gdb");
  debug->add_option("--port", options.port, "The gdb stub's TCP port on 127.0.0.1 (default: a free one)")
      ->check(CLI::Range(1, 65535));
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
  CLI::App* exec = firmware->add_subcommand(
      "exec", "Run an image under qemu-system-arm as if it ran here: its console and exit status, its arguments");
  CLI::App* pack =
      firmware->add_subcommand("pack", "Write a firmware image's .elf, .bin, .hex and size report as an OCI artifact");
  for (CLI::App* sub : {env, test, exec, pack}) {
    sub->add_option("--target", options->target,
                    "The target: the project's [firmware.target.NAME], or a file name in toolchains/firmware/ "
                    "(cortex-m3)")
        ->required();
    sub->add_option("--config", options->config_file,
                    "The project's config: its own targets, and (env) its startup and state directory")
        ->capture_default_str();
  }
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
  exec->prefix_command();  // ELF [ARG...]: everything from the image on is the firmware's
  exec->footer("Usage: xbuild firmware exec --target T ELF [ARG...]");
  pack->add_option("elf", options->elf, "The firmware image")->required();
  pack->add_option("-o,--output", options->output, "oci:DIR or oci-archive:FILE")->required();
  pack->add_option("--name", options->name, "File names in the artifact (default: the ELF's name)");
  auto debug_options = std::make_shared<DebugCommandOptions>();
  add_debug_command(*firmware, *debug_options);
  return [=]() -> int {
    if (env->parsed()) return env_command(*options);
    if (test->parsed()) {
      test_defaults_from_environment(*options, timeout->count() > 0, pattern->count() > 0, hang->count() > 0,
                                     icount->count() > 0);
      return test_command(*options);
    }
    if (exec->parsed()) return exec_command(*options, exec->remaining());
    if (pack->parsed()) return pack_command(*options);
    if (firmware->got_subcommand("debug")) return debug_command(*debug_options);
    return -1;
  };
}

}  // namespace xb
