#include "exec/containment.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "util/fs.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);

// write(2) of a short text to a cgroup file, without the C++ streams (the supervisor calls this
// with xbuild gone) and with errno kept for the caller.
bool write_text(const std::string& file, const std::string& text) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool done = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return done;
}

// Where cgroup v2 is mounted (the first cgroup2 line of mountinfo), or empty.
fs::path cgroup2_mount() {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::size_t separator = line.find(" - ");
    if (separator == std::string::npos || line.compare(separator + 3, 8, "cgroup2 ") != 0) continue;
    std::vector<std::string> fields = split(line.substr(0, separator), ' ');
    if (fields.size() >= 5) return fields[4];
  }
  return {};
}

// This process's cgroup v2 ("0::/path" of /proc/self/cgroup), or empty.
std::string own_cgroup() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line))
    if (starts_with(line, "0::")) return line.substr(3);
  return {};
}

// The run's cgroup, made under xbuild's own: <mount>/<own>/xbuild-<pid>. Empty where cgroup v2
// is not mounted or cannot be written (not root, a read-only /sys/fs/cgroup in a container).
fs::path make_run_cgroup() {
  fs::path mount = cgroup2_mount();
  std::string own = own_cgroup();
  if (mount.empty() || own.empty()) return {};
  fs::path dir = mount / fs::path(own).relative_path() / ("xbuild-" + std::to_string(::getpid()));
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return {};
  if (::access((dir / "cgroup.procs").c_str(), W_OK) != 0) {
    ::rmdir(dir.c_str());
    return {};
  }
  return dir;
}

std::vector<pid_t> cgroup_processes(const fs::path& dir) {
  std::vector<pid_t> pids;
  std::ifstream in(dir / "cgroup.procs");
  long pid = 0;
  while (in >> pid) pids.push_back(static_cast<pid_t>(pid));
  return pids;
}

// SIGKILL to everything in the cgroup (cgroup.kill, Linux 5.14; else each of cgroup.procs),
// then the cgroup removed once empty, within `bound`. Returns how many processes it held.
std::size_t kill_cgroup(const fs::path& dir, std::chrono::milliseconds bound) {
  std::error_code error;
  if (!fs::exists(dir, error)) return 0;
  std::size_t count = cgroup_processes(dir).size();
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (true) {
    if (!write_text(dir / "cgroup.kill", "1"))
      for (pid_t pid : cgroup_processes(dir)) ::kill(pid, SIGKILL);
    // The cgroups of an xbuild run that a stage ran (and that was killed with it) go first.
    std::error_code listing;
    for (fs::directory_iterator it(dir, listing); !listing && it != fs::directory_iterator(); it.increment(listing))
      if (it->is_directory(listing)) kill_cgroup(it->path(), std::chrono::milliseconds(0));
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kPoll);
  }
  return count;
}

bool ended_state(pid_t pid) {
  std::optional<ProcessStat> stat = process_stat(pid);
  return !stat || stat->state == 'Z' || stat->state == 'X';
}

// The processes (not zombies) that carry `marker` ("XBUILD_OWNER=...").
std::vector<pid_t> marked_processes(const std::string& marker) {
  std::vector<pid_t> found;
  for (pid_t pid : all_processes())
    if (environment_has(pid, marker) && !ended_state(pid)) found.push_back(pid);
  return found;
}

// Kills the recorded groups that still hold a marked process, and every marked process, until
// none is left or `bound` passed. Returns the processes killed, and those still there.
std::pair<std::size_t, std::vector<pid_t>> kill_marked(const std::string& marker, const std::set<pid_t>& groups,
                                                       std::chrono::milliseconds bound) {
  std::set<pid_t> killed;
  auto deadline = std::chrono::steady_clock::now() + bound;
  while (true) {
    std::vector<pid_t> marked = marked_processes(marker);
    if (marked.empty()) return {killed.size(), {}};
    if (std::chrono::steady_clock::now() >= deadline) return {killed.size(), marked};
    for (pid_t pid : marked) {
      std::optional<ProcessStat> stat = process_stat(pid);
      // A recorded group with one of ours in it is still ours: all of it goes, the members
      // that cleared their environment too.
      if (stat && groups.count(stat->pgid) > 0) ::kill(-stat->pgid, SIGKILL);
      ::kill(pid, SIGKILL);
      killed.insert(pid);
    }
    std::this_thread::sleep_for(kPoll);
  }
}

