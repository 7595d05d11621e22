// A debugging session: QEMU in the background, gdb in the foreground. QEMU gets a process group
// of its own, so the terminal's Ctrl-C reaches gdb (which stops the firmware) and not QEMU, and
// /dev/null as stdin, so it never puts the terminal in raw mode under gdb; PR_SET_PDEATHSIG ends
// it if xbuild dies. The stub's port is the kernel's pick of a free one; gdb starts only once
// /proc/net/tcp shows QEMU listening there (a probe connection would be the stub's one client).
// gdb runs in xbuild's own process group, on the terminal; xbuild ignores SIGINT and SIGQUIT
// meanwhile. When gdb exits, QEMU's group gets SIGTERM, then SIGKILL after a second.
#include "firmware/debug.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "firmware/qemu_test.h"
#include "util/probe.h"
#include "util/strings.h"

namespace xb::firmware {

namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kListenTimeout{10};

int exit_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

struct SpawnOptions {
  bool own_group = false;  // a process group of its own, stdin /dev/null, dies with us
};

// fork + execvp; an exec that fails comes back through a close-on-exec pipe as errno.
Result<pid_t> spawn(const std::vector<std::string>& command, SpawnOptions options) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Failure{std::string("pipe: ") + std::strerror(errno)};
  std::vector<char*> argv;
  for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Failure{std::string("fork: ") + std::strerror(errno)};
  if (pid == 0) {
    ::close(report[0]);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGQUIT, SIG_DFL);
    if (options.own_group) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(127);  // xbuild is already gone
      int null = ::open("/dev/null", O_RDONLY);
      if (null >= 0) ::dup2(null, 0);
    }
    ::execvp(argv[0], argv.data());
    int error = errno;
    (void)!::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(report[1]);
  if (options.own_group) ::setpgid(pid, pid);
  int error = 0;
  ssize_t got;
  do got = ::read(report[0], &error, sizeof error);
  while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == sizeof error) {
    ::waitpid(pid, nullptr, 0);
    return Failure{"cannot start " + command.front() + ": " + std::strerror(error)};
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_status(status);
}

// SIGTERM to QEMU's group, SIGKILL a second later if it is still there.
void stop(pid_t pid) {
  ::kill(-pid, SIGTERM);
  for (int tries = 0; tries < 100; ++tries) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid, SIGKILL);
  wait_for(pid);
}

// Ignores SIGINT and SIGQUIT for its lifetime.
class IgnoreTerminalSignals {
 public:
  IgnoreTerminalSignals() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ignore, &int_);
    ::sigaction(SIGQUIT, &ignore, &quit_);
  }
  ~IgnoreTerminalSignals() {
    ::sigaction(SIGINT, &int_, nullptr);
    ::sigaction(SIGQUIT, &quit_, nullptr);
  }
  IgnoreTerminalSignals(const IgnoreTerminalSignals&) = delete;
  IgnoreTerminalSignals& operator=(const IgnoreTerminalSignals&) = delete;

 private:
  struct sigaction int_ {
  }, quit_{};
};

}  // namespace

std::vector<std::string> qemu_debug_command(const Target& target, const fs::path& elf, int port) {
  std::vector<std::string> command = qemu_command(target, elf);
  command.insert(command.end(), {"-S", "-gdb", "tcp:127.0.0.1:" + std::to_string(port)});
  return command;
}

std::vector<std::string> gdb_command(const fs::path& elf, int port, const std::vector<std::string>& extra) {
  std::vector<std::string> command = {kGdb, "-q", elf.string(), "-ex",
                                      "target remote 127.0.0.1:" + std::to_string(port)};
  command.insert(command.end(), extra.begin(), extra.end());
  return command;
}

Result<int> free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Failure{std::string("socket: ") + std::strerror(errno)};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  std::string error = std::strerror(errno);
  ::close(fd);
  if (port < 0) return Failure{"cannot find a free TCP port on 127.0.0.1: " + error};
  return port;
}

bool listening(int port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot >> local >> remote >> state)) continue;
    std::size_t colon = local.find(':');
    if (colon == std::string::npos || state != "0A") continue;  // 0A: LISTEN
    std::string host = local.substr(0, colon);
    if (std::strtol(local.c_str() + colon + 1, nullptr, 16) == port && (host == "0100007F" || host == "00000000"))
      return true;
  }
  return false;
}

Result<int> debug(const Target& target, const DebugOptions& options) {
  if (!fs::is_regular_file(options.elf)) return Failure{options.elf.string() + " does not exist; build it first"};
  if (!options.print_only && find_program(kGdb).empty())
    return Failure{std::string(kGdb) +
                   " is not on PATH; install it (apt-get install gdb-multiarch), or use --print "
                   "and attach a gdb of your own"};
  if (find_program("qemu-system-arm").empty())
    return Failure{"qemu-system-arm is not on PATH; install " + join(target.packages.at("runner"), " ") + " (target " +
                   target.name + ")"};
  int port = options.port;
  if (port == 0) {
    Result<int> found = free_port();
    if (!found) return Failure{found.error()};
    port = found.value();
  }
  const fs::path elf = fs::absolute(options.elf);
  Result<pid_t> qemu = spawn(qemu_debug_command(target, elf, port), {true});
  if (!qemu) return Failure{qemu.error()};
  const auto deadline = std::chrono::steady_clock::now() + kListenTimeout;
  while (!listening(port)) {
    int status = 0;
    if (::waitpid(qemu.value(), &status, WNOHANG) == qemu.value())
      return Failure{"qemu-system-arm ended (exit status " + std::to_string(exit_status(status)) +
                     ") before its gdb stub listened on 127.0.0.1:" + std::to_string(port)};
    if (std::chrono::steady_clock::now() > deadline) {
      stop(qemu.value());
      return Failure{"qemu-system-arm did not listen on 127.0.0.1:" + std::to_string(port) + " within " +
                     std::to_string(kListenTimeout.count()) + " s"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::vector<std::string> gdb = gdb_command(elf, port, options.gdb_args);
  if (options.on_listening) options.on_listening(gdb, port);
  if (options.print_only) return wait_for(qemu.value());
  IgnoreTerminalSignals ignore;
  Result<pid_t> debugger = spawn(gdb, {});
  if (!debugger) {
    stop(qemu.value());
    return Failure{debugger.error()};
  }
  int status = wait_for(debugger.value());
  stop(qemu.value());
  return status;
}

}  // namespace xb::firmware
