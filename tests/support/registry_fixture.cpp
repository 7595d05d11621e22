#include "support/registry_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

namespace xb::testing {

namespace fs = std::filesystem;

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  close(fd);
  return port;
}

bool wait_for_port(int port, double seconds, const std::string& host) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host.c_str(), &address.sin_addr);
    bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (connected) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

pid_t spawn_background(const std::vector<std::string>& argv, const fs::path& log) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setpgid(0, 0);
  int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out >= 0) {
    dup2(out, 1);
    dup2(out, 2);
  }
  int null = open("/dev/null", O_RDONLY);
  if (null >= 0) dup2(null, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

void stop_background(pid_t pid) {
  if (pid <= 0) return;
  kill(-pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(-pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

LocalRegistry::LocalRegistry(const fs::path& directory, std::optional<RegistryUser> user,
                             std::optional<RegistryTokenAuth> token, std::optional<RegistryTls> tls) {
  if (tls) address_ = tls->address;
  fs::create_directories(directory / "storage");
  port_ = free_port();
  std::string config =
      "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    "
      "rootdirectory: " +
      (directory / "storage").string() + "\n  delete:\n    enabled: true\nhttp:\n  addr: " + address_ + ":" +
      std::to_string(port_) + "\n";
  if (tls) config += "  tls:\n    certificate: " + tls->certificate.string() + "\n    key: " + tls->key.string() + "\n";
  // distribution refuses every manifest with urls (foreign layers) unless an allow list is set.
  // (After http's own keys: a top-level key ends the http: block.)
  config += "validation:\n  manifests:\n    urls:\n      allow:\n        - ^https?://\n";
  if (user) {
    std::string command =
        "htpasswd -Bbn '" + user->name + "' '" + user->password + "' > '" + (directory / "htpasswd").string() + "'";
    if (std::system(command.c_str()) != 0) {
      error_ = "htpasswd failed (is apache2-utils installed?)";
      return;
    }
    config += "auth:\n  htpasswd:\n    realm: xbuild-test\n    path: " + (directory / "htpasswd").string() + "\n";
  }
  if (token)
    config += "auth:\n  token:\n    realm: " + token->realm + "\n    service: " + token->service +
              "\n    issuer: " + token->issuer + "\n    rootcertbundle: " + token->certificate.string() + "\n";
  std::ofstream(directory / "config.yml") << config;
  pid_ =
      spawn_background({"docker-registry", "serve", (directory / "config.yml").string()}, directory / "registry.log");
  if (pid_ < 0 || !wait_for_port(port_, 10, address_))
    error_ = "docker-registry did not start; see " + (directory / "registry.log").string();
}

LocalRegistry::~LocalRegistry() { stop_background(pid_); }

}  // namespace xb::testing
