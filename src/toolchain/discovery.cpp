// Discovery: what of a toolchain is installed on this machine, and the real ToolFinder.
//
// discover() asks three questions through a ToolFinder: is CC on PATH, are the C library's
// headers in the sysroot (<sysroot>/include/stdio.h; /usr/include/stdio.h for the host's own
// toolchain), and is the runner's program on PATH. Each "no" becomes one line of `missing`
// naming the Debian package that provides it. The C++ compiler is not asked about: C projects
// do not need it, and a C++ project finds out from its own build.
//
// The real finder asks the compiler its version with a synchronous probe (util/probe.h) and
// remembers the answer for the process, so asking from several threads at once (the run's plan
// step does, as each probe is a process start) leaves the plan's own questions answered.
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <system_error>

#include "toolchain/toolchain.h"
#include "util/fs.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr std::chrono::milliseconds kProbeTimeout{5000};

bool is_executable_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && ::access(path.c_str(), X_OK) == 0;
}

// What identifies a compiler binary without running it: the file it resolves to, its size,
// modification time and inode. A reinstalled or upgraded compiler changes at least one.
std::string file_identity(const fs::path& program) {
  struct stat info {};
  if (::stat(program.c_str(), &info) != 0) return "";
  return fmt::format("{}\t{}\t{}.{:09}", info.st_ino, info.st_size, info.st_mtim.tv_sec, info.st_mtim.tv_nsec);
}

class SystemToolFinder : public ToolFinder {
 public:
  SystemToolFinder(std::chrono::milliseconds probe_timeout, fs::path memo_file, bool ask_versions = true)
      : probe_timeout_(probe_timeout), memo_file_(std::move(memo_file)), ask_versions_(ask_versions) {
    load_memo();
  }
  ~SystemToolFinder() override { save_memo(); }

  // Like execvp: a name with a slash is a path; otherwise each PATH entry in turn (an empty
  // entry is the current directory). Answers are kept for the finder's life: a run asks for
  // each compiler twice (its version probe, then the plan's discovery).
  std::optional<fs::path> find_program(const std::string& name) override {
    {
      std::lock_guard lock(mutex_);
      if (auto found = programs_.find(name); found != programs_.end()) return found->second;
    }
    std::optional<fs::path> program = search_path(name);
    std::lock_guard lock(mutex_);
    programs_.emplace(name, program);
    return program;
  }

  bool exists(const fs::path& path) override {
    std::error_code error;
    return fs::exists(path, error);
  }

  std::optional<std::string> known_compiler_version(const fs::path& compiler) override {
    if (!ask_versions_) return std::string();
    {
      std::lock_guard lock(mutex_);
      if (auto known = versions_.find(compiler); known != versions_.end()) return known->second;
    }
    std::string identity = memo_file_.empty() ? "" : file_identity(compiler);
    std::lock_guard lock(mutex_);
    if (auto remembered = memo_.find(compiler.string());
        !identity.empty() && remembered != memo_.end() && remembered->second.identity == identity) {
      versions_.emplace(compiler, remembered->second.version);
      return remembered->second.version;
    }
    return std::nullopt;
  }

  // GCC says "12.2.0" to -dumpfullversion; compilers without it (older clang) answer -dumpversion.
  std::string compiler_version(const fs::path& compiler) override {
    if (std::optional<std::string> known = known_compiler_version(compiler)) return *known;
    std::string identity = memo_file_.empty() ? "" : file_identity(compiler);
    std::string version;
    for (const char* flag : {"-dumpfullversion", "-dumpversion"}) {
      ProbeOptions options;
      options.timeout = probe_timeout_;
      Result<std::string> output = probe_output({compiler.string(), flag}, options);
      if (output.ok() && !trim(output.value()).empty()) {
        version = std::string(trim(output.value()));
        break;
      }
    }
    std::lock_guard lock(mutex_);
    versions_.emplace(compiler, version);
    if (!identity.empty() && !version.empty()) {  // a probe that failed or timed out is asked again
      memo_[compiler.string()] = {identity, version};
      memo_changed_ = true;
    }
    return version;
  }

 private:
  struct Remembered {
    std::string identity, version;
  };

  // One line per compiler: inode, size, mtime, version, path (tab-separated). A damaged or
  // foreign file is only a cache: lines that do not parse are ignored.
  void load_memo() {
    if (memo_file_.empty()) return;
    Result<std::string> text = read_file(memo_file_);
    if (!text) return;
    for (const std::string& line : split(text.value(), '\n')) {
      std::vector<std::string> fields = split(line, '\t');
      if (fields.size() != 5) continue;
      memo_[fields[4]] = {fields[0] + '\t' + fields[1] + '\t' + fields[2], fields[3]};
    }
  }

