// Tests for ccache.cpp: the variables a stage gets, ccache's counters read from its
// --print-stats text and from a real ccache, and the remote storage's probe against real sockets
// on 127.0.0.1 and a Unix socket.
#include "toolchain/ccache.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "support/require.h"
#include "support/scratch_dir.h"

namespace xb {
namespace {

using Environment = std::map<std::string, std::string>;
using testing::ScratchDir;

TEST(CcacheTest, PutsCcacheInFrontOfTheCompilersAndNamesItsDirectory) {
  Environment env = {{"CC", "aarch64-linux-gnu-gcc --sysroot=/sr"}, {"CXX", "aarch64-linux-gnu-g++"}, {"AR", "ar"}};
  add_ccache_environment(env, {"/cache/ccache/linux-arm64", "/home/me/app", "redis://127.0.0.1:6379"});
  EXPECT_EQ(env, (Environment{{"AR", "ar"},
                              {"CC", "ccache aarch64-linux-gnu-gcc --sysroot=/sr"},
                              {"CCACHE_BASEDIR", "/home/me/app"},
                              {"CCACHE_DIR", "/cache/ccache/linux-arm64"},
                              {"CCACHE_NOHASHDIR", "true"},
                              {"CCACHE_REMOTE_STORAGE", "redis://127.0.0.1:6379"},
                              {"CMAKE_CXX_COMPILER_LAUNCHER", "ccache"},
                              {"CMAKE_C_COMPILER_LAUNCHER", "ccache"},
                              {"CXX", "ccache aarch64-linux-gnu-g++"}}));
}

TEST(CcacheTest, WithoutARemoteOrCompilersOnlyTheCacheIsNamed) {
  Environment env;
  add_ccache_environment(env, {"/xbuild/ccache", "/xbuild/src", ""});
  EXPECT_EQ(env, (Environment{{"CCACHE_BASEDIR", "/xbuild/src"},
                              {"CCACHE_DIR", "/xbuild/ccache"},
                              {"CCACHE_NOHASHDIR", "true"},
                              {"CMAKE_CXX_COMPILER_LAUNCHER", "ccache"},
                              {"CMAKE_C_COMPILER_LAUNCHER", "ccache"}}));
}

TEST(CcacheTest, EachTargetHasADirectoryOfItsOwn) {
  EXPECT_EQ(ccache_dir("/c/ccache", parse_platform("linux/arm/v7").value_or_throw()), "/c/ccache/linux-arm-v7");
}

TEST(CcacheTest, ReadsTheCountersOfPrintStats) {
  Result<CcacheCounts> counts = parse_ccache_stats(
      "autoconf_test\t0\ncache_miss\t3\ndirect_cache_hit\t40\ndirect_cache_miss\t5\npreprocessed_cache_hit\t2\n"
      "remote_storage_hit\t7\nremote_storage_miss\t1\nstats_updated_timestamp\t1796444610\n");
  ASSERT_TRUE(counts.ok()) << counts.error();
  EXPECT_EQ(counts.value(), (CcacheCounts{40, 2, 3, 7}));
  EXPECT_EQ(counts.value().hits(), 42u);
  EXPECT_EQ(describe_ccache_counts(counts.value()), "42 hits / 45 (93%), 7 remote");
  EXPECT_EQ(describe_ccache_counts({}), "0 hits / 0");
  EXPECT_EQ(describe_ccache_counts({4, 0, 0, 0}), "4 hits / 4 (100%)");
}

TEST(CcacheTest, PrintStatsWithoutTheCountersOrWithGarbageFails) {
  Result<CcacheCounts> missing = parse_ccache_stats("cache_miss\t3\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            "ccache --print-stats lacks direct_cache_hit, preprocessed_cache_hit, cache_miss or remote_storage_hit "
            "(ccache 4.7 or later prints them)");
  Result<CcacheCounts> garbage =
      parse_ccache_stats("cache_miss\tmany\ndirect_cache_hit\t0\npreprocessed_cache_hit\t0\nremote_storage_hit\t0\n");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error(), "ccache --print-stats gave cache_miss \"many\", not a number");
}

TEST(CcacheTest, TheRunsCountsAreTheDifference) {
  CcacheCounts before{10, 1, 5, 2};
  CcacheCounts after{50, 1, 6, 9};
  EXPECT_EQ(after.since(before), (CcacheCounts{40, 0, 1, 7}));
  // Zeroed meanwhile (ccache -z): what is there now.
  EXPECT_EQ((CcacheCounts{3, 0, 0, 0}).since(before), (CcacheCounts{3, 0, 0, 0}));
}

TEST(CcacheSystemTest, ReadsARealCcachesCounters) {
  XB_REQUIRE_TOOLS("ccache");
  ScratchDir scratch;
  EXPECT_EQ(read_ccache_stats(scratch.path() / "none-yet").value_or_throw(), CcacheCounts{});
  Result<CcacheCounts> fresh = read_ccache_stats(scratch.path());
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  EXPECT_EQ(fresh.value(), CcacheCounts{});
}

// A listening socket on 127.0.0.1, its port, closed with the test.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size);
    ::listen(fd_, 4);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(CcacheRemoteTest, AnsweringHostsPassAndClosedPortsSayWhy) {
  Listener listener;
  const std::string port = std::to_string(listener.port());
  EXPECT_TRUE(probe_ccache_remote("redis://127.0.0.1:" + port).ok());
  EXPECT_TRUE(probe_ccache_remote("redis://user:secret@127.0.0.1:" + port + "/2|connect-timeout=50").ok());
  EXPECT_TRUE(probe_ccache_remote("http://127.0.0.1:" + port + "/cache/").ok());
  listener.close();
  Status closed = probe_ccache_remote("redis://127.0.0.1:" + port);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error(), "connection refused");
  Status unknown = probe_ccache_remote("redis://no-such-host.invalid:6379");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().rfind("cannot resolve no-such-host.invalid: ", 0), 0u) << unknown.error();
}

TEST(CcacheRemoteTest, UnixSockets) {
  ScratchDir scratch;
  const std::string path = (scratch.path() / "redis.sock").string();
  Status missing = probe_ccache_remote("redis+unix:" + path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "no such file or directory");
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  EXPECT_TRUE(probe_ccache_remote("redis+unix:" + path).ok());
  EXPECT_TRUE(probe_ccache_remote("redis+unix://" + path).ok());
  ::close(fd);
}

}  // namespace
}  // namespace xb
