// ccache for a target's stages. Every compiler a stage names goes through ccache: CC and CXX
// start with it, CMake takes it as its compiler launcher from the environment (CMake >= 3.17)
// or the toolchain file, Meson from the cross file's compiler arrays. Each target has a cache
// directory of its own, and the project's directory is ccache's base directory with the working
// directory left out of the hash, so that two checkouts at different paths, on one machine or
// on two sharing a remote storage, hit each other's results.
//
// The hit rates come from ccache's own counters, read with `ccache -d DIR --print-stats`
// before and after a run: the difference is what the run's compiles did.
#include "toolchain/ccache.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "util/probe.h"
#include "util/strings.h"

namespace xb {

namespace fs = std::filesystem;

void add_ccache_environment(std::map<std::string, std::string>& env, const CcacheSetup& setup) {
  for (const char* compiler : {"CC", "CXX"})
    if (auto found = env.find(compiler); found != env.end() && !found->second.empty())
      found->second = kCcacheProgram + " " + found->second;
  env["CCACHE_DIR"] = setup.dir.string();
  env["CCACHE_BASEDIR"] = setup.base_dir.string();
  // With debug information the working directory is hashed unless told not to: checkouts at
  // other paths would then never hit.
  env["CCACHE_NOHASHDIR"] = "true";
  if (!setup.remote.empty()) env["CCACHE_REMOTE_STORAGE"] = setup.remote;
  env["CMAKE_C_COMPILER_LAUNCHER"] = kCcacheProgram;
  env["CMAKE_CXX_COMPILER_LAUNCHER"] = kCcacheProgram;
}

fs::path ccache_dir(const fs::path& root, const Platform& platform) { return root / platform.slug(); }

CcacheCounts CcacheCounts::since(const CcacheCounts& before) const {
  auto delta = [](std::uint64_t now, std::uint64_t then) { return now >= then ? now - then : now; };
  return {delta(direct_hits, before.direct_hits), delta(preprocessed_hits, before.preprocessed_hits),
          delta(misses, before.misses), delta(remote_hits, before.remote_hits)};
}

Result<CcacheCounts> parse_ccache_stats(std::string_view text) {
  CcacheCounts counts;
  const std::map<std::string_view, std::uint64_t*> wanted = {{"direct_cache_hit", &counts.direct_hits},
                                                             {"preprocessed_cache_hit", &counts.preprocessed_hits},
                                                             {"cache_miss", &counts.misses},
                                                             {"remote_storage_hit", &counts.remote_hits}};
  std::size_t found = 0;
  for (std::string_view line : split(std::string(text), '\n')) {
    std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    auto counter = wanted.find(line.substr(0, tab));
    if (counter == wanted.end()) continue;
    std::string_view value = trim(line.substr(tab + 1));
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), *counter->second);
    if (error != std::errc() || end != value.data() + value.size())
      return fail("ccache --print-stats gave " + std::string(line.substr(0, tab)) + " \"" + std::string(value) +
                  "\", not a number");
    ++found;
  }
  if (found != wanted.size())
    return fail(
        "ccache --print-stats lacks direct_cache_hit, preprocessed_cache_hit, cache_miss or "
        "remote_storage_hit (ccache 4.7 or later prints them)");
  return counts;
}

Result<CcacheCounts> read_ccache_stats(const fs::path& dir) {
  std::error_code error;
  if (!fs::exists(dir, error)) return CcacheCounts{};
  Result<std::string> text = probe_output({kCcacheProgram, "-d", dir.string(), "--print-stats"});
  if (!text) return fail(text.error());
  return parse_ccache_stats(text.value());
}

std::string describe_ccache_counts(const CcacheCounts& counts) {
  const std::uint64_t total = counts.hits() + counts.misses;
  std::string text = std::to_string(counts.hits()) + " hits / " + std::to_string(total);
  if (total > 0) text += " (" + std::to_string(counts.hits() * 100 / total) + "%)";
  if (counts.remote_hits > 0) text += ", " + std::to_string(counts.remote_hits) + " remote";
  return text;
}

namespace {

// Waits for a non-blocking connect on `fd`; "" when it connected, else why not.
std::string finish_connect(int fd, const sockaddr* address, socklen_t length, std::chrono::milliseconds timeout) {
  if (::connect(fd, address, length) == 0) return "";
  if (errno != EINPROGRESS) return std::strerror(errno);
  pollfd waiting{fd, POLLOUT, 0};
  int ready = ::poll(&waiting, 1, static_cast<int>(timeout.count()));
  if (ready == 0) return "no answer within " + std::to_string(timeout.count()) + " ms";
  if (ready < 0) return std::strerror(errno);
  int status = 0;
  socklen_t size = sizeof status;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &status, &size);
  return status == 0 ? "" : std::strerror(status);
}

std::string connect_to(int family, int type, int protocol, const sockaddr* address, socklen_t length,
                       std::chrono::milliseconds timeout) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return std::strerror(errno);
  std::string why = finish_connect(fd, address, length, timeout);
  ::close(fd);
  return why;
}

Status probe_socket(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return fail("socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  std::string why =
      connect_to(AF_UNIX, SOCK_STREAM, 0, reinterpret_cast<const sockaddr*>(&address), sizeof address, timeout);
  if (!why.empty()) return fail(to_lower(why));
  return Ok{};
}

}  // namespace

Status probe_ccache_remote(const std::string& url, std::chrono::milliseconds timeout) {
  const std::string location = url.substr(0, url.find('|'));  // "|attribute=value" are ccache's
  if (starts_with(location, "redis+unix:")) {
    std::string path = location.substr(std::string("redis+unix:").size());
    if (starts_with(path, "//")) path = path.substr(path.find('/', 2));  // redis+unix://[HOST]/PATH
    return probe_socket(path.substr(0, path.find('?')), timeout);
  }
  std::size_t scheme_end = location.find("://");
  if (scheme_end == std::string::npos) return fail("not a URL");
  const std::string scheme = location.substr(0, scheme_end);
  std::string authority = location.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (std::size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string host = authority;
  std::string port = scheme == "redis" ? "6379" : scheme == "https" ? "443" : "80";
  if (starts_with(authority, "[")) {  // [IPv6]:PORT
    std::size_t close = authority.find(']');
    host = authority.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) host = "localhost";
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int error = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); error != 0)
    return fail("cannot resolve " + host + ": " + gai_strerror(error));
  std::string why = "no address";
  for (addrinfo* address = found; address; address = address->ai_next) {
    why = connect_to(address->ai_family, address->ai_socktype, address->ai_protocol, address->ai_addr,
                     address->ai_addrlen, timeout);
    if (why.empty()) break;
  }
  ::freeaddrinfo(found);
  if (!why.empty()) return fail(to_lower(why));
  return Ok{};
}

}  // namespace xb