struct Record {
  std::optional<ProcessIdentity> owner;
  fs::path cgroup;
  std::set<pid_t> groups;
};

Record read_record(const std::string& text) {
  Record record;
  for (const std::string& line : split(text, '\n')) {
    if (starts_with(line, "owner ")) record.owner = ProcessIdentity::parse(line.substr(6));
    if (starts_with(line, "cgroup ")) record.cgroup = line.substr(7);
    if (starts_with(line, "pgid ")) {
      // A damaged line is no group (atol read it as 0, kill()'s "my own group").
      char* end = nullptr;
      const long pgid = std::strtol(line.c_str() + 5, &end, 10);
      if (end != line.c_str() + 5 && *end == '\0' && pgid > 0) record.groups.insert(static_cast<pid_t>(pgid));
    }
  }
  return record;
}

}  // namespace

StageContainment::StageContainment(fs::path record, fs::path xbuild, bool use_cgroup)
    : record_(std::move(record)), xbuild_(std::move(xbuild)), owner_(self_identity()) {
  std::error_code error;
  supervisor_file_ = fs::equivalent(xbuild_, "/proc/self/exe", error) ? "/proc/self/exe" : xbuild_.string();
  if (use_cgroup && !xbuild_.empty()) cgroup_ = make_run_cgroup();
  write_record();
}

StageContainment::StageContainment(StageContainment&& other) noexcept
    : record_(std::move(other.record_)),
      xbuild_(std::move(other.xbuild_)),
      supervisor_file_(std::move(other.supervisor_file_)),
      cgroup_(std::move(other.cgroup_)),
      owner_(other.owner_),
      groups_(std::move(other.groups_)),
      active_(std::exchange(other.active_, false)) {}

StageContainment::~StageContainment() {
  if (!active_) return;
  if (!cgroup_.empty()) kill_cgroup(cgroup_, std::chrono::seconds(2));
  kill_marked(std::string(kOwnerVariable) + "=" + owner_.str(), groups_, std::chrono::seconds(2));
  std::error_code ignored;
  fs::remove(record_, ignored);
}

std::vector<std::string> StageContainment::wrap(const std::string& program,
                                                const std::vector<std::string>& argv) const {
  std::vector<std::string> words = {xbuild_.string(), kContainedCommand, std::to_string(::getpid()),
                                    cgroup_.empty() ? "-" : cgroup_.string(), program};
  words.insert(words.end(), argv.begin(), argv.end());
  return words;
}

void StageContainment::started(pid_t pgid) {
  groups_.insert(pgid);
  write_record();
}

void StageContainment::ended(pid_t pgid) {
  groups_.erase(pgid);
  write_record();
}

void StageContainment::write_record() const {
  std::string text = "owner " + owner_.str() + "\n";
  if (!cgroup_.empty()) text += "cgroup " + cgroup_.string() + "\n";
  for (pid_t pgid : groups_) text += "pgid " + std::to_string(pgid) + "\n";
  // Not synced: after a crash of the machine, nothing the record names runs any more.
  (void)write_file_atomic(record_, text, Durability::deferred);
}

Result<std::size_t> end_leftovers(const fs::path& record_file, std::chrono::milliseconds bound) {
  Result<std::string> text = read_file(record_file);
  if (!text) return std::size_t{0};
  Record record = read_record(text.value());
  if (!record.owner || liveness(*record.owner) != Liveness::gone) return std::size_t{0};
  std::size_t count = record.cgroup.empty() ? 0 : kill_cgroup(record.cgroup, bound);
  auto [killed, left] = kill_marked(std::string(kOwnerVariable) + "=" + record.owner->str(), record.groups, bound);
  if (!left.empty()) {
    std::string pids;
    for (pid_t pid : left) pids += (pids.empty() ? "" : ", ") + std::to_string(pid);
    return fail("processes that the stages of a killed xbuild run (pid " + std::to_string(record.owner->pid) +
                ") started are still running after SIGKILL: " + pids + "; end them, or wait for them, and run again (" +
                record_file.string() + " lists them)");
  }
  std::error_code ignored;
  fs::remove(record_file, ignored);
  return count + killed;
}