  void save_memo() {
    if (memo_file_.empty() || !memo_changed_) return;
    std::string text;
    for (const auto& [path, remembered] : memo_)
      text += remembered.identity + '\t' + remembered.version + '\t' + path + '\n';
    std::error_code error;
    fs::create_directories(memo_file_.parent_path(), error);
    (void)write_file_atomic(memo_file_, text);  // best effort: next time the compilers are asked again
  }

  static std::optional<fs::path> search_path(const std::string& name) {
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos) {
      if (is_executable_file(name)) return fs::path(name);
      return std::nullopt;
    }
    const char* path = std::getenv("PATH");
    for (const std::string& directory : split(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
      fs::path candidate = (directory.empty() ? fs::path(".") : fs::path(directory)) / name;
      if (is_executable_file(candidate)) return candidate;
    }
    return std::nullopt;
  }

  std::chrono::milliseconds probe_timeout_;
  std::mutex mutex_;
  std::map<std::string, std::optional<fs::path>> programs_;  // find_program's answers
  std::map<fs::path, std::string> versions_;
  fs::path memo_file_;
  std::map<std::string, Remembered> memo_;  // by compiler path, from and for memo_file_
  bool memo_changed_ = false;
  bool ask_versions_ = true;
};

// "gcc-aarch64-linux-gnu" or "libc6-dev-arm64-cross libc6-dev" as an install hint.
std::string install_hint(const std::vector<std::string>& packages) {
  if (packages.empty()) return "";
  return " (install " + join(packages, " ") + ")";
}

void add_missing(ToolchainStatus& status, const std::string& what, const std::vector<std::string>& packages) {
  status.missing.push_back(what + install_hint(packages));
  for (const std::string& package : packages) {
    if (std::find(status.missing_packages.begin(), status.missing_packages.end(), package) ==
        status.missing_packages.end())
      status.missing_packages.push_back(package);
  }
}

std::vector<std::string> packages_of(const Toolchain& toolchain, const std::string& role) {
  auto found = toolchain.packages.find(role);
  return found == toolchain.packages.end() ? std::vector<std::string>{} : found->second;
}

}  // namespace

std::unique_ptr<ToolFinder> make_system_tool_finder() { return make_system_tool_finder(kProbeTimeout); }

std::unique_ptr<ToolFinder> make_system_tool_finder(std::chrono::milliseconds probe_timeout) {
  return std::make_unique<SystemToolFinder>(probe_timeout, fs::path());
}

std::unique_ptr<ToolFinder> make_system_tool_finder(std::chrono::milliseconds probe_timeout,
                                                    const std::filesystem::path& memo_file) {
  return std::make_unique<SystemToolFinder>(probe_timeout, memo_file);
}

std::unique_ptr<ToolFinder> make_remembering_tool_finder(const std::filesystem::path& memo_file) {
  return make_system_tool_finder(kProbeTimeout, memo_file);
}

std::unique_ptr<ToolFinder> make_versionless_tool_finder() {
  return std::make_unique<SystemToolFinder>(kProbeTimeout, fs::path(), false);
}

// packages["compiler"] lists the compiler's package first and the C library's after it.
ToolchainStatus discover(const Toolchain& toolchain, ToolFinder& finder) {
  ToolchainStatus status;
  std::vector<std::string> compiler_packages = packages_of(toolchain, "compiler");
  std::vector<std::string> cc_package(compiler_packages.begin(),
                                      compiler_packages.begin() + (compiler_packages.empty() ? 0 : 1));
  std::vector<std::string> libc_packages(compiler_packages.begin() + static_cast<std::ptrdiff_t>(cc_package.size()),
                                         compiler_packages.end());

  auto cc = toolchain.tools.find("CC");
  std::string cc_name = cc == toolchain.tools.end() ? std::string("CC") : cc->second;
  status.compiler = cc == toolchain.tools.end() ? std::nullopt : finder.find_program(cc->second);
  if (status.compiler)
    status.compiler_version = finder.compiler_version(*status.compiler);
  else
    add_missing(status, cc_name, cc_package);

  fs::path include_dir = toolchain.sysroot.empty() ? fs::path("/usr/include") : fs::path(toolchain.sysroot) / "include";
  status.libc_present = finder.exists(include_dir / "stdio.h");
  if (!status.libc_present) add_missing(status, "C library headers for " + toolchain.triple, libc_packages);

  if (!toolchain.runner.empty()) {
    status.runner = finder.find_program(toolchain.runner.front());
    if (!status.runner) add_missing(status, toolchain.runner.front(), packages_of(toolchain, "runner"));
  }
  return status;
}

}  // namespace xb
