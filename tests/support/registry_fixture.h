// A real registry for tests: Debian's docker-registry (distribution 2.8) serving on 127.0.0.1
// at a free port with its storage in a scratch directory, optionally with htpasswd Basic auth
// (bcrypt, made by `htpasswd -Bbn`). Manifests may list layers by http(s) urls (Windows-style
// foreign layers). Started in the constructor, stopped (SIGTERM, reaped) in the destructor, so
// a failing test still stops it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace xb::testing {

struct RegistryUser {
  std::string name;
  std::string password;
};

// Docker's token authentication: the registry sends clients to `realm` and trusts tokens
// signed by the key of `certificate` (tests/e2e/token_server.py is such a token server).
struct RegistryTokenAuth {
  std::string realm;
  std::string service;
  std::string issuer;
  std::filesystem::path certificate;
};

// Serving https on `address` (instead of http on 127.0.0.1) with a certificate and its key.
struct RegistryTls {
  std::string address;
  std::filesystem::path certificate;
  std::filesystem::path key;
};

class LocalRegistry {
 public:
  // `directory` holds the config, the storage and the log. Check ok() before use.
  explicit LocalRegistry(const std::filesystem::path& directory, std::optional<RegistryUser> user = std::nullopt,
                         std::optional<RegistryTokenAuth> token = std::nullopt,
                         std::optional<RegistryTls> tls = std::nullopt);
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  std::string host() const { return address_ + ":" + std::to_string(port_); }

 private:
  std::string error_;
  int port_ = 0;
  std::string address_ = "127.0.0.1";
  pid_t pid_ = -1;
};

// A free TCP port on 127.0.0.1 (bound and released; the caller binds it next).
int free_port();
// True once something accepts connections on address:port, waiting at most `seconds`.
bool wait_for_port(int port, double seconds, const std::string& address = "127.0.0.1");
// Starts argv in its own process group with stdout/stderr to `log`; returns the pid or -1.
pid_t spawn_background(const std::vector<std::string>& argv, const std::filesystem::path& log);
// SIGTERM to the process group, then SIGKILL after a second, and reap.
void stop_background(pid_t pid);

}  // namespace xb::testing