namespace {

// xbuild is gone: everything of the run goes. Out of the run's cgroup first (its kill would end
// this process before the rest), then the cgroup, then this process group, this process with it.
[[noreturn]] void end_everything(const std::string& cgroup) {
  if (!cgroup.empty()) {
    std::string parent = cgroup.substr(0, cgroup.rfind('/'));
    (void)write_text(parent + "/cgroup.procs", std::to_string(::getpid()));
    if (!write_text(cgroup + "/cgroup.kill", "1")) {
      std::ifstream in(cgroup + "/cgroup.procs");
      long pid = 0;
      while (in >> pid)
        if (pid != ::getpid()) ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
  // Only the group xbuild made for the stage (this process leads it), never a caller's.
  if (::getpgrp() == ::getpid()) ::kill(-::getpgrp(), SIGKILL);
  ::_exit(137);
}

// Ends this process the way the stage's program ended, so the run sees no difference.
[[noreturn]] void end_like(int status) {
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  int signal_number = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
  struct rlimit no_core {};
  ::setrlimit(RLIMIT_CORE, &no_core);  // the program's core dump, if any, is the one to keep
  ::signal(signal_number, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal_number);
  ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal_number);
  ::_exit(128 + signal_number);
}

}  // namespace

int run_contained(int argc, char** argv) {
  // argv[2] is xbuild's pid, checked in full: atol would read a bad one as 0, which getppid()
  // returns below when the parent is in another pid namespace.
  char* pid_end = nullptr;
  const long parent = argc < 6 ? 0 : std::strtol(argv[2], &pid_end, 10);
  if (argc < 6 || pid_end == argv[2] || *pid_end != '\0' || parent <= 0) {
    std::fputs("xbuild: __contained is how xbuild starts a stage; it is not a command to run\n", stderr);
    return 2;
  }
  const pid_t xbuild = static_cast<pid_t>(parent);
  const std::string cgroup = std::strcmp(argv[3], "-") == 0 ? "" : argv[3];
  const char* program = argv[4];
  char** program_argv = argv + 5;

  // Into the run's cgroup before the program starts, so that nothing it starts is born outside.
  if (!cgroup.empty()) (void)write_text(cgroup + "/cgroup.procs", std::to_string(::getpid()));

  // Every signal this process acts on is taken by sigwaitinfo below; the program gets the mask
  // and dispositions this process was started with.
  sigset_t watched, original;
  sigemptyset(&watched);
  for (int signal_number : {SIGCHLD, SIGHUP, SIGINT, SIGTERM, SIGQUIT}) sigaddset(&watched, signal_number);
  ::sigprocmask(SIG_BLOCK, &watched, &original);
  ::prctl(PR_SET_PDEATHSIG, SIGHUP);
  if (::getppid() != xbuild) return 137;  // xbuild died before the line above: start nothing

  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "xbuild: cannot start %s: %s\n", program, std::strerror(errno));
    return 127;
  }
  if (child == 0) {
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
    ::execv(program, program_argv);
    std::fprintf(stderr, "xbuild: cannot start %s: %s\n", program, std::strerror(errno));
    ::_exit(127);
  }
  while (true) {
    siginfo_t info{};
    if (::sigwaitinfo(&watched, &info) < 0) continue;  // EINTR
    if (info.si_signo == SIGCHLD) {
      int status = 0;
      pid_t reaped = ::waitpid(child, &status, WNOHANG);
      if (reaped == child) end_like(status);
      continue;
    }
    // A signal to the whole group (a cancelled job) reaches the program itself; only the
    // death of xbuild is ours to act on.
    if (::getppid() != xbuild) end_everything(cgroup);
  }
}

}  // namespace xb
